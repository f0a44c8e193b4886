/*
 * main.c: the acc command line.
 *
 *     acc [options] FILE.acc [-o OUT.c]     translate
 *     acc run [options] FILE.acc [-- ARGS]  translate, compile, run
 *     acc cc [COMPILER] ARGS...             a cc that takes .acc files (cc.c)
 *
 * The driver is the list of passes: parse, analyze, emit (which lowers),
 * then an atomic write. Analysis and emission go one top-level declaration
 * at a time, so that only one tree is alive. Exit status: 0 done, 1 errors
 * in the input, 2 usage or I/O errors.
 */
#include "compiler.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct Options {
    const char *input;
    const char *output;     /* NULL: FILE.c in the current directory; "-": stdout */
    const char **clang_args;/* -I -D -U -include -isystem -std */
    int nclang_args;
    bool no_line;
    bool syntax_only;
    bool md;
    const char *mf;
    const char **mt;        /* -MT targets, in order */
    int nmt;
    bool run;
    char **run_args;        /* after `--` */
    int nrun_args;
} Options;

static void usage(FILE *f)
{
    fputs("usage: acc [options] FILE.acc [-o OUT.c]\n"
          "       acc run [options] FILE.acc [-- ARGS...]\n"
          "       acc cc [COMPILER] CC-ARGS...\n"
          "\n"
          "Translate async-C (C11 with async functions and await) into plain C11.\n"
          "\n"
          "options:\n"
          "  -o FILE             write the C to FILE (default: FILE.c here; - for stdout)\n"
          "  -I DIR, -isystem DIR, -D NAME[=VAL], -U NAME, -include FILE, -std=STD\n"
          "                      as for cc, used while parsing\n"
          "  -MD                 also write a make-style dependency file\n"
          "  -MF FILE            name of the dependency file (default: OUT with .d)\n"
          "  -MT TARGET          a target of the dependency file (default: OUT; repeatable)\n"
          "  --no-line           omit #line directives\n"
          "  -fsyntax-only       check only; write nothing\n"
          "  -Werror             treat warnings as errors\n"
          "  --version           print the version\n"
          "  --help              print this help\n"
          "\n"
          "acc run translates FILE.acc, compiles it with $CC (default cc) and the\n"
          "runtime, runs it with ARGS and exits with its status.\n"
          "\n"
          "acc cc runs $CC (default cc, or COMPILER) with CC-ARGS, translating each\n"
          "FILE.acc among them first: make CC=\"acc cc\". See acc(1).\n",
          f);
}

static void die_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "acc: error: ");
    fprintf(stderr, fmt, arg);
    fputs("\n(see acc --help)\n", stderr);
    exit(2);
}

static void add_clang_arg(Options *o, const char *a)
{
    o->clang_args = xrealloc(o->clang_args, (size_t)(o->nclang_args + 1) * sizeof *o->clang_args);
    o->clang_args[o->nclang_args++] = a;
}

static void parse_args(Options *o, int argc, char **argv)
{
    int i = 1;
    if (argc > 1 && strcmp(argv[1], "run") == 0) {
        o->run = true;
        i = 2;
    }
    for (; i < argc; i++) {
        char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            if (!o->run)
                die_usage("'--' is only for acc run%s", "");
            o->run_args = argv + i + 1;
            o->nrun_args = argc - i - 1;
            break;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--version") == 0) {
            printf("acc %s (libclang %s)\n", ACC_VERSION, clang_getCString(clang_getClangVersion()));
            exit(0);
        }
        if (strcmp(a, "-o") == 0) {
            if (++i >= argc)
                die_usage("-o needs a file name%s", "");
            o->output = argv[i];
        } else if (strncmp(a, "-o", 2) == 0) {
            o->output = a + 2;
        } else if (strcmp(a, "-I") == 0 || strcmp(a, "-D") == 0 || strcmp(a, "-U") == 0 ||
                   strcmp(a, "-include") == 0 || strcmp(a, "-isystem") == 0) {
            if (i + 1 >= argc)
                die_usage("%s needs an argument", a);
            add_clang_arg(o, a);
            add_clang_arg(o, argv[++i]);
        } else if (strncmp(a, "-I", 2) == 0 || strncmp(a, "-D", 2) == 0 || strncmp(a, "-U", 2) == 0 ||
                   strncmp(a, "-std=", 5) == 0 || strncmp(a, "-include", 8) == 0 ||
                   strncmp(a, "-isystem", 8) == 0) { /* joined, as cc takes them too */
            add_clang_arg(o, a);
        } else if (strcmp(a, "--no-line") == 0) {
            o->no_line = true;
        } else if (strcmp(a, "-fsyntax-only") == 0) {
            o->syntax_only = true;
        } else if (strcmp(a, "-Werror") == 0) {
            warnings_are_errors = true;
        } else if (strcmp(a, "-MD") == 0) {
            o->md = true;
        } else if (strcmp(a, "-MF") == 0 || strcmp(a, "-MT") == 0) {
            if (i + 1 >= argc)
                die_usage("%s needs an argument", a);
            if (a[2] == 'F') {
                o->mf = argv[++i];
            } else {
                o->mt = xrealloc(o->mt, (size_t)(o->nmt + 1) * sizeof *o->mt);
                o->mt[o->nmt++] = argv[++i];
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            die_usage("unknown option '%s'", a);
        } else if (o->input) {
            die_usage("more than one input file ('%s')", a);
        } else {
            o->input = a;
        }
    }
    if (!o->input)
        die_usage("no input file%s", "");
    /* acc run writes its C into a directory of its own, and runs it */
    if (o->run && o->output)
        die_usage("acc run does not take -o%s", "");
    if (o->run && o->syntax_only)
        die_usage("acc run does not take -fsyntax-only (check with acc -fsyntax-only FILE.acc)%s", "");
}

