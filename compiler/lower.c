/*
 * lower.c: rewrite one async function into a switch-based state machine.
 *
 * For `async T f(P p) { body }` we emit
 *
 *     struct f__frame { acc_frame acc_hdr; T *acc_out; P p; <locals>; <temps>; };
 *     static int f__step(acc_frame *acc_base);
 *     acc_frame *f__coro(T *acc_out, P p)     allocate and fill the frame
 *     static int f__step(acc_frame *acc_base) the body, resumable:
 *         switch (state) { case 0: break; case K: goto acc_resume_K; ... }
 *         <body, locals read and written through acc_self->>
 *
 * (An await of a frame built in place gets cases that step that frame
 * again before jumping: docs/design.md, "Resuming".)
 *
 * Every local lives in the frame, so nothing needs saving at an await, and
 * a resume is a jump to the label after the await it left. Statements keep
 * their shape; only expressions holding an await are split, the awaits
 * hoisted in evaluation order into statements before the expression:
 *
 *     x = g(await f(a)) + 1;
 *  => acc_self->acc_hdr.acc_state = 1;
 *     if (acc__await(&acc_self->acc_hdr, f__coro(&acc_self->acc_t1, acc_self->a)) == ACC_PENDING)
 *         return ACC_PENDING;
 *     acc_resume_1:;
 *     acc_self->x = g(acc_self->acc_t1) + 1;
 *
 * `&&`, `||`, `?:` (GNU's `a ?: b` too) and `,` with an await in a later
 * operand become if statements, so that an operand C would not evaluate is
 * not awaited.
 */
#include "compiler.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct Loop {
    char *continue_label; /* NULL: a plain `continue` is right */
    bool used;            /* some `continue` jumps to the label */
} Loop;

typedef struct Lower {
    Program *p;
    Source *src;
    AsyncFn *fn; /* NULL in plain functions (only acc_run forms to rewrite) */
    Out *o;
    Loop loops[256];
    int nloops;
    int nlabels;
    char *fallthrough; /* comments for the next resume label (fallthrough_comments) */
    bool uses_func;    /* the body names __func__: the step function declares func_name */
    char *func_name;   /* its name: acc_func, unless the body spells that */
    char *ret_name;    /* the temporary of a return: acc_r, unless the body spells that */
    Buf dispatch;      /* the cases of the step's switch, one or two per await */
    bool spells_func;  /* the body's text holds __func__ (or GNU's names for it) */
    bool file_scope;   /* rendering a type moved to file scope */
    const char *plain_name; /* a plain function's name (fn NULL): names its conversions */
    bool after_check;  /* the next statement follows a loop's `if (!(cond)) break;` */
    size_t *asserts;   /* the body's active library asserts (indexes of src->macros) */
    int nasserts;
} Lower;

static char *lower_expr(Lower *L, Node *n, Buf *pre);
static bool is_awaited(Node *n);

/* A line of its own in pre-statements: map back to the statement's line. */
#define RESYNC "\001\n"
/* Starts a pre-statement line that continues the user's text of the line
 * before (an argument list over several lines). */
#define CONTINUED "\002"
/* Starts a pre-statement line that maps to the source offset written
 * after it, up to a ':' (a branch of `c ? x : y` on a line of its own). */
#define AT_OFFSET "\003"

/* ---- rendering source text with edits ------------------------------------ */

typedef struct Edit {
    unsigned b, e;
    char *text;
} Edit;

typedef struct Edits {
    Edit *v;
    int n, cap;
} Edits;

static char *run_form_text(Lower *L, Node *form, Buf *pre);
static char *apply_edits(Lower *L, Edits *E, unsigned b, unsigned e);
static char *fn_ref_text(Lower *L, Node *n);

/* `__func__` (or GNU's `__FUNCTION__`, `__PRETTY_FUNCTION__`) written in
 * an async body: in the step function it would name f__step. */
static bool is_func_name(Lower *L, Node *n)
{
    if (!L->spells_func || !clang_isExpression(n->kind) || n->nkids > 1 || !region(n)->in_main)
        return false;
    for (size_t i = 0; i < NFUNC_NAMES; i++)
        if (text_is(L->src, region(n)->b, region(n)->e, func_names[i]))
            return true;
    return false;
}

/* Does the body spell one of them at all? Most do not, and then no node
 * needs its region to be asked. */
static bool spells_func_name(Lower *L)
{
    const Region *r = region(L->fn->body);
    for (size_t i = 0; i < NFUNC_NAMES; i++)
        if (text_has_word(L->src->text, r->b, r->e, func_names[i]))
            return true;
    return false;
}

/* The async function's own name instead (C11 6.4.2.2): the step function
 * declares it as C declares __func__, `static const char acc_func[] =
 * "f";`, except in a type moved to file scope, where the literal stands. */
static char *func_name_text(Lower *L)
{
    Buf b = {0};
    if (L->file_scope) {
        buf_printf(&b, "\"%s\"", L->fn->name);
        return b.s;
    }
    L->uses_func = true;
    return xstrdup(L->func_name);
}

/* A name for a local that the step function declares itself, that nothing
 * in the body spells: a user's `acc_r`, local or global, would otherwise
 * be hidden by ours where the user's code names it. */
static char *unused_name(Lower *L, const char *base)
{
    const Region *r = region(L->fn->body);
    for (int k = 1;; k++) {
        Buf b = {0};
        if (k == 1)
            buf_puts(&b, base);
        else
            buf_printf(&b, "%s_%d", base, k);
        if (!text_has_word(L->src->text, r->b, r->e, b.s))
            return b.s;
        free(b.s);
    }
}

static void add_edit(Edits *E, unsigned b, unsigned e, char *text)
{
    if (E->n == E->cap) {
        E->cap = E->cap ? 2 * E->cap : 8;
        E->v = xrealloc(E->v, (size_t)E->cap * sizeof *E->v);
    }
    E->v[E->n++] = (Edit){b, e, text};
}

static void rename_edits(Lower *L, Node *n, Edits *E);
static int nhoisted; /* types moved out of async bodies (see hoist_types) */

static void collect_edits(Lower *L, Node *n, Edits *E)
{
    if (nhoisted)
        rename_edits(L, n, E);
    if (n->override) {
        add_edit(E, region(n)->b, region(n)->e, xstrdup(n->override));
        return;
    }
    if (n->role == ROLE_LOCAL_REF) {
        Buf b = {0};
        buf_printf(&b, n->local->via_array ? "(*acc_self->%s)" : "acc_self->%s", n->local->member);
        add_edit(E, region(n)->b, region(n)->e, b.s);
        return;
    }
    if (n->literal) {
        /* (T){...}  =>  (*(T (*))memcpy(&acc_self->acc_clN, &(T){...}, sizeof(T))) */
        Edits inner = {0};
        for (int i = 0; i < n->nkids; i++)
            collect_edits(L, n->kids[i], &inner);
        char *lit = apply_edits(L, &inner, region(n)->b, region(n)->e);
        CXType t = clang_getCursorType(n->cur);
        char *ptr = declare(t, "(*)"), *ty = declare(t, "");
        Buf b = {0};
        const char *dst = "", *src = ""; /* a volatile literal's addresses need casts */
        if (type_is_volatile_object(t))
            dst = "(void *)", src = "(const void *)";
        else if (member_stays_const(t))
            dst = "(void *)";
        buf_printf(&b, "(*(%s)memcpy(%s&acc_self->acc_cl%d, %s&%s, sizeof(%s)))", ptr ? ptr : "void *",
                   dst, n->literal, src, lit, ty ? ty : "int");
        free(lit), free(ptr), free(ty);
        add_edit(E, region(n)->b, region(n)->e, b.s);
        return;
    }
    if (n->role == ROLE_FN_REF) {
        add_edit(E, region(n)->b, region(n)->e, fn_ref_text(L, n));
        return;
    }
    if (L->fn && is_func_name(L, n)) {
        add_edit(E, region(n)->b, region(n)->e, func_name_text(L));
        return;
    }
    if (n->role == ROLE_FORM && (n->form == FORM_RUN || n->form == FORM_SPAWN)) {
        add_edit(E, region(n)->b, region(n)->e, run_form_text(L, n, NULL));
        return;
    }
    for (int i = 0; i < n->nkids; i++)
        collect_edits(L, n->kids[i], E);
}

static int edit_order(const void *a, const void *b)
{
    const Edit *x = a, *y = b;
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    return x->e > y->e ? -1 : x->e < y->e;
}

/* An async function used as a value (`f`, or `&f`, which is the same
 * pointer): C sees a pointer of the plain type clang gave it
 * (`int (*)(int)`), holding the entry. Calls through it
 * cast it back (coro_text). The detour through `void (*)(void)` is the
 * one cast between function types that compilers do not warn about. */
static char *fn_ref_text(Lower *L, Node *n)
{
    Node *ref = n;
    while (ref->kind != CXCursor_DeclRefExpr && ref->nkids)
        ref = ref->kids[ref->nkids - 1];
    AsyncFn *fn = find_async_fn(L->p, clang_getCursorReferenced(ref->cur));
    CXType t = clang_getCursorType(ref->cur);
    char *ty = clang_getCanonicalType(t).kind == CXType_Pointer ? declare(t, "") : declare(t, "(*)");
    Buf b = {0};
    buf_printf(&b, "((%s)(void (*)(void))%s__coro)", ty ? ty : "void (*)(void)", fn->name);
    free(ty);
    return b.s;
}

/* The text of [b, e) with the edits of `n`'s subtree applied. */
static char *render_range(Lower *L, Node *n, unsigned b, unsigned e)
{
    Edits E = {0};
    collect_edits(L, n, &E);
    return apply_edits(L, &E, b, e);
}

static char *func_name_text(Lower *L);

/* assert(e) -> acc__assert(e, "e", NAME) (acc.h) for the asserts in
 * [b, e): the library's assert, expanded in the step function, would name
 * f__step in its report. Edits of the text, so no second parse. */
static void assert_edits(Lower *L, Edits *E, unsigned b, unsigned e)
{
    for (int i = 0; i < L->nasserts; i++) {
        const Token *m = &L->src->macros[L->asserts[i]];
        const char *t = L->src->text;
        if (m->b < b || m->e > e || t[m->e - 1] != ')')
            continue;
        unsigned open = m->b + 6;
        while (open < m->e && t[open] != '(')
            open++;
        Buf x = {0};
        buf_puts(&x, ", \"");
        char quote = 0; /* as # spells it: white space between tokens is one space */
        for (unsigned k = open + 1; k + 1 < m->e; k++) {
            bool space = t[k] == ' ' || t[k] == '\n' || t[k] == '\r' || t[k] == '\t';
            if (!quote && space) {
                if (x.len > 3 && x.s[x.len - 1] != ' ')
                    buf_puts(&x, " ");
                continue;
            }
            if (quote && t[k] == '\\' && k + 2 < m->e) { /* an escape: both characters, escaped */
                buf_puts(&x, "\\\\");
                k++;
                if (t[k] == '"' || t[k] == '\\')
                    buf_puts(&x, "\\");
                buf_put(&x, t + k, 1);
                continue;
            }
            if (t[k] == '"' || t[k] == '\'')
                quote = !quote ? t[k] : quote == t[k] ? 0 : quote;
            if (t[k] == '"' || t[k] == '\\')
                buf_puts(&x, "\\");
            buf_put(&x, t + k, 1);
        }
        while (x.len > 3 && x.s[x.len - 1] == ' ')
            x.s[--x.len] = 0;
        char *name = func_name_text(L);
        buf_printf(&x, "\", %s", name);
        free(name);
        add_edit(E, m->b, m->b + 6, xstrdup("acc__assert"));
        add_edit(E, m->e - 1, m->e - 1, x.s);
    }
}

/* The text of [b, e) with edits applied; frees the edits. */
static char *apply_edits(Lower *L, Edits *Ep, unsigned b, unsigned e)
{
    if (L->nasserts)
        assert_edits(L, Ep, b, e);
    Edits E = *Ep;
    /* the edits come mostly in order already; glibc's qsort is a stable
     * merge sort for so few, so skipping it for sorted ones changes nothing */
    bool sorted = true;
    for (int i = 1; i < E.n && sorted; i++)
        sorted = edit_order(&E.v[i - 1], &E.v[i]) <= 0;
    if (!sorted)
        qsort(E.v, (size_t)E.n, sizeof *E.v, edit_order);
    Buf out = {0};
    unsigned pos = b;
    for (int i = 0; i < E.n; i++) {
        Edit *x = &E.v[i];
        /* a macro argument expanded twice yields the same edit twice */
        if (x->b >= pos && x->e <= e) {
            buf_put(&out, L->src->text + pos, x->b - pos);
            buf_puts(&out, x->text);
            pos = x->e;
        }
        free(x->text);
    }
    if (pos < e)
        buf_put(&out, L->src->text + pos, e - pos);
    free(E.v);
    return out.s ? out.s : xstrdup("");
}

static char *render(Lower *L, Node *n)
{
    if (n->override)
        return xstrdup(n->override);
    return render_range(L, n, region(n)->b, region(n)->e);
}

static Node *strip(Node *n)
{
    while (n && (n->kind == CXCursor_UnexposedExpr || n->kind == CXCursor_ParenExpr) && n->nkids == 1)
        n = n->kids[0];
    return n;
}

/* The end and start of a node as its parent's text sees them: a node in
 * a macro argument is seen as the whole invocation, unless the parent is
 * in the same argument. */
static unsigned seen_e(Node *parent, Node *kid)
{
    return region(parent)->from_arg ? region(kid)->e : region(kid)->oe;
}

static unsigned seen_b(Node *parent, Node *kid)
{
    return region(parent)->from_arg ? region(kid)->b : region(kid)->ob;
}

static bool binop_is(Lower *L, Node *n, const char *op)
{
    if (n->kind != CXCursor_BinaryOperator || n->nkids != 2 || !region(n->kids[0])->in_main ||
        !region(n->kids[1])->in_main)
        return false;
    unsigned e0 = seen_e(n, n->kids[0]), b1 = seen_b(n, n->kids[1]);
    return e0 <= b1 && gap_is(L->src, e0, b1, op);
}

static bool canon_equal(CXType a, CXType b)
{
    return clang_equalTypes(clang_getCanonicalType(a), clang_getCanonicalType(b));
}

/* Is this await's operand a coroutine (not a hand-written awaitable)? */
static bool is_coro_operand(Node *op)
{
    return op->role == ROLE_CORO_CALL ||
           (op->role == ROLE_FORM && (op->form == FORM_GATHER || op->form == FORM_WAIT_FOR));
}

/* May `await` store its result straight into an object of type `t`? Only
 * a coroutine's result has exactly the type clang gave the await. */
static bool direct_result(Node *await, CXType t)
{
    Node *op = strip(await->kids[0]);
    return is_coro_operand(op) && canon_equal(clang_getCursorType(await->cur), t) &&
           clang_getCanonicalType(t).kind != CXType_ConstantArray;
}

/* `lvalue = val` for an object of type t, where a braced val is an
 * initializer list. C cannot assign a struct with a const member, only
 * initialize one, so such an object is copied from a compound literal
 * that the value initializes; so is one whose member stays const (a const
 * typedef of an unnamed struct). An array here is a parameter, kept as a
 * pointer. */
