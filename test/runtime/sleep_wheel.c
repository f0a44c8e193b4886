// RUN: env ACC_EXTRA_CFLAGS="-I%S/../../runtime/src -O2" %crun %s | FileCheck %s
//
// The timers of tasks asleep in their block (runtime/src/sleep_wheel.c)
// and timer.c's, driven together through internal.h against a model, as
// test/runtime/timer_wheel.c does for timer.c alone. The tasks are made
// by hand with the layout of a task whose root frame is in its block;
// each timer wakes its task, so the loop's ready queue lists the firings
// in order. Random arming of both kinds (deadlines a few ns ahead, far
// ahead, hours, ties within and across the kinds), cancels, and runs at
// a clock that moves by small steps and big jumps: every run must wake
// exactly the due timers, by (deadline, timer.c's before the sleep
// wheel's, arming order); a woken task's frame fields are back to what
// its root's return expects (NULL, 0); acc__timer_next is never later
// than the earliest deadline and, after a run, later than now; the counts
// agree. Then the wheel's allocation failing: -ENOMEM, the task untouched.
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "Inputs/timer_model.h"

#define N 2000

/* A task and its root frame in one block, the root holding the sleep's slot. */
typedef struct fake {
    acc_task t;
    acc_frame root;
    uint64_t slot;
} fake;

_Static_assert(offsetof(fake, root) == ACC__TASK_BYTES, "the root frame follows the task");

static acc__loop *loop;
static fake tasks[N];
static int armed[N];      /* the model: 1 in the sleep wheel, 2 in timer.c's */
static uint64_t deadline[N];
static uint64_t order[N]; /* arming order */
static uint32_t heap_id[N];
static uint64_t next_order, now;
static long fired, errors, rounds, ties_across;

static void fail(const char *what, long i)
{
    if (errors++ < 10)
        printf("error: %s (task %ld, round %ld)\n", what, i, rounds);
}

static void init_task(long i)
{
    fake *f = &tasks[i];
    memset(f, 0, sizeof *f);
    f->t.head.top = &f->root;
    f->t.started = 1;
}

static uint64_t pick_deadline(void)
{
    static const uint64_t same[3] = {1000, 4000000000ull, 1ull << 40};
    switch (rnd() % 8) {
    case 0: return now + 1 + rnd() % 64;              /* a few ns */
    case 1: return now + 1 + rnd() % (1u << 20);      /* ~1 ms */
    case 2: return now + 1 + rnd() % (1ull << 34);    /* ~17 s */
    case 3: return now + 1 + rnd() % (1ull << 44);    /* hours */
    case 4: return now + same[rnd() % 3];             /* ties */
    case 5: return now + 1000;                        /* ties */
    default: return now + 1 + rnd() % 5000000;        /* ~5 ms */
    }
}

static void arm(long i, uint64_t d)
{
    acc_task *t = &tasks[i].t;

    if (armed[i])
        return;
    if (rnd() % 3 == 0) { /* a timer of timer.c's that wakes the task */
        if (acc__timer_start_wake(loop, t, d, &heap_id[i]) != 0) {
            fail("timer start failed", i);
            return;
        }
        acc__task_suspend(t, ACC__WAIT_SLEEP, NULL);
        armed[i] = 2;
    } else {
        if (acc__sleep_wheel_add(loop, t, &tasks[i].slot, now, d) != 0) {
            fail("sleep wheel add failed", i);
            return;
        }
        armed[i] = 1;
    }
    deadline[i] = d;
    order[i] = next_order++;
}

/* What the ready queue holds: taken off, the tasks' flags cleared. */
static long take_ready(acc_task **out, long max)
{
    long n = 0;
    for (acc_task *t = loop->ready.head; t != NULL; t = t->ready_next) {
        if (n < max)
            out[n] = t;
        n++;
        t->queued = 0;
        t->blocked = 0;
    }
    loop->ready.head = NULL;
    loop->ready.tail = &loop->ready.head;
    return n;
}

static void cancel(long i)
{
    acc_task *woken[2];

    if (armed[i] == 1) {
        acc__sleep_in_block_cancel(&tasks[i].t, tasks[i].t.wait);
    } else if (armed[i] == 2) {
        acc__timer_stop_id(loop, heap_id[i]);
        acc__task_wake(&tasks[i].t);
    } else {
        return;
    }
    armed[i] = 0;
    if (take_ready(woken, 2) != 1 || woken[0] != &tasks[i].t)
        fail("a cancel did not wake its task alone", i);
    if (tasks[i].root.acc_caller != NULL || tasks[i].root.acc_size != 0)
        fail("frame fields not restored after a cancel", i);
}

