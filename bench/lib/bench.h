/*
 * bench.h: what every C and async-C benchmark program shares: a clock, the
 * resident set size, and one output convention. Each program prints lines
 * `key value` on stdout; run.sh reads them. No thresholds live here.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* BENCH_CLOCK=CLOCK_THREAD_CPUTIME_ID (with -D) times CPU instead of wall
 * time: for comparing variants on a machine busy with other work. */
#ifndef BENCH_CLOCK
#define BENCH_CLOCK CLOCK_MONOTONIC
#endif
static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(BENCH_CLOCK, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Resident set size of this process, in bytes (/proc/self/statm). */
static inline long bench_rss(void)
{
    long size = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return -1;
    if (fscanf(f, "%ld %ld", &size, &resident) != 2)
        resident = -1;
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

static inline long bench_arg(int argc, char **argv, int i, long dflt)
{
    return argc > i ? atol(argv[i]) : dflt;
}

/* Keep a value alive without letting the compiler see through it. */
#define BENCH_KEEP(x) __asm__ volatile("" : : "g"(x) : "memory")

#endif
