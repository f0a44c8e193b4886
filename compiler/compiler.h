/*
 * compiler.h: the one internal header of the acc translator.
 *
 * The translator runs these passes, one file each, in this order (analyze,
 * frame, lower and emit take one top-level declaration at a time):
 *   parse.c     libclang reads the .acc file (with the dialect prelude) and
 *               we mirror the parts we need into our own Node tree;
 *   expand.c    macros in async bodies that the lowering must see into
 *               are expanded in the text, which is parsed again;
 *   awaitable.c an await of a hand-written awaitable is an int: parse
 *               again with such awaits spelled as casts;
 *   analyze.c   find async functions, awaits, coroutine calls and the
 *               coroutine-taking forms, and check the dialect's rules;
 *   frame.c     decide which locals live in the frame (those an await
 *               outlives);
 *   lower.c     rewrite each async body into a switch-based step function,
 *               its frame (shared storage for disjoint blocks) and entry;
 *   emit.c      assemble the output file: text outside async functions is
 *               copied as written, with #line directives back to the source;
 *   typeprint.c spell C declarations from clang types (frame members);
 *   util.c      buffers, allocation, files and child processes;
 *   diag.c      every diagnostic goes through error_at();
 *   main.c      the command line, and `acc run`;
 *   cc.c        `acc cc`, the C compiler wrapper.
 */
#ifndef ACC_COMPILER_H
#define ACC_COMPILER_H

#include <clang-c/Index.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#define ACC_VERSION "0.6.0"

/* ---- util ------------------------------------------------------------- */

typedef struct Buf {
    char *s;
    size_t len, cap;
} Buf;

void buf_grow(Buf *b, size_t need);
/* Append s[0, n), keeping a NUL after the text. Inline: the translator
 * appends hundreds of thousands of short pieces. */
static inline void buf_put(Buf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap)
        buf_grow(b, b->len + n + 1);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}
void buf_puts(Buf *b, const char *s);
void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(Buf *b, const char *fmt, va_list ap);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
/* Room for one more element in array p, which holds n of `size` bytes and
 * was grown only by xgrow: its room doubles when n reaches a power of two. */
void *xgrow(void *p, size_t n, size_t size);
char *read_file(const char *path, size_t *len);
int write_all(int fd, const char *data, size_t len);
/* `name` escaped for a make-style dependency file, as gcc escapes it. */
void buf_put_make_name(Buf *b, const char *name);
int wait_exit_status(int pid);
/* A character of an identifier (ASCII: letters, digits, _). */
bool is_ident_char(char c);
bool word_in(const char *text, size_t len, size_t off, const char *w);
/* Does t[b, e) hold w as a whole word (an identifier, not part of one)? */
bool text_has_word(const char *t, size_t b, size_t e, const char *w);
/* The names C and GNU give the enclosing function's name: __func__,
 * __FUNCTION__, __PRETTY_FUNCTION__. Does t[off, len) begin with one? */
#define NFUNC_NAMES 3
extern const char *const func_names[NFUNC_NAMES];
bool func_name_at(const char *t, size_t len, size_t off);

/* ---- diag.c ----------------------------------------------------------- */

typedef struct Source Source;
void diag_init(Source *src, const char *display_name);
/* `file:line:col: error: msg` plus the source line and a caret; counts it. */
/* Messages that diag.c also recognizes, when it leaves out an error that
 * another one causes (docs/design.md, Diagnostics). */
