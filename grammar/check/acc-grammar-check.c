/*
 * acc-grammar-check: tests for the async-C tree-sitter grammar that need only
 * the committed generated parser (grammar/src/parser.c) and the system
 * libtree-sitter, not tree-sitter's generator or CLI.
 *
 *   acc-grammar-check corpus FILE...
 *       Run tree-sitter corpus tests (the test/corpus files) and compare
 *       S-expressions (field names are compared only where the expected
 *       output has them, as `tree-sitter test` does).
 *   acc-grammar-check update FILE...
 *       Rewrite the expected S-expressions of corpus FILEs with what the
 *       parser produces now (review the diff before committing!).
 *   acc-grammar-check parse [--expect-error FILE]... PATH...
 *       Parse each .acc file (directories are searched recursively) and fail
 *       on any ERROR or MISSING node, except in the FILEs given with
 *       --expect-error, which must have one.
 *   acc-grammar-check highlights QUERY[:QUERY...] PATH...
 *       Run the highlight query (several files are concatenated; on one
 *       node the last pattern wins) over each .acc file and fail unless
 *       every `async` and `await` token is captured as `keyword` or
 *       `keyword.*`.
 *   acc-grammar-check query QUERY...
 *       Check that each query file compiles against the grammar.
 *   acc-grammar-check sexp FILE
 *       Print the syntax tree of FILE, indented.
 *   acc-grammar-check html QUERY[:QUERY...] FILE [TITLE]
 *       Print FILE as an HTML page coloured by the highlight query.
 *
 * Exit status: 0 when every check passes, 1 when one fails, 2 on usage or
 * I/O errors.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tree_sitter/api.h>

const TSLanguage *tree_sitter_acc(void);

/* ---------------------------------------------------------------- utilities */

typedef struct {
    char *data;
    size_t len, cap;
} Buf;

static void buf_reserve(Buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    b->data = realloc(b->data, cap);
    if (!b->data) {
        perror("acc-grammar-check");
        exit(2);
    }
    b->cap = cap;
}

static void buf_add(Buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void buf_adds(Buf *b, const char *s) { buf_add(b, s, strlen(s)); }

static void buf_addc(Buf *b, char c) { buf_add(b, &c, 1); }

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        return NULL;
    }
    Buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&b, chunk, n);
    fclose(f);
    if (!b.data)
        buf_add(&b, "", 0);
    if (len)
        *len = b.len;
    return b.data;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects the .acc files under PATH (PATH itself if it is a file), sorted. */
static void collect_files(const char *path, char ***files, size_t *n)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        *files = realloc(*files, (*n + 1) * sizeof **files);
        (*files)[(*n)++] = strdup(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "%s: %s\n", path, strerror(errno));
        exit(2);
    }
    char **names = NULL;
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (nn + 1) * sizeof *names);
        names[nn++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, nn, sizeof *names, cmp_str);
    for (size_t i = 0; i < nn; i++) {
        size_t len = strlen(path) + strlen(names[i]) + 2;
        char *full = malloc(len);
        snprintf(full, len, "%s/%s", path, names[i]);
        struct stat cst;
        if (stat(full, &cst) == 0 &&
            (S_ISDIR(cst.st_mode) || ends_with(full, ".acc")))
            collect_files(full, files, n);
        free(full);
        free(names[i]);
    }
    free(names);
}

static TSParser *new_parser(void)
{
    TSParser *p = ts_parser_new();
    if (!ts_parser_set_language(p, tree_sitter_acc())) {
        fprintf(stderr, "acc-grammar-check: the parser's ABI version %u is "
                "not supported by this libtree-sitter (%d..%d)\n",
                ts_language_version(tree_sitter_acc()),
                TREE_SITTER_MIN_COMPATIBLE_LANGUAGE_VERSION,
                TREE_SITTER_LANGUAGE_VERSION);
        exit(2);
    }
    return p;
}

