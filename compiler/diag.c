/*
 * diag.c: every diagnostic the translator prints, in one format:
 *     FILE:LINE:COL: error: MESSAGE
 *     <the source line>
 *     <a caret under the column>
 * FILE is the name given on the command line. clang's own diagnostics are
 * printed the same way, with clang's message.
 */
#include "compiler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Source *diag_src;
static const char *diag_name;
static int nerrors;
bool warnings_are_errors;

void diag_init(Source *src, const char *display_name)
{
    diag_src = src;
    diag_name = display_name;
}

int error_count(void)
{
    return nerrors;
}

static void show_line(unsigned line, unsigned col)
{
    if (!diag_src || line == 0 || line > diag_src->nlines)
        return;
    unsigned b = diag_src->line_starts[line - 1];
    unsigned e = b;
    while (e < diag_src->len && diag_src->text[e] != '\n')
        e++;
    fprintf(stderr, "%.*s\n", (int)(e - b), diag_src->text + b);
    for (unsigned i = 1; i < col && b + i - 1 < e; i++)
        fputc(diag_src->text[b + i - 1] == '\t' ? '\t' : ' ', stderr);
    fputs("^\n", stderr);
}

static void vreport(const char *file, unsigned line, unsigned col, const char *kind,
                    const char *fmt, va_list ap, bool caret)
{
    fprintf(stderr, "%s:%u:%u: %s: ", file, line, col, kind);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    if (caret)
        show_line(line, col);
}

void error_at_line(unsigned line, unsigned col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(diag_name, line, col, "error", fmt, ap, true);
    va_end(ap);
    nerrors++;
}

void error_at(unsigned offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(diag_name, line_of(diag_src, offset), col_of(diag_src, offset), "error", fmt, ap, true);
    va_end(ap);
    nerrors++;
}

void warning_at(unsigned offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(diag_name, line_of(diag_src, offset), col_of(diag_src, offset),
            warnings_are_errors ? "error" : "warning", fmt, ap, true);
    va_end(ap);
    if (warnings_are_errors)
        nerrors++;
}

/* clang's errors (and fatal errors) are ours; its warnings are left to the
 * C compiler that reads our output, which sees the same code. */
void report_clang_diag(CXDiagnostic d)
{
    enum CXDiagnosticSeverity sev = clang_getDiagnosticSeverity(d);
    if (sev < CXDiagnostic_Error)
        return;
    CXFile file;
    unsigned line, col, off;
    clang_getSpellingLocation(clang_getDiagnosticLocation(d), &file, &line, &col, &off);
    char *msg = cx_str(clang_getDiagnosticSpelling(d));
    bool in_main = diag_src && file && clang_File_isEqual(file, diag_src->file);
    if (in_main || !file) {
        fprintf(stderr, "%s:%u:%u: error: %s\n", diag_name, line, col, msg);
        if (in_main)
            show_line(line, col);
    } else {
        char *fname = cx_str(clang_getFileName(file));
        fprintf(stderr, "%s:%u:%u: error: %s\n", fname, line, col, msg);
        free(fname);
    }
    free(msg);
    nerrors++;
}
