#!/usr/bin/env bash
# bench/run.sh: the speed goals of issues 3 and 4, measured against peers
# in the same run, printed as a table of ratios (bench/README.md).
#
#   bench/run.sh [--quick] [--no-install]
#
# Environment:
#   ACC_BUILD=DIR    use this existing build of acc (bin/acc, lib/libacc.a,
#                    include/acc.h) instead of building the source tree
#   BENCH_OUT=DIR    where programs and results go (default /tmp/acc-bench)
#   BENCH_REPS=N     repetitions of each measurement (default 3)
#
# Peers come from Debian's archive (python3, python3-uvloop, golang-go, g++,
# clang, libuv1-dev); missing ones are installed with apt-get when running
# as root, else their rows say "n/a". Everything runs on loopback, every
# program under `timeout`. Times are the best of the repetitions (for echo:
# the median), as is usual for micro-benchmarks on a shared machine.
# Nothing here is a test: no threshold fails anything, the table reports.
set -u -o pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(dirname "$HERE")
OUT=${BENCH_OUT:-/tmp/acc-bench}
REPS=${BENCH_REPS:-3}
QUICK=0
INSTALL=1
for a in "$@"; do
    case $a in
    --quick) QUICK=1 ;;
    --no-install) INSTALL=0 ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $a" >&2; exit 2 ;;
    esac
done

if [ $QUICK = 1 ]; then
    N=100000; N_AWAIT=2000000; N_RESUME=2000000; N_GEN=1000; MSGS=20000; REPS=1
else
    N=1000000; N_AWAIT=20000000; N_RESUME=10000000; N_GEN=3000; MSGS=200000
fi
LIMIT=600 # seconds, per program run

mkdir -p "$OUT/bin" "$OUT/gen"
RES="$OUT/results.txt"
: >"$RES"
LOG="$OUT/log.txt"
: >"$LOG"

