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
 * that allocated it simply joins that thread's lists. Each thread caches
 * at most ACC__CACHE_MAX bytes, so that a burst (a million tasks ending)
 * does not pin its peak memory forever; acc_run gives the whole cache
 * back when its loop ends.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

#define ACC__GRAIN ACC__FRAME_GRAIN                    /* class width, and malloc's alignment */
#define ACC__NCLASS ACC__FRAME_CLASSES                  /* classes of 16, 32, ... 512 bytes */
#define ACC__CLASS_MAX (ACC__GRAIN * ACC__NCLASS)
#define ACC__CACHE_MAX ((size_t)256 << 20)              /* bytes cached per thread */

/* The free lists, one per class: a cached frame's `caller` links it to the
 * next one. acc.h pops and pushes them inline (the fast path of every
 * await); the functions below are the slow paths. */
_Thread_local acc_frame *acc__frame_cache[ACC__NCLASS];
_Thread_local size_t acc__frame_cached;
_Thread_local size_t acc__frame_cache_limit = ACC__CACHE_MAX;
#define free_list acc__frame_cache
#define cached_bytes acc__frame_cached

/* Failure injection for tests: allocations left before every one fails;
 * -1 when off. While it is on, the frame cache is off too, so that every
 * frame allocation takes the counted slow path. */
static _Thread_local long fail_after = -1;

void acc__fail_alloc_after(long n)
{
    fail_after = n;
    acc__frame_cache_limit = n >= 0 ? 0 : ACC__CACHE_MAX;
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
acc_frame *acc__frame_alloc_slow(size_t size)
{
    acc_frame *f;
    size_t c;

    if (fail_after >= 0 && must_fail()) {
        errno = ENOMEM;
        return NULL;
    }
    if (size < sizeof(acc_frame))
        size = sizeof(acc_frame);
    if (size > ACC__CLASS_MAX) {
        if (size > (unsigned)-1) {
            errno = ENOMEM;
            return NULL;
        }
        f = malloc(size);
        if (f == NULL) {
            errno = ENOMEM;
            return NULL;
        }
        f->size = (unsigned)size;
        f->caller = NULL;
        return f;
    }
    c = (size - 1) / ACC__GRAIN;
    f = free_list[c];
    if (f != NULL) {
        free_list[c] = f->caller;
        cached_bytes -= f->size;
        f->caller = NULL;
        return f;
    }
    size = (c + 1) * ACC__GRAIN;
    f = malloc(size);
    if (f == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    f->size = (unsigned)size;
    f->caller = NULL;
    return f;
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
    f->size = (unsigned)(size > ACC__CLASS_MAX ? size : ACC__CLASS_MAX + 1);
    f->caller = NULL;
    return f;
}

/* The cache is full, or the frame is too big for it. */
void acc__frame_free_slow(acc_frame *f)
{
    free(f);
}

void acc__frame_trim(void)
{
    for (size_t c = 0; c < ACC__NCLASS; c++) {
        while (free_list[c] != NULL) {
            acc_frame *f = free_list[c];
            free_list[c] = f->caller;
            free(f);
        }
    }
    cached_bytes = 0;
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
    else if (f != NULL && f->resume == acc__gather_step)
        acc__gather_discard(f);
    else if (f != NULL && f->resume == acc__wait_for_step)
        acc__wait_for_discard(f);
    else
        acc__frame_free(f);
}
