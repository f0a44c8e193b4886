#!/usr/bin/env python3
"""mutate_acc.py [options] BUILD OUTDIR FIRST LAST: robustness fuzzing of
the translator against SPEC 1.3 and 3. For each seed in [FIRST, LAST], take
one of the .acc inputs of the tree (test/run, test/translate, examples:
all valid), mutate it at the token level (delete, duplicate or swap
tokens, insert await, async, brackets and separators, truncate, rename an
identifier to another of the file, copy a run of tokens elsewhere, add
preprocessor directives; or, to keep it valid more often, wrap an await
in parentheses, a cast, a comma or ?:, duplicate or swap lines), run
`acc MUTANT.acc -o OUT.c` and classify what happened:

  crash    killed by a signal, a sanitizer report, or an exit status
           other than 0, 1 or 2;
  hang     no answer in --timeout seconds;
  format   exit 1, but a line of stderr that says `error:` is not
           `FILE:LINE:COL: error: ...` (FILE the mutant's path as given,
           or a header it read), there is none, or OUT.c was left behind;
  status   exit 2 (usage or I/O error) for an input file that exists;
  wrong-c  exit 0, but clang rejects OUT.c, or gcc does while it accepts
           the mutant read as plain C (`async` and `await` defined away,
           __ACC__ defined so that acc.h declares what acc saw): wrong C;
  warn     exit 0 and gcc or clang -Wall -Wextra warn on OUT.c in a way
           (-W flag) they do not on the mutant as plain C. Reported, not
           counted as a failure unless --warn-fails: a warning can be the
           plain reading's (an await of an awaitable is an int, not a
           pointer), to be judged by hand.

Everything else (exit 1 with well-formed errors, exit 0 with C that
compiles) passes. Mutant SEED is a function of SEED and the list of inputs
only, so a run can be repeated. Prints one line per failure and, last,
`mutate_acc: N mutants (A accepted, R rejected), M failed (crash C, hang H,
format F, status S, wrong-c W), warn K`; exits 1 if any failed. A failing
mutant's files stay in OUTDIR/SEED (m.acc, out.c, acc.err, why.txt).

  --acc PATH       the acc to run (default BUILD/bin/acc; an acc built with
                   -fsanitize=address,undefined finds memory errors)
  --jobs N         mutants checked in parallel (default 1)
  --timeout S      seconds before a run of acc is a hang (default 20)
  --warn-fails     count `warn` as a failure
  --reduce SEED    shrink mutant SEED, token by token, to a smaller input
                   that fails the same way; writes OUTDIR/SEED/min.acc

More seeds by hand, with a sanitized acc:
  cmake -S . -B build-asan -DCMAKE_C_FLAGS=-fsanitize=address,undefined
  cmake --build build-asan --target acc
  python3 test/tools/mutate_acc.py --acc build-asan/bin/acc --jobs 2 build /tmp/m 1 5000
"""
import concurrent.futures
import os
import random
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
CORPUS_DIRS = ('test/run', 'test/translate', 'examples')

# ---- tokens ---------------------------------------------------------------

# A file is a list of (gap, token): the gap is the whitespace and comments
# before the token, kept so that a mutant keeps the layout (and the line
# structure of directives) of its original. The last gap has no token.
LEX = re.compile(r'''
    (?P<gap>(?:\s|\\\n|/\*.*?\*/|//[^\n]*)*)
    (?P<tok>
        (?:u8|[uUL])?"(?:\\.|[^"\\\n])*"
      | (?:u8|[uUL])?'(?:\\.|[^'\\\n])*'
      | \.?\d(?:[eEpP][+-]|[\w.])*
      | [^\W\d]\w*
      | \.\.\.|<<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||\#\#
      | [-+*/%&|^!=<>]=
      | .)?
''', re.S | re.X)


def tokenize(text):
    toks = []
    pos = 0
    while pos < len(text):
        m = LEX.match(text, pos)
        if m.end() == pos:
            break
        toks.append([m.group('gap'), m.group('tok') or ''])
        pos = m.end()
    if not toks or toks[-1][1]:
        toks.append(['', ''])
    return toks


