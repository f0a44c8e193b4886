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
acc_join, acc_wait_for).

Wider: locals of other types kept across awaits (char, short, long long,
double, float, _Bool, bit-fields, a union, a struct holding an array and
a struct, const, volatile and static ones), each kept in a range where
nothing overflows; leaf async functions returning those types and
structs; pointers to async functions in arrays and structs; a recursion
with several parameters; compound assignments whose left side has a side
effect, assignment chains that convert, assignments inside expressions
(through scratch variables, each read only next to its assignment);
designated and nested initializers; compound literals kept across awaits
in loops; and statements: switch in loops with break and continue,
Duff's device, goto into and out of loops, for declarations and sibling
blocks reusing names, early returns from nested loops.

The twin is the same text with `async` and `await` removed, acc_yield()
a plain function returning 0 and tasks plain calls made in the order
written (TWIN_PRELUDE): a C compiler's meaning of the program. Functions
are pure (values only) but for a count of calls and static sums, which
only add, so both must print the same lines whatever order C leaves
unspecified and whatever order tasks interleave in, and the same count
if &&, || and ?: skip what they must. Nothing the program reads is
written by an await or a task it does not wait for, and no object is
written twice, or written and read, without a sequence point between.
"""
import random
import re
import sys

ASSIGN_OPS = ('+=', '-=', '*=', '^=', '|=', '&=')

# Locals of other types than unsigned: the declaration (from unsigned
# expressions {E}), unsigned expressions that read it, and statements that
# update it. The comment says the range each keeps, so that nothing
# overflows, shifts a negative value or converts out of range.
TYPED = {
    # wraps on conversion (defined); promoted to int in arithmetic
    'uc': ('unsigned char uc = {E};',
           ['(unsigned)uc', '(unsigned)(uc * uc - 300)', '(unsigned)(uc << 7)'],
           ['uc {op} {E};', 'uc++;', '--uc;', 'uc <<= ({E}) & 7u;']),
    # [-32, 31]
    'sc': ('signed char sc = (signed char)((int)(({E}) & 63u) - 32);',
           ['(unsigned)sc', '(unsigned)(sc * sc)', '(unsigned)(sc / 3 + sc % 5)'],
           ['sc = (signed char)((int)(({E}) & 63u) - 32);', 'sc |= (signed char)(({E}) & 15u);', 'sc /= 2;']),
    # about [-9000, 17000]: sh * sh fits an int
    'sh': ('short sh = (short)((int)(({E}) & 0x3fffu) - 8000);',
           ['(unsigned)sh', '(unsigned)(sh * sh)', '(unsigned)(sh / 7 - sh % 10)'],
           ['sh = (short)((int)(({E}) & 0x3fffu) - 8000);', 'sh &= (short)(({E}) & 0x3fffu);',
            'sh |= (short)(({E}) & 255u);', 'sh++;', 'sh--;', 'sh /= 3;']),
    # |ll| < 2^45
    'll': ('long long ll = (long long)({E}) - 2147483648LL;',
           ['(unsigned)ll', '(unsigned)(ll / 1000)', '(unsigned)(ll < 0)', '(unsigned)(ll * 3 % 1000003)'],
           ['ll = ll % 1000000 * 1000 + (long long)({E});', 'll -= (long long)({E});', 'll += {E};',
            'll /= 7;', '++ll;']),
    'ull': ('unsigned long long ull = {E};',
            ['(unsigned)ull', '(unsigned)(ull >> 32)', '(unsigned)(ull % 1000u)'],
            ['ull = ull * 0x9e3779b97f4a7c15ull + ({E});', 'ull {op} {E};', 'ull >>= ({E}) & 31u;',
             'ull <<= ({E}) & 31u;', 'ull--;']),
    # [0, 4000)
    'dd': ('double dd = (double)(({E}) & 1023u) * 0.5;',
           ['(unsigned)dd', '(unsigned)(dd * 4.0)', '(unsigned)(dd < 300.0)'],
           ['dd = dd * 0.5 + (double)(({E}) & 1023u);', 'dd *= 0.75;', 'dd += 0.25;', 'dd++;',
            'dd = await fd(dd, {E});']),
    # [0, 1500)
    'fl': ('float fl = (float)(({E}) & 255u) * 0.25f;',
           ['(unsigned)fl', '(unsigned)(fl * 8.0f)', '(unsigned)(fl + 0.5)'],
           ['fl = fl * 0.25f + (float)(({E}) & 255u);', 'fl *= 0.5f;', 'fl++;', 'fl = await ff(fl, {E});']),
    'bb': ('_Bool bb = {E};',
           ['(unsigned)bb', '(bb ? 7u : 3u)', '(unsigned)(bb + bb)'],
           ['bb = {E};', 'bb ^= {E};', 'bb += {E};', 'bb = !bb;', 'bb++;', 'bb--;', 'bb &= {E};']),
    # unsigned bit-fields wrap on conversion; they promote to int
    'bf': ('struct B bf = {{E}, {E}, {E}};',
           ['(unsigned)bf.lo', '(unsigned)(bf.mid * bf.hi)', '(unsigned)(bf.lo - bf.mid)', 'bf.hi * 3u'],
           ['bf.lo {op} {E};', 'bf.mid {op} {E};', 'bf.mid++;', '--bf.hi;', 'bf.hi = {E};',
            'bf.lo <<= ({E}) & 7u;']),
    'un': ('union U un = {{E}};',
           ['un.u', '(unsigned)un.c[1]', '(unsigned)un.c[3]'],
           ['un.c[({E}) & 3u] ^= (unsigned char)({E});', 'un.u += {E};', 'un = await fun({E});']),
    'cst': ('const unsigned cst = {E};', ['cst'], []),
    'cs': ('const struct S cs = {{E}, {E}};', ['cs.m', 'cs.n'], []),
    # read once, where nothing else touches it
    'vol': ('volatile unsigned vol = {E};', [],
            ['vol += {E};', 'vol = {E};', 'x0 ^= vol;']),
}

# Ways to initialize a struct N {unsigned v[3]; struct S s;}: nested
# braces, designators (no member named twice), brace elision, a compound
# literal.
N_INITS = ('{{{E}, {E}, {E}}, {{E}, {E}}}',
           '{.s = {.n = {E}}, .v = {[2] = {E}, [0] = {E}}}',
           '{.s.m = {E}, .v[1] = {E}, {E}}',
           '{{E}, {E}, {E}, {E}}',
           '(struct N){{{E}, {E}}, {{E}}}')


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.label = 0
        self.scratch = 0

    def pick(self, *xs):
        return self.r.choice(xs)

    def chance(self, p):
        return self.r.random() < p

    def fill(self, template, fn, calls=True):
        """The template with each {E} a new unsigned expression and each
        {op} a compound assignment operator."""
        s = re.sub(r'\{op\}', lambda m: self.pick(*ASSIGN_OPS), template)
        return re.sub(r'\{E\}', lambda m: self.expr(fn, 1, calls), s)

    def new_label(self, stem):
        self.label += 1
        return '%s%d' % (stem, self.label)

    # ---- expressions ------------------------------------------------------

    def atom(self, fn):
        r = self.r.random()
        if r < 0.3:
            return self.pick(*fn['vars'])
        if r < 0.42:
            return str(self.r.randint(0, 9)) + 'u'
        if r < 0.54:
            return 'arr[(%s) & 3u]' % self.pick(*fn['vars'])
        if r < 0.66:
            return self.pick('s.m', 's.n', 'p->m', '*q', 'sa[1].n')
        if r < 0.85 and fn['reads']:
            return self.pick(*fn['reads'])
        if r < 0.9:
            return '(unsigned)tab[(%s) & 7u]' % self.pick(*fn['vars'])
        return self.pick(*fn['params'])

    def call(self, fn, depth):
        if self.chance(0.4) and fn['leaves_left']:
            fn['leaves_left'] -= 1
            return self.leaf_call(fn, depth)
        if not fn['callees'] or not fn['calls_left']:
            return self.expr(fn, depth + 1, calls=False)
        fn['calls_left'] -= 1
        e = lambda: self.expr(fn, depth + 1)
        if self.chance(0.15):  # a struct result
            return self.pick('(await mk(%s, %s)).%s' % (e(), e(), self.pick('m', 'n')),
                             '(%s ? await mk(%s, %s) : s).%s' % (e(), e(), e(), self.pick('m', 'n')),
                             '(%s ? *p : await mk(%s, %s)).%s' % (e(), e(), e(), self.pick('m', 'n')))
        if not fn['loops'] and self.chance(0.2):
            # through a table or a struct of pointers to async functions
            return self.pick('await fns[(%s) & 1u](%s, %s)' % (e(), e(), e()),
                             'await ops.fn(%s, %s)' % (e(), e()),
                             'await (*po->fn)(%s, %s)' % (e(), e()))
        if not fn['loops'] and self.chance(0.1):
            return 'await walk(%du, (unsigned char)(%s), %s, (struct S){%s, %s})' % (
                self.r.randint(0, 5), e(), self.double_arg(fn), e(), e())
        # inside loops only f0 (which calls nothing): the run time stays small
        callee = 'f0' if fn['loops'] else self.pick(*fn['callees'])
        return 'await %s(%s, %s)' % (callee, e(), e())

    def double_arg(self, fn):
        """A double in [0, 4000)."""
        if 'dd' in fn['typed'] and self.chance(0.5):
            return 'dd'
        return self.pick('0.5', '(double)((%s) & 511u)' % self.expr(fn, 3))

    def leaf_call(self, fn, depth):
        """An await of a leaf async function of another type than unsigned,
        converted to unsigned."""
        e = lambda: self.expr(fn, depth + 1)
        return self.pick(
            '(unsigned)await fuc(%s)' % e(),
            '(unsigned)(await fuc(%s) * 3)' % e(),
            '(unsigned)await fb(%s)' % e(),
            '(unsigned)(await fsh(%s) - 5)' % e(),
            '(unsigned)(await fll(%s) / 3)' % e(),
            '(unsigned)(await fd(%s, %s) * 2.0)' % (self.double_arg(fn), e()),
            '(unsigned)await ff(%s, %s)' % ('fl' if 'fl' in fn['typed'] else '1.5f', e()),
            '(await mkn(%s, %s)).v[(%s) %% 3u]' % (e(), e(), e()),
            '(await mkn(%s, %s)).s.n' % (e(), e()),
            '(unsigned)(await fun(%s)).c[(%s) & 3u]' % (e(), e()))

    def scratch_expr(self, fn, depth, calls, yields):
        """An assignment inside an expression, to a scratch variable that is
        read only right after it (a comma, a sequence point, between)."""
        y = 'y%d' % self.scratch
        self.scratch += 1
        e = lambda: self.expr(fn, depth + 1, calls, yields)
        if calls and self.chance(0.4):
            return self.pick('(%s = %s, (unsigned)await fuc(%s ^ %s))' % (y, e(), y, e()),
                             '(%s = (unsigned)await fb(%s), %s * 3u + 1u)' % (y, e(), y))
        return self.pick('(%s = %s, %s * 3u + 1u)' % (y, e(), y),
                         '((%s) ? (%s = %s) : (%s = %s ^ 1u), %s + 1u)' % (e(), y, e(), y, e(), y))

    def expr(self, fn, depth=0, calls=True, yields=True):
        if depth > 3 or self.chance(0.3):
            return self.atom(fn)
        r = self.r.random()
        e = lambda: self.expr(fn, depth + 1, calls, yields)
        if calls and r < 0.22:
            return self.call(fn, depth)
        if r < 0.45:
            return '(%s %s %s)' % (e(), self.pick('+', '-', '*', '^', '&', '|'), e())
        if r < 0.52:
            return '(%s << (%s & 7u))' % (e(), e())
        if r < 0.57:
            return '(%s / (%s | 1u))' % (e(), e())
        # comparisons and && || give an int: as unsigned, ~ stays unsigned
        if r < 0.65:
            return '(unsigned)(%s %s %s)' % (e(), self.pick('<', '>', '==', '!=', '<=', '>='), e())
        if r < 0.72:
            return '(unsigned)(%s %s %s)' % (e(), self.pick('&&', '||'), e())
        if r < 0.79:
            return '(%s ? %s : %s)' % (e(), e(), e())
        if r < 0.83:
            return '(%s, %s)' % (e(), e())
        if r < 0.87:
            return '((struct S){%s, %s}).%s' % (e(), e(), self.pick('m', 'n'))
        if r < 0.9:
            return '(unsigned)!%s' % e()
        if r < 0.93:
            return '(~%s)' % e()
        if r < 0.97 or not yields:
            return self.scratch_expr(fn, depth, calls, yields)
        return '(unsigned)(await acc_yield() == 0)'

    # ---- statements -------------------------------------------------------

    def concurrent(self, fn, ind):
        """Children that run as tasks (acc_gather, acc_spawn and acc_join,
        acc_wait_for), their results stored by `lvalue = call` into
        lvalues of several kinds and types, each child its own, that no
        argument reads (the twin stores one before the next child's
        arguments are evaluated)."""
        n = self.r.randint(2, 3)
        targets = self.r.sample(['g0', 'g1', 'gc', 'gd', 'gs.m', 'gs.n', 'garr[0]', '*gp'], n)
        callees = [c for c in fn['callees'] if c != 'op'] + ['ops.fn']
        calls = []
        for lv in targets:
            args = (self.expr(fn, calls=False), self.expr(fn, calls=False))
            if lv not in ('gc', 'gd') and self.chance(0.15):  # the child adds to it
                calls.append('addto(&%s, %s)' % (lv, args[0]))
                continue
            call = '%s(%s, %s)' % ((self.pick(*callees),) + args)
            calls.append(call if self.chance(0.1) else '%s = %s' % (lv, call))
        s = ind + '{\n'
        s += ind + '    unsigned g0 = 0, g1 = 0, garr[2] = {0, 0}, *gp = &garr[1];\n'
        s += ind + '    unsigned char gc = 0;\n' + ind + '    double gd = 0;\n'
        s += ind + '    struct S gs = {0, 0};\n'
        form = self.r.random()
        if form < 0.35:
            s += '%s    x1 ^= (unsigned)await acc_gather(%s);\n' % (ind, ', '.join(calls))
        elif form < 0.55:
            s += '%s    int gr = 5;\n' % ind
            s += '%s    x1 ^= (unsigned)await acc_wait_for(gr = acc_gather(%s), 10.0);\n' % (
                ind, ', '.join(calls))
            s += '%s    x1 += (unsigned)gr;\n' % ind
        elif form < 0.7:
            s += '%s    x1 ^= (unsigned)await acc_wait_for(%s, 10.0);\n' % (ind, calls[0])
        else:
            s += '%s    acc_task *tk[%d];\n' % (ind, len(calls))
            for k, c in enumerate(calls):
                s += '%s    tk[%d] = acc_spawn(%s);\n' % (ind, k, c)
            s += '%s    (void)await acc_yield();\n' % ind
            for k in range(len(calls)):
                s += '%s    x1 ^= (unsigned)await acc_join(tk[%d]);\n' % (ind, k)
        s += ('%s    x0 += g0 + 2u * g1 + 3u * gc + 5u * (unsigned)gd + 7u * gs.m + 11u * gs.n'
              ' + 13u * garr[0] + 17u * garr[1];\n%s}\n' % (ind, ind))
        return s

    def lvalue(self, fn):
        return self.pick(self.pick(*fn['vars']), 'arr[(%s) & 3u]' % self.pick(*fn['vars']),
                         's.m', 's.n', 'p->n', '*q', 'sa[(%s) & 1u].m' % self.pick(*fn['vars']))

    def assign(self, fn, ind):
        op = self.pick('=', '+=', '^=', '-=', '|=', '*=', '&=', '/', '<<=')
        if op == '/':
            op = self.pick('/=', '%=')
            return '%s%s %s (%s) | 1u;\n' % (ind, self.lvalue(fn), op, self.expr(fn))
        if op == '<<=':
            op = self.pick('<<=', '>>=')
            return '%s%s %s (%s) & 31u;\n' % (ind, self.lvalue(fn), op, self.expr(fn))
        return '%s%s %s %s;\n' % (ind, self.lvalue(fn), op, self.expr(fn))

    def loop_body(self, fn, depth):
        """The body of a loop whose counter went up first: a statement,
        maybe a break or continue, maybe another statement."""
        s = self.block(fn, depth, 1, True)
        if self.chance(0.4):
            s += '%sif (%s)\n%s    %s;\n%s' % ('    ' * (depth + 1), self.expr(fn), '    ' * (depth + 1),
                                              self.pick('break', 'continue'), self.block(fn, depth, 1, True))
        return s

    def counted_loop(self, fn, v, ind, before, after, label=None):
        """A loop of one of three kinds over counter v (declared before it,
        so that a goto into the loop skips no initialization), at most 3
        turns, with awaits in its condition. The body is the text before,
        the label, v going up (a continue after it cannot loop for ever),
        the text after."""
        kind = self.r.randrange(3)
        cond = '%s < 3u && (%s)' % (v, self.expr(fn))
        mid = '%s    %s:;\n' % (ind, label) if label else ''
        if kind == 0:
            return '%sfor (; %s; %s++) {\n%s%s%s%s}\n' % (ind, cond, v, before, mid, after, ind)
        mid += '%s    %s++;\n' % (ind, v)
        if kind == 1:
            return '%swhile (%s) {\n%s%s%s%s}\n' % (ind, cond, before, mid, after, ind)
        return '%sdo {\n%s%s%s%s} while (%s);\n' % (ind, before, mid, after, ind, cond)

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
        if depth <= 2 and self.chance(0.3):
            return self.wider_stmt(fn, depth, in_loop)
        if depth <= 2 and fn['loops'] == 0 and self.chance(0.05):
            # a loop made of a label and a goto back, across awaits
            l = self.new_label('again')
            return ('%s{\n%s    unsigned g = 0;\n%s:\n%s%s    if (++g < 2u && (%s))\n%s        goto %s;\n%s}\n'
                    % (ind, ind, ind + l, self.block(fn, depth + 1, 1, in_loop), ind,
                       self.expr(fn, calls=False), ind, l, ind))
        if depth > 2 or r < 0.35:
            return self.assign(fn, ind)
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
                    % (ind, ind, v, ind, v, self.expr(fn), ind, v, self.loop_body(fn, depth + 2), ind, ind))
        if r < 0.72:
            v = 'd%d' % depth
            return ('%s{\n%s    unsigned %s = 0;\n%s    do {\n%s        %s++;\n%s%s    } while (%s < 2u && (%s));\n%s}\n'
                    % (ind, ind, v, ind, ind, v, self.loop_body(fn, depth + 2), ind, v, self.expr(fn), ind))
        if r < 0.80:
            cases = ''
            for k in range(3):
                cases += '%scase %du:\n%s' % (ind, k, self.block(fn, depth + 1, 1, in_loop))
                if self.chance(0.5):
                    cases += '%s    break;\n' % ind
            cases += '%sdefault:\n%s' % (ind, self.block(fn, depth + 1, 1, in_loop))
            return '%sswitch ((%s) & 3u) {\n%s%s}\n' % (ind, self.expr(fn), cases, ind)
        if r < 0.85:
            l = self.new_label('skip')
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

    # ---- wider statements ---------------------------------------------------

    def wider_stmt(self, fn, depth, in_loop):
        ind = '    ' * (depth + 1)
        kinds = [self.typed_update, self.typed_update, self.side_effect_lhs, self.chain,
                 self.incdec, self.kept_literal, self.siblings, self.static_sum, self.struct_assign,
                 self.declarators]
        if depth <= 1:
            kinds += [self.switch_in_loop, self.duff, self.goto_into_loop, self.goto_out_of_loops,
                      self.for_shadowing]
            if fn['index'] > 0:
                kinds.append(self.early_return)
        if fn['loops'] == 0:
            kinds.append(self.add_through_pointer)
        return kinds[self.r.randrange(len(kinds))](fn, depth, ind, in_loop)

    def loop(self, fn, body):
        """body(), generated as inside a loop (awaits only of f0)."""
        fn['loops'] += 1
        s = body()
        fn['loops'] -= 1
        return s

    def typed_update(self, fn, depth, ind, in_loop):
        if not fn['updates']:
            return self.assign(fn, ind)
        return ind + self.fill(self.pick(*fn['updates']), fn) + '\n'

    def side_effect_lhs(self, fn, depth, ind, in_loop):
        """A compound assignment whose left side has a side effect (kk is
        read nowhere else) or goes through a pointer, with awaits on the right."""
        lhs = ['arr[kk++ & 3u]', '*(arr + (kk++ & 3u))', 'p->m', '*q', 'brr[kk++ & 1u]']
        if 'nn' in fn['typed']:
            lhs += ['nn.v[kk++ % 3u]', 'pv[1]', 'nn.s.m']
        lhs += ['sa[(%s) & 1u].%s' % (self.expr(fn), self.pick('m', 'n'))]
        return '%s%s %s %s;\n' % (ind, self.pick(*lhs), self.pick(*ASSIGN_OPS), self.expr(fn))

    def chain(self, fn, depth, ind, in_loop):
        """An assignment chain: each target gets the value the next one
        holds after its assignment (converted to its type)."""
        targets = ['x0', 'x1', 'x2', 's.m', 't.m', 'brr[1]'] + [t for t in (
            'uc', 'bb', 'bf.lo', 'bf.mid', 'bf.hi', 'un.u', 'nn.v[0]', 'nn.s.n', 'ull')
            if t.split('.')[0] in fn['typed']]
        chosen = self.r.sample(targets, self.r.randint(2, 3))
        return '%s%s = %s;\n' % (ind, ' = '.join(chosen), self.expr(fn))

    def struct_assign(self, fn, depth, ind, in_loop):
        if fn['loops'] or not fn['callees'] or self.chance(0.5):
            return '%s%s = (struct S){%s};\n' % (ind, self.pick('s', 't', 'sa[1]', '*p'), self.fill('{E}, {E}', fn))
        return '%s%s = await mk(%s);\n' % (ind, self.pick('s', 't', 'sa[0]', '*p'), self.fill('{E}, {E}', fn))

    def declarators(self, fn, depth, ind, in_loop):
        """Declarators that await, each reading the one before."""
        s = '%s{\n%s    unsigned u1 = %s, u2 = u1 * 3u + %s, u3[2] = {u2, %s};\n' % (
            ind, ind, self.expr(fn), self.expr(fn), self.expr(fn))
        s += self.block(fn, depth + 1, 1, in_loop)
        return s + '%s    x2 ^= u1 + u2 * 5u + u3[0] + u3[1];\n%s}\n' % (ind, ind)

    def incdec(self, fn, depth, ind, in_loop):
        lv = self.pick('arr[(%s) & 3u]' % self.expr(fn, 1), 's.n', '(*q)', 'p->m',
                       'brr[(%s) & 1u]' % self.expr(fn, 1))
        return ind + self.pick('%s++;\n', '%s--;\n', '++%s;\n', '--%s;\n') % lv

    def kept_literal(self, fn, depth, ind, in_loop):
        """A pointer to a compound literal, in a loop, kept across awaits."""
        v = 'i%d' % depth
        def body():
            s = '%sfor (unsigned %s = 0; %s < 2u; %s++) {\n' % (ind, v, v, v)
            if self.chance(0.5):
                s += '%s    unsigned *cp = (unsigned[3]){%s};\n' % (ind, self.fill('{E}, {E}, {E}', fn))
                s += self.block(fn, depth + 1, 1, True)
                s += '%s    cp[%s] += %s;\n' % (ind, v, self.expr(fn))
                s += '%s    x0 += cp[0] ^ cp[1] ^ cp[2];\n' % ind
            else:
                s += '%s    struct S *cp = &(struct S){%s};\n' % (ind, self.fill('{E}, {E}', fn))
                s += self.block(fn, depth + 1, 1, True)
                s += '%s    cp->m -= %s;\n' % (ind, self.expr(fn))
                s += '%s    x1 ^= cp->m * 3u + cp->n;\n' % ind
            return s + ind + '}\n'
        return self.loop(fn, body)

    def siblings(self, fn, depth, ind, in_loop):
        """Sibling blocks with a local of the same name and other types."""
        s = '%s{\n%s    unsigned char z = %s;\n' % (ind, ind, self.expr(fn))
        s += self.block(fn, depth + 1, 1, in_loop)
        s += '%s    x0 += z;\n%s}\n' % (ind, ind)
        s += '%s{\n%s    double z = (double)((%s) & 255u) * 0.5;\n' % (ind, ind, self.expr(fn))
        s += '%s    (void)await acc_yield();\n' % ind
        s += '%s    x1 ^= (unsigned)(z * 2.0);\n%s}\n' % (ind, ind)
        if self.chance(0.5):
            s += '%s{\n%s    struct S z = {%s};\n' % (ind, ind, self.fill('{E}, {E}', fn))
            s += self.block(fn, depth + 1, 1, in_loop)
            s += '%s    x2 += z.m ^ z.n;\n%s}\n' % (ind, ind)
        return s

    def static_sum(self, fn, depth, ind, in_loop):
        """A static local, only added to (main prints it): the order tasks
        run in does not change it. No await between its read and write."""
        return '%sseen += %s;\n' % (ind, self.expr(fn, calls=False, yields=False))

    def add_through_pointer(self, fn, depth, ind, in_loop):
        ptr = self.pick('&x0', '&arr[1]', '&s.n', '&t.m', '&brr[0]', 'q', '&p->m')
        return '%sawait addto(%s, %s);\n' % (ind, ptr, self.expr(fn))

    def switch_in_loop(self, fn, depth, ind, in_loop):
        v = 'i%d' % depth
        def body():
            b = lambda: self.block(fn, depth + 3, 1, True)
            i2 = ind + '    '
            s = '%s    switch ((%s) & 3u) {\n' % (i2, self.expr(fn))
            s += '%s    case 0u:\n%s%s        continue;\n' % (i2, b(), i2)
            s += '%s    case 1u:\n%s%s        break;\n' % (i2, b(), i2)
            s += '%s    case 2u:\n%s        if (%s)\n%s            break;\n%s%s        /* fall through */\n' % (
                i2, i2, self.expr(fn), i2, b(), i2)
            s += '%s    default:\n%s' % (i2, b())
            s += '%s    }\n%s' % (i2, self.block(fn, depth + 2, 1, True))
            loop = self.counted_loop(fn, v, i2, '', s)
            return '%s{\n%s    unsigned %s = 0;\n%s%s}\n' % (ind, ind, v, loop, ind)
        return self.loop(fn, body)

    def duff(self, fn, depth, ind, in_loop):
        """Duff's device: case labels inside a do-while, with awaits."""
        v = 'dn%d' % depth
        def body():
            st = lambda: self.assign(fn, ind + '        ')
            s = '%s{\n%s    unsigned %s = ((%s) & 7u) / 4u + 1u;\n' % (ind, ind, v, self.expr(fn))
            s += '%s    switch ((%s) & 3u) {\n' % (ind, self.expr(fn))
            s += '%s    case 0u:\n%s        do {\n%s' % (ind, ind, st())
            for k in (3, 2, 1):
                s += '%s    case %du:\n%s' % (ind, k, st())
            s += '%s        } while (--%s > 0u);\n%s    }\n%s}\n' % (ind, v, ind, ind)
            return s
        return self.loop(fn, body)

    def goto_into_loop(self, fn, depth, ind, in_loop):
        v, l = 'gi%d' % depth, self.new_label('into')
        def body():
            s = '%s{\n%s    unsigned %s = 0;\n' % (ind, ind, v)
            s += '%s    if (%s)\n%s        goto %s;\n' % (ind, self.expr(fn), ind, l)
            s += self.counted_loop(fn, v, ind + '    ', self.block(fn, depth + 2, 1, True),
                                   self.block(fn, depth + 2, 1, True), l)
            return s + '%s}\n' % ind
        return self.loop(fn, body)

    def goto_out_of_loops(self, fn, depth, ind, in_loop):
        v, l = 'i%d' % depth, self.new_label('out')
        def body():
            s = '%sfor (unsigned %s = 0; %s < 3u; %s++) {\n' % (ind, v, v, v)
            s += '%s    for (unsigned j%d = 0; j%d < 2u; j%d++) {\n%s' % (
                ind, depth, depth, depth, self.block(fn, depth + 2, 1, True))
            s += '%s        if (%s)\n%s            goto %s;\n%s    }\n' % (ind, self.expr(fn), ind, l, ind)
            s += self.block(fn, depth + 1, 1, True)
            return s + '%s}\n%s%s:;\n' % (ind, ind, l)
        return self.loop(fn, body)

    def for_shadowing(self, fn, depth, ind, in_loop):
        """A for declaring a name the function has: the body's reads and
        writes are of the new one."""
        x, n = self.pick('x0', 'x1', 'x2'), 'n%d' % depth
        outer = dict(fn, vars=[v for v in fn['vars'] if v != x])
        def body():
            s = '%sfor (unsigned %s = %s, %s = 0; %s < 2u; %s++) {\n%s' % (
                ind, x, self.expr(outer), n, n, n, self.block(fn, depth + 1, 2, True))
            return s + '%s    arr[%s & 3u] += %s;\n%s}\n' % (ind, n, x, ind)
        return self.loop(fn, body)

    def early_return(self, fn, depth, ind, in_loop):
        def body():
            s = '%sfor (unsigned i%d = 0; i%d < 2u; i%d++)\n' % (ind, depth, depth, depth)
            s += '%s    for (unsigned j%d = 0; j%d < 2u; j%d++)\n' % (ind, depth, depth, depth)
            s += '%s        if (((%s) & 3u) == 0u)\n' % (ind, self.expr(fn))
            return s + '%s            return %s;\n' % (ind, self.expr(fn))
        return self.loop(fn, body)

    # ---- functions and program --------------------------------------------

    def typed_locals(self, fn):
        """Some of TYPED, declared in a random order, each initializer
        over what is declared before it."""
        names = [k for k in TYPED if self.chance(0.45)]
        self.r.shuffle(names)
        s = ''
        for k in names:
            decl, reads, updates = TYPED[k]
            s += '    ' + self.fill(decl, fn) + '\n'
            fn['typed'].append(k)
            fn['reads'] += reads
            fn['updates'] += updates
        if self.chance(0.5):
            s += '    struct N nn = %s;\n' % self.fill(self.pick(*N_INITS), fn)
            s += '    unsigned *pv = &nn.v[1];\n'
            fn['typed'].append('nn')
            fn['reads'] += ['nn.v[0]', 'nn.v[2]', 'nn.s.n', 'pv[-1]', '*pv']
            fn['updates'] += ['nn.s = (struct S){{E}, {E}};', '*pv ^= {E};', '--nn.v[({E}) % 3u];',
                              'nn = await mkn({E}, {E});']
        if self.chance(0.4):
            s += '    unsigned crr[5] = {[3] = %s, [1] = %s, %s};\n' % tuple(self.expr(fn) for _ in range(3))
            fn['reads'] += ['crr[2]', 'crr[4]', 'crr[3]']
        return s

    def function(self, i):
        fn = {'index': i, 'vars': ['x0', 'x1', 'x2'], 'params': ['a', 'b'], 'reads': [], 'updates': [],
              'typed': [], 'callees': ['f%d' % j for j in range(i)], 'calls_left': 4, 'leaves_left': 6,
              'loops': 0}
        self.scratch = 0
        body = '    unsigned x0 = a, x1 = b, x2 = a ^ 0x5a5au, kk = 0;\n    calls++;\n'
        body += '    static unsigned long long seen;\n    seen_at[%d] = &seen;\n' % i
        if i > 0:  # pointers to async functions, chosen at run time
            body += '    async unsigned (*op)(unsigned, unsigned) = (a & 2u) ? f0 : f%d;\n' % (i - 1)
            body += '    async unsigned (*fns[2])(unsigned, unsigned) = {f0, f%d};\n' % (i - 1)
            body += '    struct Ops ops = {f%d, 3u}, *po = &ops;\n' % self.r.randint(0, i - 1)
            fn['callees'].append('op')
        body += '    unsigned arr[4] = {a, b, 3u, 7u};\n'
        body += '    struct S s = {b, a};\n'
        body += '    struct S *p = &s;\n    unsigned *q = &arr[%du];\n' % self.r.randint(0, 3)
        body += '    struct S sa[2] = {[1].n = b, [1].m = a ^ 1u, [0] = {a, 1u}};\n'
        # initializers that await, over what is declared above
        body += '    unsigned x3 = %s;\n' % self.expr(fn)
        body += '    struct S t = {%s, %s};\n' % (self.expr(fn), self.expr(fn))
        body += '    unsigned brr[2] = {%s, %s};\n' % (self.expr(fn), self.expr(fn))
        fn['vars'] += ['x3', 't.m', 'brr[1]']
        body += self.typed_locals(fn)
        body += self.block(fn, 0, self.r.randint(3, 6), False)
        if i > 0 and self.chance(0.5):
            body += '    if (a & 1u)\n        return %s;\n' % self.expr(fn)
        body += ('    return x0 + 3u * x1 + 5u * x2 + 11u * x3 + arr[0] + arr[1] * 7u + arr[2] + arr[3] +'
                 ' s.m + s.n + t.m + 13u * t.n + brr[0] + brr[1] + kk + sa[0].m + 3u * sa[0].n + sa[1].m * 5u + sa[1].n')
        for k in fn['typed']:
            body += ' + ' + (TYPED[k][1][0] if k in TYPED and TYPED[k][1] else
                             {'vol': 'vol', 'nn': 'nn.v[0] + nn.v[1] * 3u + nn.v[2] + nn.s.m + nn.s.n'}[k])
        body += ';\n'
        if self.scratch:
            body = '    unsigned %s;\n' % ', '.join('y%d = 0' % k for k in range(self.scratch)) + body
        return 'static async unsigned f%d(unsigned a, unsigned b)\n{\n%s}\n\n' % (i, body)

    def program(self):
        n = self.r.randint(3, 5)
        out = ['#include <stdio.h>\n', '@PRELUDE@\n', PROGRAM_PRELUDE,
               'static unsigned long long *seen_at[%d];\n\n' % n]
        for i in range(n):
            out.append(self.function(i))
        out.append('async int main(void)\n{\n    unsigned r = await rec(%du, 1u);\n' % self.r.randint(1, 40))
        out.append('    printf("rec %u\\n", r);\n')
        out.append('    printf("walk %%u\\n", await walk(%du, %du, %d.5, (struct S){r, 2u}));\n' % (
            self.r.randint(0, 6), self.r.randint(0, 255), self.r.randint(0, 1000)))
        out.append('    for (unsigned i = 0; i < 3u; i++) {\n')
        out.append('        r = r * 31u + await f%d(i, r);\n' % (n - 1))
        out.append('        printf("%u %u\\n", i, r);\n    }\n')
        out.append('    for (unsigned i = 0; i < %du; i++)\n' % n)
        out.append('        if (seen_at[i])\n')
        out.append('            printf("seen %u %llu\\n", i, *seen_at[i]);\n')
        out.append('    printf("calls %lu\\n", calls);\n    return 0;\n}\n')
        return ''.join(out)


