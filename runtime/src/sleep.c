/*
 * sleep.c: acc_sleep and acc_yield, the simplest leaves.
 *
 * A sleep arms a timer in the loop's heap and suspends its task; the timer
 * wakes it, or a cancel stops the timer and wakes it early. A sleep of 0
 * (or less, or NaN) is a yield: the task is woken as soon as it suspends,
 * so it goes to the back of the ready queue and runs again at the next
 * turn, after every task that was ready before it.
 */
#include "internal.h"

/* acc_sleep's leaf: one word, so that a task asleep in a function with
 * no other live locals is a 64-byte block (its 32-byte task and a frame
 * of header and slot). Until its first step the word is the sleep's
 * length in nanoseconds, below 2^63 (0: a yield); from then on it is
 * STARTED plus either the deadline, when the timer is in the task's
 * block (sleep_wheel.c), or the id of a timer of timer.c's that wakes
 * the task by itself (acc__timer_start_wake). */
typedef struct sleep_leaf {
    uint64_t word;
} sleep_leaf;

ACC__SLOT_FITS(sleep_leaf, acc_sleep__slot);

#define STARTED ACC__SLEEP_STARTED
/* About 292 years: far enough, and no overflow when added to the clock. */
#define ACC__SLEEP_MAX_NS (STARTED - 1)

void acc__sleep_cancel(acc_task *t, void *wait)
{
    sleep_leaf *l = wait;

    acc__timer_stop_id(acc__loop_current, (uint32_t)l->word);
    acc__task_wake(t);
}

int acc_sleep__step(acc_sleep__slot *slot, int *acc_out)
{
    sleep_leaf *l = (sleep_leaf *)(void *)slot;
    acc_task *t = acc__task_current();
    uint64_t ns = l->word, now, deadline;
    uint32_t id;
    int r;

    if (!(ns & STARTED)) {
        if (t->cancelled)
            ACC__LEAF_RETURN(acc_out, -ECANCELED);
        if (ns == 0) {
            l->word = STARTED | ACC__TIMER_IDLE; /* no timer */
            acc__task_yield(t);
            return ACC_PENDING;
        }
        now = acc__now_ns();
        deadline = now + ns < STARTED ? now + ns : STARTED - 1;
        if (acc__sleep_in_block(t) &&
            acc__sleep_wheel_add(acc__loop_current, t, &l->word, now, deadline) == 0)
            return ACC_PENDING;
        r = acc__timer_start_wake(acc__loop_current, t, deadline, &id);
        if (r < 0)
            ACC__LEAF_RETURN(acc_out, r);
        l->word = STARTED | id;
        acc__task_suspend(t, ACC__WAIT_SLEEP, l);
        return ACC_PENDING;
    }
    /* the timer fired, or the task was cancelled */
    ACC__LEAF_RETURN(acc_out, t->cancelled ? -ECANCELED : 0);
}

/* At least `seconds`, in nanoseconds: rounded up (without libm's ceil);
 * 0 for 0, less, or NaN. */
static uint64_t sleep_ns(double seconds)
{
    double want;
    uint64_t ns;

    if (!(seconds > 0))
        return 0;
    want = seconds * 1e9; /* may be infinite */
    if (want >= (double)ACC__SLEEP_MAX_NS)
        return ACC__SLEEP_MAX_NS;
    ns = (uint64_t)want;
    return (double)ns < want ? ns + 1 : ns;
}

acc_sleep__slot *acc_sleep__init(acc_sleep__slot *slot, double seconds)
{
    ((sleep_leaf *)(void *)slot)->word = sleep_ns(seconds); /* the clock is read when the step arms it */
    return slot;
}

ACC__LEAF_FRAME_STEP(sleep_frame_step, acc_sleep__step)

acc_frame *acc_sleep__coro(int *acc_out, double seconds)
{
    acc__leaf_frame *f = acc__leaf_frame_new(sizeof(sleep_leaf), sleep_frame_step, acc_out);

    if (f == NULL)
        return NULL;
    acc_sleep__init(ACC__LEAF_SLOT(f), seconds);
    return &f->hdr;
}

/* A yield needs no timer: its leaf is its state, and its step is inline
 * in acc.h. */
ACC__LEAF_FRAME_STEP(yield_frame_step, acc_yield__step)

acc_frame *acc_yield__coro(int *acc_out)
{
    acc__leaf_frame *f = acc__leaf_frame_new(sizeof(acc_yield__slot), yield_frame_step, acc_out);

    if (f == NULL)
        return NULL;
    acc_yield__init(ACC__LEAF_SLOT(f));
    return &f->hdr;
}