/* ----------------------------------------------------------- S-expressions */

/* Normalises an S-expression: one space between atoms, none after `(` or
 * before `)`; with strip_fields, `name: ` field labels are dropped. */
static char *normalize_sexp(const char *s, bool strip_fields)
{
    Buf b = {0};
    buf_add(&b, "", 0);
    bool pending_space = false;
    for (const char *p = s; *p;) {
        if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            pending_space = true;
            p++;
            continue;
        }
        if (strip_fields) {
            const char *q = p;
            while ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                   (*q >= '0' && *q <= '9') || *q == '_')
                q++;
            if (q > p && q[0] == ':' && q[1] == ' ') {
                p = q + 2;
                continue;
            }
        }
        if (pending_space && *p != ')' && b.len > 0 && b.data[b.len - 1] != '(')
            buf_addc(&b, ' ');
        pending_space = false;
        buf_addc(&b, *p++);
    }
    return b.data;
}

/* Does the S-expression contain a field label (`word: `)? */
static bool has_fields(const char *s)
{
    for (const char *p = s; *p; p++)
        if (p[0] == ':' && p[1] == ' ' && p > s &&
            ((p[-1] >= 'a' && p[-1] <= 'z') || p[-1] == '_'))
            return true;
    return false;
}

/* Pretty-prints a normalised S-expression, one node a line, as
 * `tree-sitter test --update` writes them. */
static char *pretty_sexp(const char *s)
{
    Buf b = {0};
    buf_add(&b, "", 0);
    int depth = 0;
    for (const char *p = s; *p; p++) {
        if (*p == ' ') {
            /* A space before `(` or a field label starts a new line. */
            const char *q = p + 1;
            while ((*q >= 'a' && *q <= 'z') || *q == '_' ||
                   (*q >= '0' && *q <= '9') || (*q >= 'A' && *q <= 'Z'))
                q++;
            bool field_label = q > p + 1 && q[0] == ':';
            if (p[1] == '(' || field_label) {
                buf_addc(&b, '\n');
                for (int i = 0; i < depth; i++)
                    buf_adds(&b, "  ");
                if (field_label) {
                    buf_add(&b, p + 1, (size_t)(q - p));
                    p = q; /* at ':'; the following space is kept */
                    buf_addc(&b, ' ');
                    p++;
                }
                continue;
            }
        }
        if (*p == '(')
            depth++;
        else if (*p == ')')
            depth--;
        buf_addc(&b, *p);
    }
    return b.data;
}

/* ------------------------------------------------------------------ corpus */

typedef struct {
    char *name;
    size_t header_start;   /* offset of the header's first `===` line */
    size_t input_start, input_end;
    size_t expected_start, expected_end;
} CorpusTest;

static bool is_rule_line(const char *s, size_t len, char c)
{
    size_t i = 0;
    while (i < len && s[i] == c)
        i++;
    if (i < 3)
        return false;
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
        i++;
    return i == len;
}