# Types and leaf async functions every program has.
PROGRAM_PRELUDE = '''struct S {
    unsigned m, n;
};
struct N {
    unsigned v[3];
    struct S s;
};
struct B {
    unsigned lo : 3, mid : 7;
    unsigned hi : 13;
};
union U {
    unsigned u;
    unsigned char c[4];
};
struct Ops {
    async unsigned (*fn)(unsigned, unsigned);
    unsigned k;
};

/* calls made: && || ?: must skip exactly what C skips */
static unsigned long calls;
static const unsigned char tab[8] = {3, 1, 4, 1, 5, 9, 2, 6};

static async struct S mk(unsigned a, unsigned b)
{
    (void)await acc_yield();
    return (struct S){a ^ b, a + b};
}

static async struct N mkn(unsigned a, unsigned b)
{
    struct N r = {{a, b, a ^ b}, {a + b, a * b}};
    (void)await acc_yield();
    return r;
}

static async unsigned char fuc(unsigned a)
{
    (void)await acc_yield();
    return a * 7u;
}

static async _Bool fb(unsigned a)
{
    (void)await acc_yield();
    return a & 4u;
}

static async short fsh(unsigned a)
{
    (void)await acc_yield();
    return (short)((int)(a & 0x3fffu) - 8000);
}

static async long long fll(unsigned a)
{
    long long v = (long long)a * -3;
    (void)await acc_yield();
    return v;
}

/* d in [0, 4000): so is the result */
static async double fd(double d, unsigned u)
{
    (void)await acc_yield();
    return d * 0.5 + (double)(u & 1023u);
}

/* f in [0, 1500): so is the result */
static async float ff(float f, unsigned u)
{
    (void)await acc_yield();
    return f * 0.25f + (float)(u & 255u);
}

static async union U fun(unsigned a)
{
    (void)await acc_yield();
    return (union U){a * 0x01010101u};
}

/* the caller's local, changed across the callee's await */
static async void addto(unsigned *p, unsigned v)
{
    unsigned old = *p;
    (void)await acc_yield();
    *p = old + v;
}

/* a bounded recursion through an await */
static async unsigned rec(unsigned k, unsigned acc)
{
    if (k == 0)
        return acc;
    if (k % 3u == 0)
        (void)await acc_yield();
    return await rec(k - 1, acc * 33u + k);
}

/* a recursion with parameters of several types; d in [0, 4000) */
static async unsigned walk(unsigned k, unsigned char c, double d, struct S s)
{
    if (k == 0)
        return s.m ^ (unsigned)d ^ c;
    s.n += await walk(k - 1, (unsigned char)(c * 3u + k), d * 0.5 + 1.0, (struct S){s.n, s.m + k});
    if (k % 2u)
        (void)await acc_yield();
    return s.m * 7u + s.n + c + (unsigned)d;
}

'''

# What the twin has for acc.h: a yield that does nothing, and tasks that
# run at once, in the order written.
TWIN_PRELUDE = '''typedef struct acc_task acc_task;
static int acc_yield(void) { return 0; }
#define acc_gather(...) ((void)(__VA_ARGS__), 0)
#define acc_spawn(call) ((void)(call), (acc_task *)0)
#define acc_wait_for(call, seconds) ((void)(call), (void)(seconds), 0)
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
