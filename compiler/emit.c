/*
 * emit.c: the output file, and the #line directives that tie it to the
 * source.
 *
 * Text outside async functions is copied as written. Each async function
 * definition is replaced by its lowered form (lower.c), each async
 * prototype by the prototype of its entry function: a struct, union or enum
 * their specifiers define goes before, and a declaration of several
 * declarators is split (split_declarator). Lines we generate point
 * back at the output file itself (as re2c does), so that a debugger or a
 * compiler message about generated code shows generated code.
 */
#include "compiler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *render_plain(Program *p, Node *n);

static bool at_line_start(Out *o)
{
    return !o->mid_line;
}

/* A streamed output is written in pieces of about this size: they stay in
 * the cache, where a whole large output would not (and would fault in a
 * page at every 4 KB of it). */
enum { STREAM_PIECE = 1 << 18 };

static void put_piece(Out *o, const char *s, size_t n)
{
    buf_put(&o->buf, s, n);
    if (n)
        o->mid_line = s[n - 1] != '\n';
    if (o->streams && o->buf.len >= STREAM_PIECE) {
        if (!o->write_errno && write_all(o->fd, o->buf.s, o->buf.len) < 0)
            o->write_errno = errno;
        o->buf.len = 0;
    }
}

static void new_lines(Out *o, unsigned k)
{
    o->out_line += k;
    if (o->mapped)
        o->mapped += k;
}

static void raw(Out *o, const char *s, size_t n)
{
    put_piece(o, s, n);
    for (const char *p = s, *end = s + n; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
        new_lines(o, 1);
}

/* Text that is already laid out (a lowered body with its own #line):
 * its lines are counted, and where it leaves the mapping is known. */
void out_append(Out *o, const Out *part)
{
    put_piece(o, part->buf.s, part->buf.len);
    o->out_line += part->out_line - 1;
    o->mapped = part->mapped;
    o->mapped_file = part->mapped_file;
}

/* A file name as a string literal. Nearly every directive names the
 * same file as the one before, whose literal is kept. */
static void put_quoted(Out *o, const char *name)
{
    static char *last;
    static Buf quoted;
    if (!last || strcmp(last, name) != 0) {
        free(last);
        last = xstrdup(name);
        quoted.len = 0;
        buf_put(&quoted, "\"", 1);
        for (const char *c = name; *c;) {
            size_t plain = strcspn(c, "\"\\");
            buf_put(&quoted, c, plain);
            c += plain;
            if (*c) {
                buf_put(&quoted, "\\", 1);
                buf_put(&quoted, c++, 1);
            }
        }
        buf_put(&quoted, "\"", 1);
    }
    raw(o, quoted.s, quoted.len);
}

/* Directives are written lazily, just before the text they describe, so
 * that one directive stands where several requests met. */
static void flush_line_directive(Out *o)
{
    if (!o->pending)
        return;
    o->pending = false;
    const char *want_file = o->want == 0 ? NULL : o->want_file ? o->want_file : o->src_name;
    if (!o->lines || (o->want == o->mapped && want_file == o->mapped_file))
        return;
    char num[32];
    char *d = num + sizeof num;
    *--d = ' ';
    unsigned line = o->want == 0 ? o->out_line + 1 : o->want;
    do
        *--d = (char)('0' + line % 10);
    while (line /= 10);
    put_piece(o, "#line ", 6);
    put_piece(o, d, (size_t)(num + sizeof num - d));
    put_quoted(o, o->want == 0 ? o->out_name : want_file);
    raw(o, "\n", 1);
    o->mapped = o->want;
    o->mapped_file = want_file;
}

static void indent(Out *o, int depth)
{
    static const char spaces[] = "                                                                ";
    size_t n = (size_t)depth * 4;
    for (; n > sizeof spaces - 1; n -= sizeof spaces - 1)
        put_piece(o, spaces, sizeof spaces - 1);
    put_piece(o, spaces, n);
}

void out_text(Out *o, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t j = nl ? (size_t)(nl - s) + 1 : n; /* through the newline */
        if (at_line_start(o)) {
            flush_line_directive(o);
            if (o->auto_indent) {
                /* indent generated statements by their brace depth */
                if (i < j && s[i] == '}' && o->depth > 0)
                    o->depth--;
                if (i < j && s[i] != '\n' && s[i] != '#')
                    indent(o, o->depth);
            }
        }
        put_piece(o, s + i, j - i); /* one line: its newline is the last character */
        if (nl)
            new_lines(o, 1);
        if (o->auto_indent && j - i >= 2 && s[j - 1] == '\n' && s[j - 2] == '{')
            o->depth++;
        i = j;
    }
}

