/*
 * spawn.c: tasks as values: acc_spawn, acc_join, acc_join_all,
 * acc_detach and acc_cancel.
 *
 * A spawned task is queued and starts at the loop's next turn (asyncio's
 * create_task), never inside acc_spawn. Its handle stays valid until it
 * is released, by acc_detach or by a join that returns; a spawned task
 * that finishes before that stays in loop->tasks, and whatever is left
 * there when acc_run ends is freed with the loop.
 *
 * Joining uses the task's on_done hook: the finished task wakes its
 * joiner. acc_join_all is the dynamic acc_gather: the same counting, but
 * on tasks that were started already. (acc_spawn itself is in task.c,
 * where the task's hot path can be one function.)
 */
#include "internal.h"

/* NULL (what a failed acc_spawn returns) is no task: acc_cancel and
 * acc_detach do nothing with it, so acc_detach(acc_spawn(...)) is safe;
 * acc_join gives -EINVAL, acc_join_all skips it. */
void acc_cancel(acc_task *t)
{
    if (t == NULL)
        return;
    acc__task_cancel(t);
}

void acc_detach(acc_task *t)
{
    if (t == NULL)
        return;
    if (t->done) {
        acc__task_free(t);
        return;
    }
    t->on_done = NULL;
    t->detached = 1;
}

/* Release a finished task and say how it ended. */
static int reap(acc_task *t)
{
    int r = t->cancelled ? -ECANCELED : 0;

    acc__task_free(t);
    return r;
}

/* ---- acc_join ---------------------------------------------------------- */

typedef struct join_frame {
    acc_frame hdr;
    int *out;
    acc_task *target;
    acc_task *task;      /* the joining task, for join_done */
    acc__done_hook done; /* the target's on_done */
} join_frame;

static void join_done(acc__done_hook *h, acc_task *target)
{
    join_frame *f = acc__container_of(h, join_frame, done);

    (void)target;
    acc__task_wake(f->task);
}

/* The joiner is cancelled: it returns at once and the target runs on,
 * detached (SPEC 2). */
void acc__join_cancel(acc_task *t, void *wait)
{
    join_frame *f = wait;

    acc_detach(f->target);
    f->target = NULL;
    acc__task_wake(t);
}

static int join_step(acc_frame *self)
{
    join_frame *f = (join_frame *)self;
    acc_task *t = acc__task_current();

    switch (self->acc_state) {
    case 0:
        if (f->target == NULL)
            ACC__RETURN(f, f->out, -EINVAL);
        if (t->cancelled) { /* at once, finished target or not (SPEC 2) */
            acc_detach(f->target);
            ACC__RETURN(f, f->out, -ECANCELED);
        }
        if (f->target->done)
            ACC__RETURN(f, f->out, reap(f->target));
        f->task = t;
        f->done.fn = join_done;
        f->target->on_done = &f->done;
        self->acc_state = 1;
        acc__task_suspend(t, ACC__WAIT_JOIN, self);
        return ACC_PENDING;
    default:
        if (f->target == NULL) /* join_cancel detached it */
            ACC__RETURN(f, f->out, -ECANCELED);
        /* Woken by the target's end, then cancelled before it ran: the
         * wait ended, but a cancelled task's awaits return -ECANCELED, as
         * acc_join_all's do. */
        if (t->cancelled) {
            reap(f->target);
            ACC__RETURN(f, f->out, -ECANCELED);
        }
        ACC__RETURN(f, f->out, reap(f->target));
    }
}

acc_frame *acc_join__coro(int *acc_out, acc_task *target)
{
    join_frame *f = (join_frame *)acc__frame_alloc(sizeof *f);

    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = join_step;
    f->hdr.acc_state = 0;
    f->out = acc_out;
    f->target = target;
    return &f->hdr;
}

/* ---- acc_join_all ------------------------------------------------------ */

typedef struct join_all_frame {
    acc_frame hdr;
    int *out;
    acc_task **ts;
    size_t n;
    size_t left; /* tasks not finished */
    acc_task *task;      /* the joining task, for join_all_done */
    acc__done_hook done; /* every target's on_done */
} join_all_frame;

static void join_all_done(acc__done_hook *h, acc_task *target)
{
    join_all_frame *f = acc__container_of(h, join_all_frame, done);

    (void)target;
    if (--f->left == 0)
        acc__task_wake(f->task);
}

void acc__join_all_cancel(acc_task *t, void *wait)
{
    join_all_frame *f = wait;

    (void)t;
    for (size_t i = 0; i < f->n; i++)
        if (f->ts[i] != NULL)
            acc__task_cancel(f->ts[i]); /* the last to finish wakes us */
}

static int join_all_step(acc_frame *self)
{
    join_all_frame *f = (join_all_frame *)self;
    acc_task *t = acc__task_current();
    int r = 0;

    switch (self->acc_state) {
    case 0:
        f->left = 0;
        f->task = t;
        f->done.fn = join_all_done;
        for (size_t i = 0; i < f->n; i++) {
            if (f->ts[i] == NULL || f->ts[i]->done)
                continue;
            f->ts[i]->on_done = &f->done;
            f->left++;
        }
        if (t->cancelled)
            acc__join_all_cancel(t, &f->hdr);
        self->acc_state = 1;
        if (f->left > 0) {
            acc__task_suspend(t, ACC__WAIT_JOIN_ALL, self);
            return ACC_PENDING;
        }
        goto finished; /* all finished already */
    default:
    finished:
        for (size_t i = 0; i < f->n; i++)
            if (f->ts[i] != NULL && reap(f->ts[i]) < 0)
                r = -ECANCELED;
        ACC__RETURN(f, f->out, t->cancelled ? -ECANCELED : r);
    }
}

acc_frame *acc_join_all__coro(int *acc_out, acc_task **ts, size_t n)
{
    join_all_frame *f = (join_all_frame *)acc__frame_alloc(sizeof *f);

    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = join_all_step;
    f->hdr.acc_state = 0;
    f->out = acc_out;
    f->ts = ts;
    f->n = n;
    return &f->hdr;
}
