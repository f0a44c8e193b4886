// RUN: %crun %s | FileCheck %s
// RUN: env ACC_BACKEND=poll %crun %s | FileCheck %s
//
// Cancellation: a cancelled sleep returns -ECANCELED at once and so do
// later runtime awaits; a task cancelled before it first runs does not run
// (its result lvalue stays untouched); a cancelled gather cancels its
// children in order and waits for them; a cancelled joiner detaches its
// target; acc_run cancels the tasks left when its coroutine returns.
#include <acc.h>
#include <stdio.h>

#include "Inputs/hand_coro.h"

#define CANCELED(r) ((r) == -ECANCELED ? "-ECANCELED" : (r) == 0 ? "0" : "?")

/* async int sleeper(const char *name, double s): sleep, report, sleep again */
typedef struct { acc_frame hdr; int *acc_out; const char *name; double s; int r, r2; } sleeper_frame;
static int sleeper_step(acc_frame *self)
{
    sleeper_frame *f = (sleeper_frame *)self;
    BEGIN
    printf("%s: sleeping\n", f->name);
    AWAIT(1, acc_sleep__coro(&f->r, f->s))
    printf("%s: slept %s, cancelled %d\n", f->name, CANCELED(f->r), acc_cancelled());
    AWAIT(2, acc_sleep__coro(&f->r2, 0.001))
    printf("%s: again %s\n", f->name, CANCELED(f->r2));
    END(42)
}
static acc_frame *sleeper(int *acc_out, const char *name, double s)
{
    NEW(sleeper_frame, sleeper_step)
    f->name = name;
    f->s = s;
    return &f->hdr;
}

/* async int gatherer(void): gathers three long sleepers */
typedef struct { acc_frame hdr; int *acc_out; int g; } gatherer_frame;
static int gatherer_step(acc_frame *self)
{
    gatherer_frame *f = (gatherer_frame *)self;
    BEGIN
    AWAIT(1, acc_gather__coro(&f->g, 3, (acc_frame *[]){
        sleeper(NULL, "kid1", 10), sleeper(NULL, "kid2", 10), sleeper(NULL, "kid3", 10)}))
    printf("gather: %s\n", CANCELED(f->g));
    END(f->g)
}
static acc_frame *gatherer(int *acc_out)
{
    NEW(gatherer_frame, gatherer_step)
    return &f->hdr;
}

/* async int joiner(acc_task *t): joins t */
typedef struct { acc_frame hdr; int *acc_out; acc_task *t; int r; } joiner_frame;
static int joiner_step(acc_frame *self)
{
    joiner_frame *f = (joiner_frame *)self;
    BEGIN
    AWAIT(1, acc_join__coro(&f->r, f->t))
    printf("joiner: join %s\n", CANCELED(f->r));
    END(0)
}
static acc_frame *joiner(int *acc_out, acc_task *t)
{
    NEW(joiner_frame, joiner_step)
    f->t = t;
    return &f->hdr;
}

static double returned_at; /* when main_step returned */

