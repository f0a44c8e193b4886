/*
 * timer.c: the clock and the timer heap.
 *
 * Timers live in a 4-ary min-heap stored in an array, ordered by
 * (deadline, seq): seq counts arming, so timers with equal deadlines fire
 * in the order they were armed, as SPEC 2 requires. Deadlines are integer
 * nanoseconds of CLOCK_MONOTONIC, so equal means equal.
 *
 * Stopping is lazy, as in Go's runtime timers: the timer's owner slot is
 * cleared in O(1) and its entry stays in the heap, dead, until it reaches
 * the top (dropped without firing) or until dead entries outnumber live
 * ones and the heap is compacted in O(n). Arming and firing are
 * O(log n); a million armed timers cost 16 bytes of entry, 8 of owner
 * slot and 4 of free-id stack each.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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
    t->cb = cb;
    t->id = ACC__TIMER_IDLE;
}

/* The heap is 4-ary with 16-byte entries, laid out so that the four
 * children of a slot share one 64-byte cache line: a level of a sift
 * costs one line. Sifts move entries only; timers are reached through
 * owner[id] when they fire or stop, never while the heap is reordered, so
 * a sift does not touch a random timer at every level. With a million
 * timers that is what keeps cancel and expiry cheap. */
#define ARITY 4
#define LINE 64

static inline int before(const acc__heap_entry *a, const acc__heap_entry *b)
{
    if (a->deadline != b->deadline)
        return a->deadline < b->deadline;
    return a->seq < b->seq;
}

static void sift_up(acc__heap_entry *slot, size_t i, acc__heap_entry e)
{
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (!before(&e, &slot[parent]))
            break;
        slot[i] = slot[parent];
        i = parent;
    }
    slot[i] = e;
}

static void sift_down(acc__heap_entry *slot, size_t len, size_t i, acc__heap_entry e)
{
    for (;;) {
        size_t first = ARITY * i + 1, best;
        if (first >= len)
            break;
        best = first;
        if (ARITY * first + 1 < len) /* the grandchildren's lines: the next level hits */
            for (size_t g = 0; g < ARITY; g++)
                __builtin_prefetch(&slot[ARITY * (first + g) + 1]);
        if (first + ARITY <= len) {
            size_t a = before(&slot[first + 1], &slot[first]) ? first + 1 : first;
            size_t b = before(&slot[first + 3], &slot[first + 2]) ? first + 3 : first + 2;
            best = before(&slot[b], &slot[a]) ? b : a;
        } else {
            for (size_t c = first + 1; c < len; c++)
                if (before(&slot[c], &slot[best]))
                    best = c;
        }
        if (!before(&slot[best], &e))
            break;
        slot[i] = slot[best];
        i = best;
    }
    slot[i] = e;
}

/* Room for cap entries, &slot[1] on a cache line. */
static int grow_slots(acc__heap *h)
{
    size_t cap = h->cap ? 2 * h->cap : 64;
    char *raw = acc__malloc(cap * sizeof(acc__heap_entry) + LINE);
    uintptr_t a;
    acc__heap_entry *slot;

    if (raw == NULL)
        return -ENOMEM;
    a = ((uintptr_t)raw + sizeof(acc__heap_entry) + LINE - 1) & ~(uintptr_t)(LINE - 1);
    slot = (acc__heap_entry *)(void *)(a - sizeof(acc__heap_entry));
    if (h->len > 0)
        memcpy(slot, h->slot, h->len * sizeof *slot);
    free(h->raw);
    h->raw = raw;
    h->slot = slot;
    h->cap = cap;
    return 0;
}

/* Free ids are a stack of their own, read in order: a free list threaded
 * through owner[] would make every arming wait for a cache miss. */
static int new_id(acc__heap *h, uint32_t *out)
{
    if (h->nfree > 0) {
        *out = h->free_ids[--h->nfree];
        if (h->nfree > 0) /* the owner slot the next arming writes */
            __builtin_prefetch(&h->owner[h->free_ids[h->nfree - 1]], 1);
        return 0;
    }
    if (h->nids == h->ids_cap) {
        uint32_t cap = h->ids_cap ? 2 * h->ids_cap : 64;
        acc__timer **owner;
        uint32_t *free_ids;
        if (h->ids_cap >= UINT32_MAX / 2)
            return -ENOMEM;
        owner = acc__realloc(h->owner, (size_t)cap * sizeof *owner);
        if (owner == NULL)
            return -ENOMEM;
        h->owner = owner;
        free_ids = acc__realloc(h->free_ids, (size_t)cap * sizeof *free_ids);
        if (free_ids == NULL)
            return -ENOMEM; /* owner stays bigger: harmless */
        h->free_ids = free_ids;
        h->ids_cap = cap;
    }
    *out = h->nids++;
    return 0;
}

