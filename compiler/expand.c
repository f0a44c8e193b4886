/*
 * expand.c: macros that cannot stay as written inside an async function.
 *
 * Code in an async body keeps its macro invocations (the C compiler
 * expands them later), except where the expansion holds something the
 * lowering must rewrite but cannot reach inside a macro's definition:
 *   - a `return`, a `continue` or a declaration (`TRY(e)` that returns an
 *     error, a local declared by a macro);
 *   - an `await`, in the definition or in an argument (an argument used
 *     twice is awaited twice, as C would call a function twice; one that
 *     is stringized gives its text; an operator of the definition beside it
 *     is seen);
 *   - `__func__` (a logging macro's), which must name the async function,
 *     not its step function: once in the body's text, it is rewritten;
 *   - a local of the function named by the definition, not passed as an
 *     argument (`#define FAIL() do { rc = -1; goto out; } while (0)`): the
 *     local may live in the frame, and only its name in the body's text
 *     can be rewritten to reach it there.
 * Such an invocation is replaced in the text by its expansion, one level
 * deep, and the file is parsed again; invocations that the expansion
 * brings into view are expanded in the next round. The expansion keeps
 * the invocation's line count (its newlines follow it), so every line
 * after it, and the #line directives, stay where they were.
 *
 * The expansion follows C11 6.10.3: parameters are replaced by their
 * arguments as written (the C compiler expands what is left when it reads
 * the output, in the same place, so scanning them first changes nothing),
 * `#` stringizes, `##` pastes, `__VA_ARGS__` takes the variable arguments,
 * GNU's `, ## __VA_ARGS__` drops the comma when they are empty.
 */
#include "compiler.h"

#include <stdlib.h>
#include <string.h>

/* Enough for a macro that expands to one that expands to one ... */
#define MAX_ROUNDS 8

/* The dialect's own macros (the prelude's, and acc.h's coroutine-taking
 * forms, which the analysis reads as they are). */
bool is_dialect_macro(Source *src, const Token *m)
{
    static const char *names[] = {"await", "async", "acc_run", "acc_spawn", "acc_gather", "acc_wait_for"};
    unsigned e = ident_end(src, m->b);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (e - m->b == strlen(names[i]) && memcmp(src->text + m->b, names[i], e - m->b) == 0)
            return true;
    return false;
}

typedef struct Scan {
    Source *src;
    size_t first, end;       /* the invocations in the async body being looked at */
    bool *expand;            /* per invocation of src->macros */
    bool *candidate;         /* invocations inside an async body, not the dialect's */
    long *parent;            /* per invocation: the one it is written in, or -1 */
    bool any_candidate;
} Scan;

/* Invocations nest (one in another's arguments) or are apart: each one's
 * parent is the innermost before it that holds it. */
static void find_parents(Scan *s)
{
    const Token *m = s->src->macros;
    for (size_t i = s->first; i < s->end; i++) {
        long p = (long)i - 1;
        while (p >= (long)s->first && m[p].e <= m[i].b)
            p = s->parent[p];
        s->parent[i] = p >= (long)s->first ? p : -1;
    }
}

/* The outermost candidate invocation holding offset off, or -1: the
 * innermost holding it is an ancestor of the last one starting at or
 * before off (a search, not a walk over the body's invocations, which
 * made a long function quadratic). */
static long invocation_at(Scan *s, unsigned off)
{
    size_t lo = s->first, hi = s->end; /* the first starting after off */
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->src->macros[mid].b <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    long i = (long)lo - 1, found = -1;
    while (i >= (long)s->first && s->src->macros[i].e <= off)
        i = s->parent[i];
    for (; i >= (long)s->first; i = s->parent[i])
        if (s->candidate[i])
            found = i;
    return found;
}

/* Is the macro of invocation i defined in a system header? Its returns
 * and declarations are its own business (glibc's TEMP_FAILURE_RETRY). */
static bool system_macro(Source *src, size_t i)
{
    CXCursor def = clang_getCursorReferenced(src->macro_cursors[i]);
    return clang_Cursor_isNull(def) || clang_Location_isInSystemHeader(clang_getCursorLocation(def));
}

/* Is c the literal clang shows for `__func__` (or GNU's names for it)
 * where a macro spells it? In the step function it would name f__step. */
