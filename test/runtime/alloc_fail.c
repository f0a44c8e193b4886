// RUN: %crun %s | FileCheck %s
// RUN: env ACC_BACKEND=poll %crun %s | FileCheck %s
//
// Allocation failures: acc__fail_alloc_after(n) (a test hook of libacc)
// makes every runtime allocation after the next n fail. A scenario that
// uses every allocating runtime call is run with n = 0, 1, 2, ... until
// it gets through untouched. Each time, every call either works or
// reports ENOMEM: acc_run -ENOMEM, an entry function (the frame of a
// coroutine call) NULL with errno ENOMEM, acc_spawn and acc_queue_new
// NULL with errno ENOMEM, an await -ENOMEM (acc_to_thread: NULL, errno
// ENOMEM). Nothing leaks (the sanitizer and valgrind runs check memory;
// the descriptor count is checked here) and nothing hangs.
#include <acc.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

void acc__fail_alloc_after(long n); // libacc's test hook
void acc__frame_discard(acc_frame *f); // frees a frame that never ran, whatever it is

// A coroutine that yields once, its frame with room for its task in
// front, as generated code makes the roots of acc_spawn, acc_gather and
// acc_wait_for; it awaits the yield leaf in a slot of its frame.
typedef struct yield_root {
    acc_frame hdr;
    acc_yield__slot y;
} yield_root;

static int yield_root_step(acc_frame *self)
{
    yield_root *f = (yield_root *)self;
    if (self->acc_state == 0) {
        self->acc_state = 1;
        if (acc_yield__step(acc_yield__init(&f->y), NULL) == ACC_PENDING)
            return ACC_PENDING;
    } else if (acc_yield__step(&f->y, NULL) == ACC_PENDING) {
        return ACC_PENDING;
    }
    return acc__return(self);
}

static acc_frame *yield_in_block(void)
{
    yield_root *f = acc__root_alloc(sizeof *f);
    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = yield_root_step;
    f->hdr.acc_state = 0;
    return &f->hdr;
}

static int bad;      // calls that failed with something other than ENOMEM
static int enomem;   // calls that failed with ENOMEM in this run
static int finished; // the scenario reached its end

#define EXPECT(cond, what)                                                  \
    do {                                                                    \
        if (!(cond)) {                                                      \
            bad++;                                                          \
            printf("unexpected: %s (line %d)\n", what, __LINE__);           \
        }                                                                   \
    } while (0)
#define OK_OR_ENOMEM(r, good, what)                                         \
    do {                                                                    \
        if ((r) == -ENOMEM)                                                 \
            enomem++;                                                       \
        else                                                                \
            EXPECT(good, what);                                             \
    } while (0)

#define BEGIN switch (self->acc_state) { case 0:
/* await the coroutine call `call`; if its frame cannot be made, count an
 * ENOMEM and skip to label k. */
#define AWAIT(k, call)                                                      \
    f->c = (call);                                                          \
    if (f->c == NULL) {                                                     \
        EXPECT(errno == ENOMEM, "NULL frame without ENOMEM");               \
        enomem++;                                                           \
        f->skipped = 1;                                                     \
        goto resume_##k;                                                    \
    }                                                                       \
    f->skipped = 0;                                                         \
    self->acc_state = k;                                                        \
    if (acc__await(self, f->c) == ACC_PENDING)                              \
        return ACC_PENDING;                                                 \
    goto resume_##k;                                                        \
    case k:                                                                 \
    resume_##k:;
#define END                                                                 \
    return acc__return(self);                                               \
    }                                                                       \
    return ACC_DONE;

