/*
 * timer.c: the clock and the timers.
 *
 * Timers fire in (deadline, arming order): deadlines are integer
 * nanoseconds of CLOCK_MONOTONIC, so equal means equal, and timers with
 * equal deadlines fire in the order they were armed (SPEC 2).
 *
 * Two parts, split at `horizon`:
 *
 * - The wheel holds what is due at or after the horizon: a hierarchical
 *   timing wheel of 11 levels of 64 slots, level k's slots 2^(6k) ns wide.
 *   An entry is filed by the highest bit where its deadline differs from
 *   the wheel's `base`, in a bucket that is an unsorted list of chunks:
 *   arming appends, O(1), without touching any other timer. The earliest
 *   bucket is the lowest slot of the lowest non-empty level (two ctz).
 *   Once its start has passed, a bucket is opened: spread over the levels
 *   below (`base` moves to its start), or, if it is low and small, sorted
 *   and appended to the run. Entries move a few times in their life, each
 *   time in sequential order; that is what makes expiry cheap with a
 *   million timers, where a heap's pop is a chain of cache misses.
 *
 * - The near part holds what is due before the horizon: the run (opened
 *   buckets, sorted, in chunks, consumed from the front) and a small
 *   4-ary min-heap keyed by (deadline, seq) for what is armed into that
 *   range meanwhile. Buckets keep arming order (appends, and spreads in
 *   order, see open_bucket), the sort is stable, and the heap's entries
 *   were all armed after the run's: ties keep arming order exactly.
 *
 * Stopping is lazy: it sets the id's bit in the `dead_ids` bitmap (a
 * million timers' bits fit in L2) and marks the timer idle, O(1), a few
 * instructions. A dead entry is dropped when it is reached (opened,
 * spread or at the front of the near part); when dead entries outnumber
 * live ones three to one, the next arming reclaims them all first (O(n),
 * or O(chunks) if none is live), so stopped timers cost memory only for a
 * while. A timer is found through owner[id] only when it fires. Entries
 * are 16 bytes (deadline, seq, id) in 1 KiB chunks; chunks and ids are
 * reused through stacks, never returned before acc__heap_free.
 *
 * acc__timer_next gives the earliest deadline when it is near or in a
 * small bucket, else the start of the earliest bucket: never late, at
 * worst a few early wakes while a far bucket is spread level by level.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
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

/* The callbacks of timers, by kind. There are a few (acc_sleep's,
 * acc_wait_for's, the tests'); each gets its kind the first time a timer
 * is set up with it. Shared by every thread: appended under a lock, read
 * without one. */
#define MAX_KINDS 16
static _Atomic(acc__timer_cb) kinds[MAX_KINDS];
static pthread_mutex_t kinds_lock = PTHREAD_MUTEX_INITIALIZER;

static uint32_t find_kind(acc__timer_cb cb)
{
    uint32_t k;

    for (k = 0; k < MAX_KINDS; k++) {
        acc__timer_cb c = atomic_load_explicit(&kinds[k], memory_order_acquire);
        if (c == cb || c == NULL)
            return k;
    }
    return MAX_KINDS;
}

static uint32_t kind_of(acc__timer_cb cb)
{
    uint32_t k = find_kind(cb);

    if (k < MAX_KINDS && atomic_load_explicit(&kinds[k], memory_order_acquire) == cb)
        return k;
    pthread_mutex_lock(&kinds_lock);
    k = find_kind(cb);
    if (k < MAX_KINDS && atomic_load_explicit(&kinds[k], memory_order_relaxed) == NULL)
        atomic_store_explicit(&kinds[k], cb, memory_order_release);
    pthread_mutex_unlock(&kinds_lock);
    if (k == MAX_KINDS) { /* the runtime has two callbacks: a bug */
        fputs("acc: too many kinds of timers\n", stderr);
        abort();
    }
    return k;
}

void acc__timer_init(acc__timer *t, acc__timer_cb cb)
{
    t->id = ACC__TIMER_IDLE;
    t->kind = kind_of(cb);
}

