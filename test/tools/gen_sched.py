#!/usr/bin/env python3
"""gen_sched.py SEED OUT.acc EXPECTED.txt: a random async-C program over
the scheduling operations of SPEC 2 that take no real time (tasks,
acc_yield and acc_sleep of 0, -1.5 or NAN, acc_spawn, acc_join,
acc_detach, acc_cancel, acc_cancelled, acc_join_all, acc_gather,
acc_wait_for with a timeout of 1000 s that never expires or of 0,
events, semaphores, queues), which prints a line at every step, and the
lines that sched_model.py says it must print.

Every task is a straight-line script of its own (`tK`, main is T0); a
task's handle (`h[K]`) is used by its spawner only (cancelled any number
of times, then joined, in acc_join or acc_join_all, or detached exactly
once), and by the task itself while it runs, to cancel itself, and by
its gather and wait_for descendants (it waits for them), to cancel it. Results go to `res[K]`
(-1 until the task's call returns). A janitor task (see sched_model.py)
unblocks waits that nothing else would end, so every program finishes
without the deadlock detector, whatever the scripts wait for.
"""
import random
import sys
sys.dont_write_bytecode = True  # no __pycache__ in the source tree

import sched_model


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        r = self.r
        self.prog = {
            'events': r.randint(1, 2),
            'sems': [r.randint(0, 1) for _ in range(r.randint(1, 2))],
            'queues': [r.choice((0, 1, 1, 2, 3)) for _ in range(r.randint(1, 2))],
            'tasks': {},
        }
        self.budget = r.randint(2, 10)  # tasks besides main
        self.next_id = 1
        self.value = 1000
        self.prog['tasks'][0] = self.script(0, 0)

    def chance(self, p):
        return self.r.random() < p

    def new_task(self, depth, spawned=False, owner=None):
        """A task for a spawn (spawned) or a gather or wait_for in the task
        whose handle owner is `owner`."""
        k = self.next_id
        self.next_id += 1
        self.budget -= 1
        self.prog['tasks'][k] = None  # its place, before its own children
        self.prog['tasks'][k] = self.script(k, depth + 1, spawned, k if spawned else owner)
        return k

    def script(self, tid, depth, spawned=False, owner=None):
        """A task's ops. `owner`: the spawned task (it has a handle) that
        this one is, or is a gather or wait_for descendant of: alive while
        this one runs, so this one may cancel it."""
        r = self.r
        n = r.randint(4, 12) if tid == 0 else r.randint(1, 7)
        ops, handles = [], []
        # contention: main often starts with a few tasks, and a task often
        # starts with a wait, so that wait lists hold several tasks
        if tid == 0:
            for _ in range(min(self.budget, r.randint(0, 4))):
                k = self.new_task(depth, True)
                handles.append(k)
                ops.append(('spawn', k))
        elif self.chance(0.5):
            ops.append(self.wait_op())
        for _ in range(n):
            if len(handles) >= 2 and self.chance(0.2):
                ks = r.sample(handles, r.randint(2, len(handles)))
                for k in ks:
                    handles.remove(k)
                ops.append(('join_all', ks))
                continue
            if handles and self.chance(0.4):
                k = r.choice(handles)
                what = r.choice(('cancel', 'cancel', 'cancel', 'join', 'join', 'detach'))
                if what != 'cancel':
                    handles.remove(k)
                elif self.chance(0.6):
                    # let k run to a wait first, and perhaps wake it just
                    # before the cancel: a wait ended, then cancelled
                    ops += [('yield',)] * r.randint(1, 3)
                    if self.chance(0.6):
                        ops.append(self.wake_op())
                ops.append((what, k))
                continue
            ops.append(self.op(depth, handles, spawned, owner))
        if len(handles) >= 2 and self.chance(0.4):
            ops.append(('join_all', handles))
            handles = []
        for k in handles:
            ops.append((r.choice(('join', 'join', 'detach')), k))
        return ops

    def wait_op(self):
        r = self.r
        p = self.prog
        kind = r.choice(('wait', 'acquire', 'put', 'get'))
        if kind == 'wait':
            return ('wait', r.randrange(p['events']))
        if kind == 'acquire':
            return ('acquire', r.randrange(len(p['sems'])))
        if kind == 'put':
            self.value += 1
            return ('put', r.randrange(len(p['queues'])), self.value)
        return ('get', r.randrange(len(p['queues'])))

    def wake_op(self):
        r = self.r
        p = self.prog
        kind = r.choice(('set', 'release', 'put', 'get', 'close'))
        if kind == 'set':
            return ('set', r.randrange(p['events']))
        if kind == 'release':
            return ('release', r.randrange(len(p['sems'])))
        if kind == 'put':
            self.value += 1
            return ('put', r.randrange(len(p['queues'])), self.value)
        return (kind, r.randrange(len(p['queues'])))

    def op(self, depth, handles, spawned, owner):
        r = self.r
        p = self.prog
        kinds = [('yield', 10), ('sleep0', 3), ('cancelled', 3),
                 ('set', 6), ('clear', 3), ('is_set', 2), ('wait', 8),
                 ('acquire', 8), ('release', 7),
                 ('put', 10), ('get', 7), ('close', 1)]
        if spawned:
            kinds += [('cancel_self', 2)]
        elif owner is not None:
            kinds += [('cancel_owner', 3)]
        if self.budget > 0 and depth < 3:
            kinds += [('spawn', 12), ('gather', 6), ('wait_for', 3), ('wait_for0', 3)]
        kind = r.choices([k for k, _ in kinds], [w for _, w in kinds])[0]
        if kind == 'spawn':
            k = self.new_task(depth, True)
            handles.append(k)
            return ('spawn', k)
        if kind == 'gather':
            n = min(self.budget, r.randint(1, 3))
            return ('gather', [self.new_task(depth, owner=owner) for _ in range(n)])
        if kind in ('wait_for', 'wait_for0'):
            return (kind, self.new_task(depth, owner=owner))
        if kind == 'cancel_owner':
            return ('cancel', owner)
        if kind in ('set', 'clear', 'is_set', 'wait'):
            return (kind, r.randrange(p['events']))
        if kind in ('acquire', 'release'):
            return (kind, r.randrange(len(p['sems'])))
        if kind == 'put':
            self.value += 1
            return ('put', r.randrange(len(p['queues'])), self.value)
        if kind in ('get', 'close'):
            return (kind, r.randrange(len(p['queues'])))
        if kind == 'sleep0':  # a duration that is not positive: a yield
            return ('sleep0', r.choice(('0', '0', '-1.5', 'NAN')))
        return (kind,)


