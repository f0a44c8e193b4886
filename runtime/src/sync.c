/*
 * sync.c: acc_event, acc_sem and acc_queue, the asyncio.Event, Semaphore
 * and Queue of one loop.
 *
 * Each keeps its waiters on an intrusive FIFO list of nodes that live in
 * the waiting frames, so waiting allocates nothing. Waking hands over
 * what was waited for at once, in FIFO order: a released permit goes to
 * the first acquirer, a put item to the first getter, a freed slot to the
 * first putter. A woken task cannot be overtaken by one that comes later,
 * and the order is deterministic.
 *
 * Cancellation loses nothing, and a cancelled wait returns -ECANCELED as
 * SPEC 2 says of pending awaits, even when what it waited for was handed
 * over before the task ran again (asyncio does the same): the acquirer
 * passes its permit on, the getter its item, the putter its slot, to the
 * next waiter, or gives it back (the item to the front of the queue).
 * So a putter's item goes into the queue, and a getter's item into its
 * variable, only when the waiting task runs again.
 *
 * All-zero acc_event and acc_sem are valid: the lists are set up on
 * first use.
 */
#include <stdint.h>
#include <stdlib.h>

#include "internal.h"

static void lazy_init(acc__list *l)
{
    if (l->next == NULL)
        acc__list_init(l);
}

/* A waiter: a node on a wait list, in the frame of the waiting task. */
typedef struct waiter {
    acc__list node;
    acc_task *task;
    int granted;  /* handed its permit / item / slot, or the queue closed */
    int result;   /* when granted: 0 or -EPIPE */
    void *item;   /* a getter's item, handed over while it waited */
    int orphaned; /* granted, and then its queue was freed */
} waiter;

void acc__waiter_cancel(acc_task *t, void *wait)
{
    waiter *w = wait;

    acc__list_remove(&w->node);
    acc__task_wake(t);
}

static void wait_on(acc__list *list, waiter *w, acc_task *t)
{
    w->task = t;
    w->granted = 0;
    w->result = 0;
    w->item = NULL;
    w->orphaned = 0;
    acc__list_push(list, &w->node);
    acc__task_suspend(t, ACC__WAIT_SYNC, w);
}

/* Take the first waiter off the list and wake it with `result`; it goes
 * on `granted` (when not NULL) until it runs again. */
static waiter *grant_first(acc__list *list, int result, acc__list *granted)
{
    waiter *w = acc__container_of(list->next, waiter, node);

    acc__list_remove(&w->node);
    if (granted != NULL)
        acc__list_push(granted, &w->node);
    w->granted = 1;
    w->result = result;
    acc__task_wake(w->task);
    return w;
}

/* ---- acc_event ---------------------------------------------------------- */

void acc_event_init(acc_event *ev)
{
    acc__list_init(&ev->waiters);
    ev->set = false;
}

void acc_event_set(acc_event *ev)
{
    lazy_init(&ev->waiters);
    ev->set = true;
    while (!acc__list_empty(&ev->waiters))
        grant_first(&ev->waiters, 0, NULL);
}

void acc_event_clear(acc_event *ev)
{
    ev->set = false;
}

bool acc_event_is_set(const acc_event *ev)
{
    return ev->set;
}

typedef struct event_frame {
    acc_frame hdr;
    waiter w;
    int *out;
    acc_event *ev;
} event_frame;

static int event_step(acc_frame *self)
{
    event_frame *f = (event_frame *)self;
    acc_task *t = acc__task_current();

    switch (self->acc_state) {
    case 0:
        if (t->cancelled)
            ACC__RETURN(f, f->out, -ECANCELED);
        if (f->ev->set)
            ACC__RETURN(f, f->out, 0);
        lazy_init(&f->ev->waiters);
        wait_on(&f->ev->waiters, &f->w, t);
        self->acc_state = 1;
        return ACC_PENDING;
    default:
        ACC__RETURN(f, f->out, t->cancelled ? -ECANCELED : 0);
    }
}

acc_frame *acc_event_wait__coro(int *acc_out, acc_event *ev)
{
    event_frame *f = (event_frame *)acc__frame_alloc(sizeof *f);

    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = event_step;
    f->hdr.acc_state = 0;
    f->out = acc_out;
    f->ev = ev;
    return &f->hdr;
}

/* ---- acc_sem ------------------------------------------------------------ */

void acc_sem_init(acc_sem *s, unsigned n)
{
    acc__list_init(&s->waiters);
    s->value = n;
}

void acc_sem_release(acc_sem *s)
{
    lazy_init(&s->waiters);
    if (!acc__list_empty(&s->waiters))
        grant_first(&s->waiters, 0, NULL); /* the permit goes straight to it */
    else
        s->value++;
}

typedef struct sem_frame {
    acc_frame hdr;
    waiter w;
    int *out;
    acc_sem *s;
} sem_frame;

