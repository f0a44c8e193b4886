/*
 * thread.c: the worker pool and acc_to_thread.
 *
 * One pool per process, shared by the loops of every thread. Workers are
 * created lazily: a job submitted when the idle workers (starting ones
 * included) are no more than the queued jobs starts a new one, up to
 * ACC_THREADS (environment, 1..256; default 4, as libuv's
 * UV_THREADPOOL_SIZE). Workers are joinable. When the last loop that used
 * the pool ends, acc__pool_release retires the idle workers and joins them,
 * so a program that has returned from acc_run runs no threads of ours.
 * The one exception is a worker still running a function whose await was
 * cancelled (an abandoned job): joining it could wait forever, so it is
 * left alone, and when its function returns and still no loop uses the
 * pool, it detaches itself and exits.
 *
 * A job's result reaches its loop through the thread-safe wake channel
 * (acc_wake_threadsafe on the waker in the awaiting frame). Everything
 * about a job is decided under the pool's lock: a worker that finishes a
 * job either wakes its waiter or, if the waiter gave up (the task was
 * cancelled), discards the job itself. So a cancelled acc_to_thread
 * returns at once, and its function runs on to the end on its worker, as
 * with asyncio.to_thread; a job still queued is dropped and never runs.
 */
#include <pthread.h>
#include <stdlib.h>

#include "internal.h"

enum { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_ABANDONED };

struct acc__job {
    acc__list node;       /* in pool.queue while queued */
    void *(*fn)(void *);
    void *arg;
    void *result;
    void (*discard)(void *arg, void *result); /* may be NULL */
    acc_waker *w;         /* the waiting await */
    int state;
};

typedef struct acc__worker {
    acc__list node;       /* in pool.idle while it runs no job */
    pthread_t tid;
    int retired;          /* taken off pool.idle by acc__pool_release: exit */
} acc__worker;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;  /* a job was queued, or workers were retired */
    acc__list queue;      /* jobs not started, FIFO */
    acc__list idle;       /* workers without a job, starting ones included */
    int nqueued, nidle;   /* the lengths of queue and idle */
    int nthreads, max;    /* workers not retired, and their limit */
    int loops;            /* loops that have used the pool and not ended */
} pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {NULL, NULL}, {NULL, NULL}, 0, 0, 0, 0, 0};

static void set_idle(acc__worker *w, int idle)
{
    if (idle)
        acc__list_push(&pool.idle, &w->node);
    else
        acc__list_remove(&w->node);
    pool.nidle += idle ? 1 : -1;
}

static void dequeue(acc__job *j)
{
    acc__list_remove(&j->node);
    pool.nqueued--;
}

/* Run the first queued job, with the lock held around (not during) it. */
static void run_job(void)
{
    acc__job *j = acc__container_of(pool.queue.next, acc__job, node);
    void *result;

    dequeue(j);
    j->state = JOB_RUNNING;
    pthread_mutex_unlock(&pool.lock);
    result = j->fn(j->arg);
    pthread_mutex_lock(&pool.lock);
    if (j->state == JOB_ABANDONED) {
        if (j->discard != NULL)
            j->discard(j->arg, result);
        free(j);
    } else {
        j->result = result;
        j->state = JOB_DONE;
        acc_wake_threadsafe(j->w); /* under the lock: see acc__job_abandon */
    }
}