# ---- the C text -----------------------------------------------------------
#
# One program's names all start with `@`, which c_program replaces with a
# prefix: none for a program of its own, `sSEED_` for one of a batch (many
# programs in one file, each run by its own acc_run, so that thousands of
# seeds need few runs of acc and gcc).

INCLUDES = r"""#include <acc.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
"""

PRELUDE = r"""
static unsigned long @steps; /* lines printed by the tasks */
static int @alive;           /* tasks started and not yet ended */
static int @res[@NT];
static acc_task *@h[@NT];
static acc_event @ev[@NE];
static acc_sem @sem[@NS];
static acc_queue *@q[@NQ];

static const char *@rs(int r)
{
    static char buf[32];
    if (r == 0)
        return "0";
    if (r == -ECANCELED)
        return "ECANCELED";
    if (r == -EPIPE)
        return "EPIPE";
    if (r == -ETIMEDOUT)
        return "ETIMEDOUT";
    snprintf(buf, sizeof buf, "%d", r);
    return buf;
}

static void @say(int id, const char *fmt, ...)
{
    va_list ap;
    printf("T%d ", id);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    @steps++;
}

/* A round of the ready queue in which no task printed means every task
   waits: set the events and release the semaphores; if the last round was
   quiet too (so they waited for no event nor permit), close the queues. */
static async void @janitor(void)
{
    unsigned long seen = @steps;
    int quiet = 0, in_a_row = 0;
    for (;;) {
        (void)await acc_yield();
        if (@steps != seen) {
            seen = @steps;
            in_a_row = 0;
            continue;
        }
        if (@alive == 0)
            return;
        quiet++;
        in_a_row++;
        printf("J unblock %d\n", quiet);
        if (quiet > 100) {
            printf("J stuck\n");
            exit(1);
        }
        for (int i = 0; i < @NE; i++)
            acc_event_set(&@ev[i]);
        for (int i = 0; i < @NS; i++)
            acc_sem_release(&@sem[i]);
        if (in_a_row >= 2)
            for (int i = 0; i < @NQ; i++)
                acc_queue_close(@q[i]);
    }
}
"""