static bool is_func_name_literal(Source *src, CXCursor c)
{
    CXToken *t = clang_getToken(src->tu, clang_getCursorLocation(c));
    if (!t)
        return false;
    char *name = cx_str(clang_getTokenSpelling(src->tu, *t));
    bool is = func_name_at(name, strlen(name), 0);
    free(name);
    clang_disposeTokens(src->tu, t, 1);
    return is;
}

/* Does c, inside invocation m, name a local of the async function (an
 * automatic variable or a parameter) from the macro's definition rather
 * than from an argument? The frame may hold that local, and only text in
 * the file can be rewritten to reach it (`#define FAIL() (rc = -1)`). */
static bool names_local_from_definition(Source *src, const Token *m, CXCursor c)
{
    CXCursor d = clang_getCursorReferenced(c);
    enum CXCursorKind dk = clang_getCursorKind(d);
    if (dk != CXCursor_ParmDecl && dk != CXCursor_VarDecl)
        return false;
    if (clang_getCursorKind(clang_getCursorSemanticParent(d)) != CXCursor_FunctionDecl)
        return false;
    enum CX_StorageClass sc = clang_Cursor_getStorageClass(d);
    if (sc != CX_SC_None && sc != CX_SC_Auto && sc != CX_SC_Register)
        return false;
    /* An argument's name is spelled inside the invocation; libclang gives
     * a name from the definition the invocation's start, where the macro's
     * own name is written. */
    CXFile f;
    unsigned so;
    clang_getSpellingLocation(clang_getCursorLocation(c), &f, NULL, NULL, &so);
    char *name = cx_str(clang_getCursorSpelling(d));
    unsigned e = so + (unsigned)strlen(name);
    bool in_argument = f && clang_File_isEqual(f, src->file) && so >= m->b && e <= m->e &&
                       text_is(src, so, e, name);
    free(name);
    return !in_argument;
}

static enum CXChildVisitResult scan_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    Scan *s = data;
    enum CXCursorKind k = clang_getCursorKind(c);
    bool stmt = k == CXCursor_ReturnStmt || k == CXCursor_ContinueStmt || k == CXCursor_DeclStmt;
    bool literal = k == CXCursor_StringLiteral;
    bool ref = k == CXCursor_DeclRefExpr;
    if (!stmt && !literal && !ref && k != CXCursor_UnaryOperator)
        return CXChildVisit_Recurse;
    unsigned off;
    clang_getExpansionLocation(clang_getCursorLocation(c), NULL, NULL, NULL, &off);
    long i = invocation_at(s, off);
    if (i < 0) {
        /* In an argument of the dialect's forms (`acc_spawn(f(N))`), the
         * expansion is the form's: the file location is N's. */
        clang_getFileLocation(clang_getCursorLocation(c), NULL, NULL, NULL, &off);
        i = invocation_at(s, off);
    }
    if (i < 0 || s->expand[i])
        return CXChildVisit_Recurse;
    bool expand;
    if (ref)
        expand = !system_macro(s->src, (size_t)i) &&
                 names_local_from_definition(s->src, &s->src->macros[i], c);
    else if (stmt || literal)
        expand = !system_macro(s->src, (size_t)i) && (stmt || is_func_name_literal(s->src, c));
    else
        expand = is_prelude_token(s->src, c);
    if (expand)
        s->expand[i] = true;
    return CXChildVisit_Recurse;
}

bool is_active_library_assert(Source *src, size_t i)
{
    const Token *m = &src->macros[i];
    if (ident_end(src, m->b) - m->b != 6 || memcmp(src->text + m->b, "assert", 6) != 0 || !system_macro(src, i) ||
        !src->macro_cursors)
        return false;
    /* `assert(expr)`, unless NDEBUG made it `((void) (0))`: the parameter
     * is the definition's third token and appears again after `)` */
    CXCursor def = clang_getCursorReferenced(src->macro_cursors[i]);
    CXToken *t;
    unsigned n;
    clang_tokenize(src->tu, clang_getCursorExtent(def), &t, &n);
    bool uses = false;
    char *param = n > 3 ? cx_str(clang_getTokenSpelling(src->tu, t[2])) : NULL;
    for (unsigned k = 4; param && k < n && !uses; k++) {
        char *w = cx_str(clang_getTokenSpelling(src->tu, t[k]));
        uses = strcmp(w, param) == 0;
        free(w);
    }
    free(param);
    clang_disposeTokens(src->tu, t, n);
    return uses;
}