#define CHUNK ACC__TIMER_CHUNK
#define LEVELS ACC__WHEEL_LEVELS
#define SLOTS ACC__WHEEL_SLOTS
/* A bucket of level 3 or lower (slots of at most 2^18 ns, 262 µs) that
 * fits in a chunk is sorted into the run; others are spread. So the near
 * range reaches at most 262 µs past a time that has passed, and the heap
 * that takes what is armed into it stays small. */
#define NEAR_LEVEL 3
/* Opened buckets are appended to the run until it holds this many
 * entries: the run is where expiry prefetches ahead. */
#define RUN_TARGET 64
/* With nothing armed, the wheel restarts at most 2^36 ns (69 s) before
 * the new deadline (see restart). */
#define RESTART_BITS 36

/* ---- ids: owner[id] is what the timer fires (an acc__timer *, or a task
 * tagged with OWNER_TASK); dead bit id is set once it is stopped,
 * until its entry is dropped, so free ids' bits are clear and arming
 * touches no bit. */

/* owner[id] of a timer that wakes a task: the task's address, whose bit 0
 * (free: tasks and timers are aligned) tells it from an acc__timer's. */
#define OWNER_TASK ((uintptr_t)1)

static inline int is_live(const acc__heap *h, uint32_t id)
{
    return !(h->dead_ids[id >> 6] >> (id & 63) & 1);
}

/* Free ids are a stack of their own, read in order: a free list threaded
 * through owner[] would make every arming wait for a cache miss. */
static int new_id(acc__heap *h, uint32_t *out)
{
    if (h->nfree > 0) {
        *out = h->free_ids[--h->nfree];
        /* the owner slot an arming 16 later writes: a store that misses
         * holds up every store behind it */
        if (h->nfree >= 16)
            __builtin_prefetch(&h->owner[h->free_ids[h->nfree - 16]], 1);
        return 0;
    }
    if (h->nids == h->ids_cap) {
        uint32_t cap = h->ids_cap ? 2 * h->ids_cap : 64;
        uintptr_t *owner;
        uint32_t *free_ids;
        uint64_t *dead_ids;
        if (h->ids_cap >= UINT32_MAX / 2)
            return -ENOMEM;
        /* each one bigger is harmless if a later one fails */
        owner = acc__realloc(h->owner, (size_t)cap * sizeof *owner);
        if (owner == NULL)
            return -ENOMEM;
        h->owner = owner;
        free_ids = acc__realloc(h->free_ids, (size_t)cap * sizeof *free_ids);
        if (free_ids == NULL)
            return -ENOMEM;
        h->free_ids = free_ids;
        dead_ids = acc__realloc(h->dead_ids, (size_t)cap / 64 * sizeof *dead_ids);
        if (dead_ids == NULL)
            return -ENOMEM;
        memset(dead_ids + h->ids_cap / 64, 0, (size_t)(cap - h->ids_cap) / 64 * sizeof *dead_ids);
        h->dead_ids = dead_ids;
        h->ids_cap = cap;
    }
    *out = h->nids++;
    return 0;
}

static inline void free_id(acc__heap *h, uint32_t id)
{
    h->free_ids[h->nfree++] = id;
}

/* A dead entry leaves (its bit was just read: clearing it is cheap). */
static inline void drop(acc__heap *h, uint32_t id)
{
    h->dead_ids[id >> 6] &= ~((uint64_t)1 << (id & 63));
    free_id(h, id);
    h->len--;
    h->dead--;
}

/* ---- chunks ------------------------------------------------------------ */

/* Spare chunks are a stack of pointers: a free list threaded through the
 * chunks would cost a cache miss to take one. */
static inline acc__timer_chunk *take_chunk(acc__heap *h)
{
    acc__timer_chunk *c = h->spare[--h->nspare];

    c->next = NULL;
    c->n = 0;
    return c;
}

static inline void give_chunk(acc__heap *h, acc__timer_chunk *c)
{
    h->spare[h->nspare++] = c;
}

