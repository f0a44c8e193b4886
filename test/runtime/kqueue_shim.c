// REQUIRES: kqueue-shim
// RUN: env ACC_EXTRA_CFLAGS=-I%S/../kqueue/include %crun %s | FileCheck --match-full-lines %s
//
// The test emulation of kqueue on epoll (test/kqueue/), which the kqueue
// backend runs on in a -DACC_KQUEUE_SHIM=ON build, against what the
// kqueue(2) manual pages of FreeBSD and macOS say: one knote per (ident,
// filter); level-triggered; a failed change is an EV_ERROR entry while
// the eventlist has room, else -1 with errno and the rest not applied;
// EV_RECEIPT; EV_EOF on hang-up, per direction; close() drops the
// knotes; a timeout of zero polls, NULL waits until an event or a
// signal (EINTR); bad filters and timeouts are EINVAL.
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/event.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const struct timespec zero = {0, 0};

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int change(int kq, int fd, short filter, unsigned short flags)
{
    struct kevent ch;
    EV_SET(&ch, fd, filter, flags, 0, 0, NULL);
    return kevent(kq, &ch, 1, NULL, 0, NULL);
}

/* One poll: how many events, and a word for each. */
static void show(const char *what, int kq, int room)
{
    struct kevent ev[8];
    int n = kevent(kq, NULL, 0, ev, room, &zero);
    printf("%s: %d", what, n);
    for (int i = 0; i < n; i++)
        printf(" %s%s", ev[i].filter == EVFILT_READ ? "read" : ev[i].filter == EVFILT_WRITE ? "write" : "?",
               ev[i].flags & EV_EOF ? "+eof" : "");
    printf("\n");
}

static void on_alarm(int sig)
{
    (void)sig;
}