static int sem_step(acc_frame *self)
{
    sem_frame *f = (sem_frame *)self;
    acc_task *t = acc__task_current();

    switch (self->acc_state) {
    case 0:
        if (t->cancelled)
            ACC__RETURN(f, f->out, -ECANCELED);
        if (f->s->value > 0) { /* permits are free only while nobody waits */
            f->s->value--;
            ACC__RETURN(f, f->out, 0);
        }
        lazy_init(&f->s->waiters);
        wait_on(&f->s->waiters, &f->w, t);
        self->acc_state = 1;
        return ACC_PENDING;
    default:
        if (f->w.granted && t->cancelled) {
            acc_sem_release(f->s); /* the permit goes on to the next waiter */
            ACC__RETURN(f, f->out, -ECANCELED);
        }
        ACC__RETURN(f, f->out, f->w.granted ? 0 : -ECANCELED);
    }
}

acc_frame *acc_sem_acquire__coro(int *acc_out, acc_sem *s)
{
    sem_frame *f = (sem_frame *)acc__frame_alloc(sizeof *f);

    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = sem_step;
    f->hdr.acc_state = 0;
    f->out = acc_out;
    f->s = s;
    return &f->hdr;
}

/* ---- acc_queue ---------------------------------------------------------- */

struct acc_queue {
    void **ring;        /* items, oldest at ring[head] */
    size_t size;        /* slots allocated */
    size_t head, len;
    size_t capacity;    /* most items held; SIZE_MAX: no limit */
    size_t reserved;    /* slots handed to putters that have not run yet */
    bool closed;
    acc__list getters;  /* queue_frame waiters, FIFO (only while empty) */
    acc__list putters;  /* queue_frame waiters, FIFO (only while full) */
    acc__list granted;  /* getters handed an item, putters a slot, not yet run */
};

typedef struct queue_frame {
    acc_frame hdr;
    waiter w;
    int *out;
    acc_queue *q;
    void *item;         /* put: the item */
    void **dst;         /* get: where the item goes */
} queue_frame;

acc_queue *acc_queue_new(size_t capacity)
{
    acc_queue *q = acc__calloc(1, sizeof *q);

    if (q == NULL)
        return NULL;
    q->capacity = capacity ? capacity : SIZE_MAX;
    acc__list_init(&q->getters);
    acc__list_init(&q->putters);
    acc__list_init(&q->granted);
    return q;
}

/* Append an item; the caller checked len < capacity. 0 or -ENOMEM. */
static int ring_push(acc_queue *q, void *item)
{
    if (q->len == q->size) {
        size_t size = q->size ? 2 * q->size : 16;
        void **ring;
        if (size > q->capacity)
            size = q->capacity;
        if (size > SIZE_MAX / sizeof *ring)
            return -ENOMEM;
        ring = acc__malloc(size * sizeof *ring);
        if (ring == NULL)
            return -ENOMEM;
        for (size_t i = 0; i < q->len; i++) /* unwrap into the new ring */
            ring[i] = q->ring[(q->head + i) % q->size];
        free(q->ring);
        q->ring = ring;
        q->size = size;
        q->head = 0;
    }
    q->ring[(q->head + q->len) % q->size] = item;
    q->len++;
    return 0;
}

/* An item given back by a cancelled getter goes first again: 0, or
 * -ENOMEM (the ring is full and cannot grow). */
static int ring_push_front(acc_queue *q, void *item)
{
    if (q->len == q->size) {
        size_t cap = q->capacity;
        q->capacity = SIZE_MAX; /* the one item may go past the capacity */
        int r = ring_push(q, NULL); /* grow (unwrapping), then move it to the front */
        q->capacity = cap;
        if (r < 0)
            return r;
        q->len--;
    }
    q->head = (q->head + q->size - 1) % q->size;
    q->ring[q->head] = item;
    q->len++;
    return 0;
}

static void *ring_pop(acc_queue *q)
{
    void *item = q->ring[q->head];

    q->head = (q->head + 1) % q->size;
    q->len--;
    return item;
}

void acc_queue_close(acc_queue *q)
{
    q->closed = true;
    while (!acc__list_empty(&q->getters))
        grant_first(&q->getters, -EPIPE, NULL);
    while (!acc__list_empty(&q->putters))
        grant_first(&q->putters, -EPIPE, NULL);
}

void acc_queue_free(acc_queue *q)
{
    if (q == NULL)
        return;
    acc_queue_close(q);
    /* Waiters granted an item or a slot have not run yet: they must not
     * touch the queue when they do. A getter keeps its item, a putter
     * gets -EPIPE. */
    while (!acc__list_empty(&q->granted)) {
        waiter *w = acc__container_of(q->granted.next, waiter, node);
        acc__list_remove(&w->node);
        w->orphaned = 1;
    }
    free(q->ring);
    free(q);
}

/* Has the queue room for one more item, counting the slots promised to
 * putters that have not run yet? */