def c_op(tid, op):
    kind = op[0]
    say = lambda fmt, *args: '@say(%d, %s);' % (tid, ', '.join(['"%s"' % fmt] + list(args)))
    if kind in ('yield', 'sleep0'):
        call = 'acc_yield()' if kind == 'yield' else 'acc_sleep(%s)' % op[1]
        return 'r = await %s;\n%s' % (call, say(kind + ' -> %s', '@rs(r)'))
    if kind == 'cancelled':
        return say('cancelled -> %d', '(int)acc_cancelled()')
    if kind == 'spawn':
        k = op[1]
        return ('@h[%d] = acc_spawn(@res[%d] = @t%d());\nif (!@h[%d])\n    abort();\n%s'
                % (k, k, k, k, say('spawn T%d' % k)))
    if kind == 'join':
        return 'r = await acc_join(@h[%d]);\n%s' % (op[1], say('join T%d -> %%s res=%%d' % op[1], '@rs(r)', '@res[%d]' % op[1]))
    if kind in ('detach', 'cancel'):
        return 'acc_%s(@h[%d]);\n%s' % (kind, op[1], say('%s T%d' % (kind, op[1])))
    if kind == 'cancel_self':
        return 'acc_cancel(@h[%d]);\n%s' % (tid, say('cancel_self'))
    if kind in ('gather', 'wait_for', 'wait_for0', 'join_all'):
        ks = op[1] if kind in ('gather', 'join_all') else [op[1]]
        fmt = '%s %s -> %%s res=%s' % (kind, ' '.join('T%d' % k for k in ks), ','.join('%d' for _ in ks))
        line = say(fmt, '@rs(r)', *['@res[%d]' % k for k in ks])
        if kind == 'join_all':
            return ('{\n    acc_task *ts[] = {%s};\n    r = await acc_join_all(ts, %d);\n}\n%s'
                    % (', '.join('@h[%d]' % k for k in ks), len(ks), line))
        calls = ', '.join('@res[%d] = @t%d()' % (k, k) for k in ks)
        if kind != 'gather':
            calls += ', 1000.0' if kind == 'wait_for' else ', 0.0'
        return 'r = await acc_%s(%s);\n%s' % ('wait_for' if kind == 'wait_for0' else kind, calls, line)
    if kind == 'set':
        return 'acc_event_set(&@ev[%d]);\n%s' % (op[1], say('set e%d' % op[1]))
    if kind == 'clear':
        return 'acc_event_clear(&@ev[%d]);\n%s' % (op[1], say('clear e%d' % op[1]))
    if kind == 'is_set':
        return say('is_set e%d -> %%d' % op[1], '(int)acc_event_is_set(&@ev[%d])' % op[1])
    if kind == 'wait':
        return 'r = await acc_event_wait(&@ev[%d]);\n%s' % (op[1], say('wait e%d -> %%s' % op[1], '@rs(r)'))
    if kind == 'acquire':
        return 'r = await acc_sem_acquire(&@sem[%d]);\n%s' % (op[1], say('acquire s%d -> %%s' % op[1], '@rs(r)'))
    if kind == 'release':
        return 'acc_sem_release(&@sem[%d]);\n%s' % (op[1], say('release s%d' % op[1]))
    if kind == 'put':
        return ('r = await acc_queue_put(@q[%d], (void *)(intptr_t)%d);\n%s'
                % (op[1], op[2], say('put q%d %d -> %%s' % (op[1], op[2]), '@rs(r)')))
    if kind == 'get':
        return ('it = NULL;\nr = await acc_queue_get(@q[%d], &it);\nif (r == 0)\n    %s\nelse\n    %s'
                % (op[1], say('get q%d -> 0 item=%%d' % op[1], '(int)(intptr_t)it'),
                   say('get q%d -> %%s' % op[1], '@rs(r)')))
    if kind == 'close':
        return 'acc_queue_close(@q[%d]);\n%s' % (op[1], say('close q%d' % op[1]))
    raise ValueError(op)