static char *store_text(CXType t, const char *lvalue, const char *val, bool braced)
{
    Buf b = {0};
    enum CXTypeKind k = clang_getCanonicalType(t).kind;
    bool stays_const = k != CXType_ConstantArray && k != CXType_IncompleteArray && member_stays_const(t);
    bool whole = type_has_const_member(t) || stays_const;
    if (!whole && !braced) { /* the usual case: no type to spell */
        buf_printf(&b, "%s = %s", lvalue, val);
        return b.s;
    }
    char *ty = declare_member(t, "");
    if (!ty)
        ty = xstrdup("int"); /* reported where the frame is laid out */
    if (whole) {
        /* `*p` has the address `p`, anything else `&x` */
        const char *cast = type_is_volatile_object(t) || stays_const ? "(void *)" : "";
        if (lvalue[0] == '*')
            buf_printf(&b, "memcpy(%s%s", cast, lvalue + 1);
        else
            buf_printf(&b, "memcpy(%s&%s", cast, lvalue);
        buf_printf(&b, ", %s(%s[1]){%s}, sizeof %s)", type_is_volatile_object(t) ? "(const void *)" : "", ty,
                   val, lvalue);
    } else {
        buf_printf(&b, "%s = (%s)%s", lvalue, ty, val);
    }
    free(ty);
    return b.s;
}

/* ---- awaits ------------------------------------------------------------- */

/* A temporary of type t (an invalid t stands for int), or, when `frame`
 * is given, storage of that type for a callee's frame built in place. */
static int add_temp(AsyncFn *fn, CXType t, const char *frame)
{
    fn->temps = xrealloc(fn->temps, (size_t)(fn->ntemps + 1) * sizeof *fn->temps);
    fn->temp_frame = xrealloc(fn->temp_frame, (size_t)(fn->ntemps + 1) * sizeof *fn->temp_frame);
    fn->temp_stmt = xrealloc(fn->temp_stmt, (size_t)(fn->ntemps + 1) * sizeof *fn->temp_stmt);
    fn->temps[fn->ntemps] = t;
    fn->temp_frame[fn->ntemps] = frame ? xstrdup(frame) : NULL;
    fn->temp_stmt[fn->ntemps] = fn->cur_stmt;
    return ++fn->ntemps;
}

static int new_temp(AsyncFn *fn, CXType t)
{
    return add_temp(fn, t, NULL);
}

/* Can an await of `callee` build the callee's frame inside the awaiting
 * frame? It can when the frame's type is complete there: a function of
 * this file lowered above (so never the function itself: no infinite
 * frame), or a runtime leaf that acc.h gives a slot type. Over-aligned
 * frames keep their own aligned allocation. */
bool frame_in_place(AsyncFn *callee)
{
    if (callee == NULL)
        return false;
    return callee->slot_leaf || (callee->defined_here && callee->lowered && !callee->over_aligned);
}

/* The call of an `lvalue = call` argument of a form. */
static Node *form_call(Node *arg)
{
    Node *s = strip(arg);
    if (s->role != ROLE_CORO_CALL && s->kind == CXCursor_BinaryOperator && s->nkids == 2)
        s = strip(s->kids[1]);
    return s;
}

/* acc_spawn, acc_gather and acc_wait_for make each coroutine call a task's
 * root: when f's frame type is complete here, acc__root_alloc allocates
 * the frame with room for its task in front (one allocation per task). */
static bool root_in_block(Node *form, Node *call)
{
    AsyncFn *f = call->role == ROLE_CORO_CALL ? call->callee : NULL;
    return (form->form == FORM_SPAWN || form->form == FORM_GATHER || form->form == FORM_WAIT_FOR) &&
           f && !f->slot_leaf && frame_in_place(f);
}

/* The lvalue of an `lvalue = call` argument of a form, or NULL. */
static Node *form_lvalue(Node *arg)
{
    Node *s = strip(arg);
    if (s->role != ROLE_CORO_CALL && s->kind == CXCursor_BinaryOperator && s->nkids == 2)
        return s->kids[0];
    return NULL;
}

/* The callee stores its result through a pointer to the lvalue of
 * `lvalue = call`, so only an lvalue of exactly the result's type can be
 * given to it; any other (`double d = f()` of an int f, a volatile int)
 * goes through a conversion coroutine (conversion_entry). */
bool result_needs_conversion(Node *lvalue, Node *call)
{
    return !canon_equal(clang_getCursorType(lvalue->cur), clang_getCursorType(call->cur));
}

static bool converted_arg(Node *arg)
{
    Node *lv = form_lvalue(arg);
    return lv && result_needs_conversion(lv, form_call(arg));
}

void mark_frames_built(Node *n)
{
    if (n->role == ROLE_FORM) {
        for (int i = 0; i < n->nform_args; i++) {
            Node *call = form_call(n->form_args[i]);
            if (root_in_block(n, call) && !converted_arg(n->form_args[i]))
                call->frame_built = true;
        }
    } else if (n->role == ROLE_AWAIT && n->nkids) {
        Node *op = strip(n->kids[0]);
        if (op->role == ROLE_CORO_CALL && frame_in_place(op->callee))
            op->frame_built = true;
    }
}

/* A temporary to hold the frame of an await of `callee` (frame_in_place),
 * as the argument its f__init takes: acc__embed(&acc_self->acc_tN), or
 * for a leaf (callee NULL: an awaitable's) its slot, &acc_self->acc_tN.
 * *slot is N. */
static char *in_place_frame(AsyncFn *fn, AsyncFn *callee, int *slot)
{
    Buf type = {0}, arg = {0};
    if (callee == NULL)
        buf_puts(&type, "acc__awaitable_slot");
    else if (callee->slot_leaf)
        buf_printf(&type, "%s__slot", callee->name);
    else
        buf_printf(&type, "struct %s__frame", callee->name);
    CXType none = {.kind = CXType_Invalid};
    int k = add_temp(fn, none, type.s);
    free(type.s);
    if (callee == NULL || callee->slot_leaf)
        buf_printf(&arg, "&acc_self->acc_t%d", k);
    else
        buf_printf(&arg, "acc__embed(&acc_self->acc_t%d)", k);
    *slot = k;
    return arg.s;
}

/* `f(args)` as the expression that makes its frame: f__coro(dest, args),
 * or f__init(frame, dest, args) to build it in `frame`, or for a leaf
 * f__init(slot, args) (its step takes dest). */
static char *coro_text(Lower *L, Node *call, const char *dest, Buf *pre, const char *frame,
                       const char *conversion)
{
    AsyncFn *callee = call->callee;
    Buf b = {0};
    bool returns_void;
    if (conversion) {
        /* its entry takes dest, then the callee pointer (if any) and the
         * arguments: conversion_entry */
        buf_printf(&b, "%s(%s", conversion, dest);
        if (!callee) {
            char *fp = pre ? lower_expr(L, call->kids[0], pre) : render(L, call->kids[0]);
            buf_printf(&b, ", %s", fp);
            free(fp);
        }
        frame = NULL;
        dest = NULL;
        returns_void = true; /* dest is written */
    } else if (callee && frame) {
        buf_printf(&b, "%s__init(%s", callee->name, frame);
        returns_void = callee->returns_void;
    } else if (callee) {
        buf_printf(&b, "%s__coro(", callee->name);
        returns_void = callee->returns_void;
    } else {
        /* through a pointer: it holds the entry, under its plain C type */
        char *fp = pre ? lower_expr(L, call->kids[0], pre) : render(L, call->kids[0]);
        CXType ft = clang_getCursorType(call->kids[0]->cur);
        char *entry = clang_getCanonicalType(ft).kind == CXType_Pointer ? declare_async(ft, "", false)
                                                                         : declare_async(ft, "(*)", false);
        buf_printf(&b, "((%s)(void (*)(void))(%s))(", entry ? entry : "acc_frame *(*)()", fp);
        free(fp), free(entry);
        returns_void = clang_getCanonicalType(clang_getCursorType(call->cur)).kind == CXType_Void;
    }
    bool first = !(callee && frame) && !conversion;
    if (!returns_void && !(callee && frame && callee->slot_leaf)) {
        buf_printf(&b, "%s%s", first ? "" : ", ", dest ? dest : "NULL");
        first = false;
    }
    /* kids: the callee expression, then the arguments in order. The
     * arguments are copied as written (line breaks included, so that
     * __LINE__ in them keeps its line), their awaits hoisted in order. */
    if (call->nkids > 1) {
        Node *first_arg = call->kids[1], *last_arg = call->kids[call->nkids - 1];
        unsigned ab = seen_b(call, first_arg);
        /* from just after the `(`, to keep a line break before the first argument */
        unsigned callee_e = seen_e(call, call->kids[0]);
        unsigned paren = callee_e;
        while (paren < ab && L->src->text[paren] != '(')
            paren++;
        if (paren < ab && region(call->kids[0])->in_main)
            ab = paren + 1;
        unsigned ae = seen_e(call, last_arg);
        bool in_order = ab <= ae;
        for (int i = 2; i < call->nkids && in_order; i++)
            in_order = seen_e(call, call->kids[i - 1]) <= seen_b(call, call->kids[i]);
        if (in_order) {
            for (int i = 1; i < call->nkids; i++)
                if (pre && is_awaited(call->kids[i]))
                    call->kids[i]->override = lower_expr(L, call->kids[i], pre);
            Edits E = {0};
            for (int i = 1; i < call->nkids; i++)
                collect_edits(L, call->kids[i], &E);
            char *args = apply_edits(L, &E, ab, ae);
            buf_puts(&b, first ? "" : ", ");
            for (const char *c = args; *c;) {
                const char *nl = strchrnul(c, '\n');
                size_t n = (size_t)(nl - c) + (*nl == '\n');
                buf_put(&b, c, n);
                if (*nl == '\n' && pre)
                    buf_puts(&b, CONTINUED); /* put_pre: keep this line where it falls */
                c += n;
            }
            free(args);
            for (int i = 1; i < call->nkids; i++) {
                free(call->kids[i]->override);
                call->kids[i]->override = NULL;
            }
        } else {
            for (int i = 1; i < call->nkids; i++) {
                char *a = pre ? lower_expr(L, call->kids[i], pre) : render(L, call->kids[i]);
                buf_printf(&b, "%s%s", first ? "" : ", ", a);
                first = false;
                free(a);
            }
        }
    }
    buf_puts(&b, ")");
    return b.s;
}

static char *gather_text(Lower *L, Node *form, const char *dest, Buf *pre);
static char *wait_for_text(Lower *L, Node *form, const char *dest, Buf *pre);

/* ---- results converted on their way to the lvalue ---------------------- */

/* `d = f(3)` in a form, where d is a double and f returns int: the task
 * gets a small coroutine of acc's in place of f's frame. It awaits f(3)
 * into a temporary of f's type and then assigns that to *acc_out, with C's
 * conversion, when f returns (also in a spawned task, where nothing of
 * the caller runs then). Its arguments are f's, evaluated where the form
 * stands; f's frame is made when the task first runs, so a task cancelled
 * before that leaves d untouched, as f's own frame would. The definitions
 * wait in `conversions` until the output reaches the function that uses
 * them (emit_conversions). */
typedef struct Conversion {
    char *head;   /* the frame, and the step up to the store */
    char *store;  /* `*acc_out = acc_r`: on the lvalue's line, for C's messages */
    char *tail;   /* the rest of the step, and the entry */
    unsigned off; /* where the lvalue is */
} Conversion;

static Conversion *conversions;
static int nconversions, conversions_made;

/* What a conversion coroutine declares, spelled at file scope. */
typedef struct ConversionParts {
    AsyncFn *callee;     /* NULL: through a pointer, kept in acc_fp */
    char *out, *result;  /* `U *acc_out`, `T acc_r` */
    char *fp_member, *fp_param, *entry_type; /* the pointer, and its entry's type */
    int nparams;         /* the arguments acc_a1, ...: */
    Buf members, params, stores; /* as frame members, parameters, stores into the frame */
} ConversionParts;

static void free_parts(ConversionParts *c)
{
    free(c->out), free(c->result), free(c->fp_member), free(c->fp_param), free(c->entry_type);
    free(c->members.s), free(c->params.s), free(c->stores.s);
}

/* Spell the parts; false if some type cannot be spelled (analyze.c has
 * reported the usual reasons: a plain function's type, no prototype). */
static bool spell_conversion(Node *lvalue, Node *call, ConversionParts *c)
{
    AsyncFn *callee = c->callee = call->callee;
    c->out = declare(clang_getCursorType(lvalue->cur), "*acc_out");
    c->result = declare_member(clang_getCursorType(call->cur), "acc_r");
    bool ok = c->out && c->result;
    CXType fn_type = {.kind = CXType_Invalid};
    c->nparams = callee ? callee->nparams : 0;
    if (!callee) {
        CXType ft = clang_getCursorType(call->kids[0]->cur);
        fn_type = clang_getCanonicalType(ft);
        if (fn_type.kind == CXType_Pointer)
            fn_type = clang_getCanonicalType(clang_getPointeeType(fn_type));
        c->nparams = fn_type.kind == CXType_FunctionProto ? clang_getNumArgTypes(fn_type) : 0;
        c->fp_member = declare_param(ft, "acc_fp", true);
        c->fp_param = declare_param(ft, "acc_fp", false);
        c->entry_type = clang_getCanonicalType(ft).kind == CXType_Pointer ? declare_async(ft, "", false)
                                                                          : declare_async(ft, "(*)", false);
        ok = ok && c->fp_member && c->fp_param && c->entry_type;
    }
    ok = ok && call->nkids - 1 == c->nparams;
    for (int i = 0; i < c->nparams && ok; i++) {
        CXType t = callee ? callee->param_types[i] : clang_getArgType(fn_type, (unsigned)i);
        Buf a = {0}, member = {0};
        buf_printf(&a, "acc_a%d", i + 1);
        buf_printf(&member, "acc_self->acc_a%d", i + 1);
        char *m = declare_param(t, a.s, true), *param = declare_param(t, a.s, false);
        ok = m && param;
        if (ok) {
            char *st = store_text(t, member.s, a.s, false);
            buf_printf(&c->members, "    %s;\n", m);
            buf_printf(&c->params, ", %s", param);
            buf_printf(&c->stores, "    %s;\n", st);
            free(st);
        }
        free(m), free(param), free(a.s), free(member.s);
    }
    return ok;
}

/* The frame, step function and entry of conversion coroutine `name`. */
static Conversion conversion_text(const char *name, const char *what, CXType to, ConversionParts *c)
{
    Buf h = {0}, store = {0}, tail = {0};
    buf_printf(&h, "/* `lvalue = call` in a form: the result of %s, converted to the lvalue's type when "
                   "the call returns */\n", what);
    buf_printf(&h, "struct %s__frame {\n    acc_frame acc_hdr;\n    %s;\n    %s;\n", name, c->out, c->result);
    if (!c->callee)
        buf_printf(&h, "    %s;\n", c->fp_member);
    buf_puts(&h, c->members.s ? c->members.s : "");
    buf_printf(&h, "};\nstatic int %s__step(acc_frame *acc_base)\n{\n", name);
    buf_printf(&h, "    struct %s__frame *acc_self = (struct %s__frame *)acc_base;\n", name, name);
    buf_puts(&h, "    if (acc_self->acc_hdr.acc_state == 0) {\n        acc_self->acc_hdr.acc_state = 1;\n");
    if (c->callee)
        buf_printf(&h, "        if (acc__await(&acc_self->acc_hdr, %s__coro(&acc_self->acc_r", c->callee->name);
    else
        buf_printf(&h, "        if (acc__await(&acc_self->acc_hdr, ((%s)(void (*)(void))(acc_self->acc_fp))"
                       "(&acc_self->acc_r", c->entry_type);
    for (int i = 0; i < c->nparams; i++)
        buf_printf(&h, ", acc_self->acc_a%d", i + 1);
    buf_puts(&h, ")) == ACC_PENDING)\n            return ACC_PENDING;\n    }\n");

    char *st = store_text(to, "*acc_self->acc_out", "acc_self->acc_r", false);
    buf_printf(&store, "    %s;\n", st);
    free(st);

    buf_puts(&tail, "    return acc__return(&acc_self->acc_hdr);\n}\n");
    buf_printf(&tail, "static acc_frame *%s__coro(%s%s%s%s)\n{\n", name, c->out, c->callee ? "" : ", ",
               c->callee ? "" : c->fp_param, c->params.s ? c->params.s : "");
    buf_printf(&tail, "    struct %s__frame *acc_self = (struct %s__frame *)acc__frame_alloc(sizeof *acc_self);\n",
               name, name);
    buf_puts(&tail, "    if (acc_self == NULL)\n        return NULL;\n");
    buf_printf(&tail, "    acc_self->acc_hdr.acc_resume = %s__step;\n    acc_self->acc_hdr.acc_state = 0;\n", name);
    buf_puts(&tail, "    acc_self->acc_out = acc_out;\n");
    if (!c->callee)
        buf_puts(&tail, "    acc_self->acc_fp = acc_fp;\n");
    buf_puts(&tail, c->stores.s ? c->stores.s : "");
    buf_puts(&tail, "    return &acc_self->acc_hdr;\n}\n");
    return (Conversion){h.s, store.s, tail.s, 0};
}