/* Splits a corpus file into tests. Returns the number of tests. */
static size_t parse_corpus(const char *text, size_t len, CorpusTest **out)
{
    /* Line table. */
    size_t nlines = 0, cap = 64;
    size_t *starts = malloc(cap * sizeof *starts);
    for (size_t i = 0; i <= len;) {
        if (nlines == cap)
            starts = realloc(starts, (cap *= 2) * sizeof *starts);
        starts[nlines++] = i;
        const char *nl = memchr(text + i, '\n', len - i);
        if (!nl)
            break;
        i = (size_t)(nl - text) + 1;
    }
#define LINE_LEN(k) ((k) + 1 < nlines ? starts[(k) + 1] - 1 - starts[k] : len - starts[k])

    CorpusTest *tests = NULL;
    size_t ntests = 0;
    for (size_t k = 0; k < nlines; k++) {
        if (!is_rule_line(text + starts[k], LINE_LEN(k), '='))
            continue;
        /* Header: === / name lines / === */
        size_t m = k + 1;
        while (m < nlines && !is_rule_line(text + starts[m], LINE_LEN(m), '='))
            m++;
        if (m >= nlines || m == k + 1)
            break;
        CorpusTest t = {0};
        t.header_start = starts[k];
        Buf name = {0};
        for (size_t j = k + 1; j < m; j++) {
            size_t l = LINE_LEN(j);
            if (l && text[starts[j] + l - 1] == '\r')
                l--;
            if (l && text[starts[j]] == ':')
                continue; /* attributes (:skip, :error ...) are ignored */
            if (name.len)
                buf_addc(&name, ' ');
            buf_add(&name, text + starts[j], l);
        }
        t.name = name.data ? name.data : strdup("(unnamed)");
        /* Input up to the first `---` line. */
        size_t d = m + 1;
        while (d < nlines && !is_rule_line(text + starts[d], LINE_LEN(d), '-'))
            d++;
        if (d >= nlines) {
            fprintf(stderr, "corpus: test '%s' has no --- line\n", t.name);
            break;
        }
        t.input_start = m + 1 < nlines ? starts[m + 1] : len;
        t.input_end = starts[d] > 0 ? starts[d] - 1 : 0; /* drop the newline */
        if (t.input_end < t.input_start)
            t.input_end = t.input_start;
        if (t.input_end > t.input_start && text[t.input_end - 1] == '\r')
            t.input_end--;
        /* Expected output up to the next header. */
        size_t e = d + 1;
        while (e < nlines) {
            if (is_rule_line(text + starts[e], LINE_LEN(e), '=')) {
                size_t h = e + 1;
                while (h < nlines && !is_rule_line(text + starts[h], LINE_LEN(h), '='))
                    h++;
                if (h < nlines && h > e + 1)
                    break;
            }
            e++;
        }
        t.expected_start = d + 1 < nlines ? starts[d + 1] : len;
        t.expected_end = e < nlines ? starts[e] : len;
        tests = realloc(tests, (ntests + 1) * sizeof *tests);
        tests[ntests++] = t;
        k = e - 1;
    }
#undef LINE_LEN
    free(starts);
    *out = tests;
    return ntests;
}