/* async void setter(acc_event *ev, acc_sem *s) */
typedef struct { acc_frame hdr; acc_event *ev; acc_sem *s; acc_frame *c; int skipped, r; } setter_frame;
static int setter_step(acc_frame *self)
{
    setter_frame *f = (setter_frame *)self;
    BEGIN
    AWAIT(1, acc_yield__coro(&f->r))
    acc_event_set(f->ev);
    acc_sem_release(f->s);
    END
}
static acc_frame *setter(acc_event *ev, acc_sem *s)
{
    setter_frame *f = (setter_frame *)acc__frame_alloc(sizeof *f);
    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = setter_step;
    f->hdr.acc_state = 0;
    f->ev = ev;
    f->s = s;
    return &f->hdr;
}

static void *twice(void *arg)
{
    return (char *)arg + 1;
}

typedef struct {
    acc_frame hdr;
    acc_frame *c;
    int skipped;
    int r, fd, lfd, port;
    ssize_t n;
    void *p;
    char buf[8];
    acc_event ev;
    acc_sem sem;
    acc_queue *q;
    acc_task *t;
    acc_frame *kids[2];
} scenario_frame;

static int scenario_step(acc_frame *self)
{
    scenario_frame *f = (scenario_frame *)self;
    BEGIN
    AWAIT(1, acc_sleep__coro(&f->r, 0.001))
    if (!f->skipped) OK_OR_ENOMEM(f->r, f->r == 0, "sleep");
    AWAIT(2, acc_yield__coro(&f->r))
    if (!f->skipped) OK_OR_ENOMEM(f->r, f->r == 0, "yield");

    /* descriptors: a socket, so that the table and the backend grow */
    f->lfd = acc_listen("127.0.0.1", 0, 4);
    EXPECT(f->lfd >= 0, "listen");
    f->port = acc_local_port(f->lfd);
    f->fd = -1;
    f->n = 0;
    AWAIT(3, acc_connect__coro(&f->fd, "localhost", f->port))
    if (!f->skipped) OK_OR_ENOMEM(f->fd, f->fd >= 0, "connect by name");
    if (f->fd < 0) {
        f->fd = -1;
        AWAIT(4, acc_connect__coro(&f->fd, "127.0.0.1", f->port))
        if (!f->skipped) OK_OR_ENOMEM(f->fd, f->fd >= 0, "connect");
    }
    if (f->fd >= 0) {
        AWAIT(5, acc_wait_fd__coro(&f->r, f->fd, ACC_WRITABLE))
        if (!f->skipped) OK_OR_ENOMEM(f->r, f->r == ACC_WRITABLE, "wait_fd");
        AWAIT(6, acc_write__coro(&f->n, f->fd, "abc", 3))
        if (!f->skipped) OK_OR_ENOMEM(f->n, f->n == 3, "write");
    }
    AWAIT(7, acc_accept__coro(&f->r, f->lfd))
    if (!f->skipped)
        OK_OR_ENOMEM(f->r, f->r >= 0, "accept");
    if (!f->skipped && f->r >= 0) {
        if (f->fd >= 0 && f->n == 3) {
            AWAIT(8, acc_read__coro(&f->n, f->r, f->buf, sizeof f->buf))
            if (!f->skipped) OK_OR_ENOMEM(f->n, f->n == 3, "read");
        }
        acc_close(f->r);
    }

    /* threads */
    errno = 0;
    f->p = (void *)1;
    AWAIT(9, acc_to_thread__coro(&f->p, twice, f->buf))
    if (!f->skipped) {
        if (f->p == NULL) {
            EXPECT(errno == ENOMEM, "to_thread NULL without ENOMEM");
            enomem++;
        } else
            EXPECT(f->p == f->buf + 1, "to_thread result");
    }

    /* event and semaphore, with a spawned task */
    acc_event_init(&f->ev);
    acc_sem_init(&f->sem, 0);
    acc_task *y = acc_spawn(yield_in_block());
    if (y == NULL) {
        EXPECT(errno == ENOMEM, "spawn of a root in a block: NULL without ENOMEM");
        enomem++;
    } else
        acc_detach(y);
    f->t = acc_spawn(setter(&f->ev, &f->sem));
    if (f->t == NULL) {
        EXPECT(errno == ENOMEM, "spawn NULL without ENOMEM");
        enomem++;
        acc_event_set(&f->ev);
        acc_sem_release(&f->sem);
    }
    AWAIT(10, acc_event_wait__coro(&f->r, &f->ev))
    if (!f->skipped) EXPECT(f->r == 0, "event wait");
    AWAIT(11, acc_sem_acquire__coro(&f->r, &f->sem))
    if (!f->skipped) EXPECT(f->r == 0, "sem acquire");
    if (f->skipped)
        acc_sem_release(&f->sem); /* nobody took it */
    if (f->t != NULL) {
        AWAIT(12, acc_join__coro(&f->r, f->t))
        if (f->skipped)
            acc_detach(f->t);
        else
            EXPECT(f->r == 0, "join");
    }

    /* queue */
    f->q = acc_queue_new(0);
    if (f->q == NULL) {
        EXPECT(errno == ENOMEM, "queue_new NULL without ENOMEM");
        enomem++;
    } else {
        AWAIT(13, acc_queue_put__coro(&f->r, f->q, f))
        if (!f->skipped) OK_OR_ENOMEM(f->r, f->r == 0, "put");
        if (!f->skipped && f->r == 0) {
            AWAIT(14, acc_queue_get__coro(&f->r, f->q, &f->p))
            if (!f->skipped) EXPECT(f->r == 0 && f->p == f, "get");
        }
        acc_queue_free(f->q);
    }

    /* the forms */
    AWAIT(15, acc_wait_for__coro(&f->r, acc_sleep__coro(NULL, 10), 0.001))
    if (!f->skipped) OK_OR_ENOMEM(f->r, f->r == -ETIMEDOUT, "wait_for");
    f->kids[0] = acc_sleep__coro(NULL, 0.001);
    f->kids[1] = yield_in_block();
    if (f->kids[0] == NULL || f->kids[1] == NULL) {
        acc__frame_discard(f->kids[0]);
        acc__frame_discard(f->kids[1]);
        enomem++;
    } else {
        AWAIT(16, acc_gather__coro(&f->r, 2, f->kids))
        if (!f->skipped) OK_OR_ENOMEM(f->r, f->r == 0, "gather");
    }

    if (f->fd >= 0)
        acc_close(f->fd);
    acc_close(f->lfd);
    finished = 1;
    END
}