/* A walk along a list would be a chain of cache misses: while at one
 * chunk, fetch the one after the next (the next one's header is in). */
static inline void prefetch_chunk(const acc__timer_chunk *c)
{
    for (size_t i = 0; i < sizeof *c; i += 64)
        __builtin_prefetch((const char *)c + i);
}

static inline void walk_start(const acc__timer_chunk *head)
{
    if (head != NULL && head->next != NULL)
        prefetch_chunk(head->next);
}

static inline void walk_ahead(const acc__timer_chunk *c)
{
    if (c->next != NULL && c->next->next != NULL)
        prefetch_chunk(c->next->next);
}

/* Chunks enough for len entries however they are spread: every list is
 * full but its last chunk, and the lists are the non-empty buckets (at
 * most len, at most LEVELS * SLOTS), the run and a bucket being spread
 * (plus the run's partly consumed first chunk). Allocated when arming,
 * where ENOMEM can be reported, so opening and spreading never fail. */
static int reserve_chunks(acc__heap *h, size_t len)
{
    size_t lists = len < LEVELS * SLOTS ? len : LEVELS * SLOTS;
    size_t need = len / CHUNK + lists + 4;

    if (h->nchunks >= need)
        return 0;
    if (need > h->chunks_cap) {
        size_t cap = 2 * need;
        acc__timer_chunk **spare, **chunks;
        /* each one bigger is harmless if the other fails */
        if ((spare = acc__realloc(h->spare, cap * sizeof *spare)) == NULL)
            return -ENOMEM;
        h->spare = spare;
        if ((chunks = acc__realloc(h->chunks, cap * sizeof *chunks)) == NULL)
            return -ENOMEM;
        h->chunks = chunks;
        h->chunks_cap = cap;
    }
    while (h->nchunks < need) {
        acc__timer_chunk *c = acc__malloc(sizeof *c);
        if (c == NULL)
            return -ENOMEM;
        h->chunks[h->nchunks++] = c;
        give_chunk(h, c);
    }
    return 0;
}

/* Keeps the live entries of the list from head->e[from] on, packed from
 * the same place, and gives back the chunks left over. Returns the new
 * last chunk, or NULL if nothing is left (every chunk given back).
 * A chunk at a time: first its dead bits into a mask (independent loads
 * from the bitmap, in flight together), then the dead ids freed, then
 * the copy, without branches on liveness: at a compaction half of the
 * entries are dead, at random. */
static acc__timer_chunk *filter(acc__heap *h, acc__timer_chunk *head, uint32_t from)
{
    acc__timer_chunk *w = head, *prev = NULL, *rest;
    uint64_t *dead_ids = h->dead_ids;
    uint32_t *free_ids = h->free_ids;
    uint32_t wi = from, nfree = h->nfree;
    size_t ndead = 0;

    /* writes never overtake reads; every chunk but the last is full */
    walk_start(head);
    for (acc__timer_chunk *r = head; r != NULL; r = r->next) {
        uint32_t i0 = r == head ? from : 0, n = r->n;
        uint64_t mask = 0;
        walk_ahead(r);
        for (uint32_t i = i0; i < n; i++) {
            uint32_t id = r->e[i].id;
            mask |= (dead_ids[id >> 6] >> (id & 63) & 1) << i;
        }
        for (uint64_t m = mask; m != 0; m &= m - 1) { /* drop(), in locals */
            uint32_t id = r->e[__builtin_ctzll(m)].id;
            dead_ids[id >> 6] &= ~((uint64_t)1 << (id & 63));
            free_ids[nfree++] = id;
            ndead++;
        }
        for (uint32_t i = i0; i < n; i++) {
            if (wi == CHUNK) {
                prev = w;
                w = w->next;
                wi = 0;
            }
            w->e[wi] = r->e[i];
            wi += (uint32_t)(~mask >> i & 1);
        }
    }
    h->nfree = nfree;
    h->len -= ndead;
    h->dead -= ndead;
    if (wi == 0 && prev != NULL) { /* w was reached but got nothing */
        w = prev;
        wi = CHUNK;
    }
    if (w == head && wi == from) {
        rest = head;
        w = NULL;
    } else {
        w->n = wi;
        rest = w->next;
        w->next = NULL;
    }
    while (rest != NULL) {
        acc__timer_chunk *next = rest->next;
        give_chunk(h, rest);
        rest = next;
    }
    return w;
}

