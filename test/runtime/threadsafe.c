// RUN: %crun %s | FileCheck %s
// RUN: env ACC_BACKEND=poll %crun %s | FileCheck %s
//
// acc_wake_threadsafe from other threads: one pthread opens a gate once
// the loop has run another task for a few turns meanwhile; then four
// threads hammer one waker with 4 x 2000 wakes until a shared count is
// reached.
#define _POSIX_C_SOURCE 200809L
#include <acc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "Inputs/hand_coro.h"


typedef struct xgate {
    acc_awaitable aw;
    atomic_int count;     /* set by the threads */
    int need;             /* poll is done when count >= need */
    int nthreads;
    pthread_t th[4];
    int started;
    atomic_uintptr_t w;   /* the waker, published to the threads */
    int wakes;            /* per thread */
} xgate;

static atomic_int ticked; /* the ticker's turns, for the opener */

/* Opens once the ticker has ticked 6 times, not after a fixed delay: on a
 * loaded machine 30 ms could pass with fewer ticks. Gives up after 10 s,
 * so a loop that stops while the gated task waits fails the check. */
static void *opener(void *arg)
{
    xgate *g = arg;
    struct timespec ts = {0, 1000000};

    for (int i = 0; i < 10000 && atomic_load(&ticked) <= 5; i++)
        nanosleep(&ts, NULL);
    atomic_fetch_add(&g->count, 1);
    acc_wake_threadsafe((acc_waker *)atomic_load(&g->w));
    return NULL;
}

static void *hammer(void *arg)
{
    xgate *g = arg;

    for (int i = 0; i < g->wakes; i++) {
        atomic_fetch_add(&g->count, 1);
        acc_wake_threadsafe((acc_waker *)atomic_load(&g->w));
    }
    return NULL;
}

static int xgate_poll(acc_awaitable *aw, acc_waker *w)
{
    xgate *g = (xgate *)aw;

    atomic_store(&g->w, (uintptr_t)w);
    if (!g->started) {
        g->started = 1;
        for (int i = 0; i < g->nthreads; i++)
            pthread_create(&g->th[i], NULL, g->wakes ? hammer : opener, g);
    }
    return atomic_load(&g->count) >= g->need;
}

static void xgate_join(xgate *g)
{
    for (int i = 0; i < g->nthreads; i++)
        pthread_join(g->th[i], NULL);
}

/* async int ticker(void): counts turns until *stop */
typedef struct { acc_frame hdr; int *acc_out; int *stop, n, r; } ticker_frame;
static int ticker_step(acc_frame *self)
{
    ticker_frame *f = (ticker_frame *)self;
    BEGIN
    for (f->n = 0; !*f->stop; f->n++) {
        AWAIT(1, acc_sleep__coro(&f->r, 0.001))
        atomic_fetch_add(&ticked, 1);
    }
    END(f->n)
}
static acc_frame *ticker(int *acc_out, int *stop)
{
    NEW(ticker_frame, ticker_step)
    f->stop = stop;
    return &f->hdr;
}

/* async int gated(xgate *g, int *stop) */
typedef struct { acc_frame hdr; int *acc_out; xgate *g; int *stop, r; } gated_frame;
static int gated_step(acc_frame *self)
{
    gated_frame *f = (gated_frame *)self;
    BEGIN
    AWAIT(1, acc__awaitable_coro(&f->r, &f->g->aw))
    *f->stop = 1;
    END(f->r)
}
static acc_frame *gated(int *acc_out, xgate *g, int *stop)
{
    NEW(gated_frame, gated_step)
    f->g = g;
    f->stop = stop;
    return &f->hdr;
}

typedef struct { acc_frame hdr; int *acc_out; xgate g; int stop, ticks, r1, r; } main_frame;
static int main_step(acc_frame *self)
{
    main_frame *f = (main_frame *)self;
    BEGIN
    f->g.aw.poll = xgate_poll;
    f->g.aw.cancel = NULL;
    atomic_init(&f->g.count, 0);
    atomic_init(&f->g.w, 0);
    f->g.need = 1;
    f->g.nthreads = 1;
    f->g.wakes = 0;
    f->g.started = 0;
    f->stop = 0;
    AWAIT(1, acc_gather__coro(&f->r, 2, (acc_frame *[]){
        gated(&f->r1, &f->g, &f->stop), ticker(&f->ticks, &f->stop)}))
    xgate_join(&f->g);
    printf("opened: %d, loop ran meanwhile: %d\n", f->r1, f->ticks > 5);

    atomic_init(&f->g.count, 0);
    f->g.need = 4 * 2000;
    f->g.nthreads = 4;
    f->g.wakes = 2000;
    f->g.started = 0;
    AWAIT(2, acc__awaitable_coro(&f->r, &f->g.aw))
    xgate_join(&f->g);
    printf("hammered: %d count %d\n", f->r, atomic_load(&f->g.count));
    END(0)
}
TEST_MAIN(main_frame, main_step)

// CHECK: opened: 0, loop ran meanwhile: 1
// CHECK-NEXT: hammered: 0 count 8000
// CHECK-NEXT: acc_run: 0