static acc_frame *scenario(void)
{
    scenario_frame *f = (scenario_frame *)acc__frame_alloc(sizeof *f);
    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = scenario_step;
    f->hdr.acc_state = 0;
    return &f->hdr;
}

static int count_fds(void)
{
    int n = 0;
    DIR *d = opendir("/proc/self/fd");
    while (readdir(d) != NULL)
        n++;
    closedir(d);
    return n;
}

int main(void)
{
    int fds, runs, failed_runs = 0, r;

    /* One clean run first: the thread pool's threads exist from now on. */
    r = acc_run(scenario());
    printf("clean run: %d, finished %d, enomem %d, bad %d\n", r, finished, enomem, bad);
    fds = count_fds();
    for (runs = 0; runs < 1000; runs++) {
        finished = 0;
        enomem = 0;
        acc__fail_alloc_after(runs);
        r = acc_run(scenario());
        acc__fail_alloc_after(-1);
        if (r != 0) {
            EXPECT(r == -ENOMEM, "acc_run failed without ENOMEM");
            enomem++;
        }
        if (enomem == 0 && finished)
            break; /* got through: every allocation was tried */
        failed_runs++;
    }
    printf("runs with failures: %s, all ENOMEM: %s\n", failed_runs > 10 ? "many" : "few",
           bad == 0 ? "yes" : "no");
    printf("descriptors flat: %s\n", count_fds() == fds ? "yes" : "no");
    return 0;
}

// CHECK: clean run: 0, finished 1, enomem 0, bad 0
// CHECK-NEXT: runs with failures: many, all ENOMEM: yes
// CHECK-NEXT: descriptors flat: yes
