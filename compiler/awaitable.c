/*
 * awaitable.c: `await p` on a hand-written awaitable is an int (SPEC 2.1).
 *
 * clang reads `await` as `__extension__` (parse.c), which keeps its
 * operand's type: for a coroutine call that is the callee's result, as it
 * should be, but for an awaitable it is the pointer, so `await a + await b`
 * would add two pointers and `c ? await a : 0` would have a pointer type.
 * So when the text may hold such an await, we find them in clang's tree
 * and parse once more with each of their `await`s spelled `(int)`: the
 * same length, so that every offset stays where it was, and a cast is a
 * unary operator with await's precedence. analyze.c reads a cast that
 * stands where the text says `await` as that await.
 */
#include "compiler.h"

#include <stdlib.h>
#include <string.h>

static const char *skip_blanks(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v' ||
                       (*p == '\\' && p + 1 < end && (p[1] == '\n' || p[1] == '\r'))))
        p++;
    return p;
}

static const char *skip_ident(const char *p, const char *end)
{
    while (p < end && is_ident_char(*p))
        p++;
    return p;
}

/* Does the text at p look like a call, `name(`, `s.op(`, `p->op(`,
 * `ops[i](`? Anything else (`&ev`, `p`, `(*op)(x)`) may be an awaitable. */
static bool looks_like_call(const char *p, const char *end)
{
    if (p == end || !(is_ident_char(*p) && !(*p >= '0' && *p <= '9')))
        return false;
    p = skip_ident(p, end);
    for (;;) {
        p = skip_blanks(p, end);
        if (p < end && *p == '(')
            return true;
        if (p < end && *p == '.')
            p = skip_ident(skip_blanks(p + 1, end), end);
        else if (p + 1 < end && p[0] == '-' && p[1] == '>')
            p = skip_ident(skip_blanks(p + 2, end), end);
        else if (p < end && *p == '[') {
            int depth = 0;
            for (; p < end; p++) {
                if (*p == '[')
                    depth++;
                else if (*p == ']' && --depth == 0)
                    break;
            }
            if (p == end)
                return false;
            p++;
        } else
            return false;
    }
}

/* Is off on a preprocessing directive's line (a #define's body)? */
static bool in_directive(const char *t, const char *p)
{
    for (;;) {
        const char *line = p;
        while (line > t && line[-1] != '\n')
            line--;
        const char *q = line;
        while (q < p && (*q == ' ' || *q == '\t'))
            q++;
        if (q < p && *q == '#')
            return true;
        /* a continued line: look at the one it continues */
        if (line - t >= 2 && line[-2] == '\\')
            p = line - 2;
        else if (line - t >= 3 && line[-2] == '\r' && line[-3] == '\\')
            p = line - 3;
        else
            return false;
    }
}

/* A cheap look at the text, so that files that await only calls (nearly
 * all) are parsed once: the `await`s whose operand is not plainly a call.
 * Some may be in comments or strings; that costs a look at the tree, and
 * spelling them `(int)` there changes nothing. */
static unsigned *awaits_of_non_calls(Source *src, size_t *n)
{
    const char *t = src->text, *end = t + src->len;
    unsigned *offs = NULL;
    size_t cap = 0;
    *n = 0;
    for (const char *p = t; (p = memmem(p, (size_t)(end - p), "await", 5)) != NULL; p += 5) {
        if ((p > t && is_ident_char(p[-1])) || (p + 5 < end && is_ident_char(p[5])))
            continue;
        if (looks_like_call(skip_blanks(p + 5, end), end) || in_directive(t, p))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            offs = xrealloc(offs, cap * sizeof *offs);
        }
        offs[(*n)++] = (unsigned)(p - t);
    }
    return offs;
}

bool type_is_awaitable_pointer(CXType t)
{
    CXType c = clang_getCanonicalType(t);
    CXType p;
    if (c.kind == CXType_Pointer)
        p = clang_getCanonicalType(clang_getPointeeType(c));
    else if (c.kind == CXType_ConstantArray || c.kind == CXType_IncompleteArray)
        p = clang_getCanonicalType(clang_getArrayElementType(c)); /* decays to a pointer */
    else
        return false;
    for (int depth = 0; depth < 8 && p.kind == CXType_Record; depth++) {
        char *s = cx_str(clang_getTypeSpelling(p));
        bool is = strstr(s, "struct acc_awaitable") != NULL;
        free(s);
        if (is)
            return true;
        CXCursor field = first_child(clang_getTypeDeclaration(p), CXCursor_FieldDecl);
        if (clang_Cursor_isNull(field))
            break;
        p = clang_getCanonicalType(clang_getCursorType(field));
    }
    return false;
}

typedef struct Offsets {
    unsigned *v;
    size_t n, cap;
} Offsets;

static void add(Offsets *o, unsigned off)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 16;
        o->v = xrealloc(o->v, o->cap * sizeof *o->v);
    }
    o->v[o->n++] = off;
}

