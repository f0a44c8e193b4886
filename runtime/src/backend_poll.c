/*
 * backend_poll.c: the loop's backend on poll(2), selected with
 * ACC_BACKEND=poll. It keeps a dense pollfd array plus a table from
 * descriptor to slot; removing a descriptor moves the last slot into the
 * hole. O(n) per poll, which is fine for what it is for: portability and
 * checking the loop against a second backend.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>

#include "backend.h"

typedef struct poll_state {
    struct pollfd *fds; /* watched descriptors, dense */
    int n, cap;
    int *slot;          /* slot[fd]: index in fds, or -1 */
    int slot_cap;
} poll_state;

static short to_poll(int mask)
{
    return (short)((mask & ACC_READABLE ? POLLIN : 0) | (mask & ACC_WRITABLE ? POLLOUT : 0));
}

static int poll_create_(acc__loop *loop)
{
    poll_state *s = acc__calloc(1, sizeof *s);

    if (s == NULL)
        return -ENOMEM;
    loop->backend_data = s;
    return 0;
}

static void poll_free_(acc__loop *loop)
{
    poll_state *s = loop->backend_data;

    free(s->fds);
    free(s->slot);
    free(s);
    loop->backend_data = NULL;
}

static int poll_add(acc__loop *loop, int fd, int mask)
{
    poll_state *s = loop->backend_data;
    int old = loop->io[fd].kmask;

    if (old) {
        s->fds[s->slot[fd]].events = to_poll(old | mask);
        return 0;
    }
    /* poll(2) takes any number and reports one that is not open as
     * POLLNVAL, which would pass for "ready"; epoll_ctl refuses it with
     * EBADF at once, and so does this backend. */
    if (fcntl(fd, F_GETFD) < 0)
        return -errno;
    if (fd >= s->slot_cap) {
        int cap = s->slot_cap ? s->slot_cap : 64;
        int *slot;
        while (cap <= fd)
            cap *= 2;
        slot = acc__realloc(s->slot, (size_t)cap * sizeof *slot);
        if (slot == NULL)
            return -ENOMEM;
        for (int i = s->slot_cap; i < cap; i++)
            slot[i] = -1;
        s->slot = slot;
        s->slot_cap = cap;
    }
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 16;
        struct pollfd *fds = acc__realloc(s->fds, (size_t)cap * sizeof *fds);
        if (fds == NULL)
            return -ENOMEM;
        s->fds = fds;
        s->cap = cap;
    }
    s->fds[s->n].fd = fd;
    s->fds[s->n].events = to_poll(mask);
    s->fds[s->n].revents = 0;
    s->slot[fd] = s->n++;
    return 0;
}

static void poll_del(acc__loop *loop, int fd, int mask)
{
    poll_state *s = loop->backend_data;
    int left = loop->io[fd].kmask & ~mask;
    int i = s->slot[fd];

    if (left) {
        s->fds[i].events = to_poll(left);
        return;
    }
    s->fds[i] = s->fds[--s->n];
    s->slot[s->fds[i].fd] = i;
    s->slot[fd] = -1;
}

static int poll_poll(acc__loop *loop, int timeout_ms)
{
    poll_state *s = loop->backend_data;
    int n, k = 0;

    n = poll(s->fds, (nfds_t)s->n, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < s->n && k < n; i++) {
        short e = s->fds[i].revents;
        int mask = 0;

        if (e == 0)
            continue;
        if (e & POLLIN)
            mask |= ACC_READABLE;
        if (e & POLLOUT)
            mask |= ACC_WRITABLE;
        if (e & (POLLERR | POLLHUP | POLLNVAL))
            mask |= ACC_READABLE | ACC_WRITABLE;
        loop->fired[k].fd = s->fds[i].fd;
        loop->fired[k].events = mask;
        k++;
    }
    return k;
}

const acc__backend acc__backend_poll = {
    "poll", poll_create_, poll_free_, poll_add, poll_del, poll_poll,
};