/* The entry's name of a new conversion coroutine for `lvalue = call`
 * (NULL after an error); its definition goes to `conversions`. */
static char *conversion_entry(Lower *L, Node *lvalue, Node *call)
{
    CXType to = clang_getCursorType(lvalue->cur);
    Buf what = {0};
    if (call->callee)
        buf_printf(&what, "'%s'", call->callee->name);
    else
        buf_puts(&what, "the call through a pointer");
    ConversionParts parts = {0};
    char *entry = NULL;
    if (!spell_conversion(lvalue, call, &parts)) {
        char *lv = xstrndup(L->src->text + region(lvalue)->b, region(lvalue)->e - region(lvalue)->b);
        char *ts = cx_str(clang_getTypeSpelling(to));
        char *fs = cx_str(clang_getTypeSpelling(clang_getCursorType(call->cur)));
        error_at(region(lvalue)->b, "acc cannot convert the result of %s (%s) to the type of '%s' (%s): it "
                                    "cannot spell a type of the call at file scope",
                 what.s, fs, lv, ts);
        free(lv), free(ts), free(fs);
    } else {
        Buf name = {0};
        buf_printf(&name, "%s__conv%d", L->fn ? L->fn->name : L->plain_name ? L->plain_name : "acc",
                   ++conversions_made);
        conversions = xrealloc(conversions, (size_t)(nconversions + 1) * sizeof *conversions);
        Conversion *c = &conversions[nconversions++];
        *c = conversion_text(name.s, what.s, to, &parts);
        c->off = region(lvalue)->b;
        Buf e = {0};
        buf_printf(&e, "%s__coro", name.s);
        entry = e.s;
        free(name.s);
    }
    free_parts(&parts);
    free(what.s);
    return entry;
}

/* The conversion coroutines made so far, before the function that uses
 * them. */
void emit_conversions(Program *p, Out *o)
{
    for (int i = 0; i < nconversions; i++) {
        Conversion *c = &conversions[i];
        out_generated(o);
        out_str(o, c->head);
        out_sync_at(o, p->src, c->off);
        out_str(o, c->store);
        out_generated(o);
        out_str(o, c->tail);
        free(c->head), free(c->store), free(c->tail);
    }
    nconversions = 0;
}

/* One argument of a form: `call` or `lvalue = call`, where the call may
 * be a gather or a wait_for. */
static char *form_arg_text(Lower *L, Node *form, Node *arg, Buf *pre)
{
    Node *s = strip(arg);
    char *dest = NULL;
    Node *lv = NULL;
    if (s->role != ROLE_CORO_CALL && s->kind == CXCursor_BinaryOperator && s->nkids == 2) {
        lv = s->kids[0];
        if (s->kids[0]->has_await)
            error_at(region(s->kids[0])->b, "acc cannot translate an await in the result lvalue of a coroutine call");
        char *lv_text = render(L, s->kids[0]);
        Buf d = {0};
        buf_printf(&d, "&(%s)", lv_text);
        free(lv_text);
        dest = d.s;
        s = strip(s->kids[1]);
    }
    if (s->role == ROLE_FORM) { /* acc_wait_for(acc_gather(...), t), ... */
        char *r = s->form == FORM_GATHER ? gather_text(L, s, dest, pre) : wait_for_text(L, s, dest, pre);
        free(dest);
        return r;
    }
    char *conversion = lv && result_needs_conversion(lv, s) ? conversion_entry(L, lv, s) : NULL;
    Buf frame = {0};
    if (root_in_block(form, s) && !conversion)
        buf_printf(&frame, "acc__root_alloc(sizeof(struct %s__frame))", s->callee->name);
    char *r = coro_text(L, s, dest, pre, frame.s, conversion);
    free(dest), free(frame.s), free(conversion);
    return r;
}

/* acc_run(f(x)) and acc_spawn(f(x)) take the coroutine's frame. */
static char *run_form_text(Lower *L, Node *form, Buf *pre)
{
    Buf b = {0};
    buf_printf(&b, "%s(", form_name(form->form));
    if (form->nform_args == 1) {
        char *a = form_arg_text(L, form, form->form_args[0], pre);
        buf_puts(&b, a);
        free(a);
    }
    buf_puts(&b, ")");
    return b.s;
}

static char *gather_text(Lower *L, Node *form, const char *dest, Buf *pre)
{
    Buf b = {0};
    buf_printf(&b, "acc_gather__coro(%s, %d, (acc_frame *[]){", dest ? dest : "NULL", form->nform_args);
    for (int i = 0; i < form->nform_args; i++) {
        char *a = form_arg_text(L, form, form->form_args[i], pre);
        buf_printf(&b, "%s%s", i ? ", " : "", a);
        free(a);
    }
    buf_puts(&b, "})");
    return b.s;
}

/* acc_wait_for(f(x), s)  =>  acc_wait_for__coro(dest, f__coro(...), s) */
static char *wait_for_text(Lower *L, Node *form, const char *dest, Buf *pre)
{
    Buf b = {0};
    char *c = form->nform_args == 1 ? form_arg_text(L, form, form->form_args[0], pre) : xstrdup("NULL");
    char *s = form->form_seconds ? lower_expr(L, form->form_seconds, pre) : xstrdup("0");
    buf_printf(&b, "acc_wait_for__coro(%s, %s, %s)", dest ? dest : "NULL", c, s);
    free(c), free(s);
    return b.s;
}

static bool spellable(CXType t)
{
    char *d = declare_member(t, "");
    free(d);
    return d != NULL;
}

/* A type C can name for the value of expression n, to declare the
 * temporary that keeps it. An rvalue drops the qualifiers of the type it
 * comes from, which can leave a type C cannot name: the value of
 * `await f()`, `async pair f(void)` with `typedef const struct {...}
 * pair`, is an unnamed struct. The declared type names it: f's result
 * type (f stores through a `pair *`), a variable's type, a branch's. */
static CXType value_type(Node *n)
{
    CXType t = clang_getCursorType(n->cur);
    if (t.kind == CXType_Invalid || spellable(t))
        return t;
    Node *s = strip(n);
    CXType d = clang_getCursorType(s->cur); /* `p`, under its lvalue conversion */
    if (s->role == ROLE_AWAIT) {
        Node *op = strip(s->kids[0]);
        d = t;
        if (op->role == ROLE_CORO_CALL && op->callee) {
            d = op->callee->ret;
        } else if (op->role == ROLE_CORO_CALL) {
            CXType p = clang_getCursorType(op->kids[0]->cur);
            if (p.kind == CXType_Pointer)
                p = clang_getPointeeType(p);
            if (p.kind == CXType_FunctionProto || p.kind == CXType_FunctionNoProto)
                d = clang_getResultType(p);
        }
    } else if (s->kind == CXCursor_ConditionalOperator && s->nkids == 3) {
        d = value_type(s->kids[1]);
        if (!spellable(d))
            d = value_type(s->kids[2]);
    }
    return spellable(d) ? d : t;
}

/* A temporary for the value of n (one whose type C cannot name at all,
 * a header's unnamed result type, is reported with its function). */
static int value_temp(Lower *L, Node *n)
{
    return new_temp(L->fn, value_type(n));
}

/* await n: emit the suspension into `pre`; returns the value's text.
 * `dest`, when given, is where the result goes instead of a temporary. */
static char *lower_await(Lower *L, Node *n, Buf *pre, const char *dest)
{
    AsyncFn *fn = L->fn;
    Node *op = strip(n->kids[0]);
    CXType t = clang_getCursorType(n->cur);
    /* the awaits in the operand resume before this one */
    char *fallthrough = L->fallthrough;
    L->fallthrough = NULL;
    bool awaitable = !is_coro_operand(op);
    if (awaitable)
        t.kind = CXType_Invalid; /* clang typed it as the pointer: the value is an int */
    bool is_void = clang_getCanonicalType(t).kind == CXType_Void;
    char *value = NULL;
    char *tmp_dest = NULL;
    if (!dest && !is_void) {
        int k = awaitable ? new_temp(fn, t) : value_temp(L, n);
        Buf v = {0}, d = {0};
        buf_printf(&v, "acc_self->acc_t%d", k);
        buf_printf(&d, "&acc_self->acc_t%d", k);
        value = v.s;
        tmp_dest = d.s;
        dest = tmp_dest;
    }
    char *coro;
    bool in_place = false;
    int slot = 0;
    if (op->role == ROLE_CORO_CALL) {
        in_place = frame_in_place(op->callee);
        char *frame = in_place ? in_place_frame(fn, op->callee, &slot) : NULL;
        coro = coro_text(L, op, dest, pre, frame, NULL);
        free(frame);
    }
    else if (op->role == ROLE_FORM && op->form == FORM_GATHER)
        coro = gather_text(L, op, dest, pre);
    else if (op->role == ROLE_FORM && op->form == FORM_WAIT_FOR)
        coro = wait_for_text(L, op, dest, pre);
    else {
        char *ptr = lower_expr(L, n->kids[0], pre);
        Buf c = {0};
        char *frame = in_place_frame(fn, NULL, &slot);
        buf_printf(&c, "acc__awaitable_init(%s, (acc_awaitable *)(%s))", frame, ptr);
        free(ptr), free(frame);
        in_place = true;
        coro = c.s;
    }
    int k = ++fn->nawaits;
    /* a callee defined in this file is called directly: it can be inlined */
    bool here = op->role == ROLE_CORO_CALL && op->callee && op->callee->defined_here;
    Buf call = {0};
    if (in_place && !here) {
        /* a leaf (ACC__LEAF, or an awaitable's) waits only by itself:
         * this frame stays the task's top, and resuming it in state k
         * steps the leaf in its slot first; the step stores the result */
        Buf step = {0}, out = {0};
        if (op->role == ROLE_CORO_CALL)
            buf_printf(&step, "%s__step", op->callee->name);
        else
            buf_puts(&step, "acc__awaitable_step");
        if (op->role != ROLE_CORO_CALL || !op->callee->returns_void)
            buf_printf(&out, ", %s", dest ? dest : "NULL");
        buf_printf(&call, "%s(%s%s)", step.s, coro, out.s ? out.s : "");
        buf_printf(&L->dispatch,
                   "    case %d:\n"
                   "        if (%s(&acc_self->acc_t%d%s) == ACC_PENDING)\n"
                   "            return ACC_PENDING;\n"
                   "        goto acc_resume_%d;\n",
                   k, step.s, slot, out.s ? out.s : "", k);
        free(step.s), free(out.s);
    } else if (in_place) {
        buf_printf(&call, "acc__await_in_place(&acc_self->acc_hdr, %s, %s__step)", coro, op->callee->name);
        /* resumed while the callee waits by itself: resume the callee first */
        buf_printf(&L->dispatch,
                   "    case %d:\n"
                   "        goto acc_resume_%d;\n"
                   "    case ACC__REPOLL | %d:\n"
                   "        if (acc__repoll(&acc_self->acc_hdr, &acc_self->acc_t%d.acc_hdr, %s__step) == ACC_PENDING)\n"
                   "            return ACC_PENDING;\n"
                   "        goto acc_resume_%d;\n",
                   k, k, k, slot, op->callee->name, k);
    } else {
        if (here)
            buf_printf(&call, "acc__await_step(&acc_self->acc_hdr, %s, %s__step)", coro, op->callee->name);
        else
            buf_printf(&call, "acc__await(&acc_self->acc_hdr, %s)", coro);
        buf_printf(&L->dispatch, "    case %d:\n        goto acc_resume_%d;\n", k, k);
    }
    buf_printf(pre,
               "acc_self->acc_hdr.acc_state = %d;\n"
               "if (%s == ACC_PENDING)\n"
               "    return ACC_PENDING;\n"
               RESYNC "%sacc_resume_%d:;\n",
               k, call.s, fallthrough ? fallthrough : "", k);
    free(coro), free(call.s);
    free(tmp_dest);
    return value ? value : xstrdup("((void)0)");
}

/* ---- expressions -------------------------------------------------------- */

static bool is_awaited(Node *n)
{
    return n->has_await || n->role == ROLE_AWAIT;
}

/* The operator of a binary node, when it is written in the main file.
 * An operator inside a macro body is invisible to us, and it might be one
 * that decides whether its right operand runs at all. */
static bool visible_binop(Lower *L, Node *n)
{
    static const char *ops[] = {"*", "/", "%", "+", "-", "<<", ">>", "<", ">", "<=", ">=",
                                "==", "!=", "&", "^", "|", "=", "*=", "/=", "%=", "+=",
                                "-=", "<<=", ">>=", "&=", "^=", "|="};
    if (n->nkids != 2 || !region(n->kids[0])->in_main || !region(n->kids[1])->in_main)
        return false;
    unsigned e0 = seen_e(n, n->kids[0]), b1 = seen_b(n, n->kids[1]);
    if (e0 > b1)
        return false;
    char *g = gap_text(L->src, e0, b1);
    bool ok = false;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0] && !ok; i++)
        ok = strcmp(g, ops[i]) == 0;
    free(g);
    return ok;
}

/* The identifier at off (a macro's name where it is invoked). */
static char *macro_name_at(Source *src, unsigned off)
{
    unsigned e = ident_end(src, off);
    return e > off ? xstrndup(src->text + off, e - off) : xstrdup("?");
}

/* The macro that spells a binary operator we cannot see: the name between
 * its operands (`await a() and await b()`, `and` of <iso646.h>), else the
 * invocation the whole expression comes from (`PLUS(1, await v())`). */
static char *operator_macro(Lower *L, Node *n)
{
    unsigned b = seen_e(n, n->kids[0]), e = seen_b(n, n->kids[1]);
    const char *t = L->src->text;
    for (unsigned i = b; i < e && i < L->src->len; i++)
        if (is_ident_char(t[i]) && !(t[i] >= '0' && t[i] <= '9'))
            return macro_name_at(L->src, i);
    return macro_name_at(L->src, region(n)->b);
}

/* A condition we write as `if (cond)`: the user's parentheses around it
 * are dropped, as clang warns about `if ((a == 0))`. */
static Node *unparen(Node *n)
{
    for (;;) {
        Node *s = n;
        while (s->kind == CXCursor_UnexposedExpr && s->nkids == 1)
            s = s->kids[0];
        if (s->kind != CXCursor_ParenExpr || s->nkids != 1 || !region(s)->in_main || region(s)->from_arg)
            return n;
        n = s->kids[0];
    }
}

/* Is the `?:` of GNU `a ?: b` written between a and b (not in a macro)? */
static bool visible_elvis(Lower *L, Node *n)
{
    Node *a = n->kids[0], *b = n->kids[3];
    if (!region(a)->in_main || !region(b)->in_main)
        return false;
    unsigned ae = seen_e(n, a), bb = seen_b(n, b);
    return ae <= bb && gap_is(L->src, ae, bb, "?:");
}

/* The first await in n, in the order of its text. */
static Node *first_await_in(Node *n)
{
    if (n->role == ROLE_AWAIT)
        return n;
    for (int i = 0; i < n->nkids; i++)
        if (is_awaited(n->kids[i]))
            return first_await_in(n->kids[i]);
    return n;
}

