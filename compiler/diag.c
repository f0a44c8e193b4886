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

/* Diagnostics are kept and printed in source order by diag_flush(), ours
 * before clang's where both point at the same place (clang's is then the
 * consequence, e.g. of an await where C wants a constant). */
typedef struct Diag {
    int file_rank;      /* 0: the main file, 1: a header */
    unsigned line, col;
    int from_clang;
    bool from_lowering;
    int seq;            /* order of arrival: the last key of the sort */
    char *text;
} Diag;

static Diag *diags;
static int ndiags;
static bool lowering;
static int nlowering_errors;

static FILE *diag_buffer(char **text, size_t *len)
{
    return open_memstream(text, len);
}

static void keep(int file_rank, unsigned line, unsigned col, int from_clang, char *text)
{
    diags = xrealloc(diags, (size_t)(ndiags + 1) * sizeof *diags);
    diags[ndiags] = (Diag){file_rank, line, col, from_clang, lowering, ndiags, text};
    ndiags++;
}

static int diag_order(const void *a, const void *b)
{
    const Diag *x = a, *y = b;
    if (x->file_rank != y->file_rank)
        return x->file_rank - y->file_rank;
    if (x->line != y->line)
        return x->line < y->line ? -1 : 1;
    if (x->col != y->col)
        return x->col < y->col ? -1 : 1;
    if (x->from_clang != y->from_clang)
        return x->from_clang - y->from_clang;
    return x->seq - y->seq;
}

/* Is all[k] the consequence of another error that is shown? Clang's at
 * the place of acc's; acc's plain "'await' outside" where acc says more;
 * clang's "not a compile-time constant" on the line of an await in a
 * file-scope initializer; acc's "operand of 'await'" before a clang
 * error in that call. */
static bool shadowed(const Diag *all, int n, int k)
{
    const Diag *d = &all[k];
    int first = k, last = k; /* sorted: the diagnostics of d's line are around it */
    while (first > 0 && all[first - 1].file_rank == d->file_rank && all[first - 1].line == d->line)
        first--;
    while (last + 1 < n && all[last + 1].file_rank == d->file_rank && all[last + 1].line == d->line)
        last++;
    for (int i = first; i <= last; i++) {
        const Diag *o = &all[i];
        /* an await's operand that clang could not make a call of (a type
         * error in its arguments) is clang's to explain */
        if (o->from_clang && !d->from_clang && o->col > d->col &&
            strstr(d->text, MSG_AWAIT_OPERAND))
            return true;
        if (o == d || o->from_clang)
            continue;
        /* clang's error where acc's is; acc's plain "'await' outside an
         * async function" where acc says more of the same await */
        const char *outside = "error: " MSG_AWAIT_OUTSIDE;
        if (o->col == d->col &&
            (d->from_clang || (strstr(d->text, outside) && (!strstr(o->text, outside) || o->seq < d->seq))))
            return true;
        if (d->from_clang && strstr(d->text, "not a compile-time constant") && strstr(o->text, "'await'"))
            return true;
    }
    return false;
}

void diag_flush(void)
{
    if (analysis_error_count() > 0) {
        int kept = 0;
        for (int i = 0; i < ndiags; i++) {
            if (diags[i].from_lowering)
                free(diags[i].text);
            else
                diags[kept++] = diags[i];
        }
        ndiags = kept;
    }
    if (ndiags > 1) /* diags is NULL when there are none: qsort may not take it */
        qsort(diags, (size_t)ndiags, sizeof *diags, diag_order);
    for (int i = 0; i < ndiags; i++)
        if (!shadowed(diags, ndiags, i))
            fputs(diags[i].text, stderr);
    for (int i = 0; i < ndiags; i++)
        free(diags[i].text);
    free(diags);
    diags = NULL;
    ndiags = 0;
    fflush(stderr);
}

void diag_init(Source *src, const char *display_name)
{
    diag_src = src;
    diag_name = display_name;
}

int error_count(void)
{
    return nerrors;
}

