#!/usr/bin/env python3
"""table.py RESULTS N_GEN: the Markdown table of bench/run.sh from its
`bench key value` lines. Times: best of the repetitions; echo server CPU:
median. A ratio is acc / peer unless the row says otherwise."""
import statistics
import sys
from collections import defaultdict

vals = defaultdict(list)
for line in open(sys.argv[1]):
    p = line.split()
    if len(p) == 3:
        try:
            vals[(p[0], p[1])].append(float(p[2]))
        except ValueError:
            vals[(p[0], p[1])].append(p[2])
n_gen = sys.argv[2] if len(sys.argv) > 2 else "3000"


def best(b, k):
    v = vals.get((b, k))
    return min(v) if v else None


def med(b, k):
    v = vals.get((b, k))
    return statistics.median(v) if v else None


def f(x, unit=""):
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return x
    if x >= 100:
        s = f"{x:.0f}"
    elif x >= 10:
        s = f"{x:.1f}"
    else:
        s = f"{x:.2f}"
    return s + unit


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.2f}×"


def inv(a, b):  # how many times faster acc (b) is than a peer (a)
    if a is None or b is None or b == 0:
        return "n/a"
    return f"{a / b:.0f}× faster" if a / b >= 10 else f"{a / b:.1f}× faster"


def met(ok):
    return "n/a" if ok is None else ("yes" if ok else "**no**")


rows = []


def row(what, acc, peer, r, goal, ok):
    rows.append((what, acc, peer, r, goal, met(ok)))


def cmp(x, op, y):
    if x is None or y is None:
        return None
    return op(x, y)


import operator as o

# issue 3 (a)
for cc in ("gcc", "clang"):
    a, c = best(f"await_{cc}", "await_ns"), best(f"await_{cc}", "c_call_ns")
    if a is not None:
        row(f"3a await, callee does not suspend ({cc} -O2), ns", f(a), f"C call (noinline): {f(c)}",
            ratio(a, c), "≤ 3×", cmp(a, o.le, None if c is None else 3 * c))
# issue 3 (b)
ip, cx = best("resume", "abi_in_place_resume_ns"), best("resume_cxx", "cxx_always_resume_ns")
row("3b resume a suspended coroutine, ns (acc: await of a leaf built in place that suspends)", f(ip),
    f"C++20 suspend_always: {f(cx)}", ratio(ip, cx), "≤ 3 ns", cmp(ip, o.le, 3.0))
a, cn = best("resume", "abi_resume_ns"), best("resume_cxx", "cxx_nested_resume_ns")
row("3b await of a leaf coroutine in its own frame that suspends once, ns", f(a),
    f"C++20 nested task: {f(cn)}", ratio(a, cn), "", None)
y1, yk = best("resume", "yield1_resume_ns"), best("resume", "yieldK_resume_ns")
row("3b `await acc_yield()` through the loop, 1 task, ns", f(y1), "", "", "", None)
row("3b `await acc_yield()` through the loop, 1000 tasks, ns per yield", f(yk), "", "", "", None)
fb = []
for b, k in (("await_gcc", "frame_bytes_mix_async"), ("await_gcc", "frame_bytes_loop_async"),
             ("resume", "frame_bytes_gen"), ("resume", "frame_bytes_yielder"),
             ("resume", "frame_bytes_pause_leaf"), ("spawn", "frame_bytes_child"),
             ("sleep", "frame_bytes_sleeper")):
    v = best(b, k)
    if v is not None:
        fb.append(f"{k[12:]} {v:.0f}")
cxf = [f"{k[16:]} {best('resume_cxx', k):.0f}" for k in
       ("cxx_frame_bytes_gen_always", "cxx_frame_bytes_gen_nested", "cxx_frame_bytes_pause_leaf")
       if best("resume_cxx", k) is not None]
row("3b bytes per frame (sizeof struct f__frame)", ", ".join(fb) or "n/a",
    "C++20 (g++): " + (", ".join(cxf) or "n/a"), "", "", None)
