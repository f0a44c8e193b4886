/*
 * analyze.c: what the translator must know before it rewrites anything.
 *
 *  - which functions are async (those clang saw with the acc.async
 *    annotation, from any file of the translation unit);
 *  - in each async function defined in the main file: its locals and
 *    parameters (all of them live in the frame), every await, every call
 *    of an async function and every coroutine-taking form;
 *  - the dialect's rules (SPEC 1.3), reported through error_at().
 */
#include "compiler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static Program *prog;

/* ---- async functions ---------------------------------------------------- */

/* The acc annotations a declaration carries, found in one visit of its
 * children. */
enum { ANNOTATED_ASYNC = 1, ANNOTATED_LEAF = 2 };

static enum CXChildVisitResult find_annotation(CXCursor c, CXCursor parent, CXClientData data)
{
    unsigned *found = data;
    (void)parent;
    if (clang_getCursorKind(c) == CXCursor_AnnotateAttr) {
        CXString s = clang_getCursorSpelling(c);
        const char *a = clang_getCString(s);
        if (a && strcmp(a, "acc.async") == 0)
            *found |= ANNOTATED_ASYNC;
        else if (a && strcmp(a, "acc.leaf") == 0)
            *found |= ANNOTATED_LEAF;
        clang_disposeString(s);
    }
    return CXChildVisit_Continue;
}

static unsigned annotations(CXCursor c)
{
    unsigned found = 0;
    clang_visitChildren(c, find_annotation, &found);
    return found;
}

bool has_async_annotation(CXCursor c)
{
    return annotations(c) & ANNOTATED_ASYNC;
}

/* Async functions in an open-addressing hash table: every call and every
 * name in the file is looked up. */
/* Keyed by the canonical declaration: every redeclaration of a function
 * has the same one, and hashing a cursor costs far less than its USR. */
static unsigned long fn_hash(CXCursor canonical)
{
    return clang_hashCursor(canonical) * 2654435761UL;
}

/* A slot keeps the hash beside the function: a probe of another slot
 * costs no visit to a function that is not the one looked up (with
 * thousands of them, a cache miss each). */
typedef struct FnSlot {
    unsigned long hash;
    AsyncFn *fn;
} FnSlot;

static void slot_put(FnSlot *t, int cap, unsigned long hash, AsyncFn *fn)
{
    unsigned long h = hash & (unsigned long)(cap - 1);
    while (t[h].fn)
        h = (h + 1) & (unsigned long)(cap - 1);
    t[h] = (FnSlot){hash, fn};
}

static void table_insert(Program *p, AsyncFn *fn)
{
    if ((p->nfns + 1) * 2 > p->table_cap) {
        int cap = p->table_cap ? p->table_cap * 2 : 64;
        FnSlot *t = xcalloc((size_t)cap, sizeof *t);
        for (int i = 0; i < p->table_cap; i++)
            if (p->table[i].fn)
                slot_put(t, cap, p->table[i].hash, p->table[i].fn);
        free(p->table);
        p->table = t;
        p->table_cap = cap;
    }
    slot_put(p->table, p->table_cap, fn_hash(fn->canonical), fn);
}

AsyncFn *find_async_fn(Program *p, CXCursor referenced)
{
    if (clang_getCursorKind(referenced) != CXCursor_FunctionDecl || p->table_cap == 0)
        return NULL;
    CXCursor canonical = clang_getCanonicalCursor(referenced);
    unsigned long hash = fn_hash(canonical);
    unsigned long h = hash & (unsigned long)(p->table_cap - 1);
    for (; p->table[h].fn; h = (h + 1) & (unsigned long)(p->table_cap - 1))
        if (p->table[h].hash == hash && clang_equalCursors(p->table[h].fn->canonical, canonical))
            return p->table[h].fn;
    return NULL;
}

static bool declared_in_runtime_header(CXCursor c)
{
    CXFile f;
    clang_getSpellingLocation(clang_getCursorLocation(c), &f, NULL, NULL, NULL);
    if (!f)
        return false;
    char *name = cx_str(clang_getFileName(f));
    size_t n = strlen(name);
    bool r = n >= 6 && strcmp(name + n - 6, "/acc.h") == 0;
    free(name);
    return r;
}

/* The parameters of declaration c. */
static void read_params(AsyncFn *fn, CXCursor c)
{
    int n = clang_Cursor_getNumArguments(c);
    fn->nparams = n < 0 ? 0 : n;
    fn->param_types = xcalloc((size_t)fn->nparams, sizeof *fn->param_types);
    fn->param_names = xcalloc((size_t)fn->nparams, sizeof *fn->param_names);
    for (int i = 0; i < fn->nparams; i++) {
        CXCursor a = clang_Cursor_getArgument(c, (unsigned)i);
        fn->param_types[i] = clang_getCursorType(a);
        fn->param_names[i] = cx_str(clang_getCursorSpelling(a));
    }
}

static void note_async_decl(Source *src, CXCursor c, bool leaf)
{
    AsyncFn *fn = find_async_fn(prog, c);
    bool in_main = is_main_file(src, clang_getCursorLocation(c));
    bool is_def = clang_isCursorDefinition(c);
    bool fresh = !fn; /* its parameter names are this declaration's */
    if (!fn) {
        fn = xcalloc(1, sizeof *fn);
        fn->name = cx_str(clang_getCursorSpelling(c));
        fn->canonical = clang_getCanonicalCursor(c);
        fn->decl = c;
        CXType ft = clang_getCursorType(c);
        fn->ret = clang_getResultType(ft);
        fn->returns_void = clang_getCanonicalType(fn->ret).kind == CXType_Void;
        fn->is_static = clang_Cursor_getStorageClass(c) == CX_SC_Static;
        fn->from_runtime = declared_in_runtime_header(c);
        fn->slot_leaf = leaf;
        fn->is_main = strcmp(fn->name, "main") == 0;
        read_params(fn, c);
        fn->index = prog->nfns;
        table_insert(prog, fn);
        prog->fns = xrealloc(prog->fns, (size_t)(prog->nfns + 1) * sizeof *prog->fns);
        prog->fns[prog->nfns++] = fn;
        /* `f()` has no prototype (libclang calls that variadic): as a
         * definition it takes no parameters, which is fine */
        if (ft.kind == CXType_FunctionProto && clang_isFunctionTypeVariadic(ft) && in_main) {
            error_at(name_offset(c), "async function '%s' cannot be variadic", fn->name);
        }
        if (fn->is_main && in_main && clang_getCanonicalType(fn->ret).kind != CXType_Int)
            error_at(name_offset(c), "async function 'main' must return int: acc's C main returns "
                                     "its result");
    }
    if (in_main) {
        for (int i = 0; i < fn->nparams; i++) {
            CXCursor a = clang_Cursor_getArgument(c, (unsigned)i);
            if (param_type_is_variably_modified(clang_getCursorType(a))) {
                char *pn = cx_str(clang_getCursorSpelling(a));
                error_at(name_offset(a), "parameter '%s' of async function '%s' has a variably modified type, "
                              "which cannot be kept in a frame", pn, fn->name);
                free(pn);
            }
        }
    }
    if (is_def && !in_main && !fn->from_runtime) {
        /* the header's text reaches the C compiler as written */
        CXFile f;
        unsigned line, col;
        clang_getExpansionLocation(clang_getCursorLocation(c), &f, &line, &col, NULL);
        char *file = cx_str(clang_getFileName(f));
        error_in_file(file, line, col, "async function '%s' is defined in a header: acc translates "
                                       "only the file it is given; define it in a .acc file and keep "
                                       "its prototype in the header", fn->name);
        free(file);
    }
    if (leaf)
        fn->slot_leaf = true;
    if (is_def && fn->slot_leaf && in_main)
        error_at(name_offset(c), "async function '%s' is declared ACC__LEAF and has a body: only a "
                                 "leaf written by hand in C (docs/abi.md) can be an ACC__LEAF", fn->name);
    if (is_def && !fresh && clang_Cursor_getNumArguments(c) != fn->nparams) {
        /* `async int f();` first, then an old-style definition: its
         * parameters are the ones */
        for (int i = 0; i < fn->nparams; i++)
            free(fn->param_names[i]);
        free(fn->param_types);
        free(fn->param_names);
        read_params(fn, c);
        fresh = true;
    }
    if (is_def) {
        fn->decl = c;
        /* parameter names of the definition are the ones the body uses */
        for (int i = 0; i < fn->nparams && !fresh; i++) {
            free(fn->param_names[i]);
            fn->param_names[i] = cx_str(clang_getCursorSpelling(clang_Cursor_getArgument(c, (unsigned)i)));
        }
        fn->defined_here = in_main;
    }
    if (in_main)
        fn->declared_in_main = true;
    if (clang_Cursor_getStorageClass(c) == CX_SC_Static)
        fn->is_static = true;
}

const char *form_name(enum FormKind k)
{
    switch (k) {
    case FORM_RUN:
        return "acc_run";
    case FORM_GATHER:
        return "acc_gather";
    case FORM_SPAWN:
        return "acc_spawn";
    case FORM_WAIT_FOR:
        return "acc_wait_for";
    default:
        return "?";
    }
}

