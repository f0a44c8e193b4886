/*
 * cc.c: `acc cc`, a C compiler driver that also takes .acc files.
 *
 *     acc cc [COMPILER] ARGS...
 *
 * ARGS are a C compiler's arguments. Each .acc input is translated by acc
 * into a temporary directory (same base name, FILE.c, so the compiler's
 * default object and dependency file names do not change), and the
 * compiler, $CC (default cc) or COMPILER when the first argument names an
 * executable (the CMAKE_C_COMPILER_LAUNCHER form), runs with the same
 * arguments and the generated C in place of each .acc file. On top of
 * that:
 *
 *   - `-iquote DIR` for the directory of each .acc input, first, so that
 *     `#include "x.h"` finds x.h beside the source as it did for acc;
 *   - `-I<prefix>/include` (acc.h) last, when there are inputs;
 *   - when the command links (no -c, -S, -E, -M, -MM or -fsyntax-only) and
 *     names no runtime itself (-lacc, libacc.*), nor -nostdlib or
 *     -nodefaultlibs: `<prefix>/lib/libacc.a -lpthread` at the end, so that
 *     `make CC="acc cc"` links with nothing else said;
 *   - a dependency file the compiler writes (-MD, -MMD, -MF) names the .acc
 *     file instead of the temporary C, and also lists the headers acc read.
 *
 * acc itself sees the -I, -D, -U, -include, -isystem, -iquote, -idirafter,
 * -std= and -Werror arguments. Response files (@FILE) are read first, as
 * gcc reads them, and their arguments count like the others; the compiler
 * gets them on its command line. Everything else passes to the compiler
 * unchanged. The exit status is acc's when a translation fails, else the
 * compiler's.
 */
#include "compiler.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef ACC_LIBDIR
#define ACC_LIBDIR "lib"
#endif

typedef struct Argv {
    char **v;
    int n, cap;
} Argv;

static void push(Argv *a, const char *s)
{
    if (a->n + 2 > a->cap) {
        a->cap = a->cap ? 2 * a->cap : 32;
        a->v = xrealloc(a->v, (size_t)a->cap * sizeof *a->v);
    }
    a->v[a->n++] = xstrdup(s);
    a->v[a->n] = NULL;
}

/* One .acc input and where its C goes. */
typedef struct AccInput {
    int argi;        /* index in the wrapper's arguments */
    char *c_file;    /* <tmp>/<i>/NAME.c */
    char *d_file;    /* acc's depfile, <tmp>/<i>/NAME.acc.d */
} AccInput;

