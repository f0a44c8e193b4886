/*
 * backend.h: the interface between the loop and the kernel's readiness
 * API, after Redis's ae_epoll.c / ae_select.c. A backend keeps its state in
 * loop->backend_data and knows nothing of tasks: the loop tells it which
 * descriptors to watch (loop->io[fd].mask holds the mask from before the
 * call) and it reports what fired into loop->fired.
 *
 * backend_epoll.c is the default; backend_poll.c (poll(2)) is chosen with
 * the environment variable ACC_BACKEND=poll, mainly to test the loop
 * against a second implementation.
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

extern const acc__backend acc__backend_epoll;
extern const acc__backend acc__backend_poll;

#endif /* ACC_BACKEND_H */