static int cmd_corpus(int argc, char **argv, bool update)
{
    TSParser *parser = new_parser();
    int failed = 0, passed = 0;
    for (int i = 0; i < argc; i++) {
        size_t len;
        char *text = read_file(argv[i], &len);
        if (!text)
            return 2;
        CorpusTest *tests;
        size_t n = parse_corpus(text, len, &tests);
        if (n == 0) {
            fprintf(stderr, "%s: no corpus tests found\n", argv[i]);
            failed++;
        }
        Buf rewritten = {0};
        size_t copied = 0;
        for (size_t j = 0; j < n; j++) {
            CorpusTest *t = &tests[j];
            TSTree *tree = ts_parser_parse_string(parser, NULL, text + t->input_start,
                                                  (uint32_t)(t->input_end - t->input_start));
            char *actual_raw = ts_node_string(ts_tree_root_node(tree));
            char *expected_raw = strndup(text + t->expected_start,
                                         t->expected_end - t->expected_start);
            bool fields = has_fields(expected_raw);
            char *expected = normalize_sexp(expected_raw, false);
            char *actual = normalize_sexp(actual_raw, !fields);
            if (update) {
                buf_add(&rewritten, text + copied, t->expected_start - copied);
                buf_addc(&rewritten, '\n');
                char *pretty = pretty_sexp(normalize_sexp(actual_raw, false));
                buf_adds(&rewritten, pretty);
                buf_adds(&rewritten, j + 1 < n ? "\n\n" : "\n");
                copied = t->expected_end;
                free(pretty);
            } else if (strcmp(expected, actual) == 0) {
                passed++;
            } else {
                failed++;
                char *pe = pretty_sexp(expected), *pa = pretty_sexp(actual);
                printf("FAIL %s: %s\n  expected:\n%s\n  actual:\n%s\n", argv[i], t->name, pe, pa);
                free(pe);
                free(pa);
            }
            free(expected);
            free(actual);
            free(expected_raw);
            free(actual_raw);
            ts_tree_delete(tree);
        }
        if (update) {
            buf_add(&rewritten, text + copied, len - copied);
            FILE *f = fopen(argv[i], "wb");
            if (!f || fwrite(rewritten.data, 1, rewritten.len, f) != rewritten.len) {
                fprintf(stderr, "%s: cannot write\n", argv[i]);
                return 2;
            }
            fclose(f);
            printf("updated %s (%zu tests)\n", argv[i], n);
        }
        free(rewritten.data);
        for (size_t j = 0; j < n; j++)
            free(tests[j].name);
        free(tests);
        free(text);
    }
    ts_parser_delete(parser);
    if (!update)
        printf("corpus: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

/* ------------------------------------------------------------------- parse */

/* Reports the first ERROR or MISSING node under node; returns how many. */
static int report_errors(const char *path, TSNode node, int limit)
{
    if (!ts_node_has_error(node))
        return 0;
    if (ts_node_is_missing(node) || ts_node_is_null(node) ||
        strcmp(ts_node_type(node), "ERROR") == 0) {
        TSPoint p = ts_node_start_point(node);
        if (limit > 0)
            printf("%s:%u:%u: error: %s%s\n", path, p.row + 1, p.column + 1,
                   ts_node_is_missing(node) ? "MISSING " : "",
                   ts_node_is_missing(node) ? ts_node_type(node) : "syntax error (ERROR node)");
        return 1;
    }
    int count = 0;
    uint32_t n = ts_node_child_count(node);
    for (uint32_t i = 0; i < n; i++)
        count += report_errors(path, ts_node_child(node, i), limit - count);
    return count;
}

static bool in_list(char **list, size_t n, const char *path)
{
    char *real = realpath(path, NULL);
    bool found = false;
    for (size_t i = 0; i < n && !found; i++)
        found = strcmp(list[i], real ? real : path) == 0;
    free(real);
    return found;
}

/* parse [--expect-error FILE]... PATH...: FILEs must have a syntax error
 * (they are the tests of acc's syntax errors); every other .acc file must
 * parse without ERROR or MISSING nodes. */
static int cmd_parse(int argc, char **argv)
{
    char **expect = NULL;
    size_t nexpect = 0;
    char **files = NULL;
    size_t n = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--expect-error") == 0 && i + 1 < argc) {
            char *real = realpath(argv[++i], NULL);
            if (!real) {
                fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
                return 2;
            }
            expect = realloc(expect, (nexpect + 1) * sizeof *expect);
            expect[nexpect++] = real;
            continue;
        }
        collect_files(argv[i], &files, &n);
    }
    TSParser *parser = new_parser();
    int bad = 0, expected_bad = 0;
    for (size_t i = 0; i < n; i++) {
        bool want_error = in_list(expect, nexpect, files[i]);
        size_t len;
        char *text = read_file(files[i], &len);
        if (!text)
            return 2;
        TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
        TSNode root = ts_tree_root_node(tree);
        if (want_error) {
            if (ts_node_has_error(root)) {
                expected_bad++;
            } else {
                bad++;
                printf("%s: error: parsed without error, but it is listed with "
                       "--expect-error\n", files[i]);
            }
        } else if (ts_node_has_error(root)) {
            bad++;
            if (report_errors(files[i], root, 10) == 0)
                printf("%s: error: the tree has an error\n", files[i]);
            printf("%s: note: if this file is meant to have a syntax error, list it "
                   "with --expect-error in test/grammar/acc-files.test\n", files[i]);
        }
        ts_tree_delete(tree);
        free(text);
        free(files[i]);
    }
    free(files);
    for (size_t i = 0; i < nexpect; i++)
        free(expect[i]);
    free(expect);
    ts_parser_delete(parser);
    printf("parse: %zu .acc files, %d with the expected syntax errors, %d failed\n", n,
           expected_bad, bad);
    return bad ? 1 : 0;
}

