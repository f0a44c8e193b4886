#!/usr/bin/env bash
# test.sh: set up (scripts/setup.sh), then run every test with CTest, which
# runs lit over test/, and the runtime's tests again under the sanitizers. Ends with exactly one line, `N passed, N failed`
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

# The runtime's tests (test/runtime, test/run) once more against a libacc
# built with ASan+UBSan (-DACC_SANITIZE=ON) in a second build tree, about a
# minute on two cores. ACC_SANITIZE_TESTS=0 skips this.
all_results=("$results")
if [ "${ACC_SANITIZE_TESTS:-1}" != 0 ]; then
    asan=$build-sanitize
    asan_results=$asan/test/lit-results.xml
    rm -f "$asan_results"
    lit_py=$(sed -n 's/^ACC_LIT_PY:FILEPATH=//p' "$build/CMakeCache.txt")
    if cmake -S "$root" -B "$asan" -DACC_SANITIZE=ON >/dev/null &&
       cmake --build "$asan" -j "$(nproc)" --target acc acc_runtime >/dev/null; then
        python3 "$lit_py" -sv --param acc_site="$asan/test/lit.site.cfg.py" \
            --xunit-xml-output="$asan_results" "$root/test/runtime" "$root/test/run" || status=1
    else
        echo "test: the sanitizer build failed"
        status=1
    fi
    if [ -f "$asan_results" ]; then
        all_results+=("$asan_results")
    else
        echo "test: no results from the sanitizer run"
        status=1
    fi
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
