// RUN: %crun %s | FileCheck %s
// RUN: env ACC_BACKEND=poll %crun %s | FileCheck %s
//
// Ordering (SPEC 2): ready tasks run FIFO, a yield goes to the back of the
// queue, spawned tasks start at the next turn in spawn order, and timers
// with the same duration armed one after another fire in arming order.
#include <acc.h>
#include <stdio.h>

#include "Inputs/hand_coro.h"

/* async int looper(const char *name, int n): n rounds of print + yield */
typedef struct { acc_frame hdr; int *acc_out; const char *name; int n, i, r; } looper_frame;
static int looper_step(acc_frame *self)
{
    looper_frame *f = (looper_frame *)self;
    BEGIN
    for (f->i = 0; f->i < f->n; f->i++) {
        printf("%s%d\n", f->name, f->i);
        AWAIT(1, acc_yield__coro(&f->r))
    }
    END(f->n)
}
static acc_frame *looper(int *acc_out, const char *name, int n)
{
    NEW(looper_frame, looper_step)
    f->name = name;
    f->n = n;
    return &f->hdr;
}

/* async int timed(int id, double s): print after the sleep */
typedef struct { acc_frame hdr; int *acc_out; int id; double s; int r; } timed_frame;
static int timed_step(acc_frame *self)
{
    timed_frame *f = (timed_frame *)self;
    BEGIN
    AWAIT(1, acc_sleep__coro(&f->r, f->s))
    printf("timer %d\n", f->id);
    END(f->id)
}
static acc_frame *timed(int *acc_out, int id, double s)
{
    NEW(timed_frame, timed_step)
    f->id = id;
    f->s = s;
    return &f->hdr;
}

typedef struct { acc_frame hdr; int *acc_out; int g, r; acc_task *t[3]; } main_frame;
static int main_step(acc_frame *self)
{
    main_frame *f = (main_frame *)self;
    BEGIN
    puts("-- yields");
    AWAIT(1, acc_gather__coro(&f->g, 3, (acc_frame *[]){
        looper(NULL, "a", 3), looper(NULL, "b", 2), looper(NULL, "c", 3)}))

    puts("-- spawn");
    f->t[0] = acc_spawn(looper(NULL, "x", 2));
    f->t[1] = acc_spawn(looper(NULL, "y", 2));
    f->t[2] = acc_spawn(looper(NULL, "z", 2));
    puts("spawned, not started");
    AWAIT(2, acc_join_all__coro(&f->r, f->t, 3))
    printf("join_all: %d\n", f->r);

    puts("-- timers");
    /* timer 3 is armed after 0 to 2 yet due first: 0.19 s apart, so that
     * a loaded machine stalling the gather between them keeps that order
     * (0.02 s did not) */
    AWAIT(3, acc_gather__coro(&f->g, 6, (acc_frame *[]){
        timed(NULL, 0, 0.2), timed(NULL, 1, 0.2), timed(NULL, 2, 0.2),
        timed(NULL, 3, 0.01), timed(NULL, 4, 0.2), timed(NULL, 5, 0)}))
    END(0)
}
TEST_MAIN(main_frame, main_step)

// CHECK-LABEL: -- yields
// CHECK-NEXT: a0
// CHECK-NEXT: b0
// CHECK-NEXT: c0
// CHECK-NEXT: a1
// CHECK-NEXT: b1
// CHECK-NEXT: c1
// CHECK-NEXT: a2
// CHECK-NEXT: c2
// CHECK-NEXT: -- spawn
// CHECK-NEXT: spawned, not started
// CHECK-NEXT: x0
// CHECK-NEXT: y0
// CHECK-NEXT: z0
// CHECK-NEXT: x1
// CHECK-NEXT: y1
// CHECK-NEXT: z1
// CHECK-NEXT: join_all: 0
// CHECK-NEXT: -- timers
// CHECK-NEXT: timer 5
// CHECK-NEXT: timer 3
// CHECK-NEXT: timer 0
// CHECK-NEXT: timer 1
// CHECK-NEXT: timer 2
// CHECK-NEXT: timer 4
// CHECK-NEXT: acc_run: 0
