/*
 * assert.c: what `assert(await f())` fails with.
 *
 * acc expands the C library's assert itself when its argument awaits (the
 * library's own expansion may test its argument twice, inside sizeof, or
 * in a statement expression): to `((e) ? (void)0 : acc__assert_fail("e",
 * __FILE__, __LINE__, __func__))`, which reports as glibc does and aborts.
 */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

void acc__assert_fail(const char *expr, const char *file, unsigned line, const char *func)
{
    fprintf(stderr, "%s:%u: %s: Assertion `%s' failed.\n", file, line, func, expr);
    fflush(stderr);
    abort();
}