/* FILE.acc -> FILE.c, in the current directory. */
static char *default_output(const char *input)
{
    const char *base = strrchr(input, '/');
    base = base ? base + 1 : input;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".acc") == 0)
        n -= 4;
    Buf b = {0};
    buf_put(&b, base, n);
    buf_puts(&b, ".c");
    return b.s;
}

/* Where the runtime's headers and library are: beside the acc binary, as
 * in an install prefix (bin/acc, include/acc.h, lib/libacc.a); the build
 * tree has the same layout. */
static char *prefix_dir(const char *sub)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = '\0';
    char *dir = dirname(exe); /* .../bin */
    Buf b = {0};
    buf_printf(&b, "%s/../%s", dir, sub);
    char *real = realpath(b.s, NULL);
    free(b.s);
    return real;
}

/* Is `path` written by replacing it (a regular file, or none yet)? "-" is
 * stdout, and a device or a pipe (/dev/null, /dev/stdout) is written,
 * never replaced. */
static bool replaced_whole(const char *path)
{
    struct stat st;
    return strcmp(path, "-") != 0 && !(stat(path, &st) == 0 && !S_ISREG(st.st_mode));
}

/* A new file is made as a temporary beside `path`, renamed over it when
 * complete, so that no reader ever sees half of it. Its descriptor, or
 * -1 with errno set; *tmp is its name. */
static int open_beside(const char *path, char **tmp)
{
    Buf b = {0};
    buf_printf(&b, "%s.tmpXXXXXX", path);
    int fd = mkstemp(b.s);
    if (fd < 0) {
        int saved = errno;
        free(b.s);
        errno = saved;
        return -1;
    }
    *tmp = b.s;
    return fd;
}

/* Write the rest of the temporary file and put it in place of `path`
 * (it is gone on failure); frees tmp. */
static int finish_beside(const char *path, char *tmp, int fd, const char *data, size_t len)
{
    int werr = write_all(fd, data, len);
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    int err = werr != 0 || close(fd) != 0;
    if (err || rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        free(tmp);
        errno = saved;
        return -1;
    }
    free(tmp);
    return 0;
}

static int write_atomic(const char *path, const char *data, size_t len)
{
    if (strcmp(path, "-") == 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout) != 0)
            return -1;
        return 0;
    }
    if (!replaced_whole(path)) {
        int fd = open(path, O_WRONLY);
        if (fd < 0)
            return -1;
        int r = write_all(fd, data, len);
        int saved = errno;
        close(fd);
        errno = saved;
        return r;
    }
    char *tmp;
    int fd = open_beside(path, &tmp);
    return fd < 0 ? -1 : finish_beside(path, tmp, fd, data, len);
}

/* The headers the input read, each once (clang reports one inclusion per
 * #include, so a header included twice comes twice). */
typedef struct Deps {
    char **names;
    int n;
} Deps;

static void visit_inclusion(CXFile f, CXSourceLocation *stack, unsigned n, CXClientData data)
{
    (void)stack;
    if (n == 0)
        return; /* the main file comes first, by itself */
    Deps *d = data;
    char *name = cx_str(clang_getFileName(f));
    bool seen = strstr(name, "acc_prelude.h") != NULL;
    for (int i = 0; i < d->n && !seen; i++)
        seen = strcmp(d->names[i], name) == 0;
    if (seen) {
        free(name);
        return;
    }
    d->names = xrealloc(d->names, (size_t)(d->n + 1) * sizeof *d->names);
    d->names[d->n++] = name;
}

