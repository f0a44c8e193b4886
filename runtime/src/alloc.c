/*
 * alloc.c: coroutine frames.
 *
 * Task roots, spawns and the awaits whose callee's frame cannot be built
 * in the awaiting frame (docs/design.md) allocate a frame, and every such
 * return frees one, so this is a hot path. Frames
 * are rounded up to size classes of ACC__GRAIN bytes; a freed frame goes
 * on its class's free list, and the next frame of that class is taken
 * from there without calling malloc. Frames larger than the last class
 * go straight to malloc and free.
 *
 * The free lists are thread-local, so frames can be created before any
 * loop exists (the argument of acc_run is built before acc_run runs) and
 * no lock is ever taken. A frame freed on another thread than the one
 * that allocated it simply joins that thread's lists. The inline fast
 * paths keep no count (a running byte count, updated by every allocation
 * and free, cost 5% of a spawn in bench/ 4a): the slow paths count what
 * the thread holds (in use or cached), and while that is more than
 * ACC__CACHE_MAX the cache is closed and frees take the slow path, so the
 * cache never keeps more than that; acc_run gives everything back when
 * its loop ends (acc__frame_trim).
 *
 * The blocks of the classes are carved from slabs of SLAB_BYTES, not
 * malloc'd one by one: no 16-byte malloc header per block, and blocks of
 * a class that is a multiple of 64 bytes tile cache lines (a task with
 * its root frame, 128 bytes, is two lines, where a malloc chunk of 144
 * bytes straddles three). A slab is aligned to its size, so a block finds
 * its slab by masking its address. Slabs come from regions of 2 MiB
 * mapped with mmap (aligned_alloc would waste two pages per slab), and
 * from a thread's second region on, regions ask for transparent huge
 * pages: a million new tasks then cost a few hundred page faults, not
 * tens of thousands. A slab goes back to the system once every block
 * carved from it is free: in acc__frame_trim (acc_run's end), or when
 * the frees past the cache's limit add up (sweep), so that a burst does
 * not pin its peak until then.
 *
 * Task blocks (a task, and its root frame when that is in the block) are
 * a second kind of block, with lists and slabs of their own, so that a
 * loop can find its tasks by walking its thread's task slabs instead of
 * keeping a table of them (task.c): every block carved from them is a
 * task, a root frame waiting for its task, or free, and a task's
 * `attached` flag tells. Only the thread that carved a task slab makes
 * tasks in it: a task block freed on another thread goes back to its
 * slab, never onto that thread's lists. Task blocks beyond the classes,
 * or from malloc (ACC_FRAME_MALLOC), have a list node in front
 * (ACC__LOOSE_PREFIX), through which their loop finds them instead.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "internal.h"

#define ACC__GRAIN ACC__FRAME_GRAIN                    /* class width, and malloc's alignment */
#define ACC__NCLASS ACC__FRAME_CLASSES                  /* classes of 16, 32, ... 512 bytes */
#define ACC__CLASS_MAX (ACC__GRAIN * ACC__NCLASS)
#define ACC__CACHE_MAX ((size_t)256 << 20)              /* bytes held before the cache closes */

/* The free lists, one per class and kind: a cached block's `acc_caller`
 * links it to the next one. acc.h pops and pushes them inline (the fast
 * path of every await and spawn); the functions below are the slow paths. */
enum { FRAMES, TASKS, KINDS };
_Thread_local acc_frame *acc__frame_cache[ACC__NCLASS];
_Thread_local acc_frame *acc__task_cache[ACC__NCLASS];
_Thread_local unsigned char acc__frame_cache_closed;

static acc_frame **free_list(int kind)
{
    return kind == TASKS ? acc__task_cache : acc__frame_cache;
}

/* What is in front of a block from malloc: a task block's list node. */
static size_t prefix(int kind)
{
    return kind == TASKS ? ACC__LOOSE_PREFIX : 0;
}

/* Bytes of class blocks this thread took from its slabs or slow lists and
 * has not put back on a slow list: in use, or in the cache. Past
 * cache_limit the cache closes, and opens again at half of it (0: off,
 * for failure injection and ACC_FRAME_MALLOC). */
static _Thread_local size_t held;
static _Thread_local size_t cache_limit = ACC__CACHE_MAX;

