/*
 * backend_kqueue.c: the loop's backend on BSD and macOS kqueue, compiled
 * only where <sys/event.h> exists (runtime/CMakeLists.txt). Each
 * direction is its own filter (EVFILT_READ, EVFILT_WRITE), added and
 * deleted as loop->io[fd].kmask changes; filters are level-triggered like
 * epoll's default, so a wait that is not served is reported again. One
 * descriptor can come back as two events (one per filter); io.c handles
 * each on its own. A hang-up or an error fires the filter of each watched
 * direction (with EV_EOF), so every waiter wakes; an EV_ERROR entry would
 * be reported as both directions ready.
 *
 * Written to the kqueue(2) manual pages of FreeBSD and macOS. Tested on
 * Linux only, against test/kqueue's emulation of kqueue on epoll
 * (cmake -DACC_KQUEUE_SHIM=ON, ACC_BACKEND=kqueue; scripts/test.sh), never
 * on a BSD or macOS kernel: docs/runtime.md says what that leaves open.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/event.h>
#include <sys/time.h>
#include <unistd.h>

#include "backend.h"

typedef struct kqueue_state {
    int kq;
    struct kevent *events; /* as long as loop->fired */
    int cap;
} kqueue_state;

static int kqueue_create_(acc__loop *loop)
{
    kqueue_state *s = acc__calloc(1, sizeof *s);

    if (s == NULL)
        return -ENOMEM;
    s->kq = kqueue();
    if (s->kq < 0) {
        int err = errno;
        free(s);
        return -err;
    }
    (void)fcntl(s->kq, F_SETFD, FD_CLOEXEC);
    loop->backend_data = s;
    return 0;
}

static void kqueue_free_(acc__loop *loop)
{
    kqueue_state *s = loop->backend_data;

    close(s->kq);
    free(s->events);
    free(s);
    loop->backend_data = NULL;
}

/* The changes of one call: a filter per direction in mask. */
static int changes(struct kevent ch[2], int fd, int mask, int flags)
{
    int n = 0;

    if (mask & ACC_READABLE)
        EV_SET(&ch[n++], fd, EVFILT_READ, flags, 0, 0, NULL);
    if (mask & ACC_WRITABLE)
        EV_SET(&ch[n++], fd, EVFILT_WRITE, flags, 0, 0, NULL);
    return n;
}

/* Add a filter per direction, all or none: with EV_RECEIPT each change
 * reports its own result (and no pending event is drained). If the
 * kernel takes one filter and refuses the other, the one it took is
 * deleted again, so that no filter the loop does not know of stays. */
static int add_filters(kqueue_state *s, int fd, int mask)
{
    struct kevent ch[2], res[2];
    int n = changes(ch, fd, mask, EV_ADD | EV_RECEIPT);
    int got = kevent(s->kq, ch, n, res, n, NULL);
    int err = 0, taken = 0;

    if (got < 0)
        return -errno;
    for (int i = 0; i < got; i++) {
        if (!(res[i].flags & EV_ERROR) || res[i].data == 0)
            taken |= res[i].filter == EVFILT_READ ? ACC_READABLE : ACC_WRITABLE;
        else if (err == 0)
            err = (int)res[i].data;
    }
    if (err == 0)
        return 0;
    if (taken) {
        n = changes(ch, fd, taken, EV_DELETE);
        (void)kevent(s->kq, ch, n, NULL, 0, NULL);
    }
    return -err;
}

static int kqueue_add(acc__loop *loop, int fd, int mask)
{
    kqueue_state *s = loop->backend_data;

    if (s->cap < loop->fired_cap) {
        struct kevent *e = acc__realloc(s->events, (size_t)loop->fired_cap * sizeof *e);
        if (e == NULL)
            return -ENOMEM;
        s->events = e;
        s->cap = loop->fired_cap;
    }
    return add_filters(s, fd, mask);
}

static void kqueue_del(acc__loop *loop, int fd, int mask)
{
    kqueue_state *s = loop->backend_data;
    struct kevent ch[2];
    int n = changes(ch, fd, mask, EV_DELETE);

    /* Failure means the descriptor is already closed: nothing to undo. */
    (void)kevent(s->kq, ch, n, NULL, 0, NULL);
}

static int kqueue_poll(acc__loop *loop, int timeout_ms)
{
    kqueue_state *s = loop->backend_data;
    struct kevent none, *events = s->cap ? s->events : &none;
    struct timespec ts, *tp = NULL;
    int n;

    if (timeout_ms >= 0) {
        ts.tv_sec = timeout_ms / 1000;
        ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
        tp = &ts;
    }
    n = kevent(s->kq, NULL, 0, events, s->cap ? s->cap : 1, tp);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        int mask = 0;

        if (events[i].filter == EVFILT_READ)
            mask |= ACC_READABLE;
        else if (events[i].filter == EVFILT_WRITE)
            mask |= ACC_WRITABLE;
        if (events[i].flags & EV_ERROR)
            mask |= ACC_READABLE | ACC_WRITABLE;
        loop->fired[i].fd = (int)events[i].ident;
        loop->fired[i].events = mask;
    }
    return n;
}

const acc__backend acc__backend_kqueue = {
    "kqueue", kqueue_create_, kqueue_free_, kqueue_add, kqueue_del, kqueue_poll,
};
