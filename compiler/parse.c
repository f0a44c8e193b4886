/*
 * parse.c: libclang reads the .acc file and we mirror what we need.
 *
 * clang does not know the dialect's keywords, so a prelude injected with
 * -include spells them in C that clang accepts and that we can find again:
 *     async  ->  __attribute__((annotate("acc.async")))   (on the declaration)
 *     await  ->  __extension__                             (a unary operator)
 * With that, clang type-checks the whole file as C: `await f(x)` has the
 * type of f's result, exactly as in async-C.
 */
#include "compiler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PRELUDE_PATH "/acc-prelude/acc_prelude.h"

static const char prelude[] =
    "#define async __attribute__((annotate(\"acc.async\")))\n"
    "#define await __extension__\n";

char *cx_str(CXString s)
{
    const char *c = clang_getCString(s);
    char *d = xstrdup(c ? c : "");
    clang_disposeString(s);
    return d;
}

static void index_lines(Source *src)
{
    size_t cap = 64;
    src->line_starts = xrealloc(NULL, cap * sizeof *src->line_starts);
    src->nlines = 0;
    src->line_starts[src->nlines++] = 0;
    const char *t = src->text, *end = t + src->len;
    for (const char *p = t; (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++) {
        if (src->nlines == cap) {
            cap *= 2;
            src->line_starts = xrealloc(src->line_starts, cap * sizeof *src->line_starts);
        }
        src->line_starts[src->nlines++] = (unsigned)(p - t) + 1;
    }
}

/* Could the text hold a #line directive or a GNU line marker (`# 12`)?
 * Any '#' (or %: or ??=) followed, past blanks, comments and line
 * splices, by `line` or a digit counts, even inside a comment or a string.
 * A lone CR ends a line for clang but not for line_of. */
static bool may_renumber_lines(Source *src)
{
    const char *t = src->text, *end = t + src->len;
    for (const char *p = t; p < end; p++) {
        p += strcspn(p, "\r#%?"); /* the text ends in a NUL: so does this */
        if (p >= end)
            break;
        if (*p == '\r' && (p + 1 == end || p[1] != '\n'))
            return true;
        const char *q;
        if (*p == '#')
            q = p + 1;
        else if (*p == '%' && p + 1 < end && p[1] == ':')
            q = p + 2;
        else if (*p == '?' && end - p >= 3 && p[1] == '?' && p[2] == '=')
            q = p + 3;
        else
            continue;
        for (;;) {
            if (q < end && (*q == ' ' || *q == '\t'))
                q++;
            else if (q + 1 < end && *q == '\\' && (q[1] == '\n' || q[1] == '\r'))
                return true; /* a spliced directive: do not guess */
            else if (q + 1 < end && *q == '/' && q[1] == '*') {
                const char *c = strstr(q + 2, "*/");
                q = c ? c + 2 : end;
            } else
                break;
        }
        if (q < end && ((*q >= '0' && *q <= '9') || (end - q >= 4 && strncmp(q, "line", 4) == 0)))
            return true;
    }
    return false;
}

unsigned line_of(Source *src, unsigned off)
{
    /* Offsets come mostly in order: the lines at and after the last
     * answer are looked at first. */
    static size_t last;
    const unsigned *starts = src->line_starts;
    if (last < src->nlines && starts[last] <= off) {
        for (size_t k = last; k < src->nlines && k < last + 4; k++)
            if (k + 1 == src->nlines || starts[k + 1] > off) {
                last = k;
                return (unsigned)k + 1;
            }
    }
    size_t lo = 0, hi = src->nlines;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (src->line_starts[mid] <= off)
            lo = mid;
        else
            hi = mid;
    }
    last = lo;
    return (unsigned)lo + 1;
}

unsigned col_of(Source *src, unsigned off)
{
    return off - src->line_starts[line_of(src, off) - 1] + 1;
}

