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

#include <stdint.h>
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

const char *(*typeprint_local_name)(CXCursor decl);

/* The spellings of the types that are spelled the same everywhere (named,
 * and not declared in a function), by type: the frames of a file declare
 * the same few types again and again, and clang spells each one anew. */
typedef struct Spelled {
    CXType t;
    char *s;
} Spelled;

static Spelled *spelled; /* open addressing; kind 0 (CXType_Invalid) is free */
static size_t spelled_cap, nspelled;

static size_t spelled_slot(Spelled *table, size_t cap, CXType t)
{
    size_t h = (size_t)(((unsigned long)(uintptr_t)t.data[0] >> 4) * 2654435761UL) & (cap - 1);
    while (table[h].t.kind != CXType_Invalid &&
           !(table[h].t.kind == t.kind && table[h].t.data[0] == t.data[0] && table[h].t.data[1] == t.data[1]))
        h = (h + 1) & (cap - 1);
    return h;
}

static void remember_spelling(CXType t, const char *s)
{
    if ((nspelled + 1) * 2 > spelled_cap) {
        size_t cap = spelled_cap ? spelled_cap * 2 : 64;
        Spelled *table = xcalloc(cap, sizeof *table);
        for (size_t i = 0; i < spelled_cap; i++)
            if (spelled[i].t.kind != CXType_Invalid)
                table[spelled_slot(table, cap, spelled[i].t)] = spelled[i];
        free(spelled);
        spelled = table;
        spelled_cap = cap;
    }
    Spelled *e = &spelled[spelled_slot(spelled, spelled_cap, t)];
    e->t = t;
    e->s = xstrdup(s);
    nspelled++;
}

/* The name of a type as C can write it at file scope, or NULL. Types made
 * inside an async function are moved to file scope by lower.c, under names
 * it gives them (typeprint_local_name). */
static char *base_spelling(CXType t)
{
    if (spelled_cap && t.kind != CXType_Invalid) {
        Spelled *e = &spelled[spelled_slot(spelled, spelled_cap, t)];
        if (e->t.kind != CXType_Invalid)
            return xstrdup(e->s);
    }
    char *s = cx_str(clang_getTypeSpelling(t));
    bool anonymous = strstr(s, "(unnamed") || strstr(s, "(anonymous");
    CXCursor d = clang_getTypeDeclaration(t);
    bool has_decl = !clang_Cursor_isNull(d) && clang_getCursorKind(d) != CXCursor_NoDeclFound;
    bool local = has_decl &&
                 clang_getCursorKind(clang_getCursorSemanticParent(d)) == CXCursor_FunctionDecl;
    if (!anonymous && !local) {
        if (t.kind != CXType_Invalid)
            remember_spelling(t, s);
        return s;
    }
    const char *name = has_decl && typeprint_local_name ? typeprint_local_name(d) : NULL;
    free(s);
    if (!name)
        return NULL;
    /* `const struct node` -> `const struct f__node` (its file-scope name) */
    Buf b = {0};
    if (clang_isConstQualifiedType(t))
        buf_puts(&b, "const ");
    if (clang_isVolatileQualifiedType(t))
        buf_puts(&b, "volatile ");
    buf_puts(&b, name);
    return b.s;
}

/* `const volatile int` -> `volatile int`: a frame member is assigned, so
 * it cannot be const, but it stays volatile (a volatile local read in a
 * loop that a signal handler ends must be read every turn). */
static char *strip_const(char *s)
{
    static const char c[] = "const ", v[] = "volatile ";
    size_t nc = sizeof c - 1, nv = sizeof v - 1;
    if (strncmp(s, c, nc) == 0)
        memmove(s, s + nc, strlen(s + nc) + 1);
    else if (strncmp(s, v, nv) == 0 && strncmp(s + nv, c, nc) == 0)
        memmove(s + nv, s + nv + nc, strlen(s + nv + nc) + 1);
    return s;
}

/* One step into a type: a pointer's pointee, an array's element. */
static bool step_in(CXType *t)
{
    switch (t->kind) {
    case CXType_Pointer:
        *t = clang_getPointeeType(*t);
        return true;
    case CXType_ConstantArray:
    case CXType_IncompleteArray:
        *t = clang_getArrayElementType(*t);
        return true;
    default:
        return false;
    }
}

/* Is `t` (through typedefs, pointers and arrays) an async function type,
 * made so by an `async` typedef? */
