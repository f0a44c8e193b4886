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

/* acc_sleep's leaf: 24 bytes. The timer finds its task through `task`,
 * since a leaf built in place has no frame header to find it by. */
typedef struct sleep_leaf {
    unsigned state;
    union {
        double seconds;   /* until the first step reads it */
        acc__timer timer; /* then */
    };
    acc_task *task;       /* while the timer is armed */
} sleep_leaf;

ACC__SLOT_FITS(sleep_leaf, acc_sleep__slot);

/* About 292 years: far enough, and no overflow when added to the clock. */
#define ACC__SLEEP_MAX_NS ((uint64_t)1 << 63)

static void sleep_fire(acc__timer *tm)
{
    sleep_leaf *l = acc__container_of(tm, sleep_leaf, timer);

    acc__task_wake(l->task);
}

void acc__sleep_cancel(acc_task *t, void *wait)
{
    sleep_leaf *l = wait;

    acc__timer_stop(acc__loop_current, &l->timer);
    acc__task_wake(t);
}

int acc_sleep__step(acc_sleep__slot *slot, int *acc_out)
{
    sleep_leaf *l = (sleep_leaf *)(void *)slot;
    acc_task *t = acc__task_current();
    double want;
    uint64_t ns;
    int r;

    if (l->state == 0) {
        if (t->cancelled)
            ACC__LEAF_RETURN(acc_out, -ECANCELED);
        l->state = 1;
        if (!(l->seconds > 0)) {
            acc__task_yield(t);
            return ACC_PENDING;
        }
        want = l->seconds * 1e9;
        ns = want >= (double)ACC__SLEEP_MAX_NS ? ACC__SLEEP_MAX_NS : (uint64_t)want;
        if ((double)ns < want)
            ns++; /* at least `seconds`: round up (without libm's ceil) */
        acc__timer_init(&l->timer, sleep_fire);
        l->task = t;
        r = acc__timer_start(acc__loop_current, &l->timer, acc__now_ns() + ns);
        if (r < 0)
            ACC__LEAF_RETURN(acc_out, r);
        acc__task_suspend(t, ACC__WAIT_SLEEP, l);
        return ACC_PENDING;
    }
    /* 1: the timer fired, or the task was cancelled */
    ACC__LEAF_RETURN(acc_out, t->cancelled ? -ECANCELED : 0);
}

acc_sleep__slot *acc_sleep__init(acc_sleep__slot *slot, double seconds)
{
    sleep_leaf *l = (sleep_leaf *)(void *)slot;

    l->state = 0;
    l->seconds = seconds; /* the timer is set up when the step arms it */
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

/* A yield needs no timer: its leaf is its state. */
typedef struct yield_leaf {
    unsigned state;
} yield_leaf;

ACC__SLOT_FITS(yield_leaf, acc_yield__slot);

int acc_yield__step(acc_yield__slot *slot, int *acc_out)
{
    yield_leaf *l = (yield_leaf *)(void *)slot;
    acc_task *t = acc__task_current();

    if (l->state == 0) {
        if (t->cancelled)
            ACC__LEAF_RETURN(acc_out, -ECANCELED);
        l->state = 1;
        acc__task_yield(t);
        return ACC_PENDING;
    }
    ACC__LEAF_RETURN(acc_out, t->cancelled ? -ECANCELED : 0);
}

acc_yield__slot *acc_yield__init(acc_yield__slot *slot)
{
    ((yield_leaf *)(void *)slot)->state = 0;
    return slot;
}

ACC__LEAF_FRAME_STEP(yield_frame_step, acc_yield__step)

acc_frame *acc_yield__coro(int *acc_out)
{
    acc__leaf_frame *f = acc__leaf_frame_new(sizeof(yield_leaf), yield_frame_step, acc_out);

    if (f == NULL)
        return NULL;
    acc_yield__init(ACC__LEAF_SLOT(f));
    return &f->hdr;
}
