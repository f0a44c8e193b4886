/*
 * backend_epoll.c: the loop's backend on Linux's epoll, level-triggered.
 * Interest follows loop->io[fd].kmask: the first direction watched adds the
 * descriptor, later changes modify it, and the last one removed deletes
 * it. Errors and hang-ups are reported as both directions ready, so every
 * waiter wakes and meets the error in its own read or write.
 */
#ifdef __linux__
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "backend.h"

typedef struct epoll_state {
    int epfd;
    struct epoll_event *events; /* as long as loop->fired */
    int cap;
} epoll_state;

static unsigned to_epoll(int mask)
{
    return (mask & ACC_READABLE ? EPOLLIN : 0u) | (mask & ACC_WRITABLE ? EPOLLOUT : 0u);
}

static int epoll_create_(acc__loop *loop)
{
    epoll_state *s = acc__calloc(1, sizeof *s);

    if (s == NULL)
        return -ENOMEM;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        int err = errno;
        free(s);
        return -err;
    }
    loop->backend_data = s;
    return 0;
}

static void epoll_free_(acc__loop *loop)
{
    epoll_state *s = loop->backend_data;

    close(s->epfd);
    free(s->events);
    free(s);
    loop->backend_data = NULL;
}

static int epoll_add(acc__loop *loop, int fd, int mask)
{
    epoll_state *s = loop->backend_data;
    int old = loop->io[fd].kmask;
    struct epoll_event ev = {0};

    /* Room to report every watched descriptor in one epoll_wait; grown
     * here, where a failure can reach the waiter, never in poll. */
    if (s->cap < loop->fired_cap) {
        struct epoll_event *e = acc__realloc(s->events, (size_t)loop->fired_cap * sizeof *e);
        if (e == NULL)
            return -ENOMEM;
        s->events = e;
        s->cap = loop->fired_cap;
    }
    ev.events = to_epoll(old | mask);
    ev.data.fd = fd;
    if (epoll_ctl(s->epfd, old ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0)
        return -errno;
    return 0;
}

static void epoll_del(acc__loop *loop, int fd, int mask)
{
    epoll_state *s = loop->backend_data;
    int left = loop->io[fd].kmask & ~mask;
    struct epoll_event ev = {0};

    ev.events = to_epoll(left);
    ev.data.fd = fd;
    /* Failure means the descriptor is already closed: nothing to undo. */
    (void)epoll_ctl(s->epfd, left ? EPOLL_CTL_MOD : EPOLL_CTL_DEL, fd, &ev);
}

static int epoll_poll(acc__loop *loop, int timeout_ms)
{
    epoll_state *s = loop->backend_data;
    struct epoll_event none, *events = s->cap ? s->events : &none;
    int n;

    /* With nothing ever watched, still sleep until the timeout. */
    n = epoll_wait(s->epfd, events, s->cap ? s->cap : 1, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    for (int i = 0; i < n; i++) {
        unsigned e = events[i].events;
        int mask = 0;

        if (e & EPOLLIN)
            mask |= ACC_READABLE;
        if (e & EPOLLOUT)
            mask |= ACC_WRITABLE;
        if (e & (EPOLLERR | EPOLLHUP))
            mask |= ACC_READABLE | ACC_WRITABLE;
        loop->fired[i].fd = events[i].data.fd;
        loop->fired[i].events = mask;
    }
    return n;
}

const acc__backend acc__backend_epoll = {
    "epoll", epoll_create_, epoll_free_, epoll_add, epoll_del, epoll_poll,
};
#endif /* __linux__ */