/* gcc's options whose argument is the next word. */
static bool takes_arg(const char *a)
{
    static const char *const with_arg[] = {
        "-o", "-x", "-I", "-D", "-U", "-include", "-imacros", "-isystem", "-iquote",
        "-idirafter", "-iprefix", "-iwithprefix", "-iwithprefixbefore", "-isysroot",
        "-imultilib", "-MF", "-MT", "-MQ", "-L", "-l", "-u", "-T", "-Xlinker",
        "-Xassembler", "-Xpreprocessor", "-Xclang", "-aux-info", "--param", "-target",
        "-arch", "-z", "-e", "-dumpbase", "-dumpdir", "--sysroot", NULL,
    };
    for (int i = 0; with_arg[i]; i++)
        if (strcmp(a, with_arg[i]) == 0)
            return true;
    return false;
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The install prefix (or build tree) this acc runs from: <bindir>/.. */
static char *self_prefix(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    Buf b = {0};
    buf_printf(&b, "%s/..", dirname(exe));
    char *real = realpath(b.s, NULL);
    free(b.s);
    return real;
}

static char *self_exe(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return xstrdup("acc");
    exe[n] = '\0';
    return xstrdup(exe);
}

static bool is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Whether `word` names a compiler: an executable, by path or on $PATH, and
 * not something that looks like an input file. */
static bool names_compiler(const char *word)
{
    if (word[0] == '-' || word[0] == '@')
        return false;
    const char *dot = strrchr(word, '.');
    const char *slash = strrchr(word, '/');
    if (dot && (!slash || dot > slash)) {
        static const char *const inputs[] = {".c", ".acc", ".h", ".i", ".s", ".S", ".o",
                                             ".a", ".so", ".lo", ".la", NULL};
        for (int i = 0; inputs[i]; i++)
            if (strcmp(dot, inputs[i]) == 0)
                return false;
    }
    if (slash)
        return is_executable_file(word);
    const char *path = getenv("PATH");
    if (!path)
        return false;
    char *copy = xstrdup(path);
    bool found = false;
    for (char *dir = strtok(copy, ":"); dir && !found; dir = strtok(NULL, ":")) {
        Buf b = {0};
        buf_printf(&b, "%s/%s", *dir ? dir : ".", word);
        found = is_executable_file(b.s);
        free(b.s);
    }
    free(copy);
    return found;
}

static int run_argv(char **argv)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "acc cc: error: cannot fork: %s\n", strerror(errno));
        return 2;
    }
    if (pid == 0) {
        setenv("ACC_CC_ACTIVE", "1", 1);
        execvp(argv[0], argv);
        fprintf(stderr, "acc cc: error: cannot run '%s': %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return wait_exit_status(pid);
}

/* The words of a make-style dependency file after its first ':', with
 * backslash-newlines and the escapes of buf_put_make_name undone. */
static Argv depfile_prereqs(const char *text)
{
    Argv words = {0};
    const char *p = strchr(text, ':');
    if (!p)
        return words;
    Buf w = {0};
    for (p++;; p++) {
        size_t nbs = strspn(p, "\\");
        if (nbs == 1 && p[1] == '\n') {
            p++;
        } else if (nbs > 0 && (p[nbs] == ' ' || p[nbs] == '\t')) {
            /* 2N+1 backslashes and a blank: N backslashes and the blank;
             * 2N: N backslashes, and the blank ends the word */
            for (size_t k = 0; k < nbs / 2; k++)
                buf_put(&w, "\\", 1);
            p += nbs - 1 + nbs % 2;
            if (nbs % 2)
                buf_put(&w, p, 1);
        } else if (nbs == 1 && p[1] == '#') {
            buf_put(&w, ++p, 1);
        } else if (p[0] == '$' && p[1] == '$') {
            buf_put(&w, ++p, 1);
        } else if (*p == '\0' || *p == ' ' || *p == '\t' || *p == '\n') {
            if (w.len) {
                push(&words, w.s);
                w.len = 0;
                w.s[0] = '\0';
            }
            if (*p == '\0' || *p == '\n')
                break;
        } else {
            buf_put(&w, p, 1);
        }
    }
    free(w.s);
    return words;
}

/* Headers of the system, which -MMD leaves out. */
static bool system_header(const char *path, Argv *isystem)
{
    static const char *const dirs[] = {"/usr/include/", "/usr/local/include/", "/usr/lib/", NULL};
    for (int i = 0; dirs[i]; i++)
        if (strncmp(path, dirs[i], strlen(dirs[i])) == 0)
            return true;
    for (int i = 0; i < isystem->n; i++)
        if (strncmp(path, isystem->v[i], strlen(isystem->v[i])) == 0)
            return true;
    return false;
}

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Rewrite the compiler's depfile `path`: each temporary C file becomes its
 * .acc source, and headers that only acc read are added to the first rule
 * (with a phony rule each under -MP): system headers only under -MD, and
 * never clang's own (stdbool.h and the like), which the compiler does not
 * read. */
static void fix_depfile(const char *path, char **args, AccInput *ins, int nins, bool phony,
                        bool user_only, Argv *isystem)
{
    char *text = read_file(path, NULL);
    if (!text)
        return;
    /* the compiler wrote the temporary C files' names escaped */
    Argv c_names = {0};
    bool ours = false;
    for (int i = 0; i < nins; i++) {
        Buf b = {0};
        buf_put_make_name(&b, ins[i].c_file);
        push(&c_names, b.s);
        ours |= strstr(text, b.s) != NULL;
        free(b.s);
    }
    if (!ours) {
        free(text);
        return;
    }
    Buf out = {0};
    for (const char *p = text; *p;) {
        int hit = -1;
        for (int i = 0; i < nins && hit < 0; i++)
            if (strncmp(p, c_names.v[i], strlen(c_names.v[i])) == 0)
                hit = i;
        if (hit >= 0) {
            buf_put_make_name(&out, args[ins[hit].argi]);
            p += strlen(c_names.v[hit]);
        } else {
            buf_put(&out, p, 1);
            p++;
        }
    }

    /* the end of the first rule: the first newline not escaped */
    Argv have = depfile_prereqs(text);
    size_t end = 0;
    while (end < out.len && !(out.s[end] == '\n' && (end == 0 || out.s[end - 1] != '\\')))
        end++;
    Buf extra = {0}, phonies = {0};
    for (int i = 0; i < nins; i++) {
        char *acc_text = read_file(ins[i].d_file, NULL);
        if (!acc_text)
            continue;
        Argv hdrs = depfile_prereqs(acc_text);
        for (int h = 1; h < hdrs.n; h++) { /* hdrs.v[0] is the .acc file */
            const char *h_path = hdrs.v[h];
            if (strstr(h_path, "/clang/") || (user_only && system_header(h_path, isystem)))
                continue;
            bool known = false;
            for (int k = 0; k < have.n && !known; k++)
                known = strcmp(have.v[k], hdrs.v[h]) == 0 || same_file(have.v[k], hdrs.v[h]);
            if (known)
                continue;
            push(&have, hdrs.v[h]);
            buf_puts(&extra, " \\\n ");
            buf_put_make_name(&extra, hdrs.v[h]);
            if (phony) {
                buf_puts(&phonies, "\n");
                buf_put_make_name(&phonies, hdrs.v[h]);
                buf_puts(&phonies, ":\n");
            }
        }
        free(acc_text);
    }
    Buf final = {0};
    buf_put(&final, out.s, end);
    if (extra.s)
        buf_put(&final, extra.s, extra.len);
    buf_put(&final, out.s + end, out.len - end);
    if (phonies.s)
        buf_put(&final, phonies.s, phonies.len);

    Buf tmp = {0};
    buf_printf(&tmp, "%s.tmpXXXXXX", path);
    int fd = mkstemp(tmp.s);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f || fwrite(final.s, 1, final.len, f) != final.len || fclose(f) != 0 ||
        rename(tmp.s, path) != 0) {
        fprintf(stderr, "acc cc: error: cannot rewrite '%s': %s\n", path, strerror(errno));
        unlink(tmp.s);
    }
    free(tmp.s), free(final.s), free(extra.s), free(phonies.s), free(out.s), free(text);
}

