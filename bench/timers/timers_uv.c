/*
 * timers_uv.c: the libuv peer of timerheap.c: N uv_timer_t armed with
 * pseudo-random timeouts (uv_timer_start), stopped in a shuffled order
 * (uv_timer_stop), armed again with timeout 0 and fired by one
 * uv_run(UV_RUN_NOWAIT). libuv's heap is a binary tree of pointers.
 *
 *   usage: timers_uv [N] [ROUNDS]     prints `key value` lines (best round)
 */
#include <stdint.h>
#include <uv.h>
#include "bench.h"

static long fired;
static void on_fire(uv_timer_t *t) { (void)t; fired++; }

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
    uv_loop_t *loop = uv_default_loop();
    uv_timer_t *tm = malloc((size_t)n * sizeof *tm);
    long *order = malloc((size_t)n * sizeof *order);
    double best_arm = 1e30, best_stop = 1e30, best_fire = 1e30;

    if (!tm || !order)
        return 1;
    for (long i = 0; i < n; i++) {
        order[i] = i;
        uv_timer_init(loop, &tm[i]);
    }
    for (long i = n - 1; i > 0; i--) {
        long j = (long)(hash((uint64_t)i) % (uint64_t)(i + 1)), x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    for (long r = 0; r < rounds; r++) {
        double t0 = bench_now();
        for (long i = 0; i < n; i++)
            uv_timer_start(&tm[i], on_fire, 1000000 + hash((uint64_t)i) % 1000000, 0);
        double t1 = bench_now();
        for (long i = 0; i < n; i++)
            uv_timer_stop(&tm[order[i]]);
        double t2 = bench_now();
        for (long i = 0; i < n; i++)
            uv_timer_start(&tm[i], on_fire, 0, 0);
        fired = 0;
        uv_update_time(loop);
        double t3 = bench_now();
        uv_run(loop, UV_RUN_NOWAIT);
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
    return 0;
}
