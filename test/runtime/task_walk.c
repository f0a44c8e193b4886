// RUN: %crun %s | FileCheck %s
// RUN: env ACC_BACKEND=poll %crun %s | FileCheck %s
//
// The loop finds its tasks by walking its thread's task slabs, and its
// list of tasks in blocks from malloc (docs/runtime.md, "Frames and
// tasks"): tasks released out of order leave free blocks among live
// ones; acc_run still cancels the tasks left, oldest first. Attaching a
// task takes no memory, so a gather whose children exist starts them all
// even while every allocation fails. Root frames built in their task's
// block on another thread are moved to a block of the loop's thread when
// spawned, or given back to their slab when discarded. 300000 tasks at
// once; nothing leaks (valgrind and the sanitizers).
#include <pthread.h>
#include <acc.h>
#include <stdio.h>

#include "Inputs/hand_coro.h"

void acc__fail_alloc_after(long n); // libacc's test hook

static int order[1000], norder; // sleepers cancelled by acc_run, in order
static int ran;                 // children of the failed gather that ran
static int yielded;             // the many tasks that finished

/* async void sleeper(int id): sleeps an hour; logs its cancellation */
typedef struct { acc_frame hdr; int *acc_out; int id, r; } sleeper_frame;
static int sleeper_step(acc_frame *self)
{
    sleeper_frame *f = (sleeper_frame *)self;
    BEGIN
    AWAIT(1, acc_sleep__coro(&f->r, 3600))
    if (f->r == -ECANCELED && norder < 1000)
        order[norder++] = f->id;
    END(0)
}
static acc_frame *sleeper(int id)
{
    int *acc_out = NULL;
    NEW(sleeper_frame, sleeper_step)
    f->id = id;
    return &f->hdr;
}

/* async void yielder(void): yields once, counts */
typedef struct { acc_frame hdr; int *acc_out; } yielder_frame;
static int yielder_step(acc_frame *self)
{
    yielder_frame *f = (yielder_frame *)self;
    BEGIN
    AWAIT(1, acc_yield__coro(NULL))
    yielded++;
    END(0)
}
static acc_frame *yielder(void)
{
    int *acc_out = NULL;
    NEW(yielder_frame, yielder_step)
    return &f->hdr;
}

/* async void child(void): counts that it ran */
typedef struct { acc_frame hdr; int *acc_out; } child_frame;
static int child_step(acc_frame *self)
{
    child_frame *f = (child_frame *)self;
    BEGIN
    ran++;
    END(0)
}
static acc_frame *child(void)
{
    int *acc_out = NULL;
    NEW(child_frame, child_step)
    return &f->hdr;
}

/* async void visitor(int id, double s): a root frame in its task's
 * block, as acc_spawn(f(x)) makes for f defined above; yields, sleeps
 * (in the block too), logs */
static int visited[4], nvisited, visitors_cancelled;
typedef struct { acc_frame hdr; int *acc_out; int id, r; double s; } visitor_frame;
static int visitor_step(acc_frame *self)
{
    visitor_frame *f = (visitor_frame *)self;
    BEGIN
    AWAIT(1, acc_yield__coro(NULL))
    AWAIT(2, acc_sleep__coro(&f->r, f->s))
    if (f->r == -ECANCELED)
        visitors_cancelled++;
    else
        visited[nvisited++] = f->id;
    END(0)
}
static acc_frame *visitor(int id, double s)
{
    visitor_frame *f = acc__root_alloc(sizeof *f);
    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = visitor_step; /* acc_caller and acc_size are the block's */
    f->hdr.acc_state = 0;
    f->acc_out = NULL;
    f->id = id;
    f->s = s;
    return &f->hdr;
}

/* Built on another thread: three to spawn and join, one to leave asleep
 * for acc_run to find and cancel, one to discard. */
static acc_frame *built[5];
static void *build(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++)
        built[i] = visitor(i, i == 3 ? 3600 : 0.001);
    return NULL;
}