/* The dependency file's name: -MF, else the output's with .c replaced by
 * .d (FILE.d for stdout). */
static char *depfile_name(const Options *o, const char *out)
{
    if (o->mf)
        return xstrdup(o->mf);
    char *def = strcmp(out, "-") == 0 ? default_output(o->input) : NULL;
    const char *base = def ? def : out;
    size_t n = strlen(base);
    Buf b = {0};
    buf_put(&b, base, n >= 2 && strcmp(base + n - 2, ".c") == 0 ? n - 2 : n);
    buf_puts(&b, ".d");
    free(def);
    return b.s;
}

/* The rule gcc writes: the targets (-MT as given, joined by spaces; else
 * the output, escaped), then the input and each header, escaped. */
static int write_depfile(Source *src, const Options *o, const char *out, const char *mf)
{
    Deps d = {0};
    clang_getInclusions(src->tu, visit_inclusion, &d);
    Buf text = {0};
    if (o->nmt == 0)
        buf_put_make_name(&text, out);
    for (int i = 0; i < o->nmt; i++)
        buf_printf(&text, "%s%s", i ? " " : "", o->mt[i]);
    buf_puts(&text, ": ");
    buf_put_make_name(&text, o->input);
    for (int i = 0; i < d.n; i++) {
        buf_puts(&text, " \\\n  ");
        buf_put_make_name(&text, d.names[i]);
        free(d.names[i]);
    }
    buf_puts(&text, "\n");
    int r = write_atomic(mf, text.s, text.len);
    if (r < 0)
        fprintf(stderr, "acc: error: cannot write '%s': %s\n", mf, strerror(errno));
    free(text.s), free(d.names);
    return r;
}

/* Whether writing `out` replaces `file`: the same regular file, or, when
 * neither exists yet, the same name in the same directory. Devices
 * (/dev/null) are written, never replaced, so they never clash. */
static bool replaces(const char *out, const char *file)
{
    struct stat so, sf;
    bool has_out = stat(out, &so) == 0, has_file = stat(file, &sf) == 0;
    if (has_out && has_file)
        return S_ISREG(so.st_mode) && so.st_dev == sf.st_dev && so.st_ino == sf.st_ino;
    if (has_out || has_file)
        return false;
    char *co = xstrdup(out), *cf = xstrdup(file);
    bool same = strcmp(basename(co), basename(cf)) == 0;
    free(co), free(cf);
    if (!same)
        return false;
    co = xstrdup(out), cf = xstrdup(file);
    same = stat(dirname(co), &so) == 0 && stat(dirname(cf), &sf) == 0 &&
           so.st_dev == sf.st_dev && so.st_ino == sf.st_ino;
    free(co), free(cf);
    return same;
}

/* gcc refuses to write over its input; so do we, for the C and for the
 * dependency file, and a dependency file that would replace the C is
 * refused too. Returns 0, or 2 after the message. */
static int check_outputs(const Options *o, const char *out, const char *mf)
{
    bool to_file = strcmp(out, "-") != 0;
    if (to_file && replaces(out, o->input))
        fprintf(stderr, "acc: error: input file '%s' is the same as output file\n", o->input);
    else if (mf && replaces(mf, o->input))
        fprintf(stderr, "acc: error: input file '%s' is the same as dependency file\n", o->input);
    else if (mf && to_file && replaces(mf, out))
        fprintf(stderr, "acc: error: dependency file '%s' is the same as output file\n", mf);
    else
        return 0;
    return 2;
}

/* The temporary file the C is streamed into (open_beside) until it
 * replaces the output: removed when acc exits without finishing it. */
static char *stream_tmp;

static void remove_stream_tmp(void)
{
    if (stream_tmp)
        unlink(stream_tmp);
}

/* The input had errors: the temporary goes now, not at exit (acc run
 * removes its directory before it exits). */
static int drop_stream_tmp(int fd)
{
    if (fd >= 0)
        close(fd);
    remove_stream_tmp();
    free(stream_tmp);
    stream_tmp = NULL;
    return 1;
}

/* Each declaration is lowered right after its analysis, while its tree
 * is at hand; a file with an analysis error anywhere is not lowered (what
 * was lowered before the error is dropped, diagnostics included). */
