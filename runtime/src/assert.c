/*
 * assert.c: what an assert in an async function fails with.
 *
 * acc expands the C library's assert itself in async bodies: when its
 * argument awaits (the library's own expansion may test its argument
 * twice, inside sizeof, or in a statement expression) to `((e) ? (void)0 :
 * acc__assert_fail("e", __FILE__, __LINE__, __func__))`, and otherwise
 * writes it as acc.h's `acc__assert(e, "e", name)`, so that the report
 * names the async function rather than its step function. It reports as glibc
 * does (`prog: file:line: func: Assertion `e' failed.`) and aborts.
 */
#include <errno.h> /* glibc's program_invocation_short_name (_GNU_SOURCE) */
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

/* The program's name, which glibc's and the BSDs' reports start with. */
static const char *program_name(void)
{
#if defined(__GLIBC__)
    return program_invocation_short_name;
#elif defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || \
    defined(__DragonFly__)
    return getprogname();
#else
    return "";
#endif
}

void acc__assert_fail(const char *expr, const char *file, unsigned line, const char *func)
{
    const char *prog = program_name();

    fprintf(stderr, "%s%s%s:%u: %s: Assertion `%s' failed.\n", prog, *prog ? ": " : "", file, line, func,
            expr);
    fflush(stderr);
    abort();
}
