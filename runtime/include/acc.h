/*
 * acc.h: the async-C runtime, libacc.
 *
 * One header serves three readers:
 *   - `acc` itself while it parses a .acc file (__ACC__ is defined): the
 *     runtime's coroutines are declared `async`, and the coroutine-taking
 *     forms (acc_run, acc_spawn, acc_gather, acc_wait_for) are macros that
 *     let clang type-check coroutine calls of any result type, void included;
 *   - the C that `acc` generates, and
 *   - plain C, which uses the non-async API directly and reaches coroutines
 *     through their generated entry functions (docs/abi.md).
 *
 * Everything named acc__ (two underscores) is the interface between
 * generated code and the runtime: stable within a major version, not meant
 * for hand-written code.
 */
#ifndef ACC_H
#define ACC_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#define ACC__THREAD_LOCAL thread_local /* C++ has no _Thread_local */
#else
#define ACC__THREAD_LOCAL _Thread_local
#endif

#define ACC_VERSION_MAJOR 0
#define ACC_VERSION_MINOR 6
#define ACC_VERSION_PATCH 0

/* ------------------------------------------------------------------------
 * Coroutine frames: the ABI of generated code.
 *
 * `async T f(P...)` becomes, in C:
 *     acc_frame *f__coro(T *acc_out, P...);   (no acc_out when T is void)
 * which allocates the coroutine's frame and returns it without running it
 * (NULL with errno = ENOMEM on failure). When the coroutine returns it
 * stores its result through acc_out (if not NULL), pops itself off its
 * task and frees its frame.
 * ---------------------------------------------------------------------- */

typedef struct acc_frame acc_frame;
typedef struct acc_task acc_task;

/* A step function runs its coroutine from frame->state until it returns
 * (ACC_DONE: frame already freed) or suspends (ACC_PENDING). */
typedef int (*acc_resume_fn)(acc_frame *self);

enum { ACC_DONE = 0, ACC_PENDING = 1 };

/* The fields are acc_-prefixed because generated code names them inside
 * the user's own code, after the user's macros: a `#define state ...`
 * must not reach them. */
struct acc_frame {
    acc_resume_fn acc_resume; /* step function, resumes at acc_state */
    acc_frame *acc_caller;    /* frame awaiting this one; NULL for a task's root */
    unsigned acc_state;       /* resume point; 0 before the first step */
    unsigned acc_size;        /* bytes allocated, set by acc__frame_alloc */
};

/* The head of every task, seen by the inline await path below. The
 * runtime's task struct starts with it; the rest is private. */
typedef struct acc__task_head {
    acc_frame *top;       /* innermost frame: resumed when the task runs */
} acc__task_head;

/* The task whose frames run now on this thread (set by its runner): a
 * frame does not record its task, so that a frame header is three words
 * and a leaf's is one (below). */
extern ACC__THREAD_LOCAL acc__task_head *acc__running;

/* Once awaits resolved on the C stack have taken this many bytes of it
 * below the runner, an await hands the callee to the task's trampoline
 * instead, so that deep recursion needs frames on the heap, never C stack.
 * (A position in the stack is read as the address of a local: one load and
 * a compare per await, where a depth counter costs two stores.)
 * acc__stack_base is where the innermost task runner on this thread
 * started: thread-local rather than in the task, since only the running
 * task needs it (the runner sets it once, and restores the outer
 * runner's when it returns). */
#define ACC__STACK_BUDGET ((uintptr_t)64 * 1024)
extern ACC__THREAD_LOCAL uintptr_t acc__stack_base;

/* Allocate a frame of at least `size` bytes (size >= sizeof(acc_frame));
 * only `size` and `caller` (NULL) are set. NULL with errno = ENOMEM on failure. Frames come
 * from thread-local free lists of 16-byte size classes; the inline fast
 * paths below pop and push them, the _slow functions call malloc/free. */
#define ACC__FRAME_GRAIN 16
#define ACC__FRAME_CLASSES 32
extern ACC__THREAD_LOCAL acc_frame *acc__frame_cache[ACC__FRAME_CLASSES];
/* The same for task blocks (a task, with its root frame when that is in
 * the block): slabs of their own, which a loop walks to find its tasks. */