/* ---- the near heap: 4-ary, by (deadline, seq) --------------------------- */

#define ARITY 4

static inline int before(const acc__timer_entry *a, const acc__timer_entry *b)
{
    if (a->deadline != b->deadline)
        return a->deadline < b->deadline;
    return a->seq < b->seq;
}

static void sift_up(acc__timer_entry *slot, size_t i, acc__timer_entry e)
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

static void sift_down(acc__timer_entry *slot, size_t len, size_t i, acc__timer_entry e)
{
    for (;;) {
        size_t first = ARITY * i + 1, end = first + ARITY, best = first;
        if (first >= len)
            break;
        if (end > len)
            end = len;
        for (size_t c = first + 1; c < end; c++)
            if (before(&slot[c], &slot[best]))
                best = c;
        if (!before(&slot[best], &e))
            break;
        slot[i] = slot[best];
        i = best;
    }
    slot[i] = e;
}

static void heapify(acc__timer_entry *slot, size_t len)
{
    if (len > 1)
        for (size_t i = (len - 2) / ARITY + 1; i-- > 0;)
            sift_down(slot, len, i, slot[i]);
}

static inline void near_pop(acc__heap *h)
{
    if (--h->near_len > 0)
        sift_down(h->near, h->near_len, 0, h->near[h->near_len]);
}

static int reserve_near(acc__heap *h)
{
    if (h->near_len == h->near_cap) {
        size_t cap = h->near_cap ? 2 * h->near_cap : 16;
        acc__timer_entry *near = acc__realloc(h->near, cap * sizeof *near);
        if (near == NULL)
            return -ENOMEM;
        h->near = near;
        h->near_cap = cap;
    }
    return 0;
}

/* Sequence numbers ran out (2^32 armings into the near heap without it
 * ever emptying): renumber by rank. A sorted array is a heap. */
