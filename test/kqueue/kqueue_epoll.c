/*
 * kqueue_epoll.c: kqueue(2) and kevent(2) emulated on Linux's epoll, for
 * tests only: built into libacc by cmake -DACC_KQUEUE_SHIM=ON so that
 * runtime/src/backend_kqueue.c runs the runtime's tests on Linux
 * (ACC_BACKEND=kqueue). Written to the semantics of FreeBSD's and
 * macOS's kqueue(2) manual pages, for the part the backend uses.
 *
 * Emulated:
 *   - kqueue() returns a descriptor (an epoll instance; close() frees it).
 *   - A knote is identified by (ident, filter), one per pair: EV_ADD of
 *     an existing one modifies it (its udata), never duplicates it.
 *     EVFILT_READ and EVFILT_WRITE on descriptors, each its own knote.
 *   - Changes are applied in order before any event is read. A change
 *     that fails (EBADF: ident is not an open descriptor; ENOENT: no such
 *     knote to delete or modify; EINVAL: a filter or flag not emulated)
 *     becomes an EV_ERROR entry (data = errno) in the eventlist while
 *     there is room, and kevent then returns the number of such entries
 *     without waiting; with no room, kevent returns -1 with errno and the
 *     changes after it are not applied. EV_RECEIPT makes every change an
 *     EV_ERROR entry (data 0 on success).
 *   - Level-triggered: a knote whose condition still holds is reported by
 *     every kevent. EVFILT_READ fires on data, on a pending connection, on
 *     hang-up (EV_EOF set: the peer shut its writing side or closed) and
 *     on a socket error; EVFILT_WRITE on room to write, and on hang-up or
 *     error (EV_EOF set). Both filters of a descriptor may come back from
 *     one call, as two entries.
 *   - Closing a descriptor removes its knotes: a later EV_DELETE fails
 *     (EBADF, or ENOENT once the number is reused) and EV_ADD on the
 *     reused number starts afresh.
 *   - nevents 0: return after the changes, without waiting. timeout NULL:
 *     wait until an event; {0, 0}: poll; otherwise at most that long (a
 *     negative or unnormalized timespec: EINVAL). A signal ends the wait
 *     with -1 and EINTR (the changes are applied by then).
 *
 * Test hooks, in no kernel (declared in the shim's <sys/event.h>):
 * kqueue_shim_fail_next_add makes the next EV_ADD of a filter fail, as a
 * kernel may refuse one filter of a descriptor and take the other;
 * kqueue_shim_knotes counts the knotes the open kqueues hold for a
 * descriptor.
 *
 * Not emulated:
 *   - Other filters (EVFILT_TIMER, EVFILT_PROC, EVFILT_VNODE, ...) and the
 *     flags EV_DISABLE, EV_ONESHOT, EV_CLEAR, EV_DISPATCH: not declared by
 *     the shim's <sys/event.h>, and refused with EINVAL at run time.
 *     EV_ADD with EV_DELETE is refused with EINVAL too.
 *   - data and fflags of an event are 0 (no byte counts, no socket error
 *     with EV_EOF); returned flags are only EV_EOF.
 *   - Regular files and directories, which kqueue reports as always
 *     ready, are refused by epoll (EV_ADD fails with EPERM).
 *   - Readiness is what Linux's poll of the file says, so a direction the
 *     descriptor does not have (the write filter of a pipe's read end)
 *     fires on hang-up, where FreeBSD would never report it.
 *   - epoll ties interest to the open file, not the descriptor: if a
 *     closed descriptor's file lives on in a dup (or a forked child),
 *     epoll may still report it under the old number.
 *   - kqueue is not inherited by fork(); this epoll is (the backend sets
 *     FD_CLOEXEC, so exec drops it). The shim cannot see a close() of
 *     the kqueue: its bookkeeping (mapped outside malloc's heap, see
 *     map_grow) is kept until kqueue() returns that number again, and a
 *     kevent on the closed number is not refused with EBADF.
 *   - One call returns at most 64 descriptors' worth of events (more wait
 *     for the next call, as a short eventlist would make them).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/event.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum { READ_KNOTE = 1, WRITE_KNOTE = 2 };

typedef struct knotes {     /* the knotes of one descriptor */
    unsigned filters;       /* READ_KNOTE | WRITE_KNOTE registered */
    void *udata[2];         /* [0] read, [1] write */
} knotes;

