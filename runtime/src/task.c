/*
 * task.c: tasks, the runner and cancellation.
 *
 * A task is a stack of frames linked by `caller`, innermost at head.top.
 * Generated code resolves most awaits on the C stack (acc__await in
 * acc.h); the runner below is the trampoline under them. It resumes the
 * innermost frame until either
 *   - the task has no frame left: it finished;
 *   - a leaf suspended the task (blocked): the runner returns and the
 *     task waits for acc__task_wake, which queues it on the ready queue;
 *   - or neither: a frame returned to the runner because it completed (its
 *     caller is the new top and continues at its saved state) or because
 *     an await hit ACC__MAX_DEPTH (the callee is the new top). This is how
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
 * is 56 bytes, so 8 bytes of padding). */
#define TASK_BYTES ((sizeof(acc_task) + ACC__FRAME_GRAIN - 1) / ACC__FRAME_GRAIN * ACC__FRAME_GRAIN)

/* Fill a task of `bytes` bytes (its block, with the root frame when that
 * lives in it) that will run `root`. */
static acc_task *task_init(acc_task *t, unsigned bytes, acc_frame *root)
{
    t->head.top = root;
    t->blocked = 0;
    t->started = t->waiting = t->queued = t->cancelled = 0;
    t->done = t->detached = t->spawned = t->attached = 0;
    t->block_bytes = bytes < ACC__BIG_BLOCK ? bytes : ACC__BIG_BLOCK;
    t->on_cancel = NULL;
    t->on_done = NULL;
    root->caller = NULL;
    acc__list_init(&t->task_node);
    return t;
}

/* What the `caller` of a root frame allocated with its task holds until
 * the task is made (acc__root_alloc): only its address matters. Every
 * other frame starts with caller NULL (acc__frame_alloc), and the mark is
 * cleared before a block is freed, so it is never seen by mistake. */
static acc_frame in_block;

bool acc__frame_in_block(const acc_frame *root)
{
    return root->caller == &in_block;
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
        unsigned bytes = root->size;
        root->size = 0; /* its return does not free it: the task does */
        return task_init(t, bytes, root);
    }
    acc_frame *block = acc__frame_alloc(TASK_BYTES);
    if (block == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    /* the size the allocator recorded, which its free reads back (not
     * TASK_BYTES: with ACC_FRAME_MALLOC it marks malloc's blocks) */
    return task_init((acc_task *)(void *)block, block->size, root);
}

acc_task *acc__task_new(acc_frame *root)
{
    return task_new(root);
}

/* A root frame and its task in one block: the frame starts TASK_BYTES in
 * (16-byte aligned, like any frame). */
void *acc__root_alloc(size_t frame_size)
{
    acc_frame *block;
    acc_frame *f;

    if (frame_size > (unsigned)-1 - TASK_BYTES) {
        errno = ENOMEM;
        return NULL;
    }
    block = acc__frame_alloc(TASK_BYTES + frame_size);
    if (block == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    f = (acc_frame *)(void *)((char *)block + TASK_BYTES);
    f->size = block->size; /* the block's, until acc__task_new takes it */
    f->caller = &in_block;
    return f;
}

void acc__root_discard(acc_frame *root)
{
    acc_frame *block = block_of(root);

    root->caller = NULL; /* no stale mark left in freed memory */
    block->size = root->size;
    acc__frame_free(block);
}

/* Give the task's block back; it is on no list. */
static void release(acc_task *t)
{
    acc_frame *f = (acc_frame *)(void *)t;
    unsigned bytes = t->block_bytes;

    f->size = bytes; /* what acc__frame_free reads */
    acc__frame_free(f);
}

void acc__task_free(acc_task *t)
{
    acc__list_remove(&t->task_node); /* a zombie's node is on loop->zombies */
    release(t);
}

bool acc_cancelled(void)
{
    acc_task *t = acc__task_current();

    return t != NULL && t->cancelled;
}

static void attach(acc__loop *loop, acc_task *t)
{
    t->attached = 1;
    acc__list_push(&loop->tasks, &t->task_node);
    loop->ntasks++;
}


/* The last frame returned (or the task never started): tell the owner.
 * Never on the ready queue here: a queued task finishes only when the
 * loop has taken it off (acc__task_cancel). */
static void finish(acc_task *t)
{
    acc__loop *loop = t->attached ? acc__loop_current : NULL;

    t->done = 1;
    t->head.top = NULL;
    if (loop != NULL) { /* NULL: cancelled before it was ever attached */
        acc__list_remove(&t->task_node);
        loop->ntasks--;
    }
    if (t->on_done != NULL)
        t->on_done->fn(t->on_done, t);
    if (t->detached)
        release(t); /* its node is off the lists, or was never on one */
    else if (t->spawned && loop != NULL)
        acc__list_push(&loop->zombies, &t->task_node);
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
        f->resume(f);
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
    loop->nest++;
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

    loop->nest++;
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

acc_task *acc__task_spawn(acc__loop *loop, acc_frame *root)
{
    acc_task *t = task_new(root);

    if (t == NULL)
        return NULL;
    t->spawned = 1;
    attach(loop, t);
    acc__task_enqueue(t);
    return t;
}

void acc__task_suspend(acc_task *t, acc__cancel_fn on_cancel, void *wait)
{
    t->blocked = 1;
    t->waiting = 1;
    t->on_cancel = on_cancel;
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
    acc__task_enqueue(t); /* ready_next takes on_cancel's place */
}

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
    if (t->waiting) {
        acc__cancel_fn undo = t->on_cancel;
        t->on_cancel = NULL;
        if (undo != NULL)
            undo(t, t->wait);
        else
            acc__task_wake(t);
    }
}
