/*
 * task.c: tasks, the runner and cancellation.
 *
 * A task is a stack of frames linked by `acc_caller`, innermost at head.top.
 * Generated code resolves most awaits on the C stack (acc__await in
 * acc.h); the runner below is the trampoline under them. It resumes the
 * innermost frame until either
 *   - the task has no frame left: it finished;
 *   - a leaf suspended the task (blocked): the runner returns and the
 *     task waits for acc__task_wake, which queues it on the ready queue;
 *   - or neither: a frame returned to the runner because it completed (its
 *     caller is the new top and continues at its saved state) or because
 *     an await hit ACC__STACK_BUDGET (the callee is the new top). This is how
 *     deep recursion runs on heap frames with a bounded C stack.
 *
 * The life of a task: new -> started (run at once by acc__task_start, or
 * queued by acc__task_start_later and started at the next turn) ->
 * {running, waiting, queued}* -> done. Flags, not a state enum, because
 * a task can be both cancelled and waiting, or woken and not yet run.
 *
 * Cancellation only ever sets a flag and ends the current wait; it never
 * runs the task's code. The leaf that was waiting sees the flag when it is
 * resumed and returns -ECANCELED; later runtime awaits see it at once.
 */
#include <stdlib.h>

#include "internal.h"

/* Tasks come from the frame allocator's size classes (alloc.c), like
 * frames: no calloc, and a task freed is the next one made. A root frame
 * in the task's block starts at the next 16-byte grain (on 64-bit: a task
 * is 32 bytes, so right after it). */
#define TASK_BYTES ((sizeof(acc_task) + ACC__FRAME_GRAIN - 1) / ACC__FRAME_GRAIN * ACC__FRAME_GRAIN)

/* Fill a task of `bytes` bytes (its block, with the root frame when that
 * lives in it) that will run `root`. */
static acc_task *task_init(acc_task *t, unsigned bytes, acc_frame *root)
{
    t->head.top = root;
    t->wait = NULL;
    t->on_done = NULL;
    t->blocked = 0;
    t->flags = 0;
    /* a block of class c has (c + 1) grains; any larger size is malloc's */
    t->block_class = bytes <= ACC__FRAME_CLASSES * ACC__FRAME_GRAIN
                         ? (unsigned char)((bytes - 1) / ACC__FRAME_GRAIN)
                         : ACC__BIG_BLOCK;
    root->acc_caller = NULL;
    return t;
}

/* What the `acc_caller` of a root frame allocated with its task holds until
 * the task is made (acc__root_alloc, acc.h): only its address matters.
 * Every other frame starts with caller NULL (acc__frame_alloc), and the
 * mark is cleared before a block is freed, so it is never seen by
 * mistake. */
acc_frame acc__in_block;

_Static_assert(TASK_BYTES == ACC__TASK_BYTES, "acc.h's ACC__TASK_BYTES is the task's room in a block");

bool acc__frame_in_block(const acc_frame *root)
{
    return root->acc_caller == &acc__in_block;
}

/* The start of a root frame's block: where its task goes. */
static void *block_of(acc_frame *root)
{
    return (char *)root - TASK_BYTES;
}