bool type_is_async(CXType t)
{
    for (int depth = 0; depth < 16; depth++) {
        switch (t.kind) {
        case CXType_Typedef: {
            CXCursor d = clang_getTypeDeclaration(t);
            if (has_async_annotation(d))
                return true;
            t = clang_getTypedefDeclUnderlyingType(d);
            break;
        }
        case CXType_Elaborated:
            t = clang_Type_getNamedType(t);
            break;
        default:
            if (!step_in(&t))
                return false;
        }
    }
    return false;
}

/* The function type that `t` names through typedefs, pointers and
 * arrays (canonical), or an invalid type when it names none. */
CXType named_function_type(CXType t)
{
    for (int depth = 0; depth < 16; depth++) {
        t = clang_getCanonicalType(t);
        if (t.kind == CXType_FunctionProto || t.kind == CXType_FunctionNoProto)
            return t;
        if (!step_in(&t))
            break;
    }
    return (CXType){.kind = CXType_Invalid};
}

/* `inner` is the declarator built so far; NULL result: cannot spell it.
 * With `async_fn`, the first function type met is an async one, spelled
 * as its entry: `R (P)` becomes `acc_frame *(R *, P)`. */
static char *decl_rec2(CXType t, const char *inner, bool top_mutable, bool async_fn);

/* Is t so qualified (clang_isConstQualifiedType, ...), or an array of
 * elements that are (through typedefs)? */
static bool qualified_through_arrays(CXType t, unsigned (*qualified)(CXType))
{
    for (t = clang_getCanonicalType(t);; t = clang_getCanonicalType(clang_getArrayElementType(t))) {
        if (qualified(t))
            return true;
        if (t.kind != CXType_ConstantArray && t.kind != CXType_IncompleteArray)
            return false;
    }
}

static bool const_through_arrays(CXType t)
{
    return qualified_through_arrays(t, clang_isConstQualifiedType);
}

static char *decl_rec(CXType t, const char *inner, bool top_mutable)
{
    return decl_rec2(t, inner, top_mutable, false);
}