static inline void free_id(acc__heap *h, uint32_t id)
{
    h->free_ids[h->nfree++] = id;
}

/* Sequence numbers ran out (2^32 armings): renumber the entries in heap
 * order. A sorted array is a heap, and ranks keep every tie's order. */
static int by_key(const void *a, const void *b)
{
    return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

static void renumber(acc__heap *h)
{
    qsort(h->slot, h->len, sizeof *h->slot, by_key);
    for (size_t i = 0; i < h->len; i++)
        h->slot[i].seq = (uint32_t)i;
    h->seq = (uint32_t)h->len;
}

/* More dead entries than live ones: drop them and rebuild (Floyd), O(n),
 * so stopped timers cost memory for a while only. */
static void compact(acc__heap *h)
{
    size_t n = 0;

    for (size_t i = 0; i < h->len; i++) {
        if (h->owner[h->slot[i].id] != NULL)
            h->slot[n++] = h->slot[i];
        else
            free_id(h, h->slot[i].id);
    }
    h->len = n;
    h->dead = 0;
    if (n > 1)
        for (size_t i = (n - 2) / ARITY + 1; i-- > 0;)
            sift_down(h->slot, n, i, h->slot[i]);
}

int acc__timer_start(acc__loop *loop, acc__timer *t, uint64_t deadline)
{
    acc__heap *h = &loop->timers;
    acc__heap_entry e;
    uint32_t id;

    if (t->id != ACC__TIMER_IDLE)
        acc__timer_stop(loop, t);
    if (h->len == h->cap && grow_slots(h) < 0)
        return -ENOMEM;
    if (new_id(h, &id) < 0)
        return -ENOMEM;
    if (h->seq == UINT32_MAX)
        renumber(h);
    h->owner[id] = t;
    t->id = id;
    e.deadline = deadline;
    e.seq = h->seq++;
    e.id = id;
    sift_up(h->slot, h->len++, e);
    return 0;
}

void acc__timer_stop(acc__loop *loop, acc__timer *t)
{
    acc__heap *h = &loop->timers;

    if (t->id == ACC__TIMER_IDLE)
        return;
    h->owner[t->id] = NULL; /* its entry is dead; the id is freed with it */
    t->id = ACC__TIMER_IDLE;
    h->dead++;
    if (h->dead > 64 && h->dead > h->len / 2)
        compact(h);
}

/* Take the top entry off the heap; its timer, or NULL if it was dead. */
static acc__timer *pop(acc__heap *h)
{
    uint32_t id = h->slot[0].id;
    acc__timer *t = h->owner[id];

    free_id(h, id);
    if (t == NULL)
        h->dead--;
    else
        t->id = ACC__TIMER_IDLE;
    h->len--;
    if (h->len > 0) {
        sift_down(h->slot, h->len, 0, h->slot[h->len]);
        __builtin_prefetch(&h->owner[h->slot[0].id]); /* the next pop's */
    }
    return t;
}

uint64_t acc__timer_next(acc__loop *loop)
{
    acc__heap *h = &loop->timers;

    while (h->len > 0 && h->owner[h->slot[0].id] == NULL)
        (void)pop(h);
    return h->len ? h->slot[0].deadline : UINT64_MAX;
}

size_t acc__timer_run(acc__loop *loop, uint64_t now)
{
    acc__heap *h = &loop->timers;
    size_t n = 0;

    while (h->len > 0 && h->slot[0].deadline <= now) {
        acc__timer *t = pop(h);
        if (t != NULL) {
            t->cb(t);
            n++;
        }
    }
    return n;
}

void acc__heap_free(acc__heap *h)
{
    free(h->raw);
    free(h->owner);
    free(h->free_ids);
    memset(h, 0, sizeof *h);
}
