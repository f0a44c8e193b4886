/*
 * backend.h: the interface between the loop and the kernel's readiness
 * API, after Redis's ae_epoll.c / ae_select.c. A backend keeps its state in
 * loop->backend_data and knows nothing of tasks: the loop tells it which
 * descriptors to watch (loop->io[fd].kmask holds the mask from before the
 * call) and it reports what fired into loop->fired.
 *
 * backend_epoll.c is the default on Linux, backend_kqueue.c where
 * <sys/event.h> exists (BSD, macOS); backend_poll.c (poll(2)) everywhere,
 * chosen with the environment variable ACC_BACKEND=poll (or where neither
 * of the others exists), and the second implementation the tests check
 * the loop against.
 */
#ifndef ACC_BACKEND_H
#define ACC_BACKEND_H

#include "internal.h"

struct acc__backend {
    const char *name;
    int (*create)(acc__loop *loop);                 /* 0 or -errno */
    void (*free)(acc__loop *loop);
    int (*add)(acc__loop *loop, int fd, int mask);  /* watch mask too */
    void (*del)(acc__loop *loop, int fd, int mask); /* stop watching mask */
    /* Wait at most timeout_ms (-1: forever); fill loop->fired[0..n) and
     * return n, or -errno (-EINTR is not an error: 0 is returned). */
    int (*poll)(acc__loop *loop, int timeout_ms);
};

#ifdef __linux__
extern const acc__backend acc__backend_epoll;
#endif
#ifdef ACC_HAVE_KQUEUE
extern const acc__backend acc__backend_kqueue;
#endif
extern const acc__backend acc__backend_poll;

#endif /* ACC_BACKEND_H */
