// RUN: %crun %s | FileCheck %s
//
// Frames come from slabs (runtime/src/alloc.c). A burst of frames freed
// goes back to the system before acc_run ends: past the frame memory a
// thread may hold (here 4 MiB, a test hook's), the cache closes and frees
// take the slow path, which sweeps the slabs whose blocks are all free,
// until the thread holds half of it. Also: blocks of a class are
// distinct, 16-byte aligned, and a block freed and allocated again is
// reused.
#define _POSIX_C_SOURCE 200809L // bench.h: clock_gettime, sysconf
#include <acc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../bench/lib/bench.h" /* bench_rss: the resident set, as the benchmarks read it */

void acc__frame_cache_set_limit(size_t bytes); // libacc's test hook

static long rss_kib(void)
{
    long rss = bench_rss();
    return rss < 0 ? -1 : rss / 1024;
}

enum { N = 400000, SIZE = 128 }; // 51 MB of frames

int main(void)
{
    unsetenv("ACC_FRAME_MALLOC"); /* this test is about the slabs (a sanitized run sets it) */
    acc_frame **fs = malloc(N * sizeof *fs);
    int misaligned = 0, overlap = 0;

    if (fs == NULL)
        return 1;
    memset(fs, 0, N * sizeof *fs); // its pages count in `before`
    acc__frame_cache_set_limit((size_t)4 << 20);
    long before = rss_kib();
    for (int i = 0; i < N; i++) {
        fs[i] = acc__frame_alloc(SIZE);
        if (fs[i] == NULL)
            return 1;
        memset((char *)fs[i] + sizeof(acc_frame), 0xab, SIZE - sizeof(acc_frame));
        misaligned += ((uintptr_t)fs[i] % 16) != 0;
        overlap += i > 0 && (char *)fs[i] < (char *)fs[i - 1] + SIZE && (char *)fs[i - 1] < (char *)fs[i] + SIZE;
    }
    long peak = rss_kib();
    for (int i = 0; i < N; i++)
        acc__frame_free(fs[i]);
    long after = rss_kib();
    printf("misaligned %d, overlapping %d\n", misaligned, overlap);
    // CHECK: misaligned 0, overlapping 0
    printf("burst given back: %s\n", after - before < (peak - before) / 4 ? "yes" : "no");
    // CHECK-NEXT: burst given back: yes
    printf("cache open again: %s\n", acc__frame_cache_closed ? "no" : "yes");
    // CHECK-NEXT: cache open again: yes

    acc_frame *a = acc__frame_alloc(SIZE);
    acc__frame_free(a);
    acc_frame *b = acc__frame_alloc(SIZE);
    printf("reused: %s\n", a == b ? "yes" : "no");
    // CHECK-NEXT: reused: yes
    acc__frame_free(b);
    free(fs);
    return 0;
}
