/*
 * util.c: growable buffers and allocation helpers. Allocation failure in the
 * translator is fatal: it prints a message and exits with status 2.
 */
#include "compiler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void out_of_memory(void)
{
    fputs("acc: out of memory\n", stderr);
    exit(2);
}

void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

void *xgrow(void *p, size_t n, size_t size)
{
    if (n & (n - 1)) /* n is not a power of two (nor 0): there is room */
        return p;
    return xrealloc(p, (n ? 2 * n : 1) * size);
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        out_of_memory();
    return p;
}

char *xstrndup(const char *s, size_t n)
{
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

/* Room for `need` bytes. The translator builds many short strings: they
 * start with room for a line, and small ones move by malloc and free,
 * which glibc serves from its per-thread cache, where realloc takes the
 * slow path every time. */
void buf_grow(Buf *b, size_t need)
{
    enum { FIRST_ROOM = 64, SMALL = 4096 };
    size_t cap = need * 2 > FIRST_ROOM ? need * 2 : FIRST_ROOM;
    if (cap > SMALL || !b->s) {
        b->s = xrealloc(b->s, cap);
    } else {
        char *s = xrealloc(NULL, cap);
        memcpy(s, b->s, b->len + 1);
        free(b->s);
        b->s = s;
    }
    b->cap = cap;
}

void buf_puts(Buf *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

static void put_decimal(Buf *b, bool negative, unsigned long long v)
{
    char d[24];
    size_t i = sizeof d;
    do
        d[--i] = (char)('0' + v % 10);
    while (v /= 10);
    if (negative)
        d[--i] = '-';
    buf_put(b, d + i, sizeof d - i);
}

/* The translator's formats are almost all made of %s, %d, %u and %%,
 * which are formatted here in one pass: vsnprintf's setup costs more than
 * the text. False, having written part of it, at any other conversion. */
static bool simple_vprintf(Buf *b, const char *fmt, va_list ap)
{
    for (const char *p = fmt;;) {
        const char *q = strchrnul(p, '%');
        buf_put(b, p, (size_t)(q - p));
        if (!*q)
            return true;
        switch (q[1]) {
        case 's': {
            const char *s = va_arg(ap, const char *);
            buf_puts(b, s ? s : "(null)"); /* as glibc prints it */
            break;
        }
        case 'd': {
            int v = va_arg(ap, int);
            put_decimal(b, v < 0, v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v);
            break;
        }
        case 'u':
            put_decimal(b, false, va_arg(ap, unsigned));
            break;
        case '%':
            buf_put(b, "%", 1);
            break;
        default:
            return false;
        }
        p = q + 2;
    }
}

/* Any other format: vsnprintf straight into the buffer, room made first
 * when the text does not fit in what is left. Most texts are short, so a
 * little room is made beforehand: a second vsnprintf costs as much as the
 * first. */
static void full_vprintf(Buf *b, const char *fmt, va_list ap)
{
    enum { USUAL_ROOM = 128 };
    if (b->cap < b->len + USUAL_ROOM) {
        b->cap = (b->len + USUAL_ROOM) * 2;
        b->s = xrealloc(b->s, b->cap);
    }
    va_list again;
    va_copy(again, ap);
    size_t room = b->cap - b->len;
    int n = vsnprintf(b->s + b->len, room, fmt, ap);
    if (n >= 0 && (size_t)n >= room) {
        b->cap = (b->len + (size_t)n + 1) * 2;
        b->s = xrealloc(b->s, b->cap);
        vsnprintf(b->s + b->len, (size_t)n + 1, fmt, again);
    }
    va_end(again);
    if (n > 0)
        b->len += (size_t)n;
}

void buf_vprintf(Buf *b, const char *fmt, va_list ap)
{
    size_t start = b->len;
    va_list again;
    va_copy(again, ap);
    if (!simple_vprintf(b, fmt, ap)) {
        b->len = start;
        full_vprintf(b, fmt, again);
    }
    va_end(again);
}

void buf_printf(Buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* The whole file (NUL-terminated; its length in *len if len is not NULL),
 * or NULL with errno set. It is read straight into one buffer of the
 * size the file has (a large source would otherwise be copied as its
 * buffer grows), which grows only if the file does meanwhile. */
char *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    struct stat st;
    /* room for the file, its NUL and a byte that finds the end */
    size_t cap = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (size_t)st.st_size + 2 : 65536;
    char *s = xrealloc(NULL, cap);
    size_t n = 0;
    for (;;) {
        if (n + 1 >= cap) {
            cap *= 2;
            s = xrealloc(s, cap);
        }
        ssize_t r = read(fd, s + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno; /* EISDIR for a directory: say that */
            close(fd);
            free(s);
            errno = e;
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    s[n] = '\0';
    if (len)
        *len = n;
    return s;
}

/* Write all of data to fd: 0, or -1 with errno set. */
int write_all(int fd, const char *data, size_t len)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        done += (size_t)w;
    }
    return 0;
}

/* A child's exit status as a shell reports it (128 + signal). */
int wait_exit_status(int pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return 2;
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return 2;
}

/* Append `name` to a make-style dependency file as gcc writes it (libcpp's
 * mkdeps.c): a space or tab gets a backslash, and so does each backslash
 * right before it (make reads 2N+1 backslashes and a space as N
 * backslashes and the space); '#' is written '\#' and '$' '$$'. */
void buf_put_make_name(Buf *b, const char *name)
{
    for (const char *s = name; *s; s++) {
        if (*s == ' ' || *s == '\t') {
            for (const char *q = s; q > name && q[-1] == '\\'; q--)
                buf_put(b, "\\", 1);
            buf_put(b, "\\", 1);
        } else if (*s == '#') {
            buf_put(b, "\\", 1);
        } else if (*s == '$') {
            buf_put(b, "$", 1);
        }
        buf_put(b, s, 1);
    }
}

bool is_ident_char(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool text_has_word(const char *t, size_t b, size_t e, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = t + b, *end = t + e; (p = memmem(p, (size_t)(end - p), w, n)) != NULL; p++)
        if ((p == t + b || !is_ident_char(p[-1])) && (p + n == end || !is_ident_char(p[n])))
            return true;
    return false;
}

const char *const func_names[NFUNC_NAMES] = {"__func__", "__FUNCTION__", "__PRETTY_FUNCTION__"};

bool func_name_at(const char *t, size_t len, size_t off)
{
    for (size_t i = 0; i < NFUNC_NAMES; i++) {
        size_t n = strlen(func_names[i]);
        if (off + n <= len && memcmp(t + off, func_names[i], n) == 0 && (off + n == len || !is_ident_char(t[off + n])))
            return true;
    }
    return false;
}

/* Does the word w (a whole identifier) start at text[off]? */
bool word_in(const char *text, size_t len, size_t off, const char *w)
{
    size_t n = strlen(w);
    if (off + n > len || strncmp(text + off, w, n) != 0)
        return false;
    return off + n >= len || !is_ident_char(text[off + n]);
}