/* Returns the text of n with its awaits hoisted into `pre`. */
/* The AT_OFFSET prefix that maps a branch's store to the branch's own
 * line (a `?:` spread over lines), or "" where it has none in the file. */
static void branch_line(Node *branch, char *buf, size_t size)
{
    const Region *r = region(branch);
    if (r->in_main && !r->from_arg)
        snprintf(buf, size, AT_OFFSET "%u:", r->b);
    else
        buf[0] = '\0';
}

static char *lower_expr(Lower *L, Node *n, Buf *pre)
{
    if (!is_awaited(n))
        return render(L, n);
    if (n->role == ROLE_AWAIT)
        return lower_await(L, n, pre, NULL);
    if (n->role == ROLE_FORM && n->form == FORM_SPAWN)
        return run_form_text(L, n, pre);

    bool andand = binop_is(L, n, "&&"), oror = binop_is(L, n, "||");
    if ((andand || oror) && is_awaited(n->kids[1])) {
        char *lhs = lower_expr(L, unparen(n->kids[0]), pre);
        int k = new_temp(L->fn, clang_getCursorType(n->cur));
        Buf inner = {0};
        char *rhs = lower_expr(L, n->kids[1], &inner);
        if (andand)
            buf_printf(pre, "if (%s) {\n%sacc_self->acc_t%d = (%s) != 0;\n} else {\nacc_self->acc_t%d = 0;\n}\n",
                       lhs, inner.s ? inner.s : "", k, rhs, k);
        else
            buf_printf(pre, "if (%s) {\nacc_self->acc_t%d = 1;\n} else {\n%sacc_self->acc_t%d = (%s) != 0;\n}\n",
                       lhs, k, inner.s ? inner.s : "", k, rhs);
        free(lhs), free(rhs), free(inner.s);
        Buf v = {0};
        buf_printf(&v, "acc_self->acc_t%d", k);
        return v.s;
    }
    if (n->kind == CXCursor_ConditionalOperator && n->nkids == 3 &&
        (is_awaited(n->kids[1]) || is_awaited(n->kids[2])) &&
        seen_e(n, n->kids[0]) <= seen_b(n, n->kids[1]) && seen_e(n, n->kids[1]) <= seen_b(n, n->kids[2]) &&
        gap_is(L->src, seen_e(n, n->kids[0]), seen_b(n, n->kids[1]), "?") &&
        gap_is(L->src, seen_e(n, n->kids[1]), seen_b(n, n->kids[2]), ":")) {
        char *cond = lower_expr(L, unparen(n->kids[0]), pre);
        CXType t = clang_getCursorType(n->cur);
        bool is_void = clang_getCanonicalType(t).kind == CXType_Void;
        int k = 0;
        if (!is_void) {
            k = value_temp(L, n);
            t = L->fn->temps[k - 1]; /* the branches are stored as the temporary's type */
        }
        Buf a = {0}, b = {0}, v = {0};
        char *x = lower_expr(L, n->kids[1], &a);
        char *y = lower_expr(L, n->kids[2], &b);
        if (is_void) {
            buf_printf(pre, "if (%s) {\n%s(void)(%s);\n} else {\n%s(void)(%s);\n}\n", cond,
                       a.s ? a.s : "", x, b.s ? b.s : "", y);
        } else {
            buf_printf(&v, "acc_self->acc_t%d", k);
            char *sx = store_text(t, v.s, x, false), *sy = store_text(t, v.s, y, false);
            char at_x[32], at_y[32];
            branch_line(n->kids[1], at_x, sizeof at_x);
            branch_line(n->kids[2], at_y, sizeof at_y);
            buf_printf(pre, "if (%s) {\n%s%s%s;\n} else {\n%s%s%s;\n}\n", cond, a.s ? a.s : "", at_x, sx,
                       b.s ? b.s : "", at_y, sy);
            free(sx), free(sy);
        }
        free(cond), free(x), free(y), free(a.s), free(b.s);
        return is_void ? xstrdup("((void)0)") : v.s;
    }
    if (is_gnu_elvis(n) && !visible_elvis(L, n)) {
        error_at(region(first_await_in(n))->b, "acc cannot translate an await in GNU `a ?: b` whose `?:` a "
                                               "macro spells: acc cannot see that it decides if the await "
                                               "runs; write the operator itself");
        return render(L, n);
    }
    if (is_gnu_elvis(n)) {
        /* GNU `a ?: b`: a once, into a temporary; b (and its awaits) only
         * when that is zero. C tests a's own value, so the test is on it,
         * before it is converted to the result's type. */
        Node *a = n->kids[0], *b = n->kids[3];
        char *av = lower_expr(L, unparen(a), pre);
        int ka = new_temp(L->fn, clang_getCursorType(a->cur));
        int k = new_temp(L->fn, clang_getCursorType(n->cur));
        Buf bpre = {0}, v = {0};
        char *bv = lower_expr(L, b, &bpre);
        buf_printf(pre, "acc_self->acc_t%d = %s;\nif (acc_self->acc_t%d) {\nacc_self->acc_t%d = acc_self->acc_t%d;\n"
                        "} else {\n%sacc_self->acc_t%d = %s;\n}\n",
                   ka, av, ka, k, ka, bpre.s ? bpre.s : "", k, bv);
        free(av), free(bv), free(bpre.s);
        buf_printf(&v, "acc_self->acc_t%d", k);
        return v.s;
    }
    if (binop_is(L, n, ",")) {
        char *lhs = lower_expr(L, n->kids[0], pre);
        buf_printf(pre, "(void)(%s);\n", lhs);
        free(lhs);
        return lower_expr(L, n->kids[1], pre);
    }
    if ((n->kind == CXCursor_BinaryOperator || n->kind == CXCursor_CompoundAssignOperator) &&
        n->nkids == 2 && is_awaited(n->kids[1]) && !visible_binop(L, n)) {
        char *macro = operator_macro(L, n);
        Node *aw = n->kids[1];
        while (aw->role != ROLE_AWAIT) {
            int i = 0;
            while (i < aw->nkids && !is_awaited(aw->kids[i]))
                i++;
            if (i == aw->nkids)
                break;
            aw = aw->kids[i];
        }
        error_at(region(aw)->b, "acc cannot translate an await next to an operator that macro '%s' "
                                "spells: acc cannot see whether that operator (&&, ||, ?: or ,) decides "
                                "if the await runs; write the operator itself",
                 macro);
        free(macro);
        return render(L, n);
    }
    if (n->kind == CXCursor_ConditionalOperator && (is_awaited(n->kids[1]) ||
                                                    (n->nkids > 2 && is_awaited(n->kids[2])))) {
        error_at(region(n)->b, "acc cannot translate an await in a branch of this conditional expression");
        return render(L, n);
    }
    /* Any other expression: its operands are unsequenced or sequenced left
     * to right, so hoisting the awaits in order keeps a C-conforming order. */
    for (int i = 0; i < n->nkids; i++)
        if (is_awaited(n->kids[i]))
            n->kids[i]->override = lower_expr(L, n->kids[i], pre);
    char *r = render(L, n);
    for (int i = 0; i < n->nkids; i++) {
        free(n->kids[i]->override);
        n->kids[i]->override = NULL;
    }
    return r;
}

/* ---- statements --------------------------------------------------------- */

static void lower_stmt(Lower *L, Node *n);
static Node *initializer_of(Node *var);

/* `local = await f(x)`, where f can store straight into the local: the
 * assignment, else NULL. */
static Node *direct_assignment(Lower *L, Node *n)
{
    Node *s = strip(n);
    if (binop_is(L, s, "=") && strip(s->kids[0])->role == ROLE_LOCAL_REF &&
        strip(s->kids[1])->role == ROLE_AWAIT &&
        direct_result(strip(s->kids[1]), clang_getCursorType(s->kids[0]->cur)))
        return s;
    return NULL;
}

static void sync_to(Lower *L, unsigned off)
{
    out_sync_at(L->o, L->src, off);
}

static void put(Lower *L, const char *s)
{
    out_str(L->o, s);
}

/* Emit pre-statements and then `text;` (text may be NULL). */
/* Lines we write ourselves hold only these; anything else came from the
 * user's expression. */
static bool has_user_text(const char *p, size_t n)
{
    static const char *ours[] = {"acc_self->acc_hdr.acc_state = ", "return ACC_PENDING;", "} else {",
                                 "}", "acc_resume_"};
    while (n && (*p == ' ' || *p == '\t'))
        p++, n--;
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++)
        if (strncmp(p, ours[i], strlen(ours[i])) == 0)
            return false;
    return n > 1;
}

/* Write pre-statements; a RESYNC line in them maps the next line back to
 * the statement's own line (so that a resumed await is at its line). */
static void put_pre(Lower *L, Node *at, const char *pre)
{
    for (const char *p = pre; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (n == strlen(RESYNC) && strncmp(p, RESYNC, n) == 0) {
            sync_to(L, region(at)->b);
        } else if (*p == CONTINUED[0]) {
            out_text(L->o, p + 1, n - 1);
        } else if (*p == AT_OFFSET[0]) {
            char *end;
            unsigned long off = strtoul(p + 1, &end, 10);
            sync_to(L, (unsigned)off);
            out_text(L->o, end + 1, n - (size_t)(end + 1 - p));
        } else {
            /* a line with the user's tokens maps to the statement's line,
             * so that __LINE__ and messages are right */
            if (has_user_text(p, n))
                sync_to(L, region(at)->b);
            out_text(L->o, p, n);
        }
        p += n;
    }
}

/* Does text[b, e) start with a `(` that closes at its end? */
static bool parenthesized(const char *text, size_t b, size_t e)
{
    if (e - b < 2 || text[b] != '(' || text[e - 1] != ')')
        return false;
    int depth = 0;
    for (size_t i = b; i < e - 1; i++) {
        depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
        if (depth == 0)
            return false;
    }
    return true;
}

/* A value that is only read, maybe in parentheses (`(x, await f());`
 * leaves `(acc_self->acc_t1)`): as a statement it would do nothing, and
 * compilers warn about it. */
static bool is_plain_value(const char *text)
{
    size_t b = 0, e = strlen(text);
    for (;;) {
        while (b < e && text[b] == ' ')
            b++;
        while (e > b && text[e - 1] == ' ')
            e--;
        if (e - b == strlen("((void)0)") && strncmp(text + b, "((void)0)", e - b) == 0)
            return true;
        if (!parenthesized(text, b, e))
            break;
        b++, e--;
    }
    const char *p = "acc_self->acc_t";
    if (e - b <= strlen(p) || strncmp(text + b, p, strlen(p)) != 0)
        return false;
    for (b += strlen(p); b < e; b++)
        if (text[b] < '0' || text[b] > '9')
            return false;
    return true;
}

/* `(int)(await f());`: a cast of an awaited value, as a statement. What
 * is left once the await is hoisted, `(int)(acc_self->acc_t1)`, does
 * nothing, and gcc and clang would say so. */
static bool is_cast_await(Node *n)
{
    bool cast = false;
    for (n = strip(n); n && n->kind == CXCursor_CStyleCastExpr && n->role != ROLE_AWAIT && n->nkids > 0;
         n = strip(n->kids[n->nkids - 1]))
        cast = true;
    return cast && n && n->role == ROLE_AWAIT;
}

/* Emit pre-statements and then `text;` (text may be NULL). The statement
 * maps back to its own line again after the awaits before it. */
static void put_with_pre(Lower *L, Node *at, Buf *pre, const char *text)
{
    sync_to(L, region(at)->b);
    if (pre->s) {
        put_pre(L, at, pre->s);
        sync_to(L, region(at)->b);
    }
    if (text && pre->s && (is_plain_value(text) || is_cast_await(at)))
        return; /* `await f(), await g();`: nothing left to evaluate */
    if (text) {
        put(L, text);
        put(L, ";\n");
    }
}

/* `return e;` becomes one line, so that the whole of it maps to the
 * return's line: `{ T acc_r = e; if (acc_self->acc_out) *acc_self->acc_out
 * = acc_r; return acc__return(...); }`. e is evaluated even when the
 * caller drops the result (acc_out is NULL), as C would. */
static void lower_return(Lower *L, Node *n)
{
    AsyncFn *fn = L->fn;
    Buf pre = {0}, last = {0};
    Node *v = n->nkids == 1 ? n->kids[0] : NULL;
    const char *ret = "return acc__return(&acc_self->acc_hdr);";
    if (v && !fn->returns_void && strip(v)->role == ROLE_AWAIT && direct_result(strip(v), fn->ret)) {
        /* return await g(x): g stores straight into our caller's result */
        free(lower_await(L, strip(v), &pre, "acc_self->acc_out"));
        buf_puts(&last, ret);
    } else if (v) {
        char *val = lower_expr(L, v, &pre);
        if (fn->returns_void) {
            buf_printf(&last, "{ (void)(%s); %s }", val, ret);
        } else {
            char *d = declare_member(fn->ret, L->ret_name);
            if (!d) { /* unspellable: clang reported the type already */
                Buf b = {0};
                buf_printf(&b, "int %s", L->ret_name);
                d = b.s;
            }
            char *store = store_text(fn->ret, "*acc_self->acc_out", L->ret_name, false);
            buf_printf(&last, "{ %s = %s; if (acc_self->acc_out) %s; %s }", d, val, store, ret);
            free(d), free(store);
        }
        free(val);
    } else {
        buf_puts(&last, ret);
    }
    sync_to(L, region(n)->b);
    if (pre.s) {
        /* the awaits and the return are one statement (`if (x) return await f();`) */
        put(L, "{\n");
        put_pre(L, n, pre.s);
    }
    /* e's own line, where it starts on a line after the `return` */
    sync_to(L, v && region(v)->in_main ? region(v)->b : region(n)->b);
    put(L, last.s);
    put(L, pre.s ? "\n}\n" : "\n");
    free(pre.s), free(last.s);
}

static void lower_var(Lower *L, Node *var)
{
    Local *l = var->local;
    CXCursor init_c = clang_Cursor_getVarDeclInitializer(var->cur);
    if (clang_Cursor_isNull(init_c))
        return;
    Node *init = NULL;
    for (int i = var->nkids - 1; i >= 0 && !init; i--)
        if (clang_equalCursors(var->kids[i]->cur, init_c))
            init = var->kids[i];
    if (!init) {
        error_at(region(var)->b, "acc cannot find the initializer of '%s'", l->name);
        return;
    }
    Buf pre = {0};
    Buf b = {0};
    Node *s = strip(init);
    CXType t = clang_getCursorType(var->cur);
    enum CXTypeKind tk = clang_getCanonicalType(t).kind;
    if (s->role == ROLE_AWAIT && direct_result(s, t)) {
        Buf d = {0};
        buf_printf(&d, "&acc_self->%s", l->member);
        free(lower_await(L, s, &pre, d.s));
        free(d.s);
        put_with_pre(L, var, &pre, NULL);
        free(pre.s);
        return;
    }
    char *val = lower_expr(L, init, &pre);
    if (tk == CXType_ConstantArray || tk == CXType_IncompleteArray) {
        char *ty = declare_member(t, "");
        bool braced = val[0] == '{';
        /* the compound literal's type is the local's: a volatile one's
         * addresses need casts */
        bool vol = type_is_volatile_object(t);
        buf_printf(&b, "memcpy(%sacc_self->%s, %s(%s)%s%s%s, sizeof acc_self->%s)",
                   vol || member_stays_const(t) ? "(void *)" : "", l->member, vol ? "(const void *)" : "",
                   ty ? ty : "int", braced ? "" : "{", val,
                   braced ? "" : "}", l->member);
        free(ty);
    } else {
        Buf lv = {0};
        buf_printf(&lv, "acc_self->%s", l->member);
        char *store = store_text(t, lv.s, val, init->kind == CXCursor_InitListExpr);
        buf_puts(&b, store);
        free(store), free(lv.s);
    }
    put_with_pre(L, var, &pre, b.s);
    free(val), free(b.s), free(pre.s);
}

