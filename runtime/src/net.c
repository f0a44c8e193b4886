/*
 * net.c: TCP: acc_listen, acc_local_port, acc_accept and acc_connect.
 *
 * Every socket is created non-blocking and close-on-exec in one call, and
 * connected sockets get TCP_NODELAY (small writes are not held back).
 *
 * acc_accept retries what the kernel reports as errors of the connection
 * being accepted (ECONNABORTED, and the network errors Linux passes
 * through accept), and handles running out of descriptors without
 * spinning: the listening socket stays readable while connections queue,
 * so a caller that retries on -EMFILE would spin. libuv's answer is used:
 * the loop keeps a spare descriptor (opened at the first acc_accept);
 * on EMFILE it is closed, the pending connections are accepted and closed
 * at once (their peers see the connection end), and it is opened again.
 * The caller gets -EMFILE (or -ENFILE) and the next acc_accept on that
 * listener waits for a new connection before it calls accept4 (which
 * fails with EMFILE at once, queue or no queue: a caller that retries
 * would spin otherwise).
 *
 * acc_connect takes numeric addresses directly; any other name is looked
 * up with getaddrinfo on the thread pool (thread.c), so the loop never
 * blocks on DNS. Each address is tried in the order getaddrinfo gives
 * them; the result is the first socket that connects, or the error of the
 * last attempt.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"

/* getaddrinfo's errors as errno values (called right after it, errno
 * cleared before it). A name that does not resolve has no errno of its
 * own; EHOSTUNREACH says "cannot get there". Out of descriptors, glibc
 * says EAI_NONAME for "localhost" (it could not open /etc/hosts) but
 * leaves EMFILE in errno: that is the error. */
static int gai_errno(int e)
{
    switch (e) {
    case 0: return 0;
    case EAI_AGAIN: return -EAGAIN;
    case EAI_MEMORY: return -ENOMEM;
    case EAI_FAMILY: return -EAFNOSUPPORT;
    case EAI_SERVICE: return -EINVAL;
    case EAI_SYSTEM: return errno ? -errno : -EIO;
    default: /* EAI_NONAME, EAI_NODATA, EAI_FAIL, ... */
        return errno == EMFILE || errno == ENFILE ? -errno : -EHOSTUNREACH;
    }
}