#define MSG_AWAIT_OUTSIDE "'await' outside an async function"
#define MSG_AWAIT_OPERAND "the operand of 'await' must be a call of an async function or a pointer to an acc_awaitable"
void error_at(unsigned offset, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void warning_at(unsigned offset, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* An error in another file (a header), at its line and column. */
void error_in_file(const char *file, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Diagnostics from clang itself, printed in our format. */
void report_clang_diag(CXDiagnostic d);
int error_count(void);
/* Lowering runs beside analysis, one definition at a time, but its
 * diagnostics stand only when analysis finds no error in the whole file
 * (a file with errors is not lowered): diag_flush() drops them otherwise. */
void diag_set_lowering(bool on);
int analysis_error_count(void);
/* Print the kept diagnostics in source order. */
void diag_flush(void);
extern bool warnings_are_errors;

/* ---- parse.c ---------------------------------------------------------- */

/* The main file's text and tokens. Offsets are byte offsets into text. */
typedef struct Token {
    unsigned b, e;
    CXTokenKind kind;
} Token;

struct Source {
    const char *path;     /* as given on the command line */
    char *text;
    size_t len;
    Token *macros;      /* macro invocations in the main file: [b, e), by b */
    CXCursor *macro_cursors; /* ... and their MacroExpansion cursors */
    size_t nmacros, macros_cap;
    unsigned *line_starts;
    size_t nlines;
    char *orig_text;    /* the file as written, when expand.c rewrote text
                         * (same lines; diagnostics show these) */
    unsigned *orig_line_starts;
    bool lines_as_written; /* no #line, line marker or lone CR: each offset's
                            * presumed line is its own line (line_of) */
    CXTranslationUnit tu;
    CXFile file;
    unsigned *skipped;  /* blocks the preprocessor skipped: [b, e) pairs, by b */
    size_t nskipped;    /* pairs; read by in_skipped_block() */
    bool skipped_read;
};
/* Where a declaration's name is, in the main file's text. */
unsigned name_offset(CXCursor c);
/* Is off in a block of the main file that a conditional left out? */
bool in_skipped_block(Source *src, unsigned off);

/* What a node means to us, beyond its clang cursor kind. */
enum NodeRole {
    ROLE_NONE,
    ROLE_AWAIT,      /* `await operand` */
    ROLE_CORO_CALL,  /* call of an async function */
    ROLE_FORM,       /* acc_gather / acc_run / acc_spawn / acc_wait_for */
    ROLE_LOCAL_REF,  /* reference to a frame-resident local or parameter */
    ROLE_FN_REF,     /* an async function named, not called: its entry */
};

enum FormKind { FORM_NONE, FORM_RUN, FORM_GATHER, FORM_SPAWN, FORM_WAIT_FOR };
/* The name the user wrote: "acc_run", "acc_gather", ... */
const char *form_name(enum FormKind k);

typedef struct Local Local;
typedef struct AsyncFn AsyncFn;

/* Where a node's text is. */
typedef struct Region {
    unsigned b, e;     /* region in the main file: [b, e) */
    unsigned ob, oe;   /* the same as code outside its macro argument sees it:
                        * the whole invocation for a node in an argument */
    bool in_main;      /* region lies in the main file */
    bool from_arg;     /* spelled in a macro argument (expansion elsewhere) */
    bool plain_b, plain_e; /* that end is a main-file location outside macros */
    bool exact;        /* the region of clang's extent (derived_region may use it) */
} Region;

typedef struct Node {
    enum CXCursorKind kind;
    CXCursor cur;
    struct Node *parent;
    struct Node **kids;
    int nkids;
    Region region;     /* valid once has_region is set: read it with region() */
    bool has_region;
    bool has_await;    /* this subtree holds an await */
    bool hoisted;      /* a type declaration moved to file scope */
    bool kept_in_body; /* an enum that names a local: it stays in the step
                          function (analyze.c's check_local_type) */
    enum NodeRole role;
    enum FormKind form;
    struct Node **form_args; /* FORM_*: the coroutine-call arguments */
    int nform_args;
    struct Node *form_seconds; /* FORM_WAIT_FOR: the time limit */
    Local *local;      /* ROLE_LOCAL_REF, and VarDecl nodes of frame locals */
    AsyncFn *callee;   /* ROLE_CORO_CALL: the async function called */
    int temp;          /* ROLE_AWAIT: index of its result temporary, -1 none */
    int literal;       /* a compound literal kept in the frame: its number, else 0 */
    char *override;    /* lowering: text that replaces this node's region */
    bool frame_built;  /* ROLE_CORO_CALL: its frame is built without f__coro */
} Node;

Source *parse_file(const char *path, const char *display, int argc, const char *const *argv);
/* Build our mirror of the cursor's subtree. */
Node *build_tree(Source *src, CXCursor c, Node *parent);
/* Free every tree built so far (their nodes are reused). */
void release_trees(void);
/* The node's region, found on first use: most nodes never need one, and
 * finding one costs a clang_getCursorExtent. */
const Region *region(Node *n);
unsigned line_of(Source *src, unsigned off);
unsigned col_of(Source *src, unsigned off);
bool is_main_file(Source *src, CXSourceLocation loc);
/* The index of the first macro invocation of the main file at or after
 * offset off (src->nmacros if none). */
size_t first_invocation_from(Source *src, unsigned off);
/* The end of the identifier characters that start at off (off if none). */
unsigned ident_end(Source *src, unsigned off);
/* Could loc be inside a macro expansion? A cheap test (no decomposition):
 * false only for a location that certainly is not. */
bool may_be_in_macro(CXSourceLocation loc);
/* Is the token at c's location spelled in the dialect's prelude (the
 * `__extension__` of an await, even one from a macro's definition)? */
bool is_prelude_token(Source *src, CXCursor c);
/* The first child of `parent` of cursor kind `kind` (any kind when kind is
 * 0), or the null cursor. */
CXCursor first_child(CXCursor parent, enum CXCursorKind kind);
bool text_is(Source *src, unsigned b, unsigned e, const char *s);
char *cx_str(CXString s); /* heap copy, disposes s */
/* The text between two offsets with whitespace and comments dropped. */
char *gap_text(Source *src, unsigned b, unsigned e);
/* Is that text `s`? */
bool gap_is(Source *src, unsigned b, unsigned e, const char *s);
/* Is n GNU's `a ?: b`? Its children are a, a, a (one evaluation,
 * shown three times) and b. */
bool is_gnu_elvis(Node *n);

/* ---- expand.c --------------------------------------------------------- */

/* After a parse: the main file's text with the macro invocations in async
 * bodies that cannot stay as written (a return, a continue, a declaration
 * or an await in their expansion) replaced by their expansion, one level
 * deep, to be parsed in its place; NULL when there is none, or after
 * enough rounds. */
char *expand_macros(Source *src, size_t *len, int round);
/* Is m an invocation of one of the dialect's own macros (await, async,
 * acc.h's coroutine-taking forms), which acc reads as they are? */
bool is_dialect_macro(Source *src, const Token *m);
/* Is invocation i of src->macros the C library's assert, not disabled by
 * NDEBUG? lower.c writes it as acc.h's acc__assert, which names the async
 * function in its report instead of the step function. */
bool is_active_library_assert(Source *src, size_t i);

/* ---- awaitable.c ------------------------------------------------------ */

/* Is t a pointer to an acc_awaitable, or to a struct whose first member
 * is one (at any depth), or an array of those (it decays)? */
bool type_is_awaitable_pointer(CXType t);
/* After the first parse: the main file's text with the `await` of every
 * await of an awaitable spelled `(int)`, to be parsed instead; NULL when
 * there is none. */
char *retype_awaitable_awaits(Source *src);

/* ---- analyze.c -------------------------------------------------------- */

struct Local {
    char *name;        /* as the user wrote it */
    char *member;      /* frame member name (unique in the frame) */
    CXType type;
    bool is_param;
    bool via_array;    /* a parameter kept as a pointer to its array: read as `*member` */
    bool in_frame;     /* lives in the frame (else a plain C local of the step) */
    CXCursor decl;
    struct Node *decl_node; /* the VarDecl (NULL for parameters) */
    unsigned decl_hash;     /* clang_hashCursor(decl): a quick inequality */
    struct Node **refs;     /* every reference in the body */
    int nrefs, refs_cap;
};

struct AsyncFn {
    int index;             /* in Program.fns */
    char *name;
    CXCursor canonical;    /* the first declaration: the key of Program.table */
    CXCursor decl;         /* the definition if in this file, else a declaration */
    bool defined_here;     /* defined in the main file */
    bool declared_in_main; /* some declaration is in the main file */
    bool from_runtime;     /* declared by acc.h: the runtime provides the C API */
    bool slot_leaf;        /* declared `acc.leaf` (ACC__LEAF in acc.h): f__slot is its
                              frame's storage type and f__init(slot, out, args)
                              builds it, so awaits build it in place. The
                              runtime's leaves, and hand-written ones (abi.md) */
    bool lowered;          /* its frame type is complete from here on in the output */
    bool over_aligned;     /* lowered, and its frame needs more than malloc's alignment */
    bool is_static;
    bool returns_void;
    CXType ret;
    int nparams;
    CXType *param_types;
    char **param_names;
    Node *body;            /* definitions in the main file */
    Local **locals;        /* parameters first, then body locals */
    int nlocals;
    Local **by_decl;       /* the same, hashed by decl_hash and by member name */
    Local **by_member;     /* (analyze.c: open addressing, at most half full) */
    unsigned index_cap;
    CXType *temps;         /* await result temporaries */
    char **temp_frame;     /* ... or, where not NULL, the type of a callee frame built in place */
    int *temp_stmt;        /* the statement each temporary serves */
    int ntemps;
    int cur_stmt;          /* lowering: number of the statement being lowered */
    CXType *literals;      /* compound literals whose storage must outlive an await */
    int nliterals;
    int nawaits;           /* resume points */
    bool is_main;          /* async int main */
};

typedef struct Program {
    Source *src;
    AsyncFn **fns;
    int nfns;
    struct FnSlot *table; /* fns by canonical declaration (analyze.c) */
    int table_cap;
} Program;

/* clang's diagnostics, and the async functions of the whole translation
 * unit; then analyze_tops() checks each top-level declaration of the main
 * file in order and calls `each` with it, after which its tree is freed. */
typedef void TopAnalyzed(Program *p, Node *top, void *data);
Program *analyze_begin(Source *src);
/* Where c stands in a file an #include brought into the main one, report
 * that acc cannot rewrite it there, and say so. */
bool report_if_included(Source *src, CXCursor c);
void analyze_tops(Program *p, TopAnalyzed *each, void *data);
AsyncFn *find_async_fn(Program *p, CXCursor referenced);
/* A name the lowering uses in every frame or step function (acc_out, acc_t1,
 * acc_self, ...): locals of that name get another (analyze.c, frame.c). */
bool is_generated_name(const char *name);

/* ---- frame.c ---------------------------------------------------------- */

/* Decide which locals live in the frame: parameters, and locals whose
 * value or address may be needed after an await resumes. */
void place_locals(Source *src, AsyncFn *fn);

/* ---- typeprint.c ------------------------------------------------------ */

/* `T name` for a declaration of `name` with type `t` (name may be ""). */
char *declare(CXType t, const char *name);
/* The same for a frame member: top-level const dropped (volatile kept).
 * NULL: unspellable. */
char *declare_member(CXType t, const char *name);
/* The type of an async function (or a pointer to one) spelled as its
 * entry: `int (*)(int)` becomes `acc_frame *(*)(int *, int)`. */
char *declare_async(CXType t, const char *name, bool mutable_top);
bool type_is_async(CXType t);
/* The function type `t` names through typedefs, pointers and arrays, or
 * an invalid type. */
CXType named_function_type(CXType t);
char *declare_param(CXType t, const char *name, bool mutable_top);
/* A parameter's frame member: its adjusted type (arrays and functions,
 * also through typedefs, become pointers). NULL: unspellable. */
char *declare_param_member(CXType t, const char *name);
/* A parameter of array type whose element C cannot name (va_list): its
 * member points to the array, and the parameter reads as `*member`. */
bool param_is_unnamed_element_array(CXType t);
bool param_type_is_variably_modified(CXType t);
bool type_is_variably_modified(CXType t);
bool type_has_const_member(CXType t);
bool member_stays_const(CXType t);
bool type_is_volatile_object(CXType t);
/* Set by lower.c: the file-scope name of a type declared in an async body. */
extern const char *(*typeprint_local_name)(CXCursor decl);
bool has_async_annotation(CXCursor c);

/* ---- lower.c / emit.c ------------------------------------------------- */

typedef struct Out {
    Buf buf;
    int fd;              /* with `streams`: full buffers are written here */
    bool streams;        /* else the whole output stays in buf */
    int write_errno;     /* a write to fd failed: its errno */
    bool mid_line;       /* the last character written is not a newline */
    bool lines;          /* emit #line directives */
    const char *src_name;/* file name in #line directives */
    const char *out_name;/* the output's own name, for #line back to it */
    unsigned out_line;   /* current line of the output (1-based) */
    unsigned mapped;     /* source line the next output line maps to; 0: the output's own */
    unsigned want;       /* mapping the next text needs (written lazily) */
    const char *want_file;   /* its file name (a #line of the user's may rename it) */
    const char *mapped_file; /* the file name `mapped` is in */
    bool pending;        /* `want` not yet checked */
    bool auto_indent;    /* indent lines by brace depth (lowered bodies) */
    int depth;
} Out;

void out_text(Out *o, const char *s, size_t n);
void out_str(Out *o, const char *s);
/* Append `part`, an Out begun on a line of its own with out_line 1. */
void out_append(Out *o, const Out *part);
void out_printf(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Make the next output line map to source line `line`. */
void out_sync(Out *o, unsigned line);
/* The same for the source line of `off`, as the C preprocessor will see it
 * (after any #line of the user's). */
void out_sync_at(Out *o, Source *src, unsigned off);
/* Point #line back at the output itself (for generated code). */
void out_generated(Out *o);

/* Can an await of `callee` build its frame in the awaiting frame (f__init)
 * rather than allocate one (f__coro)? mark_frames_built(n): set
 * frame_built on the coroutine calls whose frame `n` (an await, or a
 * form making tasks) builds that way, without the entry. */
bool frame_in_place(AsyncFn *callee);
void mark_frames_built(Node *n);
/* Must the result of `lvalue = call` in a form be converted to the
 * lvalue's type (it differs from the result's)? emit_conversions writes
 * the coroutines that convert, for the code lowered or rendered so far. */
bool result_needs_conversion(Node *lvalue, Node *call);
void emit_conversions(Program *p, Out *o);
/* A static async function's entry f__coro goes at the end of the output,
 * and only if something uses it: its awaits may all build the frame in
 * place, and C warns about unused static functions. */
bool entry_at_end(AsyncFn *fn);
void emit_entry(AsyncFn *fn, Out *o);
void lower_async_fn(Program *p, AsyncFn *fn, Out *o);
/* The definition of a struct, union or enum that an async function's
 * declaration holds (`async struct P {...} f(void)`), to be written as a
 * declaration of its own; an unnamed one is given a tag. */
char *declared_tag_text(Program *p, AsyncFn *fn, Node *tag);
void emit_entry_prototype(AsyncFn *fn, Out *o, bool with_names);
/* The output, one top-level declaration at a time (emit_top, in order).
 * With fd >= 0 the text goes to fd as it is made (a large output is never
 * all in memory), and emit_end returns what is not written yet; else it
 * returns the whole text. *len is its length; *write_errno is the errno of
 * a failed write, or 0. */
typedef struct Emit Emit;
Emit *emit_begin(Program *p, bool lines, const char *out_name, int fd);
void emit_top(Emit *E, Node *top);
char *emit_end(Emit *E, size_t *len, int *write_errno);

/* ---- cc.c ------------------------------------------------------------- */

/* `acc cc ARGS...`: argv holds ARGS. Returns the exit status. */
int cc_main(int argc, char **argv);

#endif
