#!/usr/bin/env bash
# expect_status.sh N CMD [ARGS...]: run CMD, passing its output through, and
# succeed only if it exits with status N. (`%expect-status` in lit tests;
# `not` only tells zero from non-zero.)
set -u
want=$1
shift
"$@"
got=$?
if [ "$got" != "$want" ]; then
    echo "expect_status.sh: exit status $got, expected $want: $*" >&2
    exit 1
fi
exit 0