void out_str(Out *o, const char *s)
{
    out_text(o, s, strlen(s));
}

void out_printf(Out *o, const char *fmt, ...)
{
    static Buf scratch; /* reused: no allocation once it is big enough */
    va_list ap;
    scratch.len = 0;
    va_start(ap, fmt);
    buf_vprintf(&scratch, fmt, ap);
    va_end(ap);
    out_text(o, scratch.s, scratch.len);
}

static void sync_file_line(Out *o, const char *file, unsigned line)
{
    if (!at_line_start(o) && o->lines && !o->pending && o->mapped == line && o->mapped_file == file)
        return; /* the current line already maps there: stay on it */
    if (!at_line_start(o))
        raw(o, "\n", 1);
    o->want = line;
    o->want_file = file;
    o->pending = true;
}

void out_sync(Out *o, unsigned line)
{
    sync_file_line(o, o->src_name, line);
}

/* One copy of each file name #line directives use, so that names compare
 * as pointers. */
static const char *intern(const char *name, const char *main_name)
{
    static char **names;
    static int nnames;
    if (strcmp(name, main_name) == 0)
        return main_name;
    for (int i = 0; i < nnames; i++)
        if (strcmp(names[i], name) == 0)
            return names[i];
    names = xrealloc(names, (size_t)(nnames + 1) * sizeof *names);
    return names[nnames++] = xstrdup(name);
}

static const char *presumed_location(Out *o, Source *src, unsigned off, unsigned *line)
{
    CXString f;
    unsigned col;
    clang_getPresumedLocation(clang_getLocationForOffset(src->tu, src->file, off), &f, line, &col);
    const char *name = clang_getCString(f);
    const char *file = intern(name && *name ? name : o->src_name, o->src_name);
    clang_disposeString(f);
    return file;
}

void out_sync_at(Out *o, Source *src, unsigned off)
{
    /* Asking clang costs a thousand instructions; without line directives
     * the line is the offset's own and the file name is the main file's. */
    static const char *main_file;
    static Source *main_src;
    unsigned line;
    if (!src->lines_as_written) {
        const char *file = presumed_location(o, src, off, &line);
        sync_file_line(o, file, line);
        return;
    }
    if (main_src != src) {
        main_file = presumed_location(o, src, 0, &line);
        main_src = src;
    }
    sync_file_line(o, main_file, line_of(src, off));
}

void out_generated(Out *o)
{
    if (!at_line_start(o))
        raw(o, "\n", 1);
    o->want = 0;
    o->pending = true;
}

/* ---- the program ---------------------------------------------------------- */

struct Emit {
    Program *p;
    Out o;
    unsigned pos;        /* source text before this is done */
    bool have_acc_h;     /* `#include <acc.h>` written */
    bool *declared;      /* per async function: its entry is declared */
    /* The declaration the last top-level node belongs to: the declarators
     * of `async int f(int), g(int);` are nodes of their own, each spanning
     * from the declaration's start to its own end. */
    unsigned decl_b, decl_e; /* the last node's region */
    bool decl_declarator;    /* the last node declares a function or a variable */
    bool decl_closed;        /* its declaration was ended early: the text
                              * of a declarator was replaced, specifiers and all */
};

static int fn_index(Program *p, AsyncFn *fn)
{
    (void)p;
    return fn->index;
}

