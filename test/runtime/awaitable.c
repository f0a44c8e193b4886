// RUN: %crun %s | FileCheck %s
// RUN: env ACC_BACKEND=poll %crun %s | FileCheck %s
//
// Hand-written awaitables (SPEC 2.1): poll runs at the await and after
// each acc_wake; a wake during poll makes the task poll again at the next
// turn (it yields, it does not spin); cancelling the awaiting task calls
// cancel exactly once, never polls again and yields -ECANCELED, also when
// the task had been woken but had not run yet.
#include <acc.h>
#include <stdio.h>

#include "Inputs/hand_coro.h"

#define CANCELED(r) ((r) == -ECANCELED ? "-ECANCELED" : (r) == 0 ? "0" : "?")

typedef struct gate {
    acc_awaitable aw; /* first: `await &g->aw` */
    const char *name;
    int open;         /* poll says done when set */
    int self_wakes;   /* polls that wake themselves before saying 0 */
    int polls, cancels;
    acc_waker *w;
} gate;

static int gate_poll(acc_awaitable *aw, acc_waker *w)
{
    gate *g = (gate *)aw;

    g->polls++;
    printf("%s: poll %d\n", g->name, g->polls);
    g->w = w;
    if (g->self_wakes > 0) {
        g->self_wakes--;
        acc_wake(w);
        return 0;
    }
    return g->open;
}

static void gate_cancel(acc_awaitable *aw, acc_waker *w)
{
    gate *g = (gate *)aw;

    (void)w;
    g->cancels++;
    printf("%s: cancel\n", g->name);
}

static void gate_init(gate *g, const char *name)
{
    g->aw.poll = gate_poll;
    g->aw.cancel = gate_cancel;
    g->name = name;
    g->open = g->self_wakes = g->polls = g->cancels = 0;
    g->w = NULL;
}

/* async int waiter(gate *g) */
typedef struct { acc_frame hdr; int *acc_out; gate *g; int r; } waiter_frame;
static int waiter_step(acc_frame *self)
{
    waiter_frame *f = (waiter_frame *)self;
    BEGIN
    AWAIT(1, acc__awaitable_coro(&f->r, &f->g->aw))
    printf("%s: await %s\n", f->g->name, CANCELED(f->r));
    END(f->r)
}
static acc_frame *waiter(int *acc_out, gate *g)
{
    NEW(waiter_frame, waiter_step)
    f->g = g;
    return &f->hdr;
}

/* async void ticker(int n): print and yield n times */
typedef struct { acc_frame hdr; int *acc_out; int n, i, r; } ticker_frame;
static int ticker_step(acc_frame *self)
{
    ticker_frame *f = (ticker_frame *)self;
    BEGIN
    for (f->i = 0; f->i < f->n; f->i++) {
        printf("tick %d\n", f->i);
        AWAIT(1, acc_yield__coro(&f->r))
    }
    END(0)
}
static acc_frame *ticker(int *acc_out, int n)
{
    NEW(ticker_frame, ticker_step)
    f->n = n;
    return &f->hdr;
}

typedef struct { acc_frame hdr; int *acc_out; gate g; acc_task *t; int r; } main_frame;
static int main_step(acc_frame *self)
{
    main_frame *f = (main_frame *)self;
    BEGIN
    puts("-- ready at once");
    gate_init(&f->g, "A");
    f->g.open = 1;
    AWAIT(1, waiter(&f->r, &f->g))

    puts("-- woken");
    gate_init(&f->g, "B");
    f->t = acc_spawn(waiter(NULL, &f->g));
    AWAIT(2, acc_sleep__coro(&f->r, 0.01))
    puts("spurious wake");
    acc_wake(f->g.w);
    AWAIT(3, acc_sleep__coro(&f->r, 0.01))
    puts("open and wake");
    f->g.open = 1;
    acc_wake(f->g.w);
    acc_wake(f->g.w); /* a second wake before it runs changes nothing */
    AWAIT(4, acc_join__coro(&f->r, f->t))

    puts("-- wakes itself");
    gate_init(&f->g, "C");
    f->g.self_wakes = 2;
    f->g.open = 1;
    AWAIT(5, acc_gather__coro(&f->r, 2, (acc_frame *[]){waiter(NULL, &f->g), ticker(NULL, 3)}))

    puts("-- cancelled while waiting");
    gate_init(&f->g, "D");
    f->t = acc_spawn(waiter(NULL, &f->g));
    AWAIT(6, acc_sleep__coro(&f->r, 0.01))
    acc_cancel(f->t);
    acc_wake(f->g.w); /* too late: not polled again */
    AWAIT(7, acc_join__coro(&f->r, f->t))
    printf("polls %d cancels %d\n", f->g.polls, f->g.cancels);

    puts("-- woken, then cancelled before it ran");
    gate_init(&f->g, "E");
    f->t = acc_spawn(waiter(NULL, &f->g));
    AWAIT(8, acc_sleep__coro(&f->r, 0.01))
    f->g.open = 1;
    acc_wake(f->g.w);
    acc_cancel(f->t);
    AWAIT(9, acc_join__coro(&f->r, f->t))
    printf("polls %d cancels %d\n", f->g.polls, f->g.cancels);
    END(0)
}
TEST_MAIN(main_frame, main_step)

// CHECK-LABEL: -- ready at once
// CHECK-NEXT: A: poll 1
// CHECK-NEXT: A: await 0
// CHECK-NEXT: -- woken
// CHECK-NEXT: B: poll 1
// CHECK-NEXT: spurious wake
// CHECK-NEXT: B: poll 2
// CHECK-NEXT: open and wake
// CHECK-NEXT: B: poll 3
// CHECK-NEXT: B: await 0
// CHECK-NEXT: -- wakes itself
// CHECK-NEXT: C: poll 1
// CHECK-NEXT: tick 0
// CHECK-NEXT: C: poll 2
// CHECK-NEXT: tick 1
// CHECK-NEXT: C: poll 3
// CHECK-NEXT: C: await 0
// CHECK-NEXT: tick 2
// CHECK-NEXT: -- cancelled while waiting
// CHECK-NEXT: D: poll 1
// CHECK-NEXT: D: cancel
// CHECK-NEXT: D: await -ECANCELED
// CHECK-NEXT: polls 1 cancels 1
// CHECK-NEXT: -- woken, then cancelled before it ran
// CHECK-NEXT: E: poll 1
// CHECK-NEXT: E: cancel
// CHECK-NEXT: E: await -ECANCELED
// CHECK-NEXT: polls 1 cancels 1
// CHECK-NEXT: acc_run: 0