size_t first_invocation_from(Source *src, unsigned off)
{
    size_t lo = 0, hi = src->nmacros;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (src->macros[mid].b < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The end of the macro invocation that starts at `start` (or `fallback`). */
static unsigned invocation_end(Source *src, unsigned start, unsigned fallback)
{
    size_t lo = first_invocation_from(src, start);
    if (lo < src->nmacros && src->macros[lo].b == start)
        return src->macros[lo].e;
    return fallback;
}

static enum CXChildVisitResult note_macro(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    Source *src = data;
    if (clang_getCursorKind(c) != CXCursor_MacroExpansion)
        return CXChildVisit_Continue;
    CXSourceRange r = clang_getCursorExtent(c);
    CXFile f;
    unsigned b, e;
    clang_getExpansionLocation(clang_getRangeStart(r), &f, NULL, NULL, &b);
    if (!f || !clang_File_isEqual(f, src->file))
        return CXChildVisit_Continue;
    clang_getExpansionLocation(clang_getRangeEnd(r), NULL, NULL, NULL, &e);
    if (src->nmacros == src->macros_cap) {
        src->macros_cap = src->macros_cap ? 2 * src->macros_cap : 64;
        src->macros = xrealloc(src->macros, src->macros_cap * sizeof *src->macros);
        src->macro_cursors = xrealloc(src->macro_cursors, src->macros_cap * sizeof *src->macro_cursors);
    }
    src->macro_cursors[src->nmacros] = c;
    src->macros[src->nmacros++] = (Token){b, e, CXToken_Identifier};
    return CXChildVisit_Continue;
}

/* Parse the main file, or `text` in its place (same length, so every
 * offset is the same in both). */
static CXTranslationUnit parse_tu(Source *src, const char *display, const char **args, int n,
                                  const char *text)
{
    static CXIndex index;
    if (!index)
        index = clang_createIndex(0, 0);
    struct CXUnsavedFile unsaved[2] = {{PRELUDE_PATH, prelude, sizeof prelude - 1},
                                       {src->path, text, (unsigned long)src->len}};
    CXTranslationUnit tu = NULL;
    enum CXErrorCode rc = clang_parseTranslationUnit2(
        index, src->path, args, n, unsaved, text ? 2 : 1,
        CXTranslationUnit_DetailedPreprocessingRecord | CXTranslationUnit_KeepGoing, &tu);
    if (rc != CXError_Success || !tu) {
        fprintf(stderr, "acc: error: clang could not parse '%s'\n", display);
        exit(2);
    }
    src->file = clang_getFile(tu, src->path);
    return tu;
}

Source *parse_file(const char *path, const char *display, int argc, const char *const *argv)
{
    Source *src = xcalloc(1, sizeof *src);
    src->path = path;
    src->text = read_file(path, &src->len);
    if (!src->text) {
        fprintf(stderr, "acc: error: cannot read '%s': %s\n", display, strerror(errno));
        exit(2);
    }
    index_lines(src);
    src->lines_as_written = !may_renumber_lines(src);
    diag_init(src, display);

    const char **args = xcalloc((size_t)argc + 8, sizeof *args);
    int n = 0;
    args[n++] = "-x";
    args[n++] = "c";
    args[n++] = "-D__ACC__=1";
    args[n++] = "-include";
    args[n++] = PRELUDE_PATH;
    for (int i = 0; i < argc; i++)
        args[n++] = argv[i];

    src->tu = parse_tu(src, display, args, n, NULL);
    /* macro invocations in the main file, in order (the visit is in order) */
    clang_visitChildren(clang_getTranslationUnitCursor(src->tu), note_macro, src);
    size_t len;
    char *expanded;
    for (int round = 0; (expanded = expand_macros(src, &len, round)) != NULL; round++) {
        if (!src->orig_text) { /* kept for diagnostics: they show the user's lines */
            src->orig_text = src->text;
            src->orig_line_starts = src->line_starts;
            src->line_starts = NULL;
        } else {
            free(src->text);
        }
        src->text = expanded;
        src->len = len;
        free(src->line_starts);
        index_lines(src);
        src->lines_as_written = !may_renumber_lines(src);
        clang_disposeTranslationUnit(src->tu);
        src->tu = parse_tu(src, display, args, n, src->text);
        src->nmacros = 0;
        clang_visitChildren(clang_getTranslationUnitCursor(src->tu), note_macro, src);
    }
    char *retyped = retype_awaitable_awaits(src);
    if (retyped) {
        clang_disposeTranslationUnit(src->tu);
        src->tu = parse_tu(src, display, args, n, retyped);
        free(retyped);
        src->nmacros = 0;
        clang_visitChildren(clang_getTranslationUnitCursor(src->tu), note_macro, src);
    }
    free(args);
    return src;
}

/* The prelude's `__extension__`, the await of the dialect, is the one
 * token there spelled in the prelude, wherever its cursor was expanded:
 * in the main file, or in any macro's definition. */
bool is_prelude_token(Source *src, CXCursor c)
{
    CXToken *t = clang_getToken(src->tu, clang_getCursorLocation(c));
    if (!t)
        return false;
    CXFile f;
    clang_getExpansionLocation(clang_getTokenLocation(src->tu, *t), &f, NULL, NULL, NULL);
    bool is = false;
    if (f) {
        char *name = cx_str(clang_getFileName(f));
        is = strcmp(name, PRELUDE_PATH) == 0;
        free(name);
    }
    clang_disposeTokens(src->tu, t, 1);
    return is;
}

typedef struct ChildOfKind {
    enum CXCursorKind kind;
    CXCursor found;
} ChildOfKind;

static enum CXChildVisitResult child_of_kind(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    ChildOfKind *k = data;
    if (k->kind != 0 && clang_getCursorKind(c) != k->kind)
        return CXChildVisit_Continue;
    k->found = c;
    return CXChildVisit_Break;
}

CXCursor first_child(CXCursor parent, enum CXCursorKind kind)
{
    ChildOfKind k = {kind, clang_getNullCursor()};
    clang_visitChildren(parent, child_of_kind, &k);
    return k.found;
}

unsigned ident_end(Source *src, unsigned off)
{
    while (off < src->len && is_ident_char(src->text[off]))
        off++;
    return off;
}

unsigned name_offset(CXCursor c)
{
    unsigned off;
    clang_getExpansionLocation(clang_getCursorLocation(c), NULL, NULL, NULL, &off);
    return off;
}

bool in_skipped_block(Source *src, unsigned off)
{
    if (!src->skipped_read) {
        src->skipped_read = true;
        CXSourceRangeList *list = clang_getSkippedRanges(src->tu, src->file);
        if (list) {
            src->skipped = xcalloc((size_t)list->count * 2 + 2, sizeof *src->skipped);
            for (unsigned i = 0; i < list->count; i++) {
                clang_getSpellingLocation(clang_getRangeStart(list->ranges[i]), NULL, NULL, NULL,
                                          &src->skipped[2 * i]);
                clang_getSpellingLocation(clang_getRangeEnd(list->ranges[i]), NULL, NULL, NULL,
                                          &src->skipped[2 * i + 1]);
            }
            src->nskipped = list->count;
            clang_disposeSourceRangeList(list);
        }
    }
    for (size_t i = 0; i < src->nskipped; i++)
        if (off >= src->skipped[2 * i] && off < src->skipped[2 * i + 1])
            return true;
    return false;
}

bool is_main_file(Source *src, CXSourceLocation loc)
{
    CXFile f;
    clang_getSpellingLocation(loc, &f, NULL, NULL, NULL);
    return f && clang_File_isEqual(f, src->file);
}

static bool in_main(Source *src, CXFile f)
{
    return f && clang_File_isEqual(f, src->file);
}

/* clang encodes a location in a macro expansion with the top bit of
 * CXSourceLocation.int_data (SourceLocation's raw encoding); any other
 * location is a file location, whose expansion is itself. Skipping the
 * second decomposition for those is a third of acc's own work on a large
 * file. The shortcut checks itself on the first locations it sees and
 * turns itself off should a libclang encode locations otherwise. */
static int encoding_checked, encoding_trusted = 1;

static bool macro_bit(CXSourceLocation l)
{
    return (l.int_data & 0x80000000u) != 0;
}

bool may_be_in_macro(CXSourceLocation l)
{
    return !encoding_trusted || macro_bit(l);
}

static void expansion_of(CXSourceLocation l, CXFile sf, unsigned so, CXFile *xf, unsigned *xo)
{
    if (encoding_trusted && !macro_bit(l) && encoding_checked >= 1000) {
        *xf = sf;
        *xo = so;
        return;
    }
    clang_getExpansionLocation(l, xf, NULL, NULL, xo);
    if (encoding_trusted && !macro_bit(l)) {
        encoding_checked++;
        if (*xo != so || !clang_File_isEqual(*xf, sf))
            encoding_trusted = 0;
    }
}

/* A file location (not in a macro) in the main file is, in the same raw
 * encoding, the main file's first location plus its offset (the files'
 * locations are consecutive ranges): decoding it that way saves
 * clang_getSpellingLocation's search for the file. The first decodings
 * are checked against clang's, as above. */
static CXTranslationUnit first_tu;
static unsigned first_loc; /* the raw location of the main file's offset 0 */
static int decoding_checked, decoding_trusted = 1;

static void spelling_of(Source *src, CXSourceLocation l, CXFile *f, unsigned *off)
{
    if (first_tu != src->tu) {
        CXSourceLocation z = clang_getLocationForOffset(src->tu, src->file, 0);
        first_loc = z.int_data;
        first_tu = src->tu;
        if (macro_bit(z))
            decoding_trusted = 0;
    }
    unsigned rel = l.int_data - first_loc;
    if (!decoding_trusted || !encoding_trusted || macro_bit(l) || l.int_data < first_loc || rel > src->len) {
        clang_getSpellingLocation(l, f, NULL, NULL, off);
        return;
    }
    if (decoding_checked >= 1000) {
        *f = src->file;
        *off = rel;
        return;
    }
    clang_getSpellingLocation(l, f, NULL, NULL, off);
    decoding_checked++;
    if (*off != rel || !in_main(src, *f))
        decoding_trusted = 0;
}

/* Where a cursor's text is in the main file. Plain code and whole macro
 * invocations use their expansion range; code spelled inside a macro's
 * argument uses the argument's spelling, so it can be rewritten in place. */
/* The end of the plain identifier that starts at off, or 0 when the text
 * there is not one that clang would lex the same way (a `$`, a universal
 * character name, UTF-8, a line splice or a trigraph next to it). */
static unsigned plain_identifier_end(Source *src, unsigned off)
{
    const char *t = src->text;
    if (off >= src->len || !is_ident_char(t[off]) || (t[off] >= '0' && t[off] <= '9'))
        return 0;
    unsigned e = off;
    while (e < src->len && is_ident_char(t[e]))
        e++;
    if (e < src->len && (t[e] == '$' || t[e] == '\\' || t[e] == '?' || (unsigned char)t[e] >= 0x80))
        return 0;
    return e;
}

/* The end of the integer constant that starts at off, or 0 when it is
 * not plainly one: a preprocessing number (C11 6.4.8) may go on with a
 * '.', a sign after an exponent's letter, and what plain_identifier_end
 * refuses. */
static unsigned plain_integer_end(Source *src, unsigned off)
{
    const char *t = src->text;
    if (off >= src->len || t[off] < '0' || t[off] > '9')
        return 0;
    unsigned e = off;
    while (e < src->len && is_ident_char(t[e]))
        e++;
    if (e < src->len) {
        char c = t[e], prev = t[e - 1];
        if (c == '.' || c == '$' || c == '\\' || c == '?' || c == '\'' || (unsigned char)c >= 0x80 ||
            ((c == '+' || c == '-') &&
             (prev == 'e' || prev == 'E' || prev == 'p' || prev == 'P')))
            return 0;
    }
    return e;
}

/* A name written in the main file outside any macro (most DeclRefExprs),
 * an integer constant, `break` or `continue` is one token at the cursor's
 * location: no need to ask clang for the extent, which relexes the token. */
static bool one_token_region(Source *src, CXCursor c, bool number, unsigned *b, unsigned *e, bool *plain)
{
    CXSourceLocation l = clang_getCursorLocation(c);
    *plain = encoding_trusted && !macro_bit(l); /* then it is the extent (a macro's name may not be) */
    CXFile f, xf;
    unsigned so, xo;
    spelling_of(src, l, &f, &so);
    if (!in_main(src, f))
        return false;
    expansion_of(l, f, so, &xf, &xo);
    if (xo != so || !in_main(src, xf))
        return false;
    unsigned end = number ? plain_integer_end(src, so) : plain_identifier_end(src, so);
    if (!end)
        return false;
    *b = so;
    *e = end;
    return true;
}

/* Region of a cursor in the main file (expansion range, or macro-argument
 * spelling), with the flags derived_region needs. */
static bool cursor_region(Source *src, CXCursor c, Region *rg)
{
    unsigned *b = &rg->b, *e = &rg->e, *ob = &rg->ob, *oe = &rg->oe;
    bool *from_arg = &rg->from_arg;
    enum CXCursorKind k = clang_getCursorKind(c);
    bool plain;
    if ((k == CXCursor_DeclRefExpr || k == CXCursor_BreakStmt || k == CXCursor_ContinueStmt ||
         k == CXCursor_IntegerLiteral) &&
        one_token_region(src, c, k == CXCursor_IntegerLiteral, b, e, &plain)) {
        *from_arg = false;
        *ob = *b;
        *oe = *e;
        rg->plain_b = rg->plain_e = rg->exact = plain;
        return true;
    }
    CXSourceRange r = clang_getCursorExtent(c);
    CXSourceLocation s = clang_getRangeStart(r), t = clang_getRangeEnd(r);
    CXFile sf, tf, xsf, xtf;
    unsigned so, to, xso, xto;
    spelling_of(src, s, &sf, &so);
    spelling_of(src, t, &tf, &to);
    expansion_of(s, sf, so, &xsf, &xso);
    expansion_of(t, tf, to, &xtf, &xto);
    *from_arg = false;
    /* a plain end is its own offset, whichever way below finds it */
    rg->plain_b = encoding_trusted && !macro_bit(s) && in_main(src, sf);
    rg->plain_e = encoding_trusted && !macro_bit(t) && in_main(src, tf);
    rg->exact = true;
    if (in_main(src, sf) && in_main(src, tf) && so <= to) {
        bool start_in_arg = so != xso, end_in_arg = to != xto;
        if (start_in_arg && end_in_arg && xso == xto) {
            /* all of it inside one macro argument: rewrite it there */
            *b = so;
            *e = to;
            *from_arg = true;
            *ob = xso; /* as the code around the invocation sees it */
            *oe = invocation_end(src, xso, to);
            /* An argument that ends in another macro's invocation (`f(x, R)`
             * with R a macro, `acc_gather(w = acc_wait_for(g(), 1))`)
             * reports the start of its name as its end. */
            const char *t = src->text;
            if (to < src->len && is_ident_char(t[to]) && (to == 0 || !is_ident_char(t[to - 1]))) {
                while (*e < src->len && is_ident_char(t[*e]))
                    (*e)++;
                *e = invocation_end(src, to, *e);
            }
            return true;
        }
        /* an end inside a macro argument stands for the whole invocation */
        *b = start_in_arg ? xso : so;
        *e = end_in_arg ? invocation_end(src, xto, to) : to;
        *ob = *b;
        *oe = *e;
        return *b <= *e;
    }
    if (in_main(src, xsf) && in_main(src, xtf) && xso <= xto) {
        *b = *ob = xso;
        *e = *oe = xto;
        return true;
    }
    return false;
}

/* One recursive visit builds the whole subtree: a clang_visitChildren per
 * node would set up a cursor visitor for every node of the file. The open
 * nodes are a stack; a cursor's parent is always on it, so nodes above the
 * parent are complete. Their children wait in `pending`, contiguous, until
 * they are complete and move into an array of their own. */
typedef struct OpenNode {
    Node *node;
    size_t first_kid; /* index of its first child in pending */
} OpenNode;

typedef struct BuildCtx {
    OpenNode *open;
    size_t nopen, open_cap;
    Node **pending;
    size_t npending, pending_cap;
} BuildCtx;

/* The source the trees mirror: there is one per run. */
static Source *tree_src;

/* Nodes and their kids arrays come from blocks that release_trees() empties
 * at once: a tree lives while its declaration is analyzed and lowered, and
 * a large file's trees together would take hundreds of megabytes. */
typedef struct TreeBlock {
    struct TreeBlock *prev; /* blocks are kept newest first */
    char *next, *end;
} TreeBlock;

enum { TREE_BLOCK = 1 << 20, TREE_ALIGN = 16 };
#define TREE_HEADER ((sizeof(TreeBlock) + TREE_ALIGN - 1) & ~(size_t)(TREE_ALIGN - 1))

static TreeBlock *tree_blocks;

static void *tree_alloc(size_t size)
{
    size = (size + TREE_ALIGN - 1) & ~(size_t)(TREE_ALIGN - 1);
    TreeBlock *b = tree_blocks;
    if (!b || size > (size_t)(b->end - b->next)) {
        size_t room = size > TREE_BLOCK ? size : TREE_BLOCK;
        b = xrealloc(NULL, TREE_HEADER + room);
        b->prev = tree_blocks;
        b->next = (char *)b + TREE_HEADER;
        b->end = b->next + room;
        tree_blocks = b;
    }
    void *r = b->next;
    b->next += size;
    memset(r, 0, size);
    return r;
}

/* Every tree built so far is gone; the first block stays for the next. */
void release_trees(void)
{
    while (tree_blocks && tree_blocks->prev) {
        TreeBlock *prev = tree_blocks->prev;
        free(tree_blocks);
        tree_blocks = prev;
    }
    if (tree_blocks)
        tree_blocks->next = (char *)tree_blocks + TREE_HEADER;
}

static Node *new_node(CXCursor c, Node *parent)
{
    Node *n = tree_alloc(sizeof *n);
    n->kind = clang_getCursorKind(c);
    n->cur = c;
    n->parent = parent;
    n->temp = -1;
    return n;
}

/* The offset of a cursor's location when it is a plain one: in the main
 * file, outside macros. */
static bool plain_location(Node *n, unsigned *off)
{
    CXSourceLocation l = clang_getCursorLocation(n->cur);
    CXFile f;
    if (!encoding_trusted || macro_bit(l))
        return false;
    spelling_of(tree_src, l, &f, off);
    return in_main(tree_src, f);
}

/* The end of a call's `)` when only blanks, comments and line splices
 * stand between it and `off`; else 0. */
static unsigned close_paren_end(Source *src, unsigned off)
{
    const char *t = src->text;
    for (unsigned i = off; i < src->len;) {
        if (t[i] == ')')
            return i + 1;
        if (t[i] == '/' && i + 1 < src->len && t[i + 1] == '*') {
            const char *end = strstr(t + i + 2, "*/");
            if (!end)
                return 0;
            i = (unsigned)(end - t) + 2;
        } else if (t[i] == '/' && i + 1 < src->len && t[i + 1] == '/') {
            while (i < src->len && t[i] != '\n')
                i++;
        } else if (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r' || t[i] == '\f' ||
                   t[i] == '\v' || (t[i] == '\\' && i + 1 < src->len && t[i + 1] == '\n')) {
            i++;
        } else {
            return 0;
        }
    }
    return 0;
}

static bool plain_span(Region *r, unsigned b, unsigned e)
{
    if (b > e)
        return false;
    *r = (Region){.b = b, .e = e, .ob = b, .oe = e, .in_main = true, .plain_b = true, .plain_e = true,
                  .exact = true};
    return true;
}

/* Some nodes span what their children span (clang's source ranges say
 * so): an implicit conversion (an UnexposedExpr at the location of its one
 * child) spans the child, a binary operator its operands, a call from its
 * callee to the `)` after its last argument, a member access from its base
 * to the member's name; an if, for or while statement, a return with a
 * value and a cast span from their location (the keyword, the
 * parenthesis) to the end of their last child. When the ends they take
 * are plain, the node's region follows from them, without an extent. */
static bool derived_region(Node *n, Region *r)
{
    unsigned b;
    enum CXCursorKind k = n->kind;
    if (k == CXCursor_UnexposedExpr && n->nkids == 1) {
        if (!clang_equalLocations(clang_getCursorLocation(n->cur), clang_getCursorLocation(n->kids[0]->cur)))
            return false;
        const Region *kid = region(n->kids[0]);
        if (!kid->exact)
            return false;
        *r = *kid;
        return true;
    }
    bool from_first = ((k == CXCursor_BinaryOperator || k == CXCursor_CompoundAssignOperator) && n->nkids == 2) ||
                      (k == CXCursor_CallExpr && n->nkids >= 2) || (k == CXCursor_MemberRefExpr && n->nkids == 1);
    bool from_own = (k == CXCursor_IfStmt || k == CXCursor_ForStmt || k == CXCursor_WhileStmt ||
                     k == CXCursor_ReturnStmt || k == CXCursor_CStyleCastExpr) && n->nkids > 0;
    if (!from_first && !from_own)
        return false;
    const Region *first = region(n->kids[0]), *last = region(n->kids[n->nkids - 1]);
    if (from_own)
        return last->exact && last->plain_e && plain_location(n, &b) && plain_span(r, b, last->e);
    if (!first->exact || !first->plain_b)
        return false;
    if (k == CXCursor_MemberRefExpr) {
        unsigned e;
        return plain_location(n, &b) && first->b <= b && (e = plain_identifier_end(tree_src, b)) != 0 &&
               plain_span(r, first->b, e);
    }
    if (!last->exact || !last->plain_e)
        return false;
    if (k == CXCursor_CallExpr) {
        unsigned e = close_paren_end(tree_src, last->e);
        return e && plain_span(r, first->b, e);
    }
    return plain_span(r, first->b, last->e);
}

const Region *region(Node *n)
{
    if (!n->has_region) {
        Region *r = &n->region;
        if (!derived_region(n, r) && !(r->in_main = cursor_region(tree_src, n->cur, r)))
            r->plain_b = r->plain_e = r->exact = false;
        n->has_region = true;
    }
    return &n->region;
}

static void open_node(BuildCtx *ctx, Node *n)
{
    if (ctx->nopen == ctx->open_cap) {
        ctx->open_cap = ctx->open_cap ? 2 * ctx->open_cap : 64;
        ctx->open = xrealloc(ctx->open, ctx->open_cap * sizeof *ctx->open);
    }
    ctx->open[ctx->nopen++] = (OpenNode){n, ctx->npending};
}

static void close_node(BuildCtx *ctx)
{
    OpenNode *o = &ctx->open[--ctx->nopen];
    size_t n = ctx->npending - o->first_kid;
    if (n) {
        o->node->kids = tree_alloc(n * sizeof *o->node->kids);
        memcpy(o->node->kids, ctx->pending + o->first_kid, n * sizeof *o->node->kids);
        o->node->nkids = (int)n;
    }
    ctx->npending = o->first_kid;
}

/* The visit passes as `parent` the very cursor it gave for the parent: one
 * equal in every byte is the same, and cursors of different kinds are
 * different (clang_equalCursors, which also knows cursors that differ in a
 * flag, is asked about the others). */
static bool same_cursor(CXCursor a, CXCursor b)
{
    if (a.kind != b.kind)
        return false;
    if (a.data[0] == b.data[0] && a.data[1] == b.data[1] && a.data[2] == b.data[2])
        return true;
    return clang_equalCursors(a, b);
}

static enum CXChildVisitResult build_child(CXCursor c, CXCursor parent, CXClientData data)
{
    BuildCtx *ctx = data;
    while (!same_cursor(ctx->open[ctx->nopen - 1].node->cur, parent))
        close_node(ctx);
    Node *kid = new_node(c, ctx->open[ctx->nopen - 1].node);
    if (ctx->npending == ctx->pending_cap) {
        ctx->pending_cap = ctx->pending_cap ? 2 * ctx->pending_cap : 256;
        ctx->pending = xrealloc(ctx->pending, ctx->pending_cap * sizeof *ctx->pending);
    }
    ctx->pending[ctx->npending++] = kid;
    open_node(ctx, kid);
    return CXChildVisit_Recurse;
}

Node *build_tree(Source *src, CXCursor c, Node *parent)
{
    tree_src = src;
    Node *root = new_node(c, parent);
    BuildCtx ctx = {0};
    open_node(&ctx, root);
    clang_visitChildren(c, build_child, &ctx);
    while (ctx.nopen)
        close_node(&ctx);
    free(ctx.open);
    free(ctx.pending);
    return root;
}

/* Is the text of [b, e) the token `s`? A backslash-newline may split a
 * token anywhere (translation phase 2), so those are skipped. */
bool text_is(Source *src, unsigned b, unsigned e, const char *s)
{
    size_t n = strlen(s);
    if (e < b)
        return false;
    if (e - b == n)
        return memcmp(src->text + b, s, n) == 0;
    const char *t = src->text;
    size_t k = 0;
    for (unsigned i = b; i < e;) {
        if (t[i] == '\\' && i + 1 < e && t[i + 1] == '\n') {
            i += 2;
        } else if (t[i] == '\\' && i + 2 < e && t[i + 1] == '\r' && t[i + 2] == '\n') {
            i += 3;
        } else {
            if (k >= n || t[i] != s[k])
                return false;
            i++, k++;
        }
    }
    return k == n;
}

/* Text between b and e without whitespace, comments and line splices. */
char *gap_text(Source *src, unsigned b, unsigned e)
{
    Buf out = {0};
    const char *t = src->text;
    for (unsigned i = b; i < e && i < src->len;) {
        if (t[i] == '/' && i + 1 < e && t[i + 1] == '*') {
            const char *end = strstr(t + i + 2, "*/");
            i = end ? (unsigned)(end - t) + 2 : e;
        } else if (t[i] == '/' && i + 1 < e && t[i + 1] == '/') {
            while (i < e && t[i] != '\n')
                i++;
        } else if (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r' ||
                   t[i] == '\f' || t[i] == '\v' || t[i] == '\\') {
            i++;
        } else {
            buf_put(&out, t + i, 1);
            i++;
        }
    }
    if (!out.s)
        out.s = xstrdup("");
    return out.s;
}

/* Is gap_text(src, b, e) the string `s`? Compared as gap_text would build
 * it (up to a NUL in the text, as strcmp sees it), without building it:
 * the lowering asks this of the gap between two operands many times. */
bool gap_is(Source *src, unsigned b, unsigned e, const char *s)
{
    const char *t = src->text;
    size_t k = 0;
    for (unsigned i = b; i < e && i < src->len;) {
        if (t[i] == '/' && i + 1 < e && t[i + 1] == '*') {
            const char *end = strstr(t + i + 2, "*/");
            i = end ? (unsigned)(end - t) + 2 : e;
        } else if (t[i] == '/' && i + 1 < e && t[i + 1] == '/') {
            while (i < e && t[i] != '\n')
                i++;
        } else if (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r' ||
                   t[i] == '\f' || t[i] == '\v' || t[i] == '\\') {
            i++;
        } else {
            if (t[i] == '\0')
                return s[k] == '\0';
            if (s[k] != t[i])
                return false;
            k++;
            i++;
        }
    }
    return s[k] == '\0';
}

/* GNU `a ?: b`. libclang has no cursor kind for it: it is an unexposed
 * expression whose four children are `a` three times (the value, the
 * condition and the result, all one evaluation) and `b`. */
bool is_gnu_elvis(Node *n)
{
    if (n->kind != CXCursor_UnexposedExpr || n->nkids != 4)
        return false;
    const Region *a = region(n->kids[0]);
    for (int i = 1; i < 3; i++)
        if (!clang_equalCursors(n->kids[i]->cur, n->kids[0]->cur) &&
            (region(n->kids[i])->b != a->b || region(n->kids[i])->e != a->e))
            return false;
    return a->in_main;
}
