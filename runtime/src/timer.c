/*
 * timer.c: the clock and the timer heap.
 *
 * Timers live in a min-heap stored in an array (the idea of libuv's
 * heap-inl.h, with an array instead of a pointer tree), ordered by
 * (deadline, seq): seq counts arming, so timers with equal deadlines fire
 * in the order they were armed, as SPEC 2 requires. Each timer remembers
 * its slot, so stopping one (a cancelled sleep) is O(log n) like arming
 * and firing; a million armed timers cost one array of a million
 * 24-byte entries. Deadlines are integer nanoseconds of CLOCK_MONOTONIC, so equal
 * means equal.
 */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include "internal.h"

uint64_t acc__now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double acc_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void acc__timer_init(acc__timer *t, acc__timer_cb cb)
{
    t->deadline = 0;
    t->seq = 0;
    t->index = ACC__TIMER_IDLE;
    t->cb = cb;
}

/* The heap is 4-ary and keeps each timer's key in the array beside its
 * pointer: a sift compares siblings that share a cache line or two and
 * touches a timer only to record its new slot. With a million timers this
 * is several times faster than a binary heap of bare pointers, where
 * every comparison is a cache miss. */
#define ARITY 4

static int before(const acc__heap_entry *a, const acc__heap_entry *b)
{
    if (a->deadline != b->deadline)
        return a->deadline < b->deadline;
    return a->seq < b->seq;
}

static void place(acc__heap *h, size_t i, acc__heap_entry e)
{
    h->slot[i] = e;
    e.timer->index = i;
}

static void sift_up(acc__heap *h, size_t i, acc__heap_entry e)
{
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (!before(&e, &h->slot[parent]))
            break;
        place(h, i, h->slot[parent]);
        i = parent;
    }
    place(h, i, e);
}

static void sift_down(acc__heap *h, size_t i, acc__heap_entry e)
{
    for (;;) {
        size_t first = ARITY * i + 1, best, end;
        if (first >= h->len)
            break;
        end = first + ARITY < h->len ? first + ARITY : h->len;
        best = first;
        for (size_t c = first + 1; c < end; c++)
            if (before(&h->slot[c], &h->slot[best]))
                best = c;
        if (!before(&h->slot[best], &e))
            break;
        place(h, i, h->slot[best]);
        i = best;
    }
    place(h, i, e);
}

int acc__timer_start(acc__loop *loop, acc__timer *t, uint64_t deadline)
{
    acc__heap *h = &loop->timers;
    acc__heap_entry e;

    if (t->index != ACC__TIMER_IDLE)
        acc__timer_stop(loop, t);
    if (h->len == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 64;
        acc__heap_entry *slot = acc__realloc(h->slot, cap * sizeof *slot);
        if (slot == NULL)
            return -ENOMEM;
        h->slot = slot;
        h->cap = cap;
    }
    t->deadline = deadline;
    t->seq = h->seq++;
    e.deadline = deadline;
    e.seq = t->seq;
    e.timer = t;
    sift_up(h, h->len++, e);
    return 0;
}

void acc__timer_stop(acc__loop *loop, acc__timer *t)
{
    acc__heap *h = &loop->timers;
    size_t i = t->index;
    acc__heap_entry last;

    if (i == ACC__TIMER_IDLE)
        return;
    t->index = ACC__TIMER_IDLE;
    last = h->slot[--h->len];
    if (i == h->len)
        return;
    /* The last timer fills the hole, then moves whichever way it must. */
    if (i > 0 && before(&last, &h->slot[(i - 1) / ARITY]))
        sift_up(h, i, last);
    else
        sift_down(h, i, last);
}

uint64_t acc__timer_next(const acc__loop *loop)
{
    return loop->timers.len ? loop->timers.slot[0].deadline : UINT64_MAX;
}

size_t acc__timer_run(acc__loop *loop, uint64_t now)
{
    acc__heap *h = &loop->timers;
    size_t n = 0;

    while (h->len > 0 && h->slot[0].deadline <= now) {
        acc__timer *t = h->slot[0].timer;
        acc__timer_stop(loop, t);
        t->cb(t);
        n++;
    }
    return n;
}

void acc__heap_free(acc__heap *h)
{
    free(h->slot);
    h->slot = NULL;
    h->len = h->cap = 0;
}
