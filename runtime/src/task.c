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
#include <string.h>

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


/* A root frame in a block that cannot hold this thread's task (built on
 * another thread) moves to one of this thread's blocks: it has not run,
 * so nothing points into it. NULL (errno ENOMEM) without memory; the
 * frame is then where it was. */
static acc_frame *adopt(acc_frame *root, unsigned bytes)
{
    acc_frame *block = acc__task_block_alloc(bytes);
    acc_frame *moved;

    if (block == NULL)
        return NULL;
    moved = (acc_frame *)(void *)((char *)block + TASK_BYTES);
    memcpy(moved, root, bytes - TASK_BYTES);
    moved->acc_size = block->acc_size;
    acc__root_discard(root);
    return moved;
}

static inline acc_task *task_new(acc_frame *root)
{
    if (acc__frame_in_block(root)) {
        /* the task is in front of the frame; the frame's size is the block's */
        if (acc__task_block_foreign(block_of(root), root->acc_size) &&
            (root = adopt(root, root->acc_size)) == NULL)
            return NULL;
        acc_task *t = block_of(root);
        unsigned bytes = root->acc_size;
        root->acc_size = 0; /* its return does not free it: the task does */
        return task_init(t, bytes, root);
    }
    acc_frame *block = acc__task_block_alloc(TASK_BYTES);
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
    if (acc__task_block_foreign(block, block->acc_size))
        acc__task_block_give_back(block);
    else
        acc__task_block_free(block);
}

/* ---- the loop's tasks ---------------------------------------------------- */

/* The loop keeps no table of its tasks: they are found by walking this
 * thread's task slabs (alloc.c), and the loose list for blocks from
 * malloc, which has a node in front of each. While the loop walks them
 * to cancel or release them, task blocks freed wait on `deferred`, so
 * that a task it has seen stays readable (its `attached` flag clear) and
 * does not become another task. */
static _Thread_local acc_frame *deferred;
static _Thread_local unsigned deferring;

static inline acc__list *loose_node(acc_task *t)
{
    return (acc__list *)(void *)((char *)t - ACC__LOOSE_PREFIX);
}

static inline acc_task *loose_task(acc__list *n)
{
    return (acc_task *)(void *)((char *)n + ACC__LOOSE_PREFIX);
}

static inline void attach(acc__loop *loop, acc_task *t)
{
    t->seq = loop->spawned++;
    loop->unfinished++;
    if (t->block_class == ACC__BIG_BLOCK)
        acc__list_push(&loop->loose, loose_node(t));
}

/* While a walk's results are in use, a released block waits: true. */
static inline bool defer(acc_frame *f)
{
    if (!deferring)
        return false;
    f->acc_caller = deferred;
    deferred = f;
    return true;
}

/* A task block from malloc: out of the loop's loose list (its node is
 * linked to itself if it never was in it), then freed. */
static void release_loose(acc_task *t)
{
    acc_frame *f = (acc_frame *)(void *)t;

    t->flags = 0;
    f->acc_size = (ACC__FRAME_CLASSES + 1u) * ACC__FRAME_GRAIN; /* above the classes */
    if (defer(f)) /* stays in the list, no longer attached */
        return;
    acc__list_remove(loose_node(t));
    acc__task_block_free(f);
}

/* Give the task's block back, out of the loop if it was attached. */
static inline void release(acc_task *t)
{
    acc_frame *f = (acc_frame *)(void *)t;

    if (t->block_class == ACC__BIG_BLOCK) {
        release_loose(t);
        return;
    }
    t->flags = 0; /* what the walks read: not a task any more */
    f->acc_size = (t->block_class + 1u) * ACC__FRAME_GRAIN; /* what the free reads */
    if (!defer(f))
        acc__task_block_free(f);
}

void acc__task_free(acc_task *t)
{
    release(t);
}

/* The unfinished tasks a walk found, and whether it found them all. */
typedef struct found {
    acc_task **task;
    size_t n, cap;
    uint32_t from; /* spawn numbers from here on */
    bool failed;   /* out of memory: not everything is in `task` */
} found;

