/*
 * echo_uv.c: the libuv peer of issue 4 (d), written as libuv recommends:
 * uv_read_start with a per-connection buffer, uv_try_write first and
 * uv_write (with a copy) for whatever the socket did not take;
 * uv_tcp_nodelay on every connection. Prints its port on the first line
 * and serves until killed.
 *
 *   usage: echo_uv
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct conn {
    uv_tcp_t tcp;
    char buf[4096];
} conn;

typedef struct wreq {
    uv_write_t req;
    char data[];
} wreq;

static uv_loop_t *loop;

static void on_close(uv_handle_t *h) { free(h); }

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
    (void)hint;
    conn *c = (conn *)h;
    *buf = uv_buf_init(c->buf, sizeof c->buf);
}

static void on_write(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    if (n < 0) {
        uv_close((uv_handle_t *)s, on_close);
        return;
    }
    if (n == 0)
        return;
    uv_buf_t b = uv_buf_init(buf->base, (unsigned)n);
    int w = uv_try_write(s, &b, 1);
    if (w == n)
        return;
    if (w < 0) {
        if (w != UV_EAGAIN) {
            uv_close((uv_handle_t *)s, on_close);
            return;
        }
        w = 0;
    }
    size_t rest = (size_t)n - (size_t)w;
    wreq *r = malloc(sizeof *r + rest);
    memcpy(r->data, buf->base + w, rest);
    uv_buf_t rb = uv_buf_init(r->data, (unsigned)rest);
    uv_write(&r->req, s, &rb, 1, on_write);
}

static void on_connection(uv_stream_t *server, int status)
{
    if (status < 0)
        return;
    conn *c = malloc(sizeof *c);
    uv_tcp_init(loop, &c->tcp);
    if (uv_accept(server, (uv_stream_t *)&c->tcp) == 0) {
        uv_tcp_nodelay(&c->tcp, 1);
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    } else {
        uv_close((uv_handle_t *)&c->tcp, on_close);
    }
}

int main(void)
{
    uv_tcp_t server;
    struct sockaddr_in addr;
    struct sockaddr_storage name;
    int len = sizeof name;

    loop = uv_default_loop();
    uv_tcp_init(loop, &server);
    uv_ip4_addr("127.0.0.1", 0, &addr);
    uv_tcp_bind(&server, (const struct sockaddr *)&addr, 0);
    if (uv_listen((uv_stream_t *)&server, 1024, on_connection) != 0) {
        fprintf(stderr, "echo_uv: listen failed\n");
        return 1;
    }
    uv_tcp_getsockname(&server, (struct sockaddr *)&name, &len);
    printf("%d\n", ntohs(((struct sockaddr_in *)&name)->sin_port));
    fflush(stdout);
    return uv_run(loop, UV_RUN_DEFAULT);
}
