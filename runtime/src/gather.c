/*
 * gather.c: acc_gather, concurrent children awaited together.
 *
 * acc_gather__coro turns each coroutine into a task up front, so running
 * out of memory shows at the await (acc__await_failed) and never halfway
 * through starting the children. When the gather first runs it starts the
 * children in argument order, each on the C stack up to its first
 * suspension (a nested runner) before the next one starts; once nested
 * runners hold ACC__NEST_STACK of the C stack they are queued instead
 * (acc__may_nest), which keeps the order at each level. The gather then waits until the last child finishes.
 *
 * The children belong to the gather frame, not to the loop's caller: they
 * are freed when the gather returns. Cancelling the gathering task
 * cancels them in order; the gather still waits for all of them, then
 * returns -ECANCELED.
 */
#include <stdint.h>

#include "internal.h"

typedef struct gather_frame {
    acc_frame hdr;
    int *out;
    size_t n;        /* children */
    size_t left;     /* children not finished */
    acc_task *task;  /* the gathering task, for kid_done */
    acc__done_hook kid_done; /* every child's on_done */
    acc_task *kid[]; /* in argument order */
} gather_frame;

static void free_kids(gather_frame *f)
{
    for (size_t i = 0; i < f->n; i++)
        acc__task_free(f->kid[i]);
}

void acc__gather_discard(acc_frame *self)
{
    gather_frame *f = (gather_frame *)self;

    for (size_t i = 0; i < f->n; i++)
        acc__frame_discard(f->kid[i]->head.top);
    free_kids(f);
    acc__frame_free(self);
}

static void kid_done(acc__done_hook *h, acc_task *kid)
{
    gather_frame *f = acc__container_of(h, gather_frame, kid_done);

    (void)kid;
    if (--f->left == 0)
        acc__task_wake(f->task); /* nothing if it has not suspended yet */
}

static void cancel_kids(gather_frame *f)
{
    for (size_t i = 0; i < f->n; i++)
        acc__task_cancel(f->kid[i]);
}

void acc__gather_cancel(acc_task *t, void *wait)
{
    (void)t;
    cancel_kids(wait); /* the last child to finish wakes the gather */
}

int acc__gather_step(acc_frame *self)
{
    gather_frame *f = (gather_frame *)self;
    acc_task *t = acc__task_current();
    acc__loop *loop = acc__loop_current;
    int r;

    switch (self->acc_state) {
    case 0:
        if (t->cancelled) { /* no child runs */
            for (size_t i = 0; i < f->n; i++)
                acc__frame_discard(f->kid[i]->head.top);
            free_kids(f);
            ACC__RETURN(f, f->out, -ECANCELED);
        }
        f->left = f->n;
        f->task = t;
        for (size_t i = 0; i < f->n; i++) {
            acc_task *kid = f->kid[i];
            kid->on_done = &f->kid_done;
            if (t->cancelled) /* by an earlier child: this one never runs */
                acc__task_cancel(kid);
            else if (acc__may_nest(loop))
                acc__task_start(loop, kid);
            else
                acc__task_start_later(loop, kid);
        }
        if (t->cancelled)
            cancel_kids(f);
        self->acc_state = 1;
        if (f->left > 0) {
            acc__task_suspend(t, ACC__WAIT_GATHER, self);
            return ACC_PENDING;
        }
        goto finished; /* every child finished without suspending */
    default:
    finished:
        r = t->cancelled ? -ECANCELED : 0;
        free_kids(f);
        ACC__RETURN(f, f->out, r);
    }
}

acc_frame *acc_gather__coro(int *acc_out, size_t n, acc_frame *const *coros)
{
    gather_frame *f = NULL;
    size_t i, made = 0;

    for (i = 0; i < n; i++)
        if (coros[i] == NULL)
            goto fail;
    if (n > (SIZE_MAX - sizeof *f) / sizeof f->kid[0])
        goto fail;
    f = (gather_frame *)acc__frame_alloc(sizeof *f + n * sizeof f->kid[0]);
    if (f == NULL)
        goto fail;
    for (made = 0; made < n; made++) {
        f->kid[made] = acc__task_new(coros[made]);
        if (f->kid[made] == NULL)
            goto fail;
    }
    f->hdr.acc_resume = acc__gather_step;
    f->hdr.acc_state = 0;
    f->out = acc_out;
    f->n = n;
    f->left = n;
    f->kid_done.fn = kid_done;
    return &f->hdr;

fail:
    /* the frames first: a frame may live in its task's block */
    for (i = 0; i < n; i++)
        acc__frame_discard(coros[i]);
    for (i = 0; i < made; i++)
        acc__task_free(f->kid[i]);
    if (f != NULL)
        acc__frame_free((acc_frame *)f);
    errno = ENOMEM;
    return NULL;
}