static void copy_to(Emit *E, unsigned off)
{
    if (off > E->pos) {
        const char *t = E->p->src->text + E->pos;
        size_t n = off - E->pos;
        out_text(&E->o, t, n);
        /* a #line of the user's in the copied text: where it maps now is
         * the C preprocessor's business; our next sync writes a directive */
        for (const char *p = t; (p = memchr(p, '#', (size_t)(t + n - p))) != NULL; p++) {
            const char *q = p + 1;
            while (q < t + n && (*q == ' ' || *q == '\t'))
                q++;
            if ((q < t + n && *q >= '0' && *q <= '9') || (t + n - q >= 4 && strncmp(q, "line", 4) == 0))
                E->o.mapped = (unsigned)-1;
        }
        E->pos = off;
    }
}

/* Does the source include acc.h itself before `off`? */
static bool includes_acc_h(Source *src, unsigned off)
{
    for (size_t l = 0; l < src->nlines && src->line_starts[l] < off; l++) {
        const char *p = src->text + src->line_starts[l];
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '#')
            continue;
        for (p++; *p == ' ' || *p == '\t'; p++)
            ;
        if (strncmp(p, "include", 7) != 0)
            continue;
        for (p += 7; *p == ' ' || *p == '\t'; p++)
            ;
        if (strncmp(p, "<acc.h>", 7) == 0 || strncmp(p, "\"acc.h\"", 7) == 0)
            return true;
    }
    return false;
}

static void need_acc_h(Emit *E)
{
    if (E->have_acc_h)
        return;
    if (includes_acc_h(E->p->src, E->pos)) {
        E->have_acc_h = true;
        return;
    }
    out_generated(&E->o);
    out_str(&E->o, "#include <acc.h>\n");
    E->have_acc_h = true;
}

/* Every async function's entry spells its result and parameter types;
 * a type C cannot name there (an unnamed struct that a header's
 * declaration holds) is reported rather than guessed. A definition's
 * parameters are reported with its frame. */
static void check_entry_types(AsyncFn *fn)
{
    static bool *reported;
    static int nreported;
    if (fn->index >= nreported) {
        reported = xrealloc(reported, (size_t)(fn->index + 1) * sizeof *reported);
        memset(reported + nreported, 0, (size_t)(fn->index + 1 - nreported) * sizeof *reported);
        nreported = fn->index + 1;
    }
    if (fn->from_runtime || reported[fn->index])
        return;
    reported[fn->index] = true;
    const char *what = NULL;
    char *d = fn->returns_void ? NULL : declare_member(fn->ret, "");
    if (!fn->returns_void && !d)
        what = "the result type";
    free(d);
    for (int i = 0; i < fn->nparams && !what && !fn->defined_here; i++) {
        d = declare_param(fn->param_types[i], "", false);
        if (!d)
            what = "the type of a parameter";
        free(d);
    }
    if (!what)
        return;
    const char *msg = "acc cannot name %s of async function '%s' in the C it generates (an unnamed "
                      "struct, union or enum): give the type a tag";
    CXFile f;
    unsigned line, col, off;
    clang_getExpansionLocation(clang_getCursorLocation(fn->decl), &f, &line, &col, &off);
    if (fn->declared_in_main || fn->defined_here) {
        error_at(off, msg, what, fn->name);
    } else {
        char *file = cx_str(clang_getFileName(f));
        error_in_file(file, line, col, msg, what, fn->name);
        free(file);
    }
}

/* The entry prototype of `fn`, unless this output has declared it. */
static void declare_entry(Emit *E, AsyncFn *fn, bool *wrote)
{
    int i = fn_index(E->p, fn);
    if (fn->from_runtime || i < 0 || E->declared[i])
        return;
    need_acc_h(E);
    check_entry_types(fn);
    out_generated(&E->o);
    emit_entry_prototype(fn, &E->o, false);
    out_str(&E->o, ";\n");
    if (fn->defined_here && !fn->lowered)
        out_printf(&E->o, "static int %s__step(acc_frame *acc_base);\n", fn->name);
    E->declared[i] = true;
    *wrote = true;
}

/* Entry prototypes for the async functions whose entries `n` uses and
 * that this output has not declared yet (declared only in a header, or
 * static with the entry at the end). A call whose frame is built without
 * the entry (in the awaiting frame, or in a task's block) uses none. */