extern ACC__THREAD_LOCAL acc_frame *acc__task_cache[ACC__FRAME_CLASSES];
/* Nonzero while frees take the slow path: the thread holds more frame
 * memory than its cache may keep, or the cache is off. The fast paths
 * keep no count (alloc.c counts on the slow paths). */
extern ACC__THREAD_LOCAL unsigned char acc__frame_cache_closed;
acc_frame *acc__frame_alloc_slow(size_t size);
void acc__frame_free_slow(acc_frame *f);
acc_frame *acc__task_block_alloc_slow(size_t size);
/* The same for a frame that needs `align` (> 16) bytes of alignment. */
acc_frame *acc__frame_alloc_aligned(size_t size, size_t align);

/* A block of `size`'s class from a thread's lists, or NULL (then the
 * slow path); and a block back on them, or false (then the slow path). */
static inline acc_frame *acc__cache_pop(acc_frame **cache, size_t size)
{
    size_t c = (size - 1) / ACC__FRAME_GRAIN;
    acc_frame *f;
    if (c >= ACC__FRAME_CLASSES || (f = cache[c]) == NULL)
        return NULL;
    cache[c] = f->acc_caller;
    f->acc_caller = NULL;
    return f;
}

static inline int acc__cache_push(acc_frame **cache, acc_frame *f)
{
    size_t c = (f->acc_size - 1) / ACC__FRAME_GRAIN;
    if (c >= ACC__FRAME_CLASSES || acc__frame_cache_closed)
        return 0;
    f->acc_caller = cache[c];
    cache[c] = f;
    return 1;
}

static inline acc_frame *acc__frame_alloc(size_t size)
{
    acc_frame *f = acc__cache_pop(acc__frame_cache, size);
    return f != NULL ? f : acc__frame_alloc_slow(size);
}

static inline acc_frame *acc__task_block_alloc(size_t size)
{
    acc_frame *f = acc__cache_pop(acc__task_cache, size);
    return f != NULL ? f : acc__task_block_alloc_slow(size);
}

/* A frame built inside another frame (see acc__embed) has size 0 and is
 * never freed: it goes when the frame holding it goes. */
static inline void acc__frame_free(acc_frame *f)
{
    if (f == NULL || f->acc_size == 0)
        return;
    if (!acc__cache_push(acc__frame_cache, f))
        acc__frame_free_slow(f);
}

/* Frames built in place. An await whose callee's frame type is known
 * where it is translated (an async function defined earlier in the same
 * file) keeps the callee's frame in the awaiting frame, among its await
 * temporaries, instead of allocating one:
 * `g__init(acc__embed(&acc_self->acc_t2), ...)`. acc__embed marks
 * the storage as such (size 0), so that the callee's return does not
 * free it. */
#define acc__embed(slot) ((slot)->acc_hdr.acc_size = 0, (slot))

/* Leaves built in place. A leaf is a coroutine that awaits nothing: it
 * suspends only by itself. An await of one keeps its state in a slot of
 * the awaiting frame, which stays the task's top frame while the leaf
 * waits and steps the leaf by name when the task runs again:
 *
 *     acc_self->acc_hdr.acc_state = K;
 *     if (acc_sleep__step(acc_sleep__init(&acc_self->acc_tN, s), dest) == ACC_PENDING)
 *         return ACC_PENDING;
 *     ...
 *     case K: if (acc_sleep__step(&acc_self->acc_tN, dest) == ACC_PENDING) return ACC_PENDING;
 *
 * So a slot has no frame header: f__init stores the arguments and the
 * leaf's start state, f__step(slot, dest) returns ACC_PENDING or, once,
 * stores the result through dest (when not NULL) and returns ACC_DONE.
 * Only the slots' sizes and alignment are public; libacc checks at
 * compile time that its leaves fit. Part of the ABI: from 1.0 on they do
 * not change within a major version (before 1.0, code generated against
 * another minor version's acc.h must be translated again). */
#define ACC__SLOT(words)          \
    struct {                      \
        uint64_t acc_priv[words]; \
    }