static void held_add(size_t bytes)
{
    held += bytes;
    if (held > cache_limit)
        acc__frame_cache_closed = 1;
}

/* A frame freed on another thread than its own may not have been counted
 * here: never below 0. */
static void held_sub(size_t bytes)
{
    held = held > bytes ? held - bytes : 0;
    if (acc__frame_cache_closed && cache_limit > 0 && held <= cache_limit / 2)
        acc__frame_cache_closed = 0;
}

void acc__frame_cache_set_limit(size_t bytes)
{
    cache_limit = bytes;
    acc__frame_cache_closed = held > cache_limit || cache_limit == 0;
}

/* ---- slabs ---------------------------------------------------------- */

#define SLAB_BYTES ACC__SLAB_BYTES
#define SLAB_FIRST ACC__SLAB_FIRST
typedef acc__slab slab;

static pthread_mutex_t slab_lock = PTHREAD_MUTEX_INITIALIZER;
/* Every frame slab of the process, under slab_lock. */
static slab all_slabs = {.next = &all_slabs, .prev = &all_slabs};
/* This thread's task slabs, newest first (NULL-terminated). Only this
 * thread links, walks or unmaps them. */
static _Thread_local slab *task_slabs;

/* Threads are numbered from 1 when they first carve a slab; 0: not yet. */
_Thread_local uint64_t acc__thread_number;
static _Atomic uint64_t threads_numbered;

/* Slabs not yet used of this thread's current region. */
#define REGION_BYTES ((size_t)2 << 20)
static _Thread_local char *region_next, *region_end;
static _Thread_local unsigned regions_made;

/* `bytes` (a multiple of REGION_BYTES) of memory aligned to REGION_BYTES,
 * asking for transparent huge pages if `huge`; NULL without memory. */