typedef struct { acc_frame hdr; int *acc_out; acc_task *t, *u; int r, res; double t0; } main_frame;
static int main_step(acc_frame *self)
{
    main_frame *f = (main_frame *)self;
    BEGIN
    puts("-- cancel a sleeping task");
    f->t0 = acc_now();
    f->res = -1;
    f->t = acc_spawn(sleeper(&f->res, "A", 10));
    AWAIT(1, acc_sleep__coro(&f->r, 0.01))
    acc_cancel(f->t);
    acc_cancel(f->t); /* twice is harmless */
    AWAIT(2, acc_join__coro(&f->r, f->t))
    printf("join %s, result %d, fast %d\n", CANCELED(f->r), f->res, acc_now() - f->t0 < 1);

    puts("-- cancel before it runs");
    f->res = -1;
    f->t = acc_spawn(sleeper(&f->res, "B", 10));
    acc_cancel(f->t);
    AWAIT(3, acc_join__coro(&f->r, f->t))
    printf("join %s, result %d\n", CANCELED(f->r), f->res);

    puts("-- cancel a gather");
    f->t = acc_spawn(gatherer(NULL));
    AWAIT(4, acc_sleep__coro(&f->r, 0.01))
    acc_cancel(f->t);
    AWAIT(5, acc_join__coro(&f->r, f->t))
    printf("join %s\n", CANCELED(f->r));

    puts("-- cancel a finished task");
    f->t = acc_spawn(sleeper(&f->res, "C", 0));
    /* C needs 1 ms: a wide margin, so that a loaded machine that stalls
     * this process still lets C finish first */
    AWAIT(6, acc_sleep__coro(&f->r, 0.2))
    acc_cancel(f->t);
    AWAIT(7, acc_join__coro(&f->r, f->t))
    printf("join %s, result %d\n", CANCELED(f->r), f->res);

    puts("-- cancel a joiner");
    f->res = -1;
    f->t = acc_spawn(sleeper(&f->res, "D", 0.2));
    f->u = acc_spawn(joiner(NULL, f->t));
    /* D and the joiner run before main does again, in this turn: the
     * joiner waits in acc_join while D sleeps. (With a 10 ms sleep here
     * and D's 20 ms, a stalled turn woke both, and D printed first.) */
    AWAIT(8, acc_yield__coro(&f->r))
    acc_cancel(f->u);
    AWAIT(9, acc_join__coro(&f->r, f->u))
    printf("join joiner %s\n", CANCELED(f->r));
    while (f->res != 42) { /* D, detached, runs on to its end */
        AWAIT(10, acc_sleep__coro(&f->r, 0.001))
    }

    puts("-- left running");
    acc_detach(acc_spawn(sleeper(NULL, "E", 100)));
    f->t = acc_spawn(sleeper(NULL, "F", 100)); /* never joined */
    AWAIT(11, acc_yield__coro(&f->r))
    puts("main returns");
    returned_at = acc_now();
    END(1)
}
static acc_frame *main_coro(int *acc_out)
{
    NEW(main_frame, main_step)
    return &f->hdr;
}

int main(void)
{
    int result = 0;
    int r;

    printf("outside: cancelled %d\n", acc_cancelled());
    r = acc_run(main_coro(&result));
    /* E and F (100 s sleeps) are cancelled at once: fast from main's
     * return, whatever the sleeps before it took */
    printf("acc_run: %d result %d fast %d\n", r, result, acc_now() - returned_at < 1);
    return 0;
}

// CHECK: outside: cancelled 0
// CHECK-LABEL: -- cancel a sleeping task
// CHECK-NEXT: A: sleeping
// CHECK-NEXT: A: slept -ECANCELED, cancelled 1
// CHECK-NEXT: A: again -ECANCELED
// CHECK-NEXT: join -ECANCELED, result 42, fast 1
// CHECK-NEXT: -- cancel before it runs
// CHECK-NEXT: join -ECANCELED, result -1
// CHECK-NEXT: -- cancel a gather
// CHECK-NEXT: kid1: sleeping
// CHECK-NEXT: kid2: sleeping
// CHECK-NEXT: kid3: sleeping
// CHECK-NEXT: kid1: slept -ECANCELED, cancelled 1
// CHECK-NEXT: kid1: again -ECANCELED
// CHECK-NEXT: kid2: slept -ECANCELED, cancelled 1
// CHECK-NEXT: kid2: again -ECANCELED
// CHECK-NEXT: kid3: slept -ECANCELED, cancelled 1
// CHECK-NEXT: kid3: again -ECANCELED
// CHECK-NEXT: gather: -ECANCELED
// CHECK-NEXT: join -ECANCELED
// CHECK-NEXT: -- cancel a finished task
// CHECK-NEXT: C: sleeping
// CHECK-NEXT: C: slept 0, cancelled 0
// CHECK-NEXT: C: again 0
// CHECK-NEXT: join 0, result 42
// CHECK-NEXT: -- cancel a joiner
// CHECK-NEXT: D: sleeping
// CHECK-NEXT: joiner: join -ECANCELED
// CHECK-NEXT: join joiner -ECANCELED
// CHECK-NEXT: D: slept 0, cancelled 0
// CHECK-NEXT: D: again 0
// CHECK-NEXT: -- left running
// CHECK-NEXT: E: sleeping
// CHECK-NEXT: F: sleeping
// CHECK-NEXT: main returns
// CHECK-NEXT: E: slept -ECANCELED, cancelled 1
// CHECK-NEXT: E: again -ECANCELED
// CHECK-NEXT: F: slept -ECANCELED, cancelled 1
// CHECK-NEXT: F: again -ECANCELED
// CHECK-NEXT: acc_run: 0 result 1 fast 1