static void set_nodelay(int fd)
{
    int one = 1;

    /* Fails for non-TCP sockets, which is fine. */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* ---- acc_listen, acc_local_port ---------------------------------------- */

int acc_listen(const char *host, int port, int backlog)
{
    struct addrinfo hints, *res = NULL, *ai;
    char service[8];
    int r, fd = -1, err = -EADDRNOTAVAIL, one = 1, zero = 0;

    if (port < 0 || port > 65535)
        return -EINVAL;
    if (host != NULL && (host[0] == '\0' || strcmp(host, "*") == 0))
        host = NULL;
    if (backlog <= 0)
        backlog = SOMAXCONN;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(service, sizeof service, "%d", port);
    errno = 0;
    r = getaddrinfo(host, service, &hints, &res);
    if (r != 0)
        return gai_errno(r);
    /* Every address (no host): IPv6's `::` first, made dual-stack, so
     * that one socket takes IPv4 and IPv6 connections (as asyncio's
     * server listens on both); IPv4's 0.0.0.0 where there is no IPv6. */
    for (int pass = host == NULL ? 0 : 1; pass < 2 && fd < 0; pass++) {
        for (ai = res; ai != NULL; ai = ai->ai_next) {
            if (host == NULL && (ai->ai_family == AF_INET6) != (pass == 0))
                continue;
            fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
            if (fd < 0) {
                err = -errno;
                continue;
            }
            (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            if (host == NULL && ai->ai_family == AF_INET6)
                (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, backlog) == 0)
                break;
            err = -errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd >= 0 && acc__loop_current != NULL)
        acc__io_forget(acc__loop_current, fd);
    return fd >= 0 ? fd : err;
}

int acc_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;

    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -errno;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -EAFNOSUPPORT;
}

/* ---- acc_accept --------------------------------------------------------- */

typedef struct accept_frame {
    acc_frame hdr;
    acc__fdwait w;
    int *out;
    int fd;
} accept_frame;

/* Out of descriptors: drop what is queued on fd so it stops being
 * readable (see the top of the file). */
static void shed_connections(acc__loop *loop, int fd)
{
    int c;

    if (loop->reserve_fd < 0)
        return;
    close(loop->reserve_fd);
    loop->reserve_fd = -1;
    while ((c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0 || errno == EINTR)
        if (c >= 0)
            close(c);
    loop->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static int accept_step(acc_frame *self)
{
    accept_frame *f = (accept_frame *)self;
    acc_task *t = acc__task_current();
    acc__loop *loop = acc__loop_current;
    int c, r;

    switch (self->acc_state) {
    case 0:
        if (t->cancelled)
            ACC__RETURN(f, f->out, -ECANCELED);
        if (loop->reserve_fd < 0)
            loop->reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        if (loop->shed_fd == f->fd) /* its queue was just shed: wait for a new one */
            goto wait;
        break;
    default:
        r = acc__fdwait_end(&f->w);
        if (r < 0)
            ACC__RETURN(f, f->out, r);
        break;
    }
    for (;;) {
        c = accept4(f->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c >= 0) {
            set_nodelay(c);
            acc__io_forget(acc__loop_current, c);
            if (loop->shed_fd == f->fd)
                loop->shed_fd = -1;
            ACC__RETURN(f, f->out, c);
        }
        switch (errno) {
        case EINTR:
        case ECONNABORTED: /* the peer gave up while queued */
        case EPROTO:       /* and network errors Linux passes on (accept(2)) */
        case ENETDOWN:
        case ENOPROTOOPT:
        case EHOSTDOWN:
        case ENONET:
        case EHOSTUNREACH:
        case ENETUNREACH:
            continue;
        case EAGAIN:
#if EWOULDBLOCK != EAGAIN
        case EWOULDBLOCK:
#endif
            goto wait;
        case EMFILE:
        case ENFILE:
            r = -errno;
            shed_connections(loop, f->fd);
            loop->shed_fd = f->fd;
            ACC__RETURN(f, f->out, r);
        default:
            ACC__RETURN(f, f->out, -errno);
        }
    }
wait:
    r = acc__fdwait_start(&f->w, t, f->fd, ACC_READABLE);
    if (r < 0)
        ACC__RETURN(f, f->out, r);
    self->acc_state = 1;
    return ACC_PENDING;
}

acc_frame *acc_accept__coro(int *acc_out, int listen_fd)
{
    accept_frame *f = (accept_frame *)acc__frame_alloc(sizeof *f);

    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = accept_step;
    f->hdr.acc_state = 0;
    f->out = acc_out;
    f->fd = listen_fd;
    return &f->hdr;
}

/* ---- acc_connect -------------------------------------------------------- */

/* A name look-up on the pool. It owns copies of its inputs, so an
 * abandoned look-up (the connecting task was cancelled) can finish on its
 * own and free itself. */
typedef struct lookup {
    struct addrinfo *res;
    int err;            /* negative errno, or 0 */
    char service[8];
    char host[];
} lookup;

static void *lookup_run(void *arg)
{
    lookup *l = arg;
    struct addrinfo hints;
    int r;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    errno = 0;
    r = getaddrinfo(l->host, l->service, &hints, &l->res);
    l->err = gai_errno(r);
    if (r != 0)
        l->res = NULL;
    return l;
}

static void lookup_free(void *arg, void *result)
{
    lookup *l = arg;

    (void)result;
    if (l->res != NULL)
        freeaddrinfo(l->res);
    free(l);
}

typedef struct connect_frame {
    acc_frame hdr;
    acc__fdwait w;
    int *out;
    const char *host;
    int port;
    int fd;                     /* socket being connected, or -1 */
    int err;                    /* error of the last attempt */
    lookup *look;               /* the look-up's results, once done */
    acc__job *job;              /* the look-up while it runs */
    struct addrinfo *next;      /* next address to try */
    struct sockaddr_storage addr; /* a numeric address */
    socklen_t addrlen;
    acc_waker waker;            /* woken by the look-up */
} connect_frame;

static void connect_cleanup(connect_frame *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
    if (f->look != NULL)
        lookup_free(f->look, NULL);
    f->look = NULL;
}

void acc__lookup_cancel(acc_task *t, void *wait)
{
    connect_frame *f = wait;
    void *result;

    acc__waker_end(&f->waker);
    if (acc__job_abandon(f->job, &result))
        f->look = result; /* finished just now: ours to free */
    f->job = NULL;
    acc__task_wake(t);
}

/* Start connecting to one address: 1 connected, 0 in progress, or a
 * negative errno. */
static int connect_one(connect_frame *f, const struct sockaddr *sa, socklen_t len)
{
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -errno;
    f->fd = fd;
    acc__io_forget(acc__loop_current, fd);
    if (connect(fd, sa, len) == 0)
        return 1;
    if (errno == EINPROGRESS || errno == EINTR)
        return 0; /* EINTR: the connection goes on asynchronously */
    return -errno;
}

static int connect_step(acc_frame *self)
{
    connect_frame *f = (connect_frame *)self;
    acc_task *t = acc__task_current();
    int r, soerr;
    socklen_t len;

    switch (self->acc_state) {
    case 0:
        if (t->cancelled)
            ACC__RETURN(f, f->out, -ECANCELED);
        if (f->port < 0 || f->port > 65535 || f->host == NULL)
            ACC__RETURN(f, f->out, -EINVAL);
        {
            struct sockaddr_in *v4 = (struct sockaddr_in *)&f->addr;
            struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&f->addr;
            memset(&f->addr, 0, sizeof f->addr);
            if (inet_pton(AF_INET, f->host, &v4->sin_addr) == 1) {
                v4->sin_family = AF_INET;
                v4->sin_port = htons((uint16_t)f->port);
                f->addrlen = sizeof *v4;
                goto numeric;
            }
            if (inet_pton(AF_INET6, f->host, &v6->sin6_addr) == 1) {
                v6->sin6_family = AF_INET6;
                v6->sin6_port = htons((uint16_t)f->port);
                f->addrlen = sizeof *v6;
                goto numeric;
            }
        }
        {
            size_t hl = strlen(f->host);
            lookup *l = acc__malloc(sizeof *l + hl + 1);
            if (l == NULL)
                ACC__RETURN(f, f->out, -ENOMEM);
            l->res = NULL;
            l->err = 0;
            snprintf(l->service, sizeof l->service, "%d", f->port);
            memcpy(l->host, f->host, hl + 1);
            acc__waker_init(&f->waker, t);
            f->job = acc__job_submit(acc__loop_current, lookup_run, l, lookup_free, &f->waker);
            if (f->job == NULL) {
                r = -errno;
                free(l);
                ACC__RETURN(f, f->out, r);
            }
        }
        self->acc_state = 1;
        acc__task_suspend(t, ACC__WAIT_LOOKUP, self);
        acc__waker_wait(&f->waker);
        return ACC_PENDING;

    case 1: /* the look-up finished, or the task was cancelled */
        acc__waker_end(&f->waker);
        if (f->job != NULL) {
            f->look = acc__job_finish(f->job);
            f->job = NULL;
        }
        if (t->cancelled) {
            connect_cleanup(f);
            ACC__RETURN(f, f->out, -ECANCELED);
        }
        if (f->look->err < 0) {
            r = f->look->err;
            connect_cleanup(f);
            ACC__RETURN(f, f->out, r);
        }
        f->next = f->look->res;
        f->err = -EHOSTUNREACH;
        goto next_address;

    numeric:
        r = connect_one(f, (struct sockaddr *)&f->addr, f->addrlen);
        if (r == 1)
            goto connected;
        if (r < 0) {
            connect_cleanup(f);
            ACC__RETURN(f, f->out, r);
        }
        goto wait;

    next_address:
        while (f->next != NULL) {
            struct addrinfo *ai = f->next;
            f->next = ai->ai_next;
            if (f->fd >= 0)
                close(f->fd);
            f->fd = -1;
            r = connect_one(f, ai->ai_addr, ai->ai_addrlen);
            if (r == 1)
                goto connected;
            if (r == 0)
                goto wait;
            f->err = r;
        }
        r = f->err;
        connect_cleanup(f);
        ACC__RETURN(f, f->out, r);

    wait:
        r = acc__fdwait_start(&f->w, t, f->fd, ACC_WRITABLE);
        if (r < 0) {
            connect_cleanup(f);
            ACC__RETURN(f, f->out, r);
        }
        self->acc_state = 2;
        return ACC_PENDING;

    case 2: /* writable: connected, or failed */
        r = acc__fdwait_end(&f->w);
        if (r < 0) {
            connect_cleanup(f);
            ACC__RETURN(f, f->out, r);
        }
        soerr = 0;
        len = sizeof soerr;
        if (getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
            soerr = errno;
        if (soerr == 0)
            goto connected;
        f->err = -soerr;
        if (f->look == NULL) { /* a numeric address: nothing else to try */
            connect_cleanup(f);
            ACC__RETURN(f, f->out, -soerr);
        }
        goto next_address;

    connected:
        r = f->fd;
        f->fd = -1;
        set_nodelay(r);
        connect_cleanup(f);
        ACC__RETURN(f, f->out, r);
    }
    return ACC_DONE;
}

acc_frame *acc_connect__coro(int *acc_out, const char *host, int port)
{
    connect_frame *f = (connect_frame *)acc__frame_alloc(sizeof *f);

    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = connect_step;
    f->hdr.acc_state = 0;
    f->out = acc_out;
    f->host = host;
    f->port = port;
    f->fd = -1;
    f->err = 0;
    f->look = NULL;
    f->job = NULL;
    f->next = NULL;
    return &f->hdr;
}
