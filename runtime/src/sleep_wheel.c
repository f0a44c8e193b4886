/*
 * sleep_wheel.c: the timers of tasks asleep in their own block.
 *
 * A task whose root frame is in its block (acc__root_alloc) and which
 * sleeps in that frame, or in a frame built in place inside it, keeps its
 * timer in words of the block that are idle while it sleeps, so that
 * such a task costs its block and nothing more (bench/README.md, 4b):
 *
 *   - the task's `wait` word: the previous task in its bucket;
 *   - the root frame's `acc_caller` (NULL whenever the root runs, read
 *     only when it returns): the next task;
 *   - the root frame's `acc_size` (0 for a root in its block, read only
 *     when it returns): where the sleep's slot is, from the task's start;
 *   - the sleep's slot: STARTED and the deadline (sleep.c).
 *
 * Both frame fields are set back (NULL, 0) before the task is woken.
 *
 * The tasks are kept in a hierarchical timing wheel of circular doubly
 * linked lists, 11 levels of 64 slots (level k's slots 2^(6k) ns wide,
 * level 0's one nanosecond, i.e. one deadline), filed by the highest bit
 * where the deadline differs from the wheel's `base`, like timer.c's
 * wheel. Arming appends and a cancel unlinks, O(1). Once a bucket's start
 * has passed it is opened: `base` moves to its start and its tasks are
 * spread over the levels below in list order; a level-0 bucket is due
 * and fires in list order. Equal deadlines fire in arming order with no
 * sequence number: a timer armed later than another with the same
 * deadline is filed at the same level or lower (base only grows, towards
 * the deadline), and a bucket is spread before any timer can be armed
 * into the range it covers, so it ends up behind the earlier one.
 *
 * The other timers (acc_wait_for's, and sleeps in frames of their own)
 * are timer.c's; loop.c fires the two in deadline order. Between them,
 * equal deadlines (to the nanosecond) fire timer.c's first.
 */
#include <stdlib.h>

#include "internal.h"

#define LEVELS ACC__WHEEL_LEVELS
#define SLOTS ACC__WHEEL_SLOTS

/* The task's root frame, when it is in the task's block. */
static inline acc_frame *root_in_block(acc_task *t)
{
    return (acc_frame *)(void *)((char *)t + ACC__TASK_BYTES);
}

static inline acc_task *next_of(acc_task *t)
{
    return (acc_task *)(void *)root_in_block(t)->acc_caller;
}

static inline void set_next(acc_task *t, acc_task *next)
{
    root_in_block(t)->acc_caller = (acc_frame *)(void *)next;
}

static inline acc_task *prev_of(acc_task *t)
{
    return t->wait;
}

static inline uint64_t *slot_of(acc_task *t)
{
    return (uint64_t *)(void *)((char *)t + root_in_block(t)->acc_size);
}

static inline uint64_t deadline_of(acc_task *t)
{
    return *slot_of(t) & ~ACC__SLEEP_STARTED;
}

/* The frame fields back as the root's return expects them. */
static inline void restore(acc_task *t)
{
    acc_frame *root = root_in_block(t);

    root->acc_caller = NULL;
    root->acc_size = 0;
}

bool acc__sleep_in_block(acc_task *t)
{
    acc_frame *f = t->head.top;

    /* While a leaf steps, the task's top frame is the one holding its
     * slot. Frames built in place have size 0 and lead, through their
     * callers, to a frame of their own: the root in the block, or not. */
    while (f->acc_size == 0 && f->acc_caller != NULL)
        f = f->acc_caller;
    return f == root_in_block(t) && f->acc_size == 0 && f->acc_caller == NULL;
}

/* The bucket a deadline is filed in, given base (at or before it). */
static inline unsigned bucket(const acc__sleep_wheel *w, uint64_t deadline, unsigned *level)
{
    return acc__wheel_bucket(deadline, w->base, level);
}