static int by_key(const void *a, const void *b)
{
    return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

static void renumber(acc__heap *h)
{
    qsort(h->near, h->near_len, sizeof *h->near, by_key);
    for (size_t i = 0; i < h->near_len; i++)
        h->near[i].seq = (uint32_t)i;
    h->seq = (uint32_t)h->near_len;
}

/* ---- the wheel ------------------------------------------------------------ */

/* Entries are filed relative to base, which is at or before each of them:
 * at level k, the highest bit where they differ is one of level k's, so
 * (level, slot) order is deadline order between buckets, and level k's
 * slots are later than base's own digit (level 0: or equal). */
static inline void wheel_put(acc__heap *h, acc__timer_entry e)
{
    unsigned k, i = acc__wheel_bucket(e.deadline, h->base, &k), j = i % SLOTS;
    acc__timer_list *b = &h->wheel[i];
    acc__timer_chunk *c = b->tail;

    if (c == NULL || c->n == CHUNK) {
        acc__timer_chunk *fresh = take_chunk(h);
        if (c != NULL) {
            c->next = fresh;
        } else {
            b->head = fresh;
            h->occupied[k] |= (uint64_t)1 << j;
            h->levels |= 1u << k;
        }
        b->tail = c = fresh;
    }
    c->e[c->n++] = e;
}

static inline uint64_t slot_start(const acc__heap *h, unsigned k, unsigned j)
{
    return acc__wheel_slot_start(h->base, k, j);
}

/* The earliest non-empty bucket (the wheel must not be empty). */
static inline uint64_t earliest(const acc__heap *h, unsigned *k, unsigned *j)
{
    return acc__wheel_earliest(h->base, h->levels, h->occupied, k, j);
}

static acc__timer_chunk *detach(acc__heap *h, unsigned k, unsigned j, int *single)
{
    acc__timer_list *b = &h->wheel[k * SLOTS + j];
    acc__timer_chunk *c = b->head;

    *single = b->head == b->tail;
    b->head = b->tail = NULL;
    h->occupied[k] &= ~((uint64_t)1 << j);
    if (h->occupied[k] == 0)
        h->levels &= ~(1u << k);
    return c;
}

/* The entries of an opened bucket into the levels below (the base has
 * moved to its start), in order, so ties stay in arming order. */
static void spread(acc__heap *h, acc__timer_chunk *c)
{
    walk_start(c);
    while (c != NULL) {
        acc__timer_chunk *next = c->next;
        walk_ahead(c);
        for (uint32_t i = 0; i < c->n; i++) {
            if (is_live(h, c->e[i].id))
                wheel_put(h, c->e[i]);
            else
                drop(h, c->e[i].id);
        }
        give_chunk(h, c);
        c = next;
    }
}

/* One chunk's live entries, sorted by deadline (stable: ties keep their
 * order), appended to the run whose last chunk is *tail; the chunk is
 * given back. Owners are prefetched for the expiry to come. Returns how
 * many were appended. */
static uint32_t append_sorted(acc__heap *h, acc__timer_chunk *c, acc__timer_chunk **tail)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < c->n; i++) {
        acc__timer_entry e = c->e[i];
        uint32_t p;
        if (!is_live(h, e.id)) {
            drop(h, e.id);
            continue;
        }
        __builtin_prefetch(&h->owner[e.id]);
        for (p = n++; p > 0 && c->e[p - 1].deadline > e.deadline; p--)
            c->e[p] = c->e[p - 1];
        c->e[p] = e;
    }
    for (uint32_t i = 0; i < n; i++) {
        acc__timer_chunk *t = *tail;
        if (t == NULL || t->n == CHUNK) {
            acc__timer_chunk *fresh = take_chunk(h);
            if (t != NULL)
                t->next = fresh;
            else
                h->run = fresh;
            *tail = t = fresh;
        }
        t->e[t->n++] = c->e[i];
    }
    give_chunk(h, c);
    return n;
}

/* Open the earliest bucket, whose start has passed (now); the near part
 * is empty. */
static void open_bucket(acc__heap *h, uint64_t now)
{
    unsigned k, j;
    uint64_t start = earliest(h, &k, &j), last;
    int single;
    acc__timer_chunk *c = detach(h, k, j, &single), *tail = NULL;
    uint32_t n;

    /* Every entry left is at or after start, and nothing is near: base
     * and horizon can move there. An entry armed later with the same
     * deadline as one spread now is filed in the same bucket, after it. */
    h->base = start;
    h->horizon = start;
    h->seq = 0;
    if (k == 0 && !single) { /* one deadline, in arming order: the run as is */
        h->run = c;
        h->run_pos = 0;
        h->horizon = start + (start != UINT64_MAX);
        return;
    }
    if (k > 0 && (k > NEAR_LEVEL || !single)) {
        spread(h, c);
        return;
    }
    /* Sorted into the run, with the next one-chunk buckets of the same
     * level while they have started and the run is short: level k is the
     * lowest, so its buckets follow each other in time. As they have
     * started and are at most 2^18 ns wide, the horizon stays close to
     * now, and so does what the near heap takes. */
    h->run_pos = 0;
    n = append_sorted(h, c, &tail);
    while (n < RUN_TARGET && h->occupied[k] != 0) {
        unsigned j2 = (unsigned)__builtin_ctzll(h->occupied[k]);
        const acc__timer_list *b = &h->wheel[k * SLOTS + j2];
        if (b->head != b->tail || slot_start(h, k, j2) > now)
            break;
        n += append_sorted(h, detach(h, k, j2, &single), &tail);
    }
    if (tail == NULL)
        return; /* all dead */
    last = tail->e[tail->n - 1].deadline;
    h->horizon = last + (last != UINT64_MAX);
}

/* ---- the near part --------------------------------------------------------- */