static void declare_callees(Emit *E, Node *n, bool *wrote)
{
    mark_frames_built(n);
    if (n->role == ROLE_CORO_CALL && n->callee && !n->frame_built)
        declare_entry(E, n->callee, wrote);
    else if (n->role == ROLE_FN_REF) {
        AsyncFn *fn = find_async_fn(E->p, clang_getCursorReferenced(n->cur));
        if (fn)
            declare_entry(E, fn, wrote);
    }
    for (int k = 0; k < n->nkids; k++)
        declare_callees(E, n->kids[k], wrote);
}

/* Does plain code need rewriting: a form, an async function named as a
 * value? */
static bool needs_render(Node *n)
{
    if (n->role == ROLE_FORM || n->role == ROLE_FN_REF)
        return true;
    for (int i = 0; i < n->nkids; i++)
        if (needs_render(n->kids[i]))
            return true;
    return false;
}

/* Does `n` call an async function or name one as a value? */
static bool uses_async_fn(Node *n)
{
    if (n->role == ROLE_CORO_CALL || n->role == ROLE_FN_REF)
        return true;
    for (int i = 0; i < n->nkids; i++)
        if (uses_async_fn(n->kids[i]))
            return true;
    return false;
}

Emit *emit_begin(Program *p, bool lines, const char *out_name, int fd)
{
    Emit *E = xcalloc(1, sizeof *E);
    E->p = p;
    E->o = (Out){.lines = lines, .src_name = p->src->path, .out_name = out_name, .out_line = 1,
                 .fd = fd, .streams = fd >= 0};
    E->declared = xcalloc((size_t)p->nfns + 1, sizeof *E->declared);
    Out *o = &E->o;

    out_printf(o, "/* Generated by acc %s from %s. Do not edit. */\n", ACC_VERSION, p->src->path);
    out_str(o, "#define async /* async prototypes in headers declare nothing C uses */\n");
    out_sync_at(o, p->src, 0);
    return E;
}

static bool is_declarator(Node *t)
{
    return t->kind == CXCursor_FunctionDecl || t->kind == CXCursor_VarDecl;
}

/* A declarator after the first of a declaration (`g(int)` in `async int
 * f(int), g(int);`) that cannot stay in it: an async function, whose
 * declaration is replaced, or one after such, whose specifiers are gone,
 * or one that names an async function. The declaration is ended before
 * it, and it is declared as if alone: an async function as below, any
 * other name with its type spelled out. The source's `;` ends the last. */
static bool split_declarator(Emit *E, Node *t, AsyncFn *fn)
{
    Program *p = E->p;
    Out *o = &E->o;
    const Region *r = region(t);
    if (!is_declarator(t) || !E->decl_declarator || r->b != E->decl_b || r->e <= E->decl_e)
        return false;
    if (!fn && !E->decl_closed && !uses_async_fn(t))
        return true; /* stays in the declaration, copied as written */
    copy_to(E, E->decl_e);
    out_str(o, ";");
    E->pos = r->e;
    E->decl_closed = true;
    bool wrote = false;
    declare_callees(E, t, &wrote);
    need_acc_h(E);
    out_sync_at(o, p->src, name_offset(t->cur));
    if (fn) {
        check_entry_types(fn);
        if (!at_line_start(o))
            out_str(o, " ");
        if (fn->defined_here && entry_at_end(fn)) {
            out_printf(o, "static int %s__step(acc_frame *acc_base)", fn->name);
        } else {
            emit_entry_prototype(fn, o, true);
            if (fn->defined_here)
                out_printf(o, "; static int %s__step(acc_frame *acc_base)", fn->name);
            E->declared[fn_index(p, fn)] = true;
        }
        return true;
    }
    /* a variable: its storage class and type, then its initializer */
    char *name = cx_str(clang_getCursorSpelling(t->cur));
    char *d = declare(clang_getCursorType(t->cur), name);
    if (!d) {
        error_at(name_offset(t->cur), "acc cannot spell the type of '%s' in the C it generates; "
                                      "declare it in a declaration of its own", name);
        free(name);
        return true;
    }
    enum CX_StorageClass sc = clang_Cursor_getStorageClass(t->cur);
    if (!at_line_start(o))
        out_str(o, " ");
    out_printf(o, "%s%s", sc == CX_SC_Extern ? "extern " : sc == CX_SC_Static ? "static " : "", d);
    CXCursor init = clang_Cursor_getVarDeclInitializer(t->cur);
    for (int i = t->nkids - 1; i >= 0 && !clang_Cursor_isNull(init); i--)
        if (clang_equalCursors(t->kids[i]->cur, init)) {
            char *text = render_plain(p, t->kids[i]);
            out_printf(o, " = %s", text);
            free(text);
            break;
        }
    free(d), free(name);
    return true;
}