static enum CXChildVisitResult top_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    Scan *s = data;
    if (clang_getCursorKind(c) != CXCursor_FunctionDecl || !clang_isCursorDefinition(c) ||
        !clang_Location_isFromMainFile(clang_getCursorLocation(c)) || !has_async_annotation(c))
        return CXChildVisit_Continue;
    CXCursor body = first_child(c, CXCursor_CompoundStmt);
    if (clang_Cursor_isNull(body))
        return CXChildVisit_Continue;
    CXSourceRange r = clang_getCursorExtent(body);
    CXFile fb, fe;
    unsigned b, e;
    clang_getExpansionLocation(clang_getRangeStart(r), &fb, NULL, NULL, &b);
    clang_getExpansionLocation(clang_getRangeEnd(r), &fe, NULL, NULL, &e);
    if (!fb || !clang_File_isEqual(fb, s->src->file))
        return CXChildVisit_Continue;
    bool here = false;
    size_t lo = first_invocation_from(s->src, b); /* the first invocation in the body */
    size_t i;
    for (i = lo; i < s->src->nmacros && s->src->macros[i].b < e; i++) {
        const Token *m = &s->src->macros[i];
        if (m->e > e || is_dialect_macro(s->src, m))
            continue;
        s->candidate[i] = here = true;
        if (text_has_word(s->src->text, m->b, m->e, "await"))
            s->expand[i] = true;
    }
    s->first = lo;
    s->end = i;
    find_parents(s);
    if (here)
        clang_visitChildren(body, scan_visit, s);
    return CXChildVisit_Continue;
}

/* ---- one expansion --------------------------------------------------- */

typedef struct Toks {
    CXToken *t;
    unsigned n;
    CXTranslationUnit tu;
} Toks;

static char *spell(Toks *k, unsigned i)
{
    return cx_str(clang_getTokenSpelling(k->tu, k->t[i]));
}

static bool tok_is(Toks *k, unsigned i, const char *s)
{
    if (i >= k->n)
        return false;
    char *t = spell(k, i);
    bool is = strcmp(t, s) == 0;
    free(t);
    return is;
}

static unsigned tok_off(Toks *k, unsigned i, bool end)
{
    CXSourceRange r = clang_getTokenExtent(k->tu, k->t[i]);
    unsigned off;
    clang_getSpellingLocation(end ? clang_getRangeEnd(r) : clang_getRangeStart(r), NULL, NULL, NULL, &off);
    return off;
}

/* Argument i of the invocation: tokens [b, e) of the invocation's tokens. */
typedef struct Arg {
    unsigned b, e;
} Arg;

/* An argument's tokens as text: one space where the source had any
 * whitespace or comment between two tokens (what # sees, C11 6.10.3.2). */
static void put_arg(Buf *out, Toks *k, Arg a, bool stringize)
{
    for (unsigned i = a.b; i < a.e; i++) {
        if (i > a.b && tok_off(k, i, false) > tok_off(k, i - 1, true))
            buf_puts(out, " ");
        char *t = spell(k, i);
        if (stringize && clang_getTokenKind(k->t[i]) == CXToken_Literal && strpbrk(t, "\"'")) {
            for (char *p = t; *p; p++) {
                if (*p == '"' || *p == '\\')
                    buf_puts(out, "\\");
                buf_put(out, p, 1);
            }
        } else {
            buf_puts(out, t);
        }
        free(t);
    }
}

/* The index of parameter `name`, or -1. */
static int param_index(char *const *params, int nparams, const char *name)
{
    for (int j = 0; j < nparams; j++)
        if (strcmp(name, params[j]) == 0)
            return j;
    return -1;
}

/* Buf's text, trimmed of a trailing space. */
static void drop_space(Buf *b)
{
    while (b->len && b->s[b->len - 1] == ' ')
        b->s[--b->len] = 0;
}

/* The expansion of invocation m (with cursor c), or NULL if acc cannot
 * spell it (a built-in macro, __VA_OPT__, arguments that do not match). */
