#!/usr/bin/env bash
# test.sh: set up (scripts/setup.sh), then run every test with CTest, which
# runs lit over test/, and the runtime's tests again under the sanitizers
# and on the kqueue backend. Ends with exactly one line, `N passed, N failed`
# (unsupported tests count as neither; expected failures as passed), and
# exits non-zero if any test failed or the build did not succeed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${ACC_BUILD_DIR:-$root/build}
export ACC_BUILD_DIR=$build

if ! "$root/scripts/setup.sh"; then
    echo "test: setup or build failed"
    echo "0 passed, 1 failed"
    exit 1
fi

results=$build/test/lit-results.xml
rm -f "$results"
status=0
ctest --test-dir "$build" --output-on-failure || status=$?

if [ ! -f "$results" ]; then
    echo "test: lit wrote no results ($results)"
    echo "0 passed, 1 failed"
    exit 1
fi

# The runtime's tests (test/runtime, test/run) again in other build trees,
# each building only acc and libacc, their results counted with the rest:
#   <build>-sanitize  libacc under ASan+UBSan (-DACC_SANITIZE=ON);
#                     ACC_SANITIZE_TESTS=0 skips it
#   <build>-kqueue    the kqueue backend on test/kqueue's emulation of
#                     kqueue on epoll (-DACC_KQUEUE_SHIM=ON), selected with
#                     ACC_BACKEND=kqueue; ACC_KQUEUE_TESTS=0 skips it
# About a minute each on two cores.
all_results=("$results")
lit_py=$(sed -n 's/^ACC_LIT_PY:FILEPATH=//p' "$build/CMakeCache.txt")

# run_tree DIR WHAT BACKEND CMAKE_ARGS...: configure and build DIR, then
# run lit there with ACC_BACKEND=BACKEND (none if empty).
run_tree() {
    local tree=$1 what=$2 backend=$3
    shift 3
    local tree_results=$tree/test/lit-results.xml
    rm -f "$tree_results"
    if cmake -S "$root" -B "$tree" "$@" >/dev/null &&
       cmake --build "$tree" -j "$(nproc)" --target acc acc_runtime >/dev/null; then
        env ${backend:+ACC_BACKEND="$backend"} python3 "$lit_py" -sv \
            --param acc_site="$tree/test/lit.site.cfg.py" \
            --xunit-xml-output="$tree_results" "$root/test/runtime" "$root/test/run" || status=1
    else
        echo "test: the $what build failed"
        status=1
    fi
    if [ -f "$tree_results" ]; then
        all_results+=("$tree_results")
    else
        echo "test: no results from the $what run"
        status=1
    fi
}
if [ "${ACC_SANITIZE_TESTS:-1}" != 0 ]; then
    run_tree "$build-sanitize" sanitizer "" -DACC_SANITIZE=ON
fi
if [ "${ACC_KQUEUE_TESTS:-1}" != 0 ]; then
    run_tree "$build-kqueue" kqueue kqueue -DACC_KQUEUE_SHIM=ON
fi

summary=$(python3 - "${all_results[@]}" <<'PY'
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for case in (c for f in sys.argv[1:] for c in ET.parse(f).getroot().iter("testcase")):
    if case.find("failure") is not None:
        failed += 1
    elif case.find("skipped") is not None:
        skipped += 1
    else:
        passed += 1
if skipped:
    print("test: %d unsupported" % skipped)
print("%d passed, %d failed" % (passed, failed))
PY
)
echo "$summary"
case $summary in
    *", 0 failed") ;;
    *) status=1 ;;
esac
exit "$status"
