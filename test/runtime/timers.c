// RUN: %crun %s | FileCheck %s
// RUN: env ACC_BACKEND=poll %crun %s | FileCheck %s
//
// A million timers armed at once in the heap: one gather of a million
// sleeps of 0 to 99 ms. Each fires once, in deadline order (checked by
// the sleeps with the same duration firing in arming order, through a
// counter per duration). (Timing is for bench/, not for tests.)
#include <acc.h>
#include <stdio.h>
#include <stdlib.h>

#include "Inputs/hand_coro.h"


#define N 1000000
#define SLOTS 100

static int fired[SLOTS]; /* sleeps of each duration that have finished */
static int misordered;

/* async void nap(int i): sleeps (i % SLOTS) ms; the i / SLOTS-th of its slot */
typedef struct { acc_frame hdr; int *acc_out; int i, r; } nap_frame;
static int nap_step(acc_frame *self)
{
    nap_frame *f = (nap_frame *)self;
    BEGIN
    AWAIT(1, acc_sleep__coro(&f->r, (f->i % SLOTS) / 1000.0 + 0.001))
    if (f->r != 0 || fired[f->i % SLOTS]++ != f->i / SLOTS)
        misordered++;
    END(0)
}
static acc_frame *nap(int *acc_out, int i)
{
    NEW(nap_frame, nap_step)
    f->i = i;
    return &f->hdr;
}

typedef struct { acc_frame hdr; int *acc_out; acc_frame **naps; int g; } main_frame;
static int main_step(acc_frame *self)
{
    main_frame *f = (main_frame *)self;
    BEGIN
    f->naps = malloc(N * sizeof *f->naps);
    for (int i = 0; i < N; i++)
        f->naps[i] = nap(NULL, i);
    AWAIT(1, acc_gather__coro(&f->g, N, f->naps))
    free(f->naps);
    END(f->g)
}
static acc_frame *main_coro(int *acc_out)
{
    NEW(main_frame, main_step)
    return &f->hdr;
}

int main(void)
{
    int g = -1, total = 0;
    double t0 = acc_now();
    int r = acc_run(main_coro(&g));
    double dt = acc_now() - t0;

    for (int s = 0; s < SLOTS; s++)
        total += fired[s];
    printf("acc_run %d gather %d fired %d misordered %d\n", r, g, total, misordered);
    if (getenv("ACC_TEST_VERBOSE"))
        fprintf(stderr, "%.3f s\n", dt);
    return 0;
}

// CHECK: acc_run 0 gather 0 fired 1000000 misordered 0
