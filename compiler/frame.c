/*
 * frame.c: which locals live in the frame.
 *
 * A local needs the frame when its value, or its address, may be used
 * after an await resumes: the step function returns at every suspension,
 * and its C locals die with it. Every other local stays a plain C local of
 * the step function, declared where the user declared it: it costs no
 * frame memory, the compiler can keep it in a register, and the code
 * keeps the user's names.
 *
 * The analysis is conservative (a local it is unsure of goes to the frame):
 *   - parameters, arrays, and locals whose address is taken: frame;
 *   - a function with goto: every local in the frame (a backward jump can
 *     reach anything);
 *   - else a local is live across await A when a reference to it comes
 *     after A resumes: later in the text, or in the same full expression
 *     outside A's operand (awaits are hoisted before their expression), or
 *     anywhere in a loop that holds A and repeats without redeclaring it.
 */
#include "compiler.h"

#include <stdlib.h>
#include <string.h>

static bool is_expr(Node *n)
{
    return n->kind >= CXCursor_FirstExpr && n->kind <= CXCursor_LastExpr;
}

static bool is_loop(Node *n)
{
    return n->kind == CXCursor_WhileStmt || n->kind == CXCursor_DoStmt || n->kind == CXCursor_ForStmt;
}

static bool is_within(Node *n, Node *anc)
{
    for (; n; n = n->parent)
        if (n == anc)
            return true;
    return false;
}

/* The full expression holding n: its highest enclosing expression. */
static Node *full_expr(Node *n)
{
    while (n->parent && is_expr(n->parent))
        n = n->parent;
    return n;
}

static void collect(Node *n, enum NodeRole role, Node ***v, int *nv)
{
    if (n->role == role) {
        *v = xgrow(*v, (size_t)*nv, sizeof **v);
        (*v)[(*nv)++] = n;
    }
    for (int i = 0; i < n->nkids; i++)
        collect(n->kids[i], role, v, nv);
}

static int start_order(const void *a, const void *b)
{
    unsigned x = region(*(Node *const *)a)->b, y = region(*(Node *const *)b)->b;
    return (x > y) - (x < y);
}

static bool has_goto(Node *n)
{
    if (n->kind == CXCursor_GotoStmt || n->kind == CXCursor_IndirectGotoStmt)
        return true;
    for (int i = 0; i < n->nkids; i++)
        if (has_goto(n->kids[i]))
            return true;
    return false;
}

/* Does this reference hand out the local's address? `&x`, `&x.f`,
 * `x.arr` (an array member decays), `&x[i]`. */
static bool takes_address(Source *src, Node *ref)
{
    Node *n = ref;
    if (clang_getCanonicalType(clang_getCursorType(ref->cur)).kind == CXType_ConstantArray)
        return true; /* an array decays to a pointer (or is sizeof's operand: harmless) */
    while (n->parent) {
        Node *p = n->parent;
        if (p->kind == CXCursor_ParenExpr || p->kind == CXCursor_UnexposedExpr ||
            (p->kind == CXCursor_MemberRefExpr && p->nkids && p->kids[0] == n) ||
            (p->kind == CXCursor_ArraySubscriptExpr && p->nkids && p->kids[0] == n)) {
            n = p;
            continue;
        }
        const Region *rp = p->kind == CXCursor_UnaryOperator ? region(p) : NULL;
        if (rp && rp->in_main && region(n)->in_main && rp->b < region(n)->b) {
            if (gap_is(src, rp->b, region(n)->b, "&"))
                return true;
        }
        break;
    }
    /* an array-typed result decays to a pointer */
    return clang_getCanonicalType(clang_getCursorType(n->cur)).kind == CXType_ConstantArray;
}

/* Is this reference in the result lvalue of a coroutine-taking form
 * (`acc_spawn(r = f())`)? The callee's frame gets the lvalue's address
 * and stores through it when it returns, after any number of awaits. */
static bool form_result(Node *ref)
{
    for (Node *q = ref->parent; q; q = q->parent) {
        if (q->role != ROLE_FORM)
            continue;
        for (int i = 0; i < q->nform_args; i++) {
            Node *a = q->form_args[i];
            while ((a->kind == CXCursor_ParenExpr || a->kind == CXCursor_UnexposedExpr) && a->nkids == 1)
                a = a->kids[0];
            if (a->kind == CXCursor_BinaryOperator && a->nkids == 2 && is_within(ref, a->kids[0]))
                return true;
        }
    }
    return false;
}