def untokenize(toks):
    return ''.join(g + t for g, t in toks)


def is_ident(t):
    return re.fullmatch(r'[^\W\d]\w*', t) is not None


# ---- mutations ------------------------------------------------------------

INSERTS = ['await', 'async', '(', ')', '{', '}', ';', ',']
KEYWORDS = ['await', 'async', 'sizeof', '_Alignof', 'typeof', '__typeof__',
            '_Generic', 'alloca', 'setjmp', 'goto', 'return', 'static',
            'register', 'volatile', '_Thread_local', 'void', 'int', 'struct',
            'acc_run', 'acc_gather', 'acc_spawn', 'acc_wait_for', '...', '[',
            ']', '*', '&', '=', '?', ':', '0', '"s"', '__attribute__((unused))',
            'case 1:', 'default:', 'break', 'continue', 'L:', '#']


# Names the generated C relies on: a user's macro or poison of one of them
# changes acc's code as well as the user's (a known limit, docs/design.md),
# so the directives leave them alone.
RESERVED = set('''auto break case char const continue default do double else enum
    extern float for goto if inline int long register restrict return short
    signed sizeof static struct switch typedef union unsigned void volatile
    while _Alignas _Alignof _Bool _Noreturn _Static_assert _Thread_local NULL
    memcpy size_t resume caller state size await async'''.split())


def directives(r, idents):
    idents = [i for i in idents if i not in RESERVED and not i.lower().startswith('acc_')]
    a = r.choice(idents) if idents else 'x'
    b = r.choice(idents) if idents else 'y'
    return r.choice([
        '#define %s' % a, '#define %s %s' % (a, b), '#undef %s' % a,
        '#define await', '#define async', '#define await async',
        '#define %s await' % a, '#define %s(x) x' % a,
        '#define %s(...) __VA_ARGS__' % a, '#undef __ACC__',
        '#if 0', '#endif', '#else', '#ifdef %s' % a, '#elif 1',
        '#line 1 "other.acc"', '#line 0', '#line 4294967295', '#line %s' % a,
        '#pragma once', '#pragma GCC poison %s' % a, '#pragma pack(1)',
        '#pragma clang diagnostic error "-Wall"', '#include "no_such.h"',
        '#include <acc.h>', '#include "m.acc"', '#error boom', '#warning careful',
        '_Pragma("GCC diagnostic ignored \\"-Wall\\"")', '#', '#!',
    ])


def matching(toks, i):
    """The index of the bracket closing the one at toks[i], or None."""
    pairs = {'(': ')', '[': ']', '{': '}'}
    depth = 0
    for j in range(i, len(toks) - 1):
        if toks[j][1] == toks[i][1]:
            depth += 1
        elif toks[j][1] == pairs[toks[i][1]]:
            depth -= 1
            if depth == 0:
                return j
    return None


def line_starts(toks):
    """Indexes of the tokens first on their line (the gap has a newline)."""
    return [j for j in range(len(toks)) if '\n' in toks[j][0]] or [0]