/* ---- the rules inside function bodies ----------------------------------- */

static bool word_at(Source *src, unsigned off, const char *w)
{
    return word_in(src->text, src->len, off, w);
}

/* `await` reaches clang as `__extension__`, a unary operator, or as a cast
 * to int when its operand is an awaitable (awaitable.c). It is ours when
 * its text starts with the `await` token: where the user wrote it, or,
 * inside a macro's argument, where the argument is spelled. */
static bool is_await_node(Source *src, Node *n)
{
    if (n->kind != CXCursor_UnaryOperator && n->kind != CXCursor_CStyleCastExpr)
        return false;
    CXFile f;
    unsigned off;
    clang_getExpansionLocation(clang_getCursorLocation(n->cur), &f, NULL, NULL, &off);
    if (f && clang_File_isEqual(f, src->file) && word_at(src, off, "await"))
        return true;
    const Region *r = region(n);
    return r->in_main && r->from_arg && word_at(src, r->b, "await");
}

/* The offsets of the main file's `await` tokens, and of those that clang
 * read as the operator: one left over stood where C takes
 * `__extension__` before a declaration (`await int x;`, or at file scope
 * `await f();`, an implicit-int declaration of f), which is no await and
 * would reach the C compiler as written. */
static unsigned *await_words, *await_ops;
static int nawait_words, nawait_ops;

static void note_offset(unsigned **v, int *n, unsigned off)
{
    *v = xgrow(*v, (size_t)*n, sizeof **v);
    (*v)[(*n)++] = off;
}

