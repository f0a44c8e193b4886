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

static bool ident_char(char c)
{
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static const char *skip_blanks(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v' ||
                       (*p == '\\' && p + 1 < end && (p[1] == '\n' || p[1] == '\r'))))
        p++;
    return p;
}

static const char *skip_ident(const char *p, const char *end)
{
    while (p < end && ident_char(*p))
        p++;
    return p;
}

/* Does the text at p look like a call, `name(`, `s.op(`, `p->op(`,
 * `ops[i](`? Anything else (`&ev`, `p`, `(*op)(x)`) may be an awaitable. */
static bool looks_like_call(const char *p, const char *end)
{
    if (p == end || !(ident_char(*p) && !(*p >= '0' && *p <= '9')))
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

/* A cheap look at the text, so that files that await only calls (nearly
 * all) are parsed once: is there an `await` whose operand is not plainly a
 * call? Comments and strings may answer yes; that costs a look at the tree. */
static bool may_await_awaitable(Source *src)
{
    const char *t = src->text, *end = t + src->len;
    for (const char *p = t; (p = memmem(p, (size_t)(end - p), "await", 5)) != NULL; p += 5) {
        if ((p > t && ident_char(p[-1])) || (p + 5 < end && ident_char(p[5])))
            continue;
        if (!looks_like_call(skip_blanks(p + 5, end), end))
            return true;
    }
    return false;
}

static enum CXChildVisitResult first_field_visit(CXCursor c, CXCursor parent, CXClientData d)
{
    (void)parent;
    if (clang_getCursorKind(c) == CXCursor_FieldDecl) {
        *(CXType *)d = clang_getCanonicalType(clang_getCursorType(c));
        return CXChildVisit_Break;
    }
    return CXChildVisit_Continue;
}

bool type_is_awaitable_pointer(CXType t)
{
    CXType c = clang_getCanonicalType(t);
    if (c.kind != CXType_Pointer)
        return false;
    CXType p = clang_getCanonicalType(clang_getPointeeType(c));
    for (int depth = 0; depth < 8 && p.kind == CXType_Record; depth++) {
        char *s = cx_str(clang_getTypeSpelling(p));
        bool is = strstr(s, "struct acc_awaitable") != NULL;
        free(s);
        if (is)
            return true;
        CXType first = {0};
        first.kind = CXType_Invalid;
        clang_visitChildren(clang_getTypeDeclaration(p), first_field_visit, &first);
        p = first;
    }
    return false;
}

static enum CXChildVisitResult first_child_visit(CXCursor c, CXCursor parent, CXClientData d)
{
    (void)parent;
    *(CXCursor *)d = c;
    return CXChildVisit_Break;
}

typedef struct Found {
    Source *src;
    unsigned *offs;
    size_t n, cap;
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
        (off + 5 < src->len && ident_char(src->text[off + 5])) ||
        (off != eoff && !in_invocation(src, off)))
        return CXChildVisit_Recurse;
    CXCursor operand = clang_getNullCursor();
    clang_visitChildren(c, first_child_visit, &operand);
    if (clang_Cursor_isNull(operand) || !type_is_awaitable_pointer(clang_getCursorType(operand)))
        return CXChildVisit_Recurse;
    if (f->n == f->cap) {
        f->cap = f->cap ? 2 * f->cap : 16;
        f->offs = xrealloc(f->offs, f->cap * sizeof *f->offs);
    }
    f->offs[f->n++] = off;
    return CXChildVisit_Recurse;
}

char *retype_awaitable_awaits(Source *src)
{
    if (!may_await_awaitable(src))
        return NULL;
    Found f = {src, NULL, 0, 0};
    clang_visitChildren(clang_getTranslationUnitCursor(src->tu), find_visit, &f);
    if (f.n == 0)
        return NULL;
    char *text = xstrndup(src->text, src->len);
    for (size_t i = 0; i < f.n; i++)
        memcpy(text + f.offs[i], "(int)", 5);
    free(f.offs);
    return text;
}