def mutate_once(r, toks):
    """Apply one random mutation to toks (a list of [gap, token]) in place.
    Most mutations break the syntax (acc must say so); the `keep` ones
    often leave the program valid, so that acc translates it and its C
    can be checked."""
    n = len(toks) - 1  # real tokens; the last entry is the trailing gap
    idents = sorted({t for _, t in toks if is_ident(t)})
    kind = r.choice(['delete', 'delete', 'duplicate', 'swap', 'insert', 'insert',
                     'insert', 'truncate', 'rename', 'rename', 'keyword',
                     'copy', 'directive', 'directive', 'if0',
                     'keep', 'keep', 'keep', 'keep', 'keep', 'keep'])
    if n == 0:
        kind = 'insert'
    i = r.randrange(n) if n else 0
    if kind == 'delete':
        # the gaps stay (the lines do not move) and keep the neighbours apart
        toks[i + 1][0] = toks[i][0] + (toks[i + 1][0] or ' ')
        del toks[i]
    elif kind == 'duplicate':
        toks.insert(i + 1, [' ', toks[i][1]])
    elif kind == 'swap' and n > 1:
        i = min(i, n - 2)
        toks[i][1], toks[i + 1][1] = toks[i + 1][1], toks[i][1]
    elif kind == 'insert':
        toks.insert(r.randrange(n + 1), [' ', r.choice(INSERTS) + ' '])
    elif kind == 'truncate':
        del toks[i:-1]
    elif kind == 'rename' and idents:
        js = [j for j in range(n) if is_ident(toks[j][1])]
        if js:
            toks[r.choice(js)][1] = r.choice(idents)
    elif kind == 'keyword':
        if r.random() < 0.5:
            toks[i][1] = r.choice(KEYWORDS)
        else:
            toks.insert(i, [' ', r.choice(KEYWORDS) + ' '])
    elif kind == 'copy':
        length = r.randint(1, 12)
        run = [[' ', t] for _, t in toks[i:min(i + length, n)]]
        at = r.randrange(n + 1)
        toks[at:at] = run
    elif kind in ('directive', 'if0'):
        # directives go at the start of a line
        starts = line_starts(toks)
        j = r.choice(starts)
        if kind == 'if0':
            k = r.choice([s for s in starts if s > j] or [j])
            text = ['#if 0', '#endif'] if r.random() < 0.7 else ['#if 1', '#else']
            toks[k][0] = toks[k][0].rstrip(' \t') + text[1] + '\n'
            toks[j][0] = toks[j][0].rstrip(' \t') + text[0] + '\n'
        else:
            toks[j][0] = toks[j][0].rstrip(' \t') + directives(r, idents) + '\n'
    elif kind == 'keep':
        keep_valid(r, toks, idents)
    else:
        del toks[i]


def keep_valid(r, toks, idents):
    """A mutation that often keeps the program valid: around an await, a
    line, a number or a macro."""
    n = len(toks) - 1
    awaits = [j for j in range(n) if toks[j][1] == 'await']
    kind = r.choice(['wrap_await', 'wrap_await', 'wrap_await', 'drop_await', 'drop_async',
                     'dup_line', 'swap_lines', 'brace_line', 'number', 'yield',
                     'self_macro', 'wrap_ident'])
    if kind in ('wrap_await', 'drop_await') and awaits:
        j = r.choice(awaits)
        if kind == 'drop_await':
            toks[j][1] = ''
            return
        # the operand: a name, a call or a parenthesized expression after it
        k = j + 1
        while k < n and (is_ident(toks[k][1]) or toks[k][1] in ('&', '*', '.', '->')):
            k += 1
        if k < n and toks[k][1] == '(':
            k = matching(toks, k)
            if k is None:
                return
        else:
            k -= 1
        before, after = r.choice([('(', ')'), ('(0, ', ')'), ('(1 ? ', ' : 0)'),
                                  ('!!(', ')'), ('(int)(', ')'), ('(0 || ', ')'),
                                  ('(1 && ', ')'), ('((void)0, ', ')'),
                                  ('(', ' + 0)'), ('(await acc_yield(), ', ')')])
        toks[j][1] = before + toks[j][1]
        toks[k][1] = toks[k][1] + after
    elif kind == 'drop_async':
        js = [j for j in range(n) if toks[j][1] == 'async']
        if js:
            toks[r.choice(js)][1] = ''
    elif kind in ('dup_line', 'swap_lines', 'brace_line', 'yield'):
        starts = line_starts(toks)
        if len(starts) < 2:
            return
        a = r.randrange(len(starts) - 1)
        lo, hi = starts[a], starts[a + 1]
        if kind == 'dup_line':
            toks[hi:hi] = [list(t) for t in toks[lo:hi]]
        elif kind == 'swap_lines' and a + 2 < len(starts):
            hi2 = starts[a + 2]
            first, second = toks[lo:hi], toks[hi:hi2]
            toks[lo:hi2] = second + first
        elif kind == 'brace_line':
            toks[lo][1] = '{ ' + toks[lo][1]
            toks[hi - 1][1] = toks[hi - 1][1] + ' }'
        elif kind == 'yield':
            toks[lo][1] = r.choice(['await acc_yield(); ', '(void)await acc_yield(); ',
                                    'if (await acc_yield()) {} ', '{ int acc_t = await acc_yield(); (void)acc_t; } ',
                                    'while (0) await acc_yield(); ']) + toks[lo][1]
    elif kind == 'number':
        js = [j for j in range(n) if re.fullmatch(r'\d+', toks[j][1])]
        if js:
            toks[r.choice(js)][1] = r.choice(['0', '1', '2', '-1', '(0)', '0x7fffffff', '3u'])
    elif kind == 'self_macro' and idents:
        starts = line_starts(toks)
        j = r.choice(starts)
        a = r.choice(idents)  # `#define a a` changes nothing, even of RESERVED
        toks[j][0] = toks[j][0].rstrip(' \t') + r.choice(['#define %s %s' % (a, a),
                                                            '#define ACC_FUZZ_%s 1' % a,
                                                            '#if 1']) + '\n'
        if toks[j][0].endswith('#if 1\n'):
            k = r.choice([s for s in starts if s >= j])
            toks[k][0] = toks[k][0].rstrip(' \t') + '#endif\n'
    elif kind == 'wrap_ident':
        js = [j for j in range(n) if is_ident(toks[j][1])]
        if js:
            j = r.choice(js)
            toks[j][1] = '(' + toks[j][1] + ')'