static inline void run_advance(acc__heap *h)
{
    if (++h->run_pos == h->run->n) {
        acc__timer_chunk *c = h->run;
        h->run = c->next;
        h->run_pos = 0;
        give_chunk(h, c);
    }
}

/* The earliest live near entry, dead ones in front dropped; *from_run
 * says where it is. NULL if the near part is empty. On equal deadlines
 * the run comes first: its entries were armed before the heap's. */
static inline acc__timer_entry *near_first(acc__heap *h, int *from_run)
{
    while (h->run != NULL && !is_live(h, h->run->e[h->run_pos].id)) {
        drop(h, h->run->e[h->run_pos].id);
        run_advance(h);
    }
    while (h->near_len > 0 && !is_live(h, h->near[0].id)) {
        drop(h, h->near[0].id);
        near_pop(h);
    }
    if (h->run != NULL) {
        acc__timer_entry *r = &h->run->e[h->run_pos];
        if (h->near_len == 0 || r->deadline <= h->near[0].deadline) {
            *from_run = 1;
            return r;
        }
    }
    *from_run = 0;
    return h->near_len > 0 ? &h->near[0] : NULL;
}

/* The run's entry d places after its next one, or NULL. */
static inline const acc__timer_entry *run_ahead(const acc__heap *h, uint32_t d)
{
    const acc__timer_chunk *c = h->run;
    uint32_t p = h->run_pos + d;

    while (c != NULL && p >= c->n) {
        p -= c->n;
        c = c->next;
    }
    return c != NULL ? &c->e[p] : NULL;
}

/* Take the first near entry (live) off; what it fires (owner[id]). */
static uintptr_t take(acc__heap *h, int from_run)
{
    uintptr_t owner;
    uint32_t id;

    if (from_run) {
        const acc__timer_entry *a;
        id = h->run->e[h->run_pos].id;
        /* owners 16 ahead, timers (or tasks) 8 ahead: expiry walks the
         * run in order; a tagged task pointer is still in the task's line */
        if ((a = run_ahead(h, 16)) != NULL)
            __builtin_prefetch(&h->owner[a->id]);
        if ((a = run_ahead(h, 8)) != NULL)
            __builtin_prefetch((const void *)h->owner[a->id]);
        run_advance(h);
    } else {
        id = h->near[0].id;
        near_pop(h);
        if (h->near_len > 0)
            __builtin_prefetch(&h->owner[h->near[0].id]);
    }
    owner = h->owner[id];
    free_id(h, id);
    h->len--;
    return owner;
}

/* ---- compaction ------------------------------------------------------------ */

/* Drop every dead entry, O(n). */
static void compact(acc__heap *h)
{
    size_t n = 0;

    for (unsigned k = 0; k < LEVELS; k++) {
        uint64_t occ = h->occupied[k];
        while (occ != 0) {
            unsigned j = (unsigned)__builtin_ctzll(occ);
            acc__timer_list *b = &h->wheel[k * SLOTS + j];
            occ &= occ - 1;
            b->tail = filter(h, b->head, 0);
            if (b->tail == NULL) {
                b->head = NULL;
                h->occupied[k] &= ~((uint64_t)1 << j);
            }
        }
        if (h->occupied[k] == 0)
            h->levels &= ~(1u << k);
    }
    if (h->run != NULL && filter(h, h->run, h->run_pos) == NULL) {
        h->run = NULL;
        h->run_pos = 0;
    }
    for (size_t i = 0; i < h->near_len; i++) {
        if (is_live(h, h->near[i].id))
            h->near[n++] = h->near[i];
        else
            drop(h, h->near[i].id);
    }
    h->near_len = n;
    heapify(h->near, n);
}

/* Every entry is dead: drop them all at once without reading them,
 * O(chunks). No timer holds an id, so ids restart from 0. */
