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

static void fdwait_cancel(acc_task *t, acc_frame *leaf)
{
    acc__fdwait *w = ACC__AFTER_HEADER(leaf, acc__fdwait);

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
    acc__task_suspend(t, fdwait_cancel, ACC__HEADER_BEFORE(w));
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

typedef struct wait_fd_frame {
    acc_frame hdr;
    acc__fdwait w; /* first: fdwait_cancel finds it there */
    int *out;
    int fd, events;
} wait_fd_frame;
ACC__WAIT_AFTER_HEADER(wait_fd_frame, w);

int acc_wait_fd__step(acc_frame *self)
{
    wait_fd_frame *f = (wait_fd_frame *)self;
    acc_task *t = self->task;
    int r;

    switch (self->state) {
    case 0:
        if (t->cancelled)
            ACC__RETURN(f, f->out, -ECANCELED);
        if (f->events == 0 || (f->events & ~(ACC_READABLE | ACC_WRITABLE)))
            ACC__RETURN(f, f->out, -EINVAL);
        r = acc__fdwait_start(&f->w, t, f->fd, f->events);
        if (r == -EPERM) /* a regular file for epoll: always ready, as poll(2) says */
            ACC__RETURN(f, f->out, f->events);
        if (r < 0)
            ACC__RETURN(f, f->out, r);
        self->state = 1;
        return ACC_PENDING;
    default:
        ACC__RETURN(f, f->out, acc__fdwait_end(&f->w));
    }
}

ACC__SLOT_FITS(wait_fd_frame, acc_wait_fd__slot);

acc_frame *acc_wait_fd__init(acc_wait_fd__slot *slot, int *acc_out, int fd, int events)
{
    wait_fd_frame *f = (wait_fd_frame *)(void *)slot;

    f->hdr.resume = acc_wait_fd__step;
    f->hdr.state = 0;
    f->out = acc_out;
    f->fd = fd;
    f->events = events;
    return &f->hdr;
}

acc_frame *acc_wait_fd__coro(int *acc_out, int fd, int events)
{
    acc_wait_fd__slot *slot = (acc_wait_fd__slot *)(void *)acc__frame_alloc(sizeof(wait_fd_frame));

    return slot ? acc_wait_fd__init(slot, acc_out, fd, events) : NULL;
}

/* ---- acc_read, acc_write ------------------------------------------------ */

typedef struct rw_frame {
    acc_frame hdr;
    acc__fdwait w; /* first: fdwait_cancel finds it there */
    ssize_t *out;
    int fd;
    int not_socket; /* acc_write: send() said ENOTSOCK, use write() */
    char *buf;
    size_t n;
    size_t done;    /* acc_write: bytes written so far */
} rw_frame;
ACC__WAIT_AFTER_HEADER(rw_frame, w);

#define RW_RETURN(f, value)                    \
    do {                                       \
        if ((f)->out != NULL)                  \
            *(f)->out = (value);               \
        return acc__return(&(f)->hdr);         \
    } while (0)

int acc_read__step(acc_frame *self)
{
    rw_frame *f = (rw_frame *)self;
    acc_task *t = self->task;
    ssize_t n;
    int r;

    switch (self->state) {
    case 0:
        if (t->cancelled)
            RW_RETURN(f, -ECANCELED);
        if (f->fd >= 0 && f->fd < acc__loop_current->io_cap && acc__loop_current->io[f->fd].rdrained &&
            (acc__loop_current->io[f->fd].kmask & ~acc__loop_current->io[f->fd].mask & ACC_READABLE))
            goto wait; /* the last read was short: do not ask for an EAGAIN */
        break;
    default:
        r = acc__fdwait_end(&f->w);
        if (r < 0)
            RW_RETURN(f, r);
        break;
    }
    for (;;) {
        n = read(f->fd, f->buf, f->n);
        if (n >= 0) {
            if (f->fd < acc__loop_current->io_cap)
                acc__loop_current->io[f->fd].rdrained = n > 0 && (size_t)n < f->n;
            RW_RETURN(f, n);
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            RW_RETURN(f, -errno);
    wait:
        r = acc__fdwait_start(&f->w, t, f->fd, ACC_READABLE);
        if (r < 0)
            RW_RETURN(f, r);
        self->state = 1;
        return ACC_PENDING;
    }
}

ACC__SLOT_FITS(rw_frame, acc_read__slot);
ACC__SLOT_FITS(rw_frame, acc_write__slot);

/* Fill a read or write frame in `mem` (a slot, or NULL: allocate one). */
static acc_frame *rw_init(void *mem, ssize_t *acc_out, int fd, const void *buf, size_t n,
                          acc_resume_fn step)
{
    rw_frame *f = mem ? mem : (rw_frame *)acc__frame_alloc(sizeof *f);

    if (f == NULL)
        return NULL;
    f->hdr.resume = step;
    f->hdr.state = 0;
    f->out = acc_out;
    f->fd = fd;
    f->not_socket = 0;
    f->buf = (char *)buf;
    f->n = n;
    f->done = 0;
    return &f->hdr;
}

acc_frame *acc_read__init(acc_read__slot *slot, ssize_t *acc_out, int fd, void *buf, size_t n)
{
    return rw_init(slot, acc_out, fd, buf, n, acc_read__step);
}

acc_frame *acc_read__coro(ssize_t *acc_out, int fd, void *buf, size_t n)
{
    return rw_init(NULL, acc_out, fd, buf, n, acc_read__step);
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

int acc_write__step(acc_frame *self)
{
    rw_frame *f = (rw_frame *)self;
    acc_task *t = self->task;
    ssize_t n;
    int r;

    switch (self->state) {
    case 0:
        if (t->cancelled)
            RW_RETURN(f, -ECANCELED);
        break;
    default:
        r = acc__fdwait_end(&f->w);
        if (r < 0)
            RW_RETURN(f, r);
        break;
    }
    while (f->done < f->n) {
        if (!f->not_socket) {
            n = send(f->fd, f->buf + f->done, f->n - f->done, MSG_NOSIGNAL);
            if (n < 0 && errno == ENOTSOCK) {
                f->not_socket = 1;
                continue;
            }
        } else {
            n = write_nosigpipe(f->fd, f->buf + f->done, f->n - f->done);
        }
        if (n >= 0) {
            f->done += (size_t)n;
            continue;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            RW_RETURN(f, -errno);
        r = acc__fdwait_start(&f->w, t, f->fd, ACC_WRITABLE);
        if (r < 0)
            RW_RETURN(f, r);
        self->state = 1;
        return ACC_PENDING;
    }
    RW_RETURN(f, (ssize_t)f->n);
}

acc_frame *acc_write__init(acc_write__slot *slot, ssize_t *acc_out, int fd, const void *buf, size_t n)
{
    return rw_init(slot, acc_out, fd, buf, n, acc_write__step);
}

acc_frame *acc_write__coro(ssize_t *acc_out, int fd, const void *buf, size_t n)
{
    return rw_init(NULL, acc_out, fd, buf, n, acc_write__step);
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