static int offset_order(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

static void note_await_op(Source *src, Node *n)
{
    CXFile f;
    unsigned off;
    clang_getExpansionLocation(clang_getCursorLocation(n->cur), &f, NULL, NULL, &off);
    if (!(f && clang_File_isEqual(f, src->file) && word_at(src, off, "await")))
        off = region(n)->b;
    note_offset(&await_ops, &nawait_ops, off);
}

static void check_await_words(void)
{
    /* after other errors an await may be missing from the tree (clang
     * drops an invalid operand): no second message for it */
    int words = analysis_error_count() ? 0 : nawait_words;
    if (words > 0 && nawait_ops > 1) /* a search per word: a file has thousands */
        qsort(await_ops, (size_t)nawait_ops, sizeof *await_ops, offset_order);
    for (int i = 0; i < words; i++) {
        bool op = nawait_ops > 0 &&
                  bsearch(&await_words[i], await_ops, (size_t)nawait_ops, sizeof *await_ops, offset_order);
        if (!op)
            error_at(await_words[i], "'await' before a declaration: await is a unary operator and "
                                     "takes an expression");
    }
    free(await_words), free(await_ops);
    await_words = await_ops = NULL;
    nawait_words = nawait_ops = 0;
}

/* Code that an #include inside an async body brings reaches the C
 * compiler as written (lower.c keeps the #include in its place), so acc
 * cannot rewrite it: where c (a part of it that would need rewriting)
 * stands in another file than the main one, report it there. */
bool report_if_included(Source *src, CXCursor c)
{
    CXFile f;
    unsigned line, col;
    clang_getExpansionLocation(clang_getCursorLocation(c), &f, &line, &col, NULL);
    if (!f || clang_File_isEqual(f, src->file))
        return false;
    char *file = cx_str(clang_getFileName(f));
    error_in_file(file, line, col, "acc cannot translate code that an #include brings into an async "
                                   "function's body when it awaits, calls an async function, or "
                                   "declares or uses a local that lives across an await");
    free(file);
    return true;
}

/* An await in a macro's definition that expand.c did not expand (a use
 * outside an async body): we could not rewrite it where it expands. */
static void check_await_from_macro(Source *src, Node *n, bool in_async)
{
    unsigned off;
    if (in_async && report_if_included(src, n->cur))
        return;
    clang_getExpansionLocation(clang_getCursorLocation(n->cur), NULL, NULL, NULL, &off);
    char *name = xstrndup(src->text + off, ident_end(src, off) - off);
    if (in_async)
        error_at(off, "acc cannot translate the 'await' in the definition of macro '%s' here", name);
    else
        error_at(off, "'await' outside an async function (in the definition of macro '%s')", name);
    free(name);
}

/* The name of the function `ref` (what a call references), or NULL; the
 * name is clang's string, disposed by the caller when *s is set. */
static const char *callee_name(CXCursor ref, CXString *s, bool *has_s)
{
    *has_s = false;
    if (clang_Cursor_isNull(ref) || clang_getCursorKind(ref) != CXCursor_FunctionDecl)
        return NULL;
    *s = clang_getCursorSpelling(ref);
    *has_s = true;
    const char *name = clang_getCString(*s);
    return name ? name : "";
}

static Node *strip(Node *n)
{
    while (n && (n->kind == CXCursor_UnexposedExpr || n->kind == CXCursor_ParenExpr) && n->nkids == 1)
        n = n->kids[0];
    return n;
}

static bool is_binop(Source *src, Node *n, const char *op)
{
    if (!n || n->kind != CXCursor_BinaryOperator || n->nkids != 2)
        return false;
    const Region *r0 = region(n->kids[0]), *r1 = region(n->kids[1]);
    if (!r0->in_main || !r1->in_main)
        return false;
    unsigned e0 = region(n)->from_arg ? r0->e : r0->oe;
    unsigned b1 = region(n)->from_arg ? r1->b : r1->ob;
    if (e0 > b1)
        return false;
    return gap_is(src, e0, b1, op);
}

static void flatten_commas(Source *src, Node *n, Node ***out, int *nout)
{
    Node *s = n;
    while (s && s->kind == CXCursor_UnexposedExpr && s->nkids == 1)
        s = s->kids[0];
    if (is_binop(src, s, ",")) {
        flatten_commas(src, s->kids[0], out, nout);
        flatten_commas(src, s->kids[1], out, nout);
        return;
    }
    *out = xrealloc(*out, (size_t)(*nout + 1) * sizeof **out);
    (*out)[(*nout)++] = n;
}

/* The coroutine call of a form argument: `call` or `lvalue = call`. */
static Node *form_arg_call(Source *src, Node *arg)
{
    Node *s = strip(arg);
    if (is_binop(src, s, "="))
        s = strip(s->kids[1]);
    /* acc_gather and acc_wait_for are the runtime's coroutines too */
    if (s && s->role == ROLE_FORM && (s->form == FORM_GATHER || s->form == FORM_WAIT_FOR))
        return s;
    return s && s->role == ROLE_CORO_CALL ? s : NULL;
}

/* Is n (a coroutine call, or a gather or wait_for) an argument of the
 * nearest form above it? Forms are checked bottom-up, so look upwards. */
static bool is_form_arg(Source *src, Node *n)
{
    for (Node *q = n->parent; q; q = q->parent)
        if (q->role == ROLE_FORM) {
            for (int i = 0; i < q->nform_args; i++)
                if (form_arg_call(src, q->form_args[i]) == n)
                    return true;
            return false;
        }
    return false;
}

/* acc_gather(a, b) reaches clang as acc__gather_form(((a, b), 0)). */
static void collect_form_args(Source *src, Node *form)
{
    Node *arg = form->nkids >= 2 ? strip(form->kids[1]) : NULL;
    if (!is_binop(src, arg, ",")) {
        /* the macro's `, 0` is not in the main file's text: find it by shape */
        if (arg && arg->kind == CXCursor_BinaryOperator && arg->nkids == 2)
            arg = arg->kids[0];
    } else {
        arg = arg->kids[0];
    }
    /* the macro's own parentheses around the arguments: exactly one pair
     * (a form inside another form's argument is all `from_arg`) */
    while (arg && arg->kind == CXCursor_UnexposedExpr && arg->nkids == 1)
        arg = arg->kids[0];
    if (arg && arg->kind == CXCursor_ParenExpr && arg->nkids == 1)
        arg = arg->kids[0];
    if (!arg)
        return;
    flatten_commas(src, arg, &form->form_args, &form->nform_args);
}

typedef struct Walk {
    Source *src;
    AsyncFn *fn;  /* NULL outside async functions */
} Walk;

/* Names the lowering gives members of every frame, or names in every step
 * function: a user's local of that name gets a suffix as a shadowed one
 * does (`acc_out_2`). */
bool is_generated_name(const char *m)
{
    static const char *fixed[] = {"acc_hdr", "acc_out", "acc_self", "acc_base"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (strcmp(m, fixed[i]) == 0)
            return true;
    const char *d = strncmp(m, "acc_t", 5) == 0 ? m + 5 : strncmp(m, "acc_cl", 6) == 0 ? m + 6 : NULL;
    if (!d || !*d)
        return false;
    while (*d >= '0' && *d <= '9')
        d++;
    return *d == 0;
}

/* ---- the locals by declaration and by member name: a long function has
 * thousands, and each reference looks one up (a walk over them all made
 * such a function quadratic). */

static unsigned name_hash(const char *s)
{
    unsigned h = 2166136261u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

static Local *member_named(AsyncFn *fn, const char *m)
{
    if (!fn->index_cap)
        return NULL;
    for (unsigned i = name_hash(m) & (fn->index_cap - 1);; i = (i + 1) & (fn->index_cap - 1))
        if (!fn->by_member[i] || strcmp(fn->by_member[i]->member, m) == 0)
            return fn->by_member[i];
}

static void index_local(AsyncFn *fn, Local *l)
{
    unsigned mask = fn->index_cap - 1, i;
    for (i = l->decl_hash & mask; fn->by_decl[i]; i = (i + 1) & mask)
        ;
    fn->by_decl[i] = l;
    for (i = name_hash(l->member) & mask; fn->by_member[i]; i = (i + 1) & mask)
        ;
    fn->by_member[i] = l;
}

/* Room for one more local, at most half full. */
static void index_reserve(AsyncFn *fn)
{
    if (2 * ((unsigned)fn->nlocals + 1) <= fn->index_cap)
        return;
    free(fn->by_decl), free(fn->by_member);
    fn->index_cap = fn->index_cap ? 2 * fn->index_cap : 64;
    fn->by_decl = xcalloc(fn->index_cap, sizeof *fn->by_decl);
    fn->by_member = xcalloc(fn->index_cap, sizeof *fn->by_member);
    for (int i = 0; i < fn->nlocals; i++)
        index_local(fn, fn->locals[i]);
}

static void add_local(AsyncFn *fn, CXCursor decl, bool is_param)
{
    Local *l = xcalloc(1, sizeof *l);
    l->name = cx_str(clang_getCursorSpelling(decl));
    l->type = clang_getCursorType(decl);
    l->is_param = is_param;
    l->via_array = is_param && param_is_unnamed_element_array(l->type);
    l->decl = decl;
    l->decl_hash = clang_hashCursor(decl);
    /* frame member names are unique: shadowed names get a suffix */
    char *m = xstrdup(l->name);
    for (int k = 2;; k++) {
        if (!is_generated_name(m) && !member_named(fn, m))
            break;
        free(m);
        Buf b = {0};
        buf_printf(&b, "%s_%d", l->name, k);
        m = b.s;
    }
    l->member = m;
    index_reserve(fn);
    fn->locals = xgrow(fn->locals, (size_t)fn->nlocals, sizeof *fn->locals);
    fn->locals[fn->nlocals++] = l;
    index_local(fn, l);
}

static Local *local_for(AsyncFn *fn, CXCursor decl)
{
    unsigned h = clang_hashCursor(decl); /* equal cursors hash alike */
    if (!fn->index_cap)
        return NULL;
    for (unsigned i = h & (fn->index_cap - 1); fn->by_decl[i]; i = (i + 1) & (fn->index_cap - 1))
        if (fn->by_decl[i]->decl_hash == h && clang_equalCursors(fn->by_decl[i]->decl, decl))
            return fn->by_decl[i];
    return NULL;
}

static bool is_frame_var(CXCursor decl)
{
    enum CX_StorageClass sc = clang_Cursor_getStorageClass(decl);
    return sc == CX_SC_None || sc == CX_SC_Auto || sc == CX_SC_Register;
}

/* A reference to a local (or parameter) of the function: any declaration
 * whose scope is a function. */
static Node *find_local_ref(Node *n)
{
    if (n->kind == CXCursor_DeclRefExpr) {
        CXCursor d = clang_getCursorReferenced(n->cur);
        enum CXCursorKind k = clang_getCursorKind(d);
        if ((k == CXCursor_VarDecl || k == CXCursor_ParmDecl) &&
            clang_getCursorKind(clang_getCursorSemanticParent(d)) == CXCursor_FunctionDecl)
            return n;
    }
    for (int i = 0; i < n->nkids; i++) {
        Node *r = find_local_ref(n->kids[i]);
        if (r)
            return r;
    }
    return NULL;
}

/* Types declared in an async body move to file scope (lower.c), where
 * the function's locals do not exist: a variably modified typedef, or a
 * definition that names a local (`char buf[sizeof x]`), cannot move. An
 * enum that names one (`enum { N = sizeof tbl / sizeof tbl[0] };`) stays
 * where it is instead, in the step function: its constants are ints, and
 * lower.c reports a moved type or a frame member that would need it. */
static void check_local_type(Walk *w, Node *n)
{
    char *name = cx_str(clang_getCursorSpelling(n->cur));
    if (n->kind == CXCursor_TypedefDecl) {
        if (type_is_variably_modified(clang_getTypedefDeclUnderlyingType(n->cur))) {
            error_at(name_offset(n->cur), "typedef '%s' in async function '%s' has a variably modified type, "
                                          "which acc cannot translate", name, w->fn->name);
            free(name);
            return;
        }
    }
    Node *ref = find_local_ref(n);
    if (ref && n->kind == CXCursor_EnumDecl) {
        n->kept_in_body = true;
        free(name);
        return;
    }
    /* clang shows `struct T {...} t;`'s definition again under t: once */
    static unsigned reported = ~0u;
    if (ref && region(ref)->b != reported) {
        reported = region(ref)->b;
        char *local = cx_str(clang_getCursorSpelling(ref->cur));
        const char *what = n->kind == CXCursor_StructDecl  ? "struct"
                           : n->kind == CXCursor_UnionDecl ? "union"
                           : n->kind == CXCursor_EnumDecl  ? "enum"
                                                           : NULL;
        Buf b = {0};
        if (!what)
            buf_printf(&b, "'%s'", name);
        else if (!*name || strstr(name, "(unnamed") || strstr(name, "(anonymous"))
            buf_printf(&b, "an anonymous %s", what);
        else
            buf_printf(&b, "'%s %s'", what, name);
        error_at(region(ref)->b, "acc cannot translate the declaration of %s in async function '%s': it "
                                 "names local '%s', and acc moves the types of async functions to file "
                                 "scope; declare it outside the function with a constant",
                 b.s, w->fn->name, local);
        free(b.s), free(local);
    }
    free(name);
}

/* First pass over a body: declare the frame's locals in source order. */
static void find_locals(Walk *w, Node *n)
{
    if (n->kind == CXCursor_VarDecl && is_frame_var(n->cur)) {
        for (int i = 0; i < n->nkids; i++) {
            if (n->kids[i]->kind != CXCursor_UnexposedAttr)
                continue;
            const Region *r = region(n->kids[i]);
            if (r->in_main && r->e > r->b && memmem(w->src->text + r->b, r->e - r->b, "cleanup", 7)) {
                char *name = cx_str(clang_getCursorSpelling(n->cur));
                error_at(r->b, "acc cannot translate __attribute__((cleanup)) on '%s', a local "
                               "of async function '%s'", name, w->fn->name);
                free(name);
            }
        }
        add_local(w->fn, n->cur, false);
        n->local = w->fn->locals[w->fn->nlocals - 1];
        n->local->decl_node = n;
        CXType t = n->local->type;
        const char *name = n->local->name;
        if (t.kind == CXType_VariableArray || t.kind == CXType_DependentSizedArray)
            error_at(region(n)->b, "variable-length array '%s' cannot be a local of async function '%s'",
                     name, w->fn->name);
        else if (type_is_variably_modified(t))
            error_at(name_offset(n->cur), "local '%s' of async function '%s' has a variably modified type, "
                                          "which cannot be kept in a frame", name, w->fn->name);
    }
    if (n->kind == CXCursor_TypedefDecl || n->kind == CXCursor_StructDecl || n->kind == CXCursor_UnionDecl ||
        n->kind == CXCursor_EnumDecl) {
        check_local_type(w, n);
        return; /* a type holds no locals */
    }
    for (int i = 0; i < n->nkids; i++)
        find_locals(w, n->kids[i]);
}

/* `*e` or `&e`: the operators that leave a function designator one
 * (`(*f)(x)`, `(&f)(x)`, `&f` as a value). An await is a unary operator
 * too, but its text starts with the keyword. */
static bool is_deref_or_addr(Node *n)
{
    if (n->kind != CXCursor_UnaryOperator || n->nkids != 1)
        return false;
    const Region *r = region(n);
    return r->in_main && r->e > r->b && (prog->src->text[r->b] == '*' || prog->src->text[r->b] == '&');
}

/* strip(), and `*` and `&` too. */
static Node *strip_ops(Node *n)
{
    for (n = strip(n); n && is_deref_or_addr(n); n = strip(n->kids[0]))
        ;
    return n;
}

/* The async function an expression designates: `f`, `(f)`, `*f`, `&f`. */
static AsyncFn *designated_async_fn(Node *e)
{
    e = strip_ops(e);
    return e && e->kind == CXCursor_DeclRefExpr ? find_async_fn(prog, clang_getCursorReferenced(e->cur)) : NULL;
}

/* Is n the function a call calls (`f` in `f(x)`, `(*f)(x)`, `(&f)(x)`)? */
static bool is_callee_position(Node *n)
{
    Node *c = n;
    while (c->parent && (c->parent->kind == CXCursor_UnexposedExpr || c->parent->kind == CXCursor_ParenExpr ||
                         is_deref_or_addr(c->parent)))
        c = c->parent;
    return c->parent && c->parent->kind == CXCursor_CallExpr && c->parent->nkids > 0 &&
           c->parent->kids[0] == c;
}

/* The declaration a called expression names: `op`, `s->op`, `(*op)`, `ops[i]`. */
static CXCursor callee_decl(Node *n)
{
    for (int depth = 0; n && depth < 16; depth++) {
        switch (n->kind) {
        case CXCursor_UnexposedExpr:
        case CXCursor_ParenExpr:
        case CXCursor_UnaryOperator:
        case CXCursor_ArraySubscriptExpr:
            n = n->nkids ? n->kids[0] : NULL;
            break;
        case CXCursor_DeclRefExpr:
        case CXCursor_MemberRefExpr:
            return clang_getCursorReferenced(n->cur);
        default:
            return clang_getNullCursor();
        }
    }
    return clang_getNullCursor();
}

/* Is t a function, or a pointer to one? */
static bool is_function_value(CXType t)
{
    t = clang_getCanonicalType(t);
    if (t.kind == CXType_Pointer)
        t = clang_getCanonicalType(clang_getPointeeType(t));
    return t.kind == CXType_FunctionProto || t.kind == CXType_FunctionNoProto;
}

/* Does the type name of a cast say `async`? clang drops the attribute
 * there (with a warning), so look at the text. */
static bool cast_says_async(Node *cast)
{
    const Region *r = region(cast);
    unsigned e = cast->nkids ? region(cast->kids[cast->nkids - 1])->b : r->e;
    if (!r->in_main || r->from_arg)
        return false;
    for (unsigned i = r->b; i < e; i++)
        if (word_at(prog->src, i, "async") && (i == 0 || !is_ident_char(prog->src->text[i - 1])))
            return true;
    return false;
}

/* Does this expression yield an async function (or a pointer to one)?
 * `f`, `&f`, `op` declared async, `s->op`, `ops[i]`, `*op`, `c ? f : g`
 * (or `c ? f : 0`). */
static bool is_async_callee(Node *e)
{
    e = strip(e);
    if (!e)
        return false;
    if (e->kind == CXCursor_ConditionalOperator && e->nkids == 3)
        return (is_async_callee(e->kids[1]) || !is_function_value(clang_getCursorType(e->kids[1]->cur))) &&
               (is_async_callee(e->kids[2]) || !is_function_value(clang_getCursorType(e->kids[2]->cur)));
    if (designated_async_fn(e) || (e->kind == CXCursor_CStyleCastExpr && cast_says_async(e)))
        return true;
    CXCursor d = callee_decl(e);
    if (!clang_Cursor_isNull(d) && clang_getCursorKind(d) != CXCursor_FunctionDecl &&
        (has_async_annotation(d) || type_is_async(clang_getCursorType(d))))
        return true;
    return type_is_async(clang_getCursorType(e->cur));
}

/* A call through a pointer declared `async` (or typed by an async typedef). */
static bool calls_async_pointer(Node *call)
{
    return call->nkids > 0 && is_async_callee(call->kids[0]);
}

/* The first await under n (depth first, in source order). */
static Node *first_await(Node *n)
{
    if (n->role == ROLE_AWAIT)
        return n;
    for (int i = 0; i < n->nkids; i++) {
        Node *a = n->kids[i]->has_await || n->kids[i]->role == ROLE_AWAIT ? first_await(n->kids[i]) : NULL;
        if (a)
            return a;
    }
    return NULL;
}

/* GNU builtins that do not evaluate their operands, as sizeof does not,
 * and __builtin_choose_expr, which evaluates one of two: an await in
 * them would be performed where C performs nothing. */
static void check_await_in_builtin(Source *src, Node *n)
{
    static const char *const unevaluated[] = {
        "__builtin_constant_p", "__builtin_classify_type",
        "__builtin_object_size", "__builtin_dynamic_object_size",
    };
    const Region *r = region(n);
    if (!r->in_main || r->from_arg || r->b >= src->len || src->text[r->b] != '_')
        return;
    Node *a = first_await(n);
    if (!a)
        return;
    if (word_at(src, r->b, "__builtin_choose_expr")) {
        error_at(region(a)->b, "acc cannot translate an await inside __builtin_choose_expr, which "
                               "evaluates one operand only; await before it and choose among the results");
        return;
    }
    for (size_t i = 0; i < sizeof unevaluated / sizeof unevaluated[0]; i++)
        if (word_at(src, r->b, unevaluated[i])) {
            error_at(region(a)->b, "'await' cannot be used inside %s: its operand is not evaluated",
                     unevaluated[i]);
            return;
        }
}

/* Second pass: roles, and the rules. */
static void classify(Walk *w, Node *n, bool in_sizeof)
{
    Source *src = w->src;
    bool sizeof_here = in_sizeof || n->kind == CXCursor_UnaryExpr;
    /* what a name or a call refers to, asked once */
    CXCursor ref = n->kind == CXCursor_DeclRefExpr ? clang_getCursorReferenced(n->cur) : clang_getNullCursor();

    if (is_await_node(src, n)) {
        n->role = ROLE_AWAIT;
        note_await_op(src, n);
        Node *stmt_expr = n->parent;
        while (stmt_expr && stmt_expr->kind != CXCursor_StmtExpr)
            stmt_expr = stmt_expr->parent;
        if (!w->fn) {
            error_at(region(n)->b, MSG_AWAIT_OUTSIDE);
        } else if (in_sizeof) {
            error_at(region(n)->b, "'await' cannot be used inside sizeof, _Alignof or typeof: its operand is not evaluated");
        } else if (stmt_expr) {
            /* its statements would have to be lowered one by one, and its
             * value is its last statement's: not done */
            error_at(region(n)->b, "acc cannot translate an await inside a GNU statement expression "
                                   "'({ ... })'; await before it, or write the statements out");
        }
    } else if (n->kind == CXCursor_UnaryOperator &&
               may_be_in_macro(clang_getCursorLocation(n->cur)) && is_prelude_token(src, n->cur)) {
        n->role = ROLE_AWAIT; /* its operand is awaited: no second error for it */
        check_await_from_macro(src, n, w->fn != NULL);
    } else if (n->kind == CXCursor_CallExpr) {
        ref = clang_getCursorReferenced(n->cur);
        AsyncFn *callee = find_async_fn(prog, ref);
        if (!callee && n->nkids > 0)
            callee = designated_async_fn(n->kids[0]); /* (*f)(x), (&f)(x) */
        CXString name_str;
        bool has_name_str;
        const char *name = callee_name(ref, &name_str, &has_name_str);
        if (name && strcmp(name, "acc__gather_form") == 0) {
            n->role = ROLE_FORM;
            n->form = FORM_GATHER;
        } else if (name && strcmp(name, "acc__wait_for_form") == 0) {
            n->role = ROLE_FORM;
            n->form = FORM_WAIT_FOR;
        } else if (name && strcmp(name, "acc__spawn_form") == 0) {
            n->role = ROLE_FORM;
            n->form = FORM_SPAWN;
        } else if (name && strcmp(name, "acc__run_form") == 0) {
            n->role = ROLE_FORM;
            n->form = FORM_RUN;
            if (w->fn)
                error_at(region(n)->b, "acc_run cannot be called inside async function '%s': it would block "
                               "the running loop; await the coroutine instead", w->fn->name);
        } else if (callee) {
            n->role = ROLE_CORO_CALL;
            n->callee = callee;
            if (clang_getCursorType(callee->decl).kind == CXType_FunctionNoProto &&
                clang_Cursor_getNumArguments(n->cur) != callee->nparams)
                error_at(region(n)->b, "async function '%s' is declared without a prototype: acc needs "
                                       "the types of its parameters to build its frame; declare them",
                         callee->name);
        } else if (calls_async_pointer(n)) {
            n->role = ROLE_CORO_CALL; /* callee NULL: through a pointer */
        } else if (name && w->fn &&
                   (strcmp(name, "alloca") == 0 || strcmp(name, "__builtin_alloca") == 0)) {
            error_at(region(n)->b, "alloca cannot be used in async function '%s': its memory would not "
                           "survive an await", w->fn->name);
        } else if (name && w->fn &&
                   (strcmp(name, "setjmp") == 0 || strcmp(name, "_setjmp") == 0 ||
                    strcmp(name, "sigsetjmp") == 0 || strcmp(name, "__sigsetjmp") == 0 ||
                    strcmp(name, "__builtin_setjmp") == 0)) {
            error_at(region(n)->b, "setjmp cannot be used in async function '%s': a longjmp cannot "
                           "cross an await", w->fn->name);
        }
        if (has_name_str)
            clang_disposeString(name_str);
    } else if (n->kind == CXCursor_UnaryOperator && is_deref_or_addr(n) && src->text[region(n)->b] == '&' &&
               !is_callee_position(n) && designated_async_fn(n->kids[0])) {
        n->role = ROLE_FN_REF; /* `&f` is the pointer that `f` converts to */
    } else if (n->kind == CXCursor_DeclRefExpr && !is_callee_position(n) && find_async_fn(prog, ref)) {
        n->role = ROLE_FN_REF;
        const Region *r = region(n);
        if (!r->in_main || r->e - r->b != strlen(find_async_fn(prog, ref)->name))
            error_at(r->b, "acc cannot translate a macro whose definition names async function '%s'",
                     find_async_fn(prog, ref)->name);
    } else if (n->kind == CXCursor_LabelStmt && w->fn) {
        char *label = cx_str(clang_getCursorSpelling(n->cur));
        const char *d = strncmp(label, "acc_resume_", 11) == 0    ? label + 11
                        : strncmp(label, "acc_continue_", 13) == 0 ? label + 13
                                                                    : NULL;
        if (d && *d && strspn(d, "0123456789") == strlen(d))
            error_at(region(n)->b, "label '%s' is one that acc generates in async function '%s': rename it",
                     label, w->fn->name);
        free(label);
    } else if (n->kind == CXCursor_DeclRefExpr && w->fn) {
        Local *l = local_for(w->fn, ref);
        if (!l && region(n)->in_main && (text_is(src, region(n)->b, region(n)->e, "acc_self") ||
                                         text_is(src, region(n)->b, region(n)->e, "acc_base")))
            error_at(region(n)->b, "'%s' outside async function '%s' cannot be used in it: the step function "
                                   "acc makes of it has a parameter of that name",
                     text_is(src, region(n)->b, region(n)->e, "acc_self") ? "acc_self" : "acc_base", w->fn->name);
        if (l) {
            n->role = ROLE_LOCAL_REF;
            n->local = l;
            if (l->nrefs == l->refs_cap) {
                l->refs_cap = l->refs_cap ? 2 * l->refs_cap : 8;
                l->refs = xrealloc(l->refs, (size_t)l->refs_cap * sizeof *l->refs);
            }
            l->refs[l->nrefs++] = n;
        }
    }

    for (int i = 0; i < n->nkids; i++) {
        /* libclang shows the size of a VLA type name twice (`sizeof(int[n])`) */
        if (n->kind == CXCursor_UnaryExpr && i > 0 && clang_equalCursors(n->kids[i]->cur, n->kids[i - 1]->cur))
            continue;
        classify(w, n->kids[i], sizeof_here);
        if (n->kids[i]->has_await || n->kids[i]->role == ROLE_AWAIT)
            n->has_await = true;
    }
    if (w->fn && n->has_await && (n->kind == CXCursor_CallExpr || n->kind == CXCursor_UnexposedExpr))
        check_await_in_builtin(src, n);
    if (n->kind == CXCursor_GenericSelectionExpr && w->fn) {
        /* the controlling expression is never evaluated; of the
         * associations only the selected one is, which we cannot tell */
        for (int i = 0; i < n->nkids; i++)
            if (n->kids[i]->has_await || n->kids[i]->role == ROLE_AWAIT) {
                if (i == 0)
                    error_at(region(n->kids[i])->b, "'await' cannot be used in the controlling expression of "
                                            "_Generic: it is not evaluated");
                else
                    error_at(region(n->kids[i])->b, "acc cannot translate an await in a _Generic association; "
                                            "await before the _Generic and select among the results");
                break;
            }
    }
    if (n->role == ROLE_FORM) {
        collect_form_args(src, n);
        if (n->form == FORM_WAIT_FOR && n->nkids >= 3) {
            /* the macro's own parentheses are not in the source text */
            Node *s = n->kids[2];
            while (s->nkids == 1 && s->kind == CXCursor_UnexposedExpr)
                s = s->kids[0];
            if (s->nkids == 1 && s->kind == CXCursor_ParenExpr)
                s = s->kids[0];
            n->form_seconds = s;
        }
    }
}

/* The object an lvalue's address would be taken of: `s` in `s.a[1].b`
 * (members of it, elements of an array member), or NULL when a pointer
 * is followed. */
static CXCursor lvalue_variable(Node *lv)
{
    for (Node *e = strip(lv); e;) {
        if (e->kind == CXCursor_DeclRefExpr)
            return clang_getCursorReferenced(e->cur);
        if (e->nkids == 0)
            break;
        Node *base = strip(e->kids[0]);
        CXType bt = clang_getCanonicalType(clang_getCursorType(base->cur));
        bool through_object = (e->kind == CXCursor_MemberRefExpr && bt.kind == CXType_Record) ||
                              (e->kind == CXCursor_ArraySubscriptExpr &&
                               (bt.kind == CXType_ConstantArray || bt.kind == CXType_IncompleteArray));
        if (!through_object)
            break;
        e = base;
    }
    return clang_getNullCursor();
}

/* `lvalue = call` in a form: the callee stores through the lvalue's
 * address when it returns (lower.c converts the value on the way when
 * the types differ). So the lvalue needs an address, and the result of
 * a nested acc_gather or acc_wait_for, which acc does not convert, needs
 * the lvalue to have its type. */
static void check_result_lvalue(Walk *w, Node *arg, Node *call)
{
    Node *s = strip(arg);
    if (!is_binop(w->src, s, "="))
        return;
    Node *lv = s->kids[0];
    const Region *r = region(lv);
    char *lv_text = r->in_main ? xstrndup(w->src->text + r->b, r->e - r->b) : xstrdup("the lvalue");
    const char *callee = call->role == ROLE_FORM ? form_name(call->form) : call->callee ? call->callee->name : NULL;
    char *what = NULL;
    if (callee) {
        Buf b = {0};
        buf_printf(&b, "'%s'", callee);
        what = b.s;
    } else {
        what = xstrdup("the call through a pointer");
    }
    Node *e = strip(lv);
    CXCursor field = e->kind == CXCursor_MemberRefExpr ? clang_getCursorReferenced(e->cur) : clang_getNullCursor();
    CXCursor var = lvalue_variable(lv);
    if (!clang_Cursor_isNull(field) && clang_getCursorKind(field) == CXCursor_FieldDecl &&
        clang_Cursor_isBitField(field)) {
        error_at(r->b, "acc cannot store the result of %s in bit-field '%s': the result is stored through a "
                       "pointer when the call returns, and a bit-field has no address; store it in a variable",
                 what, lv_text);
    } else if (!w->fn && !clang_Cursor_isNull(var) && clang_getCursorKind(var) == CXCursor_VarDecl &&
               clang_Cursor_getStorageClass(var) == CX_SC_Register) {
        char *name = cx_str(clang_getCursorSpelling(var));
        error_at(r->b, "acc cannot store the result of %s in '%s': the result is stored through a pointer "
                       "when the call returns, and register variable '%s' has no address; drop 'register'",
                 what, lv_text, name);
        free(name);
    } else if (result_needs_conversion(lv, call)) {
        CXType to = clang_getCursorType(lv->cur);
        char *from_s = cx_str(clang_getTypeSpelling(clang_getCursorType(call->cur)));
        char *to_s = cx_str(clang_getTypeSpelling(to));
        char *spelled = w->fn ? NULL : declare(to, "");
        CXType fn_type = call->role == ROLE_CORO_CALL && !call->callee && call->nkids > 1
                             ? clang_getCanonicalType(clang_getCursorType(call->kids[0]->cur))
                             : (CXType){.kind = CXType_Invalid};
        if (fn_type.kind == CXType_Pointer)
            fn_type = clang_getCanonicalType(clang_getPointeeType(fn_type));
        if (call->role == ROLE_FORM)
            error_at(r->b, "the result of %s (%s) is stored through a pointer: '%s' must have type %s, not %s",
                     what, from_s, lv_text, from_s, to_s);
        else if (fn_type.kind == CXType_FunctionNoProto)
            /* the converting coroutine (lower.c) keeps the arguments */
            error_at(r->b, "acc cannot convert the result of %s (%s) to the type of '%s' (%s): the pointer's "
                           "function type has no prototype; declare its parameters",
                     what, from_s, lv_text, to_s);
        else if (!w->fn && !spelled)
            /* the converting coroutine is at file scope (a function's
             * types move there only from async functions) */
            error_at(r->b, "acc cannot convert the result of %s (%s) to the type of '%s' (%s): the type is "
                           "declared inside a plain function; declare it at file scope, or give '%s' type %s",
                     what, from_s, lv_text, to_s, lv_text, from_s);
        free(from_s), free(to_s), free(spelled);
    }
    free(lv_text), free(what);
}

/* Is this coroutine call's value used by an await or a form? */
static void check_calls(Walk *w, Node *n)
{
    for (int i = 0; i < n->nkids; i++)
        check_calls(w, n->kids[i]);
    if (n->role == ROLE_FORM) {
        if (n->nform_args == 0)
            error_at(region(n)->b, "%s needs at least one coroutine call", form_name(n->form));
        for (int i = 0; i < n->nform_args; i++) {
            Node *call = form_arg_call(w->src, n->form_args[i]);
            if (!call)
                error_at(region(n->form_args[i])->b, "argument %d of %s is not a call of an async function",
                         i + 1, form_name(n->form));
            else if (call->role != ROLE_FORM)
                call->role = ROLE_CORO_CALL; /* accepted where it stands */
            if (call)
                check_result_lvalue(w, n->form_args[i], call);
        }
        if (n->form != FORM_GATHER && n->nform_args > 1)
            error_at(region(n)->b, "%s takes one coroutine call", form_name(n->form));
        if (n->form == FORM_SPAWN) {
            /* asyncio keeps a reference to a spawned task for you; here the
             * returned task must be joined or detached, once */
            Node *p = n->parent;
            while (p && (p->kind == CXCursor_UnexposedExpr || p->kind == CXCursor_ParenExpr))
                p = p->parent;
            if (!p || (!(p->kind >= CXCursor_FirstExpr && p->kind <= CXCursor_LastExpr) &&
                          p->kind != CXCursor_VarDecl && p->kind != CXCursor_ReturnStmt))
                warning_at(region(n)->b, "the task acc_spawn returns is dropped: it can never be joined or "
                                 "detached; write acc_detach(acc_spawn(...)) or keep it for acc_join");
        }
        if (n->form == FORM_GATHER || n->form == FORM_WAIT_FOR) {
            Node *p = n->parent;
            while (p && (p->kind == CXCursor_UnexposedExpr || p->kind == CXCursor_ParenExpr))
                p = p->parent;
            if ((!p || p->role != ROLE_AWAIT) && !is_form_arg(w->src, n))
                error_at(region(n)->b, "%s is an async function: await it", form_name(n->form));
        }
        return;
    }
    if (n->role != ROLE_CORO_CALL)
        return;
    Node *p = n->parent;
    while (p && (p->kind == CXCursor_UnexposedExpr || p->kind == CXCursor_ParenExpr))
        p = p->parent;
    if (p && p->role == ROLE_AWAIT)
        return;
    if (is_form_arg(w->src, n))
        return;
    if (n->callee)
        error_at(region(n)->b, "call of async function '%s' is not awaited; write 'await %s(...)', or pass "
                       "it to acc_run, acc_spawn, acc_gather or acc_wait_for",
                 n->callee->name, n->callee->name);
    else
        error_at(region(n)->b, "call through a pointer to async function is not awaited; write 'await' "
                       "before it, or pass it to acc_run, acc_spawn, acc_gather or acc_wait_for");
}

static void check_await_operands(Walk *w, Node *n)
{
    for (int i = 0; i < n->nkids; i++)
        check_await_operands(w, n->kids[i]);
    if (n->role != ROLE_AWAIT || !w->fn || n->nkids != 1)
        return;
    Node *op = strip(n->kids[0]);
    if (op->role == ROLE_CORO_CALL || (op->role == ROLE_FORM && op->form != FORM_RUN &&
                                         op->form != FORM_SPAWN))
        return;
    if (!type_is_awaitable_pointer(clang_getCursorType(n->kids[0]->cur)))
        error_at(region(n->kids[0])->b, MSG_AWAIT_OPERAND);
}

/* ---- conversions between async and plain function pointers -------------- */

/* A pointer to an async function holds its entry f__coro under the plain C
 * type (docs/abi.md), so C converts it to and from plain function pointers
 * without a word, and a call through the wrong kind runs the wrong code.
 * Every such conversion is an error: initialization, assignment, argument,
 * return and cast. `to` is the type converted to; `to_async` whether it
 * was declared async. */
static void check_conversion(Node *value, CXType to, bool to_async)
{
    Node *v = strip(value);
    if (!v || !is_function_value(to) || !is_function_value(clang_getCursorType(v->cur)))
        return; /* null pointer constants, void *, ... */
    /* each value that may arrive: both branches of ?:, the last of a comma */
    if (v->kind == CXCursor_ConditionalOperator && v->nkids == 3) {
        check_conversion(v->kids[1], to, to_async);
        check_conversion(v->kids[2], to, to_async);
        return;
    }
    if (is_binop(prog->src, v, ",")) {
        check_conversion(v->kids[1], to, to_async);
        return;
    }
    bool from_async = is_async_callee(v);
    if (from_async == to_async)
        return;
    unsigned off = region(value)->b;
    Node *d = strip_ops(v);
    char *name = d && d->kind == CXCursor_DeclRefExpr && clang_getCursorKind(clang_getCursorReferenced(d->cur)) ==
                                                              CXCursor_FunctionDecl
                     ? cx_str(clang_getCursorSpelling(clang_getCursorReferenced(d->cur)))
                     : NULL;
    char *ty = cx_str(clang_getTypeSpelling(to));
    if (from_async && name)
        error_at(off, "async function '%s' cannot be converted to '%s', a pointer to a function that is "
                      "not async; declare the pointer 'async'", name, ty);
    else if (from_async)
        error_at(off, "a pointer to an async function cannot be converted to '%s', a pointer to a "
                      "function that is not async; declare the pointer 'async'", ty);
    else if (name)
        error_at(off, "function '%s' is not async: it cannot be converted to a pointer to an async "
                      "function", name);
    else
        error_at(off, "a pointer to a function that is not async cannot be converted to a pointer to "
                      "an async function");
    free(name), free(ty);
}

static bool decl_is_async(CXCursor d)
{
    return has_async_annotation(d) || type_is_async(clang_getCursorType(d));
}

/* The children of kind `kind` of a cursor (fields of a record,
 * parameters in a declarator), in order. */
typedef struct Kids {
    enum CXCursorKind kind;
    CXCursor v[64];
    int n;
} Kids;

static enum CXChildVisitResult collect_kid(CXCursor c, CXCursor parent, CXClientData data)
{
    Kids *k = data;
    (void)parent;
    if (clang_getCursorKind(c) == k->kind && k->n < 64)
        k->v[k->n++] = c;
    return CXChildVisit_Continue;
}

static Kids kids_of(CXCursor c, enum CXCursorKind kind)
{
    Kids k = {.kind = kind};
    clang_visitChildren(c, collect_kid, &k);
    return k;
}

static bool yields_function(Node *value);

/* Does an initializer hold a function value anywhere (in its braces)? */
static bool init_has_function(Node *init)
{
    init = strip(init);
    if (!init || init->kind != CXCursor_InitListExpr)
        return yields_function(init);
    for (int i = 0; i < init->nkids; i++)
        if (init_has_function(init->kids[i]->kind == CXCursor_UnexposedExpr && init->kids[i]->nkids > 1
                                  ? init->kids[i]->kids[init->kids[i]->nkids - 1] /* a designator's value */
                                  : init->kids[i]))
            return true;
    return false;
}

/* An initializer of an object of type `to`: braces go one level in. */
static void check_init(Node *init, CXType to, bool to_async)
{
    init = strip(init);
    if (!init || init->kind != CXCursor_InitListExpr) {
        check_conversion(init, to, to_async);
        return;
    }
    CXType c = clang_getCanonicalType(to);
    bool array = c.kind == CXType_ConstantArray || c.kind == CXType_IncompleteArray;
    Kids fields = kids_of(clang_getTypeDeclaration(c), CXCursor_FieldDecl);
    int field = 0;
    for (int i = 0; i < init->nkids; i++) {
        Node *k = init->kids[i];
        /* a designator: `.op = f` names its field, `[2] = f` an element */
        CXCursor fd = clang_getNullCursor();
        if (k->kind == CXCursor_UnexposedExpr && k->nkids > 1) {
            Node *last_member = NULL;
            for (int j = 0; j < k->nkids - 1; j++)
                if (k->kids[j]->kind == CXCursor_MemberRef)
                    last_member = k->kids[j];
            if (last_member)
                fd = clang_getCursorReferenced(last_member->cur);
            k = k->kids[k->nkids - 1];
        } else if (!array && field < fields.n) {
            fd = fields.v[field];
        }
        if (array)
            check_init(k, clang_getArrayElementType(c), to_async);
        else if (c.kind != CXType_Record)
            check_init(k, to, to_async);
        else if (!clang_Cursor_isNull(fd))
            check_init(k, clang_getCursorType(fd), decl_is_async(fd));
        for (int j = 0; j < fields.n && !clang_Cursor_isNull(fd); j++)
            if (clang_equalCursors(fields.v[j], fd))
                field = j + 1;
    }
}

/* The parameter declarations of what a call calls: a function's, or
 * those in the declarator of a pointer (`void (*reg)(async int (*)(int))`). */
static CXCursor nth_param(Node *call, int i)
{
    CXCursor d = clang_getCursorReferenced(call->cur);
    if (clang_getCursorKind(d) == CXCursor_FunctionDecl)
        return i < clang_Cursor_getNumArguments(d) ? clang_Cursor_getArgument(d, (unsigned)i) : clang_getNullCursor();
    d = callee_decl(call->kids[0]);
    Kids params = kids_of(d, CXCursor_ParmDecl);
    return i < params.n ? params.v[i] : clang_getNullCursor();
}

/* Is the value of this expression a function or a function pointer? The
 * cheap first question: most values are not, and need no more. */
static bool yields_function(Node *value)
{
    Node *v = strip(value);
    return v && is_function_value(clang_getCursorType(v->cur));
}

/* Could an initializer of this type hold a function pointer somewhere? */
static bool may_hold_function(CXType t)
{
    enum CXTypeKind k = clang_getCanonicalType(t).kind;
    return k == CXType_Pointer || k == CXType_Record || k == CXType_ConstantArray ||
           k == CXType_IncompleteArray || k == CXType_Elaborated;
}

static void check_conversions(Node *n)
{
    for (int i = 0; i < n->nkids; i++)
        check_conversions(n->kids[i]);
    if (n->kind == CXCursor_VarDecl && n->nkids > 0 && may_hold_function(clang_getCursorType(n->cur)) &&
        !clang_Cursor_isNull(clang_Cursor_getVarDeclInitializer(n->cur)) && init_has_function(n->kids[n->nkids - 1])) {
        check_init(n->kids[n->nkids - 1], clang_getCursorType(n->cur), decl_is_async(n->cur));
    } else if (n->kind == CXCursor_BinaryOperator && n->nkids == 2 && yields_function(n->kids[1]) &&
               is_binop(prog->src, n, "=")) {
        check_conversion(n->kids[1], clang_getCursorType(n->kids[0]->cur), is_async_callee(n->kids[0]));
    } else if (n->kind == CXCursor_CallExpr && n->role != ROLE_FORM) {
        for (int i = 1; i < n->nkids; i++) {
            if (!yields_function(n->kids[i]))
                continue;
            CXCursor p = nth_param(n, i - 1);
            if (!clang_Cursor_isNull(p))
                check_conversion(n->kids[i], clang_getCursorType(p), decl_is_async(p));
        }
    } else if (n->kind == CXCursor_CompoundLiteralExpr && n->nkids > 0 && init_has_function(n->kids[n->nkids - 1])) {
        check_init(n->kids[n->nkids - 1], clang_getCursorType(n->cur), false);
    } else if (n->kind == CXCursor_ReturnStmt && n->nkids == 1 && yields_function(n->kids[0])) {
        Node *f = n;
        while (f->parent)
            f = f->parent;
        if (f->kind == CXCursor_FunctionDecl) {
            CXType ret = clang_getResultType(clang_getCursorType(f->cur));
            check_conversion(n->kids[0], ret, type_is_async(ret));
        }
    } else if (n->kind == CXCursor_CStyleCastExpr && n->nkids > 0 && yields_function(n->kids[n->nkids - 1]) &&
               !is_await_node(prog->src, n)) {
        CXType t = clang_getCursorType(n->cur);
        check_conversion(n->kids[n->nkids - 1], t, type_is_async(t) || cast_says_async(n));
    }
}

static void collect_awaits(Node *n, Node ***v, int *nv)
{
    if (n->role == ROLE_AWAIT) {
        *v = xgrow(*v, (size_t)*nv, sizeof **v);
        (*v)[(*nv)++] = n;
    }
    /* GNU `a ?: b` shows a three times, for one evaluation (lower.c) */
    bool elvis = n->has_await && is_gnu_elvis(n);
    for (int i = 0; i < n->nkids; i++)
        if ((!elvis || i == 0 || i == 3) && (n->kids[i]->has_await || n->kids[i]->role == ROLE_AWAIT))
            collect_awaits(n->kids[i], v, nv); /* classify marked the subtrees that hold one */
}

static int region_order(const void *a, const void *b)
{
    const Region *x = region(*(Node *const *)a), *y = region(*(Node *const *)b);
    if (x->b != y->b)
        return x->b < y->b ? -1 : 1;
    return (x->e > y->e) - (x->e < y->e);
}

/* A macro that uses its argument twice would evaluate an await in it twice
 * in C; one rewrite of the argument's text cannot do that. */
static void check_repeated_awaits(AsyncFn *fn)
{
    Node **v = NULL;
    int nv = 0;
    collect_awaits(fn->body, &v, &nv);
    if (nv > 1) /* the same text twice: sorted, they stand side by side */
        qsort(v, (size_t)nv, sizeof *v, region_order);
    for (int i = 1; i < nv; i++)
        if (region(v[i])->b == region(v[i - 1])->b && region(v[i])->e == region(v[i - 1])->e &&
            (i == 1 || region(v[i - 2])->b != region(v[i])->b || region(v[i - 2])->e != region(v[i])->e))
            error_at(region(v[i])->b, "acc cannot translate this await: it would be evaluated more than "
                              "once (a macro that uses its argument twice)"); /* once per text */
    free(v);
}

static void analyze_body(Source *src, AsyncFn *fn, Node *def)
{
    Walk w = {src, fn};
    for (int i = 0; i < fn->nparams; i++) {
        add_local(fn, clang_Cursor_getArgument(def->cur, (unsigned)i), true);
        /* the entry's and f__init's parameters are named as the members */
        Local *l = fn->locals[fn->nlocals - 1];
        if (fn->param_names[i] && strcmp(fn->param_names[i], l->member) != 0) {
            free(fn->param_names[i]);
            fn->param_names[i] = xstrdup(l->member);
        }
    }
    for (int i = 0; i < def->nkids; i++)
        if (def->kids[i]->kind == CXCursor_CompoundStmt)
            fn->body = def->kids[i];
    if (!fn->body)
        return;
    find_locals(&w, fn->body);
    classify(&w, fn->body, false);
    check_calls(&w, fn->body);
    check_await_operands(&w, fn->body);
    check_conversions(def);
    check_repeated_awaits(fn);
    place_locals(src, fn);
}

/* Code outside async functions: awaits and bare coroutine calls are errors. */
static void check_plain(Source *src, Node *n)
{
    Walk w = {src, NULL};
    classify(&w, n, false);
    check_calls(&w, n);
    check_conversions(n);
}

static enum CXChildVisitResult top_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    Source *src = data;
    if (clang_getCursorKind(c) == CXCursor_FunctionDecl) {
        unsigned a = annotations(c);
        if (a & ANNOTATED_ASYNC)
            note_async_decl(src, c, a & ANNOTATED_LEAF);
    }
    return CXChildVisit_Continue;
}

/* A variable, member, parameter or typedef declared `async` must name an
 * async function type, through pointers and arrays (SPEC 1.1: `async` is
 * a function specifier), and not a variadic one: async functions are
 * never variadic, so such a pointer could only be called wrongly. */
/* Can a function body [b, e) of the main file declare something async?
 * Only where `async` is written in it, or a macro (other than the
 * dialect's own) may spell it. Most bodies cannot, and looking into every
 * expression of every body cost a tenth of acc's time on a large file. */
static bool body_may_declare_async(Source *src, CXCursor body)
{
    CXSourceRange r = clang_getCursorExtent(body);
    CXFile fb, fe;
    unsigned b, e;
    clang_getExpansionLocation(clang_getRangeStart(r), &fb, NULL, NULL, &b);
    clang_getExpansionLocation(clang_getRangeEnd(r), &fe, NULL, NULL, &e);
    if (!fb || !fe || !clang_File_isEqual(fb, src->file) || !clang_File_isEqual(fe, src->file) || e < b)
        return true;
    if (text_has_word(src->text, b, e, "async"))
        return true;
    for (size_t i = first_invocation_from(src, b); i < src->nmacros && src->macros[i].b < e; i++)
        if (!is_dialect_macro(src, &src->macros[i]))
            return true;
    return false;
}

static enum CXChildVisitResult async_decl_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    Source *src = data;
    enum CXCursorKind k = clang_getCursorKind(c);
    if (k == CXCursor_CompoundStmt && clang_getCursorKind(parent) == CXCursor_FunctionDecl)
        return body_may_declare_async(src, c) ? CXChildVisit_Recurse : CXChildVisit_Continue;
    if (!is_main_file(src, clang_getCursorLocation(c)))
        return CXChildVisit_Continue;
    if ((k == CXCursor_VarDecl || k == CXCursor_FieldDecl || k == CXCursor_ParmDecl || k == CXCursor_TypedefDecl) &&
        has_async_annotation(c)) {
        CXType fn = named_function_type(k == CXCursor_TypedefDecl ? clang_getTypedefDeclUnderlyingType(c)
                                                                 : clang_getCursorType(c));
        char *name = cx_str(clang_getCursorSpelling(c));
        if (fn.kind == CXType_Invalid)
            error_at(name_offset(c), "'%s' is declared async but is not a function or a pointer to one", name);
        else if (fn.kind == CXType_FunctionProto && clang_isFunctionTypeVariadic(fn))
            error_at(name_offset(c), "'%s' is declared async with a variadic function type: async functions "
                                     "cannot be variadic", name);
        free(name);
    }
    return CXChildVisit_Recurse;
}

/* A header's plain functions reach the C compiler as written: acc
 * translates only the file it is given. So an await or a call of an
 * async function in one cannot work, and is reported where it stands
 * (SPEC 1.3). System headers are not looked into. */
static void where_in_header(CXCursor c, char **file, unsigned *line, unsigned *col)
{
    CXFile f;
    clang_getExpansionLocation(clang_getCursorLocation(c), &f, line, col, NULL);
    *file = cx_str(clang_getFileName(f));
}

static bool is_await_in_header(Source *src, CXCursor c)
{
    CXFile f;
    unsigned offset;
    size_t size;
    clang_getExpansionLocation(clang_getCursorLocation(c), &f, NULL, NULL, &offset);
    const char *text = f ? clang_getFileContents(src->tu, f, &size) : NULL;
    return text && word_in(text, size, offset, "await");
}

static enum CXChildVisitResult header_body_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    Source *src = data;
    enum CXCursorKind k = clang_getCursorKind(c);
    char *file;
    unsigned line, col;
    if (k == CXCursor_UnaryOperator && is_await_in_header(src, c)) {
        where_in_header(c, &file, &line, &col);
        error_in_file(file, line, col, MSG_AWAIT_OUTSIDE);
        free(file);
        return CXChildVisit_Continue; /* its operand is awaited: no second error */
    }
    AsyncFn *fn = k == CXCursor_CallExpr ? find_async_fn(prog, clang_getCursorReferenced(c)) : NULL;
    if (fn) {
        where_in_header(c, &file, &line, &col);
        error_in_file(file, line, col, "call of async function '%s' in a plain function of a header: "
                                       "acc translates only the file it is given, so the C compiler "
                                       "would see it as written; move the function into a .acc file",
                      fn->name);
        free(file);
    }
    return CXChildVisit_Recurse;
}