/* Does a fire before b? By deadline, timer.c's first, arming order. */
static int before(long a, long b)
{
    if (deadline[a] != deadline[b])
        return deadline[a] < deadline[b];
    if (armed[a] != armed[b])
        return armed[a] == 2;
    return order[a] < order[b];
}

static int by_firing(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return before(x, y) ? -1 : before(y, x) ? 1 : 0;
}

static void run_and_check(void)
{
    static long due[N];
    static acc_task *woken[N];
    long ndue = 0, nwoken, live = 0, first = -1;
    uint64_t next;

    for (long i = 0; i < N; i++) {
        if (armed[i] && deadline[i] <= now)
            due[ndue++] = i;
    }
    qsort(due, (size_t)ndue, sizeof *due, by_firing);
    for (long k = 1; k < ndue; k++)
        ties_across += deadline[due[k]] == deadline[due[k - 1]] && armed[due[k]] != armed[due[k - 1]];
    acc__timer_run(loop, now);
    nwoken = take_ready(woken, N);
    if (nwoken != ndue)
        fail("woke another number of tasks than were due", nwoken - ndue);
    for (long k = 0; k < ndue && k < nwoken; k++) {
        if (woken[k] != &tasks[due[k]].t) {
            fail("fired out of order", due[k]);
            break;
        }
    }
    for (long k = 0; k < ndue; k++) {
        fake *f = &tasks[due[k]];
        if (f->root.acc_caller != NULL || f->root.acc_size != 0)
            fail("frame fields not restored after firing", due[k]);
        armed[due[k]] = 0;
    }
    fired += ndue;
    for (long i = 0; i < N; i++) {
        if (!armed[i])
            continue;
        live += armed[i] == 1;
        if (first < 0 || deadline[i] < deadline[first])
            first = i;
    }
    if ((size_t)live != loop->sleepers.count)
        fail("count differs", live);
    next = acc__timer_next(loop);
    check_next(next, first, first >= 0 ? deadline[first] : 0, now);
}

static void model_test(void)
{
    loop = calloc(1, sizeof *loop);
    loop->ready.tail = &loop->ready.head;
    acc__loop_current = loop;
    for (long i = 0; i < N; i++)
        init_task(i);
    now = 1ull << 45;
    for (rounds = 0; rounds < 2000 && errors == 0; rounds++) {
        long ops = (long)(rnd() % 300);
        for (long k = 0; k < ops; k++) {
            long i = (long)(rnd() % N);
            if (rnd() % 3 == 0)
                cancel(i);
            else
                arm(i, pick_deadline());
        }
        switch (rnd() % 6) {
        case 0: now += rnd() % 64; break;
        case 1: now += rnd() % (1u << 22); break;
        case 2: now += rnd() % (1ull << 36); break;
        default: now += rnd() % 1000000; break;
        }
        run_and_check();
    }
    /* a many-way tie of both kinds at one deadline */
    for (long i = 0; i < N; i++)
        arm(i, now + 5);
    for (long i = 0; i < N; i += 3)
        cancel(i);
    now += 5;
    run_and_check();
    acc__heap_free(&loop->timers);
    acc__sleep_wheel_free(&loop->sleepers);
    free(loop);
    acc__loop_current = NULL;
    printf("model: %ld rounds, %ld fired, ties across the kinds %s, %ld errors\n", rounds, fired,
           ties_across ? "yes" : "no", errors);
}

/* The wheel is made at the first sleep: if that fails, -ENOMEM, and the
 * task is neither suspended nor linked. */
static void alloc_test(void)
{
    int r;

    loop = calloc(1, sizeof *loop);
    loop->ready.tail = &loop->ready.head;
    acc__loop_current = loop;
    init_task(0);
    acc__fail_alloc_after(0);
    r = acc__sleep_wheel_add(loop, &tasks[0].t, &tasks[0].slot, 100, 200);
    acc__fail_alloc_after(-1);
    printf("alloc: %s, waiting %d, count %zu, frame %s\n", r == -ENOMEM ? "ENOMEM" : "?",
           tasks[0].t.waiting, loop->sleepers.count,
           tasks[0].root.acc_size == 0 && tasks[0].root.acc_caller == NULL ? "untouched" : "changed");
    acc__sleep_wheel_free(&loop->sleepers);
    free(loop);
    acc__loop_current = NULL;
}

int main(void)
{
    model_test();
    alloc_test();
    return 0;
}

// CHECK: model: 2000 rounds, {{[0-9]+}} fired, ties across the kinds yes, 0 errors
// CHECK: alloc: ENOMEM, waiting 0, count 0, frame untouched
