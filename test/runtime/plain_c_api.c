// RUN: %crun %s | FileCheck --match-full-lines %s
// RUN: env ACC_BACKEND=poll %crun %s | FileCheck --match-full-lines %s
//
// Plain C (SPEC 2.2) uses the non-async part of acc.h outside any loop:
// acc_cancelled is false, events, semaphores and queues are set up, set,
// released, closed and freed; acc_listen (port 0, every address, IPv6
// loopback, a port in use), acc_local_port and acc_close; acc_spawn
// without a loop is NULL with EINVAL. Then the runtime's coroutines,
// reached through their C entry functions (docs/abi.md), see what was
// done outside: a set event and released permits are there at once, a
// closed queue still delivers what was queued, then -EPIPE.
#include <acc.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>

int main(void)
{
    printf("cancelled outside: %d\n", acc_cancelled());

    acc_event ev;
    acc_event_init(&ev);
    printf("event: %d", acc_event_is_set(&ev));
    acc_event_set(&ev);
    acc_event_set(&ev);
    printf(" %d", acc_event_is_set(&ev));
    acc_event_clear(&ev);
    printf(" %d", acc_event_is_set(&ev));
    acc_event_set(&ev);
    printf(" %d\n", acc_event_is_set(&ev));

    acc_sem sem = {0}; /* all zero: valid, no permit */
    acc_sem_release(&sem);
    acc_sem_release(&sem);

    acc_queue *q = acc_queue_new(2);
    acc_queue_free(acc_queue_new(0));
    printf("queue: %s\n", q ? "made" : "NULL");

    int l = acc_listen("127.0.0.1", 0, 0);
    int port = acc_local_port(l);
    printf("listen: %s, port %s, non-blocking %d\n", l >= 0 ? "fd" : "error",
           port > 0 ? "picked" : "?", (fcntl(l, F_GETFL) & O_NONBLOCK) != 0);
    printf("same port again: %s\n", acc_listen("127.0.0.1", port, 0) == -EADDRINUSE ? "-EADDRINUSE" : "?");
    int any = acc_listen(NULL, 0, 0);
    int v6 = acc_listen("::1", 0, 0);
    printf("every address: %s; ::1: %s\n", any >= 0 ? "fd" : "error", v6 >= 0 || v6 == -EADDRNOTAVAIL || v6 == -EAFNOSUPPORT ? "ok" : "?");
    acc_close(l);
    acc_close(any);
    if (v6 >= 0)
        acc_close(v6);
    printf("closed: %d; local port of a closed fd: %s\n", fcntl(l, F_GETFD) == -1,
           acc_local_port(l) == -EBADF ? "-EBADF" : "?");

    int r = -1;
    errno = 0;
    acc_task *t = acc_spawn(acc_sleep__coro(&r, 0));
    printf("spawn without a loop: %s, errno %s\n", t ? "task" : "NULL", errno == EINVAL ? "EINVAL" : "?");

    r = -1;
    int rc = acc_run(acc_event_wait__coro(&r, &ev));
    printf("set event: acc_run %d, wait %d\n", rc, r);
    r = -1;
    rc = acc_run(acc_sem_acquire__coro(&r, &sem));
    printf("permit: acc_run %d, acquire %d\n", rc, r);
    r = -1;
    rc = acc_run(acc_sem_acquire__coro(&r, &sem));
    printf("permit: acc_run %d, acquire %d\n", rc, r);
    rc = acc_run(acc_queue_put__coro(&r, q, (void *)(intptr_t)7));
    printf("put: acc_run %d, put %d\n", rc, r);
    acc_queue_close(q);
    void *item = NULL;
    rc = acc_run(acc_queue_get__coro(&r, q, &item));
    printf("get: acc_run %d, get %d, item %d\n", rc, r, (int)(intptr_t)item);
    rc = acc_run(acc_queue_get__coro(&r, q, &item));
    printf("get: acc_run %d, get %s\n", rc, r == -EPIPE ? "-EPIPE" : "?");
    acc_queue_free(q);
    return 0;
}
// CHECK:      cancelled outside: 0
// CHECK-NEXT: event: 0 1 0 1
// CHECK-NEXT: queue: made
// CHECK-NEXT: listen: fd, port picked, non-blocking 1
// CHECK-NEXT: same port again: -EADDRINUSE
// CHECK-NEXT: every address: fd; ::1: ok
// CHECK-NEXT: closed: 1; local port of a closed fd: -EBADF
// CHECK-NEXT: spawn without a loop: NULL, errno EINVAL
// CHECK-NEXT: set event: acc_run 0, wait 0
// CHECK-NEXT: permit: acc_run 0, acquire 0
// CHECK-NEXT: permit: acc_run 0, acquire 0
// CHECK-NEXT: put: acc_run 0, put 0
// CHECK-NEXT: get: acc_run 0, get 0, item 7
// CHECK-NEXT: get: acc_run 0, get -EPIPE
