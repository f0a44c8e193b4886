// RUN: env ACC_EXTRA_CFLAGS="-I%S/../../runtime/src -O2" %crun %s | FileCheck %s
//
// (-O2: the model's linear scans make about 10^9 steps, 5 s of CPU at -O0
// under the sanitizers, near run.sh's 60 s limit on a loaded machine; 2 s
// at -O2.)
//
// The runtime's timers (runtime/src/timer.c) driven directly through
// internal.h, against a model: a list of armed timers with their deadline
// and arming order. Random arming (deadlines in the past, now, a few ns
// ahead, far ahead, all equal, UINT64_MAX), stopping (also from inside
// callbacks, also of timers due in the same run), re-arming from inside
// callbacks, runs at a clock that moves by small steps and big jumps, and
// restarts of the clock (the timers emptied, the next deadlines earlier,
// as the benchmark does). Every firing must be the model's earliest armed
// timer by (deadline, arming order) and due; after a run nothing due is
// left; acc__timer_next is never later than the earliest deadline and,
// after a run, later than now (no busy loop); the counts agree.
// Then allocation failures while arming: -ENOMEM, the timer idle, the rest
// intact, nothing leaked (the sanitizer and valgrind runs check that).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "Inputs/timer_model.h"

#define N 3000

static acc__loop *loop;
static acc__timer tm[N];
static int armed[N];          /* the model */
static uint64_t deadline[N];
static uint64_t order[N];     /* arming order */
static uint64_t next_order;
static uint64_t now;
static long fired, errors, rounds;
static int in_callback_actions = 1;

static void fail(const char *what, long i)
{
    if (errors++ < 10)
        printf("error: %s (timer %ld, round %ld)\n", what, i, rounds);
}

static uint64_t pick_deadline(void)
{
    static const uint64_t same[4] = {1000, 123456789, 4000000000ull, 1ull << 40};
    switch (rnd() % 10) {
    case 0: return now > 100 ? now - rnd() % 100 : 0;           /* the past */
    case 1: return now;                                          /* now */
    case 2: return now + rnd() % 64;                             /* a few ns */
    case 3: return now + rnd() % (1u << 20);                     /* ~1 ms */
    case 4: return now + rnd() % (1ull << 34);                   /* ~17 s */
    case 5: return now + (rnd() % (1ull << 44));                 /* hours */
    case 6: return now + same[rnd() % 4];                        /* ties */
    case 7: return UINT64_MAX - rnd() % 3;                       /* never, or nearly */
    case 8: return now + 1000;                                   /* ties */
    default: return now + rnd() % 5000000;                       /* ~5 ms */
    }
}

static void arm(long i, uint64_t d)
{
    if (d < now && (rnd() & 1))
        d = now; /* half of the past ones: due right now */
    if (acc__timer_start(loop, &tm[i], d) != 0) {
        fail("start failed", i);
        return;
    }
    armed[i] = 1;
    deadline[i] = d;
    order[i] = next_order++;
}

static void stop(long i)
{
    acc__timer_stop(loop, &tm[i]);
    armed[i] = 0;
}

/* The model's earliest armed timer, or -1. */
static long earliest(void)
{
    long best = -1;
    for (long i = 0; i < N; i++)
        if (armed[i] && (best < 0 || deadline[i] < deadline[best] ||
                         (deadline[i] == deadline[best] && order[i] < order[best])))
            best = i;
    return best;
}

static void on_fire(acc__timer *t)
{
    long i = t - tm, want = earliest();

    fired++;
    if (i < 0 || i >= N || !armed[i])
        fail("fired a timer that is not armed", i);
    else if (i != want)
        fail("fired out of order", i);
    else if (deadline[i] > now)
        fail("fired before its deadline", i);
    if (t->id != ACC__TIMER_IDLE)
        fail("fired timer not idle", i);
    if (i >= 0 && i < N)
        armed[i] = 0;
    if (!in_callback_actions)
        return;
    switch (rnd() % 8) {
    case 0: /* stop another one, maybe due in this very run */
        stop((long)(rnd() % N));
        break;
    case 1: { /* arm another one (maybe re-arm an armed one), maybe due now */
        long j = (long)(rnd() % N);
        arm(j, pick_deadline());
        break;
    }
    case 2: /* re-arm itself */
        arm(i, pick_deadline());
        break;
    case 3: /* stop itself: already idle, a no-op */
        stop(i);
        break;
    }
}

