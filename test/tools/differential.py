#!/usr/bin/env python3
"""differential.py BUILD OUTDIR FIRST LAST: for each seed in [FIRST, LAST],
generate a random async-C program and its plain-C twin (gen_program.py),
run the twin compiled by gcc, and the program translated by acc and
compiled by gcc and by clang (-std=c11 -pedantic-errors, ISO C11 only);
every output must be the twin's. ACC_SANITIZE_CFLAGS adds flags to every
compilation (the twin's too), ACC_TWIN_CFLAGS to the twin's only, e.g.
-fsanitize=address,undefined -fno-sanitize-recover=all to check that the
generator wrote no undefined behaviour. Prints one line per seed and, last,
`differential: N programs, M failed`; exits 1 if any failed. A failing
seed's files stay in OUTDIR/SEED to reproduce it.
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(cmd, timeout=60):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return 124, '', 'timed out after %d s' % timeout
    return p.returncode, p.stdout, p.stderr


def check_seed(build, d, seed, compilers):
    """None if the seed's programs agree, else what went wrong."""
    acc_src, twin_src = os.path.join(d, 'p.acc'), os.path.join(d, 'twin.c')
    rc, _, err = run([sys.executable, os.path.join(HERE, 'gen_program.py'), str(seed), acc_src, twin_src])
    if rc != 0:
        return 'generator failed: ' + err
    # the sanitizers, if asked for, check the twin too (ACC_TWIN_CFLAGS
    # only the twin): undefined behaviour there is the generator's bug
    extra = os.environ.get('ACC_SANITIZE_CFLAGS', '').split()
    twin_extra = os.environ.get('ACC_TWIN_CFLAGS', '').split()
    twin = os.path.join(d, 'twin')
    rc, _, err = run(['gcc', '-std=c11', '-O1', '-w'] + extra + twin_extra + [twin_src, '-o', twin])
    if rc != 0:
        return 'the twin does not compile: ' + err[:500]
    rc, want, err = run([twin], timeout=20)
    if rc != 0:
        return 'the twin failed (%d): %s' % (rc, err[:500])
    c_src = os.path.join(d, 'p.c')
    rc, _, err = run([os.path.join(build, 'bin', 'acc'), acc_src, '-o', c_src])
    if rc != 0:
        return 'acc failed (%d): %s' % (rc, err[:500])
    for cc in compilers:
        exe = os.path.join(d, 'p_' + cc)
        rc, _, err = run([cc, '-std=c11', '-pedantic-errors', '-O1', '-w'] + extra +
                         ['-I', os.path.join(build, 'include'), c_src,
                          os.path.join(build, 'lib', 'libacc.a'), '-lpthread', '-o', exe])
        if rc != 0:
            return '%s rejects acc\'s C: %s' % (cc, err[:500])
        rc, got, err = run([exe], timeout=20)
        if rc != 0:
            return 'the %s build failed (%d): %s' % (cc, rc, err[:500])
        if got != want:
            return 'the %s build prints\n%s\nwhere the twin prints\n%s' % (cc, got, want)
    return None


def main():
    build, outdir, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    compilers = [cc for cc in ('gcc', 'clang') if shutil.which(cc)]
    failed = 0
    for seed in range(first, last + 1):
        d = os.path.join(outdir, str(seed))
        os.makedirs(d, exist_ok=True)
        why = check_seed(build, d, seed, compilers)
        if why is None:
            print('seed %d: same output' % seed)
            shutil.rmtree(d)
        else:
            failed += 1
            print('seed %d: FAILED: %s (files in %s)' % (seed, why, d))
    print('differential: %d programs, %d failed' % (last - first + 1, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
