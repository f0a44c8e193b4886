/*
 * sys/event.h: a test-only stand-in for the kqueue API of FreeBSD and
 * macOS, implemented on Linux's epoll by test/kqueue/kqueue_epoll.c, so
 * that runtime/src/backend_kqueue.c can be compiled and its tests run on
 * Linux (cmake -DACC_KQUEUE_SHIM=ON). Not part of libacc.
 *
 * The structure and the constants have the values of the real header
 * (the kevent layout is macOS's and FreeBSD's before 12, which has no
 * ext[] array); only what the emulation implements is declared. What it
 * emulates and what it does not is listed in kqueue_epoll.c.
 */
#ifndef ACC_KQUEUE_SHIM_SYS_EVENT_H
#define ACC_KQUEUE_SHIM_SYS_EVENT_H

#include <stdint.h>
#include <time.h>

struct kevent {
    uintptr_t ident;       /* a descriptor, for both filters here */
    short filter;          /* EVFILT_READ or EVFILT_WRITE */
    unsigned short flags;  /* EV_* actions in, EV_EOF / EV_ERROR out */
    unsigned int fflags;   /* 0 (filter flags: none emulated) */
    intptr_t data;         /* the errno of an EV_ERROR entry, else 0 */
    void *udata;           /* returned as it was registered */
};

/* Filters. */
#define EVFILT_READ   (-1)
#define EVFILT_WRITE  (-2)

/* Actions, in a change. */
#define EV_ADD      0x0001  /* add, or modify the knote (ident, filter) */
#define EV_DELETE   0x0002  /* remove it; ENOENT when there is none */
#define EV_ENABLE   0x0004  /* accepted: an added knote is always enabled */
#define EV_RECEIPT  0x0040  /* report every change as an EV_ERROR entry */
/* Returned. */
#define EV_EOF      0x8000  /* the filter's direction is shut (hang-up) */
#define EV_ERROR    0x4000  /* a change failed (data: errno) or a receipt */

/* Evaluates kevp once, like the real macro: EV_SET(&ch[n++], ...) is usual. */
#define EV_SET(kevp, a, b, c, d, e, f)                                        \
    do {                                                                       \
        struct kevent *ev_set_ = (kevp);                                       \
        ev_set_->ident = (a);                                                  \
        ev_set_->filter = (b);                                                 \
        ev_set_->flags = (c);                                                  \
        ev_set_->fflags = (d);                                                 \
        ev_set_->data = (e);                                                   \
        ev_set_->udata = (f);                                                  \
    } while (0)

int kqueue(void);
int kevent(int kq, const struct kevent *changelist, int nchanges,
           struct kevent *eventlist, int nevents, const struct timespec *timeout);

/* Test hooks of the emulation, in no real header:
 * kqueue_shim_fail_next_add: the next EV_ADD of `filter`, on any kqueue,
 * fails with `err` (a kernel may refuse one filter of a descriptor and
 * take the other: FreeBSD's pipes, devices).
 * kqueue_shim_knotes: how many knotes the open kqueues hold for `fd`. */
void kqueue_shim_fail_next_add(short filter, int err);
int kqueue_shim_knotes(int fd);

#endif /* ACC_KQUEUE_SHIM_SYS_EVENT_H */
