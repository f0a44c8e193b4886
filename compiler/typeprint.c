/*
 * typeprint.c: spell a C declaration of a name with a given clang type.
 *
 * Frame members and entry parameters are declared from clang's types, not
 * copied from the source text, because one source declaration may declare
 * several names (`int a, *b[4];`). The declarator is built inside out, the
 * way C reads it: pointers go left of the name, arrays and parameter lists
 * right, with parentheses where a pointer meets an array or a function.
 */
#include "compiler.h"

#include <stdlib.h>
#include <string.h>

static char *cat3(const char *a, const char *b, const char *c)
{
    Buf o = {0};
    buf_puts(&o, a);
    buf_puts(&o, b);
    buf_puts(&o, c);
    return o.s ? o.s : xstrdup("");
}

/* Types whose names cannot be written at file scope: anonymous structs and
 * unions, and types declared inside a function body. */
static bool spellable(CXType t)
{
    char *s = cx_str(clang_getTypeSpelling(t));
    bool ok = !strstr(s, "(unnamed") && !strstr(s, "(anonymous");
    free(s);
    if (!ok)
        return false;
    CXCursor d = clang_getTypeDeclaration(t);
    if (!clang_Cursor_isNull(d) && clang_getCursorKind(d) != CXCursor_NoDeclFound) {
        CXCursor p = clang_getCursorSemanticParent(d);
        enum CXCursorKind k = clang_getCursorKind(p);
        if (k == CXCursor_FunctionDecl)
            return false;
    }
    return true;
}

static char *strip_const(char *s)
{
    static const char *quals[] = {"const ", "volatile "};
    for (;;) {
        bool changed = false;
        for (size_t i = 0; i < 2; i++) {
            size_t n = strlen(quals[i]);
            if (strncmp(s, quals[i], n) == 0) {
                memmove(s, s + n, strlen(s + n) + 1);
                changed = true;
            }
        }
        if (!changed)
            return s;
    }
}

/* `inner` is the declarator built so far; NULL result: cannot spell it. */
static char *decl_rec(CXType t, const char *inner, bool top_mutable)
{
    char *d, *r;
    switch (t.kind) {
    case CXType_Pointer: {
        const char *q = "";
        if (!top_mutable && clang_isConstQualifiedType(t))
            q = "const ";
        if (clang_isRestrictQualifiedType(t))
            q = "restrict ";
        Buf b = {0};
        buf_puts(&b, "*");
        buf_puts(&b, q);
        buf_puts(&b, inner);
        CXType pt = clang_getPointeeType(t);
        enum CXTypeKind pk = clang_getCanonicalType(pt).kind;
        if (pt.kind == CXType_ConstantArray || pt.kind == CXType_IncompleteArray ||
            pt.kind == CXType_FunctionProto || pt.kind == CXType_FunctionNoProto ||
            (pt.kind != CXType_Typedef && pt.kind != CXType_Elaborated &&
             (pk == CXType_FunctionProto || pk == CXType_FunctionNoProto))) {
            d = cat3("(", b.s, ")");
            free(b.s);
        } else {
            d = b.s;
        }
        r = decl_rec(pt, d, false);
        free(d);
        return r;
    }
    case CXType_ConstantArray: {
        Buf b = {0};
        buf_printf(&b, "%s[%lld]", inner, clang_getArraySize(t));
        r = decl_rec(clang_getArrayElementType(t), b.s, top_mutable);
        free(b.s);
        return r;
    }
    case CXType_IncompleteArray: {
        d = cat3(inner, "[]", "");
        r = decl_rec(clang_getArrayElementType(t), d, top_mutable);
        free(d);
        return r;
    }
    case CXType_FunctionProto:
    case CXType_FunctionNoProto: {
        Buf b = {0};
        buf_puts(&b, inner);
        buf_puts(&b, "(");
        int n = clang_getNumArgTypes(t);
        if (t.kind == CXType_FunctionProto && n <= 0 && !clang_isFunctionTypeVariadic(t))
            buf_puts(&b, "void");
        for (int i = 0; i < n; i++) {
            char *a = decl_rec(clang_getArgType(t, (unsigned)i), "", false);
            if (!a) {
                free(b.s);
                return NULL;
            }
            buf_printf(&b, "%s%s", i ? ", " : "", a);
            free(a);
        }
        if (clang_isFunctionTypeVariadic(t))
            buf_puts(&b, n > 0 ? ", ..." : "...");
        buf_puts(&b, ")");
        r = decl_rec(clang_getResultType(t), b.s, false);
        free(b.s);
        return r;
    }
    default: {
        if (!spellable(t)) {
            /* a typedef made inside the function: spell what it names */
            CXType c = clang_getCanonicalType(t);
            if (t.kind == CXType_Typedef && !clang_equalTypes(c, t))
                return decl_rec(c, inner, top_mutable);
            return NULL;
        }
        char *base = cx_str(clang_getTypeSpelling(t));
        if (top_mutable)
            strip_const(base);
        r = cat3(base, *inner ? " " : "", inner);
        free(base);
        return r;
    }
    }
}

char *declare(CXType t, const char *name)
{
    return decl_rec(t, name, false);
}

/* A frame member is assigned after the frame is made, so top-level const
 * (also of array elements) is dropped. */
char *declare_member(CXType t, const char *name)
{
    return decl_rec(t, name, true);
}