static inline void put(acc__sleep_wheel *w, acc_task *t, uint64_t deadline)
{
    unsigned k, b = bucket(w, deadline, &k);
    acc_task *head = w->slot[b];

    if (head == NULL) {
        w->slot[b] = t;
        t->wait = t;
        set_next(t, t);
        w->occupied[k] |= (uint64_t)1 << (b % SLOTS);
        w->levels |= 1u << k;
    } else {
        acc_task *tail = prev_of(head);
        t->wait = tail;
        set_next(t, head);
        set_next(tail, t);
        head->wait = t;
    }
}

static inline void empty_bucket(acc__sleep_wheel *w, unsigned k, unsigned b)
{
    w->slot[b] = NULL;
    w->occupied[k] &= ~((uint64_t)1 << (b % SLOTS));
    if (w->occupied[k] == 0)
        w->levels &= ~(1u << k);
}

int acc__sleep_wheel_add(acc__loop *loop, acc_task *t, uint64_t *slot, uint64_t now, uint64_t deadline)
{
    acc__sleep_wheel *w = &loop->sleepers;

    if (w->slot == NULL && (w->slot = acc__calloc(LEVELS * SLOTS, sizeof *w->slot)) == NULL)
        return -ENOMEM;
    if (w->count == 0)
        w->base = now; /* at or before every deadline armed from now on */
    *slot = ACC__SLEEP_STARTED | deadline;
    root_in_block(t)->acc_size = (unsigned)((char *)slot - (char *)t);
    acc__task_suspend(t, ACC__WAIT_SLEEP_IN_BLOCK, NULL);
    put(w, t, deadline); /* after the suspension: `wait` is its link */
    w->count++;
    return 0;
}

void acc__sleep_in_block_cancel(acc_task *t, void *wait)
{
    acc__sleep_wheel *w = &acc__loop_current->sleepers;
    unsigned k, b = bucket(w, deadline_of(t), &k);
    acc_task *next = next_of(t);

    (void)wait; /* the link to the previous task */
    if (next == t) {
        empty_bucket(w, k, b);
    } else {
        acc_task *prev = prev_of(t);
        set_next(prev, next);
        next->wait = prev;
        if (w->slot[b] == t)
            w->slot[b] = next;
    }
    w->count--;
    restore(t);
    acc__task_wake(t);
}

/* The earliest non-empty bucket's start (the wheel is not empty). */
static inline uint64_t earliest(const acc__sleep_wheel *w, unsigned *k, unsigned *j)
{
    return acc__wheel_earliest(w->base, w->levels, w->occupied, k, j);
}

uint64_t acc__sleep_wheel_next(const acc__sleep_wheel *w)
{
    unsigned k, j;
    uint64_t start;
    acc_task *head;

    if (w->count == 0)
        return UINT64_MAX;
    start = earliest(w, &k, &j);
    head = w->slot[k * SLOTS + j];
    /* a bucket of one task: its deadline, exact; else its start, which
     * is never late (the bucket is spread when it comes) */
    return next_of(head) == head ? deadline_of(head) : start;
}

uint64_t acc__sleep_wheel_due(acc__sleep_wheel *w, uint64_t now)
{
    while (w->count > 0) {
        unsigned k, j;
        uint64_t start = earliest(w, &k, &j);
        acc_task *head, *t;
        if (start > now)
            break;
        if (k == 0)
            return start; /* one deadline, due */
        /* spread it over the levels below, in order */
        head = w->slot[k * SLOTS + j];
        empty_bucket(w, k, k * SLOTS + j);
        w->base = start;
        t = head;
        do {
            acc_task *next = next_of(t);
            put(w, t, deadline_of(t));
            t = next;
        } while (t != head);
    }
    return UINT64_MAX;
}

size_t acc__sleep_wheel_fire(acc__sleep_wheel *w)
{
    unsigned k, j;
    uint64_t start = earliest(w, &k, &j);
    acc_task *head = w->slot[j], *t = head;
    size_t n = 0;

    /* k is 0: acc__sleep_wheel_due returned start */
    empty_bucket(w, 0, j);
    w->base = start;
    do {
        acc_task *next = next_of(t);
        restore(t);
        acc__task_wake(t);
        n++;
        t = next;
    } while (t != head);
    w->count -= n;
    return n;
}

void acc__sleep_wheel_free(acc__sleep_wheel *w)
{
    free(w->slot);
    w->slot = NULL;
}