static enum CXChildVisitResult header_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    Source *src = data;
    CXSourceLocation loc = clang_getCursorLocation(c);
    if (clang_getCursorKind(c) == CXCursor_FunctionDecl && clang_isCursorDefinition(c) &&
        !is_main_file(src, loc) && !clang_Location_isInSystemHeader(loc) &&
        !declared_in_runtime_header(c) && !(annotations(c) & ANNOTATED_ASYNC))
        clang_visitChildren(c, header_body_visit, src);
    return CXChildVisit_Continue;
}

/* The names acc gives an async function's entry, step function and frame
 * (docs/abi.md) must not be taken at file scope by the user: `f__coro`,
 * `f__init` and `f__step` as ordinary identifiers, `f__frame` as a tag.
 * A leaf written by hand (ACC__LEAF) defines them itself. */
static void check_generated_name(Node *t)
{
    enum CXCursorKind k = t->kind;
    bool tag = k == CXCursor_StructDecl || k == CXCursor_UnionDecl || k == CXCursor_EnumDecl;
    if (!tag && k != CXCursor_VarDecl && k != CXCursor_FunctionDecl && k != CXCursor_TypedefDecl)
        return;
    char *name = cx_str(clang_getCursorSpelling(t->cur));
    size_t n = strlen(name);
    const char *suffix = tag                                         ? "__frame"
                         : n > 6 && !strcmp(name + n - 6, "__coro") ? "__coro"
                         : n > 6 && !strcmp(name + n - 6, "__init") ? "__init"
                                                                   : "__step";
    size_t sl = strlen(suffix);
    if (n > sl && strcmp(name + n - sl, suffix) == 0) {
        for (int j = 0; j < prog->nfns; j++) {
            AsyncFn *fn = prog->fns[j];
            if (strlen(fn->name) == n - sl && strncmp(fn->name, name, n - sl) == 0 &&
                (fn->defined_here || fn->declared_in_main) && !fn->slot_leaf) {
                error_at(name_offset(t->cur), "the name '%s' is the one acc gives to async function '%s' in the "
                              "C it generates; rename it", name, fn->name);
                break;
            }
        }
    }
    free(name);
}