static bool decl_has_frame_local(Node *n)
{
    for (int i = 0; i < n->nkids; i++)
        if (n->kids[i]->kind == CXCursor_VarDecl && n->kids[i]->local)
            return true;
    return false;
}

static Node *initializer_of(Node *var)
{
    CXCursor init = clang_Cursor_getVarDeclInitializer(var->cur);
    if (clang_Cursor_isNull(init))
        return NULL;
    for (int i = var->nkids - 1; i >= 0; i--)
        if (clang_equalCursors(var->kids[i]->cur, init))
            return var->kids[i];
    return NULL;
}

/* The text that ends at the parenthesis matching the first one at or
 * after b (a whole `aligned(64)`), or at e when there is none before it. */
static unsigned past_parens(Source *src, unsigned b, unsigned e)
{
    while (b < e && src->text[b] != '(')
        b++;
    for (int depth = 0; b < src->len; b++) {
        if (src->text[b] == '(')
            depth++;
        else if (src->text[b] == ')' && --depth == 0)
            return b + 1;
    }
    return e;
}

/* An attribute of a declaration as the C can write it again: `_Alignas(32)`
 * as written, a GNU one as `__attribute__((unused))`, one a macro spells
 * as the macro's invocation. NULL: none to write (from a header, or the
 * `async` annotation). */
static char *attribute_text(Source *src, Node *attr)
{
    const Region *r = region(attr);
    if (!r->in_main || r->from_arg || attr->kind == CXCursor_AnnotateAttr || r->e <= r->b)
        return NULL;
    const char *t = src->text + r->b;
    if (!r->plain_b || !r->plain_e)
        return xstrndup(t, r->e - r->b); /* a macro's invocation, defined in the C too */
    if (strncmp(t, "_Alignas", 8) == 0 || strncmp(t, "alignas", 7) == 0)
        return xstrndup(t, past_parens(src, r->b, r->e) - r->b);
    unsigned e = r->b;
    while (e < r->e && (src->text[e] == '_' || isalnum((unsigned char)src->text[e])))
        e++;
    unsigned after = e;
    while (after < src->len && isspace((unsigned char)src->text[after]))
        after++;
    if (after < src->len && src->text[after] == '(')
        e = past_parens(src, after, after);
    Buf b = {0};
    buf_printf(&b, "__attribute__((%.*s))", (int)(e - r->b), t);
    return b.s;
}

/* The attributes of a declaration written at or after offset `from`, each
 * as `format` puts it (`"%s "`: `__attribute__((unused)) `); one macro
 * that spells several (`#define PA __attribute__((packed, aligned(4)))`)
 * is written once. */
static char *attributes_from(Source *src, Node *decl, unsigned from, const char *format)
{
    Buf b = {0};
    const Region *last = NULL;
    for (int i = 0; i < decl->nkids; i++) {
        Node *k = decl->kids[i];
        const Region *r = region(k);
        if (k->kind < CXCursor_FirstAttr || k->kind > CXCursor_LastAttr || r->b < from)
            continue;
        if (last && last->b == r->b && last->e == r->e)
            continue;
        last = r;
        char *t = attribute_text(src, k);
        if (t)
            buf_printf(&b, format, t);
        free(t);
    }
    return b.s ? b.s : xstrdup("");
}

static char *attributes_of(Source *src, Node *decl)
{
    return attributes_from(src, decl, 0, "%s ");
}

/* A variable that stays a C variable of the step function (static, extern,
 * or a local that no await outlives), spelled from its type because its
 * declaration was split or its type moved. */
static void lower_kept_var(Lower *L, Node *var)
{
    char *name = cx_str(clang_getCursorSpelling(var->cur));
    CXType t = clang_getCursorType(var->cur);
    char *d = declare(t, name);
    enum CX_StorageClass sc = clang_Cursor_getStorageClass(var->cur);
    Buf b = {0}, pre = {0};
    char *attrs = attributes_of(L->src, var);
    buf_printf(&b, "%s%s%s", sc == CX_SC_Static ? "static " : sc == CX_SC_Extern ? "extern " : "", attrs,
               d ? d : name);
    free(attrs);
    Node *init = initializer_of(var);
    if (init) {
        char *t2 = lower_expr(L, init, &pre);
        buf_printf(&b, " = %s", t2);
        free(t2);
    }
    put_with_pre(L, var, &pre, b.s);
    free(b.s), free(d), free(name), free(pre.s);
}

static void lower_decl(Lower *L, Node *n)
{
    bool special = false;
    int nvars = 0;
    Node *only = NULL;
    for (int i = 0; i < n->nkids; i++) {
        Node *k = n->kids[i];
        special |= k->hoisted || (k->kind == CXCursor_VarDecl && k->local);
        if (k->kind == CXCursor_VarDecl)
            nvars++, only = k;
    }
    if (!special && nvars == 1 && only->has_await) {
        /* kept as written; awaits in the initializer go before it */
        Node *init = initializer_of(only);
        Buf pre = {0};
        if (init)
            init->override = lower_expr(L, init, &pre);
        char *t = render(L, n);
        if (init) {
            free(init->override);
            init->override = NULL;
        }
        put_with_pre(L, n, &pre, NULL);
        put(L, t);
        put(L, "\n");
        free(t), free(pre.s);
        return;
    }
    if (!special && !n->has_await) {
        /* static, extern, typedef, tag and plain local declarations stay as written */
        sync_to(L, region(n)->b);
        char *t = render(L, n);
        put(L, t);
        put(L, "\n");
        free(t);
        return;
    }
    for (int i = 0; i < n->nkids; i++) {
        Node *k = n->kids[i];
        if (k->kind == CXCursor_VarDecl && k->local)
            lower_var(L, k);
        else if (k->kind == CXCursor_VarDecl)
            lower_kept_var(L, k);
        else if (!k->hoisted) {
            sync_to(L, region(k)->b);
            char *t = render(L, k);
            put(L, t);
            put(L, ";\n");
            free(t);
        }
    }
}

static bool starts_with_word(Lower *L, Node *n, const char *w)
{
    size_t k = strlen(w);
    const Region *r = region(n);
    const char *t = L->src->text + r->b;
    return r->in_main && !r->from_arg && r->e - r->b >= k && strncmp(t, w, k) == 0 &&
           !(t[k] == '_' || (t[k] >= 'a' && t[k] <= 'z') || (t[k] >= 'A' && t[k] <= 'Z') ||
             (t[k] >= '0' && t[k] <= '9'));
}

static bool contains_kind(Node *n, enum CXCursorKind k)
{
    if (n->kind == k)
        return true;
    for (int i = 0; i < n->nkids; i++)
        if (contains_kind(n->kids[i], k))
            return true;
    return false;
}

/* A statement produced by a macro (`CHECK(x);`) is kept as written, with
 * its awaits hoisted, unless it needs a rewrite we cannot make inside it. */
static void lower_macro_stmt(Lower *L, Node *n)
{
    if (contains_kind(n, CXCursor_ReturnStmt))
        error_at(region(n)->b, "acc cannot translate a return statement that comes from a macro "
                       "inside an async function");
    if (L->nloops && L->loops[L->nloops - 1].continue_label && contains_kind(n, CXCursor_ContinueStmt))
        error_at(region(n)->b, "acc cannot translate a continue statement that comes from a macro here");
    for (int i = 0; i < n->nkids; i++)
        if (n->kids[i]->kind == CXCursor_DeclStmt && decl_has_frame_local(n->kids[i]))
            error_at(region(n)->b, "acc cannot translate a declaration that comes from a macro inside an "
                           "async function");
    Buf pre = {0};
    char *t = lower_expr(L, n, &pre);
    put_with_pre(L, n, &pre, t);
    free(t), free(pre.s);
}

static char *new_label(Lower *L, const char *what)
{
    Buf b = {0};
    buf_printf(&b, "acc_%s_%d", what, ++L->nlabels);
    return b.s;
}

static void push_loop(Lower *L, char *continue_label)
{
    if (L->nloops == (int)(sizeof L->loops / sizeof L->loops[0])) {
        error_at(0, "loops nested too deeply");
        return;
    }
    L->loops[L->nloops++] = (Loop){continue_label, false};
}

/* Returns whether a `continue` used the loop's label. */
static bool pop_loop(Lower *L)
{
    Loop *l = &L->loops[--L->nloops];
    free(l->continue_label);
    return l->used;
}

static void put_label(Lower *L, const char *label)
{
    Buf b = {0};
    buf_printf(&b, "%s:;\n", label);
    put(L, b.s);
    free(b.s);
}

/* The parts of `for (init; cond; inc) body`: clang does not say which of
 * them are present, so place each child against the header's semicolons. */
static void for_parts(Lower *L, Node *n, Node **init, Node **cond, Node **inc, Node **body)
{
    *init = *cond = *inc = *body = NULL;
    const char *t = L->src->text;
    unsigned i = region(n)->b + 3, e = region(n)->e, semi[2] = {0, 0};
    int depth = 0, found = 0;
    while (i < e && t[i] != '(')
        i++;
    for (i++; i < e && found < 2; i++) {
        char c = t[i];
        if (c == '(' || c == '[' || c == '{')
            depth++;
        else if (c == ')' || c == ']' || c == '}')
            depth--;
        else if (c == '"' || c == '\'') {
            for (i++; i < e && t[i] != c; i++)
                if (t[i] == '\\')
                    i++;
        } else if (c == '/' && t[i + 1] == '*') {
            const char *end = strstr(t + i + 2, "*/");
            i = end ? (unsigned)(end - t) + 1 : e;
        } else if (c == '/' && t[i + 1] == '/') {
            while (i < e && t[i] != '\n')
                i++;
        } else if (c == ';' && depth == 0)
            semi[found++] = i;
    }
    for (int k = 0; k < n->nkids; k++) {
        Node *c = n->kids[k];
        if (k == n->nkids - 1)
            *body = c;
        else if (region(c)->b < semi[0])
            *init = c;
        else if (region(c)->b < semi[1])
            *cond = c;
        else
            *inc = c;
    }
}

/* The body of a loop, a switch or a branch of an if: one statement may
 * become several, so it gets braces of its own. */
static void lower_body(Lower *L, Node *body)
{
    if (body->kind == CXCursor_CompoundStmt) {
        lower_stmt(L, body);
        return;
    }
    put(L, "{\n");
    lower_stmt(L, body);
    put(L, "}\n");
}

static void lower_while(Lower *L, Node *n)
{
    Node *cond = n->nkids == 2 ? n->kids[0] : NULL, *body = n->kids[n->nkids - 1];
    sync_to(L, region(n)->b);
    if (!cond || !is_awaited(cond)) {
        char *c = cond ? render(L, cond) : xstrdup("1");
        Buf b = {0};
        buf_printf(&b, "while (%s)\n", c);
        put(L, b.s);
        free(b.s), free(c);
        push_loop(L, NULL);
        lower_body(L, body);
        pop_loop(L);
        return;
    }
    /* while (await ...) body  =>  for (;;) { pre; if (!(cond)) break; body } */
    Buf pre = {0};
    put(L, "for (;;) {\n");
    char *c = lower_expr(L, cond, &pre);
    put_with_pre(L, cond, &pre, NULL);
    Buf b = {0};
    buf_printf(&b, "if (!(%s))\n    break;\n", c);
    put(L, b.s);
    push_loop(L, NULL);
    L->after_check = true;
    lower_body(L, body);
    L->after_check = false; /* an empty body passes it on to nothing */
    pop_loop(L);
    put(L, "}\n");
    free(b.s), free(c), free(pre.s);
}

static void lower_do(Lower *L, Node *n)
{
    Node *body = n->kids[0], *cond = n->kids[1];
    sync_to(L, region(n)->b);
    if (!is_awaited(cond)) {
        put(L, "do\n");
        push_loop(L, NULL);
        lower_body(L, body);
        pop_loop(L);
        char *c = render(L, cond);
        sync_to(L, region(cond)->b);
        Buf b = {0};
        buf_printf(&b, "while (%s);\n", c);
        put(L, b.s);
        free(b.s), free(c);
        return;
    }
    /* do body while (await ...)  =>  for (;;) { body; acc_continue_N:; pre; if (!(cond)) break; } */
    char *label = new_label(L, "continue");
    put(L, "for (;;) {\n");
    push_loop(L, xstrdup(label));
    lower_body(L, body);
    if (pop_loop(L))
        put_label(L, label);
    Buf pre = {0};
    char *c = lower_expr(L, cond, &pre);
    put_with_pre(L, cond, &pre, NULL);
    Buf b = {0};
    buf_printf(&b, "if (!(%s))\n    break;\n}\n", c);
    put(L, b.s);
    free(b.s), free(c), free(pre.s), free(label);
}

static void lower_for(Lower *L, Node *n)
{
    Node *init, *cond, *inc, *body;
    for_parts(L, n, &init, &cond, &inc, &body);
    sync_to(L, region(n)->b);
    put(L, "{\n");
    if (init) {
        if (init->kind == CXCursor_DeclStmt)
            lower_decl(L, init);
        else {
            Buf pre = {0};
            char *t = lower_expr(L, init, &pre);
            put_with_pre(L, init, &pre, t);
            free(t), free(pre.s);
        }
    }
    sync_to(L, region(n)->b);
    bool split = (cond && is_awaited(cond)) || (inc && is_awaited(inc));
    if (!split) {
        char *c = cond ? render(L, cond) : xstrdup("");
        char *i = inc ? render(L, inc) : xstrdup("");
        Buf b = {0};
        buf_printf(&b, "for (; %s; %s)\n", c, i);
        put(L, b.s);
        free(b.s), free(c), free(i);
        push_loop(L, NULL);
        lower_body(L, body);
        pop_loop(L);
        put(L, "}\n");
        return;
    }
    /* for (; cond; inc) body  =>  for (;;) { pre; if (!(cond)) break; body; acc_continue_N:; pre; inc; } */
    char *label = new_label(L, "continue");
    put(L, "for (;;) {\n");
    if (cond) {
        Buf pre = {0};
        char *c = lower_expr(L, cond, &pre);
        put_with_pre(L, cond, &pre, NULL);
        Buf b = {0};
        buf_printf(&b, "if (!(%s))\n    break;\n", c);
        put(L, b.s);
        free(b.s), free(c), free(pre.s);
        L->after_check = true;
    }
    push_loop(L, xstrdup(label));
    lower_body(L, body);
    L->after_check = false;
    if (pop_loop(L))
        put_label(L, label);
    if (inc) {
        Buf pre = {0};
        char *t = lower_expr(L, inc, &pre);
        put_with_pre(L, inc, &pre, t);
        free(t), free(pre.s);
    }
    put(L, "}\n}\n");
    free(label);
}

static void lower_if(Lower *L, Node *n)
{
    Buf pre = {0};
    char *c = lower_expr(L, n->kids[0], &pre);
    put_with_pre(L, n, &pre, NULL);
    Buf b = {0};
    buf_printf(&b, "if (%s)\n", c);
    put(L, b.s);
    lower_body(L, n->kids[1]);
    if (n->nkids > 2) {
        sync_to(L, region(n->kids[2])->b);
        put(L, "else\n");
        lower_body(L, n->kids[2]);
    }
    free(b.s), free(c), free(pre.s);
}

static void lower_switch(Lower *L, Node *n)
{
    Buf pre = {0};
    char *c = lower_expr(L, n->kids[0], &pre);
    put_with_pre(L, n, &pre, NULL);
    Buf b = {0};
    buf_printf(&b, "switch (%s)\n", c);
    put(L, b.s);
    lower_body(L, n->kids[n->nkids - 1]); /* `switch (x) case 1: await f();` too */
    free(b.s), free(c), free(pre.s);
}