typedef ACC__SLOT(1) acc_yield__slot;
typedef ACC__SLOT(1) acc_sleep__slot;
typedef ACC__SLOT(4) acc_wait_fd__slot;
typedef ACC__SLOT(7) acc_read__slot;
typedef ACC__SLOT(7) acc_write__slot;
typedef ACC__SLOT(7) acc__awaitable_slot;
typedef struct acc_awaitable acc_awaitable;
acc_sleep__slot *acc_sleep__init(acc_sleep__slot *slot, double seconds);
acc_wait_fd__slot *acc_wait_fd__init(acc_wait_fd__slot *slot, int fd, int events);
acc_read__slot *acc_read__init(acc_read__slot *slot, int fd, void *buf, size_t n);
acc_write__slot *acc_write__init(acc_write__slot *slot, int fd, const void *buf, size_t n);
acc__awaitable_slot *acc__awaitable_init(acc__awaitable_slot *slot, acc_awaitable *aw);
int acc_sleep__step(acc_sleep__slot *slot, int *acc_out);
int acc_wait_fd__step(acc_wait_fd__slot *slot, int *acc_out);
int acc_read__step(acc_read__slot *slot, ssize_t *acc_out);
int acc_write__step(acc_write__slot *slot, ssize_t *acc_out);
int acc__awaitable_step(acc__awaitable_slot *slot, int *acc_out);

/* ------------------------------------------------------------------------
 * Tasks and the ready queue, as the inline acc_yield below sees them.
 * Private: the layout is not API (before 1.0 it may change with the minor
 * version, docs/abi.md); only the runtime and this header's inline
 * functions touch the fields. Not in C++, which has no async functions to
 * await a yield from.
 * ---------------------------------------------------------------------- */
#ifndef __cplusplus
struct acc__done_hook;

/* 32 bytes on LP64: a spawned task whose root frame is 32 bytes (a
 * function awaiting acc_yield) fills one 64-byte block, one cache line
 * (bench/README.md, 4a and 4b). */
struct acc_task {
    acc__task_head head; /* first: generated code sees it through acc__running.
                            Before the task starts, head.top is its root frame. */
    /* A task is never queued and waiting at once (acc__task_wake ends the
     * wait before it queues), so the link and the wait share a word. */
    union {
        acc_task *ready_next; /* in the loop's ready queue while queued */
        void *wait;           /* while waiting: its state, for the wait's hook */
    };
    struct acc__done_hook *on_done; /* called once when the task finishes */
    uint32_t seq;             /* while attached: its spawn number (attaching order) */
    /* Bytes of their own, not bits of one word: a byte store to a flag
     * followed by a wider load of the word stalls store forwarding
     * (measured: 4a 10% slower). */
    unsigned char blocked;    /* set while the task waits to be woken: the runner stops */
    unsigned char wait_kind;  /* while waiting: enum acc__wait_kind */
    unsigned char block_class; /* what acc__task_free gives back: the size class
                                  of its block (the task, and the root frame
                                  when it is in the block), or ACC__BIG_BLOCK */
    union {
        unsigned char flags; /* all of them, cleared at once */
        struct {
            unsigned char started : 1;   /* its root frame has been resumed */
            unsigned char waiting : 1;   /* suspended, not yet woken */
            unsigned char queued : 1;    /* on the ready queue */
            unsigned char cancelled : 1; /* cancellation requested */
            unsigned char done : 1;      /* finished: its frames are all gone */
            unsigned char detached : 1;  /* free it when done; else its owner does */
            unsigned char spawned : 1;   /* made by acc_spawn: the handle's, until released */
            unsigned char attached : 1;  /* one of its loop's tasks (the loop of
                                            this thread, acc__loop_current:
                                            tasks never move between threads),
                                            until released */
        };
    };
};

/* The ready queue: FIFO, singly linked through ready_next. */
typedef struct acc__ready {
    acc_task *head;
    acc_task **tail; /* &head when empty, else &last->ready_next */
} acc__ready;

/* The loop running on this thread, or NULL. Its ready queue is its first
 * member. */
extern ACC__THREAD_LOCAL struct acc__loop *acc__loop_current;

/* The link alone: the caller sets `queued` (acc_spawn, with its other flags). */
static inline void acc__ready_append(acc__ready *q, acc_task *t)
{
    t->ready_next = NULL;
    *q->tail = t;
    q->tail = &t->ready_next;
}

/* Append t to the running loop's ready queue (FIFO). */
static inline void acc__task_enqueue(acc_task *t)
{
    t->queued = 1;
    acc__ready_append((acc__ready *)(void *)acc__loop_current, t);
}