# issue 3 (c)
for n in sorted({int(b.split("_")[-1]) for (b, _k) in vals if b.startswith("translate_acc_")}):
    a, c = best(f"translate_acc_{n}", "best_s"), best(f"translate_clang_{n}", "best_s")
    row(f"3c translate {n} async functions, s", f(a), f"clang -fsyntax-only: {f(c)}", ratio(a, c),
        "≤ 1.5×", cmp(a, o.le, None if c is None else 1.5 * c))
# issue 4 (a)
for kind in ("cold", "warm"):
    k = f"ns_per_task_{kind}"
    a = best("spawn", k)
    c = best("spawn_fifo", k)
    row(f"4a spawn+yield+complete, ns/task ({kind})", f(a), f"C state machine + FIFO: {f(c)}",
        ratio(a, c), "≤ 1.25×, ≤ 50 ns", cmp(a, o.le, None if c is None else min(1.25 * c, 50.0)))
    for peer, name, goal, fac in (("spawn_go1", "Go, GOMAXPROCS=1", "≥ 10× faster", 10),
                                  ("spawn_go", "Go, all CPUs", "", None),
                                  ("spawn_asyncio", "asyncio", "≥ 100× faster", 100),
                                  ("spawn_uvloop", "uvloop", "", None)):
        p = best(peer, k)
        if p is None:
            continue
        row(f"4a vs {name} ({kind})", f(a), f"{name}: {f(p)}", inv(p, a), goal,
            cmp(a, o.le, p / fac) if fac else None)
# issue 4 (b)
a = best("sleep", "bytes_per_task")
parts = []
for k in ("frame_bytes_sleeper", "sizeof_acc_task", "timers_in_block", "timers_outside"):
    v = best("sleep", k)
    if v is not None:
        parts.append(f"{k} {v:.0f}")
row("4b bytes per sleeping task (RSS delta / n)", f(a), "; ".join(parts), "", "≤ 64 (no live locals)",
    cmp(a, o.le, 64))
for peer, name in (("sleep_cxx", "C++20 (g++) + binary heap"), ("sleep_go", "Go"),
                   ("sleep_asyncio", "asyncio"), ("sleep_uvloop", "uvloop")):
    p = best(peer, "bytes_per_task")
    if p is not None:
        row(f"4b vs {name}", f(a), f"{name}: {f(p)}", ratio(a, p), "", None)
# issue 4 (c)
for op, goal, lim in (("arm", "≤ 20 ns", 20), ("cancel", "≤ 20 ns", 20), ("fire", "≤ 200 ns", 200)):
    h, u = best("timerheap", f"heap_{op}_ns"), best("timers_uv", f"heap_{op}_ns")
    row(f"4c timers alone: {op}, ns", f(h), f"libuv timers: {f(u)}", ratio(h, u), goal, cmp(h, o.le, lim))
for op in ("arm", "cancel", "fire"):
    t = best("timers", f"{op}_ns")
    row(f"4c sleeping tasks: {op} (task included), ns", f(t), "", "", "", None)
# issue 4 (d)
for c in (10, 100):
    a, e, u = (med(f"echo_{s}_{c}", "server_cpu_us_per_msg") for s in ("acc", "epoll", "uv"))
    row(f"4d echo, {c} connections: server CPU µs/msg", f(a), f"epoll: {f(e)}", ratio(a, e), "≤ 1.05×",
        cmp(a, o.le, None if e is None else 1.05 * e))
    row(f"4d echo, {c} connections, vs libuv", f(a), f"libuv: {f(u)}", ratio(a, u), "< 1×", cmp(a, o.lt, u))

print("| benchmark | acc | peer | ratio | goal | met |")
print("|---|---|---|---|---|---|")
for r in rows:
    print("| " + " | ".join(r) + " |")
print()
print(f"n = {f(best('meta', 'n'))}, echo messages = {f(best('meta', 'msgs'))}; "
      f"times: best of the repetitions, echo: median; ratio = acc / peer "
      f"(below 1: acc is better), or how many times faster acc is.")