/* ------------------------------------------------------------------ queries */

/* Loads one or more query files (separated by ':') as one query. */
static TSQuery *load_query(const char *spec)
{
    Buf src = {0};
    buf_add(&src, "", 0);
    char *copy = strdup(spec);
    for (char *save = NULL, *tok = strtok_r(copy, ":", &save); tok;
         tok = strtok_r(NULL, ":", &save)) {
        char *text = read_file(tok, NULL);
        if (!text)
            exit(2);
        buf_adds(&src, text);
        buf_addc(&src, '\n');
        free(text);
    }
    free(copy);
    uint32_t off;
    TSQueryError err;
    TSQuery *q = ts_query_new(tree_sitter_acc(), src.data, (uint32_t)src.len, &off, &err);
    if (!q) {
        static const char *kinds[] = {"none", "syntax", "node type", "field", "capture", "structure", "language"};
        uint32_t line = 1;
        for (uint32_t i = 0; i < off && i < src.len; i++)
            line += src.data[i] == '\n';
        fprintf(stderr, "%s: query error (%s) at line %u (of the concatenation): %.40s\n",
                spec, err < 7 ? kinds[err] : "?", line, src.data + off);
        exit(1);
    }
    free(src.data);
    return q;
}

/* Translates the Rust-regex escapes used by tree-sitter queries (\d, \w,
 * \s) into POSIX ERE. */
static char *posix_regex(const char *re)
{
    Buf b = {0};
    buf_add(&b, "", 0);
    bool in_class = false;
    for (const char *p = re; *p; p++) {
        if (p[0] == '\\' && p[1]) {
            const char *set = NULL;
            switch (p[1]) {
            case 'd': set = "0-9"; break;
            case 'w': set = "A-Za-z0-9_"; break;
            case 's': set = "[:space:]"; break;
            default: break;
            }
            if (set) {
                if (!in_class)
                    buf_addc(&b, '[');
                buf_adds(&b, set);
                if (!in_class)
                    buf_addc(&b, ']');
            } else {
                buf_add(&b, p, 2);
            }
            p++;
            continue;
        }
        if (*p == '[' && !in_class) {
            in_class = true;
            buf_addc(&b, *p);
            if (p[1] == '^')
                buf_addc(&b, *++p);
            if (p[1] == ']')
                buf_addc(&b, *++p);
            continue;
        }
        if (*p == ']' && in_class)
            in_class = false;
        buf_addc(&b, *p);
    }
    return b.data;
}

static char *node_text(TSNode n, const char *src)
{
    uint32_t s = ts_node_start_byte(n), e = ts_node_end_byte(n);
    return strndup(src + s, e - s);
}

static TSNode capture_node(const TSQueryMatch *m, uint32_t capture_id, bool *found)
{
    for (uint16_t i = 0; i < m->capture_count; i++)
        if (m->captures[i].index == capture_id) {
            *found = true;
            return m->captures[i].node;
        }
    *found = false;
    return m->captures[0].node;
}

/* Evaluates the text predicates (#eq?, #not-eq?, #match?, #not-match?,
 * #any-of?) of a match; other predicates count as satisfied. */