/* A suspension that ends at once (a yield): the runner stops, the task
 * goes to the back of the ready queue and runs again after every task
 * that is ready now. acc__task_suspend and acc__task_wake in a row,
 * without the wait in between. */
static inline void acc__task_yield(acc_task *t)
{
    t->blocked = 1;
    acc__task_enqueue(t);
}

/* `await acc_yield()`, the leaf, inline: a call of the library for each
 * step cost 4a a fifth of its time. The slot's word is 0 before the
 * first step, 1 while the task waits in the queue. A cancelled task does
 * not yield: -ECANCELED at once. */
static inline acc_yield__slot *acc_yield__init(acc_yield__slot *slot)
{
    slot->acc_priv[0] = 0;
    return slot;
}

static inline int acc_yield__step(acc_yield__slot *slot, int *acc_out)
{
    acc_task *t = (acc_task *)(void *)acc__running;

    if (slot->acc_priv[0] == 0 && !t->cancelled) {
        slot->acc_priv[0] = 1;
        acc__task_yield(t);
        return ACC_PENDING;
    }
    if (acc_out != NULL)
        *acc_out = t->cancelled ? -ECANCELED : 0;
    return ACC_DONE;
}
#endif /* !__cplusplus */

/* An await whose callee could not be created (out of memory): prints a
 * message and aborts, like a C stack overflow would. */
void acc__await_failed(void);

/* await callee: run it at once in the caller's task until it returns
 * (ACC_DONE) or first suspends (ACC_PENDING, the caller must return
 * ACC_PENDING too; it is resumed at its saved state when callee returns).
 * acc__await_step is the same when the caller knows the callee's step
 * function (defined in the same file): a direct call the C compiler can
 * inline. */
static inline int acc__await_step(acc_frame *self, acc_frame *callee, acc_resume_fn step)
{
    char here;
    uintptr_t sp = (uintptr_t)&here, base = acc__stack_base;
    if (callee == NULL)
        acc__await_failed();
    callee->acc_caller = self;
    acc__running->top = callee;
    if ((sp < base ? base - sp : sp - base) > ACC__STACK_BUDGET)
        return ACC_PENDING; /* the trampoline resumes the top */
    return step(callee);
}

static inline int acc__await(acc_frame *self, acc_frame *callee)
{
    return acc__await_step(self, callee, callee ? callee->acc_resume : NULL);
}

/* await of a callee defined in this file whose frame was built in place
 * (acc__embed), with its step function. The frame exists, so no NULL
 * check, and no stack check either, since such chains cannot recurse (a
 * callee built in place is defined above its caller, or is a leaf), so
 * they add a bounded depth to the C stack.
 *
 * If the callee returns ACC_PENDING while it waits by itself (it is still
 * the task's top frame), the awaiting frame becomes the top, in state
 * ACC__REPOLL | K: resuming the task resumes the awaiting frame, whose
 * step resumes the callee at once (acc__repoll), one trip through the
 * runner instead of two (the callee, then its caller). If the callee
 * awaits something deeper, that is the top: the runner resumes it, and the
 * callee's return makes the awaiting frame the top again, in state K. */
#define ACC__REPOLL 0x80000000u

static inline int acc__suspended_in_place(acc_frame *self, acc_frame *callee)
{
    acc__task_head *t = acc__running;
    if (t->top == callee) {
        t->top = self;
        self->acc_state |= ACC__REPOLL;
    } else {
        self->acc_state &= ~ACC__REPOLL;
    }
    return ACC_PENDING;
}

static inline int acc__await_in_place(acc_frame *self, acc_frame *callee, acc_resume_fn step)
{
    callee->acc_caller = self;
    acc__running->top = callee;
    if (step(callee) == ACC_DONE)
        return ACC_DONE;
    return acc__suspended_in_place(self, callee);
}

static inline int acc__repoll(acc_frame *self, acc_frame *callee, acc_resume_fn step)
{
    acc__running->top = callee;
    if (step(callee) == ACC_DONE)
        return ACC_DONE;
    return acc__suspended_in_place(self, callee);
}

/* return from a coroutine: pop the frame off its task, free it. */
static inline int acc__return(acc_frame *self)
{
    acc__running->top = self->acc_caller;
    acc__frame_free(self);
    return ACC_DONE;
}

/* assert(e) with an await in e, as acc expands it in an async body:
 * prints `file:line: func: Assertion `e' failed.` and aborts. */