static void lower_top(Program *p, Node *top, void *data)
{
    (void)p;
    if (analysis_error_count())
        return;
    diag_set_lowering(true);
    emit_top(data, top);
    diag_set_lowering(false);
}

/* Translate; returns the exit status (0, 1 or 2). */
static int translate_file(const Options *o, const char *out, const char *mf)
{
    char *inc = prefix_dir("include");
    const char **args = xcalloc((size_t)o->nclang_args + 4, sizeof *args);
    int n = 0;
    bool has_std = false;
    for (int i = 0; i < o->nclang_args; i++) {
        args[n++] = o->clang_args[i];
        has_std |= strncmp(o->clang_args[i], "-std=", 5) == 0;
    }
    if (!has_std)
        args[n++] = "-std=gnu11";
    if (inc) {
        args[n++] = "-I";
        args[n++] = inc;
    }
    Source *src = parse_file(o->input, o->input, n, args);
    Program *p = analyze_begin(src);
    /* A file is written as the C is made, into its temporary; should the
     * temporary not be made, the write at the end says why. */
    int fd = -1;
    if (!o->syntax_only && !analysis_error_count() && replaced_whole(out)) {
        fd = open_beside(out, &stream_tmp);
        if (fd >= 0)
            atexit(remove_stream_tmp);
    }
    Emit *E = emit_begin(p, !o->no_line, strcmp(out, "-") == 0 ? "<stdout>" : out, fd);
    analyze_tops(p, lower_top, E);
    if (analysis_error_count())
        return drop_stream_tmp(fd);
    size_t len;
    int werr;
    char *text = emit_end(E, &len, &werr);
    if (error_count())
        return drop_stream_tmp(fd);
    if (o->syntax_only)
        return 0;
    /* the dependency file first: should it fail, no C is left either */
    if (mf && write_depfile(src, o, out, mf) < 0) {
        drop_stream_tmp(fd);
        return 2;
    }
    int r;
    if (fd < 0) {
        r = write_atomic(out, text, len);
    } else {
        char *tmp = stream_tmp;
        stream_tmp = NULL; /* finish_beside removes it on failure */
        r = werr ? -1 : finish_beside(out, tmp, fd, text, len);
        if (werr) {
            close(fd);
            unlink(tmp);
            free(tmp);
            errno = werr;
        }
    }
    if (r < 0) {
        fprintf(stderr, "acc: error: cannot write '%s': %s\n", out, strerror(errno));
        return 2;
    }
    free(text);
    free(inc);
    free(args);
    return 0;
}

static int translate(const Options *o, const char *out)
{
    char *mf = o->md && !o->syntax_only ? depfile_name(o, out) : NULL;
    int rc = o->syntax_only ? 0 : check_outputs(o, out, mf);
    if (rc == 0) {
        rc = translate_file(o, out, mf);
        diag_flush();
    }
    free(mf);
    return rc;
}

/* acc run's temporary files, and the process it waits for: a SIGTERM or
 * SIGHUP (`timeout`, a closed terminal) goes on to that process, and acc
 * cleans up once it has ended; one that comes with no process running
 * cleans up at once. Only async-signal-safe calls in the handler. */
static const char *run_dir, *run_c_file, *run_exe;
static volatile sig_atomic_t run_child;
static struct sigaction run_sigint; /* as acc found it: the children's */

static void remove_run_files(void)
{
    unlink(run_c_file);
    unlink(run_exe);
    rmdir(run_dir);
}

static void on_termination(int sig)
{
    if (run_child > 0) {
        kill((pid_t)run_child, sig);
        return;
    }
    remove_run_files();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void clean_up_on_termination(const char *dir, const char *c_file, const char *exe)
{
    run_dir = dir, run_c_file = c_file, run_exe = exe;
    struct sigaction sa = {.sa_handler = on_termination};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* Ctrl-C reaches the whole process group: the compiler or the program
     * gets it too, and acc cleans up when that one has ended */
    struct sigaction ignore = {.sa_handler = SIG_IGN};
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &ignore, &run_sigint);
}

/* Run argv[0] with argv, as the process that a termination signal goes
 * on to; its exit status, 128 + N for signal N, or 127 if it could not
 * be run. `path` names the program when argv[0] is only its name to it. */
static int spawn_wait(const char *path, char **argv)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 127;
    if (pid == 0) {
        sigaction(SIGINT, &run_sigint, NULL);
        execvp(path, argv);
        fprintf(stderr, "acc: error: cannot run '%s': %s\n", path, strerror(errno));
        _exit(127);
    }
    run_child = pid;
    int rc = wait_exit_status(pid);
    run_child = 0;
    return rc;
}

