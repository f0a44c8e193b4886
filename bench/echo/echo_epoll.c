/*
 * echo_epoll.c: the hand-written C baseline of issue 4 (d): one thread,
 * level-triggered epoll, non-blocking sockets with TCP_NODELAY. Readable:
 * read up to 4096 bytes and write them back at once; what the socket does
 * not take is kept and written when it becomes writable (reading stops
 * meanwhile). Prints its port on the first line and serves until killed.
 *
 *   usage: echo_epoll
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct conn {
    int fd;
    size_t off, len; /* pending output: buf[off, len) */
    char buf[4096];
} conn;

static int ep;

static void conn_close(conn *c)
{
    close(c->fd);
    free(c);
}

/* Write what is pending; 1: all written, 0: would block, -1: error. */
static int flush_out(conn *c)
{
    while (c->off < c->len) {
        ssize_t w = write(c->fd, c->buf + c->off, c->len - c->off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno == EAGAIN ? 0 : -1;
        }
        c->off += (size_t)w;
    }
    c->off = c->len = 0;
    return 1;
}

static void on_event(conn *c, unsigned ev)
{
    struct epoll_event e;
    if (c->len > 0) { /* waiting to write */
        int r = flush_out(c);
        if (r < 0) {
            conn_close(c);
        } else if (r > 0) {
            e.events = EPOLLIN;
            e.data.ptr = c;
            epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
        }
        return;
    }
    (void)ev;
    ssize_t n = read(c->fd, c->buf, sizeof c->buf);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        conn_close(c);
        return;
    }
    c->off = 0;
    c->len = (size_t)n;
    int r = flush_out(c);
    if (r < 0) {
        conn_close(c);
    } else if (r == 0) {
        e.events = EPOLLOUT;
        e.data.ptr = c;
        epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
    }
}

int main(void)
{
    int one = 1;
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    socklen_t alen = sizeof a;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(lfd, (struct sockaddr *)&a, sizeof a) < 0 || listen(lfd, 1024) < 0) {
        perror("echo_epoll");
        return 1;
    }
    getsockname(lfd, (struct sockaddr *)&a, &alen);
    printf("%d\n", ntohs(a.sin_port));
    fflush(stdout);
    ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);
    struct epoll_event evs[256];
    for (;;) {
        int n = epoll_wait(ep, evs, 256, -1);
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            if (c == NULL) {
                int fd;
                while ((fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    conn *nc = malloc(sizeof *nc);
                    if (nc == NULL) {
                        close(fd);
                        continue;
                    }
                    nc->fd = fd;
                    nc->off = nc->len = 0;
                    struct epoll_event ce = {.events = EPOLLIN, .data.ptr = nc};
                    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ce);
                }
                continue;
            }
            on_event(c, evs[i].events);
        }
    }
}
