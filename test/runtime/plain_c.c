// Plain C (not translated) using the runtime (SPEC 2.2): acc_now is
// monotonic, and acc_run runs a coroutine made through its C entry, here
// the runtime's own acc_sleep (docs/abi.md), for at least as long as asked.
// RUN: %crun %s | FileCheck --match-full-lines %s
// RUN: env ACC_BACKEND=poll %crun %s | FileCheck --match-full-lines %s
#include <acc.h>
#include <stdio.h>

int main(void)
{
    double t0 = acc_now(), t1 = acc_now();
    printf("monotonic %d\n", t1 >= t0);

    int slept = -1;
    int rc = acc_run(acc_sleep__coro(&slept, 0.05));
    double dt = acc_now() - t1;
    printf("acc_run %d, acc_sleep %d, %s\n", rc, slept,
           dt >= 0.05 && dt < 1.0 ? "0.05 s" : "wrong time");
    return 0;
}
// CHECK:      monotonic 1
// CHECK-NEXT: acc_run 0, acc_sleep 0, 0.05 s