/* acc run: translate into a temporary directory, compile, run. */
static int run(Options *o)
{
    /* parse_file exits on an unreadable input: before the directory exists */
    if (access(o->input, R_OK) != 0) {
        fprintf(stderr, "acc: error: cannot read '%s': %s\n", o->input, strerror(errno));
        return 2;
    }
    /* -MD: the dependency file of the input goes where `acc FILE.acc -MD`
     * would write it (FILE.d here), not into the temporary directory */
    if (o->md) { /* both live as long as the process */
        char *c = default_output(o->input);
        if (!o->mf)
            o->mf = depfile_name(o, c);
        if (o->nmt == 0) { /* the rule's target: FILE.c, not the temporary copy */
            o->mt = xrealloc(o->mt, sizeof *o->mt);
            o->mt[o->nmt++] = c;
        } else {
            free(c);
        }
    }
    const char *tmp = getenv("TMPDIR");
    Buf dir_buf = {0};
    buf_printf(&dir_buf, "%s/acc-run-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char *dir = dir_buf.s; /* lives as long as the process */
    if (!mkdtemp(dir)) {
        fprintf(stderr, "acc: error: cannot make a temporary directory in '%s': %s\n",
                tmp && *tmp ? tmp : "/tmp", strerror(errno));
        return 2;
    }
    Buf c_file = {0}, exe = {0};
    char *base = default_output(o->input);
    buf_printf(&c_file, "%s/%s", dir, base);
    buf_printf(&exe, "%s/program", dir);
    clean_up_on_termination(dir, c_file.s, exe.s);
    int rc = translate(o, c_file.s);
    if (rc != 0) {
        remove_run_files();
        return rc;
    }

    char *inc = prefix_dir("include"), *lib = prefix_dir("lib");
    if (!inc || !lib) {
        fprintf(stderr, "acc: error: cannot find the runtime (include/ and lib/ beside the acc binary)\n");
        remove_run_files();
        return 2;
    }
    const char *cc = getenv("CC");
    char *cc_words = xstrdup(cc && *cc ? cc : "cc");
    char **argv = xcalloc((size_t)o->nclang_args + 64, sizeof *argv);
    int n = 0;
    for (char *w = strtok(cc_words, " \t"); w && n < 32; w = strtok(NULL, " \t"))
        argv[n++] = w;
    char *src_copy = xstrdup(o->input);
    Buf incflag = {0}, libpath = {0};
    buf_printf(&incflag, "-I%s", inc);
    buf_printf(&libpath, "%s/libacc.a", lib);
    /* `#include "x.h"` finds x.h beside the source, as acc did; <x.h> does not */
    argv[n++] = "-iquote";
    argv[n++] = dirname(src_copy);
    for (int i = 0; i < o->nclang_args; i++)
        if (strncmp(o->clang_args[i], "-std=", 5) != 0)
            argv[n++] = (char *)o->clang_args[i];
    argv[n++] = incflag.s;
    argv[n++] = "-o";
    argv[n++] = exe.s;
    argv[n++] = c_file.s;
    argv[n++] = libpath.s;
    argv[n++] = "-lpthread";
#ifdef ACC_RUNTIME_LINK_FLAG
    argv[n++] = ACC_RUNTIME_LINK_FLAG;
#endif
    argv[n] = NULL;
    rc = spawn_wait(argv[0], argv);
    if (rc != 0) {
        remove_run_files();
        if (rc == 127) /* no compiler to run: said above */
            return 2;
        if (rc > 128) /* stopped by a signal */
            return rc;
        /* the compiler's messages say what is wrong in the input */
        fprintf(stderr, "acc: error: compiling '%s' failed\n", o->input);
        return 1;
    }

    /* argv[0] is the source, as Python's sys.argv[0] is the script */
    char **pargv = xcalloc((size_t)o->nrun_args + 2, sizeof *pargv);
    pargv[0] = (char *)o->input;
    for (int i = 0; i < o->nrun_args; i++)
        pargv[i + 1] = o->run_args[i];
    rc = spawn_wait(exe.s, pargv);
    remove_run_files();
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "cc") == 0)
        return cc_main(argc - 2, argv + 2);
    Options o = {0};
    parse_args(&o, argc, argv);
    if (o.run)
        return run(&o);
    char *out = o.output ? xstrdup(o.output) : default_output(o.input);
    return translate(&o, out);
}
