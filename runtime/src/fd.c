/*
 * fd.c: tasks waiting for descriptors, and the leaves built on that:
 * acc_wait_fd, acc_read, acc_write and acc_close.
 *
 * An acc__fdwait is one task's wait for one descriptor, in one or both
 * directions. It lives in the leaf's frame and is the io callback's
 * argument, so the loop needs no allocation per wait. The io table holds
 * one callback per direction, which is the SPEC's rule for free: a second
 * task waiting for the same direction of the same descriptor gets -EBUSY.
 *
 * acc_read and acc_write try the system call first and wait only on
 * EAGAIN, as asyncio's sock_recv does: data already there costs no trip
 * through the loop. One exception, libuv's: when the previous read of a
 * descriptor still registered from its last wait (io.c) was short, the
 * socket is most likely empty, so acc_read waits at once instead of
 * making a read that would say EAGAIN; if data is there after all, the
 * level-triggered poll reports it at the next turn. acc_write never raises SIGPIPE: sockets are written
 * with send(MSG_NOSIGNAL); other descriptors (pipes) with write() while
 * SIGPIPE is blocked in this thread, a SIGPIPE that write raised being
 * taken back with sigtimedwait before the mask is restored.
 */
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* ---- acc__fdwait ------------------------------------------------------- */

static void fdwait_fired(acc__loop *loop, int fd, int events, void *arg)
{
    acc__fdwait *w = arg;

    if (events < 0) { /* closed: acc__io_close stopped the watch */
        w->got = events;
        w->want = 0;
    } else {
        if (w->got >= 0)
            w->got |= events;
        acc__io_stop(loop, fd, events);
        w->want &= ~events;
    }
    acc__task_wake(w->task);
}

void acc__fdwait_cancel(acc_task *t, void *wait)
{
    acc__fdwait *w = wait;

    if (w->want)
        acc__io_stop(acc__loop_current, w->fd, w->want);
    w->want = 0;
    acc__task_wake(t);
}

int acc__fdwait_start(acc__fdwait *w, acc_task *t, int fd, int events)
{
    acc__loop *loop = acc__loop_current;
    int r;

    if (fd < 0)
        return -EBADF;
    if (fd < loop->io_cap && (loop->io[fd].mask & events))
        return -EBUSY;
    r = acc__io_start(loop, fd, events, fdwait_fired, w);
    if (r < 0)
        return r;
    w->task = t;
    w->fd = fd;
    w->want = events;
    w->got = 0;
    acc__task_suspend(t, ACC__WAIT_FD, w);
    return 0;
}

int acc__fdwait_end(acc__fdwait *w)
{
    if (w->want)
        acc__io_stop(acc__loop_current, w->fd, w->want);
    w->want = 0;
    if (w->task->cancelled)
        return -ECANCELED;
    return w->got;
}

/* ---- acc_wait_fd ------------------------------------------------------- */

typedef struct wait_fd_leaf {
    unsigned state;
    int events;
    acc__fdwait w; /* w.fd: the descriptor, from the start */
} wait_fd_leaf;

ACC__SLOT_FITS(wait_fd_leaf, acc_wait_fd__slot);

int acc_wait_fd__step(acc_wait_fd__slot *slot, int *acc_out)
{
    wait_fd_leaf *l = (wait_fd_leaf *)(void *)slot;
    acc_task *t = acc__task_current();
    int r;

    if (l->state != 0)
        ACC__LEAF_RETURN(acc_out, acc__fdwait_end(&l->w));
    if (t->cancelled)
        ACC__LEAF_RETURN(acc_out, -ECANCELED);
    if (l->events == 0 || (l->events & ~(ACC_READABLE | ACC_WRITABLE)))
        ACC__LEAF_RETURN(acc_out, -EINVAL);
    r = acc__fdwait_start(&l->w, t, l->w.fd, l->events);
    if (r == -EPERM) /* a regular file for epoll: always ready, as poll(2) says */
        ACC__LEAF_RETURN(acc_out, l->events);
    if (r < 0)
        ACC__LEAF_RETURN(acc_out, r);
    l->state = 1;
    return ACC_PENDING;
}

acc_wait_fd__slot *acc_wait_fd__init(acc_wait_fd__slot *slot, int fd, int events)
{
    wait_fd_leaf *l = (wait_fd_leaf *)(void *)slot;

    l->state = 0;
    l->events = events;
    l->w.fd = fd;
    return slot;
}

ACC__LEAF_FRAME_STEP(wait_fd_frame_step, acc_wait_fd__step)

acc_frame *acc_wait_fd__coro(int *acc_out, int fd, int events)
{
    acc__leaf_frame *f = acc__leaf_frame_new(sizeof(wait_fd_leaf), wait_fd_frame_step, acc_out);

    if (f == NULL)
        return NULL;
    acc_wait_fd__init(ACC__LEAF_SLOT(f), fd, events);
    return &f->hdr;
}

/* ---- acc_read, acc_write ------------------------------------------------ */

typedef struct rw_leaf {
    unsigned state;
    int not_socket; /* acc_write: send() said ENOTSOCK, use write() */
    acc__fdwait w;  /* w.fd: the descriptor, from the start */
    char *buf;
    size_t n;
    size_t done;    /* acc_write: bytes written so far */
} rw_leaf;