/* What the analysis and lowering of a definition kept about its body
 * (locals, await temporaries, compound literals) is of no use once it is
 * lowered: other functions see only its name and parameters. Freed, the
 * memory serves the next definition while it is still in the cache. */
static void forget_body(AsyncFn *fn)
{
    fn->body = NULL;
    for (int i = 0; i < fn->nlocals; i++) {
        free(fn->locals[i]->name);
        free(fn->locals[i]->member);
        free(fn->locals[i]->refs);
        free(fn->locals[i]);
    }
    free(fn->locals), free(fn->by_decl), free(fn->by_member);
    fn->locals = fn->by_decl = fn->by_member = NULL;
    fn->nlocals = 0;
    fn->index_cap = 0;
    for (int i = 0; i < fn->ntemps; i++)
        free(fn->temp_frame[i]);
    free(fn->temps), free(fn->temp_frame), free(fn->temp_stmt), free(fn->literals);
    fn->temps = NULL;
    fn->temp_frame = NULL;
    fn->temp_stmt = NULL;
    fn->literals = NULL;
    fn->ntemps = fn->nliterals = 0;
}

typedef struct MainVisit {
    Source *src;
    TopAnalyzed *each;
    void *data;
} MainVisit;

static enum CXChildVisitResult main_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    (void)parent;
    MainVisit *v = data;
    Source *src = v->src;
    enum CXCursorKind k = clang_getCursorKind(c);
    if (k == CXCursor_MacroExpansion) {
        CXFile f;
        unsigned off;
        clang_getSpellingLocation(clang_getCursorLocation(c), &f, NULL, NULL, &off);
        if (f && clang_File_isEqual(f, src->file) && word_at(src, off, "await"))
            note_offset(&await_words, &nawait_words, off);
    }
    if (k == CXCursor_MacroDefinition || k == CXCursor_MacroExpansion ||
        k == CXCursor_InclusionDirective)
        return CXChildVisit_Continue;
    CXFile f;
    clang_getExpansionLocation(clang_getCursorLocation(c), &f, NULL, NULL, NULL);
    if (!f || !clang_File_isEqual(f, src->file))
        return CXChildVisit_Continue;
    Node *n = build_tree(src, c, NULL);
    AsyncFn *fn = k == CXCursor_FunctionDecl ? find_async_fn(prog, c) : NULL;
    bool is_def = fn && clang_isCursorDefinition(c);
    if (is_def)
        analyze_body(src, fn, n);
    else
        check_plain(src, n);
    check_generated_name(n);
    v->each(prog, n, v->data);
    /* the tree is gone: nothing may reach it through the function */
    release_trees();
    if (is_def)
        forget_body(fn);
    return CXChildVisit_Continue;
}