static bool has_room(const acc_queue *q)
{
    return q->len + q->reserved < q->capacity;
}

/* Hand `item` to the first waiting getter (they wait only while the
 * queue is empty); false if none waits. */
static bool give_to_getter(acc_queue *q, void *item)
{
    if (acc__list_empty(&q->getters))
        return false;
    grant_first(&q->getters, 0, &q->granted)->item = item;
    return true;
}

/* A slot came free: promise it to the first waiting putter. */
static void free_slot(acc_queue *q)
{
    if (!acc__list_empty(&q->putters) && has_room(q)) {
        q->reserved++;
        grant_first(&q->putters, 0, &q->granted);
    }
}

/* A putter's item goes in: to the first waiting getter (then the slot it
 * would have taken stays free, for the next putter), or at the back of the
 * queue. 0 or -ENOMEM. */
static int deliver(acc_queue *q, void *item)
{
    if (give_to_getter(q, item)) {
        free_slot(q);
        return 0;
    }
    return ring_push(q, item);
}

static int put_step(acc_frame *self)
{
    queue_frame *f = (queue_frame *)self;
    acc_task *t = acc__task_current();
    acc_queue *q = f->q;

    switch (self->acc_state) {
    case 0:
        if (t->cancelled)
            ACC__RETURN(f, f->out, -ECANCELED);
        if (q->closed)
            ACC__RETURN(f, f->out, -EPIPE);
        if (!acc__list_empty(&q->getters) || has_room(q))
            ACC__RETURN(f, f->out, deliver(q, f->item));
        wait_on(&q->putters, &f->w, t);
        self->acc_state = 1;
        return ACC_PENDING;
    default:
        if (!f->w.granted)
            ACC__RETURN(f, f->out, -ECANCELED);
        if (f->w.result < 0 || f->w.orphaned) /* closed, or freed (cancelled since: that first) */
            ACC__RETURN(f, f->out, t->cancelled ? -ECANCELED : -EPIPE);
        /* a slot was promised to it */
        acc__list_remove(&f->w.node);
        q->reserved--;
        if (t->cancelled) {
            free_slot(q); /* to the next putter */
            ACC__RETURN(f, f->out, -ECANCELED);
        }
        if (q->closed) {
            free_slot(q);
            ACC__RETURN(f, f->out, -EPIPE);
        }
        ACC__RETURN(f, f->out, deliver(q, f->item));
    }
}

static int get_step(acc_frame *self)
{
    queue_frame *f = (queue_frame *)self;
    acc_task *t = acc__task_current();
    acc_queue *q = f->q;

    switch (self->acc_state) {
    case 0:
        if (t->cancelled)
            ACC__RETURN(f, f->out, -ECANCELED);
        if (q->len > 0) {
            *f->dst = ring_pop(q);
            free_slot(q);
            ACC__RETURN(f, f->out, 0);
        }
        if (q->closed)
            ACC__RETURN(f, f->out, -EPIPE);
        wait_on(&q->getters, &f->w, t);
        self->acc_state = 1;
        return ACC_PENDING;
    default:
        if (!f->w.granted)
            ACC__RETURN(f, f->out, -ECANCELED);
        if (f->w.result < 0) /* closed (cancelled since: that first) */
            ACC__RETURN(f, f->out, t->cancelled ? -ECANCELED : f->w.result);
        /* an item was handed to it */
        if (f->w.orphaned) {
            *f->dst = f->w.item; /* its queue is gone: nowhere to give it back */
            ACC__RETURN(f, f->out, t->cancelled ? -ECANCELED : 0);
        }
        acc__list_remove(&f->w.node);
        if (t->cancelled && (give_to_getter(q, f->w.item) || ring_push_front(q, f->w.item) == 0))
            ACC__RETURN(f, f->out, -ECANCELED);
        *f->dst = f->w.item; /* (or no memory to give it back: better kept than lost) */
        ACC__RETURN(f, f->out, 0);
    }
}

static acc_frame *queue_frame_new(int *acc_out, acc_queue *q, acc_resume_fn step)
{
    queue_frame *f = (queue_frame *)acc__frame_alloc(sizeof *f);

    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = step;
    f->hdr.acc_state = 0;
    f->out = acc_out;
    f->q = q;
    f->item = NULL;
    f->dst = NULL;
    return &f->hdr;
}

acc_frame *acc_queue_put__coro(int *acc_out, acc_queue *q, void *item)
{
    acc_frame *f = queue_frame_new(acc_out, q, put_step);

    if (f != NULL)
        ((queue_frame *)f)->item = item;
    return f;
}

acc_frame *acc_queue_get__coro(int *acc_out, acc_queue *q, void **item)
{
    acc_frame *f = queue_frame_new(acc_out, q, get_step);

    if (f != NULL)
        ((queue_frame *)f)->dst = item;
    return f;
}