static void find(acc_task *t, void *arg)
{
    found *fd = arg;
    acc_task **grown;

    if (!t->attached || t->done || t->seq < fd->from || fd->failed)
        return;
    if (fd->n == fd->cap) {
        size_t cap = fd->cap ? 2 * fd->cap : 256;
        if ((grown = acc__realloc(fd->task, cap * sizeof *grown)) == NULL) {
            fd->failed = true;
            return;
        }
        fd->task = grown;
        fd->cap = cap;
    }
    fd->task[fd->n++] = t;
}

static void walk(acc__loop *loop, void (*fn)(acc_task *t, void *arg), void *arg)
{
    acc__task_blocks_walk(fn, arg);
    for (acc__list *n = loop->loose.next; n != &loop->loose; n = n->next)
        fn(loose_task(n), arg);
}

static int by_spawn_number(const void *a, const void *b)
{
    uint32_t x = (*(acc_task *const *)a)->seq, y = (*(acc_task *const *)b)->seq;
    return (x > y) - (x < y);
}

static void end_deferring(void)
{
    if (--deferring > 0)
        return;
    while (deferred != NULL) {
        acc_frame *f = deferred;
        deferred = f->acc_caller;
        if (f->acc_size > ACC__FRAME_CLASSES * ACC__FRAME_GRAIN)
            acc__list_remove(loose_node((acc_task *)(void *)f));
        acc__task_block_free(f);
    }
}

/* A task seen by the walk, still to be cancelled? (Cancelling others may
 * have finished or released it; a released one's block is deferred.) */
static void cancel_found(acc_task *t, void *arg)
{
    const uint32_t *from = arg;

    if (t->attached && !t->done && t->seq >= *from)
        acc__task_cancel(t);
}

/* The first loose task cancel_found would still cancel, or NULL. */
static acc_task *loose_to_cancel(acc__loop *loop, uint32_t from)
{
    for (acc__list *n = loop->loose.next; n != &loop->loose; n = n->next) {
        acc_task *t = loose_task(n);
        if (t->attached && !t->done && !t->cancelled && t->seq >= from)
            return t;
    }
    return NULL;
}

void acc__task_cancel_since(acc__loop *loop, uint32_t from)
{
    found fd = {.from = from};
    acc_task *t;

    deferring++;
    walk(loop, find, &fd);
    if (!fd.failed) {
        if (fd.n > 1)
            qsort(fd.task, fd.n, sizeof *fd.task, by_spawn_number);
        for (size_t i = 0; i < fd.n; i++)
            cancel_found(fd.task[i], &from);
    } else {
        /* no memory for the order: in the order they are found */
        acc__task_blocks_walk(cancel_found, &from);
        while ((t = loose_to_cancel(loop, from)) != NULL)
            acc__task_cancel(t);
    }
    free(fd.task);
    end_deferring();
}

static void release_found(acc_task *t, void *arg)
{
    (void)arg;
    if (t->attached)
        release(t);
}

void acc__task_release_all(acc__loop *loop)
{
    deferring++;
    walk(loop, release_found, NULL); /* released ones leave the list after */
    end_deferring();
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
        loop->unfinished--;
    if (t->on_done != NULL)
        t->on_done->fn(t->on_done, t);
    if (t->detached)
        release(t);
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

void acc__task_start(acc__loop *loop, acc_task *t)
{
    t->attached = 1;
    attach(loop, t);
    acc__task_run(t);
}

void acc__task_start_later(acc__loop *loop, acc_task *t)
{
    t->attached = 1;
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
    if ((t = task_new(coro)) == NULL) {
        acc__frame_discard(coro);
        errno = ENOMEM;
        return NULL;
    }
    /* spawned, attached and queued in one store, not three
     * read-modify-writes of the flag byte (4a in bench/) */
    t->flags = ((acc_task){.spawned = 1, .attached = 1, .queued = 1}).flags;
    attach(loop, t);
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