void emit_top(Emit *E, Node *t)
{
    Program *p = E->p;
    Out *o = &E->o;
    if (!region(t)->in_main)
        return;
    AsyncFn *fn = t->kind == CXCursor_FunctionDecl ? find_async_fn(p, t->cur) : NULL;
    bool later = split_declarator(E, t, fn);
    E->decl_b = region(t)->b;
    E->decl_e = region(t)->e;
    E->decl_declarator = is_declarator(t);
    if (later)
        return;
    E->decl_closed = fn != NULL;
    if (region(t)->b < E->pos)
        return;
    bool is_def = fn && clang_isCursorDefinition(t->cur);
    bool wrote = false;
    if (fn || uses_async_fn(t)) {
        copy_to(E, region(t)->b);
        if (fn)
            need_acc_h(E);
        declare_callees(E, t, &wrote);
        /* a struct, union or enum the declaration defines (`async struct
         * P {...} f(void)`) stays at file scope, before what replaces it */
        for (int i = 0; fn && i < t->nkids; i++) {
            Node *k = t->kids[i];
            if ((k->kind == CXCursor_StructDecl || k->kind == CXCursor_UnionDecl || k->kind == CXCursor_EnumDecl) &&
                clang_isCursorDefinition(k->cur) && region(k)->in_main) {
                char *text = declared_tag_text(p, fn, k);
                out_sync_at(o, p->src, region(k)->b);
                out_str(o, text);
                out_str(o, ";\n");
                free(text);
                wrote = true;
            }
        }
        if (fn)
            check_entry_types(fn);
        if (wrote || fn)
            out_sync_at(o, p->src, region(t)->b);
    }
    if (is_def) {
        lower_async_fn(p, fn, o);
        if (!entry_at_end(fn))
            E->declared[fn_index(p, fn)] = true;
        E->pos = region(t)->e;
        out_sync_at(o, p->src, region(t)->e);
    } else if (fn && fn->defined_here && entry_at_end(fn)) {
        /* its entry is declared where something uses it: declare the step */
        out_printf(o, "static int %s__step(acc_frame *acc_base)", fn->name);
        E->pos = region(t)->e;
    } else if (fn) {
        emit_entry_prototype(fn, o, true);
        /* defined below: its step function is called directly (lower.c) */
        if (fn->defined_here)
            out_printf(o, "; static int %s__step(acc_frame *acc_base)", fn->name);
        E->declared[fn_index(p, fn)] = true;
        E->pos = region(t)->e;
    } else if (needs_render(t)) {
        copy_to(E, region(t)->b);
        need_acc_h(E);
        char *text = render_plain(p, t);
        emit_conversions(p, o); /* the coroutines its forms use */
        out_sync_at(o, p->src, region(t)->b);
        out_str(o, text);
        free(text);
        E->pos = region(t)->e;
    }
}

char *emit_end(Emit *E, size_t *len, int *write_errno)
{
    Out *o = &E->o;
    copy_to(E, (unsigned)E->p->src->len);
    if (!at_line_start(o))
        out_str(o, "\n");
    /* the static entries that something used (declared above) */
    bool first = true;
    for (int i = 0; i < E->p->nfns; i++) {
        AsyncFn *fn = E->p->fns[i];
        if (fn->defined_here && fn->lowered && entry_at_end(fn) && E->declared[i]) {
            if (first)
                out_generated(o);
            first = false;
            emit_entry(fn, o);
        }
    }
    char *text = o->buf.s ? o->buf.s : xstrdup("");
    *len = o->buf.len;
    *write_errno = o->write_errno;
    free(E->declared);
    free(E);
    return text;
}
