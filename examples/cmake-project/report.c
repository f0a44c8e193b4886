/*
 * report.c: a plain C file in an async-C program. It is compiled as C, with
 * no translation, and does not include jobs.h.
 */
#include "report.h"

#include <stdio.h>

void report(const char *what, int value)
{
    printf("%s: %d\n", what, value);
    fflush(stdout);
}
