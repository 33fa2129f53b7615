#!/bin/bash
# TIMEOUT: 120
# SPEC 3: a holder killed with SIGKILL releases its seal (the kernel closes its fds).
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
seal_hold_bg "$F" strict 60
assert_eq 1 "$(seal_status_field "$F" holders)" "holder not counted"
expect_fail_with "Text file busy" truncate -s 0 "$F"
kill -9 "$HOLD_PID"
wait "$HOLD_PID" 2>/dev/null || true
seal_wait_holders "$F" 0 10 || fail "SIGKILL of the holder did not release the seal"
truncate -s 0 "$F" || fail "truncate after the holder died failed"