static char *decl_rec2(CXType t, const char *inner, bool top_mutable, bool async_fn)
{
    char *d, *r;
    if (async_fn && (t.kind == CXType_Typedef || t.kind == CXType_Elaborated)) {
        /* the typedef's name may mean the plain type in C (a header's
         * `async` reads as nothing there): spell what it stands for */
        CXType c = clang_getCanonicalType(t);
        if (c.kind == CXType_Pointer || c.kind == CXType_FunctionProto ||
            c.kind == CXType_FunctionNoProto || c.kind == CXType_ConstantArray ||
            c.kind == CXType_IncompleteArray)
            return decl_rec2(c, inner, top_mutable, true);
    }
    switch (t.kind) {
    case CXType_Pointer: {
        Buf b = {0};
        buf_puts(&b, "*");
        if (!top_mutable && clang_isConstQualifiedType(t))
            buf_puts(&b, "const ");
        if (clang_isVolatileQualifiedType(t))
            buf_puts(&b, "volatile ");
        if (clang_isRestrictQualifiedType(t))
            buf_puts(&b, "restrict ");
        buf_puts(&b, inner);
        CXType pt = clang_getPointeeType(t);
        if (async_fn && (pt.kind == CXType_Typedef || pt.kind == CXType_Elaborated))
            pt = clang_getCanonicalType(pt); /* spelled out below: its name may be plain in C */
        enum CXTypeKind pk = clang_getCanonicalType(pt).kind;
        /* a pointer to an array or a function needs parentheses, unless
         * a typedef names the pointee (`typeof`, spelled out, does not) */
        if (pt.kind != CXType_Typedef && pt.kind != CXType_Elaborated &&
            (pk == CXType_FunctionProto || pk == CXType_FunctionNoProto || pk == CXType_ConstantArray ||
             pk == CXType_IncompleteArray || pk == CXType_VariableArray)) {
            d = cat3("(", b.s, ")");
            free(b.s);
        } else {
            d = b.s;
        }
        r = decl_rec2(pt, d, false, async_fn);
        free(d);
        return r;
    }
    case CXType_ConstantArray: {
        Buf b = {0};
        buf_printf(&b, "%s[%lld]", inner, clang_getArraySize(t));
        r = decl_rec2(clang_getArrayElementType(t), b.s, top_mutable, async_fn);
        free(b.s);
        return r;
    }
    case CXType_IncompleteArray: {
        d = cat3(inner, "[]", "");
        r = decl_rec2(clang_getArrayElementType(t), d, top_mutable, async_fn);
        free(d);
        return r;
    }
    case CXType_FunctionNoProto: {
        /* `int ()`, no prototype (libclang calls it variadic): neither
         * its parameters nor, for an async one, the entry's are known, and
         * `acc_frame *()` is the entry's type without a prototype */
        d = cat3(inner, "()", "");
        if (async_fn)
            r = cat3("acc_frame *", d, "");
        else
            r = decl_rec(clang_getResultType(t), d, false);
        free(d);
        return r;
    }
    case CXType_FunctionProto: {
        Buf b = {0};
        buf_puts(&b, inner);
        buf_puts(&b, "(");
        int n = clang_getNumArgTypes(t);
        CXType res = clang_getResultType(t);
        bool first = true;
        if (async_fn && clang_getCanonicalType(res).kind != CXType_Void) {
            char *o = decl_rec(res, "*", true);
            if (!o) {
                free(b.s);
                return NULL;
            }
            buf_puts(&b, o);
            free(o);
            first = false;
        }
        if (t.kind == CXType_FunctionProto && n <= 0 && first && !clang_isFunctionTypeVariadic(t))
            buf_puts(&b, "void");
        for (int i = 0; i < n; i++) {
            char *a = decl_rec(clang_getArgType(t, (unsigned)i), "", false);
            if (!a) {
                free(b.s);
                return NULL;
            }
            buf_printf(&b, "%s%s", first ? "" : ", ", a);
            first = false;
            free(a);
        }
        if (clang_isFunctionTypeVariadic(t))
            buf_puts(&b, n > 0 ? ", ..." : "...");
        buf_puts(&b, ")");
        if (async_fn) {
            r = cat3("acc_frame *", b.s, "");
            free(b.s);
            return r;
        }
        r = decl_rec(res, b.s, false);
        free(b.s);
        return r;
    }
    case CXType_Unexposed:
        /* `typeof(x)` and the like: clang spells the operand, which means
         * nothing outside its scope (and `typeof` is no ISO C11 keyword) */
        if (!clang_equalTypes(clang_getCanonicalType(t), t))
            return decl_rec2(clang_getCanonicalType(t), inner, top_mutable, async_fn);
        /* fall through */
    default: {
        if (top_mutable && t.kind == CXType_Typedef && const_through_arrays(t)) {
            /* `typedef const int cint; cint x;`: the name brings the const
             * along, so spell the type it stands for, which strip_const
             * can strip (when C can spell it at file scope) */
            char *r = decl_rec2(clang_getCanonicalType(t), inner, top_mutable, async_fn);
            if (r)
                return r;
        }
        char *base = base_spelling(t);
        if (!base) {
            /* a typedef made inside a plain block: spell what it names */
            CXType c = clang_getCanonicalType(t);
            if (t.kind == CXType_Typedef && !clang_equalTypes(c, t))
                return decl_rec(c, inner, top_mutable);
            return NULL;
        }
        if (top_mutable)
            strip_const(base);
        r = cat3(base, *inner ? " " : "", inner);
        free(base);
        return r;
    }
    }
}

/* A parameter of array or function type is a pointer (C11 6.7.6.3p7-8). */
char *declare_param(CXType t, const char *name, bool mutable_top)
{
    if (t.kind == CXType_ConstantArray || t.kind == CXType_IncompleteArray ||
        t.kind == CXType_VariableArray) {
        Buf b = {0};
        buf_printf(&b, "*%s", name);
        CXType elem = clang_getArrayElementType(t);
        enum CXTypeKind ek = elem.kind;
        char *inner = b.s;
        if (ek == CXType_ConstantArray || ek == CXType_IncompleteArray) {
            inner = cat3("(", b.s, ")");
            free(b.s);
        }
        char *r = decl_rec(elem, inner, false);
        free(inner);
        return r;
    }
    if (t.kind == CXType_FunctionProto || t.kind == CXType_FunctionNoProto) {
        Buf b = {0};
        buf_printf(&b, "(*%s)", name);
        char *r = decl_rec(t, b.s, false);
        free(b.s);
        return r;
    }
    return decl_rec(t, name, mutable_top);
}

enum { Q_CONST = 1, Q_VOLATILE = 2 }; /* qualifiers, as bits */

/* The array or function type that a parameter's declared type `t` names,
 * through typedefs and `typeof`, or an invalid type when it names neither
 * (and so is not adjusted). *quals collects the qualifiers written on the
 * typedef names on the way (`const vec3 v`): C puts them on the element. */