int analysis_error_count(void)
{
    return nerrors - nlowering_errors;
}

void diag_set_lowering(bool on)
{
    lowering = on;
}

static void count_error(void)
{
    nerrors++;
    if (lowering)
        nlowering_errors++;
}

/* Line `line` (1-based) of the text as the user wrote it: [*b, *e) of the
 * returned text. */
static const char *user_line(unsigned line, unsigned *b, unsigned *e)
{
    const char *t = diag_src->orig_text ? diag_src->orig_text : diag_src->text;
    const unsigned *starts = diag_src->orig_text ? diag_src->orig_line_starts : diag_src->line_starts;
    *b = starts[line - 1];
    *e = *b;
    while (t[*e] != '\n' && t[*e] != '\0')
        (*e)++;
    return t;
}

/* A column of the text acc parsed, as a column of the user's line: where
 * expand.c replaced a macro invocation on the line, a column inside or
 * after it stands for the invocation's start (the first difference). */
static unsigned user_col(unsigned line, unsigned col)
{
    if (!diag_src || !diag_src->orig_text || line == 0 || line > diag_src->nlines)
        return col;
    unsigned ob, oe;
    const char *o = user_line(line, &ob, &oe);
    const char *t = diag_src->text + diag_src->line_starts[line - 1];
    unsigned same = 0;
    while (ob + same < oe && t[same] == o[ob + same])
        same++;
    if (ob + same == oe && (t[same] == '\n' || t[same] == '\0'))
        return col; /* the line was not rewritten */
    return col - 1 <= same ? col : same + 1;
}

static void show_line(FILE *out, unsigned line, unsigned col)
{
    if (!diag_src || line == 0 || line > diag_src->nlines)
        return;
    unsigned b, e;
    const char *t = user_line(line, &b, &e);
    fprintf(out, "%.*s\n", (int)(e - b), t + b);
    for (unsigned i = 1; i < col && b + i - 1 < e; i++)
        fputc(t[b + i - 1] == '\t' ? '\t' : ' ', out);
    fputs("^\n", out);
}

static void vreport(const char *file, unsigned line, unsigned col, const char *kind,
                    const char *fmt, va_list ap, bool caret)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = diag_buffer(&text, &len);
    fprintf(out, "%s:%u:%u: %s: ", file, line, col, kind);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    if (caret)
        show_line(out, line, col);
    fclose(out);
    keep(0, line, col, 0, text);
}

void error_in_file(const char *file, unsigned line, unsigned col, const char *fmt, ...)
{
    va_list ap;
    char *text = NULL;
    size_t len = 0;
    FILE *out = diag_buffer(&text, &len);
    fprintf(out, "%s:%u:%u: error: ", file, line, col);
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    fputc('\n', out);
    fclose(out);
    keep(1, line, col, 0, text);
    count_error();
}

void error_at(unsigned offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    unsigned line = line_of(diag_src, offset);
    vreport(diag_name, line, user_col(line, col_of(diag_src, offset)), "error", fmt, ap, true);
    va_end(ap);
    count_error();
}

void warning_at(unsigned offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    unsigned line = line_of(diag_src, offset);
    vreport(diag_name, line, user_col(line, col_of(diag_src, offset)),
            warnings_are_errors ? "error" : "warning", fmt, ap, true);
    va_end(ap);
    if (warnings_are_errors)
        count_error();
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
    if (in_main)
        col = user_col(line, col);
    char *text = NULL;
    size_t len = 0;
    FILE *out = diag_buffer(&text, &len);
    if (in_main || !file) {
        fprintf(out, "%s:%u:%u: error: %s\n", diag_name, line, col, msg);
        if (in_main)
            show_line(out, line, col);
    } else {
        char *fname = cx_str(clang_getFileName(file));
        fprintf(out, "%s:%u:%u: error: %s\n", fname, line, col, msg);
        free(fname);
    }
    fclose(out);
    keep(in_main || !file ? 0 : 1, line, col, 1, text);
    free(msg);
    count_error();
}
