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

typedef struct sleep_frame {
    acc_frame hdr;
    int *out;
    union { /* 48 bytes rather than 56: a frame of 80 bytes sleeping in
               it fills a 128-byte block with its task (bench/README.md, 4b) */
        double seconds;   /* until the first step reads it */
        acc__timer timer; /* then */
    };
} sleep_frame;

/* About 292 years: far enough, and no overflow when added to the clock. */
#define ACC__SLEEP_MAX_NS ((uint64_t)1 << 63)

static void sleep_fire(acc__timer *tm)
{
    sleep_frame *f = acc__container_of(tm, sleep_frame, timer);

    acc__task_wake(f->hdr.task);
}

static void sleep_cancel(acc_task *t, acc_frame *leaf)
{
    sleep_frame *f = (sleep_frame *)leaf;

    acc__timer_stop(acc__loop_current, &f->timer);
    acc__task_wake(t);
}

int acc_sleep__step(acc_frame *self)
{
    sleep_frame *f = (sleep_frame *)self;
    acc_task *t = self->task;
    double want;
    uint64_t ns;
    int r;

    switch (self->state) {
    case 0:
        if (t->cancelled)
            ACC__RETURN(f, f->out, -ECANCELED);
        self->state = 1;
        if (!(f->seconds > 0)) {
            acc__task_yield(t);
            return ACC_PENDING;
        }
        want = f->seconds * 1e9;
        ns = want >= (double)ACC__SLEEP_MAX_NS ? ACC__SLEEP_MAX_NS : (uint64_t)want;
        if ((double)ns < want)
            ns++; /* at least `seconds`: round up (without libm's ceil) */
        acc__timer_init(&f->timer, sleep_fire);
        r = acc__timer_start(acc__loop_current, &f->timer, acc__now_ns() + ns);
        if (r < 0)
            ACC__RETURN(f, f->out, r);
        acc__task_suspend(t, sleep_cancel, self);
        return ACC_PENDING;
    default: /* 1: the timer fired, or the task was cancelled */
        ACC__RETURN(f, f->out, t->cancelled ? -ECANCELED : 0);
    }
}

ACC__SLOT_FITS(sleep_frame, acc_sleep__slot);

acc_frame *acc_sleep__init(acc_sleep__slot *slot, int *acc_out, double seconds)
{
    sleep_frame *f = (sleep_frame *)(void *)slot;

    f->hdr.resume = acc_sleep__step;
    f->hdr.state = 0;
    f->out = acc_out;
    f->seconds = seconds; /* the timer is set up when the step arms it */
    return &f->hdr;
}

acc_frame *acc_sleep__coro(int *acc_out, double seconds)
{
    acc_sleep__slot *slot = (acc_sleep__slot *)(void *)acc__frame_alloc(sizeof(sleep_frame));

    return slot ? acc_sleep__init(slot, acc_out, seconds) : NULL;
}

/* A yield needs no timer: its own 40-byte frame (sleep's is 48). */
typedef struct yield_frame {
    acc_frame hdr;
    int *out;
} yield_frame;

int acc_yield__step(acc_frame *self)
{
    yield_frame *f = (yield_frame *)self;
    acc_task *t = self->task;

    if (self->state == 0) {
        if (t->cancelled)
            ACC__RETURN(f, f->out, -ECANCELED);
        self->state = 1;
        acc__task_yield(t);
        return ACC_PENDING;
    }
    ACC__RETURN(f, f->out, t->cancelled ? -ECANCELED : 0);
}

ACC__SLOT_FITS(yield_frame, acc_yield__slot);

acc_frame *acc_yield__init(acc_yield__slot *slot, int *acc_out)
{
    yield_frame *f = (yield_frame *)(void *)slot;

    f->hdr.resume = acc_yield__step;
    f->hdr.state = 0;
    f->out = acc_out;
    return &f->hdr;
}

acc_frame *acc_yield__coro(int *acc_out)
{
    acc_yield__slot *slot = (acc_yield__slot *)(void *)acc__frame_alloc(sizeof(yield_frame));

    return slot ? acc_yield__init(slot, acc_out) : NULL;
}
