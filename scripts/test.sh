#!/usr/bin/env bash
# test.sh: set up (scripts/setup.sh), then run every test with CTest, which
# runs lit over test/. Ends with exactly one line, `N passed, N failed`
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
summary=$(python3 - "$results" <<'PY'
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for case in ET.parse(sys.argv[1]).getroot().iter("testcase"):
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
