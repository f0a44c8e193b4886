#!/usr/bin/env python3
"""sched_order.py [-j JOBS] [-b BATCH] BUILD OUTDIR FIRST LAST: model-based testing of
libacc's scheduling order. For each seed in [FIRST, LAST], gen_sched.py
writes a random async-C program over tasks, yields, events, semaphores
and queues, and the trace that sched_model.py (SPEC 2 and
docs/runtime.md) says it prints; the program is translated by acc,
compiled by gcc and run on the default backend and with
ACC_BACKEND=poll, and must print exactly that trace. Prints one line per
seed and, last, `sched_order: N programs, M failed`; exits 1 if any
failed. A failing seed's files stay in OUTDIR/SEED (p.acc, expected.txt,
and the output of each backend) to reproduce it. With -b, BATCH
programs share one file and one executable (each run by its own acc_run,
see gen_sched.generate_batch), which is much faster; a seed that fails
there is then run on its own.
"""
import concurrent.futures
import difflib
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
import gen_sched  # noqa: E402

BACKENDS = (('epoll', {}), ('poll', {'ACC_BACKEND': 'poll'}))


def run(cmd, timeout=60, env=None):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or '')
        return 124, out, 'timed out after %d s' % timeout
    return p.returncode, p.stdout, p.stderr


def first_difference(want, got):
    diff = list(difflib.unified_diff(want.splitlines(), got.splitlines(), 'model', 'program', n=3, lineterm=''))
    return '\n'.join(diff[:40])


def compile_acc(build, acc_src, d, name):
    """The executable of acc_src, or (None, why not)."""
    c_src, exe = os.path.join(d, name + '.c'), os.path.join(d, name)
    rc, _, err = run([os.path.join(build, 'bin', 'acc'), acc_src, '-o', c_src])
    if rc != 0:
        return None, 'acc failed (%d): %s' % (rc, err[:500])
    extra = os.environ.get('ACC_SANITIZE_CFLAGS', '').split()
    rc, _, err = run(['gcc', '-std=c11', '-O0', '-w'] + extra + ['-I', os.path.join(build, 'include'), c_src,
                      os.path.join(build, 'lib', 'libacc.a'), '-lpthread', '-o', exe])
    if rc != 0:
        return None, 'gcc rejects acc\'s C: %s' % err[:500]
    return exe, None


def check_seed(build, d, seed):
    """None if the program prints the model's trace on every backend, else why not."""
    try:
        _, text, lines = gen_sched.generate(seed)
    except Exception as e:  # a model bug: report it like any failure
        return 'the model failed: %r' % e
    want = ''.join(line + '\n' for line in lines)
    acc_src = os.path.join(d, 'p.acc')
    with open(acc_src, 'w') as f:
        f.write(text)
    with open(os.path.join(d, 'expected.txt'), 'w') as f:
        f.write(want)
    exe, why = compile_acc(build, acc_src, d, 'p')
    if exe is None:
        return why
    for name, extra_env in BACKENDS:
        rc, got, err = run([exe], timeout=20, env=dict(os.environ, **extra_env))
        with open(os.path.join(d, 'got-%s.txt' % name), 'w') as f:
            f.write(got)
        if rc != 0:
            return 'on %s the program failed (%d): %s\n%s' % (name, rc, err[:500], first_difference(want, got))
        if got != want:
            return 'on %s the program and the model differ:\n%s' % (name, first_difference(want, got))
    return None


def split_by_seed(text):
    """{seed: its lines} of a batch's output."""
    parts, seed = {}, None
    for line in text.splitlines():
        if line.startswith('=== seed '):
            seed = int(line.split()[2])
            parts[seed] = []
        elif seed is not None:
            parts[seed].append(line)
    return parts


def check_batch(build, d, seeds):
    """The seeds of one batch that pass on every backend; the others are
    checked one by one (check_seed), which says why they fail."""
    try:
        text, lines = gen_sched.generate_batch(seeds)
    except Exception:
        return set()
    want = split_by_seed('\n'.join(lines))
    acc_src = os.path.join(d, 'batch.acc')
    with open(acc_src, 'w') as f:
        f.write(text)
    exe, _ = compile_acc(build, acc_src, d, 'batch')
    if exe is None:
        return set()
    good = set(seeds)
    for _, extra_env in BACKENDS:
        _, got, _ = run([exe], timeout=60, env=dict(os.environ, **extra_env))
        got = split_by_seed(got)
        good = {s for s in good if got.get(s) == want[s]}
        # the last seed that ran may have crashed mid-way though its lines match
        ran = [s for s in seeds if s in got]
        if ran and ran[-1] in good and (len(ran) < len(seeds)):
            good.discard(ran[-1])
    return good


def main():
    args = sys.argv[1:]
    jobs, batch = 1, 1
    while args[0] in ('-j', '-b'):
        if args[0] == '-j':
            jobs = int(args[1])
        else:
            batch = int(args[1])
        args = args[2:]
    build, outdir, first, last = args[0], args[1], int(args[2]), int(args[3])

    def one(seeds):
        d = os.path.join(outdir, 'batch%d' % seeds[0])
        os.makedirs(d, exist_ok=True)
        good = check_batch(build, d, seeds) if len(seeds) > 1 else set()
        shutil.rmtree(d)
        results = []
        for seed in seeds:
            why = None
            d = os.path.join(outdir, str(seed))
            if seed not in good:
                os.makedirs(d, exist_ok=True)
                why = check_seed(build, d, seed)
                if why is None:
                    shutil.rmtree(d)
            results.append((seed, why, d))
        return results

    batches = [list(range(s, min(s + batch, last + 1))) for s in range(first, last + 1, batch)]
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for results in pool.map(one, batches):
            for seed, why, d in results:
                if why is None:
                    print('seed %d: same trace' % seed)
                else:
                    failed += 1
                    print('seed %d: FAILED: %s (files in %s)' % (seed, why, d))
            sys.stdout.flush()
    print('sched_order: %d programs, %d failed' % (last - first + 1, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