static char *map_regions(size_t bytes, int huge)
{
    /* a region more, to cut an aligned piece out of it */
    char *p = mmap(NULL, bytes + REGION_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *a;

    if (p == MAP_FAILED)
        return NULL;
    a = (char *)(((uintptr_t)p + REGION_BYTES - 1) & ~(uintptr_t)(REGION_BYTES - 1));
    if (a > p)
        munmap(p, (size_t)(a - p));
    munmap(a + bytes, (size_t)(p + REGION_BYTES - a));
#ifdef MADV_HUGEPAGE
    if (huge)
        (void)madvise(a, bytes, MADV_HUGEPAGE);
#else
    (void)huge;
#endif
    return a;
}

static slab *new_slab(void)
{
    if (region_next == region_end) {
        /* a small program never gets a 2 MiB page */
        char *a = map_regions(REGION_BYTES, regions_made > 0);
        if (a == NULL)
            return NULL;
        regions_made++;
        region_next = a;
        region_end = a + REGION_BYTES;
    }
    region_next += SLAB_BYTES;
    return (slab *)(void *)(region_next - SLAB_BYTES);
}

/* Where this thread carves blocks of each kind and class from. */
static _Thread_local slab *carving[KINDS][ACC__NCLASS];
static _Thread_local char *carve_next[KINDS][ACC__NCLASS], *carve_end[KINDS][ACC__NCLASS];

static slab *slab_of(const void *block)
{
    return acc__slab_of(block);
}

/* Under slab_lock: link a new slab where its kind is kept. */
static void link_slab(slab *s, int kind)
{
    if (kind == TASKS) {
        s->prev = NULL;
        s->next = task_slabs;
        if (task_slabs != NULL)
            task_slabs->prev = s;
        task_slabs = s;
    } else {
        s->next = all_slabs.next;
        s->prev = &all_slabs;
        all_slabs.next->prev = s;
        all_slabs.next = s;
    }
}

/* A fresh block of class c (size bytes), or NULL without memory. */
static acc_frame *carve(int kind, size_t c, size_t size)
{
    char *b = carve_next[kind][c];

    if (b == NULL || (size_t)(carve_end[kind][c] - b) < size) {
        slab *s = new_slab();
        if (s == NULL)
            return NULL;
        if (acc__thread_number == 0)
            acc__thread_number = atomic_fetch_add(&threads_numbered, 1) + 1;
        s->carved = 0;
        s->returned = 0;
        s->block_size = (uint32_t)size;
        s->owner = acc__thread_number;
        s->tasks = kind == TASKS;
        pthread_mutex_lock(&slab_lock);
        if (carving[kind][c] != NULL)
            carving[kind][c]->retired = 1; /* full: its `carved` is final */
        s->retired = 0;
        link_slab(s, kind);
        pthread_mutex_unlock(&slab_lock);
        carving[kind][c] = s;
        b = (char *)s + SLAB_FIRST;
        carve_end[kind][c] = (char *)s + SLAB_BYTES;
    }
    carve_next[kind][c] = b + size;
    carving[kind][c]->carved++;
    return (acc_frame *)(void *)b;
}

/* Frames freed while the cache is closed or off (failure injection): kept
 * for the slow path only, so that with the cache off every allocation is
 * counted. When they add up to sweep_at bytes, sweep() looks for slabs to
 * give back, so that a burst does not pin its peak until acc_run ends. */
static _Thread_local acc_frame *slow_list[KINDS][ACC__NCLASS];
static _Thread_local size_t slow_bytes, sweep_at;

/* Under slab_lock: a slab that no thread carves from any more and all of
 * whose blocks are back (given back by trims, or counted on the lists of
 * the thread that sweeps). */
static int slab_free(const slab *s)
{
    return s->retired && s->returned == s->carved;
}

/* Under slab_lock: unmap every frame slab, and every task slab of this
 * thread, whose blocks are all back. */
static void unmap_free_slabs(void)
{
    for (slab *s = all_slabs.next, *next; s != &all_slabs; s = next) {
        next = s->next;
        if (slab_free(s)) {
            s->prev->next = s->next;
            s->next->prev = s->prev;
            munmap(s, SLAB_BYTES);
        }
    }
    for (slab *s = task_slabs, *next; s != NULL; s = next) {
        next = s->next;
        if (slab_free(s)) {
            if (s->prev != NULL)
                s->prev->next = s->next;
            else
                task_slabs = s->next;
            if (s->next != NULL)
                s->next->prev = s->prev;
            munmap(s, SLAB_BYTES);
        }
    }
}

static void count_back(acc_frame *list, int d)
{
    for (; list != NULL; list = list->acc_caller)
        slab_of(list)->returned += (uint32_t)d;
}

/* Drop from `list` the blocks of slabs that are all back; their bytes. */
static size_t drop_free(acc_frame **list)
{
    size_t bytes = 0;

    while (*list != NULL) {
        acc_frame *f = *list;
        if (slab_free(slab_of(f))) {
            *list = f->acc_caller;
            bytes += f->acc_size;
        } else {
            list = &f->acc_caller;
        }
    }
    return bytes;
}

/* Give back the slabs all of whose blocks are on this thread's lists (or
 * were given back before). The blocks on the lists are counted as back,
 * those of such slabs leave the lists, the others are counted out again. */
static void sweep(void)
{
    pthread_mutex_lock(&slab_lock);
    for (int k = 0; k < KINDS; k++) {
        for (size_t c = 0; c < ACC__NCLASS; c++) {
            count_back(free_list(k)[c], 1);
            count_back(slow_list[k][c], 1);
        }
    }
    for (int k = 0; k < KINDS; k++) {
        for (size_t c = 0; c < ACC__NCLASS; c++) {
            held_sub(drop_free(&free_list(k)[c]));
            slow_bytes -= drop_free(&slow_list[k][c]);
        }
    }
    for (int k = 0; k < KINDS; k++) {
        for (size_t c = 0; c < ACC__NCLASS; c++) {
            count_back(free_list(k)[c], -1);
            count_back(slow_list[k][c], -1);
        }
    }
    unmap_free_slabs();
    pthread_mutex_unlock(&slab_lock);
}

/* Sweep again once the slow lists have doubled, and at least a quarter of
 * the cache's limit (1 to 64 MiB) later: amortized O(1) per free. */
static void next_sweep(void)
{
    size_t step = cache_limit / 4;

    if (step < ((size_t)1 << 20))
        step = (size_t)1 << 20;
    if (step > ((size_t)64 << 20))
        step = (size_t)64 << 20;
    sweep_at = slow_bytes + (slow_bytes > step ? slow_bytes : step);
}

/* Failure injection for tests: allocations left before every one fails;
 * -1 when off. While it is on, the frame cache is off too, so that every
 * frame allocation takes the counted slow path. */
static _Thread_local long fail_after = -1;

void acc__fail_alloc_after(long n)
{
    fail_after = n;
    acc__frame_cache_set_limit(n >= 0 ? 0 : ACC__CACHE_MAX);
    if (n >= 0)
        acc__frame_trim();
}

static int must_fail(void)
{
    if (fail_after < 0)
        return 0;
    if (fail_after == 0)
        return 1;
    fail_after--;
    return 0;
}

/* What malloc, calloc or realloc gave: NULL always sets errno = ENOMEM. */
static void *checked(void *p)
{
    if (p == NULL)
        errno = ENOMEM;
    return p;
}

void *acc__malloc(size_t size)
{
    return must_fail() ? checked(NULL) : checked(malloc(size));
}

void *acc__calloc(size_t n, size_t size)
{
    return must_fail() ? checked(NULL) : checked(calloc(n, size));
}

void *acc__realloc(void *old, size_t size)
{
    return must_fail() ? checked(NULL) : checked(realloc(old, size));
}

/* The cache had no frame of this class: ask malloc for one. */
/* ACC_FRAME_MALLOC=1: every frame from malloc and back to free at once,
 * with no cache and no slabs, so that valgrind and LeakSanitizer see each
 * frame, its leaks and its uses after free (test/tools/run.sh --valgrind
 * sets it). Read at a thread's first slow allocation; its frames are then
 * marked as larger than the classes, as big ones are, so that frees go
 * to free(). */
static _Thread_local int malloc_mode = -1;

static int frames_from_malloc(void)
{
    if (malloc_mode < 0) {
        const char *e = getenv("ACC_FRAME_MALLOC");
        malloc_mode = e != NULL && strcmp(e, "1") == 0;
        if (malloc_mode)
            acc__frame_cache_set_limit(0);
    }
    return malloc_mode;
}

static acc_frame *alloc_slow(int kind, size_t size)
{
    acc_frame *f;
    size_t c;

    if (fail_after >= 0 && must_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    if (size < sizeof(acc_frame))
        size = sizeof(acc_frame);
    if (size > ACC__CLASS_MAX || frames_from_malloc()) {
        char *p;
        if (size > (unsigned)-1 || (p = malloc(prefix(kind) + size)) == NULL) {
            errno = ENOMEM;
            return NULL;
        }
        if (kind == TASKS) /* in no loop's list yet: removing it changes nothing */
            acc__list_init((acc__list *)(void *)p);
        f = (acc_frame *)(void *)(p + prefix(kind));
        f->acc_size = (unsigned)(size > ACC__CLASS_MAX ? size : ACC__CLASS_MAX + 1);
        f->acc_caller = NULL;
        return f;
    }
    c = (size - 1) / ACC__GRAIN;
    f = free_list(kind)[c];
    if (f != NULL) {
        free_list(kind)[c] = f->acc_caller;
        f->acc_caller = NULL;
        return f;
    }
    size = (c + 1) * ACC__GRAIN;
    f = slow_list[kind][c];
    if (f != NULL) {
        slow_list[kind][c] = f->acc_caller;
        slow_bytes -= f->acc_size;
    } else if ((f = carve(kind, c, size)) == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    held_add(size);
    f->acc_size = (unsigned)size;
    f->acc_caller = NULL;
    return f;
}

acc_frame *acc__frame_alloc_slow(size_t size)
{
    return alloc_slow(FRAMES, size);
}

acc_frame *acc__task_block_alloc_slow(size_t size)
{
    return alloc_slow(TASKS, size);
}

/* A frame needing more than malloc's alignment (_Alignas(64)). Rare: no
 * size classes; its size is recorded above the largest class, so
 * acc__frame_free hands it straight back to free(). */
acc_frame *acc__frame_alloc_aligned(size_t size, size_t align)
{
    acc_frame *f;

    if (align <= ACC__GRAIN)
        return acc__frame_alloc(size);
    if (fail_after >= 0 && must_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    size = (size + align - 1) / align * align;
    if (size > (unsigned)-1 || (f = aligned_alloc(align, size)) == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    f->acc_size = (unsigned)(size > ACC__CLASS_MAX ? size : ACC__CLASS_MAX + 1);
    f->acc_caller = NULL;
    return f;
}

/* The cache is closed (or off), or the block is too big for it. Blocks
 * of the classes belong to slabs: they wait on slow_list. */
static void free_slow(int kind, acc_frame *f)
{
    if (f->acc_size > ACC__CLASS_MAX) {
        free((char *)f - prefix(kind));
        return;
    }
    size_t c = (f->acc_size - 1) / ACC__GRAIN;
    f->acc_caller = slow_list[kind][c];
    slow_list[kind][c] = f;
    slow_bytes += f->acc_size;
    held_sub(f->acc_size);
    if (sweep_at == 0)
        next_sweep();
    if (slow_bytes >= sweep_at) {
        sweep();
        next_sweep();
    }
}

void acc__frame_free_slow(acc_frame *f)
{
    free_slow(FRAMES, f);
}

void acc__task_block_free_slow(acc_frame *f)
{
    free_slow(TASKS, f);
}

void acc__task_block_give_back(acc_frame *f)
{
    pthread_mutex_lock(&slab_lock);
    slab_of(f)->returned++; /* its owner unmaps the slab once all are back */
    pthread_mutex_unlock(&slab_lock);
}

void acc__task_blocks_walk(void (*fn)(acc_task *t, void *arg), void *arg)
{
    for (slab *s = task_slabs; s != NULL; s = s->next) {
        char *b = (char *)s + SLAB_FIRST;
        for (uint32_t i = 0; i < s->carved; i++, b += s->block_size)
            fn((acc_task *)(void *)b, arg);
    }
}

static void give_back(acc_frame **list)
{
    while (*list != NULL) {
        acc_frame *f = *list;
        *list = f->acc_caller;
        slab_of(f)->returned++;
    }
}

/* Every block on this thread's lists goes back to its slab, this thread's
 * slabs are retired (a later allocation starts a new one), and the slabs
 * all of whose blocks are back go to free(). A block still in use (a
 * frame made and never run, or one now on another thread's lists) keeps
 * its slab until a later trim. */
void acc__frame_trim(void)
{
    pthread_mutex_lock(&slab_lock);
    for (int k = 0; k < KINDS; k++) {
        for (size_t c = 0; c < ACC__NCLASS; c++) {
            give_back(&free_list(k)[c]);
            give_back(&slow_list[k][c]);
            if (carving[k][c] != NULL)
                carving[k][c]->retired = 1;
            carving[k][c] = NULL;
            carve_next[k][c] = carve_end[k][c] = NULL;
        }
    }
    unmap_free_slabs();
    pthread_mutex_unlock(&slab_lock);
    slow_bytes = 0;
    sweep_at = 0;
    if (region_next != region_end) /* the slabs this thread did not use */
        munmap(region_next, (size_t)(region_end - region_next));
    region_next = region_end = NULL;
    held = 0; /* what is still in use is not counted again: see held_sub */
    acc__frame_cache_set_limit(cache_limit);
}

acc__leaf_frame *acc__leaf_frame_new(size_t slot_bytes, acc_resume_fn step, void *out)
{
    acc__leaf_frame *f = (acc__leaf_frame *)(void *)acc__frame_alloc(sizeof *f + slot_bytes);

    if (f == NULL)
        return NULL;
    f->hdr.acc_resume = step;
    f->hdr.acc_state = 0;
    f->out = out;
    return f;
}

void acc__await_failed(void)
{
    fputs("acc: out of memory in await\n", stderr);
    abort();
}

/* Only the runtime's own frames can own something before they run: a
 * gather owns its children, acc_wait_for its coroutine. Generated frames hold parameters only. */
void acc__frame_discard(acc_frame *f)
{
    if (f != NULL && acc__frame_in_block(f))
        acc__root_discard(f); /* a generated frame, with its task's room */
    else if (f != NULL && f->acc_resume == acc__gather_step)
        acc__gather_discard(f);
    else if (f != NULL && f->acc_resume == acc__wait_for_step)
        acc__wait_for_discard(f);
    else
        acc__frame_free(f);
}