#define FIRST 500 // sleepers spawned first; 4 in 5 are then released
#define MORE 300  // spawned after, into the free blocks
#define KIDS 2000 // a gather's children
#define MANY 300000 // tasks at once

typedef struct {
    acc_frame hdr;
    int *acc_out;
    int i, r;
    acc_task *t[FIRST];
    acc_frame *kids[KIDS];
    acc_frame *g;
    acc_task *v[3];
} main_frame;
static int main_step(acc_frame *self)
{
    main_frame *f = (main_frame *)self;
    BEGIN
    for (f->i = 0; f->i < FIRST; f->i++)
        f->t[f->i] = acc_spawn(sleeper(f->i));
    AWAIT(1, acc_yield__coro(NULL))
    // release 4 in 5, from the last: holes everywhere but every fifth
    for (f->i = FIRST - 1; f->i >= 0; f->i--) {
        if (f->i % 5 == 0) {
            acc_detach(f->t[f->i]);
            continue;
        }
        acc_cancel(f->t[f->i]);
        AWAIT(2, acc_join__coro(&f->r, f->t[f->i]))
    }
    printf("released: %d\n", norder);
    // CHECK: released: 400
    norder = 0;
    for (f->i = FIRST; f->i < FIRST + MORE; f->i++)
        acc_detach(acc_spawn(sleeper(f->i)));
    AWAIT(3, acc_yield__coro(NULL))

    // The gather's children exist before allocations fail; attaching
    // them takes nothing.
    for (f->i = 0; f->i < KIDS; f->i++)
        f->kids[f->i] = child();
    f->g = acc_gather__coro(&f->r, KIDS, f->kids);
    acc__fail_alloc_after(0);
    AWAIT(4, f->g)
    acc__fail_alloc_after(-1);
    printf("gather: %d, children that ran: %d\n", f->r, ran);
    // CHECK-NEXT: gather: 0, children that ran: 2000

    for (f->i = 0; f->i < 3; f->i++)
        f->v[f->i] = acc_spawn(built[f->i]);
    for (f->i = 0; f->i < 3; f->i++) {
        AWAIT(6, acc_join__coro(&f->r, f->v[f->i]))
    }
    printf("visitors: %d %d %d\n", visited[0], visited[1], visited[2]);
    // CHECK-NEXT: visitors: 0 1 2
    acc_detach(acc_spawn(built[3]));

    for (f->i = 0; f->i < MANY; f->i++)
        acc_detach(acc_spawn(yielder()));
    while (yielded < MANY) {
        AWAIT(5, acc_yield__coro(NULL))
    }
    printf("many: %d\n", yielded);
    // CHECK-NEXT: many: 300000
    END(0)
}

static acc_frame *main_coro(int *acc_out)
{
    NEW(main_frame, main_step)
    return &f->hdr;
}

int main(void)
{
    int in_order = 1;
    pthread_t builder;
    if (pthread_create(&builder, NULL, build, NULL) != 0 || pthread_join(builder, NULL) != 0)
        return 1;
    printf("acc_run: %d\n", acc_run(main_coro(NULL)));
    // CHECK-NEXT: acc_run: 0
    for (int i = 1; i < norder; i++)
        in_order &= order[i - 1] < order[i];
    printf("cancelled at the end: %d, oldest first: %s\n", norder, in_order ? "yes" : "no");
    // CHECK-NEXT: cancelled at the end: 400, oldest first: yes
    printf("first %d, last %d\n", order[0], order[norder - 1]);
    // CHECK-NEXT: first 0, last 799
    printf("visitors cancelled at the end: %d\n", visitors_cancelled);
    // CHECK-NEXT: visitors cancelled at the end: 1
    printf("spawned outside a loop: %s\n", acc_spawn(built[4]) == NULL && errno == EINVAL ? "EINVAL" : "?");
    // CHECK-NEXT: spawned outside a loop: EINVAL
    return 0;
}