static bool match_satisfies(const TSQuery *q, const TSQueryMatch *m, const char *src)
{
    uint32_t nsteps;
    const TSQueryPredicateStep *steps = ts_query_predicates_for_pattern(q, m->pattern_index, &nsteps);
    for (uint32_t i = 0; i < nsteps;) {
        uint32_t j = i;
        while (j < nsteps && steps[j].type != TSQueryPredicateStepTypeDone)
            j++;
        uint32_t len;
        const char *op = ts_query_string_value_for_id(q, steps[i].value_id, &len);
        bool ok = true;
        if (j - i >= 3 && steps[i + 1].type == TSQueryPredicateStepTypeCapture) {
            bool found;
            TSNode n = capture_node(m, steps[i + 1].value_id, &found);
            if (found) {
                char *text = node_text(n, src);
                bool neg = strncmp(op, "not-", 4) == 0;
                const char *base = neg ? op + 4 : op;
                if (strcmp(base, "eq?") == 0) {
                    char *other;
                    if (steps[i + 2].type == TSQueryPredicateStepTypeCapture) {
                        bool f2;
                        other = node_text(capture_node(m, steps[i + 2].value_id, &f2), src);
                    } else {
                        other = strdup(ts_query_string_value_for_id(q, steps[i + 2].value_id, &len));
                    }
                    ok = (strcmp(text, other) == 0) != neg;
                    free(other);
                } else if (strcmp(base, "match?") == 0) {
                    char *re = posix_regex(ts_query_string_value_for_id(q, steps[i + 2].value_id, &len));
                    regex_t rx;
                    if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) == 0) {
                        ok = (regexec(&rx, text, 0, NULL, 0) == 0) != neg;
                        regfree(&rx);
                    }
                    free(re);
                } else if (strcmp(base, "any-of?") == 0) {
                    bool any = false;
                    for (uint32_t k = i + 2; k < j; k++)
                        if (strcmp(text, ts_query_string_value_for_id(q, steps[k].value_id, &len)) == 0)
                            any = true;
                    ok = any != neg;
                }
                free(text);
            }
        }
        if (!ok)
            return false;
        i = j + 1;
    }
    return true;
}

typedef struct {
    uint32_t start, end;
    uint32_t pattern;
    const char *name;
} Capture;

/* Every capture of the query over the tree, predicates applied. */
static Capture *run_query(const TSQuery *q, TSNode root, const char *src, size_t *n)
{
    TSQueryCursor *c = ts_query_cursor_new();
    ts_query_cursor_exec(c, q, root);
    TSQueryMatch m;
    uint32_t ci;
    Capture *caps = NULL;
    size_t count = 0, cap = 0;
    while (ts_query_cursor_next_capture(c, &m, &ci)) {
        if (!match_satisfies(q, &m, src))
            continue;
        TSQueryCapture qc = m.captures[ci];
        uint32_t len;
        if (count == cap)
            caps = realloc(caps, (cap = cap ? cap * 2 : 256) * sizeof *caps);
        caps[count++] = (Capture){ts_node_start_byte(qc.node), ts_node_end_byte(qc.node),
                                  m.pattern_index,
                                  ts_query_capture_name_for_id(q, qc.index, &len)};
    }
    ts_query_cursor_delete(c);
    *n = count;
    return caps;
}

static bool is_keyword_capture(const char *name)
{
    return strcmp(name, "keyword") == 0 || strncmp(name, "keyword.", 8) == 0;
}

/* Checks every async/await token under node; returns the number unchecked. */
static int check_keywords(const char *path, TSNode node, const Capture *caps, size_t ncaps, int *tokens)
{
    int bad = 0;
    uint32_t n = ts_node_child_count(node);
    if (n == 0) {
        const char *type = ts_node_type(node);
        /* `await` is an anonymous token; `async` is the leaf async_specifier. */
        if (strcmp(type, "await") == 0 || strcmp(type, "async_specifier") == 0 ||
            strcmp(type, "async") == 0) {
            (*tokens)++;
            uint32_t s = ts_node_start_byte(node), e = ts_node_end_byte(node);
            bool ok = false;
            for (size_t i = 0; i < ncaps && !ok; i++)
                ok = caps[i].start == s && caps[i].end == e && is_keyword_capture(caps[i].name);
            if (!ok) {
                TSPoint p = ts_node_start_point(node);
                printf("%s:%u:%u: error: `%s` is not captured as a keyword\n", path, p.row + 1,
                       p.column + 1, type[1] == 'w' ? "await" : "async");
                bad++;
            }
        }
        return bad;
    }
    for (uint32_t i = 0; i < n; i++)
        bad += check_keywords(path, ts_node_child(node, i), caps, ncaps, tokens);
    return bad;
}