/* FILE with its suffix (after the last '.' of the last component) replaced. */
static char *replace_suffix(const char *file, const char *suffix)
{
    const char *slash = strrchr(file, '/');
    const char *dot = strrchr(file, '.');
    size_t n = dot && (!slash || dot > slash) ? (size_t)(dot - file) : strlen(file);
    Buf b = {0};
    buf_put(&b, file, n);
    buf_puts(&b, suffix);
    return b.s;
}

/* Split a response file's text into arguments as gcc does: blanks
 * separate them, quotes ('...' or "...") group, a backslash takes the next
 * character as it is. */
static void split_words(Argv *out, const char *t)
{
    Buf w = {0};
    bool in_word = false;
    char quote = 0;
    for (; *t; t++) {
        if (*t == '\\' && t[1]) {
            buf_put(&w, ++t, 1);
            in_word = true;
        } else if (quote) {
            if (*t == quote)
                quote = 0;
            else
                buf_put(&w, t, 1);
        } else if (*t == '\'' || *t == '"') {
            quote = *t;
            in_word = true;
        } else if (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r' || *t == '\f' || *t == '\v') {
            if (in_word)
                push(out, w.s ? w.s : "");
            w.len = 0;
            if (w.s)
                w.s[0] = '\0';
            in_word = false;
        } else {
            buf_put(&w, t, 1);
            in_word = true;
        }
    }
    if (in_word)
        push(out, w.s ? w.s : "");
    free(w.s);
}

/* One argument, with `@FILE` replaced by the arguments in FILE (nested
 * ones too). An @ argument that names no readable file stays as it is, as
 * for gcc. The compiler then gets the arguments themselves. */
static int expand_arg(Argv *out, const char *a, int depth)
{
    size_t len;
    char *text = a[0] == '@' ? read_file(a + 1, &len) : NULL;
    if (text == NULL) {
        push(out, a);
        return 0;
    }
    if (depth >= 16) {
        fprintf(stderr, "acc cc: error: response files nested too deeply at '%s'\n", a);
        free(text);
        return -1;
    }
    Argv words = {0};
    split_words(&words, text);
    free(text);
    int r = 0;
    for (int i = 0; i < words.n && r == 0; i++)
        r = expand_arg(out, words.v[i], depth + 1);
    for (int i = 0; i < words.n; i++)
        free(words.v[i]);
    free(words.v);
    return r;
}

