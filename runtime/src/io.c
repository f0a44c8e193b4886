/*
 * io.c: descriptors watched by the loop.
 *
 * loop->io is a table indexed by descriptor, like Redis's
 * eventLoop->events: for each fd the directions watched and, per
 * direction, the callback that ends the wait. The table and loop->fired
 * grow together, so the backend can always report every descriptor in one
 * poll. Watches change the kernel's interest through the backend; the
 * table holds the kernel's mask (kmask) from before each change, which is
 * what the backend needs to choose between adding and modifying.
 *
 * Interest outlives the wait that asked for it by one turn: a wait that
 * ends (its direction fired, or it was cancelled) parks its descriptor,
 * and acc__io_flush, at the start of the next turn, drops only the
 * interest that no task took back meanwhile. A task that reads, writes
 * and waits to read again (an echo loop, any request/response) thus
 * keeps its descriptor registered and costs no epoll_ctl per wait, as a
 * hand-written epoll server would; a descriptor nobody waits on any more
 * is unregistered one turn later, before the kernel can report it.
 */
#include <stdlib.h>
#include <string.h>

#include "backend.h"

static int grow(acc__loop *loop, int fd)
{
    int cap = loop->io_cap ? loop->io_cap : 64;
    acc__io *io;
    acc__fired *fired;

    while (cap <= fd)
        cap *= 2;
    io = acc__realloc(loop->io, (size_t)cap * sizeof *io);
    if (io == NULL)
        return -ENOMEM;
    memset(io + loop->io_cap, 0, (size_t)(cap - loop->io_cap) * sizeof *io);
    loop->io = io;
    loop->io_cap = cap;
    fired = acc__realloc(loop->fired, (size_t)cap * sizeof *fired);
    if (fired == NULL)
        return -ENOMEM; /* the old, smaller array stays valid */
    loop->fired = fired;
    loop->fired_cap = cap;
    return 0;
}

int acc__io_start(acc__loop *loop, int fd, int events, acc__io_cb cb, void *arg)
{
    acc__io *io;
    int add, r;

    if (fd < 0)
        return -EBADF;
    if (fd >= loop->io_cap || loop->fired_cap < loop->io_cap) {
        r = grow(loop, fd);
        if (r < 0)
            return r;
    }
    io = &loop->io[fd];
    add = events & ~io->kmask;
    if (add) {
        r = loop->backend->add(loop, fd, add);
        if (r < 0)
            return r;
        io->kmask |= add;
    }
    if (io->mask == 0)
        loop->nio++;
    io->mask |= events;
    if (events & ACC_READABLE) {
        io->rcb = cb;
        io->rarg = arg;
    }
    if (events & ACC_WRITABLE) {
        io->wcb = cb;
        io->warg = arg;
    }
    return 0;
}

/* The kernel keeps its interest (parked) until the next turn's flush. */
void acc__io_stop(acc__loop *loop, int fd, int events)
{
    acc__io *io;
    int del;

    if (fd < 0 || fd >= loop->io_cap)
        return;
    io = &loop->io[fd];
    del = io->mask & events;
    if (!del)
        return;
    io->mask &= ~del;
    if (io->mask == 0)
        loop->nio--;
    if (del & ACC_READABLE)
        io->rcb = NULL, io->rarg = NULL;
    if (del & ACC_WRITABLE)
        io->wcb = NULL, io->warg = NULL;
    if (!io->parked) {
        io->parked = 1;
        io->next_parked = loop->parked;
        loop->parked = fd;
    }
}

void acc__io_flush(acc__loop *loop)
{
    while (loop->parked >= 0) {
        int fd = loop->parked;
        acc__io *io = &loop->io[fd];
        int drop = io->kmask & ~io->mask;

        loop->parked = io->next_parked;
        io->parked = 0;
        if (drop) {
            loop->backend->del(loop, fd, drop);
            io->kmask &= ~drop;
            if (drop & ACC_READABLE)
                io->rdrained = 0;
        }
    }
}

void acc__io_forget(acc__loop *loop, int fd)
{
    if (fd < 0 || fd >= loop->io_cap)
        return;
    /* The old descriptor was closed without acc_close: the kernel has
     * forgotten its interest already. Its waiters, if any, stay. */
    loop->io[fd].kmask = loop->io[fd].mask;
    loop->io[fd].rdrained = 0;
}

/* A callback may stop watches, its own or another's, so each direction is
 * checked against the table just before its callback runs. */
int acc__io_poll(acc__loop *loop, int timeout_ms)
{
    int n = loop->backend->poll(loop, timeout_ms);

    for (int i = 0; i < n; i++) {
        int fd = loop->fired[i].fd;
        int ev = loop->fired[i].events;
        acc__io *io = &loop->io[fd];

        if ((ev & ACC_READABLE) && (io->mask & ACC_READABLE))
            io->rcb(loop, fd, ACC_READABLE, io->rarg);
        io = &loop->io[fd]; /* the table may have grown */
        if ((ev & ACC_WRITABLE) && (io->mask & ACC_WRITABLE))
            io->wcb(loop, fd, ACC_WRITABLE, io->warg);
    }
    return n < 0 ? n : 0;
}

void acc__io_close(acc__loop *loop, int fd, int err)
{
    acc__io *io;

    if (fd < 0 || fd >= loop->io_cap)
        return;
    io = &loop->io[fd];
    if (io->mask & ACC_READABLE) {
        acc__io_cb cb = io->rcb;
        void *arg = io->rarg;
        acc__io_stop(loop, fd, ACC_READABLE);
        cb(loop, fd, err, arg);
    }
    io = &loop->io[fd];
    if (io->mask & ACC_WRITABLE) {
        acc__io_cb cb = io->wcb;
        void *arg = io->warg;
        acc__io_stop(loop, fd, ACC_WRITABLE);
        cb(loop, fd, err, arg);
    }
    io = &loop->io[fd];
    if (io->kmask & ~io->mask) { /* parked interest: drop it before the close */
        loop->backend->del(loop, fd, io->kmask & ~io->mask);
        io->kmask = io->mask;
    }
    io->rdrained = 0;
}