int main(void)
{
    int kq = kqueue(), p[2], s[2], r;
    struct kevent ch[3], ev[4];
    char c = 'x';

    printf("kqueue: %s\n", kq >= 0 ? "fd" : "error");
    if (pipe(p) < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, s) < 0)
        return 1;

    // CHECK: kqueue: fd
    // CHECK-NEXT: empty pipe: 0
    // CHECK-NEXT: a byte: 1 read
    // CHECK-NEXT: still there: 1 read
    // CHECK-NEXT: added twice: 1 read
    change(kq, p[0], EVFILT_READ, EV_ADD);
    show("empty pipe", kq, 4);
    if (write(p[1], &c, 1) != 1)
        return 1;
    show("a byte", kq, 4);
    show("still there", kq, 4);
    change(kq, p[0], EVFILT_READ, EV_ADD);
    show("added twice", kq, 4);

    // A failed change with room: an EV_ERROR entry, no wait, and the
    // other changes applied. Without room: -1, and the rest not applied.
    // CHECK-NEXT: errors in the eventlist: 1, EV_ERROR 1, ENOENT 1, ident ok 1
    // CHECK-NEXT: write knote after the error: added
    // CHECK-NEXT: no room: -1 ENOENT
    // CHECK-NEXT: after it, not applied: ENOENT
    EV_SET(&ch[0], p[1], EVFILT_WRITE, EV_DELETE, 0, 0, NULL);
    EV_SET(&ch[1], p[1], EVFILT_WRITE, EV_ADD, 0, 0, NULL);
    r = kevent(kq, ch, 2, ev, 4, NULL);
    printf("errors in the eventlist: %d, EV_ERROR %d, ENOENT %d, ident ok %d\n", r,
           (ev[0].flags & EV_ERROR) != 0, ev[0].data == ENOENT, ev[0].ident == (uintptr_t)p[1]);
    printf("write knote after the error: %s\n", change(kq, p[1], EVFILT_WRITE, EV_DELETE) == 0 ? "added" : "missing");
    r = kevent(kq, ch, 2, NULL, 0, NULL);
    printf("no room: %d %s\n", r, r < 0 && errno == ENOENT ? "ENOENT" : "?");
    r = change(kq, p[1], EVFILT_WRITE, EV_DELETE);
    printf("after it, not applied: %s\n", r < 0 && errno == ENOENT ? "ENOENT" : "?");

    // EV_RECEIPT: every change reported, data 0 when it worked; the
    // changelist may be the eventlist.
    // CHECK-NEXT: receipts: 3: 0 ENOENT 0
    EV_SET(&ch[0], p[1], EVFILT_WRITE, EV_ADD | EV_RECEIPT, 0, 0, NULL);
    EV_SET(&ch[1], p[0], EVFILT_WRITE, EV_DELETE | EV_RECEIPT, 0, 0, NULL);
    EV_SET(&ch[2], p[1], EVFILT_WRITE, EV_DELETE | EV_RECEIPT, 0, 0, NULL);
    r = kevent(kq, ch, 3, ch, 3, NULL);
    printf("receipts: %d:", r);
    for (int i = 0; i < r; i++)
        printf(" %s", !(ch[i].flags & EV_ERROR) ? "?" : ch[i].data == 0 ? "0" : ch[i].data == ENOENT ? "ENOENT" : "?");
    printf("\n");

    // Both directions of a socket: two entries; with room for one, each
    // in turn. A hang-up: EV_EOF on both filters.
    // CHECK-NEXT: socket writable: 1 write
    // CHECK-NEXT: and readable: 2 read write
    // CHECK-NEXT: room for one, twice: read write
    // CHECK-NEXT: peer closed: 2 read+eof write+eof
    if (read(p[0], &c, 1) != 1) /* the pipe's byte: its knote stays, quiet */
        return 1;
    change(kq, s[0], EVFILT_READ, EV_ADD);
    change(kq, s[0], EVFILT_WRITE, EV_ADD);
    show("socket writable", kq, 4);
    if (write(s[1], &c, 1) != 1)
        return 1;
    r = kevent(kq, NULL, 0, ev, 4, &zero);
    printf("and readable: %d", r);
    for (int f = EVFILT_READ; f >= EVFILT_WRITE; f--) /* in a fixed order */
        for (int i = 0; i < r; i++)
            if (ev[i].filter == f && ev[i].ident == (uintptr_t)s[0])
                printf(" %s", f == EVFILT_READ ? "read" : "write");
    printf("\n");
    {
        int seen = 0;
        for (int i = 0; i < 2; i++)
            if (kevent(kq, NULL, 0, ev, 1, &zero) == 1)
                seen |= ev[0].filter == EVFILT_READ ? 1 : 2;
        printf("room for one, twice:%s%s\n", seen & 1 ? " read" : "", seen & 2 ? " write" : "");
    }
    close(s[1]);
    r = kevent(kq, NULL, 0, ev, 4, &zero);
    printf("peer closed: %d", r);
    for (int f = EVFILT_READ; f >= EVFILT_WRITE; f--)
        for (int i = 0; i < r; i++)
            if (ev[i].filter == f)
                printf(" %s%s", f == EVFILT_READ ? "read" : "write", ev[i].flags & EV_EOF ? "+eof" : "");
    printf("\n");

    // close() drops the knotes: deleting is EBADF, and once the number is
    // someone else's, ENOENT; adding there starts afresh.
    // CHECK-NEXT: delete after close: EBADF
    // CHECK-NEXT: number reused: same, delete ENOENT, add 0, delete 0
    {
        int old = s[0], again;
        close(s[0]);
        r = change(kq, old, EVFILT_READ, EV_DELETE);
        printf("delete after close: %s\n", r < 0 && errno == EBADF ? "EBADF" : "?");
        again = dup2(p[0], old);
        r = change(kq, again, EVFILT_WRITE, EV_DELETE);
        printf("number reused: %s, delete %s", again == old ? "same" : "other",
               r < 0 && errno == ENOENT ? "ENOENT" : "?");
        printf(", add %d", change(kq, again, EVFILT_READ, EV_ADD));
        printf(", delete %d\n", change(kq, again, EVFILT_READ, EV_DELETE));
        close(again);
    }

    // The pipe's writer goes: EOF on the read filter.
    // CHECK-NEXT: writer closed: 1 read+eof
    close(p[1]);
    show("writer closed", kq, 4);

    // Timeouts: zero polls; 50 ms waits about that long; a bad timespec
    // or filter is EINVAL; NULL waits until a signal (EINTR).
    // CHECK-NEXT: nothing to read, 50 ms: 0 after >= 50 ms
    // CHECK-NEXT: bad timeout: EINVAL
    // CHECK-NEXT: bad filter: EINVAL
    // CHECK-NEXT: forever, then a signal: -1 EINTR
    close(p[0]);
    {
        int q[2];
        struct timespec t50 = {0, 50000000L}, bad = {0, 1000000000L};
        double t0;
        if (pipe(q) < 0)
            return 1;
        change(kq, q[0], EVFILT_READ, EV_ADD);
        t0 = now();
        r = kevent(kq, NULL, 0, ev, 4, &t50);
        printf("nothing to read, 50 ms: %d after %s 50 ms\n", r, now() - t0 >= 0.05 ? ">=" : "<");
        r = kevent(kq, NULL, 0, ev, 4, &bad);
        printf("bad timeout: %s\n", r < 0 && errno == EINVAL ? "EINVAL" : "?");
        r = change(kq, q[0], 7, EV_ADD);
        printf("bad filter: %s\n", r < 0 && errno == EINVAL ? "EINVAL" : "?");

        struct sigaction sa;
        struct itimerval it = {{0, 0}, {0, 100000}};
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm; /* no SA_RESTART, though kevent would not restart anyway */
        sigaction(SIGALRM, &sa, NULL);
        setitimer(ITIMER_REAL, &it, NULL);
        r = kevent(kq, NULL, 0, ev, 4, NULL);
        printf("forever, then a signal: %d %s\n", r, r < 0 && errno == EINTR ? "EINTR" : "?");
        close(q[0]);
        close(q[1]);
    }
    close(kq);
    return 0;
}
