// RUN: %crun %s | FileCheck %s
// RUN: env ACC_BACKEND=poll %crun %s | FileCheck %s
//
// Recursion 100000 awaits deep, on a thread with a 256 KiB C stack: past
// ACC__MAX_DEPTH nested awaits the callee is handed to the task's
// trampoline, so the frames live on the heap and the C stack stays
// bounded. Once straight through, once suspending at the bottom (the
// whole chain resumes through the runner), and inside gathered tasks.
#include <acc.h>
#include <pthread.h>
#include <stdio.h>

#include "Inputs/hand_coro.h"


/* async long rec(long n, int nap) {
 *     if (n == 0) { if (nap) await acc_sleep(0.001); return 0; }
 *     return await rec(n - 1, nap) + n;
 * } */
typedef struct { acc_frame hdr; long *acc_out; long n, r; int nap, s; } rec_frame;
static acc_frame *rec(long *acc_out, long n, int nap);
static int rec_step(acc_frame *self)
{
    rec_frame *f = (rec_frame *)self;
    BEGIN
    if (f->n == 0) {
        f->r = 0;
        if (f->nap) {
            AWAIT(1, acc_sleep__coro(&f->s, 0.001))
        }
    } else {
        AWAIT(2, rec(&f->r, f->n - 1, f->nap))
        f->r += f->n;
    }
    END(f->r)
}
static acc_frame *rec(long *acc_out, long n, int nap)
{
    NEW(rec_frame, rec_step)
    f->n = n;
    f->nap = nap;
    return &f->hdr;
}

typedef struct { acc_frame hdr; int *acc_out; long a, b, c, d; int g; } main_frame;
static int main_step(acc_frame *self)
{
    main_frame *f = (main_frame *)self;
    BEGIN
    AWAIT(1, rec(&f->a, 100000, 0))
    printf("straight: %ld\n", f->a);
    AWAIT(2, rec(&f->b, 100000, 1))
    printf("suspended: %ld\n", f->b);
    AWAIT(3, acc_gather__coro(&f->g, 2, (acc_frame *[]){
        (acc_frame *)rec(&f->c, 50000, 1), (acc_frame *)rec(&f->d, 70000, 0)}))
    printf("gathered: %ld %ld\n", f->c, f->d);
    END(0)
}
static acc_frame *main_coro(int *acc_out)
{
    NEW(main_frame, main_step)
    return &f->hdr;
}

static void *thread_main(void *arg)
{
    *(int *)arg = acc_run(main_coro(NULL));
    return NULL;
}

int main(void)
{
    pthread_attr_t attr;
    pthread_t th;
    int r = -1;

    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    pthread_create(&th, &attr, thread_main, &r);
    pthread_join(th, NULL);
    printf("acc_run: %d\n", r);
    return 0;
}

// CHECK: straight: 5000050000
// CHECK-NEXT: suspended: 5000050000
// CHECK-NEXT: gathered: 1250025000 2450035000
// CHECK-NEXT: acc_run: 0