void acc__assert_fail(const char *expr, const char *file, unsigned line, const char *func);

/* assert(e) without an await, as acc writes it in an async body,
 * `acc__assert(e, "e", "f")`: the C library's assert would name the step
 * function (f__step) in its report. NDEBUG is read by the C compiler, as
 * for assert (where acc.h is included). */
#ifdef NDEBUG
#define acc__assert(e, text, func) ((void)(func)) /* func: the name is used */
#else
#define acc__assert(e, text, func) ((e) ? (void)0 : acc__assert_fail(text, __FILE__, __LINE__, func))
#endif

/* ------------------------------------------------------------------------
 * Hand-written awaitables (SPEC 2.1).
 * ---------------------------------------------------------------------- */

typedef struct acc_waker acc_waker;
typedef struct acc_awaitable {
    int (*poll)(struct acc_awaitable *self, acc_waker *w); /* 1: done; 0: keep w, acc_wake(w) later */
    void (*cancel)(struct acc_awaitable *self, acc_waker *w); /* may be NULL */
} acc_awaitable;

void acc_wake(acc_waker *w);            /* on the loop's thread */
void acc_wake_threadsafe(acc_waker *w); /* from any thread */

/* `await aw` on an acc_awaitable: a leaf that polls it (its slot and
 * step are above); result 0 or -ECANCELED. _coro gives it a frame of its own. */
acc_frame *acc__awaitable_coro(int *acc_out, acc_awaitable *aw);

/* ------------------------------------------------------------------------
 * The loop and tasks.
 * ---------------------------------------------------------------------- */

double acc_now(void);
bool acc_cancelled(void);

/* Tasks made by acc_spawn: each is joined or detached exactly once. */
void acc_detach(acc_task *t);
void acc_cancel(acc_task *t);

/* ------------------------------------------------------------------------
 * Descriptors.
 * ---------------------------------------------------------------------- */

#define ACC_READABLE 1
#define ACC_WRITABLE 2

/* A non-blocking listening TCP socket on host (NULL, "" or "*": every
 * address) and port (0: a free one), or a negative errno. host is
 * resolved synchronously (it is meant for numeric addresses and
 * "localhost"); backlog <= 0 means SOMAXCONN. */
int acc_listen(const char *host, int port, int backlog);
/* The local port of a bound socket, or a negative errno. */
int acc_local_port(int fd);
/* Close fd; tasks waiting on it resume with -EBADF. */
void acc_close(int fd);

/* ------------------------------------------------------------------------
 * Synchronisation between tasks of one loop (not between threads).
 * Complete types, so they can live in frames, structs or statics; an
 * all-zero acc_event or acc_sem is valid (unset, no permits). Their
 * members are private.
 * ---------------------------------------------------------------------- */

typedef struct acc__list {
    struct acc__list *next, *prev;
} acc__list;

typedef struct acc_event {
    acc__list waiters; /* acc_event_wait frames, FIFO */
    bool set;
} acc_event;

typedef struct acc_sem {
    acc__list waiters; /* acc_sem_acquire frames, FIFO */
    unsigned value;    /* free permits (0 while anyone waits) */
} acc_sem;

typedef struct acc_queue acc_queue;

void acc_event_init(acc_event *ev);
void acc_event_set(acc_event *ev);
void acc_event_clear(acc_event *ev);
bool acc_event_is_set(const acc_event *ev);

void acc_sem_init(acc_sem *s, unsigned n);
void acc_sem_release(acc_sem *s);

/* A FIFO queue of pointers holding at most `capacity` items (0: no
 * limit, as asyncio's maxsize 0). NULL and errno ENOMEM on failure. */
acc_queue *acc_queue_new(size_t capacity);
/* No more puts (-EPIPE); gets drain what is queued, then get -EPIPE.
 * Waiting putters and getters resume with -EPIPE. */
void acc_queue_close(acc_queue *q);
/* Close, then free the queue; items still queued are dropped. */
void acc_queue_free(acc_queue *q);

#ifdef __ACC__
/* As `acc` reads them. acc.leaf: the frame has a slot type (above), and
 * f__init builds it there. Leaves written by hand may say so too
 * (docs/abi.md, "Leaves built in place"). */
#define ACC__LEAF __attribute__((annotate("acc.leaf")))
async int acc_sleep(double seconds) ACC__LEAF;
async int acc_yield(void) ACC__LEAF;