ACC__SLOT_FITS(rw_leaf, acc_read__slot);
ACC__SLOT_FITS(rw_leaf, acc_write__slot);

int acc_read__step(acc_read__slot *slot, ssize_t *acc_out)
{
    rw_leaf *l = (rw_leaf *)(void *)slot;
    acc_task *t = acc__task_current();
    acc__loop *loop = acc__loop_current;
    int fd = l->w.fd;
    ssize_t n;
    int r;

    if (l->state == 0) {
        if (t->cancelled)
            ACC__LEAF_RETURN(acc_out, -ECANCELED);
        if (fd >= 0 && fd < loop->io_cap && loop->io[fd].rdrained &&
            (loop->io[fd].kmask & ~loop->io[fd].mask & ACC_READABLE))
            goto wait; /* the last read was short: do not ask for an EAGAIN */
    } else {
        r = acc__fdwait_end(&l->w);
        if (r < 0)
            ACC__LEAF_RETURN(acc_out, r);
    }
    for (;;) {
        n = read(fd, l->buf, l->n);
        if (n >= 0) {
            if (fd < loop->io_cap)
                loop->io[fd].rdrained = n > 0 && (size_t)n < l->n;
            ACC__LEAF_RETURN(acc_out, n);
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            ACC__LEAF_RETURN(acc_out, -errno);
    wait:
        r = acc__fdwait_start(&l->w, t, fd, ACC_READABLE);
        if (r < 0)
            ACC__LEAF_RETURN(acc_out, r);
        l->state = 1;
        return ACC_PENDING;
    }
}

/* Fill a read or write leaf. */
static void rw_init(void *slot, int fd, const void *buf, size_t n)
{
    rw_leaf *l = slot;

    l->state = 0;
    l->w.fd = fd;
    l->not_socket = 0;
    l->buf = (char *)buf;
    l->n = n;
    l->done = 0;
}

acc_read__slot *acc_read__init(acc_read__slot *slot, int fd, void *buf, size_t n)
{
    rw_init(slot, fd, buf, n);
    return slot;
}

ACC__LEAF_FRAME_STEP(read_frame_step, acc_read__step)

acc_frame *acc_read__coro(ssize_t *acc_out, int fd, void *buf, size_t n)
{
    acc__leaf_frame *f = acc__leaf_frame_new(sizeof(rw_leaf), read_frame_step, acc_out);

    if (f == NULL)
        return NULL;
    rw_init(ACC__LEAF_SLOT(f), fd, buf, n);
    return &f->hdr;
}

/* write(2) on a descriptor that is not a socket, without SIGPIPE. */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t n)
{
    sigset_t pipe_set, old, pending;
    int was_pending, err;
    ssize_t r;

    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
    r = write(fd, buf, n);
    err = errno;
    if (r < 0 && err == EPIPE && !was_pending) {
        /* Ours: take it back before the mask is restored. */
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
            ;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    errno = err;
    return r;
}

int acc_write__step(acc_write__slot *slot, ssize_t *acc_out)
{
    rw_leaf *l = (rw_leaf *)(void *)slot;
    acc_task *t = acc__task_current();
    int fd = l->w.fd;
    ssize_t n;
    int r;

    if (l->state == 0) {
        if (t->cancelled)
            ACC__LEAF_RETURN(acc_out, -ECANCELED);
    } else {
        r = acc__fdwait_end(&l->w);
        if (r < 0)
            ACC__LEAF_RETURN(acc_out, r);
    }
    while (l->done < l->n) {
        if (!l->not_socket) {
            n = send(fd, l->buf + l->done, l->n - l->done, MSG_NOSIGNAL);
            if (n < 0 && errno == ENOTSOCK) {
                l->not_socket = 1;
                continue;
            }
        } else {
            n = write_nosigpipe(fd, l->buf + l->done, l->n - l->done);
        }
        if (n >= 0) {
            l->done += (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            ACC__LEAF_RETURN(acc_out, -errno);
        r = acc__fdwait_start(&l->w, t, fd, ACC_WRITABLE);
        if (r < 0)
            ACC__LEAF_RETURN(acc_out, r);
        l->state = 1;
        return ACC_PENDING;
    }
    ACC__LEAF_RETURN(acc_out, (ssize_t)l->n);
}

acc_write__slot *acc_write__init(acc_write__slot *slot, int fd, const void *buf, size_t n)
{
    rw_init(slot, fd, buf, n);
    return slot;
}

ACC__LEAF_FRAME_STEP(write_frame_step, acc_write__step)

acc_frame *acc_write__coro(ssize_t *acc_out, int fd, const void *buf, size_t n)
{
    acc__leaf_frame *f = acc__leaf_frame_new(sizeof(rw_leaf), write_frame_step, acc_out);

    if (f == NULL)
        return NULL;
    rw_init(ACC__LEAF_SLOT(f), fd, buf, n);
    return &f->hdr;
}

/* ---- acc_close ---------------------------------------------------------- */

void acc_close(int fd)
{
    acc__loop *loop = acc__loop_current;

    if (fd < 0)
        return;
    if (loop != NULL)
        acc__io_close(loop, fd, -EBADF);
    /* Linux frees the descriptor even when close fails with EINTR, so it
     * is never retried (another thread may own the number by then). */
    (void)close(fd);
}