static char *expansion(Source *src, const Token *m, CXCursor c)
{
    CXCursor def = clang_getCursorReferenced(c);
    if (clang_Cursor_isNull(def) || clang_getCursorKind(def) != CXCursor_MacroDefinition)
        return NULL;
    Toks d = {NULL, 0, src->tu}, u = {NULL, 0, src->tu};
    clang_tokenize(src->tu, clang_getCursorExtent(def), &d.t, &d.n);
    CXSourceRange ur = clang_getRange(clang_getLocationForOffset(src->tu, src->file, m->b),
                                      clang_getLocationForOffset(src->tu, src->file, m->e));
    clang_tokenize(src->tu, ur, &u.t, &u.n);

    char *result = NULL;
    Buf out = {0};
    char *params[128];
    int nparams = 0;
    bool variadic = false, ok = true;
    unsigned body = 1;
    Arg args[128];
    int nargs = 0;

    /* Function-like when `(` follows the name with no space between (what
     * clang_Cursor_isMacroFunctionLike says only while the macro is still
     * defined at the end of the file). */
    bool function_like = d.n > 1 && tok_is(&d, 1, "(") && tok_off(&d, 1, false) == tok_off(&d, 0, true);
    /* A macro that names itself expands once in C (C11 6.10.3.4p2), but its
     * name in our text would expand again. `(name)(...)` is never a macro
     * invocation, so a function-like self-reference is written so; any
     * other one leaves the macro as written. */
    char *name = d.n ? spell(&d, 0) : NULL;

    bool is_assert = name && strcmp(name, "assert") == 0 && function_like &&
                     clang_Location_isInSystemHeader(clang_getCursorLocation(def));

    if (ok && function_like) {
        /* the parameters: NAME ( a , b , ... ) */
        for (body = 2; body < d.n && !tok_is(&d, body, ")"); body++) {
            char *t = spell(&d, body);
            if (strcmp(t, ",") == 0) {
                free(t);
            } else if (strcmp(t, "...") == 0 && nparams < 127) {
                variadic = true;
                params[nparams++] = xstrdup("__VA_ARGS__");
                free(t);
            } else if (nparams < 127) {
                if (tok_is(&d, body + 1, "...")) { /* GNU named variadic: args... */
                    variadic = true;
                    body++;
                }
                params[nparams++] = t;
            } else {
                free(t);
                ok = false;
            }
        }
        body++;
        /* the arguments: NAME ( x , f(y, z) , ) */
        if (u.n < 3 || !tok_is(&u, 1, "("))
            ok = false;
        int depth = 0;
        unsigned start = 2;
        for (unsigned i = 1; ok && i < u.n; i++) {
            char *t = spell(&u, i);
            if (strcmp(t, "(") == 0) {
                depth++;
            } else if (strcmp(t, ")") == 0 && --depth == 0) {
                if (nargs < 128)
                    args[nargs++] = (Arg){start, i};
                free(t);
                break;
            } else if (strcmp(t, ",") == 0 && depth == 1 && (!variadic || nargs < nparams - 1)) {
                if (nargs < 128)
                    args[nargs++] = (Arg){start, i};
                start = i + 1;
            }
            free(t);
        }
        if (nparams == 0 && nargs == 1 && args[0].b == args[0].e)
            nargs = 0;
        if (variadic && nargs == nparams - 1 && nargs > 0) { /* no variable arguments */
            unsigned at = args[nargs - 1].e;
            args[nargs++] = (Arg){at, at};
        }
        if (nargs != nparams)
            ok = false;
    }

    /* The C library's assert, unless NDEBUG made it `((void) (0))`: its
     * own expansion may test the argument twice (in sizeof, for a
     * warning) or in a statement expression, which acc cannot lower. */
    bool uses_arg = false;
    for (unsigned i = body; is_assert && ok && nparams == 1 && i < d.n; i++)
        uses_arg |= tok_is(&d, i, params[0]);
    if (is_assert && ok && nparams == 1 && uses_arg) {
        buf_puts(&out, "((");
        put_arg(&out, &u, args[0], false);
        buf_puts(&out, ") ? (void)0 : acc__assert_fail(\"");
        put_arg(&out, &u, args[0], true);
        buf_puts(&out, "\", __FILE__, __LINE__, __func__))");
        body = d.n; /* done */
    }

    for (unsigned i = body; ok && i < d.n; i++) {
        char *t = spell(&d, i);
        int p = param_index(params, nparams, t);
        if (strcmp(t, "__VA_OPT__") == 0) {
            ok = false;
        } else if (strcmp(t, "#") == 0 && nparams > 0 && i + 1 < d.n) {
            char *n = spell(&d, i + 1);
            int q = param_index(params, nparams, n);
            free(n);
            if (q < 0) {
                ok = false;
            } else {
                buf_puts(&out, "\"");
                put_arg(&out, &u, args[q], true);
                buf_puts(&out, "\" ");
                i++;
            }
        } else if (strcmp(t, "##") == 0) {
            drop_space(&out);
            /* GNU: `, ## __VA_ARGS__` with no variable arguments drops the comma */
            if (variadic && tok_is(&d, i + 1, params[nparams - 1]) &&
                args[nargs - 1].b == args[nargs - 1].e && out.len && out.s[out.len - 1] == ',')
                out.s[--out.len] = 0;
            i++;
            if (i < d.n) {
                char *n = spell(&d, i);
                int q = param_index(params, nparams, n);
                if (q >= 0)
                    put_arg(&out, &u, args[q], false);
                else
                    buf_puts(&out, n);
                free(n);
                buf_puts(&out, " ");
            }
        } else if (p >= 0) {
            put_arg(&out, &u, args[p], false);
            buf_puts(&out, " ");
        } else if (name && strcmp(t, name) == 0 && clang_getTokenKind(d.t[i]) == CXToken_Identifier) {
            if (function_like && tok_is(&d, i + 1, "("))
                buf_printf(&out, "(%s) ", t);
            else
                ok = false;
        } else {
            buf_puts(&out, t);
            buf_puts(&out, " ");
        }
        free(t);
    }
    if (ok) {
        drop_space(&out);
        result = out.s ? out.s : xstrdup("");
    } else {
        free(out.s);
    }
    for (int j = 0; j < nparams; j++)
        free(params[j]);
    free(name);
    clang_disposeTokens(src->tu, d.t, d.n);
    clang_disposeTokens(src->tu, u.t, u.n);
    return result;
}