/* The next comment in [*pos, e): [*cb, *ce); *pos moves past it. */
static bool next_comment(Lower *L, unsigned *pos, unsigned e, unsigned *cb, unsigned *ce)
{
    const char *t = L->src->text;
    for (unsigned i = *pos; i + 1 < e; i++) {
        if (t[i] == '"' || t[i] == '\'') {
            char q = t[i];
            for (i++; i < e && t[i] != q; i++)
                if (t[i] == '\\')
                    i++;
            continue;
        }
        unsigned end;
        if (t[i] == '/' && t[i + 1] == '*') {
            const char *x = strstr(t + i + 2, "*/");
            end = x ? (unsigned)(x - t) + 2 : e;
        } else if (t[i] == '/' && t[i + 1] == '/') {
            end = i;
            while (end < e && t[end] != '\n')
                end++;
        } else {
            continue;
        }
        *cb = i;
        *ce = *pos = end > e ? e : end;
        return true;
    }
    return false;
}

/* Comments between statements stay: they explain the code, and some are
 * read by compilers (a fall-through comment). */
static void put_comments(Lower *L, unsigned b, unsigned e, unsigned next_line)
{
    unsigned cb, ce;
    while (next_comment(L, &b, e, &cb, &ce)) {
        sync_to(L, cb);
        out_text(L->o, L->src->text + cb, ce - cb);
        /* a block comment before a statement on its line stays on it */
        put(L, L->src->text[cb + 1] == '*' && line_of(L->src, ce) == next_line ? " " : "\n");
    }
}

/* The next preprocessor directive in [b, e): a line whose first
 * non-blank character is `#`, through its continuation lines. Strings and
 * comments are skipped, so a `#` in them is not one. */
static bool next_directive(Lower *L, unsigned b, unsigned e, unsigned *db, unsigned *de)
{
    const char *t = L->src->text;
    if (b >= e || !memchr(t + b, '#', e - b))
        return false; /* most bodies: no `#` at all, no scan of their quotes and comments */
    for (unsigned i = b; i < e; i++) {
        if (t[i] == '"' || t[i] == '\'') {
            char q = t[i];
            for (i++; i < e && t[i] != q && t[i] != '\n'; i++)
                if (t[i] == '\\')
                    i++;
            continue;
        }
        if (t[i] == '/' && i + 1 < e && (t[i + 1] == '*' || t[i + 1] == '/')) {
            const char *x = t[i + 1] == '*' ? strstr(t + i + 2, "*/") : strchr(t + i, '\n');
            if (!x)
                return false;
            i = (unsigned)(x - t) + (t[i + 1] == '*' ? 1 : 0);
            continue;
        }
        if (t[i] != '#')
            continue;
        unsigned ls = i;
        while (ls > 0 && (t[ls - 1] == ' ' || t[ls - 1] == '\t'))
            ls--;
        if (ls > 0 && t[ls - 1] != '\n')
            continue; /* `#` inside a line: not a directive */
        unsigned end = i;
        while (end < e && !(t[end] == '\n' && t[end - 1] != '\\' &&
                            !(t[end - 1] == '\r' && end >= 2 && t[end - 2] == '\\')))
            end++;
        *db = i;
        *de = end;
        return true;
    }
    return false;
}

/* Does the directive at db have the name `word` (`#  define`)? */
static bool directive_is(Lower *L, unsigned db, unsigned de, const char *word)
{
    unsigned i = db + 1;
    while (i < de && (L->src->text[i] == ' ' || L->src->text[i] == '\t'))
        i++;
    return word_in(L->src->text, L->src->len, i, word);
}

/* acc rewrites an async definition as a whole and keeps none of the
 * conditionals inside it (they were decided): one that opens before the
 * definition and closes inside it, or the reverse, would lose one end in
 * the C. Reported at the directive inside the definition [b, e). */
static void check_conditionals_nest(Lower *L, unsigned b, unsigned e)
{
    unsigned db, de;
    unsigned *open = NULL;
    int nopen = 0;
    while (next_directive(L, b, e, &db, &de)) {
        if (directive_is(L, db, de, "if") || directive_is(L, db, de, "ifdef") ||
            directive_is(L, db, de, "ifndef")) {
            open = xrealloc(open, (size_t)(nopen + 1) * sizeof *open);
            open[nopen++] = db;
        } else if (directive_is(L, db, de, "endif") && nopen > 0) {
            nopen--;
        } else if (nopen == 0) {
            static const char *rest[] = {"endif", "else", "elif"};
            for (size_t i = 0; i < sizeof rest / sizeof rest[0]; i++)
                if (directive_is(L, db, de, rest[i]))
                    error_at(db, "'#%s' belongs to a conditional that begins before async function '%s'; acc "
                                 "rewrites the function as a whole: put the whole conditional inside or outside it",
                             rest[i], L->fn->name);
        }
        b = de;
    }
    if (nopen > 0)
        error_at(open[0], "this conditional ends after async function '%s'; acc rewrites the function as a "
                          "whole: put the whole conditional inside or outside it", L->fn->name);
    free(open);
}

/* The first node under n that included code cannot hold: acc rewrites
 * only the main file's text, and an #include brings its statements as
 * written, so they cannot await, call an async function, or declare or
 * use a local that lives in the frame. */
static Node *needs_rewriting(Node *n)
{
    if (n->role != ROLE_NONE || n->local)
        return n;
    for (int i = 0; i < n->nkids; i++) {
        Node *r = needs_rewriting(n->kids[i]);
        if (r)
            return r;
    }
    return NULL;
}

/* A statement that an #include inside the body brought (not a macro's:
 * those expand in the main file). Reported when it needs rewriting. */
static bool from_included_file(Lower *L, Node *n)
{
    CXFile f;
    clang_getExpansionLocation(clang_getCursorLocation(n->cur), &f, NULL, NULL, NULL);
    if (!f)
        return false;
    Node *bad = needs_rewriting(n);
    if (bad)
        report_if_included(L->src, bad->cur);
    return true;
}

/* What lies between statements: comments, which explain the code and
 * some of which compilers read (a fall-through comment), and directives.
 * #define, #undef, #pragma and #include keep their place, with their
 * effect on the code after them (which passes through as written); the
 * statements an #include brings are left to it (lower_stmt). Conditionals
 * were decided when acc parsed (only the code they selected is here), and
 * the directives in the blocks they left out are dropped with them. */
/* A loop hint: `#pragma GCC ivdep`, `#pragma GCC unroll N`, `#pragma
 * clang loop ...`, `#pragma unroll`/`nounroll` (clang sees only some). */
static bool is_loop_hint(Lower *L, unsigned db, unsigned de)
{
    const char *hints[] = {"GCC ivdep", "GCC unroll", "GCC novector", "clang loop", "unroll", "nounroll"};
    const char *t = L->src->text;
    unsigned i = db + 1;
    while (i < de && (t[i] == ' ' || t[i] == '\t'))
        i++;
    i += (unsigned)strlen("pragma"); /* a #pragma: directive_is said so */
    while (i < de && (t[i] == ' ' || t[i] == '\t'))
        i++;
    for (size_t h = 0; h < sizeof hints / sizeof hints[0]; h++)
        if (i < de && de - i >= strlen(hints[h]) && strncmp(t + i, hints[h], strlen(hints[h])) == 0)
            return true;
    return false;
}

/* next_awaits: the statement after the gap awaits, so a loop there is
 * lowered into the state machine, and a loop hint before it is dropped
 * (gcc would say it ignores it). */
static void put_gap(Lower *L, unsigned b, unsigned e, unsigned next_line, bool next_awaits)
{
    unsigned db, de;
    while (next_directive(L, b, e, &db, &de)) {
        put_comments(L, b, db, next_line);
        bool pragma = directive_is(L, db, de, "pragma");
        if (!in_skipped_block(L->src, db) && !(pragma && next_awaits && is_loop_hint(L, db, de)) &&
            (directive_is(L, db, de, "define") || directive_is(L, db, de, "undef") || pragma ||
             directive_is(L, db, de, "include"))) {
            sync_to(L, db);
            out_text(L->o, L->src->text + db, de - db);
            put(L, "\n");
        }
        b = de;
    }
    put_comments(L, b, e, next_line);
}

/* The comments in [b, e) as block comments on one line, each followed by
 * a space; NULL if there is none. */
static char *inline_comments(Lower *L, unsigned b, unsigned e)
{
    Buf out = {0};
    unsigned cb, ce;
    while (next_comment(L, &b, e, &cb, &ce)) {
        const char *t = L->src->text;
        bool line_comment = t[cb + 1] == '/';
        char *body = xstrndup(t + cb + 2, ce - cb - (line_comment ? 2 : 4));
        if (line_comment && strstr(body, "*/")) {
            free(body);
            continue;
        }
        for (char *c = body; *c; c++)
            if (*c == '\n' || *c == '\r')
                *c = ' ';
        buf_printf(&out, line_comment ? "/*%s */ " : "/*%s*/ ", body);
        free(body);
    }
    return out.s;
}

/* Does n's lowering end with the resume label of an await, with nothing
 * after it (`await f();`, `x = await f();`, `int x = await f();`)? */
static bool ends_with_resume(Lower *L, Node *n)
{
    while ((n->kind == CXCursor_CaseStmt || n->kind == CXCursor_DefaultStmt ||
            n->kind == CXCursor_LabelStmt) && n->nkids)
        n = n->kids[n->nkids - 1];
    if (n->role == ROLE_AWAIT || direct_assignment(L, n))
        return true;
    if (n->kind != CXCursor_DeclStmt || !n->nkids)
        return false;
    for (int i = 0; i + 1 < n->nkids; i++)
        if (n->kids[i]->has_await)
            return false;
    Node *var = n->kids[n->nkids - 1], *init = var->kind == CXCursor_VarDecl && var->local ? initializer_of(var) : NULL;
    return init && strip(init)->role == ROLE_AWAIT && direct_result(strip(init), clang_getCursorType(var->cur));
}

/* A statement that falls through to a case label, with a comment before
 * the label, ends with an await: gcc's -Wimplicit-fallthrough sees the
 * `if (...) return ACC_PENDING;` before the resume label fall through, and
 * reads a fall-through comment only right before a label (with no #line
 * in between). So the comments go on the resume label's line too, as
 * block comments (lower_await). */
static char *fallthrough_comments(Lower *L, Node *n, Node *next)
{
    if (!next || (next->kind != CXCursor_CaseStmt && next->kind != CXCursor_DefaultStmt) ||
        !region(n)->in_main || region(n)->from_arg || !region(next)->in_main ||
        region(n)->e > region(next)->b || !ends_with_resume(L, n))
        return NULL;
    return inline_comments(L, region(n)->e, region(next)->b);
}

static void lower_stmt(Lower *L, Node *n);

/* The statements of a block, with what lies between them (put_gap). */
static void lower_block_items(Lower *L, Node *n)
{
    unsigned pos = region(n)->b + 1;
    for (int i = 0; i < n->nkids; i++) {
        const Region *k = region(n->kids[i]);
        if (!k->in_main && !k->from_arg && from_included_file(L, n->kids[i]))
            continue; /* the #include before it, kept by put_gap, brings it */
        if (k->in_main && !k->from_arg && k->b >= pos) {
            put_gap(L, pos, k->b, line_of(L->src, k->b), n->kids[i]->has_await);
            pos = k->e;
        }
        L->fallthrough = fallthrough_comments(L, n->kids[i], i + 1 < n->nkids ? n->kids[i + 1] : NULL);
        lower_stmt(L, n->kids[i]);
        free(L->fallthrough);
        L->fallthrough = NULL;
    }
    if (region(n)->e > pos)
        put_gap(L, pos, region(n)->e - 1, 0, false);
}

static void lower_stmt(Lower *L, Node *n)
{
    L->fn->cur_stmt++;
    /* A case label first in the body of a loop whose condition awaits
     * follows the loop's `if (!(cond)) break;`, which gcc's
     * -Wimplicit-fallthrough takes for code that falls into the label;
     * in the input nothing does. A block passes this on to its first
     * statement. */
    bool after_check = L->after_check;
    if (n->kind != CXCursor_CompoundStmt)
        L->after_check = false;
    const char *fall = after_check ? "/* fall through */ " : "";
    switch (n->kind) {
    case CXCursor_CompoundStmt:
        sync_to(L, region(n)->b);
        put(L, "{\n");
        lower_block_items(L, n);
        put(L, "}\n");
        return;
    case CXCursor_DeclStmt:
        lower_decl(L, n);
        return;
    case CXCursor_ReturnStmt:
        if (!starts_with_word(L, n, "return"))
            break;
        lower_return(L, n);
        return;
    case CXCursor_IfStmt:
        if (!starts_with_word(L, n, "if"))
            break;
        lower_if(L, n);
        return;
    case CXCursor_WhileStmt:
        if (!starts_with_word(L, n, "while"))
            break;
        lower_while(L, n);
        return;
    case CXCursor_DoStmt:
        if (!starts_with_word(L, n, "do"))
            break;
        lower_do(L, n);
        return;
    case CXCursor_ForStmt:
        if (!starts_with_word(L, n, "for"))
            break;
        lower_for(L, n);
        return;
    case CXCursor_SwitchStmt:
        if (!starts_with_word(L, n, "switch"))
            break;
        lower_switch(L, n);
        return;
    case CXCursor_CaseStmt: {
        if (!starts_with_word(L, n, "case"))
            break;
        sync_to(L, region(n)->b);
        char *v = render(L, n->kids[0]);
        Buf b = {0};
        if (n->nkids == 3) {
            /* GNU case range: case LO ... HI: */
            char *hi = render(L, n->kids[1]);
            buf_printf(&b, "%scase %s ... %s:\n", fall, v, hi);
            free(hi);
        } else {
            buf_printf(&b, "%scase %s:\n", fall, v);
        }
        put(L, b.s);
        free(b.s), free(v);
        lower_stmt(L, n->kids[n->nkids - 1]);
        return;
    }
    case CXCursor_DefaultStmt:
        if (!starts_with_word(L, n, "default"))
            break;
        sync_to(L, region(n)->b);
        put(L, fall);
        put(L, "default:\n");
        lower_stmt(L, n->kids[n->nkids - 1]);
        return;
    case CXCursor_LabelStmt: {
        char *name = cx_str(clang_getCursorSpelling(n->cur));
        sync_to(L, region(n)->b);
        put(L, name);
        put(L, ":;\n");
        free(name);
        lower_stmt(L, n->kids[n->nkids - 1]);
        return;
    }
    case CXCursor_ContinueStmt:
        if (L->nloops && L->loops[L->nloops - 1].continue_label) {
            L->loops[L->nloops - 1].used = true;
            sync_to(L, region(n)->b);
            Buf b = {0};
            buf_printf(&b, "goto %s;\n", L->loops[L->nloops - 1].continue_label);
            put(L, b.s);
            free(b.s);
            return;
        }
        sync_to(L, region(n)->b);
        put(L, "continue;\n");
        return;
    case CXCursor_BreakStmt:
        sync_to(L, region(n)->b);
        put(L, "break;\n");
        return;
    case CXCursor_NullStmt:
        return;
    case CXCursor_UnexposedStmt:
        /* a statement with attributes: a loop hint (`#pragma GCC unroll`,
         * `#pragma clang loop`) before a loop. A loop that awaits becomes
         * part of the state machine, so the hint is dropped and the loop
         * lowered; one that does not passes through with it, below. */
        if (n->has_await && n->nkids == 1 && clang_isStatement(n->kids[0]->kind)) {
            lower_stmt(L, n->kids[0]);
            return;
        }
        break;
    case CXCursor_GotoStmt: {
        sync_to(L, region(n)->b);
        char *t = render(L, n);
        put(L, t);
        put(L, ";\n");
        free(t);
        return;
    }
    default:
        break;
    }
    /* an expression statement, or a statement that came from a macro */
    if (n->role == ROLE_AWAIT) {
        /* `await f(x);`: the result is dropped, so none is stored */
        Buf pre = {0};
        free(lower_await(L, n, &pre, "NULL"));
        put_with_pre(L, n, &pre, NULL);
        free(pre.s);
        return;
    }
    Node *s = direct_assignment(L, n);
    if (s) {
        /* local = await f(x): f stores straight into the frame */
        Buf pre = {0}, d = {0};
        buf_printf(&d, "&acc_self->%s", strip(s->kids[0])->local->member);
        free(lower_await(L, strip(s->kids[1]), &pre, d.s));
        put_with_pre(L, n, &pre, NULL);
        free(pre.s), free(d.s);
        return;
    }
    lower_macro_stmt(L, n);
}

