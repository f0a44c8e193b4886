#!/usr/bin/env python3
"""sched_model.py: a reference model of libacc's scheduling order, written
from SPEC section 2 (and, where the SPEC is silent, docs/runtime.md), for
the operations that take no real time: tasks (acc_spawn, acc_join,
acc_join_all, acc_detach, acc_cancel, acc_cancelled, acc_gather,
acc_wait_for with a timeout that never expires or of 0), acc_yield and acc_sleep(0), events,
semaphores and queues.

A program (gen_sched.py makes them) is a dict:

    {'events': E, 'sems': [initial permits...], 'queues': [capacity...],
     'tasks': {id: [op, ...]}}

Task 0 is `main`; every other task is the child of exactly one op of
another task's script (spawn, gather, wait_for). An op is a tuple:

    ('yield',) ('sleep0', duration) ('cancelled',)   (a duration <= 0 or NaN)
    ('spawn', k) ('join', k) ('join_all', [k, ...]) ('detach', k)
    ('cancel', k) (a task this one spawned, or the spawned task that this
    one is a gather or wait_for descendant of, through its handle)
    ('cancel_self',) (a spawned task, through its handle)
    ('gather', [k, ...]) ('wait_for', k) ('wait_for0', k) (timeout 0)
    ('set', e) ('clear', e) ('is_set', e) ('wait', e)
    ('acquire', s) ('release', s)
    ('put', q, value) ('get', q) ('close', q)

`trace(program)` returns the lines the program prints (gen_sched.py
prints the same text from C), one per step: `T<id> <op> [-> result]`,
`T<id> start` and `T<id> end` around each task's script, and `J unblock
<n>` from the janitor, a task of the program's own that yields in a
loop and, when a whole round of the ready queue has gone by without a
line from any task (all of them wait), sets every event, releases every
semaphore once and, if the round before was quiet too, closes every
queue (again: closing a closed queue does nothing), so that every
program ends without the runtime's deadlock detector; it stops once a
quiet round finds no task alive. That makes it one more FIFO task here.

The order, as the SPEC and the docs give it:
- one FIFO ready queue: a yield (acc_sleep of 0, less or NaN too, docs
  "Ordering"), a wake and an acc_spawn append to it at
  the moment they happen; with no timer and no descriptor, the loop's
  turns (docs/runtime.md, "The loop") are just this queue's order;
- a gather (and a wait_for) starts its children at once, in argument
  order, each up to its first suspension before the next; a wait_for
  with a timeout of 0 times out at the child's first suspension (docs,
  "acc_wait_for"): it cancels the child there, waits for it and returns
  -ETIMEDOUT;
- acc_join_all wakes when the last of its tasks has finished; in a
  cancelled task (already, or while it waits) it cancels those not
  finished, in array order, and waits for them (docs, "Cancellation");
- every wait list (event, semaphore, queue getters, queue putters) is
  FIFO, and a wake hands over what was waited for at once (a permit, an
  item, a queue slot), so no later task overtakes a woken one;
- cancellation sets a flag and ends a wait (the task is queued), never
  runs code; a woken task that is cancelled before it runs gets
  -ECANCELED and passes on what it was handed (docs, "Events,
  semaphores, queues"); an await in a cancelled task returns -ECANCELED
  at once without suspending (and a gather or wait_for then runs none
  of its children); a spawned task cancelled before it starts does not
  run, and finishes when the loop reaches it in the queue.
"""
from collections import Counter, deque

ECANCELED = 'ECANCELED'
ETIMEDOUT = 'ETIMEDOUT'
EPIPE = 'EPIPE'

# ops that are awaits of the runtime: in a cancelled task they return
# -ECANCELED at once
AWAITS = {'yield', 'sleep0', 'join', 'gather', 'wait_for', 'wait_for0', 'wait', 'acquire', 'put', 'get'}


class Task:
    def __init__(self, tid, script):
        self.id = tid
        self.script = script
        self.pc = 0
        self.started = False
        self.done = False
        self.cancelled = False
        self.was_cancelled = False  # cancelled when it finished
        self.queued = False
        self.waiting = None  # the op it is suspended in (not queued), or None
        self.outcome = None  # what its wake handed it
        self.joiner = None  # the task waiting in acc_join for this one
        self.group = None  # the gather or wait_for this task is a child of
        self.wait_obj = None  # the list or group it waits in
        self.wait_done = None  # the one its last wait ended in