static void usage_error(void)
{
    fputs("usage: acc cc [COMPILER] ARGS...   (compile and link, .acc files too; see acc(1))\n",
          stderr);
    exit(2);
}

int cc_main(int argc, char **argv)
{
    if (argc < 1)
        usage_error();
    if (getenv("ACC_CC_ACTIVE")) {
        fprintf(stderr, "acc cc: error: the compiler runs acc cc again ($CC is acc cc?)\n");
        return 2;
    }

    Argv cc = {0};
    int first = 0;
    if (names_compiler(argv[0])) {
        push(&cc, argv[0]);
        first = 1;
    } else {
        const char *env = getenv("CC");
        char *words = xstrdup(env && *env ? env : "cc");
        for (char *w = strtok(words, " \t"); w; w = strtok(NULL, " \t"))
            push(&cc, w);
        free(words);
        const char *base = strrchr(cc.v[0], '/');
        if (strcmp(base ? base + 1 : cc.v[0], "acc") == 0) { /* CC="acc cc" */
            cc.n = 0;
            push(&cc, "cc");
        }
    }

    /* Response files first, so that .acc inputs and options in them count. */
    Argv expanded = {0};
    for (int i = first; i < argc; i++)
        if (expand_arg(&expanded, argv[i], 0) < 0)
            return 2;
    argv = expanded.v;
    argc = expanded.n;
    first = 0;

    /* Read the arguments: inputs, and what acc and the depfile need. */
    Argv acc_flags = {0};
    AccInput *ins = xcalloc((size_t)argc + 1, sizeof *ins);
    int nins = 0, nfiles = 0;
    bool links = true, no_runtime = false, md = false, phony = false, user_only = false;
    Argv isystem = {0};
    const char *mf = NULL, *out = NULL;
    for (int i = first; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || a[1] == '\0') {
            if (a[0] != '@')
                nfiles++;
            if (has_suffix(a, ".acc"))
                ins[nins++].argi = i;
            if (has_suffix(a, "/libacc.a") || strcmp(a, "libacc.a") == 0 || strstr(a, "libacc.so"))
                no_runtime = true;
            continue;
        }
        const char *val = NULL; /* the argument of an option, joined or not */
        const char *name = a;
        if (takes_arg(a)) {
            if (i + 1 >= argc) {
                fprintf(stderr, "acc cc: error: %s needs an argument\n", a);
                return 2;
            }
            val = argv[++i];
        }
        static const char *const joined[] = {"-isystem", "-iquote", "-idirafter", "-include",
                                             "-I", "-D", "-U", "-o", "-MF", "-l", NULL};
        for (int j = 0; !val && joined[j]; j++)
            if (strncmp(a, joined[j], strlen(joined[j])) == 0 && a[strlen(joined[j])]) {
                name = joined[j];
                val = a + strlen(name);
            }
        if (!val) {
            if (strcmp(a, "-c") == 0 || strcmp(a, "-S") == 0 || strcmp(a, "-E") == 0 ||
                strcmp(a, "-M") == 0 || strcmp(a, "-MM") == 0 || strcmp(a, "-fsyntax-only") == 0)
                links = false;
            else if (strcmp(a, "-MD") == 0 || strcmp(a, "-MMD") == 0)
                md = true, user_only = a[2] == 'M';
            else if (strcmp(a, "-MP") == 0)
                phony = true;
            else if (strcmp(a, "-nostdlib") == 0 || strcmp(a, "-nodefaultlibs") == 0)
                no_runtime = true;
            else if (strncmp(a, "-std=", 5) == 0 || strcmp(a, "-Werror") == 0)
                push(&acc_flags, a);
            continue;
        }
        if (strcmp(name, "-o") == 0) {
            out = val;
        } else if (strcmp(name, "-MF") == 0) {
            mf = val;
        } else if (strcmp(name, "-l") == 0) {
            no_runtime |= strcmp(val, "acc") == 0;
        } else if (strcmp(name, "-I") == 0 || strcmp(name, "-iquote") == 0) {
            push(&acc_flags, "-I");
            push(&acc_flags, val);
        } else if (strcmp(name, "-isystem") == 0 || strcmp(name, "-idirafter") == 0) {
            push(&acc_flags, "-isystem");
            push(&acc_flags, val);
            push(&isystem, val);
        } else if (strcmp(name, "-D") == 0 || strcmp(name, "-U") == 0 ||
                   strcmp(name, "-include") == 0) {
            push(&acc_flags, name);
            push(&acc_flags, val);
        }
    }

    /* Translate each .acc input into <tmp>/<i>/NAME.c. */
    const char *tmpdir = getenv("TMPDIR");
    Buf tmp = {0};
    buf_printf(&tmp, "%s/acc-cc-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    if (nins && !mkdtemp(tmp.s)) {
        fprintf(stderr, "acc cc: error: cannot make a temporary directory: %s\n", strerror(errno));
        return 2;
    }
    char *acc_exe = self_exe();
    int rc = 0;
    for (int i = 0; i < nins && rc == 0; i++) {
        const char *src = argv[ins[i].argi];
        const char *base = strrchr(src, '/');
        base = base ? base + 1 : src;
        Buf dir = {0}, c = {0}, d = {0};
        buf_printf(&dir, "%s/%d", tmp.s, i);
        mkdir(dir.s, 0700);
        buf_printf(&c, "%s/%.*s.c", dir.s, (int)(strlen(base) - 4), base);
        buf_printf(&d, "%s/%s.d", dir.s, base);
        ins[i].c_file = c.s;
        ins[i].d_file = d.s;
        free(dir.s);

        Argv t = {0};
        push(&t, acc_exe);
        for (int k = 0; k < acc_flags.n; k++)
            push(&t, acc_flags.v[k]);
        push(&t, "-MD");
        push(&t, "-MF");
        push(&t, ins[i].d_file);
        push(&t, src);
        push(&t, "-o");
        push(&t, ins[i].c_file);
        rc = run_argv(t.v);
    }

    /* The compiler's command line. */
    char *prefix = self_prefix();
    if (rc == 0) {
        Argv c = {0};
        for (int k = 0; k < cc.n; k++)
            push(&c, cc.v[k]);
        for (int i = 0; i < nins; i++) {
            char *copy = xstrdup(argv[ins[i].argi]);
            char *dir = dirname(copy);
            bool seen = false;
            for (int k = 0; k < i && !seen; k++) {
                char *other = xstrdup(argv[ins[k].argi]);
                seen = strcmp(dirname(other), dir) == 0;
                free(other);
            }
            if (!seen) {
                push(&c, "-iquote");
                push(&c, dir);
            }
            free(copy);
        }
        int next = 0;
        for (int i = first; i < argc; i++) {
            if (next < nins && ins[next].argi == i)
                push(&c, ins[next++].c_file);
            else
                push(&c, argv[i]);
        }
        if (nfiles && prefix) {
            Buf inc = {0};
            buf_printf(&inc, "-I%s/include", prefix);
            push(&c, inc.s);
            free(inc.s);
        }
        if (nfiles && links && !no_runtime && prefix) {
            Buf lib = {0};
            buf_printf(&lib, "%s/%s/libacc.a", prefix, ACC_LIBDIR);
            if (access(lib.s, R_OK) != 0) {
                lib.len = 0;
                buf_printf(&lib, "%s/lib/libacc.a", prefix);
            }
            push(&c, lib.s);
            push(&c, "-lpthread");
#ifdef ACC_RUNTIME_LINK_FLAG
            push(&c, ACC_RUNTIME_LINK_FLAG);
#endif
            free(lib.s);
        }
        rc = run_argv(c.v);

        /* Where the compiler wrote dependencies, as gcc names them. */
        if (nins && (md || mf)) {
            Argv deps = {0};
            if (mf)
                push(&deps, mf);
            else if (out && !links)
                push(&deps, replace_suffix(out, ".d"));
            else
                for (int i = 0; i < nins; i++) {
                    char *copy = xstrdup(ins[i].c_file);
                    push(&deps, replace_suffix(basename(copy), ".d"));
                    free(copy);
                }
            for (int k = 0; rc == 0 && k < deps.n; k++)
                fix_depfile(deps.v[k], argv, ins, nins, phony, user_only, &isystem);
        }
    }

    for (int i = 0; i < nins; i++) {
        if (ins[i].c_file) {
            unlink(ins[i].c_file);
            unlink(ins[i].d_file);
            char *dir = xstrdup(ins[i].c_file);
            rmdir(dirname(dir));
            free(dir);
        }
    }
    if (nins)
        rmdir(tmp.s);
    return rc;
}