/* A worker starts idle (start_worker put it on pool.idle). */
static void *worker_main(void *arg)
{
    acc__worker *self = arg;

    pthread_mutex_lock(&pool.lock);
    for (;;) {
        while (pool.nqueued == 0 && pool.loops > 0 && !self->retired)
            pthread_cond_wait(&pool.work, &pool.lock);
        if (self->retired)
            break; /* acc__pool_release joins us and frees self */
        set_idle(self, 0);
        if (pool.nqueued == 0) {
            /* The last loop ended while we ran an abandoned job, so we
             * were not idle then and nobody will join us. */
            pool.nthreads--;
            pthread_detach(pthread_self());
            free(self);
            break;
        }
        run_job();
        set_idle(self, 1);
    }
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

/* One more worker, idle until it takes a job; under the pool's lock.
 * Returns 0 or an errno. */
static int start_worker(void)
{
    acc__worker *w = acc__malloc(sizeof *w);
    int r;

    if (w == NULL)
        return ENOMEM;
    w->retired = 0;
    r = pthread_create(&w->tid, NULL, worker_main, w);
    if (r != 0) {
        free(w);
        return r;
    }
    set_idle(w, 1);
    pool.nthreads++;
    return 0;
}

static int pool_max(void)
{
    const char *s = getenv("ACC_THREADS");
    long n = s ? strtol(s, NULL, 10) : 0;

    return n >= 1 && n <= 256 ? (int)n : 4;
}

acc__job *acc__job_submit(acc__loop *loop, void *(*fn)(void *), void *arg,
                          void (*discard)(void *arg, void *result), acc_waker *w)
{
    acc__job *j = acc__malloc(sizeof *j);
    int r = 0;

    if (j == NULL)
        return NULL;
    j->fn = fn;
    j->arg = arg;
    j->result = NULL;
    j->discard = discard;
    j->w = w;
    j->state = JOB_QUEUED;
    pthread_mutex_lock(&pool.lock);
    if (pool.queue.next == NULL) {
        acc__list_init(&pool.queue);
        acc__list_init(&pool.idle);
    }
    if (pool.max == 0)
        pool.max = pool_max();
    if (!loop->uses_pool) {
        loop->uses_pool = 1;
        pool.loops++;
    }
    if (pool.nidle <= pool.nqueued && pool.nthreads < pool.max)
        r = start_worker(); /* else an idle worker is left for this job */
    if (pool.nthreads == 0) { /* not even one worker */
        pthread_mutex_unlock(&pool.lock);
        free(j);
        errno = r ? r : EAGAIN;
        return NULL;
    }
    acc__list_push(&pool.queue, &j->node);
    pool.nqueued++;
    pthread_cond_signal(&pool.work);
    pthread_mutex_unlock(&pool.lock);
    return j;
}

int acc__job_abandon(acc__job *j, void **result)
{
    int done = 0;

    pthread_mutex_lock(&pool.lock);
    switch (j->state) {
    case JOB_QUEUED: /* never runs */
        dequeue(j);
        if (j->discard != NULL)
            j->discard(j->arg, NULL);
        free(j);
        break;
    case JOB_RUNNING: /* the worker discards it */
        j->state = JOB_ABANDONED;
        break;
    default: /* JOB_DONE: the wake is on its way; take the result */
        *result = j->result;
        free(j);
        done = 1;
        break;
    }
    pthread_mutex_unlock(&pool.lock);
    return done;
}

void *acc__job_finish(acc__job *j)
{
    void *result;

    /* The lock orders this after the worker's last touch of the job. */
    pthread_mutex_lock(&pool.lock);
    result = j->result;
    pthread_mutex_unlock(&pool.lock);
    free(j);
    return result;
}

/* A loop that used the pool ends. The last one retires the idle workers
 * and joins them outside the lock (they need it to wake up). A busy worker
 * runs an abandoned job, which may never return: it is not waited for. */
void acc__pool_release(void)
{
    acc__list retired;

    acc__list_init(&retired);
    pthread_mutex_lock(&pool.lock);
    if (--pool.loops == 0) {
        acc__list_splice(&pool.idle, &retired);
        for (acc__list *n = retired.next; n != &retired; n = n->next)
            acc__container_of(n, acc__worker, node)->retired = 1;
        pool.nthreads -= pool.nidle;
        pool.nidle = 0;
        pthread_cond_broadcast(&pool.work);
    }
    pthread_mutex_unlock(&pool.lock);
    while (!acc__list_empty(&retired)) {
        acc__worker *w = acc__container_of(retired.next, acc__worker, node);

        acc__list_remove(&w->node);
        pthread_join(w->tid, NULL);
        free(w);
    }
}

/* ---- acc_to_thread ------------------------------------------------------ */

typedef struct to_thread_frame {
    acc_frame hdr;
    void **out;
    void *(*fn)(void *);
    void *arg;
    acc__job *job;   /* NULL once finished or abandoned */
    void *result;
    int done;        /* result is fn's */
    acc_waker w;
} to_thread_frame;

void acc__to_thread_cancel(acc_task *t, void *wait)
{
    to_thread_frame *f = wait;

    acc__waker_end(&f->w);
    f->done = acc__job_abandon(f->job, &f->result);
    f->job = NULL;
    acc__task_wake(t);
}

/* A void * result cannot carry an errno: failures are NULL with errno. */
#define TT_FAIL(f, err)                         \
    do {                                        \
        if ((f)->out != NULL)                   \
            *(f)->out = NULL;                   \
        acc__return(&(f)->hdr);                 \
        errno = (err);                          \
        return ACC_DONE;                        \
    } while (0)

static int to_thread_step(acc_frame *self)
{
    to_thread_frame *f = (to_thread_frame *)self;
    acc_task *t = acc__task_current();

    switch (self->acc_state) {
    case 0:
        if (t->cancelled)
            TT_FAIL(f, ECANCELED);
        acc__waker_init(&f->w, t);
        f->job = acc__job_submit(acc__loop_current, f->fn, f->arg, NULL, &f->w);
        if (f->job == NULL)
            TT_FAIL(f, errno);
        self->acc_state = 1;
        acc__task_suspend(t, ACC__WAIT_TO_THREAD, self);
        acc__waker_wait(&f->w);
        return ACC_PENDING;
    default:
        acc__waker_end(&f->w);
        if (f->job != NULL) {
            f->result = acc__job_finish(f->job);
            f->job = NULL;
            f->done = 1;
        }
        /* fn returned before the cancellation arrived: its result is
         * returned rather than lost. */
        if (!f->done)
            TT_FAIL(f, ECANCELED);
        ACC__RETURN(f, f->out, f->result);
    }
}

acc_frame *acc_to_thread__coro(void **acc_out, void *(*fn)(void *), void *arg)
{
    to_thread_frame *f = (to_thread_frame *)acc__frame_alloc(sizeof *f);

    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = to_thread_step;
    f->hdr.acc_state = 0;
    f->out = acc_out;
    f->fn = fn;
    f->arg = arg;
    f->job = NULL;
    f->result = NULL;
    f->done = 0;
    return &f->hdr;
}