static CXType adjusted_from(CXType t, unsigned *quals)
{
    for (int depth = 0; depth < 32; depth++) {
        if (clang_isConstQualifiedType(t))
            *quals |= Q_CONST;
        if (clang_isVolatileQualifiedType(t))
            *quals |= Q_VOLATILE;
        switch (t.kind) {
        case CXType_ConstantArray:
        case CXType_IncompleteArray:
        case CXType_VariableArray:
        case CXType_FunctionProto:
        case CXType_FunctionNoProto:
            return t;
        case CXType_Typedef:
            t = clang_getTypedefDeclUnderlyingType(clang_getTypeDeclaration(t));
            break;
        case CXType_Elaborated:
            t = clang_Type_getNamedType(t);
            break;
        case CXType_Unexposed: { /* typeof(...) */
            CXType c = clang_getCanonicalType(t);
            if (clang_equalTypes(c, t))
                return (CXType){.kind = CXType_Invalid};
            t = c;
            break;
        }
        default:
            return (CXType){.kind = CXType_Invalid};
        }
    }
    return (CXType){.kind = CXType_Invalid};
}

/* Is `t` a parameter of array type whose element C cannot name: va_list,
 * on targets where it is an array of a struct the compiler declares
 * itself (x86-64's `struct __va_list_tag`, a name gcc does not know)?
 * Such a parameter is kept as a pointer to the array it points into. */
bool param_is_unnamed_element_array(CXType t)
{
    unsigned quals = 0;
    CXType a = adjusted_from(t, &quals);
    if (a.kind != CXType_ConstantArray && a.kind != CXType_IncompleteArray && a.kind != CXType_VariableArray)
        return false;
    CXType e = clang_getCanonicalType(clang_getArrayElementType(a));
    if (e.kind != CXType_Record)
        return false;
    CXFile f = NULL;
    clang_getSpellingLocation(clang_getCursorLocation(clang_getTypeDeclaration(e)), &f, NULL, NULL, NULL);
    return f == NULL;
}

/* The declaration of `inner` as an `e` that also carries `quals`. C has
 * no such type to hand to decl_rec: the qualifiers are written where
 * they bind, right of a pointer's `*`, left of a named type, and on the
 * element of an array. */
static char *decl_qualified(CXType e, const char *inner, unsigned quals)
{
    if (clang_isConstQualifiedType(e))
        quals &= ~(unsigned)Q_CONST; /* spelled already: a repeated qualifier draws a warning */
    if (clang_isVolatileQualifiedType(e))
        quals &= ~(unsigned)Q_VOLATILE;
    if (!quals)
        return decl_rec(e, inner, false);
    const char *q = quals == (Q_CONST | Q_VOLATILE) ? "const volatile " : quals == Q_CONST ? "const " : "volatile ";
    char *r;
    switch (e.kind) {
    case CXType_Pointer: {
        char *d = cat3(q, inner, "");
        r = decl_rec(e, d, false);
        free(d);
        return r;
    }
    case CXType_ConstantArray:
    case CXType_IncompleteArray: {
        Buf b = {0};
        if (e.kind == CXType_ConstantArray)
            buf_printf(&b, "%s[%lld]", inner, clang_getArraySize(e));
        else
            buf_printf(&b, "%s[]", inner);
        r = decl_qualified(clang_getArrayElementType(e), b.s, quals);
        free(b.s);
        return r;
    }
    case CXType_Unexposed:
        if (!clang_equalTypes(clang_getCanonicalType(e), e))
            return decl_qualified(clang_getCanonicalType(e), inner, quals);
        /* fall through */
    default: /* a typedef name or a basic, struct, union or enum type */
        r = decl_rec(e, inner, false);
        if (!r)
            return NULL;
        char *qr = cat3(q, r, "");
        free(r);
        return qr;
    }
}

/* The frame member that keeps a parameter: its type as C adjusts it, a
 * pointer for an array or a function (C11 6.7.6.3p7-8), also when a
 * typedef names that type (`vec3 v` is kept as `int *v`, `cb_t cb` as
 * `cb_t *cb`). The top-level qualifiers are dropped: the member is
 * assigned. */
