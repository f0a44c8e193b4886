#!/usr/bin/env bash
# run.sh: the `%run` and `%crun` of the lit tests.
#
#   run.sh FILE.acc [ARGS...]     translate with acc, then as below
#   run.sh --c FILE.c [ARGS...]   plain C against the runtime
#   run.sh --time MIN MAX ...     also fail unless each run takes between
#                                 MIN and MAX seconds of wall-clock time
#   run.sh --valgrind ...         run both programs under valgrind's memcheck:
#                                 any memory error or definite/indirect leak
#                                 fails the run (`%vrun`)
#
# Compiles the C with BOTH gcc and clang (-std=c11 -Wall -Wextra -Werror,
# so generated code must be warning-free under both), links libacc, runs
# both programs with ARGS, and fails unless their standard output, standard
# error and exit status agree. Then prints the output once (stdout, then
# stderr) and exits with the program's status, so a test can pipe it into
# FileCheck or check the status with `not`.
#
# ACC_BUILD_DIR names the build tree (lit sets it; default <src>/build).
# ACC_RUN_TIMEOUT bounds each run in seconds (default 60).
# ACC_EXTRA_CFLAGS adds flags to both compilations (split on whitespace),
# e.g. `-pedantic` (a lit.local.cfg can set it for a directory).
# ACC_SANITIZE_CFLAGS too: lit sets it to -fsanitize=... in a build
# configured with -DACC_SANITIZE=ON, whose libacc needs them.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${ACC_BUILD_DIR:-$here/../../build}
timeout_s=${ACC_RUN_TIMEOUT:-60}

plain_c=0
min_s=
max_s=
wrapper=()
while [ $# -gt 0 ]; do
    case $1 in
        --c) plain_c=1; shift ;;
        --time)
            [ $# -ge 3 ] || { echo "run.sh: --time needs MIN MAX" >&2; exit 2; }
            min_s=$2 max_s=$3
            shift 3 ;;
        --valgrind)
            wrapper=(valgrind -q --error-exitcode=99 --leak-check=full
                     --show-leak-kinds=definite,indirect
                     --errors-for-leak-kinds=definite,indirect)
            timeout_s=${ACC_RUN_TIMEOUT:-300}
            export ACC_FRAME_MALLOC=1 # frames from malloc: memcheck sees each (alloc.c)
            shift ;;
        *) break ;;
    esac
done
if [ $# -lt 1 ]; then
    echo "usage: run.sh [--c] FILE [ARGS...]" >&2
    exit 2
fi
src=$1
shift

tmp=$(mktemp -d "${TMPDIR:-/tmp}/acc-run.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT

if [ $plain_c = 1 ]; then
    c_file=$src
else
    c_file=$tmp/$(basename "${src%.*}").c
    "$build/bin/acc" "$src" -o "$c_file" || {
        st=$?
        echo "run.sh: acc failed on $src (status $st)" >&2
        exit "$st"
    }
fi

cflags=(-std=c11 -Wall -Wextra -Werror -g -gdwarf-4 -I"$build/include")
# shellcheck disable=SC2206
cflags+=(${ACC_EXTRA_CFLAGS:-} ${ACC_SANITIZE_CFLAGS:-})
libs=("$build/lib/libacc.a" -lpthread -lm)

# Both programs read the same input: what was piped in, else nothing.
if [ -p /dev/stdin ] || [ -f /dev/stdin ]; then
    cat >"$tmp/in"
else
    : >"$tmp/in"
fi

# Both programs are called `prog` (in a directory each), so that what
# prints the program's name (a failed assert) prints the same.
for cc in gcc clang; do
    mkdir -p "$tmp/$cc"
    if ! "$cc" "${cflags[@]}" "$c_file" "${libs[@]}" -o "$tmp/$cc/prog"; then
        echo "run.sh: $cc failed to compile $c_file" >&2
        exit 1
    fi
done
status=()
elapsed=()
for cc in gcc clang; do
    t0=$(date +%s.%N)
    timeout "$timeout_s" "${wrapper[@]}" "$tmp/$cc/prog" "$@" >"$tmp/out.$cc" 2>"$tmp/err.$cc" <"$tmp/in"
    status+=($?)
    t1=$(date +%s.%N)
    elapsed+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
done

ok=1
if [ -n "$min_s" ]; then
    for i in 0 1; do
        cc=$([ $i = 0 ] && echo gcc || echo clang)
        if ! awk -v t="${elapsed[$i]}" -v lo="$min_s" -v hi="$max_s" \
                'BEGIN { exit !(t >= lo && t <= hi) }'; then
            echo "run.sh: the $cc build ran for ${elapsed[$i]} s, not between $min_s and $max_s s" >&2
            ok=0
        fi
    done
fi
if [ "${status[0]}" != "${status[1]}" ]; then
    echo "run.sh: exit status differs: gcc build ${status[0]}, clang build ${status[1]}" >&2
    ok=0
fi
for stream in out err; do
    if ! cmp -s "$tmp/$stream.gcc" "$tmp/$stream.clang"; then
        echo "run.sh: std$stream differs between the gcc and clang builds:" >&2
        diff -u --label gcc --label clang "$tmp/$stream.gcc" "$tmp/$stream.clang" >&2
        ok=0
    fi
done
if [ $ok = 0 ]; then
    exit 1
fi
if [ "${status[0]}" = 124 ]; then
    echo "run.sh: timed out after ${timeout_s}s" >&2
fi
cat "$tmp/out.gcc"
cat "$tmp/err.gcc" >&2
exit "${status[0]}"