static int cmd_highlights(const char *query_spec, int argc, char **argv)
{
    TSQuery *q = load_query(query_spec);
    char **files = NULL;
    size_t n = 0;
    for (int i = 0; i < argc; i++)
        collect_files(argv[i], &files, &n);
    TSParser *parser = new_parser();
    int bad = 0, tokens = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len;
        char *text = read_file(files[i], &len);
        if (!text)
            return 2;
        TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
        size_t ncaps;
        Capture *caps = run_query(q, ts_tree_root_node(tree), text, &ncaps);
        bad += check_keywords(files[i], ts_tree_root_node(tree), caps, ncaps, &tokens);
        free(caps);
        ts_tree_delete(tree);
        free(text);
        free(files[i]);
    }
    free(files);
    ts_parser_delete(parser);
    ts_query_delete(q);
    printf("highlights: %zu .acc files, %d async/await tokens, %d not captured as keywords\n", n,
           tokens, bad);
    return bad ? 1 : 0;
}

/* query QUERY...: each query file compiles against the grammar. */
static int cmd_query(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        TSQuery *q = load_query(argv[i]);
        printf("query %s: %u patterns, %u captures\n", argv[i], ts_query_pattern_count(q),
               ts_query_capture_count(q));
        ts_query_delete(q);
    }
    return 0;
}

/* -------------------------------------------------------------------- sexp */

static int cmd_sexp(const char *path)
{
    size_t len;
    char *text = read_file(path, &len);
    if (!text)
        return 2;
    TSParser *parser = new_parser();
    TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
    char *raw = ts_node_string(ts_tree_root_node(tree));
    char *norm = normalize_sexp(raw, false);
    char *pretty = pretty_sexp(norm);
    printf("%s\n", pretty);
    int rc = ts_node_has_error(ts_tree_root_node(tree)) ? 1 : 0;
    free(pretty);
    free(norm);
    free(raw);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
    free(text);
    return rc;
}

/* -------------------------------------------------------------------- html */

static void html_escape(Buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '<': buf_adds(b, "&lt;"); break;
        case '>': buf_adds(b, "&gt;"); break;
        case '&': buf_adds(b, "&amp;"); break;
        case '"': buf_adds(b, "&quot;"); break;
        default: buf_addc(b, s[i]);
        }
    }
}