say() { printf '%s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

# ---- peers -------------------------------------------------------------
PY=/usr/bin/python3 # Debian's python, where python3-uvloop installs
[ -x $PY ] || PY=$(command -v python3 || echo /usr/bin/python3)
need_pkgs=()
[ -x $PY ] || need_pkgs+=(python3)
[ -x $PY ] && $PY -c 'import uvloop' 2>/dev/null || need_pkgs+=(python3-uvloop)
have go || need_pkgs+=(golang-go)
have g++ || need_pkgs+=(g++)
have clang || need_pkgs+=(clang)
[ -f /usr/include/uv.h ] || need_pkgs+=(libuv1-dev)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    if [ $INSTALL = 1 ] && [ "$(id -u)" = 0 ] && have apt-get; then
        say "installing peers: ${need_pkgs[*]}"
        timeout 900 apt-get update -qq >>"$LOG" 2>&1
        DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq "${need_pkgs[@]}" >>"$LOG" 2>&1 ||
            say "apt-get failed (see $LOG); missing peers are skipped"
    else
        say "missing peers (skipped): ${need_pkgs[*]}"
    fi
fi
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
HAVE_PY=0; [ -x "$PY" ] && HAVE_PY=1
HAVE_UVLOOP=0; [ $HAVE_PY = 1 ] && $PY -c 'import uvloop' 2>/dev/null && HAVE_UVLOOP=1
HAVE_GO=0; have go && HAVE_GO=1
HAVE_CXX=0; have g++ && HAVE_CXX=1
HAVE_CLANG=0; have clang && HAVE_CLANG=1
HAVE_UV=0; [ -f /usr/include/uv.h ] && HAVE_UV=1
CC=${CC:-gcc}

# Two CPUs or more: the echo server and its client each get their own.
PIN_SERVER=""; PIN_CLIENT=""
if have taskset && [ "$(nproc)" -ge 2 ]; then
    PIN_SERVER="taskset -c 0"; PIN_CLIENT="taskset -c 1"
fi

# ---- acc -----------------------------------------------------------------
if [ -n "${ACC_BUILD:-}" ]; then
    B=$ACC_BUILD
else
    B=$OUT/build
    say "building acc from $SRC (Release) in $B"
    { cmake -S "$SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release && cmake --build "$B" -j"$(nproc)"; } >>"$LOG" 2>&1 ||
        { say "run.sh: building acc failed, see $LOG"; exit 1; }
fi
ACC=$B/bin/acc
ACCINC=$B/include
LIBACC=$B/lib/libacc.a
INTERNAL=$SRC/runtime/src # internal.h: timer heap and sizes only
for f in "$ACC" "$LIBACC" "$ACCINC/acc.h"; do
    [ -e "$f" ] || { say "run.sh: $f missing"; exit 1; }
done

# ---- helpers -------------------------------------------------------------
# record BENCH: read `key value` lines on stdin, append `BENCH key value`.
record() { awk -v b="$1" 'NF == 2 { print b, $1, $2 }' >>"$RES"; }

# run BENCH CMD...: run CMD (bounded) REPS times, record each run.
run() {
    local b=$1; shift
    for ((i = 0; i < REPS; i++)); do
        timeout $LIMIT "$@" 2>>"$LOG" | record "$b" || say "  $b: failed (see $LOG)"
    done
}

# run_once BENCH CMD...: for the slow peers (Python) and memory counts.
run_once() {
    local b=$1; shift
    timeout $LIMIT "$@" 2>>"$LOG" | record "$b" || say "  $b: failed (see $LOG)"
}

# build_acc NAME SRC.acc [CFLAGS...]: translate and compile with $CC -O2.
build_acc() {
    local name=$1 src=$2; shift 2
    "$ACC" -I"$HERE/lib" "$src" -o "$OUT/gen/$name.c" 2>>"$LOG" &&
        $CC -O2 -std=gnu11 -I"$HERE/lib" -I"$ACCINC" "$@" "$OUT/gen/$name.c" "$LIBACC" -lpthread \
            -o "$OUT/bin/$name" 2>>"$LOG" ||
        { say "  build of $name failed (see $LOG)"; return 1; }
}

build_c() {
    local name=$1 src=$2; shift 2
    $CC -O2 -std=gnu11 -I"$HERE/lib" "$src" "$@" -o "$OUT/bin/$name" 2>>"$LOG" ||
        { say "  build of $name failed (see $LOG)"; return 1; }
}

build_go() {
    local name=$1 src=$2
    (cd "$(dirname "$src")" && GOCACHE=$OUT/gocache GOPATH=$OUT/gopath GOPROXY=off GOFLAGS= \
        timeout $LIMIT go build -o "$OUT/bin/$name" "$(basename "$src")") >>"$LOG" 2>&1 ||
        { say "  build of $name failed (see $LOG)"; return 1; }
}

# ---- issue 3 (a): await without suspending vs a C call -------------------
say "issue 3 (a): await of a non-suspending async function"
build_acc await_gcc "$HERE/await/await.acc" && run await_gcc "$OUT/bin/await_gcc" $N_AWAIT 5
if [ $HAVE_CLANG = 1 ]; then
    CC=clang build_acc await_clang "$HERE/await/await.acc" && run await_clang "$OUT/bin/await_clang" $N_AWAIT 5
fi

# ---- issue 3 (b): resume ---------------------------------------------------
say "issue 3 (b): resuming a suspended coroutine"
build_acc resume "$HERE/resume/resume.acc" && run resume "$OUT/bin/resume" $N_RESUME 1000
if [ $HAVE_CXX = 1 ]; then
    g++ -std=c++20 -O2 "$HERE/resume/resume.cpp" -o "$OUT/bin/resume_cxx" 2>>"$LOG" &&
        run resume_cxx "$OUT/bin/resume_cxx" $N_RESUME
fi

# ---- issue 3 (c): translator speed -----------------------------------------
say "issue 3 (c): translator speed"
for n in $N_GEN $((N_GEN * 4)); do
    f=$OUT/gen/big$n.acc
    $PY "$HERE/translate/gen.py" $n >"$f"
    # acc -o /dev/null would replace /dev/null (see README): write a file.
    $PY "$HERE/lib/timecmd.py" $REPS "$ACC" "$f" -o "$OUT/gen/big$n.out.c" 2>>"$LOG" | record "translate_acc_$n"
    if [ $HAVE_CLANG = 1 ]; then
        # the same file and dialect as acc's parse: the keywords as acc's prelude spells them
        $PY "$HERE/lib/timecmd.py" $REPS clang -fsyntax-only -x c -D__ACC__=1 \
            '-Dasync=__attribute__((annotate("acc.async")))' -Dawait=__extension__ \
            -I"$ACCINC" "$f" 2>>"$LOG" | record "translate_clang_$n"
    fi
    echo "functions $n" | record "translate_$n"
done

# ---- issue 4 (a): spawn, yield once, complete ------------------------------
say "issue 4 (a): spawn, yield once and complete $N tasks"
build_acc spawn "$HERE/spawn/spawn.acc" && run spawn "$OUT/bin/spawn" $N 3
build_c spawn_fifo "$HERE/spawn/spawn_fifo.c" && run spawn_fifo "$OUT/bin/spawn_fifo" $N 3
if [ $HAVE_GO = 1 ] && build_go spawn_go "$HERE/spawn/spawn.go"; then
    GOMAXPROCS=1 run spawn_go1 "$OUT/bin/spawn_go" $N 3
    run spawn_go "$OUT/bin/spawn_go" $N 3
fi
if [ $HAVE_PY = 1 ]; then
    run_once spawn_asyncio $PY "$HERE/spawn/spawn.py" $N 2
    [ $HAVE_UVLOOP = 1 ] && run_once spawn_uvloop $PY "$HERE/spawn/spawn.py" $N 2 uvloop
fi

# ---- issue 4 (b): tasks asleep at once ---------------------------------------
say "issue 4 (b): memory of $N sleeping tasks"
build_acc sleep "$HERE/sleep/sleep.acc" -DBENCH_INTERNAL -I"$INTERNAL" && run_once sleep "$OUT/bin/sleep" $N
if [ $HAVE_CXX = 1 ]; then
    g++ -std=c++20 -O2 "$HERE/sleep/sleep.cpp" -o "$OUT/bin/sleep_cxx" 2>>"$LOG" &&
        run_once sleep_cxx "$OUT/bin/sleep_cxx" $N
fi
[ $HAVE_GO = 1 ] && build_go sleep_go "$HERE/sleep/sleep.go" && GOMAXPROCS=1 run_once sleep_go "$OUT/bin/sleep_go" $N
if [ $HAVE_PY = 1 ]; then
    run_once sleep_asyncio $PY "$HERE/sleep/sleep.py" $N
    [ $HAVE_UVLOOP = 1 ] && run_once sleep_uvloop $PY "$HERE/sleep/sleep.py" $N uvloop
fi

# ---- issue 4 (c): timers -------------------------------------------------------
say "issue 4 (c): arm, cancel and fire $N timers"
build_acc timers "$HERE/timers/timers.acc" && run timers "$OUT/bin/timers" $N
build_c timerheap "$HERE/timers/timerheap.c" -I"$ACCINC" -I"$INTERNAL" "$LIBACC" -lpthread &&
    run timerheap "$OUT/bin/timerheap" $N 3
[ $HAVE_UV = 1 ] && build_c timers_uv "$HERE/timers/timers_uv.c" -luv && run timers_uv "$OUT/bin/timers_uv" $N 3

# ---- issue 4 (d): TCP echo ------------------------------------------------------
# echo_one BENCH SERVER CONNS: start SERVER pinned to CPU 0, read its port,
# drive it from CPU 1 with MSGS messages over CONNS connections, stop it.
echo_one() {
    local b=$1 server=$2 conns=$3 port pid
    coproc SRV { exec timeout $LIMIT $PIN_SERVER "$server" 2>>"$LOG"; }
    pid=$SRV_PID
    if ! read -t 10 -r port <&"${SRV[0]}"; then
        say "  $b: server did not start"; kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; return 1
    fi
    # timeout execs the server: measure the server itself, timeout's child
    local spid
    spid=$(pgrep -P "$pid" | head -1)
    [ -n "$spid" ] || spid=$pid
    timeout $LIMIT $PIN_CLIENT "$OUT/bin/echo_client" "$port" "$conns" $((MSGS / conns)) "$spid" 2>>"$LOG" |
        record "${b}_$conns" || say "  $b $conns: client failed (see $LOG)"
    kill "$spid" "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

say "issue 4 (d): TCP echo, $MSGS messages of 1000 bytes"
build_c echo_client "$HERE/echo/client.c"
servers=()
build_c echo_epoll "$HERE/echo/echo_epoll.c" && servers+=(echo_epoll)
[ $HAVE_UV = 1 ] && build_c echo_uv "$HERE/echo/echo_uv.c" -luv && servers+=(echo_uv)
if grep -q 'acc_listen' "$ACCINC/acc.h" && grep -q 'acc_read' "$ACCINC/acc.h"; then
    build_acc echo_acc "$HERE/echo/echo.acc" && servers+=(echo_acc)
else
    say "  acc has no acc_listen/acc_read yet: echo_acc skipped"
fi
for ((i = 0; i < REPS; i++)); do
    for s in "${servers[@]}"; do
        for c in 10 100; do
            echo_one "$s" "$OUT/bin/$s" $c
        done
    done
done

# ---- the table ---------------------------------------------------------------------
{
    echo "machine $(nproc)cpu"
    echo "n $N"
    echo "msgs $MSGS"
} | record meta
$PY "$HERE/lib/table.py" "$RES" "$N_GEN"
say "raw results: $RES; log: $LOG"
