/*
 * client.c: the load of issue 4 (d). Opens CONNS connections to
 * 127.0.0.1:PORT; on each, MSGS times: write a 1000-byte message, read
 * until its 1000 bytes have come back. All connections run at once on one
 * epoll loop. The server's CPU time (utime + stime of /proc/PID/stat) is
 * read after the connections are up and after the last echo; the result
 * is that time per message. Raw throughput is printed too but varies a
 * lot between runs on virtual machines; CPU time per message does not.
 *
 *   usage: client PORT CONNS MSGS SERVER_PID     prints `key value` lines
 */
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
#include "bench.h"

#define MSG 1000

typedef struct conn {
    int fd;
    long left;  /* messages still to send */
    size_t got; /* bytes of the current echo received */
} conn;

static double server_cpu(long pid)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void send_msg(conn *c, const char *msg)
{
    size_t off = 0;
    while (off < MSG) { /* 1000 bytes fit in an empty socket buffer */
        ssize_t w = write(c->fd, msg + off, MSG - off);
        if (w < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            perror("client: write");
            exit(1);
        }
        off += (size_t)w;
    }
    c->got = 0;
    c->left--;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: client PORT CONNS MSGS SERVER_PID\n");
        return 2;
    }
    int port = atoi(argv[1]);
    long nconn = atol(argv[2]), msgs = atol(argv[3]), pid = atol(argv[4]);
    int one = 1;
    char msg[MSG], buf[4096];
    memset(msg, 'x', sizeof msg);
    conn *cs = calloc((size_t)nconn, sizeof *cs);
    int ep = epoll_create1(0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    for (long i = 0; i < nconn; i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) {
            perror("client: connect");
            return 1;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        cs[i].fd = fd;
        cs[i].left = msgs;
        struct epoll_event e = {.events = EPOLLIN, .data.ptr = &cs[i]};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
    }
    /* one round trip on each first: every connection accepted and served */
    for (long i = 0; i < nconn; i++) {
        send_msg(&cs[i], msg);
        cs[i].left++;
        while (cs[i].got < MSG) {
            ssize_t r = read(cs[i].fd, buf, sizeof buf);
            if (r <= 0) {
                perror("client: warm-up read");
                return 1;
            }
            cs[i].got += (size_t)r;
        }
    }
    double cpu0 = server_cpu(pid), t0 = bench_now();
    long active = nconn;
    for (long i = 0; i < nconn; i++)
        send_msg(&cs[i], msg);
    struct epoll_event evs[256];
    while (active > 0) {
        int n = epoll_wait(ep, evs, 256, 10000);
        if (n <= 0) {
            fprintf(stderr, "client: stalled\n");
            return 1;
        }
        for (int i = 0; i < n; i++) {
            conn *c = evs[i].data.ptr;
            ssize_t r = read(c->fd, buf, sizeof buf);
            if (r <= 0) {
                if (r < 0 && (errno == EINTR || errno == EAGAIN))
                    continue;
                fprintf(stderr, "client: connection lost\n");
                return 1;
            }
            c->got += (size_t)r;
            if (c->got >= MSG) {
                if (c->left > 0)
                    send_msg(c, msg);
                else
                    active--;
            }
        }
    }
    double t1 = bench_now(), cpu1 = server_cpu(pid);
    double total = (double)nconn * (double)msgs;
    printf("server_cpu_us_per_msg %.3f\n", (cpu1 - cpu0) * 1e6 / total);
    printf("server_cpu_s %.2f\n", cpu1 - cpu0);
    printf("msgs_per_s %.0f\n", total / (t1 - t0));
    for (long i = 0; i < nconn; i++)
        close(cs[i].fd);
    return 0;
}