typedef struct kq {
    int epfd;               /* the kqueue's descriptor; one epoll item per ident */
    knotes *fd;             /* indexed by ident */
    int cap;
    unsigned turn;          /* alternates which knote of a descriptor goes first */
    pthread_mutex_t lock;
} kq;

/* kqueue descriptor -> its state. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static kq **registry;
static int registry_cap;

/* The shim's bookkeeping stands in for a kernel's: it is mapped with mmap,
 * outside malloc's heap, so that a test measuring the program's heap
 * (test/run/soak_echo.acc, mallinfo2) sees what it would on a real
 * kqueue. New pages come zeroed. */
static void *map_grow(void *old, size_t old_size, size_t new_size)
{
    void *p = old != NULL ? mremap(old, old_size, new_size, MREMAP_MAYMOVE)
                          : mmap(NULL, new_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void kq_free(kq *q)
{
    pthread_mutex_destroy(&q->lock);
    if (q->fd != NULL)
        munmap(q->fd, (size_t)q->cap * sizeof *q->fd);
    munmap(q, sizeof *q);
}

static unsigned to_epoll(unsigned filters)
{
    return (filters & READ_KNOTE ? EPOLLIN | EPOLLRDHUP : 0u) | (filters & WRITE_KNOTE ? EPOLLOUT : 0u);
}

static int knote_bit(short filter)
{
    return filter == EVFILT_READ ? READ_KNOTE : filter == EVFILT_WRITE ? WRITE_KNOTE : 0;
}

int kqueue(void)
{
    kq *q = map_grow(NULL, 0, sizeof *q);
    int fd, err;

    if (q == NULL) {
        errno = ENOMEM;
        return -1;
    }
    fd = epoll_create1(0);
    if (fd < 0) {
        err = errno;
        munmap(q, sizeof *q);
        errno = err;
        return -1;
    }
    q->epfd = fd;
    pthread_mutex_init(&q->lock, NULL);
    pthread_mutex_lock(&registry_lock);
    if (fd >= registry_cap) {
        int cap = registry_cap ? registry_cap : 16;
        kq **r;
        while (cap <= fd)
            cap *= 2;
        r = map_grow(registry, (size_t)registry_cap * sizeof *r, (size_t)cap * sizeof *r);
        if (r == NULL) {
            pthread_mutex_unlock(&registry_lock);
            close(fd);
            kq_free(q);
            errno = ENOMEM;
            return -1;
        }
        registry = r;
        registry_cap = cap;
    }
    if (registry[fd] != NULL) /* a kqueue closed with close(): its number is back */
        kq_free(registry[fd]);
    registry[fd] = q;
    pthread_mutex_unlock(&registry_lock);
    return fd;
}

static kq *find(int kqfd)
{
    kq *q = NULL;

    pthread_mutex_lock(&registry_lock);
    if (kqfd >= 0 && kqfd < registry_cap)
        q = registry[kqfd];
    pthread_mutex_unlock(&registry_lock);
    return q;
}

/* The descriptor's entry, grown as needed; NULL when out of memory. */
static knotes *entry(kq *q, int fd)
{
    if (fd >= q->cap) {
        int cap = q->cap ? q->cap : 64;
        knotes *k;
        while (cap <= fd)
            cap *= 2;
        k = map_grow(q->fd, (size_t)q->cap * sizeof *k, (size_t)cap * sizeof *k);
        if (k == NULL)
            return NULL;
        q->fd = k;
        q->cap = cap;
    }
    return &q->fd[fd];
}

/* Closing a descriptor drops its knotes; epoll has dropped its item then,
 * which EPOLL_CTL_MOD tells (ENOENT) even when the number was reused for
 * another file. Forget such an entry before using it. */
static void forget_if_closed(kq *q, int fd, knotes *k)
{
    struct epoll_event ev;

    if (k->filters == 0)
        return;
    memset(&ev, 0, sizeof ev);
    ev.events = to_epoll(k->filters);
    ev.data.fd = fd;
    if (epoll_ctl(q->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 && errno == ENOENT)
        k->filters = 0;
}

/* Make the descriptor's epoll interest `want`, from `had`. */
static int set_interest(kq *q, int fd, unsigned had, unsigned want)
{
    struct epoll_event ev;
    int op = had == 0 ? EPOLL_CTL_ADD : want == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;

    memset(&ev, 0, sizeof ev);
    ev.events = to_epoll(want);
    ev.data.fd = fd;
    return epoll_ctl(q->epfd, op, fd, &ev) < 0 ? errno : 0;
}

/* kqueue_shim_fail_next_add's refusal to come. */
static pthread_mutex_t hook_lock = PTHREAD_MUTEX_INITIALIZER;
static short fail_filter;
static int fail_err;

void kqueue_shim_fail_next_add(short filter, int err)
{
    pthread_mutex_lock(&hook_lock);
    fail_filter = filter;
    fail_err = err;
    pthread_mutex_unlock(&hook_lock);
}

/* The errno a test asked for this EV_ADD, or 0. */
static int refusal(const struct kevent *ch)
{
    int err = 0;

    pthread_mutex_lock(&hook_lock);
    if (fail_err != 0 && (ch->flags & EV_ADD) && ch->filter == fail_filter) {
        err = fail_err;
        fail_err = 0;
    }
    pthread_mutex_unlock(&hook_lock);
    return err;
}

int kqueue_shim_knotes(int fd)
{
    int n = 0;

    pthread_mutex_lock(&registry_lock);
    for (int i = 0; i < registry_cap; i++) {
        kq *q = registry[i];
        if (q == NULL || fcntl(i, F_GETFD) < 0)
            continue; /* a kqueue closed with close() */
        pthread_mutex_lock(&q->lock);
        if (fd >= 0 && fd < q->cap)
            n += (q->fd[fd].filters & READ_KNOTE ? 1 : 0) + (q->fd[fd].filters & WRITE_KNOTE ? 1 : 0);
        pthread_mutex_unlock(&q->lock);
    }
    pthread_mutex_unlock(&registry_lock);
    return n;
}

/* Apply one change; 0 or an errno. */
static int apply(kq *q, const struct kevent *ch)
{
    unsigned bit = (unsigned)knote_bit(ch->filter);
    unsigned short known = EV_ADD | EV_DELETE | EV_ENABLE | EV_RECEIPT;
    unsigned want;
    int fd, slot, err;
    knotes *k;

    if (bit == 0 || (ch->flags & ~known) != 0 || (ch->flags & (EV_ADD | EV_DELETE)) == (EV_ADD | EV_DELETE))
        return EINVAL;
    if (ch->ident > INT_MAX || fcntl((int)ch->ident, F_GETFD) < 0)
        return EBADF;
    err = refusal(ch);
    if (err != 0)
        return err;
    fd = (int)ch->ident;
    slot = bit == READ_KNOTE ? 0 : 1;
    k = entry(q, fd);
    if (k == NULL)
        return ENOMEM;
    forget_if_closed(q, fd, k);
    if (ch->flags & EV_ADD)
        want = k->filters | bit;
    else if (!(k->filters & bit))
        return ENOENT; /* nothing to delete or modify */
    else if (ch->flags & EV_DELETE)
        want = k->filters & ~bit;
    else
        want = k->filters; /* EV_ENABLE: an added knote is enabled already */
    if (want != k->filters) {
        err = set_interest(q, fd, k->filters, want);
        if (err != 0)
            return err;
        k->filters = want;
    }
    if (ch->flags & EV_ADD)
        k->udata[slot] = ch->udata;
    return 0;
}

/* The epoll wait's timeout, rounded up to whole milliseconds; -1 forever. */
static int remaining_ms(const struct timespec *deadline)
{
    struct timespec now;
    long long ms;

    if (deadline == NULL)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (long long)(deadline->tv_sec - now.tv_sec) * 1000 +
         (deadline->tv_nsec - now.tv_nsec + 999999) / 1000000;
    if (ms <= 0)
        return 0;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* Turn what epoll reported into kevents, at most `room`. */
static int to_kevents(kq *q, const struct epoll_event *ev, int n, struct kevent *out, int room)
{
    int k = 0;
    unsigned first = q->turn++ & 1; /* with room for one only, neither filter starves */

    for (int i = 0; i < n && k < room; i++) {
        int fd = ev[i].data.fd;
        unsigned e = ev[i].events;
        unsigned filters = fd < q->cap ? q->fd[fd].filters : 0;

        for (int j = 0; j < 2 && k < room; j++) {
            int slot = (int)(first ^ (unsigned)j);
            unsigned fires = slot == 0 ? EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR
                                       : EPOLLOUT | EPOLLHUP | EPOLLERR;
            unsigned eof = slot == 0 ? EPOLLRDHUP | EPOLLHUP : EPOLLHUP | EPOLLERR;

            if (!(filters & (slot == 0 ? READ_KNOTE : WRITE_KNOTE)) || !(e & fires))
                continue;
            out[k].ident = (uintptr_t)fd;
            out[k].filter = slot == 0 ? EVFILT_READ : EVFILT_WRITE;
            out[k].flags = (e & eof) ? EV_EOF : 0;
            out[k].fflags = 0;
            out[k].data = 0;
            out[k].udata = q->fd[fd].udata[slot];
            k++;
        }
    }
    return k;
}

int kevent(int kqfd, const struct kevent *changelist, int nchanges,
           struct kevent *eventlist, int nevents, const struct timespec *timeout)
{
    kq *q = find(kqfd);
    struct timespec deadline, *dl = NULL;
    int nerrors = 0;

    if (q == NULL) {
        errno = EBADF;
        return -1;
    }
    if (nchanges < 0 || nevents < 0) {
        errno = EINVAL;
        return -1;
    }

    pthread_mutex_lock(&q->lock);
    for (int i = 0; i < nchanges; i++) {
        struct kevent ch = changelist[i]; /* the eventlist may be the same array */
        int err = apply(q, &ch);

        if (err == 0 && !(ch.flags & EV_RECEIPT))
            continue;
        if (nerrors == nevents) {
            if (err == 0)
                continue; /* a receipt with no room: nothing to say */
            pthread_mutex_unlock(&q->lock);
            errno = err;
            return -1;
        }
        ch.flags = EV_ERROR;
        ch.data = err;
        eventlist[nerrors++] = ch;
    }
    pthread_mutex_unlock(&q->lock);
    if (nerrors > 0)
        return nerrors;
    if (nevents == 0)
        return 0;

    if (timeout != NULL) {
        if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000L) {
            errno = EINVAL;
            return -1;
        }
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += timeout->tv_sec;
        deadline.tv_nsec += timeout->tv_nsec;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        dl = &deadline;
    }
    for (;;) {
        struct epoll_event ev[64];
        int max = nevents / 2 > 0 ? nevents / 2 : 1; /* two knotes per item fit */
        int ms = remaining_ms(dl);
        int n, k;

        n = epoll_wait(q->epfd, ev, max < 64 ? max : 64, ms);
        if (n < 0)
            return -1; /* EINTR included */
        if (n == 0)
            return 0; /* timed out */
        pthread_mutex_lock(&q->lock);
        k = to_kevents(q, ev, n, eventlist, nevents);
        pthread_mutex_unlock(&q->lock);
        if (k > 0)
            return k;
        /* Only items no knote wants (a file that outlived its descriptor
         * elsewhere): wait on for what is left of the timeout. */
        if (ms == 0)
            return 0;
    }
}