static int cmd_html(const char *query_spec, const char *path, const char *title)
{
    TSQuery *q = load_query(query_spec);
    size_t len;
    char *text = read_file(path, &len);
    if (!text)
        return 2;
    TSParser *parser = new_parser();
    TSTree *tree = ts_parser_parse_string(parser, NULL, text, (uint32_t)len);
    size_t ncaps;
    Capture *caps = run_query(q, ts_tree_root_node(tree), text, &ncaps);

    /* For each byte, the innermost capture; on the same node the latest
     * pattern wins (as in tree-sitter-highlight since 0.22, Neovim and
     * Helix, so a file's patterns override those it inherits). */
    const char **style = calloc(len + 1, sizeof *style);
    uint32_t *width = calloc(len + 1, sizeof *width);
    uint32_t *pat = calloc(len + 1, sizeof *pat);
    for (size_t i = 0; i < ncaps; i++) {
        uint32_t w = caps[i].end - caps[i].start;
        for (uint32_t b = caps[i].start; b < caps[i].end && b < len; b++) {
            if (!style[b] || w < width[b] || (w == width[b] && caps[i].pattern >= pat[b])) {
                style[b] = caps[i].name;
                width[b] = w;
                pat[b] = caps[i].pattern;
            }
        }
    }
    Buf out = {0};
    buf_adds(&out,
             "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>");
    html_escape(&out, title, strlen(title));
    buf_adds(&out,
             "</title><style>\n"
             "body{background:#1e2127;margin:0;padding:18px 22px;}\n"
             "h1{font:600 14px sans-serif;color:#9da5b4;margin:0 0 10px;}\n"
             "pre{font:15px/1.45 'DejaVu Sans Mono',monospace;color:#abb2bf;margin:0;}\n"
             ".keyword{color:#c678dd;}\n"
             ".keyword-coroutine{color:#ff6ac1;font-weight:bold;}\n"
             ".function,.function-special{color:#61afef;}\n"
             ".function-builtin{color:#56b6c2;font-weight:bold;}\n"
             ".type,.type-builtin{color:#e5c07b;}\n"
             ".constant,.constant-builtin{color:#d19a66;}\n"
             ".number{color:#d19a66;}\n"
             ".string{color:#98c379;}\n"
             ".comment{color:#7f848e;font-style:italic;}\n"
             ".property{color:#e06c75;}\n"
             ".operator{color:#56b6c2;}\n"
             ".label{color:#e06c75;}\n"
             ".variable{color:#abb2bf;}\n"
             ".delimiter{color:#abb2bf;}\n"
             "</style></head><body><h1>");
    html_escape(&out, title, strlen(title));
    buf_adds(&out, "</h1><pre>");
    const char *cur = NULL;
    for (size_t i = 0; i < len; i++) {
        if (style[i] != cur) {
            if (cur)
                buf_adds(&out, "</span>");
            cur = style[i];
            if (cur) {
                buf_adds(&out, "<span class=\"");
                for (const char *c = cur; *c; c++)
                    buf_addc(&out, *c == '.' ? '-' : *c);
                buf_adds(&out, "\">");
            }
        }
        html_escape(&out, text + i, 1);
    }
    if (cur)
        buf_adds(&out, "</span>");
    buf_adds(&out, "</pre></body></html>\n");
    fwrite(out.data, 1, out.len, stdout);
    free(out.data);
    free(style);
    free(width);
    free(pat);
    free(caps);
    ts_tree_delete(tree);
    ts_parser_delete(parser);
    ts_query_delete(q);
    free(text);
    return 0;
}

/* -------------------------------------------------------------------- main */

static int usage(void)
{
    fprintf(stderr,
            "usage: acc-grammar-check corpus FILE...\n"
            "       acc-grammar-check update FILE...\n"
            "       acc-grammar-check parse [--expect-error FILE]... PATH...\n"
            "       acc-grammar-check highlights QUERY[:QUERY...] PATH...\n"
            "       acc-grammar-check query QUERY...\n"
            "       acc-grammar-check sexp FILE\n"
            "       acc-grammar-check html QUERY[:QUERY...] FILE [TITLE]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return usage();
    const char *cmd = argv[1];
    if (strcmp(cmd, "corpus") == 0)
        return cmd_corpus(argc - 2, argv + 2, false);
    if (strcmp(cmd, "update") == 0)
        return cmd_corpus(argc - 2, argv + 2, true);
    if (strcmp(cmd, "parse") == 0)
        return cmd_parse(argc - 2, argv + 2);
    if (strcmp(cmd, "highlights") == 0 && argc >= 4)
        return cmd_highlights(argv[2], argc - 3, argv + 3);
    if (strcmp(cmd, "query") == 0)
        return cmd_query(argc - 2, argv + 2);
    if (strcmp(cmd, "sexp") == 0 && argc == 3)
        return cmd_sexp(argv[2]);
    if (strcmp(cmd, "html") == 0 && (argc == 4 || argc == 5))
        return cmd_html(argv[2], argv[3], argc == 5 ? argv[4] : argv[3]);
    return usage();
}
