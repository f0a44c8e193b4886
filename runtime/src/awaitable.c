/*
 * awaitable.c: `await aw` on a hand-written acc_awaitable (SPEC 2.1), its
 * waker, and the channel through which other threads wake it.
 *
 * The leaf of the await embeds the waker handed to poll, so a waker lives
 * exactly as long as the await. poll runs when the await
 * starts and again each time the task is resumed after acc_wake; a wake
 * that comes while poll is still running (or before the task suspended)
 * is remembered in `woken` and makes the task poll again at the next turn
 * rather than at once, so an awaitable that always wakes itself yields
 * instead of spinning.
 *
 * acc_wake_threadsafe pushes the waker on loop->wake_list under
 * loop->wake_lock and writes the loop's eventfd; the loop's poll phase
 * drains the list and calls acc_wake for each. A waker whose await ends
 * while it is still on the list (it was cancelled) takes itself off; the
 * lock is taken then only if another thread has been at work on it.
 */
#include <stdint.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

#include "internal.h"

typedef struct awaitable_leaf {
    unsigned state;
    unsigned cancel_called; /* aw->cancel has run: never poll again */
    acc_awaitable *aw;
    acc_waker w;
} awaitable_leaf;

ACC__SLOT_FITS(awaitable_leaf, acc__awaitable_slot);

/* The task stops waiting on w (woken or cancelled). */
static void end_wait(acc_waker *w)
{
    if (w->waiting) {
        w->waiting = 0;
        w->loop->nexternal--;
    }
}

void acc_wake(acc_waker *w)
{
    w->woken = 1;
    if (w->waiting) {
        end_wait(w);
        acc__task_wake(w->task);
    }
}

void acc_wake_threadsafe(acc_waker *w)
{
    acc__loop *loop = w->loop;
    uint64_t one = 1;
    ssize_t r;

    /* ts_busy keeps the await from ending (waker_release waits) until
     * this call no longer touches w or the loop. */
    atomic_fetch_add(&w->ts_busy, 1);
    pthread_mutex_lock(&loop->wake_lock);
    if (!w->ts_queued) {
        w->ts_queued = 1;
        acc__list_push(&loop->wake_list, &w->ts_node);
        /* EAGAIN means the counter is already nonzero: the loop will wake. */
        do
            r = write(loop->wake_wfd, &one, sizeof one);
        while (r < 0 && errno == EINTR);
    }
    pthread_mutex_unlock(&loop->wake_lock);
    atomic_fetch_sub(&w->ts_busy, 1);
}

/* The await that owns w ends, and w's storage with it: no thread-safe
 * wake may be under way or left on the list. Usually no other thread has
 * been at work, and no lock is taken. A wake under way only takes the
 * lock and writes the eventfd, so waiting for it is short; one that starts
 * after the await has ended breaks the contract (docs/runtime.md). */
static void waker_release(acc_waker *w)
{
    acc__loop *loop = w->loop;

    if (loop == NULL || (atomic_load(&w->ts_busy) == 0 && atomic_load(&w->ts_queued) == 0))
        return;
    while (atomic_load(&w->ts_busy) != 0)
        sched_yield(); /* first, or it could queue w again after the removal */
    pthread_mutex_lock(&loop->wake_lock);
    if (w->ts_queued) {
        acc__list_remove(&w->ts_node);
        w->ts_queued = 0;
    }
    pthread_mutex_unlock(&loop->wake_lock);
}

/* One waker at a time leaves the list under the lock: another thread may
 * queue it again as soon as ts_queued is clear. */
static void drain(acc__loop *loop, int fd, int events, void *arg)
{
    uint64_t count;
    acc__list todo;

    (void)events;
    (void)arg;
#ifdef __linux__
    while (read(fd, &count, sizeof count) < 0 && errno == EINTR)
        ; /* one read resets the eventfd's counter */
#else
    while (read(fd, &count, sizeof count) > 0 || errno == EINTR)
        ; /* a pipe: read until empty */
#endif
    acc__list_init(&todo);
    pthread_mutex_lock(&loop->wake_lock);
    acc__list_splice(&loop->wake_list, &todo);
    while (!acc__list_empty(&todo)) {
        acc_waker *w = acc__container_of(todo.next, acc_waker, ts_node);
        acc__list_remove(&w->ts_node);
        w->ts_queued = 0;
        pthread_mutex_unlock(&loop->wake_lock);
        acc_wake(w);
        pthread_mutex_lock(&loop->wake_lock);
    }
    pthread_mutex_unlock(&loop->wake_lock);
}

