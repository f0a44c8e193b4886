/*
 * timerheap.c: issue 4 "Speed" (c), the runtime's timer heap alone,
 * through its internal interface (runtime/src/internal.h; built by run.sh
 * with -I runtime/src against libacc.a). No tasks, no loop turns: N timers
 * with pseudo-random deadlines are armed (acc__timer_start), stopped
 * (acc__timer_stop, in another pseudo-random order), armed again and
 * fired (acc__timer_run with a clock past every deadline).
 *
 *   usage: timerheap [N] [ROUNDS]     prints `key value` lines (best round)
 */
#include <stdint.h>
#include "bench.h"
#include "internal.h"

static long fired;
static void on_fire(acc__timer *t) { (void)t; fired++; }

static uint64_t hash(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

int main(int argc, char **argv)
{
    long n = bench_arg(argc, argv, 1, 1000000);
    long rounds = bench_arg(argc, argv, 2, 5);
    acc__loop *loop = calloc(1, sizeof *loop); /* only loop->timers is used */
    acc__timer *tm = malloc((size_t)n * sizeof *tm);
    long *order = malloc((size_t)n * sizeof *order);
    double best_arm = 1e30, best_stop = 1e30, best_fire = 1e30;

    if (!loop || !tm || !order)
        return 1;
    for (long i = 0; i < n; i++)
        order[i] = i;
    for (long i = n - 1; i > 0; i--) { /* a fixed shuffle */
        long j = (long)(hash((uint64_t)i) % (uint64_t)(i + 1)), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    for (long r = 0; r < rounds; r++) {
        for (long i = 0; i < n; i++)
            acc__timer_init(&tm[i], on_fire);
        double t0 = bench_now();
        for (long i = 0; i < n; i++)
            if (acc__timer_start(loop, &tm[i], 1000000000u + hash((uint64_t)i) % 1000000000u) < 0)
                return 1;
        double t1 = bench_now();
        for (long i = 0; i < n; i++)
            acc__timer_stop(loop, &tm[order[i]]);
        double t2 = bench_now();
        for (long i = 0; i < n; i++)
            acc__timer_start(loop, &tm[i], 1000000000u + hash((uint64_t)i + 7) % 1000000000u);
        fired = 0;
        double t3 = bench_now();
        acc__timer_run(loop, UINT64_MAX - 1);
        double t4 = bench_now();
        if (fired != n)
            return 1;
        if (t1 - t0 < best_arm)
            best_arm = t1 - t0;
        if (t2 - t1 < best_stop)
            best_stop = t2 - t1;
        if (t4 - t3 < best_fire)
            best_fire = t4 - t3;
    }
    printf("heap_arm_ns %.1f\n", best_arm * 1e9 / (double)n);
    printf("heap_cancel_ns %.1f\n", best_stop * 1e9 / (double)n);
    printf("heap_fire_ns %.1f\n", best_fire * 1e9 / (double)n);
    acc__heap_free(&loop->timers);
    free(loop);
    free(tm);
    free(order);
    return 0;
}
