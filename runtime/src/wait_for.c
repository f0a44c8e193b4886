/*
 * wait_for.c: acc_wait_for(CORO, seconds), asyncio.wait_for.
 *
 * The coroutine runs as a child task, started at once on the C stack (as
 * a gather child) up to its first suspension, and a timer is armed. The
 * first of these ends the wait:
 *   - the child finishes: the timer is stopped; 0;
 *   - the timer fires: the child is cancelled and awaited (its cleanup
 *     code runs); -ETIMEDOUT, whatever the child then returns;
 *   - the waiting task is cancelled: the timer is stopped, the child is
 *     cancelled and awaited; -ECANCELED.
 * A timeout <= 0 (or NaN) lets the child run up to its first suspension
 * and times out there, as asyncio does. The child's result lvalue is
 * stored whenever its call returns.
 */
#include "internal.h"

typedef struct wait_for_frame {
    acc_frame hdr;
    int *out;
    acc_task *kid;
    acc_task *task;    /* the waiting task, for kid_done */
    double seconds;
    int err;           /* arming the timer failed */
    int timed_out;
    acc__timer timer;
    acc__done_hook kid_done; /* the child's on_done */
} wait_for_frame;

void acc__wait_for_discard(acc_frame *self)
{
    wait_for_frame *f = (wait_for_frame *)self;

    acc__frame_discard(f->kid->head.top);
    acc__task_free(f->kid);
    acc__frame_free(self);
}

static void kid_done(acc__done_hook *h, acc_task *kid)
{
    wait_for_frame *f = acc__container_of(h, wait_for_frame, kid_done);

    (void)kid;
    acc__timer_stop(acc__loop_current, &f->timer);
    acc__task_wake(f->task); /* nothing if it has not suspended yet */
}

static void timeout(acc__timer *tm)
{
    wait_for_frame *f = acc__container_of(tm, wait_for_frame, timer);

    f->timed_out = 1;
    acc__task_cancel(f->kid); /* its end wakes us */
}

void acc__wait_for_cancel(acc_task *t, void *wait)
{
    wait_for_frame *f = wait;

    (void)t;
    acc__timer_stop(acc__loop_current, &f->timer);
    acc__task_cancel(f->kid); /* its end wakes us */
}

/* About 292 years, as acc_sleep. */
#define WAIT_MAX_NS ((uint64_t)1 << 63)

int acc__wait_for_step(acc_frame *self)
{
    wait_for_frame *f = (wait_for_frame *)self;
    acc_task *t = acc__task_current();
    acc__loop *loop = acc__loop_current;
    int r;

    switch (self->acc_state) {
    case 0:
        if (t->cancelled) { /* the child never runs */
            acc__frame_discard(f->kid->head.top);
            acc__task_free(f->kid);
            ACC__RETURN(f, f->out, -ECANCELED);
        }
        f->task = t;
        f->kid->on_done = &f->kid_done;
        if (acc__may_nest(loop))
            acc__task_start(loop, f->kid);
        else
            acc__task_start_later(loop, f->kid);
        self->acc_state = 1;
        if (f->kid->done)
            goto finished;
        if (t->cancelled) { /* by the child itself */
            acc__task_cancel(f->kid);
        } else if (!(f->seconds > 0)) {
            f->timed_out = 1;
            acc__task_cancel(f->kid);
        } else {
            double want = f->seconds * 1e9;
            uint64_t ns = want >= (double)WAIT_MAX_NS ? WAIT_MAX_NS : (uint64_t)want;
            if ((double)ns < want)
                ns++;
            r = acc__timer_start(loop, &f->timer, acc__now_ns() + ns);
            if (r < 0) { /* no timer, no time limit: give up now */
                f->err = r;
                acc__task_cancel(f->kid);
            }
        }
        if (f->kid->done) /* cancelled before it started */
            goto finished;
        acc__task_suspend(t, ACC__WAIT_WAIT_FOR, self);
        return ACC_PENDING;
    default:
    finished:
        acc__timer_stop(loop, &f->timer);
        acc__task_free(f->kid);
        r = t->cancelled ? -ECANCELED : f->timed_out ? -ETIMEDOUT : f->err;
        ACC__RETURN(f, f->out, r);
    }
}

acc_frame *acc_wait_for__coro(int *acc_out, acc_frame *coro, double seconds)
{
    wait_for_frame *f;
    acc_task *kid;

    if (coro == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    kid = acc__task_new(coro);
    if (kid == NULL) {
        acc__frame_discard(coro);
        errno = ENOMEM;
        return NULL;
    }
    f = (wait_for_frame *)acc__frame_alloc(sizeof *f);
    if (f == NULL) {
        acc__frame_discard(coro); /* first: it may live in kid's block */
        acc__task_free(kid);
        errno = ENOMEM;
        return NULL;
    }
    f->hdr.acc_resume = acc__wait_for_step;
    f->hdr.acc_state = 0;
    f->out = acc_out;
    f->kid = kid;
    f->seconds = seconds;
    f->err = 0;
    f->timed_out = 0;
    acc__timer_init(&f->timer, timeout);
    f->kid_done.fn = kid_done;
    return &f->hdr;
}