static void close_wake(acc__loop *loop)
{
    if (loop->wake_wfd != loop->wake_fd)
        close(loop->wake_wfd);
    close(loop->wake_fd);
    loop->wake_fd = loop->wake_wfd = -1;
}

int acc__wakeup_init(acc__loop *loop)
{
    int r;

    acc__list_init(&loop->wake_list);
    r = pthread_mutex_init(&loop->wake_lock, NULL);
    if (r != 0)
        return -r;
#ifdef __linux__
    loop->wake_fd = loop->wake_wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    r = loop->wake_fd < 0 ? -errno : 0;
#else
    {   /* a self-pipe where there is no eventfd */
        int p[2];
        r = pipe(p) < 0 ? -errno : 0;
        if (r == 0) {
            for (int i = 0; i < 2; i++) {
                fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
                fcntl(p[i], F_SETFD, FD_CLOEXEC);
            }
            loop->wake_fd = p[0];
            loop->wake_wfd = p[1];
        }
    }
#endif
    if (r < 0) {
        pthread_mutex_destroy(&loop->wake_lock);
        return r;
    }
    r = acc__io_start(loop, loop->wake_fd, ACC_READABLE, drain, NULL);
    if (r < 0) {
        close_wake(loop);
        pthread_mutex_destroy(&loop->wake_lock);
        return r;
    }
    return 0;
}

void acc__wakeup_free(acc__loop *loop)
{
    if (loop->wake_fd < 0)
        return;
    acc__io_stop(loop, loop->wake_fd, ACC_READABLE);
    close_wake(loop);
    pthread_mutex_destroy(&loop->wake_lock);
}

void acc__waker_init(acc_waker *w, acc_task *t)
{
    w->loop = t ? acc__loop_current : NULL;
    w->task = t;
    acc__list_init(&w->ts_node);
    w->woken = 0;
    w->waiting = 0;
    atomic_init(&w->ts_queued, 0);
    atomic_init(&w->ts_busy, 0);
}

void acc__waker_wait(acc_waker *w)
{
    w->waiting = 1;
    w->loop->nexternal++;
}

void acc__waker_end(acc_waker *w)
{
    end_wait(w);
    waker_release(w);
}

void acc__awaitable_cancel(acc_task *t, void *wait)
{
    awaitable_leaf *l = wait;

    end_wait(&l->w);
    l->cancel_called = 1;
    if (l->aw->cancel != NULL)
        l->aw->cancel(l->aw, &l->w);
    acc__task_wake(t);
}

static int awaitable_return(awaitable_leaf *l, int *acc_out, int result)
{
    waker_release(&l->w);
    ACC__LEAF_RETURN(acc_out, result);
}

int acc__awaitable_step(acc__awaitable_slot *slot, int *acc_out)
{
    awaitable_leaf *l = (awaitable_leaf *)(void *)slot;
    acc_task *t = acc__task_current();

    if (l->state == 0) {
        if (t->cancelled)
            return awaitable_return(l, acc_out, -ECANCELED);
        l->w.loop = acc__loop_current;
        l->w.task = t;
    } else if (t->cancelled) { /* woken, or cancelled */
        if (!l->cancel_called) { /* woken, then cancelled before it ran */
            l->cancel_called = 1;
            if (l->aw->cancel != NULL)
                l->aw->cancel(l->aw, &l->w);
        }
        return awaitable_return(l, acc_out, -ECANCELED);
    }
    l->w.woken = 0;
    if (l->aw->poll(l->aw, &l->w))
        return awaitable_return(l, acc_out, 0);
    l->state = 1;
    acc__task_suspend(t, ACC__WAIT_AWAITABLE, l);
    l->w.waiting = 1;
    acc__loop_current->nexternal++;
    if (l->w.woken) /* woken during poll: poll again next turn */
        acc_wake(&l->w);
    return ACC_PENDING;
}

acc__awaitable_slot *acc__awaitable_init(acc__awaitable_slot *slot, acc_awaitable *aw)
{
    awaitable_leaf *l = (awaitable_leaf *)(void *)slot;

    l->state = 0;
    l->aw = aw;
    acc__waker_init(&l->w, NULL); /* bound to its task when the await starts */
    l->cancel_called = 0;
    return slot;
}

ACC__LEAF_FRAME_STEP(awaitable_frame_step, acc__awaitable_step)

acc_frame *acc__awaitable_coro(int *acc_out, acc_awaitable *aw)
{
    acc__leaf_frame *f = acc__leaf_frame_new(sizeof(awaitable_leaf), awaitable_frame_step, acc_out);

    if (f == NULL)
        return NULL;
    acc__awaitable_init(ACC__LEAF_SLOT(f), aw);
    return &f->hdr;
}