static void clear(acc__heap *h)
{
    for (unsigned k = 0; k < LEVELS; k++) {
        for (uint64_t occ = h->occupied[k]; occ != 0; occ &= occ - 1)
            h->wheel[k * SLOTS + (unsigned)__builtin_ctzll(occ)] = (acc__timer_list){NULL, NULL};
        h->occupied[k] = 0;
    }
    h->levels = 0;
    h->run = NULL;
    h->run_pos = 0;
    h->near_len = 0;
    for (size_t i = 0; i < h->nchunks; i++) /* taken again in the order allocated */
        h->spare[i] = h->chunks[h->nchunks - 1 - i];
    h->nspare = h->nchunks;
    memset(h->dead_ids, 0, (size_t)(h->nids + 63) / 64 * sizeof *h->dead_ids);
    h->nids = 0;
    h->nfree = 0;
    h->len = 0;
    h->dead = 0;
}

/* Dead entries outnumber live ones three to one: reclaim them before
 * arming more. Done when arming, not when stopping: dead entries cost
 * only memory, and memory grows only when arming, so stopping stays a few
 * instructions (a run of stops keeps many of their cache misses, on the
 * timers, in flight at once) and never takes O(n) inside a callback. */
__attribute__((noinline)) static void reclaim(acc__heap *h)
{
    if (h->dead == h->len)
        clear(h);
    else
        compact(h);
}

/* ---- the interface ----------------------------------------------------------- */

/* Nothing is armed: the wheel may restart anywhere at or before the new
 * deadline. It stays where it was if that is not after the deadline nor
 * too far before it (the clock is monotonic: the usual case), else it
 * restarts at the deadline rounded down to 2^36 ns, so that the deadlines
 * armed next are most likely after it, and not many levels up. */
static void restart(acc__heap *h, uint64_t deadline)
{
    if (deadline < h->base || deadline - h->base >= (uint64_t)1 << RESTART_BITS)
        h->base = deadline & ~(((uint64_t)1 << RESTART_BITS) - 1);
    h->horizon = h->base;
    h->seq = 0;
}

/* Arm a timer that fires `owner` at `deadline`; its id in *out. */
static int arm(acc__heap *h, uintptr_t owner, uint64_t deadline, uint32_t *out)
{
    acc__timer_entry e;
    uint32_t id;
    int near;

    if (h->dead > 64 && h->dead / 3 >= h->len - h->dead)
        reclaim(h);
    if (h->len == 0)
        restart(h, deadline);
    near = deadline < h->horizon;
    if (near) {
        if (reserve_near(h) < 0)
            return -ENOMEM;
    } else {
        if (h->wheel == NULL && (h->wheel = acc__calloc(LEVELS * SLOTS, sizeof *h->wheel)) == NULL)
            return -ENOMEM;
        if (reserve_chunks(h, h->len + 1) < 0)
            return -ENOMEM;
    }
    if (new_id(h, &id) < 0)
        return -ENOMEM;
    h->owner[id] = owner;
    *out = id;
    h->len++;
    e.deadline = deadline;
    e.id = id;
    if (near) {
        if (h->seq == UINT32_MAX)
            renumber(h);
        e.seq = h->seq++;
        sift_up(h->near, h->near_len++, e);
    } else {
        e.seq = 0;
        wheel_put(h, e);
    }
    return 0;
}

int acc__timer_start(acc__loop *loop, acc__timer *t, uint64_t deadline)
{
    if (t->id != ACC__TIMER_IDLE)
        acc__timer_stop(loop, t);
    return arm(&loop->timers, (uintptr_t)t, deadline, &t->id);
}

int acc__timer_start_wake(acc__loop *loop, acc_task *t, uint64_t deadline, uint32_t *id)
{
    return arm(&loop->timers, (uintptr_t)t | OWNER_TASK, deadline, id);
}

void acc__timer_stop_id(acc__loop *loop, uint32_t id)
{
    acc__heap *h = &loop->timers;

    h->dead_ids[id >> 6] |= (uint64_t)1 << (id & 63); /* the id is freed with its entry */
    h->dead++; /* reclaimed when arming, see reclaim() */
}

void acc__timer_stop(acc__loop *loop, acc__timer *t)
{
    if (t->id == ACC__TIMER_IDLE)
        return;
    acc__timer_stop_id(loop, t->id);
    t->id = ACC__TIMER_IDLE;
}