/* Does an await outlive local l? `awaits` is sorted by where they start. */
static bool live_across(Local *l, Node **awaits, int nawaits)
{
    Node *decl = l->decl_node;
    Node *scope = decl->parent ? decl->parent->parent : NULL; /* VarDecl < DeclStmt < block */
    if (!scope)
        return true;
    /* Only awaits before `stop` can: the end of the last full expression
     * holding a reference, or of the last loop around one (below). Later
     * ones are not looked at, which made a long function quadratic. */
    unsigned stop = 0;
    for (int r = 0; r < l->nrefs; r++) {
        Node *R = l->refs[r];
        if (region(full_expr(R))->e > stop)
            stop = region(full_expr(R))->e;
        for (Node *L = R->parent; L && L != scope->parent; L = L->parent)
            if (is_loop(L) && is_within(L, scope) && !is_within(decl, L->kids[L->nkids - 1]) &&
                region(L)->e > stop)
                stop = region(L)->e;
    }
    int lo = 0, hi = nawaits; /* the first await at or after the declaration */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (region(awaits[mid])->b < region(decl)->b)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (int a = lo; a < nawaits && region(awaits[a])->b < stop; a++) {
        Node *A = awaits[a];
        if (!is_within(A, scope) || is_within(A, decl))
            continue;
        Node *F = full_expr(A);
        for (int r = 0; r < l->nrefs; r++) {
            Node *R = l->refs[r];
            if (region(R)->b >= region(F)->e)
                return true;
            if (is_within(R, F) && !is_within(R, A->kids[0]))
                return true;
        }
        /* loops around A that repeat without redeclaring the local */
        for (Node *L = A->parent; L && L != scope->parent; L = L->parent) {
            if (!is_loop(L) || !is_within(L, scope))
                continue;
            Node *body = L->kids[L->nkids - 1];
            if (is_within(decl, body))
                continue;
            for (int r = 0; r < l->nrefs; r++)
                if (is_within(l->refs[r], L))
                    return true;
        }
    }
    return false;
}

/* A compound literal lives until its block ends (C11 6.5.2.5p5), which may
 * be after an await: if its address can escape, it is kept in the frame. */
static void place_literals(Source *src, AsyncFn *fn, Node *n)
{
    if (n->kind == CXCursor_CompoundLiteralExpr && takes_address(src, n)) {
        fn->literals = xrealloc(fn->literals, (size_t)(fn->nliterals + 1) * sizeof *fn->literals);
        fn->literals[fn->nliterals++] = clang_getCursorType(n->cur);
        n->literal = fn->nliterals;
    }
    for (int i = 0; i < n->nkids; i++)
        place_literals(src, fn, n->kids[i]);
}

void place_locals(Source *src, AsyncFn *fn)
{
    if (fn->body->has_await)
        place_literals(src, fn, fn->body);
    Node **awaits = NULL;
    int nawaits = 0;
    collect(fn->body, ROLE_AWAIT, &awaits, &nawaits);
    if (nawaits > 1)
        qsort(awaits, (size_t)nawaits, sizeof *awaits, start_order);
    bool gotos = has_goto(fn->body);

    for (int i = 0; i < fn->nlocals; i++) {
        Local *l = fn->locals[i];
        /* a C local named acc_self would hide the step function's own */
        bool frame = l->is_param || gotos || !l->decl_node || is_generated_name(l->name);
        if (!frame && clang_getCanonicalType(l->type).kind == CXType_ConstantArray)
            frame = true;
        for (int r = 0; r < l->nrefs && !frame; r++)
            frame = takes_address(src, l->refs[r]) || form_result(l->refs[r]);
        if (!frame)
            frame = live_across(l, awaits, nawaits);
        l->in_frame = frame;
        if (!frame) {
            /* a plain C local: its references stay as written */
            for (int r = 0; r < l->nrefs; r++)
                l->refs[r]->role = ROLE_NONE;
            if (l->decl_node)
                l->decl_node->local = NULL;
            continue;
        }
        for (int r = 0; r < l->nrefs; r++) {
            const Region *R = region(l->refs[r]);
            if (!R->in_main && report_if_included(src, l->refs[r]->cur))
                continue;
            if (!R->in_main || !text_is(src, R->b, R->e, l->name))
                error_at(R->b, "acc cannot translate a macro whose definition uses '%s', a local of "
                               "async function '%s' that lives across an await; pass it to the macro "
                               "as an argument",
                         l->name, fn->name);
        }
    }
    free(awaits);
}