def mutant(seed, corpus):
    """(original path, mutant text) of seed: the same for the same corpus."""
    r = random.Random(seed)
    path = r.choice(corpus)
    with open(path, encoding='utf-8', errors='surrogateescape') as f:
        toks = tokenize(f.read())
    count = 1 if r.random() < 0.6 else r.randint(2, 4)
    for _ in range(count):
        mutate_once(r, toks)
    return path, untokenize(toks)


# ---- running acc and the compilers ---------------------------------------

def run(cmd, timeout, cwd=None):
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout, cwd=cwd,
                           env=dict(os.environ, LC_ALL='C',
                                    ASAN_OPTIONS='detect_leaks=0:abort_on_error=0',
                                    UBSAN_OPTIONS='print_stacktrace=1'))
    except subprocess.TimeoutExpired:
        return None, '', ''
    return (p.returncode, p.stdout.decode('utf-8', 'replace'),
            p.stderr.decode('utf-8', 'replace'))


SANITIZER = re.compile(r'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer|'
                       r'AddressSanitizer:DEADLYSIGNAL|UndefinedBehaviorSanitizer')
ERROR_LINE = re.compile(r'^(.+?):(\d+):(\d+): error: ')
DIAGNOSTIC_LINE = re.compile(r'^(.+?):(\d+):(\d+): (error|warning|note): ')
WARNING_FLAG = re.compile(r'warning: .*\[(-W[\w=+-]+)', re.M)