char *declare_param_member(CXType t, const char *name)
{
    unsigned quals = 0;
    CXType a = adjusted_from(t, &quals);
    Buf b = {0};
    char *r;
    if (a.kind == CXType_FunctionProto || a.kind == CXType_FunctionNoProto) {
        /* a typedef of the function type keeps its name: `cb_t *cb` */
        bool named = t.kind == CXType_Typedef;
        buf_printf(&b, named ? "*%s" : "(*%s)", name);
        r = decl_rec(named ? t : a, b.s, false);
    } else if (param_is_unnamed_element_array(t)) {
        /* `va_list *ap`, which lower.c reads as `*ap`; only a typedef
         * can name such an array */
        buf_printf(&b, "*%s", name);
        r = t.kind == CXType_Typedef ? decl_rec(t, b.s, false) : NULL;
    } else if (a.kind != CXType_Invalid) {
        CXType elem = clang_getArrayElementType(a);
        if (elem.kind == CXType_ConstantArray || elem.kind == CXType_IncompleteArray ||
            elem.kind == CXType_VariableArray)
            buf_printf(&b, "(*%s)", name);
        else
            buf_printf(&b, "*%s", name);
        r = decl_qualified(elem, b.s, quals);
    } else {
        return decl_rec(t, name, true);
    }
    free(b.s);
    return r;
}

/* Is the type of a parameter declared `t` variably modified once C has
 * adjusted it? `int a[n]` is an `int *` and is not; `int a[n][m]` is an
 * `int (*)[m]` and is. */
bool param_type_is_variably_modified(CXType t)
{
    unsigned quals = 0;
    CXType a = adjusted_from(t, &quals);
    if (a.kind == CXType_ConstantArray || a.kind == CXType_IncompleteArray || a.kind == CXType_VariableArray)
        return type_is_variably_modified(clang_getArrayElementType(a));
    return type_is_variably_modified(t);
}

static enum CXVisitorResult const_field(CXCursor field, CXClientData found)
{
    CXType t = clang_getCanonicalType(clang_getCursorType(field));
    while (t.kind == CXType_ConstantArray || t.kind == CXType_IncompleteArray)
        t = clang_getCanonicalType(clang_getArrayElementType(t));
    if (clang_isConstQualifiedType(t) || type_has_const_member(t)) {
        *(bool *)found = true;
        return CXVisit_Break;
    }
    return CXVisit_Continue;
}

/* Is t a struct or union with a const member, at any depth? C cannot
 * assign such an object as a whole (C11 6.3.2.1p1), only initialize it. */
bool type_has_const_member(CXType t)
{
    t = clang_getCanonicalType(t);
    bool found = false;
    if (t.kind == CXType_Record)
        clang_Type_visitFields(t, const_field, &found);
    return found;
}

/* Is an object of type t volatile, or an array of volatile elements? A
 * memcpy to or from one casts its address: C drops the qualifier only
 * by a cast. */
bool type_is_volatile_object(CXType t)
{
    return qualified_through_arrays(t, clang_isVolatileQualifiedType);
}

/* Does t involve a variable-length array (a variably modified type)? */
bool type_is_variably_modified(CXType t)
{
    for (int depth = 0; depth < 32; depth++) {
        switch (t.kind) {
        case CXType_VariableArray:
        case CXType_DependentSizedArray:
            return true;
        case CXType_Typedef:
        case CXType_Elaborated:
        case CXType_Unexposed: /* typeof(...) */
            t = clang_getCanonicalType(t);
            if (t.kind == CXType_Typedef || t.kind == CXType_Elaborated || t.kind == CXType_Unexposed)
                return false;
            break;
        default:
            if (!step_in(&t))
                return false;
        }
    }
    return false;
}

char *declare(CXType t, const char *name)
{
    return decl_rec2(t, name, false, false);
}

/* A declaration whose declarator says `async` (not its typedef). */
char *declare_async(CXType t, const char *name, bool mutable_top)
{
    return decl_rec2(t, name, mutable_top, true);
}

/* Does the frame member of an object of type t stay const? It does when a
 * typedef brings the const and C has no other name for the type it stands
 * for (`typedef const struct { int a; } pair;`): the member is then spelled
 * `pair`, const, and lower.c fills it with memcpy instead of assigning. */
bool member_stays_const(CXType t)
{
    if (!const_through_arrays(t))
        return false;
    char *s = decl_rec2(clang_getCanonicalType(t), "", true, false);
    free(s);
    return s == NULL;
}

/* A frame member is assigned after the frame is made, so top-level const
 * (also of array elements) is dropped; volatile stays. */
char *declare_member(CXType t, const char *name)
{
    return decl_rec2(t, name, true, false);
}
