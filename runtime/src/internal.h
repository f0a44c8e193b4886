/*
 * internal.h: what the files of libacc share and nothing else sees.
 *
 * The runtime is one event loop per thread (acc__loop) running tasks
 * (acc_task): a task is a stack of coroutine frames whose innermost frame
 * is resumed by the task's runner. Leaf coroutines written in C (sleep,
 * gather, awaitables) suspend a task by marking it blocked and registering
 * how to wake it: a timer (timer.c), a descriptor (io.c), a waker
 * (awaitable.c) or other tasks finishing (gather.c). Waking puts the task
 * on the loop's FIFO ready queue; loop.c turns the loop.
 *
 * One section per file below, in the order a reader meets them. Names
 * shared between files are acc__xxx; everything else is static.
 */
#ifndef ACC_INTERNAL_H
#define ACC_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "acc.h"

typedef struct acc__loop acc__loop;

/* ------------------------------------------------------------------------
 * Intrusive doubly linked lists (the idiom of Linux's list.h and libuv's
 * queue.h): a node is embedded in the object, container_of gets it back.
 * A list head is a node linked to itself when empty.
 * ---------------------------------------------------------------------- */

/* acc__list itself is in acc.h: acc_event and acc_sem embed one. */

#define acc__container_of(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

static inline void acc__list_init(acc__list *l) { l->next = l->prev = l; }
static inline int acc__list_empty(const acc__list *l) { return l->next == l; }

static inline void acc__list_push(acc__list *l, acc__list *n)
{
    n->prev = l->prev;
    n->next = l;
    l->prev->next = n;
    l->prev = n;
}

static inline void acc__list_remove(acc__list *n)
{
    n->prev->next = n->next;
    n->next->prev = n->prev;
    n->next = n->prev = n;
}

/* Move every node of `from` to the end of `to`; `from` ends empty. */
static inline void acc__list_splice(acc__list *from, acc__list *to)
{
    if (acc__list_empty(from))
        return;
    from->next->prev = to->prev;
    to->prev->next = from->next;
    from->prev->next = to;
    to->prev = from->prev;
    acc__list_init(from);
}

/* ------------------------------------------------------------------------
 * alloc.c: coroutine frames.
 * ---------------------------------------------------------------------- */

