/*
 * loop.c: acc_run and the turns of the loop.
 *
 * One loop per thread, created by acc_run and freed when it returns; the
 * thread-local acc__loop_current is how coroutines find it. A turn of
 * the loop (loop_turn) is, in order:
 *
 *   1. poll for I/O: without blocking when a task is ready, else until
 *      the earliest timer, else until a descriptor or another thread's
 *      wake (acc_wake_threadsafe) fires. Callbacks only wake tasks.
 *   2. fire the timers that are due, earliest first (equal deadlines in
 *      arming order): each wakes its sleeping task.
 *   3. run the tasks that are ready at this point, in FIFO order. A task
 *      woken or yielding during this phase runs in the next turn, after
 *      the next poll, so a task that yields in a loop cannot starve I/O.
 *
 * acc_run turns the loop until the root task finishes, then cancels every
 * task still alive, oldest first, and turns it until they have all
 * finished.
 */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backend.h"

_Thread_local acc__loop *acc__loop_current;

/* acc.h's inline acc_yield takes the loop for its ready queue. */
_Static_assert(offsetof(acc__loop, ready) == 0, "the ready queue is the loop's first member");

static const acc__backend *choose_backend(void)
{
    const char *name = getenv("ACC_BACKEND");

    if (name != NULL && strcmp(name, "poll") == 0)
        return &acc__backend_poll;
#ifdef ACC_HAVE_KQUEUE
    /* The default on BSD and macOS; on Linux only in a build with the
     * test emulation (cmake -DACC_KQUEUE_SHIM=ON). */
    if (name != NULL && strcmp(name, "kqueue") == 0)
        return &acc__backend_kqueue;
#endif
#if defined(__linux__)
    return &acc__backend_epoll;
#elif defined(ACC_HAVE_KQUEUE)
    return &acc__backend_kqueue;
#else
    return &acc__backend_poll;
#endif
}

static void loop_free(acc__loop *loop)
{
    acc__task_release_all(loop);
    acc__wakeup_free(loop);
    if (loop->reserve_fd >= 0)
        close(loop->reserve_fd);
    if (loop->uses_pool)
        acc__pool_release();
    if (loop->backend_data != NULL)
        loop->backend->free(loop);
    acc__heap_free(&loop->timers);
    acc__sleep_wheel_free(&loop->sleepers);
    free(loop->io);
    free(loop->fired);
    free(loop);
}

static int loop_new(acc__loop **out)
{
    acc__loop *loop = acc__calloc(1, sizeof *loop);
    int r;

    if (loop == NULL)
        return -ENOMEM;
    loop->ready.head = NULL;
    loop->ready.tail = &loop->ready.head;
    acc__list_init(&loop->loose);
    loop->wake_fd = loop->wake_wfd = -1;
    loop->parked = -1;
    loop->reserve_fd = -1;
    loop->shed_fd = -1;
    loop->backend = choose_backend();
    r = loop->backend->create(loop);
    if (r == 0)
        r = acc__wakeup_init(loop);
    if (r < 0) {
        loop_free(loop);
        return r;
    }
    *out = loop;
    return 0;
}

static void cancel_all(acc__loop *loop)
{
    acc__task_cancel_since(loop, 0);
}

/* How long phase 1 may block, in milliseconds (rounded up: waking early
 * only costs a turn; waking late would break nothing either, but be
 * slower than asked). */
static int poll_timeout(acc__loop *loop)
{
    uint64_t next, now;

    if (loop->ready.head != NULL)
        return 0;
    next = acc__timer_next(loop);
    if (next == UINT64_MAX)
        return -1;
    now = acc__now_ns();
    if (next <= now)
        return 0;
    if ((next - now) / 1000000u >= INT_MAX)
        return INT_MAX;
    return (int)((next - now + 999999u) / 1000000u);
}

/* Tasks are alive but nothing can ever wake them: no task ready, no timer
 * armed, no descriptor watched (the wake eventfd aside) and no wait that
 * another thread could end. Rather than block forever, cancel them: their
 * waits return -ECANCELED and the program gets to clean up and finish. */
static int deadlocked(acc__loop *loop)
{
    return loop->unfinished > 0 && loop->ready.head == NULL &&
           acc__timer_count(&loop->timers) == 0 && loop->sleepers.count == 0 && loop->nio <= 1 &&
           loop->nexternal == 0;
}

static void loop_turn(acc__loop *loop)
{
    acc_task *batch;
    int timeout;

    if (deadlocked(loop))
        cancel_all(loop);

    /* 1. I/O. Interest parked last turn and not taken back goes first,
     * so the kernel never reports a descriptor nobody waits for. With
     * tasks ready and nothing that could end a wait from outside (no
     * descriptor watched but the wake channel, no wait that another
     * thread may end), a poll could only return nothing: skip the
     * system call. */
    acc__io_flush(loop);
    timeout = poll_timeout(loop);
    if (timeout != 0 || loop->nio > 1 || loop->nexternal > 0)
        (void)acc__io_poll(loop, timeout);

    /* 2. timers */
    if (loop->timers.len > 0 || loop->sleepers.count > 0)
        acc__timer_run(loop, acc__now_ns());

    /* 3. ready tasks, as of now */
    batch = loop->ready.head;
    loop->ready.head = NULL;
    loop->ready.tail = &loop->ready.head;
    if (batch != NULL)
        acc__task_run_batch(batch);
}

int acc_run(acc_frame *coro)
{
    acc__loop *loop;
    acc_task *root;
    int r;

    if (coro == NULL)
        return -ENOMEM;
    if (acc__loop_current != NULL) {
        acc__frame_discard(coro);
        return -EBUSY;
    }
    r = loop_new(&loop);
    if (r < 0) {
        acc__frame_discard(coro);
        return r;
    }
    root = acc__task_new(coro);
    if (root == NULL) {
        acc__frame_discard(coro);
        loop_free(loop);
        return -ENOMEM;
    }
    acc__loop_current = loop;

    acc__task_start(loop, root);
    while (!root->done)
        loop_turn(loop);
    cancel_all(loop);
    /* Tasks that the cancelled ones spawn as they clean up are cancelled
     * too, before they start: their spawn numbers are the new ones. */
    while (loop->unfinished > 0) {
        uint32_t spawned = loop->spawned;
        loop_turn(loop);
        if (loop->spawned != spawned)
            acc__task_cancel_since(loop, spawned);
    }

    acc__task_free(root);
    acc__loop_current = NULL;
    loop_free(loop);
    acc__frame_trim();
    return 0;
}
