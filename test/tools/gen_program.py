#!/usr/bin/env python3
"""gen_program.py SEED OUT.acc TWIN.c: a random async-C program and
its plain-C twin, for differential testing of the translator.

The program is a chain of async functions over `unsigned` values (no
undefined behaviour: arithmetic wraps, shifts are masked, divisors are
odd), with awaits of the lower functions in every kind of expression
position (call arguments, conditions, subscripts, compound literals,
&&, ||, ?:, the comma operator, loop increments, return) and statements
of every kind around them (nested loops with break and continue, do
while, switch with fallthrough, goto, arrays, structs, pointers to
locals, shadowed names), plus suspensions (`await acc_yield()`), a
bounded recursion, and children run as tasks (acc_gather, acc_spawn and
acc_join). The twin is the same text with `async` and `await`
removed, acc_yield() a plain function returning 0 and tasks plain calls
made in the order written (TWIN_PRELUDE): a C compiler's
meaning of the program. Functions are pure (values only) but for a count
of calls, so both must print the same lines whatever order C leaves
unspecified, and the same count if &&, || and ?: skip what they must.
"""
import random
import sys


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.label = 0

    def pick(self, *xs):
        return self.r.choice(xs)

    def chance(self, p):
        return self.r.random() < p

    # ---- expressions ------------------------------------------------------

    def atom(self, fn):
        r = self.r.random()
        if r < 0.35:
            return self.pick(*fn['vars'])
        if r < 0.5:
            return str(self.r.randint(0, 9)) + 'u'
        if r < 0.65:
            return 'arr[(%s) & 3u]' % self.pick(*fn['vars'])
        if r < 0.8:
            return self.pick('s.m', 's.n', 'p->m', '*q')
        return self.pick(*fn['params'])

    def call(self, fn, depth):
        if not fn['callees'] or not fn['calls_left']:
            return self.expr(fn, depth + 1, calls=False)
        fn['calls_left'] -= 1
        if self.chance(0.15):  # a struct result
            return '(await mk(%s, %s)).%s' % (self.expr(fn, depth + 1), self.expr(fn, depth + 1), self.pick('m', 'n'))
        # inside loops only f0 (which calls nothing): the run time stays small
        callee = 'f0' if fn['loops'] else self.pick(*fn['callees'])
        return 'await %s(%s, %s)' % (callee, self.expr(fn, depth + 1), self.expr(fn, depth + 1))

    def expr(self, fn, depth=0, calls=True):
        if depth > 3 or self.chance(0.3):
            return self.atom(fn)
        r = self.r.random()
        e = lambda: self.expr(fn, depth + 1, calls)
        if calls and r < 0.22:
            return self.call(fn, depth)
        if r < 0.45:
            return '(%s %s %s)' % (e(), self.pick('+', '-', '*', '^', '&', '|'), e())
        if r < 0.52:
            return '(%s << (%s & 7u))' % (e(), e())
        if r < 0.57:
            return '(%s / (%s | 1u))' % (e(), e())
        if r < 0.65:
            return '(%s %s %s)' % (e(), self.pick('<', '>', '==', '!=', '<=', '>='), e())
        if r < 0.72:
            return '(%s %s %s)' % (e(), self.pick('&&', '||'), e())
        if r < 0.79:
            return '(%s ? %s : %s)' % (e(), e(), e())
        if r < 0.84:
            return '(%s, %s)' % (e(), e())
        if r < 0.89:
            return '((struct S){%s, %s}).%s' % (e(), e(), self.pick('m', 'n'))
        if r < 0.93:
            return '(unsigned)!%s' % e()
        if r < 0.97:
            return '(~%s)' % e()
        return '(unsigned)(await acc_yield() == 0)'

    # ---- statements -------------------------------------------------------

    def concurrent(self, fn, ind):
        """Children that run as tasks (acc_gather, or acc_spawn and
        acc_join), their results stored by `lvalue = call`."""
        calls = ['%s(%s, %s)' % (self.pick(*[c for c in fn['callees'] if c != 'op']),
                                 self.expr(fn, calls=False), self.expr(fn, calls=False))
                 for _ in range(self.r.randint(2, 3))]
        names = ['g%d' % k for k in range(len(calls))]
        s = '%s{\n%s    unsigned %s;\n' % (ind, ind, ', '.join(n + ' = 0' for n in names))
        if self.chance(0.5):
            s += '%s    x1 ^= (unsigned)await acc_gather(%s);\n' % (
                ind, ', '.join('%s = %s' % nc for nc in zip(names, calls)))
        else:
            s += '%s    acc_task *tk[%d];\n' % (ind, len(calls))
            for k, nc in enumerate(zip(names, calls)):
                s += '%s    tk[%d] = acc_spawn(%s = %s);\n' % ((ind, k) + nc)
            s += '%s    (void)await acc_yield();\n' % ind
            for k in range(len(calls)):
                s += '%s    x1 ^= (unsigned)await acc_join(tk[%d]);\n' % (ind, k)
        s += '%s    x0 += %s;\n%s}\n' % (ind, ' + '.join('%du * %s' % (k + 1, n) for k, n in enumerate(names)), ind)
        return s

    def lvalue(self, fn):
        return self.pick(self.pick(*fn['vars']), 'arr[(%s) & 3u]' % self.pick(*fn['vars']),
                         's.m', 's.n', 'p->n', '*q')

    def block(self, fn, depth, n, in_loop):
        return ''.join(self.stmt(fn, depth, in_loop) for _ in range(n))

    def stmt(self, fn, depth, in_loop):
        r = self.r.random()
        loop = 0.47 <= r < 0.72
        fn['loops'] += loop
        s = self.stmt_of(fn, depth, in_loop, r)
        fn['loops'] -= loop
        return s

    def stmt_of(self, fn, depth, in_loop, r):
        ind = '    ' * (depth + 1)
        if depth == 0 and fn['loops'] == 0 and fn['callees'] and self.chance(0.15):
            return self.concurrent(fn, ind)
        if depth <= 2 and fn['loops'] == 0 and self.chance(0.05):
            # a loop made of a label and a goto back, across awaits
            self.label += 1
            l = 'again%d' % self.label
            return ('%s{\n%s    unsigned g = 0;\n%s:\n%s%s    if (++g < 2u && (%s))\n%s        goto %s;\n%s}\n'
                    % (ind, ind, ind + l, self.block(fn, depth + 1, 1, in_loop), ind,
                       self.expr(fn, calls=False), ind, l, ind))
        if depth > 2 or r < 0.35:
            op = self.pick('=', '+=', '^=', '-=', '|=')
            return '%s%s %s %s;\n' % (ind, self.lvalue(fn), op, self.expr(fn))
        if r < 0.47:
            s = '%sif (%s) {\n%s%s}' % (ind, self.expr(fn), self.block(fn, depth + 1, 2, in_loop), ind)
            if self.chance(0.5):
                s += ' else {\n%s%s}' % (self.block(fn, depth + 1, 1, in_loop), ind)
            return s + '\n'
        if r < 0.57:
            v = 'i%d' % depth
            inc = self.pick('%s++' % v, '%s += 1u + 0u * (%s)' % (v, self.expr(fn)))
            body = self.block(fn, depth + 1, 2, True)
            if self.chance(0.4):
                body += '%s    if (%s) %s;\n' % (ind, self.expr(fn), self.pick('break', 'continue'))
            cond = '%s < %du' % (v, self.r.randint(1, 3))
            if self.chance(0.4):
                cond += ' && (%s)' % self.expr(fn)
            return '%sfor (unsigned %s = 0; %s; %s) {\n%s%s}\n' % (ind, v, cond, inc, body, ind)
        if r < 0.65:
            v = 'w%d' % depth
            return ('%s{\n%s    unsigned %s = 0;\n%s    while (%s < 3u && (%s)) {\n%s        %s++;\n%s%s    }\n%s}\n'
                    % (ind, ind, v, ind, v, self.expr(fn), ind, v, self.block(fn, depth + 2, 1, True), ind, ind))
        if r < 0.72:
            v = 'd%d' % depth
            return ('%s{\n%s    unsigned %s = 0;\n%s    do {\n%s%s        %s++;\n%s    } while (%s < 2u && (%s));\n%s}\n'
                    % (ind, ind, v, ind, self.block(fn, depth + 2, 1, True), ind, v, ind, v, self.expr(fn), ind))
        if r < 0.80:
            cases = ''
            for k in range(3):
                cases += '%scase %du:\n%s' % (ind, k, self.block(fn, depth + 1, 1, in_loop))
                if self.chance(0.5):
                    cases += '%s    break;\n' % ind
            cases += '%sdefault:\n%s' % (ind, self.block(fn, depth + 1, 1, in_loop))
            return '%sswitch ((%s) & 3u) {\n%s%s}\n' % (ind, self.expr(fn), cases, ind)
        if r < 0.85:
            self.label += 1
            l = 'skip%d' % self.label
            return '%sif (%s)\n%s    goto %s;\n%s%s:;\n' % (ind, self.expr(fn), ind, l, self.stmt(fn, depth + 1, in_loop), ind + l)
        if r < 0.90:
            # a shadowing block: the new name's initializer cannot see it
            v = self.pick('x0', 'x1', 'x2')
            outer = dict(fn, vars=[x for x in fn['vars'] if x != v])
            return ('%s{\n%s    unsigned %s = %s;\n%s%s    arr[%s & 3u] ^= %s;\n%s}\n'
                    % (ind, ind, v, self.expr(outer), self.block(fn, depth + 1, 1, in_loop), ind, v, v, ind))
        if r < 0.95:
            return '%s(void)await acc_yield();\n' % ind
        return '%sx0 = %s;\n' % (ind, self.expr(fn))

    # ---- functions and program --------------------------------------------

    def function(self, i):
        fn = {'vars': ['x0', 'x1', 'x2'], 'params': ['a', 'b'],
              'callees': ['f%d' % j for j in range(i)], 'calls_left': 4, 'loops': 0}
        body = '    unsigned x0 = a, x1 = b, x2 = a ^ 0x5a5au;\n    calls++;\n'
        if i > 0:  # a pointer to an async function, chosen at run time
            body += '    async unsigned (*op)(unsigned, unsigned) = (a & 2u) ? f0 : f%d;\n' % (i - 1)
            fn['callees'].append('op')
        body += '    unsigned arr[4] = {a, b, 3u, 7u};\n'
        body += '    struct S s = {b, a};\n'
        body += '    struct S *p = &s;\n    unsigned *q = &arr[%du];\n' % self.r.randint(0, 3)
        # initializers that await, over what is declared above
        body += '    unsigned x3 = %s;\n' % self.expr(fn)
        body += '    struct S t = {%s, %s};\n' % (self.expr(fn), self.expr(fn))
        body += '    unsigned brr[2] = {%s, %s};\n' % (self.expr(fn), self.expr(fn))
        fn['vars'] += ['x3', 't.m', 'brr[1]']
        body += self.block(fn, 0, self.r.randint(3, 6), False)
        if i > 0 and self.chance(0.5):
            body += '    if (a & 1u)\n        return %s;\n' % self.expr(fn)
        body += ('    return x0 + 3u * x1 + 5u * x2 + 11u * x3 + arr[0] + arr[1] * 7u + arr[2] + arr[3] +'
                 ' s.m + s.n + t.m + 13u * t.n + brr[0] + brr[1];\n')
        return 'static async unsigned f%d(unsigned a, unsigned b)\n{\n%s}\n\n' % (i, body)

    def program(self):
        n = self.r.randint(3, 5)
        out = ['#include <stdio.h>\n', '@PRELUDE@\n',
               'struct S {\n    unsigned m, n;\n};\n\n',
               '/* calls made: && || ?: must skip exactly what C skips */\n',
               'static unsigned long calls;\n\n',
               'static async struct S mk(unsigned a, unsigned b)\n{\n'
               '    (void)await acc_yield();\n    return (struct S){a ^ b, a + b};\n}\n\n',
               # a bounded recursion through an await
               'static async unsigned rec(unsigned k, unsigned acc)\n{\n'
               '    if (k == 0)\n        return acc;\n'
               '    if (k % 3u == 0)\n        (void)await acc_yield();\n'
               '    return await rec(k - 1, acc * 33u + k);\n}\n\n']
        for i in range(n):
            out.append(self.function(i))
        out.append('async int main(void)\n{\n    unsigned r = await rec(%du, 1u);\n' % self.r.randint(1, 40))
        out.append('    printf("rec %u\\n", r);\n')
        out.append('    for (unsigned i = 0; i < 3u; i++) {\n')
        out.append('        r = r * 31u + await f%d(i, r);\n' % (n - 1))
        out.append('        printf("%u %u\\n", i, r);\n    }\n')
        out.append('    printf("calls %lu\\n", calls);\n    return 0;\n}\n')
        return ''.join(out)


# What the twin has for acc.h: a yield that does nothing, and tasks that
# run at once, in the order written.
TWIN_PRELUDE = '''typedef struct acc_task acc_task;
static int acc_yield(void) { return 0; }
#define acc_gather(...) ((void)(__VA_ARGS__), 0)
#define acc_spawn(call) ((void)(call), (acc_task *)0)
static int acc_join(acc_task *t) { (void)t; return 0; }'''


def main():
    seed, acc_path, twin_path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    text = Gen(seed).program()
    with open(acc_path, 'w') as f:
        f.write('/* generated by gen_program.py, seed %d */\n' % seed)
        f.write(text.replace('@PRELUDE@', '#include <acc.h>'))
    twin = text.replace('async ', '').replace('await ', '')
    with open(twin_path, 'w') as f:
        f.write('/* the plain-C twin of seed %d */\n' % seed)
        f.write(twin.replace('@PRELUDE@', TWIN_PRELUDE))


if __name__ == '__main__':
    main()
