// RUN: %crun %s | FileCheck %s
// RUN: env ACC_BACKEND=poll %crun %s | FileCheck %s
//
// acc_run: returns 0 and the coroutine's result through its lvalue; -ENOMEM
// for a NULL coroutine (a failed allocation); -EBUSY inside a running loop
// (the inner coroutine is freed, never run); one loop after another on the
// same thread; acc_now reads the clock at each call; acc_spawn outside a
// loop fails with EINVAL. Runs once per backend.
#include <acc.h>
#include <stdio.h>

#include "Inputs/hand_coro.h"


/* async int answer(int x) { return x * 2; }  (never suspends) */
typedef struct { acc_frame hdr; int *acc_out; int x; } answer_frame;
static int answer_step(acc_frame *self)
{
    answer_frame *f = (answer_frame *)self;
    BEGIN
    printf("answer(%d) runs\n", f->x);
    END(f->x * 2)
}
static acc_frame *answer(int *acc_out, int x)
{
    NEW(answer_frame, answer_step)
    f->x = x;
    return &f->hdr;
}

/* async int nested(void): tries acc_run inside the loop */
typedef struct { acc_frame hdr; int *acc_out; int r, inner; double t0, t1; } nested_frame;
static int nested_step(acc_frame *self)
{
    nested_frame *f = (nested_frame *)self;
    BEGIN
    f->inner = -1;
    f->r = acc_run(answer(&f->inner, 5));
    printf("nested acc_run: %s, inner %d\n", f->r == -EBUSY ? "-EBUSY" : "?", f->inner);
    f->t0 = acc_now();
    AWAIT(1, acc_sleep__coro(&f->r, 0.02))
    f->t1 = acc_now();
    printf("acc_now advanced: %d\n", f->t1 - f->t0 >= 0.02);
    END(3)
}
static acc_frame *nested(int *acc_out)
{
    NEW(nested_frame, nested_step)
    return &f->hdr;
}

int main(void)
{
    int result = 0, r;
    acc_task *t;

    r = acc_run(answer(&result, 21));
    printf("acc_run: %d result %d\n", r, result);
    r = acc_run(answer(NULL, 1));
    printf("acc_run without lvalue: %d\n", r);
    r = acc_run(NULL);
    printf("acc_run(NULL): %s\n", r == -ENOMEM ? "-ENOMEM" : "?");
    r = acc_run(nested(&result));
    printf("acc_run: %d result %d\n", r, result);
    errno = 0;
    t = acc_spawn(answer(NULL, 7));
    printf("acc_spawn outside: %s %s\n", t == NULL ? "NULL" : "?", errno == EINVAL ? "EINVAL" : "?");
    printf("acc_now monotonic: %d\n", acc_now() <= acc_now());
    return 0;
}

// CHECK: answer(21) runs
// CHECK-NEXT: acc_run: 0 result 42
// CHECK-NEXT: answer(1) runs
// CHECK-NEXT: acc_run without lvalue: 0
// CHECK-NEXT: acc_run(NULL): -ENOMEM
// CHECK-NEXT: nested acc_run: -EBUSY, inner -1
// CHECK-NEXT: acc_now advanced: 1
// CHECK-NEXT: acc_run: 0 result 3
// CHECK-NEXT: acc_spawn outside: NULL EINVAL
// CHECK-NEXT: acc_now monotonic: 1