static inline acc_task *task_new(acc_frame *root)
{
    if (acc__frame_in_block(root)) {
        /* the task is in front of the frame; the frame's size is the block's */
        acc_task *t = block_of(root);
        unsigned bytes = root->acc_size;
        root->acc_size = 0; /* its return does not free it: the task does */
        return task_init(t, bytes, root);
    }
    acc_frame *block = acc__frame_alloc(TASK_BYTES);
    if (block == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    /* the size the allocator recorded, which its free reads back (not
     * TASK_BYTES: with ACC_FRAME_MALLOC it marks malloc's blocks) */
    return task_init((acc_task *)(void *)block, block->acc_size, root);
}

acc_task *acc__task_new(acc_frame *root)
{
    return task_new(root);
}

void acc__root_discard(acc_frame *root)
{
    acc_frame *block = block_of(root);

    root->acc_caller = NULL; /* no stale mark left in freed memory */
    block->acc_size = root->acc_size;
    acc__frame_free(block);
}

/* ---- the loop's task table -------------------------------------------- */

/* Make room for n more tasks, beside the room held (acc__task_hold): squeeze the holes out when they are half
 * the table (in order, so the table stays oldest first), else grow it.
 * Done before tasks are attached, where a failure can still be reported,
 * so that attaching never fails. */
int acc__task_reserve_slow(acc__loop *loop, size_t n)
{
    acc__task_table *tt = &loop->tasks;

    if (tt->holes > 0 && tt->holes >= tt->len / 2) {
        uint32_t j = 0;
        for (uint32_t i = 0; i < tt->len; i++) {
            acc_task *t = tt->task[i];
            if (t != NULL) {
                t->seq = j;
                tt->task[j++] = t;
            }
        }
        tt->len = j;
        tt->holes = 0;
        tt->squeezes++;
        if (n <= tt->cap - tt->len - tt->held)
            return 0;
    }
    if (n > UINT32_MAX / 2 - tt->len - tt->held)
        return -ENOMEM;
    size_t cap = tt->cap ? tt->cap : 64;
    while (cap - tt->len - tt->held < n)
        cap *= 2;
    acc_task **task = acc__array_resize(tt->task, tt->cap * sizeof *task, cap * sizeof *task);
    if (task == NULL)
        return -ENOMEM;
    tt->task = task;
    tt->cap = (uint32_t)cap;
    return 0;
}

/* Into the table, with room made by acc__task_reserve; the caller sets
 * `attached`. */
static inline void table_add(acc__loop *loop, acc_task *t)
{
    acc__task_table *tt = &loop->tasks;

    t->seq = tt->len;
    tt->task[tt->len++] = t;
    tt->unfinished++;
}

static void attach(acc__loop *loop, acc_task *t)
{
    t->attached = 1;
    table_add(loop, t);
}

/* Give the task's block back; it is out of the table. */
static inline void release(acc_task *t)
{
    acc_frame *f = (acc_frame *)(void *)t;

    /* what acc__frame_free reads: the class's size, or any size above the classes */
    f->acc_size = (t->block_class == ACC__BIG_BLOCK ? ACC__FRAME_CLASSES + 1u : t->block_class + 1u) *
              ACC__FRAME_GRAIN;
    acc__frame_free(f);
}

void acc__task_table_free(acc__task_table *tt)
{
    for (uint32_t i = 0; i < tt->len; i++)
        if (tt->task[i] != NULL)
            release(tt->task[i]);
    acc__array_free(tt->task, tt->cap * sizeof *tt->task);
}

/* Out of the loop's table, if in it, and back to the allocator. */
static inline void task_free(acc__loop *loop, acc_task *t)
{
    if (t->attached) {
        loop->tasks.task[t->seq] = NULL;
        loop->tasks.holes++;
    }
    release(t);
}

void acc__task_free(acc_task *t)
{
    task_free(acc__loop_current, t);
}

bool acc_cancelled(void)
{
    acc_task *t = acc__task_current();

    return t != NULL && t->cancelled;
}


/* The last frame returned (or the task never started): tell the owner.
 * Never on the ready queue here: a queued task finishes only when the
 * loop has taken it off (acc__task_cancel). */
static void finish(acc_task *t)
{
    acc__loop *loop = acc__loop_current;

    t->done = 1;
    t->head.top = NULL;
    if (t->attached) /* else cancelled before it was ever attached */
        loop->tasks.unfinished--;
    if (t->on_done != NULL)
        t->on_done->fn(t->on_done, t);
    if (t->detached)
        task_free(loop, t);
}

_Thread_local uintptr_t acc__stack_base;
_Thread_local acc__task_head *acc__running;

/* A task cancelled before it started never runs (SPEC 2): its root
 * frame is freed and it finishes, its result lvalue untouched. */
static void drop_unstarted(acc_task *t)
{
    acc__frame_discard(t->head.top); /* the root frame, never run */
    finish(t);
}

/* The trampoline: resume the innermost frame until the task blocks or
 * has no frame left. */
static void run_frames(acc_task *t)
{
    t->started = 1;
    t->blocked = 0;
    for (;;) {
        acc_frame *f = t->head.top;
        if (f == NULL) {
            finish(t);
            break;
        }
        f->acc_resume(f);
        if (t->blocked)
            break;
    }
}

void acc__task_run(acc_task *t)
{
    acc__loop *loop = acc__loop_current;
    acc__task_head *outer = acc__running;
    uintptr_t outer_base = acc__stack_base;
    char base;

    if (!t->started && t->cancelled) { /* cancelled while queued */
        drop_unstarted(t);
        return;
    }
    acc__running = &t->head;
    if (loop->nest++ == 0)
        loop->nest_base = (uintptr_t)&base;
    acc__stack_base = (uintptr_t)&base;
    run_frames(t);
    acc__stack_base = outer_base;
    loop->nest--;
    acc__running = outer;
}

/* The loop's phase 3: the runner's bookkeeping (nesting, stack base) is
 * the same for every task of the batch, so it is done once. */
void acc__task_run_batch(acc_task *batch)
{
    acc__loop *loop = acc__loop_current;
    char base;

    if (loop->nest++ == 0)
        loop->nest_base = (uintptr_t)&base;
    acc__stack_base = (uintptr_t)&base;
    while (batch != NULL) {
        acc_task *t = batch;
        batch = t->ready_next;
        t->queued = 0;
        if (!t->started && t->cancelled) { /* cancelled while queued */
            acc__running = NULL;
            drop_unstarted(t);
            continue;
        }
        acc__running = &t->head;
        run_frames(t);
    }
    acc__running = NULL;
    loop->nest--;
}

/* Both with room made by acc__task_reserve. */
void acc__task_start(acc__loop *loop, acc_task *t)
{
    attach(loop, t);
    acc__task_run(t);
}

void acc__task_start_later(acc__loop *loop, acc_task *t)
{
    attach(loop, t);
    acc__task_enqueue(t);
}

/* Here rather than in spawn.c: the spawn of a task is a hot path (4a in
 * bench/), made of this file's inline parts. */
acc_task *acc_spawn(acc_frame *coro)
{
    acc__loop *loop = acc__loop_current;
    acc_task *t;

    if (coro == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    if (loop == NULL) {
        acc__frame_discard(coro);
        errno = EINVAL;
        return NULL;
    }
    if (acc__task_reserve(loop, 1) < 0 || (t = task_new(coro)) == NULL) {
        acc__frame_discard(coro);
        errno = ENOMEM;
        return NULL;
    }
    /* spawned, attached and queued in one store, not three
     * read-modify-writes of the flag byte (4a in bench/) */
    t->flags = ((acc_task){.spawned = 1, .attached = 1, .queued = 1}).flags;
    table_add(loop, t);
    acc__ready_append(&loop->ready, t);
    return t;
}

void acc__task_suspend(acc_task *t, enum acc__wait_kind kind, void *wait)
{
    t->blocked = 1;
    t->waiting = 1;
    t->wait_kind = (unsigned char)kind;
    t->wait = wait;
}


/* blocked stays set: if the wake comes while the leaf is still on the C
 * stack (a yield, a waker woken inside poll), the runner must still stop,
 * since the task is now on the ready queue. The loop clears it. */
void acc__task_wake(acc_task *t)
{
    if (!t->waiting)
        return;
    t->waiting = 0;
    acc__task_enqueue(t); /* ready_next takes wait's place */
}

/* The hooks that undo each kind of wait (ORDER acc__wait_kind). */
static const acc__cancel_fn undo_wait[ACC__WAIT_KINDS] = {
    [ACC__WAIT_SLEEP] = acc__sleep_cancel,
    [ACC__WAIT_SLEEP_IN_BLOCK] = acc__sleep_in_block_cancel,
    [ACC__WAIT_FD] = acc__fdwait_cancel,
    [ACC__WAIT_AWAITABLE] = acc__awaitable_cancel,
    [ACC__WAIT_SYNC] = acc__waiter_cancel,
    [ACC__WAIT_JOIN] = acc__join_cancel,
    [ACC__WAIT_JOIN_ALL] = acc__join_all_cancel,
    [ACC__WAIT_GATHER] = acc__gather_cancel,
    [ACC__WAIT_WAIT_FOR] = acc__wait_for_cancel,
    [ACC__WAIT_TO_THREAD] = acc__to_thread_cancel,
    [ACC__WAIT_LOOKUP] = acc__lookup_cancel,
};

void acc__task_cancel(acc_task *t)
{
    if (t->done || t->cancelled)
        return;
    t->cancelled = 1;
    if (!t->started) {
        /* A queued task is dropped when the loop reaches it: a singly
         * linked queue cannot give it up before. */
        if (!t->queued)
            drop_unstarted(t);
        return;
    }
    if (t->waiting)
        undo_wait[t->wait_kind](t, t->wait);
}