/* ---- the rounds ------------------------------------------------------ */

/* The text with this round's invocations expanded, or NULL if none. */
static char *expand_round(Source *src, size_t *len)
{
    if (src->nmacros == 0)
        return NULL;
    size_t i = 0; /* most files invoke no macro but the dialect's in their bodies */
    while (i < src->nmacros && is_dialect_macro(src, &src->macros[i]))
        i++;
    if (i == src->nmacros)
        return NULL;
    Scan s = {src,
              0,
              0,
              xcalloc(src->nmacros, sizeof(bool)),
              xcalloc(src->nmacros, sizeof(bool)),
              xcalloc(src->nmacros, sizeof(long)),
              false};
    clang_visitChildren(clang_getTranslationUnitCursor(src->tu), top_visit, &s);
    Buf out = {0};
    unsigned copied = 0;
    bool any = false;
    for (i = 0; i < src->nmacros; i++) {
        const Token *m = &src->macros[i];
        if (!s.expand[i] || m->b < copied)
            continue; /* inside an invocation expanded already: in the next round */
        char *x = expansion(src, m, src->macro_cursors[i]);
        if (!x)
            continue;
        buf_put(&out, src->text + copied, m->b - copied);
        /* a space keeps the expansion's first token from joining the one
         * before it (`x-` and `-1`); none where nothing can join, so that
         * the expansion starts in the invocation's column */
        char before = m->b ? src->text[m->b - 1] : ' ';
        buf_printf(&out, "%s%s ", strchr(" \t\n(){};,", before) ? "" : " ", x);
        for (unsigned k = m->b; k < m->e; k++)
            if (src->text[k] == '\n')
                buf_puts(&out, "\n");
        copied = m->e;
        any = true;
        free(x);
    }
    free(s.expand);
    free(s.candidate);
    free(s.parent);
    if (!any) {
        free(out.s);
        return NULL;
    }
    buf_put(&out, src->text + copied, src->len - copied);
    *len = out.len;
    return out.s;
}

char *expand_macros(Source *src, size_t *len, int round)
{
    return round < MAX_ROUNDS ? expand_round(src, len) : NULL;
}