class Checker:
    def __init__(self, build, acc, timeout):
        self.build, self.acc, self.timeout = build, acc, timeout
        self.include = os.path.join(build, 'include')
        self.compilers = [cc for cc in ('gcc', 'clang') if shutil.which(cc)]

    def acc_errors_ok(self, err, path):
        """None if every error line of stderr is FILE:LINE:COL: error: ..."""
        lines, after_diagnostic = [], False
        for l in err.splitlines():
            # the line after a diagnostic echoes the source, which may say error:
            if 'error:' in l and not after_diagnostic:
                lines.append(l)
            after_diagnostic = DIAGNOSTIC_LINE.match(l) is not None
        if not lines:
            return 'exit 1 without an error line'
        for l in lines:
            m = ERROR_LINE.match(l)
            if not m:
                return 'malformed error line: ' + l
            if m.group(1) != path and not os.path.isfile(m.group(1)):
                return 'error line names no file read: ' + l
        return None

    def cc(self, cc, args, timeout=60):
        return run([cc, '-std=gnu11', '-fsyntax-only', '-I', self.include] + args, timeout)

    def plain_c(self, cc, m_acc, orig_dir, warn):
        """The mutant as plain C: its (status, stderr) under cc."""
        return self.cc(cc, (['-Wall', '-Wextra'] if warn else []) +
                       ['-D__ACC__', '-Dasync=', '-Dawait=', '-iquote', orig_dir,
                        '-I', orig_dir, '-x', 'c', m_acc])

    def check(self, d, orig, text):
        """(class, detail) of one mutant in directory d; class None: passed."""
        m_acc, out_c = os.path.join(d, 'm.acc'), os.path.join(d, 'out.c')
        orig_dir = os.path.dirname(os.path.abspath(orig))
        with open(m_acc, 'w', encoding='utf-8', errors='surrogateescape') as f:
            f.write(text)
        if os.path.exists(out_c):
            os.remove(out_c)
        rc, _, err = run([self.acc, '-I', orig_dir, m_acc, '-o', out_c], self.timeout)
        with open(os.path.join(d, 'acc.err'), 'w') as f:
            f.write(err)
        if rc is None:
            return 'hang', 'no answer in %d s' % self.timeout
        san = SANITIZER.search(err)
        if san:
            line = next((l for l in err.splitlines() if SANITIZER.search(l)), '')
            frame = next((l.strip() for l in err.splitlines() if re.match(r'\s*#[0-9]+ .* in ', l)
                          and '/compiler/' in l), '')
            return 'crash', '%s %s' % (line.strip(), frame)
        if rc < 0 or rc not in (0, 1, 2):
            return 'crash', 'exit status %d' % rc
        if rc == 2:
            return 'status', 'exit 2: ' + err.strip()[:300]
        if rc == 1:
            if os.path.exists(out_c):
                return 'format', 'exit 1 left %s behind' % out_c
            why = self.acc_errors_ok(err, m_acc)
            return ('format', why) if why else (None, 'rejected')
        # exit 0: is the C right?
        if not os.path.exists(out_c):
            return 'format', 'exit 0 but no output file'
        if 'clang' in self.compilers:
            rc_c, _, err_c = self.cc('clang', ['-I', orig_dir, out_c])
            if rc_c != 0:
                return 'wrong-c', 'clang rejects the output: ' + first_error(err_c)
        if 'gcc' in self.compilers:
            rc_g, _, err_g = self.cc('gcc', ['-I', orig_dir, out_c])
            if rc_g != 0:
                rc_p, _, _ = self.plain_c('gcc', m_acc, orig_dir, False)
                if rc_p == 0:
                    return 'wrong-c', 'gcc rejects the output: ' + first_error(err_g)
        for cc in self.compilers:
            _, _, w_out = self.cc(cc, ['-Wall', '-Wextra', '-I', orig_dir, out_c])
            _, _, w_in = self.plain_c(cc, m_acc, orig_dir, True)
            new = sorted(set(WARNING_FLAG.findall(w_out)) - set(WARNING_FLAG.findall(w_in)))
            if new:
                return 'warn', '%s warns on the output (%s): %s' % (
                    cc, ' '.join(new), first_error(w_out, 'warning:'))
        return None, 'accepted'


def first_error(err, word='error:'):
    return next((l for l in err.splitlines() if word in l), err.strip()[:200])


def find_corpus():
    """The .acc files of CORPUS_DIRS, in a fixed order."""
    files = []
    for d in CORPUS_DIRS:
        root = os.path.join(SRC, d)
        files += sorted(os.path.join(root, f) for f in os.listdir(root) if f.endswith('.acc'))
    return files


# ---- reduction ------------------------------------------------------------