def indent(text, ind='    '):
    return ''.join(ind + line + '\n' for line in text.split('\n'))


def c_body(tid, script):
    s = '    int r = 0;\n    void *it = NULL;\n    (void)r;\n    (void)it;\n'
    s += '    @alive++;\n    @say(%d, "start");\n' % tid
    for op in script:
        s += indent(c_op(tid, op))
    s += '    @say(%d, "end");\n    @alive--;\n' % tid
    return s


def c_program(seed, prog, prefix=''):
    """The program's text; its main is `async int main` without a prefix,
    else `static async int PREFIXmain`."""
    tasks = prog['tasks']
    defs = {'NT': len(tasks), 'NE': prog['events'], 'NS': len(prog['sems']), 'NQ': len(prog['queues'])}
    s = '\n/* gen_sched.py %d: see test/tools/sched_model.py */\n' % seed
    s += ''.join('#define @%s %d\n' % kv for kv in defs.items())
    s += PRELUDE
    others = sorted(k for k in tasks if k)
    s += ''.join('static async int @t%d(void);\n' % k for k in others)
    for k in others:
        s += '\nstatic async int @t%d(void)\n{\n%s    return %d;\n}\n' % (k, c_body(k, tasks[k]), 100 + k)
    s += '\n%s\n{\n' % ('static async int @main(void)' if prefix else 'async int main(void)')
    for i in range(prog['events']):
        s += '    acc_event_init(&@ev[%d]);\n' % i
    for i, n in enumerate(prog['sems']):
        s += '    acc_sem_init(&@sem[%d], %d);\n' % (i, n)
    for i, c in enumerate(prog['queues']):
        s += '    if (!(@q[%d] = acc_queue_new(%d)))\n        abort();\n' % (i, c)
    s += '    for (int i = 0; i < @NT; i++)\n        @res[i] = -1;\n'
    s += '    acc_task *jt = acc_spawn(@janitor());\n    if (!jt)\n        abort();\n'
    s += c_body(0, tasks[0])
    s += '    (void)await acc_join(jt);\n'
    for i in range(len(prog['queues'])):
        s += '    acc_queue_free(@q[%d]);\n' % i
    s += '    return 0;\n}\n'
    return s.replace('@', prefix)


def generate(seed):
    """(the program as sched_model reads it, its C text, the expected lines)"""
    prog = Gen(seed).prog
    return prog, INCLUDES + c_program(seed, prog), sched_model.trace(prog)


def batch_marker(seed):
    return '=== seed %d' % seed


def generate_batch(seeds):
    """One file that runs the programs of `seeds` one after the other, each
    with acc_run after a line batch_marker(seed), and the expected lines."""
    text, lines = INCLUDES, []
    for seed in seeds:
        prog = Gen(seed).prog
        text += c_program(seed, prog, 's%d_' % seed)
        lines += [batch_marker(seed)] + sched_model.trace(prog)
    text += '\nint main(void)\n{\n'
    for seed in seeds:
        text += ('    printf("%s\\n");\n    if (acc_run(s%d_main()) != 0)\n        abort();\n'
                 % (batch_marker(seed), seed))
    text += '    return 0;\n}\n'
    return text, lines


def main():
    seed, out, expected = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    prog, text, lines = generate(seed)
    with open(out, 'w') as f:
        f.write(text)
    with open(expected, 'w') as f:
        f.write(''.join(line + '\n' for line in lines))
    return 0


if __name__ == '__main__':
    sys.exit(main())