/* ---- types declared in the body ------------------------------------------ */

/* The frame lives at file scope, so the types of its members must be
 * nameable there: struct, union, enum and typedef declarations in an async
 * body move to file scope, before the frame. Anonymous ones get a tag. */
typedef struct Hoisted {
    CXCursor decl;
    char *old;   /* the name the user gave it ("" if none) */
    char *name;  /* its name at file scope */
    char *spelled; /* as a type: `struct f__node`, `f__pt` */
} Hoisted;

static Hoisted *hoisted;

static Hoisted *find_hoisted(CXCursor decl)
{
    for (int i = 0; i < nhoisted; i++)
        if (clang_equalCursors(hoisted[i].decl, decl))
            return &hoisted[i];
    return NULL;
}

static bool is_tag_decl(enum CXCursorKind k)
{
    return k == CXCursor_StructDecl || k == CXCursor_UnionDecl || k == CXCursor_EnumDecl;
}

/* For the type printer: how a moved type is written at file scope. */
static const char *hoisted_name(CXCursor decl)
{
    Hoisted *h = find_hoisted(decl);
    if (!h)
        return NULL;
    enum CXCursorKind k = clang_getCursorKind(decl);
    if (!h->spelled) {
        Buf b = {0};
        bool typedef_named = is_tag_decl(k) && !*h->old && strncmp(h->name, "acc_", 4) != 0;
        if (is_tag_decl(k) && !typedef_named)
            buf_printf(&b, "%s %s", k == CXCursor_UnionDecl ? "union" : k == CXCursor_EnumDecl ? "enum" : "struct",
                       h->name);
        else
            buf_puts(&b, h->name);
        h->spelled = b.s;
    }
    return h->spelled;
}

/* `f__name`, unique among the names moved to file scope. */
static char *file_scope_name(AsyncFn *fn, const char *old)
{
    for (int k = 1;; k++) {
        Buf b = {0};
        if (k == 1)
            buf_printf(&b, "%s__%s", fn->name, old);
        else
            buf_printf(&b, "%s__%s_%d", fn->name, old, k);
        bool used = false;
        for (int i = 0; i < nhoisted && !used; i++)
            used = strcmp(hoisted[i].name, b.s) == 0;
        if (!used)
            return b.s;
        free(b.s);
    }
}

static void register_hoisted(CXCursor decl, const char *old, char *name)
{
    hoisted = xrealloc(hoisted, (size_t)(nhoisted + 1) * sizeof *hoisted);
    hoisted[nhoisted++] = (Hoisted){decl, xstrdup(old), name, NULL};
    typeprint_local_name = hoisted_name;
}

/* Edits that give a moved type (and an enum's constants) its file-scope
 * name: at its declaration and at every reference. */
static void rename_edits(Lower *L, Node *n, Edits *E)
{
    Source *src = L->src;
    if (n->kind == CXCursor_TypeRef || n->kind == CXCursor_DeclRefExpr) {
        Hoisted *h = find_hoisted(clang_getCursorReferenced(n->cur));
        if (h && *h->old && region(n)->in_main) {
            /* the name is the last token of a TypeRef (`struct node`) */
            size_t len = strlen(h->old);
            const Region *r = region(n);
            for (unsigned at = r->e; at >= r->b + len; at--)
                if (text_is(src, at - (unsigned)len, at, h->old)) {
                    add_edit(E, at - (unsigned)len, at, xstrdup(h->name));
                    break;
                }
        }
        return;
    }
    if (is_tag_decl(n->kind) || n->kind == CXCursor_TypedefDecl || n->kind == CXCursor_EnumConstantDecl) {
        Hoisted *h = find_hoisted(n->cur);
        if (h && *h->old) {
            CXFile f;
            unsigned off;
            clang_getExpansionLocation(clang_getCursorLocation(n->cur), &f, NULL, NULL, &off);
            if (text_is(src, off, off + (unsigned)strlen(h->old), h->old))
                add_edit(E, off, off + (unsigned)strlen(h->old), xstrdup(h->name));
        }
    }
}

static void register_enum_constants(Lower *L, Node *e)
{
    for (int i = 0; i < e->nkids; i++)
        if (e->kids[i]->kind == CXCursor_EnumConstantDecl) {
            char *old = cx_str(clang_getCursorSpelling(e->kids[i]->cur));
            register_hoisted(e->kids[i]->cur, old, file_scope_name(L->fn, old));
            free(old);
        }
}

static bool anonymous_name(const char *name)
{
    return !*name || strstr(name, "(unnamed") || strstr(name, "(anonymous");
}

/* Does outer's text hold inner's? */
static bool encloses(Node *outer, Node *inner)
{
    return region(outer)->b <= region(inner)->b && region(inner)->e <= region(outer)->e;
}

/* Enums that name a local stay in the step function (kept_in_body). */
static CXCursor *kept_enums;
static int nkept_enums;

static bool is_kept_enum(CXCursor decl)
{
    for (int i = 0; i < nkept_enums; i++)
        if (clang_equalCursors(kept_enums[i], decl))
            return true;
    return false;
}

/* A type moved to file scope cannot name an enum that stays in the body,
 * nor its constants: an error at each such name in its text. */
static void check_names_kept_enum(Lower *L, Node *n, Node *type)
{
    if (n->kind == CXCursor_DeclRefExpr || n->kind == CXCursor_TypeRef) {
        CXCursor d = clang_getCursorReferenced(n->cur);
        CXCursor e = clang_getCursorKind(d) == CXCursor_EnumConstantDecl ? clang_getCursorSemanticParent(d) : d;
        if (is_kept_enum(e)) {
            char *what = cx_str(clang_getCursorSpelling(type->cur));
            char *used = cx_str(clang_getCursorSpelling(d));
            error_at(region(n)->b, "acc cannot translate the declaration of '%s' in async function '%s': it "
                                   "names '%s' of an enum that names a local, which stays in the function "
                                   "while acc moves the other types of async functions to file scope; "
                                   "declare it outside the function with a constant",
                     anonymous_name(what) ? "an anonymous type" : what, L->fn->name,
                     anonymous_name(used) ? "the enum" : used);
            free(what), free(used);
        }
        return;
    }
    for (int i = 0; i < n->nkids; i++)
        check_names_kept_enum(L, n->kids[i], type);
}

/* What follows a moved declaration k up to the end of its declarator,
 * which clang's extent leaves out: the attributes after a typedef's
 * declarator (`typedef int v4 __attribute__((vector_size(16)))`, GNU ones
 * or a macro that spells them, up to its `,` or `;`), as written, and
 * those after a tag's closing brace (`struct P { ... } PACKED`), one by
 * one from their cursors (a comment may stand between). "" when none. */
static char *trailing_attributes(Source *src, Node *k, unsigned limit)
{
    const Region *r = region(k);
    if (!r->in_main || !r->plain_e || limit > src->len)
        return xstrdup("");
    if (k->kind == CXCursor_TypedefDecl) {
        const char *t = src->text;
        unsigned e = r->e;
        for (int depth = 0; e < limit; e++) {
            if (t[e] == '(')
                depth++;
            else if (t[e] == ')')
                depth--;
            else if (depth == 0 && (t[e] == ',' || t[e] == ';'))
                break;
        }
        while (e > r->e && isspace((unsigned char)t[e - 1]))
            e--;
        return xstrndup(t + r->e, e - r->e);
    }
    return attributes_from(src, k, r->e, " %s");
}

/* Tags defined inside a moved struct or union (`struct outer { struct
 * inner { int x; } in; }`) have its scope, so they move with it and are
 * renamed like it: `struct inner i2;` may follow. */
static void register_nested_tags(Lower *L, Node *tag)
{
    for (int i = 0; i < tag->nkids; i++) {
        Node *k = tag->kids[i];
        if (is_tag_decl(k->kind) && !find_hoisted(k->cur)) {
            char *name = cx_str(clang_getCursorSpelling(k->cur));
            if (!anonymous_name(name))
                register_hoisted(k->cur, name, file_scope_name(L->fn, name));
            free(name);
            if (k->kind == CXCursor_EnumDecl)
                register_enum_constants(L, k);
        }
        register_nested_tags(L, k);
    }
}

/* Of the typedefs of one declaration (`typedef struct {...} T, *PT;`),
 * does k give the anonymous tag it defines its name? The first whose type
 * is the tag itself (T) does; if none is, the first. */
static bool typedef_names_tag(Node *ds, Node *k, Node *tag)
{
    Node *first = NULL, *itself = NULL;
    for (int i = 0; i < ds->nkids && !itself; i++) {
        Node *d = ds->kids[i];
        if (d->kind != CXCursor_TypedefDecl)
            continue;
        for (int j = 0; j < d->nkids; j++)
            if (clang_equalCursors(d->kids[j]->cur, tag->cur)) {
                if (!first)
                    first = d;
                CXType u = clang_getCanonicalType(clang_getTypedefDeclUnderlyingType(d->cur));
                if (clang_equalTypes(u, clang_getCanonicalType(clang_getCursorType(tag->cur))))
                    itself = d;
                break;
            }
    }
    return k == (itself ? itself : first);
}

/* The text of a moved declaration k, with the names of the typedefs
 * declared with it renamed too: a declaration's last typedef spans the
 * others (`typedef int num, *nump;`), which are written with it. */
static char *render_typedef_group(Lower *L, Node *ds, Node *k)
{
    if (k->kind != CXCursor_TypedefDecl || k->override)
        return render(L, k);
    Edits E = {0};
    collect_edits(L, k, &E);
    for (int i = 0; i < ds->nkids; i++)
        if (ds->kids[i] != k && ds->kids[i]->kind == CXCursor_TypedefDecl && encloses(k, ds->kids[i]))
            collect_edits(L, ds->kids[i], &E);
    return apply_edits(L, &E, region(k)->b, region(k)->e);
}

static void hoist_decl_stmt(Lower *L, Node *ds, Buf *out)
{
    for (int i = 0; i < ds->nkids; i++)
        if (ds->kids[i]->kept_in_body) {
            kept_enums = xrealloc(kept_enums, (size_t)(nkept_enums + 1) * sizeof *kept_enums);
            kept_enums[nkept_enums++] = ds->kids[i]->cur;
        }
    /* names first: a typedef's name also names the anonymous struct it defines */
    for (int i = 0; i < ds->nkids; i++) {
        Node *k = ds->kids[i];
        char *old = cx_str(clang_getCursorSpelling(k->cur));
        if (k->kind == CXCursor_TypedefDecl) {
            char *name = file_scope_name(L->fn, old);
            register_hoisted(k->cur, old, name);
            /* an anonymous struct it defines is known by this name too */
            for (int j = 0; j < k->nkids; j++)
                if (is_tag_decl(k->kids[j]->kind)) {
                    char *tag = cx_str(clang_getCursorSpelling(k->kids[j]->cur));
                    if (anonymous_name(tag) && typedef_names_tag(ds, k, k->kids[j]))
                        register_hoisted(k->kids[j]->cur, "", xstrdup(name));
                    free(tag);
                }
        } else if (is_tag_decl(k->kind) && !k->kept_in_body && !find_hoisted(k->cur)) {
            bool in_typedef = false;
            for (int j = 0; j < ds->nkids; j++)
                if (ds->kids[j]->kind == CXCursor_TypedefDecl && encloses(ds->kids[j], k))
                    in_typedef = true;
            if (!anonymous_name(old))
                register_hoisted(k->cur, old, file_scope_name(L->fn, old));
            else if (!in_typedef) {
                Buf tag = {0};
                buf_printf(&tag, "acc_%s_anon%d", L->fn->name, ++L->nlabels);
                register_hoisted(k->cur, "", tag.s);
            }
            if (k->kind == CXCursor_EnumDecl)
                register_enum_constants(L, k);
            register_nested_tags(L, k);
        }
        free(old);
    }
    for (int i = 0; i < ds->nkids; i++) {
        Node *k = ds->kids[i];
        if ((k->kind != CXCursor_TypedefDecl && !is_tag_decl(k->kind)) || k->kept_in_body)
            continue;
        check_names_kept_enum(L, k, k);
        k->hoisted = true;
        bool in_typedef = false;
        for (int j = 0; j < ds->nkids; j++)
            if (ds->kids[j]->kind == CXCursor_TypedefDecl && encloses(ds->kids[j], k) && ds->kids[j] != k)
                in_typedef = true;
        if (in_typedef)
            continue; /* written with its typedef */
        char *t = render_typedef_group(L, ds, k);
        Hoisted *h = find_hoisted(k->cur);
        if (is_tag_decl(k->kind) && h && !*h->old) {
            /* `struct {` -> `struct acc_f_anon1 {` */
            char *brace = strchr(t, '{');
            Buf named = {0};
            if (brace) {
                buf_put(&named, t, (size_t)(brace - t));
                buf_printf(&named, "%s ", h->name);
                buf_puts(&named, brace);
            } else {
                buf_puts(&named, t);
            }
            free(t);
            t = named.s;
        }
        char *attrs = trailing_attributes(L->src, k, region(ds)->e);
        buf_printf(out, "%s%s;\n", t, attrs);
        free(attrs);
        free(t);
    }
}

static void hoist_types(Lower *L, Node *n, Buf *out)
{
    if (n->kind == CXCursor_DeclStmt) {
        L->file_scope = true;
        hoist_decl_stmt(L, n, out);
        L->file_scope = false;
        return;
    }
    for (int i = 0; i < n->nkids; i++)
        hoist_types(L, n->kids[i], out);
}

/* A struct, union or enum that an async function's declaration defines
 * in its specifiers (`async struct P {...} f(void)`), as a declaration of
 * its own: the function's text gives way to generated declarations, which
 * only name the type. An unnamed one gets a tag (`struct acc_f_ret {`),
 * so that the generated C can name it too. */
char *declared_tag_text(Program *p, AsyncFn *fn, Node *tag)
{
    Lower L = {.p = p, .src = p->src};
    char *t = render(&L, tag);
    char *old = cx_str(clang_getCursorSpelling(tag->cur));
    if (anonymous_name(old) && !find_hoisted(tag->cur)) {
        Buf name = {0};
        buf_printf(&name, "acc_%s_ret", fn->name);
        register_hoisted(tag->cur, "", name.s);
        char *brace = strchr(t, '{');
        if (brace) {
            Buf named = {0};
            buf_put(&named, t, (size_t)(brace - t));
            buf_printf(&named, "%s ", name.s);
            buf_puts(&named, brace);
            free(t);
            t = named.s;
        }
    }
    free(old);
    return t;
}

/* ---- the function ------------------------------------------------------- */

/* `T *name`, spelled as a declarator: `int (**acc_out)(int)` when T is a
 * pointer to function. */
static const char *out_type_decl(AsyncFn *fn, const char *name, char **owned)
{
    Buf d = {0};
    buf_printf(&d, "*%s", name);
    *owned = declare_member(fn->ret, d.s);
    if (!*owned) {
        *owned = d.s;
        Buf b = {0};
        buf_printf(&b, "int %s", d.s);
        free(d.s);
        *owned = b.s;
        return b.s;
    }
    free(d.s);
    return *owned;
}

