// RUN: %crun %s | FileCheck %s
// RUN: env ACC_BACKEND=poll %crun %s | FileCheck %s
//
// The loop's task table (docs/runtime.md, "Frames and tasks"): tasks
// released out of order leave holes, which are squeezed out when the
// table fills; acc_run still cancels the tasks left, oldest first, across
// the squeeze. A table of 300000 tasks (2.4 MB) moves from malloc to
// mapped regions as it grows. Room that cannot be had is reported before anything runs:
// a gather whose children cannot be attached returns -ENOMEM without
// running any of them, and nothing leaks (valgrind and the sanitizers).
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

#define FIRST 500 // sleepers spawned first; 4 in 5 are then released
#define MORE 300  // spawned after: the table fills and is squeezed
#define KIDS 2000 // a gather's children: more than the table has room for
#define MANY 300000 // tasks at once: a table of 2.4 MB

typedef struct {
    acc_frame hdr;
    int *acc_out;
    int i, r;
    acc_task *t[FIRST];
    acc_frame *kids[KIDS];
    acc_frame *g;
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
    // them needs a bigger table, which cannot be had.
    for (f->i = 0; f->i < KIDS; f->i++)
        f->kids[f->i] = child();
    f->g = acc_gather__coro(&f->r, KIDS, f->kids);
    acc__fail_alloc_after(0);
    AWAIT(4, f->g)
    acc__fail_alloc_after(-1);
    printf("gather: %s, children that ran: %d\n", f->r == -ENOMEM ? "-ENOMEM" : "?", ran);
    // CHECK-NEXT: gather: -ENOMEM, children that ran: 0

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
    printf("acc_run: %d\n", acc_run(main_coro(NULL)));
    // CHECK-NEXT: acc_run: 0
    for (int i = 1; i < norder; i++)
        in_order &= order[i - 1] < order[i];
    printf("cancelled at the end: %d, oldest first: %s\n", norder, in_order ? "yes" : "no");
    // CHECK-NEXT: cancelled at the end: 400, oldest first: yes
    printf("first %d, last %d\n", order[0], order[norder - 1]);
    // CHECK-NEXT: first 0, last 799
    return 0;
}