class Group:
    """An acc_gather, acc_wait_for or acc_join_all under way: its parent
    and children (the tasks it waits for)."""

    def __init__(self, parent):
        self.parent = parent
        self.children = []
        self.left = 0
        self.timed_out = False


class Queue:
    def __init__(self, capacity):
        self.cap = capacity  # 0: no limit
        self.items = deque()
        self.reserved = 0  # slots handed to woken putters that have not run
        self.getters = deque()
        self.putters = deque()
        self.closed = False


class Model:
    def __init__(self, prog):
        self.prog = prog
        self.out = []
        self.ready = deque()
        self.tasks = {}
        self.res = {k: -1 for k in prog['tasks']}
        self.steps = 0  # lines printed by tasks (not the janitor)
        self.alive = 0  # tasks started and not yet ended
        self.event_set = [False] * prog['events']
        self.event_waiters = [deque() for _ in range(prog['events'])]
        self.sem_count = list(prog['sems'])
        self.sem_waiters = [deque() for _ in prog['sems']]
        self.queues = [Queue(c) for c in prog['queues']]
        self.janitor = Task('J', None)
        self.jan_seen = 0
        self.jan_quiet = 0
        self.jan_in_a_row = 0
        self.hits = Counter()  # which rules a trace exercised (coverage)
        self.hits = Counter()  # which rules a trace exercised (coverage)

    # ---- output -----------------------------------------------------------

    def say(self, t, text):
        self.out.append('T%d %s' % (t.id, text))
        self.steps += 1

    # ---- the ready queue --------------------------------------------------

    def enqueue(self, t):
        assert not t.queued and not t.done, 'task queued twice'
        t.queued = True
        self.ready.append(t)

    def wake_first(self, waiters, outcome, what):
        """Wake the first of a wait list: the FIFO order of SPEC 2."""
        if len(waiters) > 1:
            self.hits['FIFO among %s waiters' % what] += 1
        self.wake(waiters.popleft(), outcome)

    def wake(self, t, outcome):
        """End t's wait (it has been taken off its list) with `outcome`."""
        t.waiting = None
        t.wait_done, t.wait_obj = t.wait_obj, None  # a wait_for0 reads its group
        t.outcome = outcome
        self.enqueue(t)

    def suspend(self, t, op, obj=None):
        t.waiting = op
        t.wait_obj = obj
        return None

    # ---- running a task ---------------------------------------------------

    def start(self, t):
        t.started = True
        self.alive += 1
        self.say(t, 'start')
        self.run(t)

    def run(self, t):
        """Run t's script from its pc until it suspends or ends."""
        while t.pc < len(t.script):
            text = self.step(t, t.script[t.pc])
            if text is None:
                return
            self.say(t, text)
            t.pc += 1
        self.finish(t)

    def finish(self, t):
        if t.id == 0:
            # main's script is over: it ends, then waits in acc_join for the
            # janitor, and frees the queues and returns when that returns
            self.say(t, 'end')
            self.alive -= 1
            return
        if t.started:
            self.say(t, 'end')
            self.alive -= 1
            self.res[t.id] = 100 + t.id
        t.done = True
        t.was_cancelled = t.cancelled
        if isinstance(t.joiner, Group):  # an acc_join_all
            g, t.joiner = t.joiner, None
            g.left -= 1
            if g.left == 0 and g.parent.waiting is not None:
                self.wake(g.parent, 'done')
        elif t.joiner is not None:
            j, t.joiner = t.joiner, None
            self.wake(j, 'done')
        g = t.group
        if g is not None:
            g.left -= 1
            if g.left == 0 and g.parent.waiting is not None:
                self.wake(g.parent, 'done')

    def resume(self, t):
        op = t.script[t.pc]
        text = self.resumed(t, op, t.outcome)
        t.outcome = None
        self.say(t, text)
        t.pc += 1
        self.run(t)

    def loop(self):
        main = Task(0, self.prog['tasks'][0])
        self.tasks[0] = main
        self.enqueue(self.janitor)  # main spawns it first
        self.janitor_first = True
        self.start(main)
        while self.ready:
            t = self.ready.popleft()
            t.queued = False
            if t is self.janitor:
                self.janitor_turn()
            elif t is main and main.pc == len(main.script):
                break  # main's join of the janitor returned: it frees and returns
            elif not t.started:
                if t.cancelled:
                    self.hits['unstarted finishes unrun'] += 1
                    self.finish(t)  # cancelled before it first ran: never runs
                else:
                    self.start(t)
            else:
                self.resume(t)
        assert not self.ready, 'tasks left in the ready queue at the end'
        return self.out

    # ---- the janitor ------------------------------------------------------

    def janitor_turn(self):
        if self.janitor_first:
            self.janitor_first = False
            self.jan_seen = self.steps
            self.enqueue(self.janitor)
            return
        if self.steps != self.jan_seen:
            self.jan_seen = self.steps
            self.jan_in_a_row = 0
            self.enqueue(self.janitor)
            return
        if self.alive == 0:
            self.janitor.done = True
            self.enqueue(self.tasks[0])  # main waits in acc_join for it
            return
        self.jan_quiet += 1
        self.jan_in_a_row += 1
        self.out.append('J unblock %d' % self.jan_quiet)
        for e in range(len(self.event_set)):
            self.event_do_set(e)
        for s in range(len(self.sem_count)):
            self.sem_release(s)
        if self.jan_in_a_row >= 2:
            for q in self.queues:
                self.queue_close(q)
        self.enqueue(self.janitor)

    # ---- ops --------------------------------------------------------------

    def step(self, t, op):
        """Perform op in t: the line to print, or None if t suspended."""
        kind = op[0]
        if kind in AWAITS and t.cancelled:
            self.hits['await when cancelled: ' + kind] += 1
            return self.at_once_cancelled(t, op)
        if kind in ('yield', 'sleep0'):
            self.enqueue(t)  # queued, not waiting: acc_cancel only flags it
            return None
        if kind == 'cancelled':
            return 'cancelled -> %d' % t.cancelled
        if kind == 'spawn':
            c = Task(op[1], self.prog['tasks'][op[1]])
            self.tasks[op[1]] = c
            self.enqueue(c)
            return 'spawn T%d' % op[1]
        if kind == 'join':
            c = self.tasks[op[1]]
            if c.done:
                self.hits['join of a finished task'] += 1
                return self.join_text(op[1], ECANCELED if c.was_cancelled else '0')
            c.joiner = t
            return self.suspend(t, op, c)
        if kind == 'detach':
            return 'detach T%d' % op[1]
        if kind == 'cancel':
            self.cancel(self.tasks[op[1]])
            return 'cancel T%d' % op[1]
        if kind == 'cancel_self':
            self.cancel(t)
            return 'cancel_self'
        if kind == 'join_all':
            return self.join_all(t, op)
        if kind in ('gather', 'wait_for', 'wait_for0'):
            ks = op[1] if kind == 'gather' else [op[1]]
            g = Group(t)
            for k in ks:
                c = Task(k, self.prog['tasks'][k])
                c.group = g
                self.tasks[k] = c
                g.children.append(c)
                g.left += 1
            for c in g.children:
                if t.cancelled:
                    # by an earlier child (a descendant cancelling this
                    # task through its handle): a child not started yet
                    # is cancelled before it first runs, so never runs
                    self.hits['%s cancelled by its child' % kind] += 1
                    c.cancelled = True
                    self.finish(c)
                else:
                    self.start(c)
            if t.cancelled:  # the gathering task is cancelled: so are its children
                for c in g.children:
                    self.cancel(c)
            elif kind == 'wait_for0' and g.left:
                g.timed_out = True
                self.cancel(g.children[0])
            if g.left == 0:
                self.hits[kind + ' done at once'] += 1
                return self.group_text(op, ECANCELED if t.cancelled else '0')
            return self.suspend(t, op, g)
        if kind == 'set':
            self.event_do_set(op[1])
            return 'set e%d' % op[1]
        if kind == 'clear':
            self.event_set[op[1]] = False
            return 'clear e%d' % op[1]
        if kind == 'is_set':
            return 'is_set e%d -> %d' % (op[1], self.event_set[op[1]])
        if kind == 'wait':
            if self.event_set[op[1]]:
                return 'wait e%d -> 0' % op[1]
            self.event_waiters[op[1]].append(t)
            return self.suspend(t, op, self.event_waiters[op[1]])
        if kind == 'acquire':
            s = op[1]
            if self.sem_count[s] > 0:
                self.sem_count[s] -= 1
                return 'acquire s%d -> 0' % s
            self.sem_waiters[s].append(t)
            return self.suspend(t, op, self.sem_waiters[s])
        if kind == 'release':
            self.sem_release(op[1])
            return 'release s%d' % op[1]
        if kind == 'put':
            q = self.queues[op[1]]
            if q.closed:
                return 'put q%d %d -> %s' % (op[1], op[2], EPIPE)
            if q.getters or q.cap == 0 or len(q.items) + q.reserved < q.cap:
                self.queue_deliver(q, op[2])
                return 'put q%d %d -> 0' % (op[1], op[2])
            q.putters.append(t)
            return self.suspend(t, op, q.putters)
        if kind == 'get':
            q = self.queues[op[1]]
            if q.items:
                v = q.items.popleft()
                self.queue_slot_freed(q)
                return 'get q%d -> 0 item=%d' % (op[1], v)
            if q.closed:
                return 'get q%d -> %s' % (op[1], EPIPE)
            q.getters.append(t)
            return self.suspend(t, op, q.getters)
        if kind == 'close':
            self.queue_close(self.queues[op[1]])
            return 'close q%d' % op[1]
        raise ValueError('unknown op %r' % (op,))

    def join_all(self, t, op):
        g = Group(t)
        for k in op[1]:
            c = self.tasks[k]
            g.children.append(c)
            if not c.done:
                c.joiner = g
                g.left += 1
        if t.cancelled:
            self.hits['await when cancelled: join_all'] += 1
            for c in g.children:
                self.cancel(c)
        if g.left == 0:
            return self.join_all_text(op, t.cancelled)
        return self.suspend(t, op, g)

    def join_all_text(self, op, cancelled):
        bad = cancelled or any(self.tasks[k].was_cancelled for k in op[1])
        return self.group_text(op, ECANCELED if bad else '0')

    def at_once_cancelled(self, t, op):
        """An await in a task already cancelled: -ECANCELED, no effect
        (acc_join detaches its task; a gather runs no child)."""
        kind = op[0]
        if kind == 'join':
            self.tasks[op[1]].joiner = None  # detached: runs on
            return self.join_text(op[1], ECANCELED)
        if kind in ('gather', 'wait_for', 'wait_for0'):
            return self.group_text(op, ECANCELED)
        return self.text(op, ECANCELED)

    def resumed(self, t, op, outcome):
        """The line of op in t, resumed after its wait ended with outcome
        ('cancel' when acc_cancel ended it)."""
        kind = op[0]
        if kind in ('yield', 'sleep0', 'wait'):
            return self.text(op, ECANCELED if t.cancelled else '0')
        if kind == 'join':
            c = self.tasks[op[1]]
            if t.cancelled:
                return self.join_text(op[1], ECANCELED)
            return self.join_text(op[1], ECANCELED if c.was_cancelled else '0')
        if kind in ('gather', 'wait_for'):
            return self.group_text(op, ECANCELED if t.cancelled else '0')
        if kind == 'wait_for0':
            return self.group_text(op, ECANCELED if t.cancelled else ETIMEDOUT if t.wait_done.timed_out else '0')
        if kind == 'join_all':
            return self.join_all_text(op, t.cancelled)
        if kind == 'acquire':
            if t.cancelled:
                if outcome == 'permit':
                    self.hits['permit passed on'] += 1
                    self.sem_release(op[1])  # passed on
                return self.text(op, ECANCELED)
            return self.text(op, '0')
        if kind == 'get':
            q = self.queues[op[1]]
            if t.cancelled:
                if isinstance(outcome, tuple):  # an item handed over: passed on
                    self.hits['item passed on'] += 1
                    if q.getters:
                        self.wake_first(q.getters, outcome, 'getter')
                    else:
                        q.items.appendleft(outcome[1])
                return self.text(op, ECANCELED)
            if outcome == 'epipe':
                return self.text(op, EPIPE)
            if q.closed:
                self.hits['item kept after close'] += 1
            return 'get q%d -> 0 item=%d' % (op[1], outcome[1])
        if kind == 'put':
            q = self.queues[op[1]]
            if outcome == 'slot':
                if t.cancelled:
                    self.hits['slot passed on'] += 1
                    q.reserved -= 1
                    self.queue_slot_freed(q)  # the slot passed on
                    return self.text(op, ECANCELED)
                q.reserved -= 1
                if q.closed:
                    self.hits['slot after close'] += 1
                    return self.text(op, EPIPE)
                self.queue_deliver(q, op[2])
                return self.text(op, '0')
            return self.text(op, ECANCELED if t.cancelled else EPIPE)
        raise ValueError('op %r does not suspend' % (op,))

    # ---- texts ------------------------------------------------------------

    def text(self, op, r):
        kind = op[0]
        if kind in ('yield', 'sleep0'):
            return '%s -> %s' % (kind, r)
        if kind == 'wait':
            return 'wait e%d -> %s' % (op[1], r)
        if kind == 'acquire':
            return 'acquire s%d -> %s' % (op[1], r)
        if kind == 'get':
            return 'get q%d -> %s' % (op[1], r)
        if kind == 'put':
            return 'put q%d %d -> %s' % (op[1], op[2], r)
        raise ValueError(op)

    def join_text(self, k, r):
        return 'join T%d -> %s res=%d' % (k, r, self.res[k])

    def group_text(self, op, r):
        ks = op[1] if op[0] in ('gather', 'join_all') else [op[1]]
        return '%s %s -> %s res=%s' % (op[0], ' '.join('T%d' % k for k in ks), r,
                                      ','.join(str(self.res[k]) for k in ks))

    # ---- cancellation -----------------------------------------------------

    def cancel(self, t):
        if t.done or t.cancelled:
            return
        t.cancelled = True
        if t.waiting is None:
            # not started, queued or running: only the flag
            self.hits['cancel ' + ('unstarted' if not t.started else 'queued')] += 1
            return
        kind = t.waiting[0]
        self.hits['cancel waiting in ' + kind] += 1
        if kind == 'join':
            c = t.wait_obj
            c.joiner = None  # detached: runs on
            self.wake(t, 'cancel')
        elif kind in ('gather', 'wait_for', 'wait_for0', 'join_all'):
            for c in t.wait_obj.children:
                self.cancel(c)
            # woken when the last child has finished
        else:  # an event, semaphore or queue wait list
            t.wait_obj.remove(t)
            self.wake(t, 'cancel')

    # ---- events, semaphores, queues ---------------------------------------

    def event_do_set(self, e):
        self.event_set[e] = True
        while self.event_waiters[e]:
            self.wake_first(self.event_waiters[e], 'set', 'event')

    def sem_release(self, s):
        if self.sem_waiters[s]:
            self.wake_first(self.sem_waiters[s], 'permit', 'semaphore')
        else:
            self.sem_count[s] += 1

    def queue_deliver(self, q, v):
        if q.getters:
            # straight to a getter: the slot it would have taken in the
            # queue stays free, for the next putter (one may wait while
            # slots are promised to putters that have not run yet)
            self.wake_first(q.getters, ('item', v), 'getter')
            self.queue_slot_freed(q)
        else:
            q.items.append(v)

    def queue_slot_freed(self, q):
        # no slot if an item given back by a cancelled getter keeps it full
        if q.putters and (q.cap == 0 or len(q.items) + q.reserved < q.cap):
            q.reserved += 1
            self.wake_first(q.putters, 'slot', 'putter')

    def queue_close(self, q):
        q.closed = True
        while q.getters:
            self.wake_first(q.getters, 'epipe', 'getter')
        while q.putters:
            self.wake_first(q.putters, 'epipe', 'putter')


def trace(prog, hits=None):
    m = Model(prog)
    out = m.loop()
    if hits is not None:
        hits.update(m.hits)
    return out