/* A runtime leaf's state fits the slot acc.h gives generated code for it. */
#define ACC__SLOT_FITS(leaf, slot)                                              \
    _Static_assert(sizeof(leaf) <= sizeof(slot) && _Alignof(leaf) <= _Alignof(slot), \
                   #leaf " must fit in " #slot " (acc.h)")

/* Free a frame that never ran, with whatever it owns (a gather's
 * children). Frames of generated code own nothing and are just freed. */
void acc__frame_discard(acc_frame *f);
/* Give every cached frame of this thread back to malloc. */
void acc__frame_trim(void);
/* Every allocation of the runtime goes through these, so that tests can
 * make the n+1st one fail: acc__fail_alloc_after(n) on this thread
 * (n < 0: never). Frames taken from the cache count too. */
void *acc__malloc(size_t size);
void *acc__calloc(size_t n, size_t size);
void *acc__realloc(void *p, size_t size);
void acc__fail_alloc_after(long n);
/* The frame memory a thread may hold before its cache closes (alloc.c;
 * 256 MiB, 0: no cache). A test hook too. */
void acc__frame_cache_set_limit(size_t bytes);
/* Task blocks (alloc.c), kept apart from frames so that a loop can walk
 * its tasks (task.c). acc.h allocates them inline (acc__root_alloc); a
 * block's acc_size must be set (its class's size, or any size above the
 * classes for one from malloc) before it is freed. */
#define ACC__SLAB_BYTES ((size_t)64 << 10)
#define ACC__SLAB_FIRST 64 /* blocks start one cache line in, after the header */

typedef struct acc__slab {
    struct acc__slab *next, *prev; /* frame slabs: all_slabs, under its lock;
                                      task slabs: their thread's list */
    uint32_t carved;       /* blocks handed out; final once retired */
    uint32_t returned;     /* blocks given back by trims (under slab_lock) */
    int retired;           /* its thread carves no more from it (under slab_lock) */
    uint32_t block_size;   /* the size of its blocks (of one class) */
    uint64_t owner;        /* the thread that carves it (acc__thread_number) */
    unsigned char tasks;   /* a task slab */
} acc__slab;

_Static_assert(sizeof(acc__slab) <= ACC__SLAB_FIRST, "a slab's header fits before its first block");

/* A slab is aligned to its size: a block finds it by masking its address. */
static inline acc__slab *acc__slab_of(const void *block)
{
    return (acc__slab *)((uintptr_t)block & ~(uintptr_t)(ACC__SLAB_BYTES - 1));
}

/* This thread's number, from 1 once it has carved a slab, else 0. */
extern _Thread_local uint64_t acc__thread_number;

/* In front of a task block from malloc: its node in the loop's list of
 * such tasks (task.c), linked to itself until the task is attached.
 * Keeps the block 16-byte aligned. */
#define ACC__LOOSE_PREFIX sizeof(acc__list)

/* Is this block, of `bytes` (its recorded size), a slab block that is
 * not one of this thread's task blocks? Then no task of this thread may
 * live in it. */
static inline bool acc__task_block_foreign(const void *block, size_t bytes)
{
    const acc__slab *s;

    if (bytes > ACC__FRAME_CLASSES * ACC__FRAME_GRAIN)
        return false; /* from malloc */
    s = acc__slab_of(block);
    return !s->tasks || s->owner != acc__thread_number;
}

void acc__task_block_free_slow(acc_frame *block);
static inline void acc__task_block_free(acc_frame *block)
{
    if (!acc__cache_push(acc__task_cache, block))
        acc__task_block_free_slow(block);
}
/* A block of another thread's task slab (or of a frame slab), freed on
 * this one: counted back in its slab, never used again. */
void acc__task_block_give_back(acc_frame *block);
/* fn(block, arg) for every block carved from this thread's task slabs,
 * in no order: tasks (attached or not), root frames waiting for their
 * task, free blocks. fn must not free task blocks (task.c defers them). */
void acc__task_blocks_walk(void (*fn)(acc_task *t, void *arg), void *arg);


/* ------------------------------------------------------------------------
 * timer.c: the timers: a hierarchical timing wheel of unsorted buckets,
 * and a near part (a sorted run and a small min-heap) for the timers due
 * soonest, where (deadline, arming order) is exact.
 * ---------------------------------------------------------------------- */

typedef struct acc__timer acc__timer;
typedef void (*acc__timer_cb)(acc__timer *t);

/* 8 bytes, embedded in the waiting frame. The timers never write to it
 * while they reorder: a timer is found through its id in the owner
 * table, and stopping sets the id's bit in a bitmap of dead ids, O(1)
 * (the entry stays where it is, dead, and is dropped when reached or at
 * a compaction). The callback is named by a 4-byte kind rather than an
 * 8-byte pointer (timer.c keeps the few callbacks there are in a table).
 * acc_sleep needs none: its timer wakes the task (acc__timer_start_wake). */
struct acc__timer {
    uint32_t id;   /* index in loop->timers.owner; ACC__TIMER_IDLE when not armed */
    uint32_t kind; /* the callback given to acc__timer_init, called once
                      when the deadline has passed */
};

#define ACC__TIMER_IDLE UINT32_MAX

typedef struct acc__timer_entry {
    uint64_t deadline; /* CLOCK_MONOTONIC nanoseconds */
    uint32_t seq;      /* in the near heap only: arming order, breaks ties */
    uint32_t id;       /* owner[id] is the timer, unless the id's dead bit is set */
} acc__timer_entry;

/* Entries are kept in chunks of 1 KiB, linked into lists. */
#define ACC__TIMER_CHUNK 63
typedef struct acc__timer_chunk {
    struct acc__timer_chunk *next;
    uint32_t n; /* entries in use, from e[0] */
    uint32_t unused;
    acc__timer_entry e[ACC__TIMER_CHUNK];
} acc__timer_chunk;

typedef struct acc__timer_list {
    acc__timer_chunk *head, *tail; /* both NULL when empty */
} acc__timer_list;

/* The wheel: 11 levels of 64 slots; level k's slots are 2^(6k) ns wide.
 * (timer.c's, and sleep_wheel.c's of the same shape.) */
#define ACC__WHEEL_LEVELS 11
#define ACC__WHEEL_SLOTS 64
#define ACC__WHEEL_LEVEL_BITS 6

/* A deadline is filed relative to the wheel's base, at or before it: at
 * the level of the highest bit where they differ, so that (level, slot)
 * order is deadline order between buckets. Its bucket's index. */
static inline unsigned acc__wheel_bucket(uint64_t deadline, uint64_t base, unsigned *level)
{
    uint64_t x = deadline ^ base;
    unsigned k = x ? (unsigned)(63 - __builtin_clzll(x)) / ACC__WHEEL_LEVEL_BITS : 0;

    *level = k;
    return k * ACC__WHEEL_SLOTS +
           ((unsigned)(deadline >> (ACC__WHEEL_LEVEL_BITS * k)) & (ACC__WHEEL_SLOTS - 1));
}

/* Where slot j of level k starts, given base. */
static inline uint64_t acc__wheel_slot_start(uint64_t base, unsigned k, unsigned j)
{
    unsigned shift = ACC__WHEEL_LEVEL_BITS * k, above = shift + ACC__WHEEL_LEVEL_BITS;
    uint64_t high = above >= 64 ? 0 : base >> above << above;

    return high | (uint64_t)j << shift;
}

/* The earliest non-empty bucket's start (some level is not empty). */
static inline uint64_t acc__wheel_earliest(uint64_t base, uint32_t levels, const uint64_t *occupied,
                                           unsigned *k, unsigned *j)
{
    *k = (unsigned)__builtin_ctz(levels);
    *j = (unsigned)__builtin_ctzll(occupied[*k]);
    return acc__wheel_slot_start(base, *k, *j);
}

typedef struct acc__heap {
    size_t len;                /* entries anywhere, live and dead */
    size_t dead;               /* entries whose timer was stopped */
    uint64_t base;             /* the wheel's position: entries are filed by
                                  the highest bit where they differ from it */
    uint64_t horizon;          /* entries due before it are near, the others
                                  in the wheel */
    acc__timer_list *wheel;    /* [level * 64 + slot]; NULL until first used */
    uint64_t occupied[ACC__WHEEL_LEVELS]; /* per level, its non-empty slots */
    uint32_t levels;           /* levels with a non-empty slot */

    acc__timer_chunk *run;     /* near: sorted, consumed from run->e[run_pos] */
    uint32_t run_pos;
    uint32_t seq;              /* next sequence number in the near heap */
    acc__timer_entry *near;    /* near: a 4-ary min-heap by (deadline, seq) of
                                  what was armed into the near range */
    size_t near_len, near_cap;

    acc__timer_chunk **spare;  /* free chunks, a stack */
    acc__timer_chunk **chunks; /* every chunk, in the order allocated */
    size_t nspare;             /* spare in use */
    size_t nchunks;            /* chunks allocated, free or in use */
    size_t chunks_cap;         /* spare's and chunks' capacity */

    uintptr_t *owner;          /* by id: what the timer armed with that id
                                  fires, an acc__timer * or a task | 1
                                  (see acc__timer_start_wake) */
    uint64_t *dead_ids;        /* by id, a bit: stopped, its entry still held;
                                  clear for ids armed or free */
    uint32_t *free_ids;        /* ids not in use, a stack (as long as owner) */
    uint32_t nfree;            /* free_ids in use */
    uint32_t nids;             /* ids ever handed out: owner's length */
    uint32_t ids_cap;          /* owner's and free_ids' capacity */
} acc__heap;

uint64_t acc__now_ns(void);
void acc__timer_init(acc__timer *t, acc__timer_cb cb);
int acc__timer_start(acc__loop *loop, acc__timer *t, uint64_t deadline);
void acc__timer_stop(acc__loop *loop, acc__timer *t);
/* A timer with no acc__timer: at the deadline it wakes task t
 * (acc__task_wake). The caller keeps only the id set in *id, for
 * acc__timer_stop_id, which is how acc_sleep's leaf is one word. */
int acc__timer_start_wake(acc__loop *loop, acc_task *t, uint64_t deadline, uint32_t *id);
void acc__timer_stop_id(acc__loop *loop, uint32_t id);
/* The earliest deadline, or an earlier time at which acc__timer_run must
 * look closer (never a later one); UINT64_MAX with no timer armed.
 * These two see the tasks asleep in their block too (sleep_wheel.c). */
uint64_t acc__timer_next(acc__loop *loop);
/* Timers armed and not stopped. */
static inline size_t acc__timer_count(const acc__heap *h) { return h->len - h->dead; }
/* Fire every timer due at `now`, earliest first (on equal deadlines,
 * the heap's before the sleep wheel's); returns how many. */
size_t acc__timer_run(acc__loop *loop, uint64_t now);

void acc__heap_free(acc__heap *h);

/* ------------------------------------------------------------------------
 * sleep_wheel.c: the timers of tasks asleep in their own block, kept in
 * the block's idle words (see there).
 * ---------------------------------------------------------------------- */

/* acc_sleep's slot from its first step on: this bit, and the timer's id
 * (timer.c) or the deadline (sleep_wheel.c). */
#define ACC__SLEEP_STARTED ((uint64_t)1 << 63)

typedef struct acc__sleep_wheel {
    acc_task **slot;        /* [level * 64 + slot]: a bucket's first task;
                               NULL until first used */
    uint64_t occupied[ACC__WHEEL_LEVELS];
    uint32_t levels;        /* levels with a non-empty slot */
    uint64_t base;          /* at or before every deadline in the wheel */
    size_t count;           /* tasks in the wheel */
} acc__sleep_wheel;

/* Can the task, whose leaf steps now, keep its sleep's timer in its
 * block? Its root frame must be there and hold the leaf's slot. */
bool acc__sleep_in_block(acc_task *t);
/* Suspend t until `deadline` (after `now`, the clock just read): 0, or
 * -ENOMEM (the wheel could not be made). The slot is the sleep's. */
int acc__sleep_wheel_add(acc__loop *loop, acc_task *t, uint64_t *slot, uint64_t now, uint64_t deadline);
/* The earliest deadline, or an earlier time (never a later one). */
uint64_t acc__sleep_wheel_next(const acc__sleep_wheel *w);
/* The earliest deadline if it has passed at `now` (buckets are opened to
 * find it), else UINT64_MAX. */
uint64_t acc__sleep_wheel_due(acc__sleep_wheel *w, uint64_t now);
/* Wake the tasks of the deadline acc__sleep_wheel_due returned, in
 * arming order; how many. */
size_t acc__sleep_wheel_fire(acc__sleep_wheel *w);
void acc__sleep_wheel_free(acc__sleep_wheel *w);

/* ------------------------------------------------------------------------
 * task.c: tasks, their runner and cancellation.
 * ---------------------------------------------------------------------- */

/* Undoes a task's wait when the task is cancelled. `wait` is what the
 * suspending leaf or frame gave acc__task_suspend: where the wait's
 * state lives (a leaf's slot, a frame, a wait record in either). It must
 * wake the task, at once or later. */
typedef void (*acc__cancel_fn)(acc_task *t, void *wait);

/* The waits there are, each undone by its hook: a waiting task keeps the
 * kind, one byte, rather than the hook's pointer (task.c's table of hooks
 * is indexed by it: ORDER acc__wait_kind). */
enum acc__wait_kind {
    ACC__WAIT_SLEEP,     /* sleep.c: a timer */
    ACC__WAIT_SLEEP_IN_BLOCK, /* sleep_wheel.c: a timer in the task's block */
    ACC__WAIT_FD,        /* fd.c: a descriptor */
    ACC__WAIT_AWAITABLE, /* awaitable.c: a waker */
    ACC__WAIT_SYNC,      /* sync.c: a wait list */
    ACC__WAIT_JOIN,      /* spawn.c: a task */
    ACC__WAIT_JOIN_ALL,  /* spawn.c: tasks */
    ACC__WAIT_GATHER,    /* gather.c: children */
    ACC__WAIT_WAIT_FOR,  /* wait_for.c: a child and a timer */
    ACC__WAIT_TO_THREAD, /* thread.c: a job */
    ACC__WAIT_LOOKUP,    /* net.c: a name look-up */
    ACC__WAIT_KINDS
};
void acc__sleep_cancel(acc_task *t, void *wait);
void acc__sleep_in_block_cancel(acc_task *t, void *wait);
void acc__fdwait_cancel(acc_task *t, void *wait);
void acc__awaitable_cancel(acc_task *t, void *wait);
void acc__waiter_cancel(acc_task *t, void *wait);
void acc__join_cancel(acc_task *t, void *wait);
void acc__join_all_cancel(acc_task *t, void *wait);
void acc__gather_cancel(acc_task *t, void *wait);
void acc__wait_for_cancel(acc_task *t, void *wait);
void acc__to_thread_cancel(acc_task *t, void *wait);
void acc__lookup_cancel(acc_task *t, void *wait);

/* Tells whoever waits for a task (a joiner, a gather) that it finished.
 * Embedded in the waiting frame, found back with acc__container_of: the
 * task holds one pointer, not a function and its argument. */
typedef struct acc__done_hook acc__done_hook;
struct acc__done_hook {
    void (*fn)(acc__done_hook *h, acc_task *t);
};

/* block_class of a block above the frame cache's classes (or from malloc,
 * ACC_FRAME_MALLOC): acc__task_free hands it to free(). */
#define ACC__BIG_BLOCK UCHAR_MAX

/* A new task that will run `root` (not started, on no loop). When root
 * comes from acc__root_alloc (acc.h), the task is the one in its block. */
acc_task *acc__task_new(acc_frame *root);
void acc__task_free(acc_task *t);
/* Is root a frame from acc__root_alloc that no task has taken yet? Then
 * acc__root_discard frees its block. */
bool acc__frame_in_block(const acc_frame *root);
void acc__root_discard(acc_frame *root);
/* The tasks attached to the loop that are not done, and whose spawn
 * number is at least `from` (loop->spawned when the last such call
 * began), are cancelled, oldest first. */
void acc__task_cancel_since(acc__loop *loop, uint32_t from);
/* The loop ends: the tasks left (finished, never joined nor detached)
 * are released with it. */
void acc__task_release_all(acc__loop *loop);
/* Attach `t` to `loop` and run it at once on the C stack, nested in the
 * current task if any, up to its first suspension. */
void acc__task_start(acc__loop *loop, acc_task *t);
/* Attach `t` to `loop` and queue it to start at the loop's next turn. */
void acc__task_start_later(acc__loop *loop, acc_task *t);
/* Run a started or queued task until it blocks or finishes. */
void acc__task_run(acc_task *t);
/* Run, in order, the tasks linked through ready_next from `batch`, taken
 * off the ready queue (the loop's phase 3; no task runs outside). */
void acc__task_run_batch(acc_task *batch);
/* A leaf suspends its task: the runner stops, the task waits for
 * acc__task_wake. If the task is cancelled meanwhile, the hook of `kind`
 * undoes the wait, given `wait`. */
void acc__task_suspend(acc_task *t, enum acc__wait_kind kind, void *wait);
/* End a wait: queue the task to run. Does nothing unless it waits. */
void acc__task_wake(acc_task *t);
void acc__task_cancel(acc_task *t);
/* The task running now on this thread, or NULL. */
static inline acc_task *acc__task_current(void)
{
    return (acc_task *)(void *)acc__running;
}

/* ------------------------------------------------------------------------
 * io.c and backend.h: descriptors watched by the loop.
 * ---------------------------------------------------------------------- */

typedef void (*acc__io_cb)(acc__loop *loop, int fd, int events, void *arg);

typedef struct acc__io {
    int mask;          /* ACC_READABLE | ACC_WRITABLE being watched (a waiter each) */
    int kmask;         /* directions registered with the backend: mask, plus
                          directions whose wait ended this turn (parked) */
    int next_parked;   /* link in loop->parked while `parked` */
    unsigned parked : 1;   /* on loop->parked: kmask may exceed mask */
    unsigned rdrained : 1; /* the last acc_read was short: the socket is
                              probably empty, wait before reading */
    acc__io_cb rcb, wcb;
    void *rarg, *warg;
} acc__io;

typedef struct acc__fired {
    int fd;
    int events; /* ACC_READABLE | ACC_WRITABLE; errors and hang-ups as both */
} acc__fired;

/* Watch `fd` for `events` (one or both directions); cb(loop, fd, events,
 * arg) is called from the loop's poll phase while the watch stays. */
int acc__io_start(acc__loop *loop, int fd, int events, acc__io_cb cb, void *arg);
/* Stop watching: the callback is dropped at once, but the kernel's
 * interest stays until the next acc__io_flush, so that a task that waits
 * again in the same turn (a read loop) costs no system call. */
void acc__io_stop(acc__loop *loop, int fd, int events);
/* Drop the kernel interest that no waiter took back since it was parked;
 * called at the start of every turn, before polling. */
void acc__io_flush(acc__loop *loop);
/* fd is a new descriptor (accept, socket): whatever the table remembers
 * of an earlier descriptor with that number is stale. No system call. */
void acc__io_forget(acc__loop *loop, int fd);
/* Poll once for at most timeout_ms (-1: no limit) and run callbacks. */
int acc__io_poll(acc__loop *loop, int timeout_ms);
/* fd is being closed: stop every watch and call each callback with
 * events = err (negative), so waiters resume with it. */
void acc__io_close(acc__loop *loop, int fd, int err);

/* fd.c: one task waiting for a descriptor, the building block of every
 * I/O leaf (acc_wait_fd, acc_read, acc_write, acc_accept, acc_connect). */
typedef struct acc__fdwait {
    acc_task *task;
    int fd;
    int want; /* directions still watched */
    int got;  /* directions that fired, or a negative errno (-EBADF: closed) */
} acc__fdwait;

/* Watch fd for events and suspend t: 0 (then return ACC_PENDING), or a
 * negative errno (-EBUSY: another task waits for one of these directions). */
int acc__fdwait_start(acc__fdwait *w, acc_task *t, int fd, int events);
/* After the task is resumed: stop the watches left; the directions that
 * fired, or a negative errno (-ECANCELED when the task was cancelled). */
int acc__fdwait_end(acc__fdwait *w);

/* ------------------------------------------------------------------------
 * awaitable.c: wakers and the thread-safe wake channel.
 * ---------------------------------------------------------------------- */

struct acc_waker {
    acc__loop *loop;
    acc_task *task;
    acc__list ts_node;      /* in loop->wake_list while a thread-safe wake is pending */
    unsigned char woken;    /* acc_wake since the last poll */
    unsigned char waiting;  /* the task is suspended on this waker */
    /* Written by other threads, so atomics, each a memory location of its
     * own (C11 3.14): on loop->wake_list (changed under wake_lock), and
     * acc_wake_threadsafe calls under way. The loop thread reads both
     * without the lock when the await ends, and takes the lock only when
     * another thread has been at work. */
    _Atomic unsigned char ts_queued;
    _Atomic unsigned short ts_busy;
};

int acc__wakeup_init(acc__loop *loop);
void acc__wakeup_free(acc__loop *loop);
/* Wakers: init binds w to t (NULL: to no task yet, as in an awaitable's
 * frame before its await starts); for the runtime's own waits on other
 * threads (acc_to_thread), wait marks the task waiting on it (a wait
 * another thread can end), and end ends that: the wait, and any
 * thread-safe wake still queued. */
void acc__waker_init(acc_waker *w, acc_task *t);
void acc__waker_wait(acc_waker *w);
void acc__waker_end(acc_waker *w);

/* ------------------------------------------------------------------------
 * thread.c: the worker pool behind acc_to_thread and acc_connect's name
 * look-up. Threads are created lazily and shared by every loop.
 * ---------------------------------------------------------------------- */

typedef struct acc__job acc__job;

/* Run fn(arg) on a worker; when it returns, acc_wake_threadsafe(w). If
 * the job is abandoned (acc__job_abandon), discard(arg, result) runs
 * instead (on the worker; or at once if fn never started). NULL and
 * errno on failure. */
acc__job *acc__job_submit(acc__loop *loop, void *(*fn)(void *), void *arg,
                          void (*discard)(void *arg, void *result), acc_waker *w);
/* The waiting task gives up. Returns 1 if fn had finished already (its
 * result is then in *result, and the job is freed), else 0 (the job now
 * belongs to the pool). */
int acc__job_abandon(acc__job *j, void **result);
/* After the wake: the result, and the job is freed. */
void *acc__job_finish(acc__job *j);
/* A loop that used the pool ends: idle workers exit once no loop needs them. */
void acc__pool_release(void);

/* ------------------------------------------------------------------------
 * wait_for.c
 * ---------------------------------------------------------------------- */

int acc__wait_for_step(acc_frame *self);
void acc__wait_for_discard(acc_frame *self);

/* ------------------------------------------------------------------------
 * gather.c
 * ---------------------------------------------------------------------- */

int acc__gather_step(acc_frame *self);
/* Free a gather frame that never ran, and its children. */
void acc__gather_discard(acc_frame *self);

/* ------------------------------------------------------------------------
 * loop.c: the loop.
 * ---------------------------------------------------------------------- */

typedef struct acc__backend acc__backend;

struct acc__loop {
    acc__ready ready;        /* tasks to run, FIFO; first (acc.h reads it) */
    size_t unfinished;       /* attached tasks not done */
    uint32_t spawned;        /* tasks attached so far: the next spawn number */
    acc__list loose;         /* attached tasks in blocks from malloc, oldest
                                first (the others are found in the slabs) */
    unsigned nest;           /* runners nested on the C stack */
    uintptr_t nest_base;     /* where the outermost of them started */
    size_t nexternal;        /* waits that another thread may end */
    acc__heap timers;
    acc__sleep_wheel sleepers;

    const acc__backend *backend;
    void *backend_data;      /* the backend's state */
    acc__io *io;             /* per descriptor, indexed by fd */
    int io_cap;              /* length of `io` */
    int nio;                 /* descriptors with a nonzero mask */
    int parked;              /* first fd of the parked list, or -1 */
    acc__fired *fired;       /* filled by backend->poll */
    int fired_cap;

    int reserve_fd;          /* spare descriptor for accept's EMFILE, or -1 */
    int shed_fd;             /* the listener whose queue acc_accept last shed, or -1 */
    unsigned uses_pool : 1;  /* submitted work to the thread pool */

    int wake_fd;             /* eventfd (or pipe's read end) the loop watches */
    int wake_wfd;            /* what acc_wake_threadsafe writes: the same eventfd, or the pipe's write end */
    pthread_mutex_t wake_lock;
    acc__list wake_list;     /* wakers woken from other threads */
};

/* The loop running on this thread, or NULL (declared in acc.h too: its
 * ready queue, first in the loop, is where acc_yield queues a task). */
extern _Thread_local acc__loop *acc__loop_current;

/* Gather and wait_for children start at once, in a task runner nested on
 * the C stack (gathers of gathers), while the runners take less than
 * ACC__NEST_STACK bytes of it from the outermost one (and are fewer than
 * ACC__MAX_NEST); past that they are queued. Each runner lets the awaits
 * under it take up to ACC__STACK_BUDGET before they trampoline, so the
 * depth counts bytes, not runners: deep recursion through acc_gather
 * keeps the SPEC's start order while it is cheap on the stack. */
#define ACC__NEST_STACK ((uintptr_t)256 * 1024)
#define ACC__MAX_NEST 4096

static inline bool acc__may_nest(const struct acc__loop *loop);

/* Store a coroutine's result and return from it: the common epilogue of
 * the runtime's own coroutines. `value` is evaluated once whether or not
 * there is a result to store (out NULL): it may be a call that must run
 * (reap a joined task, end a descriptor wait). */
#define ACC__RETURN(frame, out, value)         \
    do {                                       \
        if ((out) != NULL)                     \
            *(out) = (value);                  \
        else                                   \
            (void)(value);                     \
        return acc__return(&(frame)->hdr);     \
    } while (0)

/* The same for a leaf (acc.h): store the result, done. Its slot is the
 * awaiting frame's, or an own frame's (below), which pops itself. */
#define ACC__LEAF_RETURN(out, value)           \
    do {                                       \
        if ((out) != NULL)                     \
            *(out) = (value);                  \
        else                                   \
            (void)(value);                     \
        return ACC_DONE;                       \
    } while (0)

/* A leaf's own frame, for its __coro (acc_spawn(acc_sleep(1)), plain C):
 * a frame header and the result pointer, then the leaf's slot. Its step
 * steps the leaf and returns when the leaf is done. */
typedef struct acc__leaf_frame {
    acc_frame hdr;
    void *out;
} acc__leaf_frame;

#define ACC__LEAF_SLOT(frame) ((void *)((acc__leaf_frame *)(void *)(frame) + 1))

/* A leaf frame with room for a slot of slot_bytes, stepped by step; NULL
 * (errno ENOMEM) without memory. */
acc__leaf_frame *acc__leaf_frame_new(size_t slot_bytes, acc_resume_fn step, void *out);

/* Define `fn`, the step function of leaf_step's own frames. */
#define ACC__LEAF_FRAME_STEP(fn, leaf_step)                           \
    static int fn(acc_frame *self)                                    \
    {                                                                 \
        acc__leaf_frame *f = (acc__leaf_frame *)(void *)self;         \
        if (leaf_step(ACC__LEAF_SLOT(f), f->out) == ACC_PENDING)      \
            return ACC_PENDING;                                       \
        return acc__return(self);                                     \
    }

/* ---- task.c's inline part ------------------------------------------------ */

static inline bool acc__may_nest(const acc__loop *loop)
{
    char here;
    uintptr_t sp = (uintptr_t)&here;
    uintptr_t used = sp < loop->nest_base ? loop->nest_base - sp : sp - loop->nest_base;
    return loop->nest < ACC__MAX_NEST && used < ACC__NEST_STACK;
}

/* acc__ready_append, acc__task_enqueue and acc__task_yield are in acc.h:
 * the inline acc_yield there needs them. */

#endif /* ACC_INTERNAL_H */