/* `typeof(await f())` never evaluates its operand. clang keeps typeof's
 * expression out of the cursor tree, so look at the text. */
static void check_typeof(Source *src)
{
    static const char *words[] = {"typeof", "__typeof__", "__typeof"};
    const char *t = src->text;
    if (!memmem(t, src->len, "typeof", 6))
        return; /* each of the words holds it: the usual file is done */
    for (unsigned i = 0; i < src->len; i++) {
        if (t[i] == '"' || t[i] == '\'') {
            char q = t[i];
            for (i++; i < src->len && t[i] != q && t[i] != '\n'; i++)
                if (t[i] == '\\')
                    i++;
            continue;
        }
        if (t[i] == '/' && i + 1 < src->len && t[i + 1] == '*') {
            const char *e = strstr(t + i + 2, "*/");
            i = e ? (unsigned)(e - t) + 1 : (unsigned)src->len;
            continue;
        }
        if (t[i] == '/' && i + 1 < src->len && t[i + 1] == '/') {
            while (i < src->len && t[i] != '\n')
                i++;
            continue;
        }
        /* the three words start with 't' or '_' */
        bool starts = (t[i] == 't' || t[i] == '_') &&
                      (i == 0 || !(t[i - 1] == '_' || (t[i - 1] >= 'a' && t[i - 1] <= 'z') ||
                                  (t[i - 1] >= 'A' && t[i - 1] <= 'Z') || (t[i - 1] >= '0' && t[i - 1] <= '9')));
        for (size_t w = 0; starts && w < 3; w++) {
            if (!word_at(src, i, words[w]))
                continue;
            unsigned j = i + (unsigned)strlen(words[w]);
            while (j < src->len && (t[j] == ' ' || t[j] == '\t' || t[j] == '\n'))
                j++;
            if (j >= src->len || t[j] != '(')
                break;
            int depth = 0;
            for (unsigned k = j; k < src->len; k++) {
                if (t[k] == '(')
                    depth++;
                else if (t[k] == ')' && --depth == 0)
                    break;
                else if (t[k] == 'a' && word_at(src, k, "await") &&
                         (k == 0 || !(t[k - 1] == '_' || (t[k - 1] >= 'a' && t[k - 1] <= 'z') ||
                                      (t[k - 1] >= 'A' && t[k - 1] <= 'Z') || (t[k - 1] >= '0' && t[k - 1] <= '9')))) {
                    error_at(k, "'await' cannot be used inside typeof: its operand is not evaluated");
                    break;
                }
            }
            break;
        }
    }
}

Program *analyze_begin(Source *src)
{
    prog = xcalloc(1, sizeof *prog);
    prog->src = src;

    unsigned nd = clang_getNumDiagnostics(src->tu);
    for (unsigned i = 0; i < nd; i++) {
        CXDiagnostic d = clang_getDiagnostic(src->tu, i);
        report_clang_diag(d);
        clang_disposeDiagnostic(d);
    }
    /* The dialect's rules are checked even when clang found errors: an
     * await where C wants a constant is ours to explain. */
    check_typeof(src);

    clang_visitChildren(clang_getTranslationUnitCursor(src->tu), top_visit, src);
    clang_visitChildren(clang_getTranslationUnitCursor(src->tu), async_decl_visit, src);
    clang_visitChildren(clang_getTranslationUnitCursor(src->tu), header_visit, src);
    return prog;
}

void analyze_tops(Program *p, TopAnalyzed *each, void *data)
{
    MainVisit v = {p->src, each, data};
    clang_visitChildren(clang_getTranslationUnitCursor(p->src->tu), main_visit, &v);
    check_await_words();
}