def signature(cls, detail):
    """What must stay the same while a failing mutant shrinks."""
    detail = re.sub(r'\S*m\.acc:\d+:\d+', 'm.acc', detail)
    detail = re.sub(r'\d+', 'N', detail)
    return cls, detail[:120]


def reduce(checker, d, orig, text):
    want = signature(*checker.check(d, orig, text))
    if want[0] is None:
        return text, want
    toks = tokenize(text)
    chunk = max(1, len(toks) // 2)
    while chunk >= 1:
        i = 0
        while i < len(toks) - 1:
            cand = toks[:i] + toks[i + chunk:] if i + chunk < len(toks) else toks[:i] + [['\n', '']]
            if signature(*checker.check(d, orig, untokenize(cand))) == want:
                toks = cand
            else:
                i += chunk
        chunk //= 2
    text = untokenize(toks)
    checker.check(d, orig, text)  # leave the files of the smallest behind
    return text, want


# ---- driver ---------------------------------------------------------------

def main():
    args = sys.argv[1:]
    opts = {'--acc': None, '--jobs': '1', '--timeout': '20', '--reduce': None}
    warn_fails = False
    while args and args[0].startswith('--'):
        if args[0] == '--warn-fails':
            warn_fails = True
            args = args[1:]
            continue
        if args[0] not in opts or len(args) < 2:
            sys.exit(__doc__)
        opts[args[0]] = args[1]
        args = args[2:]
    if len(args) != 4:
        sys.exit(__doc__)
    build, outdir, first, last = args[0], args[1], int(args[2]), int(args[3])
    acc = opts['--acc'] or os.path.join(build, 'bin', 'acc')
    checker = Checker(build, acc, int(opts['--timeout']))
    os.makedirs(outdir, exist_ok=True)
    corpus = find_corpus()

    if opts['--reduce']:
        seed = int(opts['--reduce'])
        d = os.path.join(outdir, str(seed))
        os.makedirs(d, exist_ok=True)
        orig, text = mutant(seed, corpus)
        small, why = reduce(checker, d, orig, text)
        with open(os.path.join(d, 'min.acc'), 'w', encoding='utf-8', errors='surrogateescape') as f:
            f.write(small)
        print('seed %d (%s): %s, reduced from %d to %d bytes: %s' % (
            seed, os.path.relpath(orig, SRC), why[0], len(text), len(small),
            os.path.join(d, 'min.acc')))
        return 0

    def one(seed):
        d = os.path.join(outdir, str(seed))
        os.makedirs(d, exist_ok=True)
        orig, text = mutant(seed, corpus)
        cls, detail = checker.check(d, orig, text)
        if cls is None:
            shutil.rmtree(d)
        else:
            with open(os.path.join(d, 'why.txt'), 'w') as f:
                f.write('%s (%s): %s\n' % (cls, os.path.relpath(orig, SRC), detail))
        return seed, orig, cls, detail

    counts = {c: 0 for c in ('crash', 'hang', 'format', 'status', 'wrong-c', 'warn')}
    accepted = rejected = 0
    with concurrent.futures.ThreadPoolExecutor(int(opts['--jobs'])) as pool:
        for seed, orig, cls, detail in pool.map(one, range(first, last + 1)):
            if cls is None:
                accepted += detail == 'accepted'
                rejected += detail == 'rejected'
                continue
            counts[cls] += 1
            print('seed %d: %s%s (%s): %s' % (
                seed, 'FAILED: ' if cls != 'warn' or warn_fails else '', cls,
                os.path.relpath(orig, SRC), detail), flush=True)
    failed = sum(v for k, v in counts.items() if k != 'warn' or warn_fails)
    total = last - first + 1
    print('mutate_acc: %d mutants of %d inputs (%d accepted, %d rejected), %d failed '
          '(crash %d, hang %d, format %d, status %d, wrong-c %d), warn %d' % (
              total, len(corpus), accepted + counts['warn'], rejected, failed, counts['crash'],
              counts['hang'], counts['format'], counts['status'], counts['wrong-c'],
              counts['warn']))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