typedef struct Found {
    Source *src;
    Offsets awaitable; /* awaits of awaitables */
    Offsets seen;      /* every await in the tree */
} Found;

/* Is off inside a macro invocation's text (then an await there was
 * written in one of its arguments)? */
static bool in_invocation(Source *src, unsigned off)
{
    for (size_t i = 0; i < src->nmacros && src->macros[i].b <= off; i++)
        if (off < src->macros[i].e)
            return true;
    return false;
}

/* The declaration a called expression names (`f`, `op`, `s->op`,
 * `(*op)`, `ops[i]`), or a null cursor. */
static CXCursor callee_decl(CXCursor e)
{
    for (int depth = 0; depth < 16; depth++) {
        switch (clang_getCursorKind(e)) {
        case CXCursor_UnexposedExpr:
        case CXCursor_ParenExpr:
        case CXCursor_UnaryOperator:
        case CXCursor_ArraySubscriptExpr:
            e = first_child(e, 0);
            break;
        case CXCursor_DeclRefExpr:
        case CXCursor_MemberRefExpr:
            return clang_getCursorReferenced(e);
        default:
            return clang_getNullCursor();
        }
    }
    return clang_getNullCursor();
}

/* Is `e` (an await's operand) a call of an async function, directly or
 * through a pointer declared async? Then the await is of a coroutine,
 * whatever its result: an async function may return an awaitable. */
static bool is_coroutine_call(CXCursor e)
{
    while (clang_getCursorKind(e) == CXCursor_ParenExpr || clang_getCursorKind(e) == CXCursor_UnexposedExpr) {
        CXCursor inner = first_child(e, 0);
        if (clang_Cursor_isNull(inner))
            return false;
        e = inner;
    }
    if (clang_getCursorKind(e) != CXCursor_CallExpr)
        return false;
    CXCursor ref = clang_getCursorReferenced(e);
    if (clang_getCursorKind(ref) == CXCursor_FunctionDecl &&
        (has_async_annotation(ref) || has_async_annotation(clang_getCanonicalCursor(ref))))
        return true;
    CXCursor callee = first_child(e, 0);
    if (clang_Cursor_isNull(callee))
        return false;
    CXCursor d = callee_decl(callee);
    if (!clang_Cursor_isNull(d) && (has_async_annotation(d) || type_is_async(clang_getCursorType(d))))
        return true;
    return type_is_async(clang_getCursorType(callee));
}

static enum CXChildVisitResult find_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    Found *f = data;
    Source *src = f->src;
    if (clang_getCursorKind(parent) == CXCursor_TranslationUnit &&
        !clang_Location_isFromMainFile(clang_getCursorLocation(c)))
        return CXChildVisit_Continue;
    if (clang_getCursorKind(c) != CXCursor_UnaryOperator)
        return CXChildVisit_Recurse;
    CXSourceLocation loc = clang_getCursorLocation(c);
    CXFile file, efile;
    unsigned off, eoff;
    clang_getFileLocation(loc, &file, NULL, NULL, &off);
    clang_getExpansionLocation(loc, &efile, NULL, NULL, &eoff);
    /* the `await` where the user wrote it: at the use, or in an argument
     * of a macro (an await in a macro's definition is an error anyway) */
    if (!file || !clang_File_isEqual(file, src->file) || !text_is(src, off, off + 5, "await") ||
        (off + 5 < src->len && is_ident_char(src->text[off + 5])) ||
        (off != eoff && !in_invocation(src, off)))
        return CXChildVisit_Recurse;
    CXCursor operand = first_child(c, 0);
    add(&f->seen, off);
    if (!clang_Cursor_isNull(operand) && type_is_awaitable_pointer(clang_getCursorType(operand)) &&
        !is_coroutine_call(operand))
        add(&f->awaitable, off);
    return CXChildVisit_Recurse;
}

/* The awaits to spell `(int)`: those of awaitables, and those of operands
 * that are not calls where clang dropped the expression for an error that
 * the pointer type caused (`a[await &aw]`: "subscript is not an integer"),
 * since they cannot be anything else. */
char *retype_awaitable_awaits(Source *src)
{
    size_t ncand;
    unsigned *cand = awaits_of_non_calls(src, &ncand);
    if (ncand == 0)
        return NULL;
    Found f = {src, {0}, {0}};
    clang_visitChildren(clang_getTranslationUnitCursor(src->tu), find_visit, &f);
    for (size_t i = 0; i < ncand; i++) {
        bool seen = false;
        for (size_t j = 0; j < f.seen.n && !seen; j++)
            seen = f.seen.v[j] == cand[i];
        if (!seen)
            add(&f.awaitable, cand[i]);
    }
    char *text = NULL;
    if (f.awaitable.n) {
        text = xstrndup(src->text, src->len);
        for (size_t i = 0; i < f.awaitable.n; i++)
            memcpy(text + f.awaitable.v[i], "(int)", 5);
    }
    free(cand);
    free(f.awaitable.v);
    free(f.seen.v);
    return text;
}