static void check_after_run(void)
{
    long live = 0, first = earliest();
    uint64_t next = acc__timer_next(loop);

    for (long i = 0; i < N; i++) {
        live += armed[i];
        if (armed[i] && deadline[i] <= now)
            fail("due timer left after a run", i);
        if (armed[i] != (tm[i].id != ACC__TIMER_IDLE))
            fail("armed state differs", i);
    }
    if ((size_t)live != acc__timer_count(&loop->timers))
        fail("count differs", live);
    check_next(next, first, first >= 0 ? deadline[first] : 0, now);
}

static void model_test(void)
{
    loop = calloc(1, sizeof *loop);
    for (long i = 0; i < N; i++)
        acc__timer_init(&tm[i], on_fire);
    now = 1ull << 45;
    for (rounds = 0; rounds < 3000 && errors == 0; rounds++) {
        long ops = (long)(rnd() % 400);
        for (long k = 0; k < ops; k++) {
            long i = (long)(rnd() % N);
            if (rnd() % 3 == 0)
                stop(i);
            else
                arm(i, pick_deadline());
        }
        if (rounds % 500 == 499) { /* stop nearly everything: reclaiming */
            for (long i = 0; i < N; i++)
                if (rnd() % 16)
                    stop(i);
        }
        switch (rnd() % 6) {
        case 0: now += rnd() % 64; break;
        case 1: now += rnd() % (1u << 22); break;
        case 2: now += rnd() % (1ull << 36); break;
        default: now += rnd() % 1000000; break;
        }
        acc__timer_run(loop, now);
        check_after_run();
        if (rounds % 1000 == 999) { /* fire everything, then the clock restarts earlier */
            now = UINT64_MAX;
            in_callback_actions = 0;
            acc__timer_run(loop, now);
            in_callback_actions = 1;
            if (acc__timer_count(&loop->timers) != 0 || earliest() >= 0)
                fail("timers left after running at UINT64_MAX", 0);
            now = (rnd() % 2) ? 1000000000u + rnd() % 1000000000u : (1ull << 45) + rnd();
        }
    }
    /* a many-way tie: all at one deadline, fired in arming order */
    for (long i = 0; i < N; i++)
        arm(i, now + 5);
    for (long i = 0; i < N; i += 3)
        stop(i);
    now += 5;
    in_callback_actions = 0;
    acc__timer_run(loop, now);
    check_after_run();
    acc__heap_free(&loop->timers);
    free(loop);
    printf("model: %ld rounds, %ld fired, %ld errors\n", rounds, fired, errors);
}

/* Allocation failures: each acc__timer_start either works or returns
 * -ENOMEM leaving the timer idle; what was armed fires, in order. */
static void alloc_test(void)
{
    long bad = 0, nomem = 0;

    for (long n = 0; n < 40; n++) {
        loop = calloc(1, sizeof *loop);
        memset(armed, 0, sizeof armed);
        now = 1000;
        in_callback_actions = 0;
        for (long i = 0; i < N; i++)
            acc__timer_init(&tm[i], on_fire);
        acc__fail_alloc_after(n);
        for (long i = 0; i < 2000; i++) {
            uint64_t d = i % 7 == 0 ? now - 1 - (uint64_t)i % 10 : now + (uint64_t)(rnd() % 100000);
            int r = acc__timer_start(loop, &tm[i], d);
            if (r == 0) {
                armed[i] = 1;
                deadline[i] = d;
                order[i] = next_order++;
            } else if (r == -ENOMEM && tm[i].id == ACC__TIMER_IDLE) {
                nomem++;
            } else {
                bad++;
            }
            if (i == 500) { /* a few stops and a run inside the failing window */
                for (long j = 0; j < 400; j += 2)
                    stop(j);
                acc__timer_run(loop, now);
            }
        }
        acc__fail_alloc_after(-1);
        now = UINT64_MAX;
        acc__timer_run(loop, now);
        check_after_run();
        acc__heap_free(&loop->timers);
        free(loop);
    }
    printf("alloc: ENOMEM seen %s, other failures %ld, errors %ld\n", nomem ? "yes" : "no", bad, errors);
}

int main(void)
{
    model_test();
    alloc_test();
    return 0;
}

// CHECK: model: 3000 rounds, {{[0-9]+}} fired, 0 errors
// CHECK: alloc: ENOMEM seen yes, other failures 0, errors 0