/* A local's or parameter's type as the frame keeps it. */
static char *frame_member(Local *l)
{
    return l->is_param ? declare_param_member(l->type, l->member) : declare_member(l->type, l->member);
}

void emit_entry_prototype(AsyncFn *fn, Out *o, bool with_names)
{
    Buf b = {0};
    buf_printf(&b, "%sacc_frame *%s__coro(", fn->is_static || fn->is_main ? "static " : "", fn->name);
    bool first = true;
    if (!fn->returns_void) {
        char *owned;
        buf_puts(&b, out_type_decl(fn, "acc_out", &owned));
        free(owned);
        first = false;
    }
    for (int i = 0; i < fn->nparams; i++) {
        /* a prototype from a declaration keeps the user's names, but not
         * one of ours (acc_out): the definition renames it (add_local) */
        const char *pname = with_names && !is_generated_name(fn->param_names[i]) ? fn->param_names[i] : "";
        char *d = declare_param(fn->param_types[i], pname, false);
        buf_printf(&b, "%s%s", first ? "" : ", ", d ? d : "int");
        free(d);
        first = false;
    }
    if (first)
        buf_puts(&b, "void");
    buf_puts(&b, ")");
    out_str(o, b.s);
    free(b.s);
}

/* static inline acc_frame *f__init(struct f__frame *acc_self, T *acc_out, P p):
 * fill the header, the result pointer and the parameters. */
static void emit_init(AsyncFn *fn, Out *o)
{
    out_printf(o, "static inline acc_frame *%s__init(struct %s__frame *acc_self", fn->name, fn->name);
    if (!fn->returns_void) {
        char *owned;
        out_printf(o, ", %s", out_type_decl(fn, "acc_out", &owned));
        free(owned);
    }
    for (int i = 0; i < fn->nparams; i++) {
        char *d = declare_param(fn->param_types[i], fn->param_names[i], false);
        out_printf(o, ", %s", d ? d : "int");
        free(d);
    }
    out_str(o, ")\n{\n    if (acc_self == NULL) /* no memory: the entry returns NULL */\n        return NULL;\n");
    out_printf(o, "    acc_self->acc_hdr.acc_resume = %s__step;\n    acc_self->acc_hdr.acc_state = 0;\n", fn->name);
    if (!fn->returns_void)
        out_str(o, "    acc_self->acc_out = acc_out;\n");
    for (int i = 0; i < fn->nlocals; i++)
        if (fn->locals[i]->is_param) {
            Local *l = fn->locals[i];
            Buf lv = {0};
            buf_printf(&lv, "acc_self->%s", l->member);
            char *store;
            if (l->via_array) {
                /* `ap` points to the first element of the caller's
                 * va_list: keep the address of the whole array */
                char *ptr = declare(l->type, "*");
                Buf b = {0};
                buf_printf(&b, "%s = (%s)%s", lv.s, ptr ? ptr : "void *", l->member);
                store = b.s;
                free(ptr);
            } else {
                store = store_text(l->type, lv.s, l->member, false) /* the parameter is named as the member */;
            }
            out_printf(o, "    %s;\n", store);
            free(store), free(lv.s);
        }
    out_str(o, "    return &acc_self->acc_hdr;\n}\n");
}

bool entry_at_end(AsyncFn *fn)
{
    return fn->is_static && !fn->is_main;
}

/* f__coro: allocate a frame and fill it. */
void emit_entry(AsyncFn *fn, Out *o)
{
    emit_entry_prototype(fn, o, true);
    if (fn->over_aligned)
        out_printf(o, "\n{\n    struct %s__frame *acc_self = (struct %s__frame *)acc__frame_alloc_aligned(\n"
                      "        sizeof *acc_self, _Alignof(struct %s__frame));\n",
                   fn->name, fn->name, fn->name);
    else
        out_printf(o, "\n{\n    struct %s__frame *acc_self = (struct %s__frame *)acc__frame_alloc(sizeof *acc_self);\n",
                   fn->name, fn->name);
    out_str(o, "    if (acc_self == NULL)\n        return NULL;\n");
    out_printf(o, "    return %s__init(acc_self", fn->name);
    if (!fn->returns_void)
        out_str(o, ", acc_out");
    for (int i = 0; i < fn->nparams; i++)
        out_printf(o, ", %s", fn->param_names[i]);
    out_str(o, ");\n}\n");
}

static Source *frame_src; /* the source, for alignment attributes */

/* The block a local belongs to: locals of blocks that never run at the
 * same time (siblings) share storage through an anonymous union. */
static Node *scope_of(AsyncFn *fn, Local *l)
{
    if (!l->decl_node)
        return fn->body;
    for (Node *n = l->decl_node->parent; n; n = n->parent)
        if (n->kind == CXCursor_CompoundStmt || n->kind == CXCursor_ForStmt)
            return n;
    return fn->body;
}

static bool scope_has_locals(AsyncFn *fn, Node *scope)
{
    for (int i = 0; i < fn->nlocals; i++) {
        Local *l = fn->locals[i];
        if (!l->in_frame)
            continue;
        for (Node *s = scope_of(fn, l); s; s = s->parent)
            if (s == scope)
                return true;
    }
    return false;
}

/* The nearest scopes below n (not below another scope). */
static void child_scopes(Node *n, Node ***v, int *nv, bool top)
{
    if (!top && (n->kind == CXCursor_CompoundStmt || n->kind == CXCursor_ForStmt)) {
        *v = xrealloc(*v, (size_t)(*nv + 1) * sizeof **v);
        (*v)[(*nv)++] = n;
        return;
    }
    for (int i = 0; i < n->nkids; i++)
        child_scopes(n->kids[i], v, nv, false);
}

static void emit_indent(Out *o, int depth)
{
    for (int i = 0; i < depth; i++)
        out_str(o, "    ");
}

/* `_Alignas(64)` (or GNU `aligned(64)`) on a local, as written, to carry
 * over to its frame member; NULL when it has none. */
static char *alignment_of(Source *src, Local *l)
{
    Node *d = l->decl_node;
    for (int i = 0; d && i < d->nkids; i++)
        if (d->kids[i]->kind == CXCursor_AlignedAttr) {
            char *t = attribute_text(src, d->kids[i]);
            if (t)
                return t;
        }
    return NULL;
}

/* Does the frame need more alignment than malloc gives (16)? */
static bool over_aligned(AsyncFn *fn, Source *src)
{
    for (int i = 0; i < fn->nlocals; i++) {
        Local *l = fn->locals[i];
        if (!l->in_frame)
            continue;
        char *a = alignment_of(src, l);
        free(a);
        if (a || clang_Type_getAlignOf(l->type) > 16)
            return true;
    }
    return false;
}

static void emit_frame_locals(AsyncFn *fn, Node *scope, Out *o, int depth)
{
    for (int i = 0; i < fn->nlocals; i++) {
        Local *l = fn->locals[i];
        if (!l->in_frame || scope_of(fn, l) != scope)
            continue;
        char *d = frame_member(l);
        if (!d) {
            char *ts = cx_str(clang_getTypeSpelling(l->type));
            unsigned off;
            clang_getExpansionLocation(clang_getCursorLocation(l->decl), NULL, NULL, NULL, &off);
            error_at(off, "acc cannot yet keep '%s' of type '%s' in a frame (a type declared "
                          "inside the function or without a name)", l->name, ts);
            free(ts);
            continue;
        }
        emit_indent(o, depth);
        char *align = alignment_of(frame_src, l);
        out_printf(o, "%s%s%s;\n", align ? align : "", align ? " " : "", d);
        free(d), free(align);
    }
    if (!scope)
        return;
    Node **kids = NULL;
    int nkids = 0, used = 0;
    child_scopes(scope, &kids, &nkids, true);
    for (int i = 0; i < nkids; i++)
        if (scope_has_locals(fn, kids[i]))
            kids[used++] = kids[i];
    if (used == 1) {
        emit_frame_locals(fn, kids[0], o, depth);
    } else if (used > 1) {
        emit_indent(o, depth);
        out_str(o, "union { /* blocks that never run at the same time */\n");
        for (int i = 0; i < used; i++) {
            emit_indent(o, depth + 1);
            out_str(o, "struct {\n");
            emit_frame_locals(fn, kids[i], o, depth + 2);
            emit_indent(o, depth + 1);
            out_str(o, "};\n");
        }
        emit_indent(o, depth);
        out_str(o, "};\n");
    }
    free(kids);
}

static void emit_temp(AsyncFn *fn, int i, Out *o, int depth)
{
    Buf name = {0};
    buf_printf(&name, "acc_t%d", i + 1);
    char *d = fn->temps[i].kind == CXType_Invalid ? NULL : declare_member(fn->temps[i], name.s);
    emit_indent(o, depth);
    if (fn->temp_frame[i] && strncmp(fn->temp_frame[i], "struct ", 7) != 0)
        out_printf(o, "%s %s; /* the state of an awaited leaf */\n", fn->temp_frame[i], name.s);
    else if (fn->temp_frame[i])
        out_printf(o, "%s %s; /* the frame of an await, built in place */\n", fn->temp_frame[i], name.s);
    else if (d)
        out_printf(o, "%s;\n", d);
    else
        out_printf(o, "int %s;\n", name.s);
    free(d), free(name.s);
}

/* Await results live from the await to the end of their statement, so
 * the temporaries of different statements share storage. */
static void emit_temps(AsyncFn *fn, Out *o)
{
    int groups = 0;
    for (int i = 0; i < fn->ntemps; i++)
        if (i == 0 || fn->temp_stmt[i] != fn->temp_stmt[i - 1])
            groups++;
    if (groups <= 1) {
        for (int i = 0; i < fn->ntemps; i++)
            emit_temp(fn, i, o, 1);
        return;
    }
    out_str(o, "    union { /* await results: one statement's at a time */\n");
    for (int i = 0; i < fn->ntemps;) {
        int j = i;
        while (j < fn->ntemps && fn->temp_stmt[j] == fn->temp_stmt[i])
            j++;
        if (j - i == 1) {
            emit_temp(fn, i, o, 2);
        } else {
            out_str(o, "        struct {\n");
            for (int k = i; k < j; k++)
                emit_temp(fn, k, o, 3);
            out_str(o, "        };\n");
        }
        i = j;
    }
    out_str(o, "    };\n");
}

/* The C main that runs an async main: `int main(int argc, char **argv) {
 * ... acc_run(main__coro(&acc_result, argc, argv)) ... }`, with the async
 * main's parameters. C11 5.1.2.2.1 knows main with none or two; gcc and
 * clang accept a third (envp) too, but warn (-Wmain) about one, which an
 * old-style `async int main(argc) int argc;` may declare without a word
 * from gcc. The C main then takes the standard two and passes the first. */
static void emit_c_main(AsyncFn *fn, Out *o)
{
    out_str(o, "int main(");
    for (int i = 0; i < fn->nparams; i++) {
        char *d = declare(fn->param_types[i], fn->param_names[i]);
        out_printf(o, "%s%s", i ? ", " : "", d ? d : "int");
        free(d);
    }
    if (fn->nparams == 0)
        out_str(o, "void");
    if (fn->nparams == 1)
        out_str(o, ", char **acc_argv");
    out_str(o, ")\n{\n");
    if (fn->nparams == 1)
        out_str(o, "    (void)acc_argv;\n");
    out_str(o, "    int acc_result = 0;\n");
    out_str(o, "    int acc_err = acc_run(main__coro(&acc_result");
    for (int i = 0; i < fn->nparams; i++)
        out_printf(o, ", %s", fn->param_names[i]);
    out_str(o, "));\n    return acc_err < 0 ? 1 : acc_result;\n}\n");
}

void lower_async_fn(Program *p, AsyncFn *fn, Out *o)
{
    Lower L = {.p = p, .src = p->src, .fn = fn};
    if (fn->body) {
        L.func_name = unused_name(&L, "acc_func");
        L.ret_name = unused_name(&L, "acc_r");
        L.spells_func = spells_func_name(&L);
        const Region *r = region(fn->body);
        for (size_t i = first_invocation_from(L.src, r->b); i < L.src->nmacros && L.src->macros[i].b < r->e; i++)
            if (is_active_library_assert(L.src, i)) {
                L.asserts = xgrow(L.asserts, (size_t)L.nasserts, sizeof *L.asserts);
                L.asserts[L.nasserts++] = i;
            }
    }

    /* 1. types declared in the body move out; the body, into its own
     * buffer: lowering decides the temporaries */
    Buf types = {0};
    if (fn->body) {
        check_conditionals_nest(&L, region(fn->body->parent)->b, region(fn->body->parent)->e);
        hoist_types(&L, fn->body, &types);
    }
    Out body = {.lines = o->lines, .src_name = o->src_name, .out_name = o->out_name,
                .out_line = 1, .mapped = (unsigned)-1, .auto_indent = true, .depth = 1};
    L.o = &body;
    if (fn->body)
        lower_block_items(&L, fn->body);

    /* 2. the frame */
    if (types.s) {
        out_sync_at(o, p->src, region(fn->body)->b);
        out_str(o, types.s);
        free(types.s);
    }
    emit_conversions(p, o);
    out_generated(o);
    out_printf(o, "/* async %s: its frame, its entry and its step function */\n", fn->name);
    out_printf(o, "struct %s__frame {\n    acc_frame acc_hdr;\n", fn->name);
    if (!fn->returns_void) {
        char *owned;
        out_printf(o, "    %s;\n", out_type_decl(fn, "acc_out", &owned));
        free(owned);
    }
    frame_src = p->src;
    emit_frame_locals(fn, fn->body, o, 1);
    for (int i = 0; i < fn->nliterals; i++) {
        Buf name = {0};
        buf_printf(&name, "acc_cl%d", i + 1);
        char *d = declare_member(fn->literals[i], name.s);
        out_printf(o, "    %s; /* a compound literal that outlives an await */\n", d ? d : "int");
        free(d), free(name.s);
    }
    emit_temps(fn, o);
    out_str(o, "};\n");
    out_printf(o, "static int %s__step(acc_frame *acc_base);\n", fn->name);

    /* 3. f__init fills a frame, wherever it is (awaits below build it in
     * their own frame); the entry allocates one. Neither runs it. */
    fn->over_aligned = over_aligned(fn, p->src);
    emit_init(fn, o);
    if (!entry_at_end(fn))
        emit_entry(fn, o);

    /* 4. the step function */
    out_printf(o, "static int %s__step(acc_frame *acc_base)\n{\n", fn->name);
    out_printf(o, "    struct %s__frame *acc_self = (struct %s__frame *)acc_base;\n", fn->name, fn->name);
    if (L.uses_func)
        out_printf(o, "    static const char %s[] = \"%s\";\n", L.func_name, fn->name);
    out_str(o, "    switch (acc_self->acc_hdr.acc_state) {\n    case 0:\n        break;\n");
    if (L.dispatch.s)
        out_str(o, L.dispatch.s);
    free(L.dispatch.s);
    out_str(o, "    }\n");
    if (body.buf.s)
        out_append(o, &body); /* starts with its own #line */
    free(body.buf.s);
    out_generated(o);
    out_str(o, "    return acc__return(&acc_self->acc_hdr);\n}\n");
    fn->lowered = true;
    free(L.func_name);
    free(L.ret_name);
    free(L.asserts);

    if (fn->is_main)
        emit_c_main(fn, o);
}

/* A plain function's text, with its acc_run forms rewritten. */
char *render_plain(Program *p, Node *n)
{
    char *name = cx_str(clang_getCursorSpelling(n->cur));
    Lower L = {.p = p, .src = p->src, .plain_name = name};
    char *text = render(&L, n);
    free(name);
    return text;
}