static uint64_t heap_next(acc__heap *h)
{
    acc__timer_entry *e;
    unsigned k, j;
    uint64_t start, best;
    int from_run;
    const acc__timer_chunk *c;

    e = near_first(h, &from_run);
    if (e != NULL)
        return e->deadline;
    if (h->levels == 0)
        return UINT64_MAX;
    start = earliest(h, &k, &j);
    c = h->wheel[k * SLOTS + j].head;
    if (c->next != NULL)
        return start;
    /* a bucket of one chunk: its earliest live deadline, exact */
    best = UINT64_MAX;
    for (uint32_t i = 0; i < c->n; i++)
        if (c->e[i].deadline < best && is_live(h, c->e[i].id))
            best = c->e[i].deadline;
    return best != UINT64_MAX ? best : start;
}

uint64_t acc__timer_next(acc__loop *loop)
{
    uint64_t timer = heap_next(&loop->timers), sleeper;

    if (loop->sleepers.count == 0)
        return timer;
    sleeper = acc__sleep_wheel_next(&loop->sleepers);
    return sleeper < timer ? sleeper : timer;
}

/* Fire the near part's first entry (live, due). */
static inline void fire_first(acc__heap *h, int from_run)
{
    uintptr_t owner = take(h, from_run);

    if (owner & OWNER_TASK) {
        acc__task_wake((acc_task *)(owner & ~OWNER_TASK));
    } else {
        acc__timer *t = (acc__timer *)owner;
        t->id = ACC__TIMER_IDLE;
        atomic_load_explicit(&kinds[t->kind], memory_order_relaxed)(t);
    }
}

/* The earliest deadline if it has passed at `now`, else UINT64_MAX. */
static uint64_t heap_due(acc__heap *h, uint64_t now)
{
    for (;;) {
        int from_run;
        unsigned k, j;
        acc__timer_entry *e = near_first(h, &from_run);
        if (e != NULL)
            return e->deadline <= now ? e->deadline : UINT64_MAX;
        if (h->levels == 0 || earliest(h, &k, &j) > now)
            return UINT64_MAX;
        open_bucket(h, now);
    }
}

/* Fire the timer of that deadline that was armed first. */
static void heap_fire(acc__heap *h)
{
    int from_run;

    (void)near_first(h, &from_run);
    fire_first(h, from_run);
}

static size_t heap_run(acc__heap *h, uint64_t now)
{
    size_t n = 0;

    for (;;) {
        int from_run;
        acc__timer_entry *e = near_first(h, &from_run);
        if (e != NULL) {
            if (e->deadline > now)
                break;
            fire_first(h, from_run);
            n++;
        } else {
            unsigned k, j;
            if (h->levels == 0 || earliest(h, &k, &j) > now)
                break;
            open_bucket(h, now);
        }
    }
    return n;
}

/* The heap's timers and the tasks asleep in their block
 * (sleep_wheel.c), merged by deadline; on equal deadlines the heap's
 * first. */
size_t acc__timer_run(acc__loop *loop, uint64_t now)
{
    size_t n = 0;

    if (loop->sleepers.count == 0)
        return heap_run(&loop->timers, now);
    for (;;) {
        uint64_t timer = heap_due(&loop->timers, now);
        uint64_t sleeper = acc__sleep_wheel_due(&loop->sleepers, now);
        if (timer == UINT64_MAX && sleeper == UINT64_MAX)
            break;
        if (timer <= sleeper) {
            heap_fire(&loop->timers);
            n++;
        } else {
            n += acc__sleep_wheel_fire(&loop->sleepers);
        }
    }
    return n;
}

void acc__heap_free(acc__heap *h)
{
    for (size_t i = 0; i < h->nchunks; i++)
        free(h->chunks[i]);
    free(h->chunks);
    free(h->spare);
    free(h->wheel);
    free(h->near);
    free(h->owner);
    free(h->dead_ids);
    free(h->free_ids);
    memset(h, 0, sizeof *h);
}
