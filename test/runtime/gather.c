// RUN: %crun %s | FileCheck %s
// RUN: env ACC_BACKEND=poll %crun %s | FileCheck %s
//
// acc_gather: children start in argument order, each running up to its
// first suspension before the next starts; results land in their lvalues;
// children that never suspend, an empty gather and nested gathers work.
// A child armed later that must end sooner sleeps 0.19 s less, so that a
// loaded machine stalling the gather between the two keeps the order
// (10 or 20 ms did not).
#include <acc.h>
#include <stdio.h>

#include "Inputs/hand_coro.h"

/* async int child(int id, double s): "start", sleep s (if s >= 0), "end" */
typedef struct { acc_frame hdr; int *acc_out; int id; double s; int r; } child_frame;
static int child_step(acc_frame *self)
{
    child_frame *f = (child_frame *)self;
    BEGIN
    printf("start %d\n", f->id);
    if (f->s >= 0) {
        AWAIT(1, acc_sleep__coro(&f->r, f->s))
    }
    printf("end %d\n", f->id);
    END(f->id * 100)
}
static acc_frame *child(int *acc_out, int id, double s)
{
    NEW(child_frame, child_step)
    f->id = id;
    f->s = s;
    return &f->hdr;
}

/* async int pair(int base): gathers two children itself */
typedef struct { acc_frame hdr; int *acc_out; int base, a, b, g; } pair_frame;
static int pair_step(acc_frame *self)
{
    pair_frame *f = (pair_frame *)self;
    BEGIN
    AWAIT(1, acc_gather__coro(&f->g, 2, (acc_frame *[]){
        child(&f->a, f->base + 1, 0.2), child(&f->b, f->base + 2, 0.01)}))
    END(f->a + f->b)
}
static acc_frame *pair(int *acc_out, int base)
{
    NEW(pair_frame, pair_step)
    f->base = base;
    return &f->hdr;
}

typedef struct { acc_frame hdr; int *acc_out; int g, r[4]; } main_frame;
static int main_step(acc_frame *self)
{
    main_frame *f = (main_frame *)self;
    BEGIN
    puts("-- order");
    f->r[0] = f->r[1] = f->r[2] = f->r[3] = -1;
    AWAIT(1, acc_gather__coro(&f->g, 4, (acc_frame *[]){
        child(&f->r[0], 1, 0.2), child(&f->r[1], 2, -1),
        child(&f->r[2], 3, 0.01), child(&f->r[3], 4, 0)}))
    printf("gather %d: %d %d %d %d\n", f->g, f->r[0], f->r[1], f->r[2], f->r[3]);

    puts("-- all synchronous");
    AWAIT(2, acc_gather__coro(&f->g, 2, (acc_frame *[]){
        child(&f->r[0], 5, -1), child(&f->r[1], 6, -1)}))
    printf("gather %d: %d %d\n", f->g, f->r[0], f->r[1]);

    puts("-- empty");
    f->g = -1;
    AWAIT(3, acc_gather__coro(&f->g, 0, (acc_frame *[]){NULL}))
    printf("gather %d\n", f->g);

    puts("-- nested");
    AWAIT(4, acc_gather__coro(&f->g, 2, (acc_frame *[]){
        pair(&f->r[0], 10), pair(&f->r[1], 20)}))
    printf("gather %d: %d %d\n", f->g, f->r[0], f->r[1]);
    END(7)
}
static acc_frame *main_coro(int *acc_out)
{
    NEW(main_frame, main_step)
    return &f->hdr;
}

int main(void)
{
    int result = 0;
    int r = acc_run(main_coro(&result));

    printf("acc_run: %d result %d\n", r, result);
    return 0;
}

// CHECK-LABEL: -- order
// CHECK-NEXT: start 1
// CHECK-NEXT: start 2
// CHECK-NEXT: end 2
// CHECK-NEXT: start 3
// CHECK-NEXT: start 4
// CHECK-NEXT: end 4
// CHECK-NEXT: end 3
// CHECK-NEXT: end 1
// CHECK-NEXT: gather 0: 100 200 300 400
// CHECK-NEXT: -- all synchronous
// CHECK-NEXT: start 5
// CHECK-NEXT: end 5
// CHECK-NEXT: start 6
// CHECK-NEXT: end 6
// CHECK-NEXT: gather 0: 500 600
// CHECK-NEXT: -- empty
// CHECK-NEXT: gather 0
// CHECK-NEXT: -- nested
// CHECK-NEXT: start 11
// CHECK-NEXT: start 12
// CHECK-NEXT: start 21
// CHECK-NEXT: start 22
// CHECK-NEXT: end 12
// CHECK-NEXT: end 22
// CHECK-NEXT: end 11
// CHECK-NEXT: end 21
// CHECK-NEXT: gather 0: 2300 4300
// CHECK-NEXT: acc_run: 0 result 7