async int acc_join(acc_task *t);
async int acc_join_all(acc_task **ts, size_t n);

async int acc_wait_fd(int fd, int events) ACC__LEAF;
async int acc_accept(int listen_fd);
async int acc_connect(const char *host, int port);
async ssize_t acc_read(int fd, void *buf, size_t n) ACC__LEAF;
async ssize_t acc_write(int fd, const void *buf, size_t n) ACC__LEAF;
async void *acc_to_thread(void *(*fn)(void *), void *arg);
async int acc_event_wait(acc_event *ev);
async int acc_sem_acquire(acc_sem *s);
async int acc_queue_put(acc_queue *q, void *item);
async int acc_queue_get(acc_queue *q, void **item);

async int acc__gather_form(int);
int acc__run_form(int);
acc_task *acc__spawn_form(int);
async int acc__wait_for_form(int, double);
#define acc_gather(...) acc__gather_form(((__VA_ARGS__), 0))
#define acc_wait_for(coro, seconds) acc__wait_for_form(((coro), 0), (seconds))
#define acc_run(coro) acc__run_form(((coro), 0))
#define acc_spawn(coro) acc__spawn_form(((coro), 0))
#else
/* As C sees them. */
#define ACC__LEAF
int acc_run(acc_frame *coro);
acc_frame *acc_sleep__coro(int *acc_out, double seconds);
acc_frame *acc_yield__coro(int *acc_out);
/* acc_gather(c1, ..., cn) is translated to this: the frames are copied. */
acc_frame *acc_gather__coro(int *acc_out, size_t n, acc_frame *const *coros);
/* Queue `coro` as a new task of the running loop, started at its next
 * turn. NULL with errno ENOMEM (coro NULL, or no memory) or EINVAL (no
 * loop runs on this thread); coro is freed then. */
acc_task *acc_spawn(acc_frame *coro);
/* A frame that will be a task's root (acc_spawn, acc_gather, acc_wait_for,
 * acc_run), allocated with room for its task in front: one allocation per
 * task. For f defined above in the same file, acc_spawn(f(x)) becomes
 *     acc_spawn(f__init(acc__root_alloc(sizeof(struct f__frame)), x))
 * (f__init returns NULL when given NULL). Inline: the size is a constant
 * there, so the size class is too. The frame's caller marks it
 * (&acc__in_block) until its task is made; its size is the block's. */
#define ACC__TASK_BYTES 32 /* the task, rounded up to ACC__FRAME_GRAIN */
extern acc_frame acc__in_block;
static inline void *acc__root_alloc(size_t frame_size)
{
    acc_frame *block = acc__task_block_alloc(ACC__TASK_BYTES + frame_size);
    acc_frame *f;
    if (block == NULL)
        return NULL; /* errno is ENOMEM */
    f = (acc_frame *)(void *)((char *)block + ACC__TASK_BYTES);
    f->acc_size = block->acc_size;
    f->acc_caller = &acc__in_block;
    return f;
}
acc_frame *acc_join__coro(int *acc_out, acc_task *t);
acc_frame *acc_join_all__coro(int *acc_out, acc_task **ts, size_t n);
/* acc_wait_for(c, s) is translated to this. */
acc_frame *acc_wait_for__coro(int *acc_out, acc_frame *coro, double seconds);
acc_frame *acc_wait_fd__coro(int *acc_out, int fd, int events);
acc_frame *acc_accept__coro(int *acc_out, int listen_fd);
acc_frame *acc_connect__coro(int *acc_out, const char *host, int port);
acc_frame *acc_read__coro(ssize_t *acc_out, int fd, void *buf, size_t n);
acc_frame *acc_write__coro(ssize_t *acc_out, int fd, const void *buf, size_t n);
acc_frame *acc_to_thread__coro(void **acc_out, void *(*fn)(void *), void *arg);
acc_frame *acc_event_wait__coro(int *acc_out, acc_event *ev);
acc_frame *acc_sem_acquire__coro(int *acc_out, acc_sem *s);
acc_frame *acc_queue_put__coro(int *acc_out, acc_queue *q, void *item);
acc_frame *acc_queue_get__coro(int *acc_out, acc_queue *q, void **item);
#endif

#ifdef __cplusplus
}
#endif

#endif /* ACC_H */
