#!/bin/bash
# TIMEOUT: 180
# SPEC 12, 8: `sealfs break FILE` (SEALFS_IOC_BREAK flags 0) breaks the breakable seals and
# exits when they are gone; hard seals stay. A `sealfs seal --breakable` holder lets go when
# told on the native binding; with jnr-fuse the break ends by revocation at break_time.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_setup_with break_time=3

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
"$SEALFS" seal --breakable "$F" >"$CASE_DIR/holder.out" 2>&1 &
HOLDER=$!
SEAL_BG_PIDS+=("$HOLDER")
wait_for 30 grep -q "sealed $F (breakable)" "$CASE_DIR/holder.out" \
  || fail "holder: $(cat "$CASE_DIR/holder.out")"
exec 7<>"$F"
sio seal 7 >/dev/null || fail "hard seal"
"$SEALFS" break "$F" 2>"$CASE_DIR/break.err" || fail "sealfs break: $(cat "$CASE_DIR/break.err")"
cat "$CASE_DIR/break.err"
grep -q "^sealfs: broke the seals of $F in [0-9]* ms" "$CASE_DIR/break.err" || fail "message"
assert_eq 1 "$(seal_status_field 7 holders)" "the hard seal did not stay alone"
if [ "$(seal_binding)" = native ]; then
  wait_for 30 grep -q "is being broken; let go" "$CASE_DIR/holder.out" \
    || fail "the breakable holder was not told: $(cat "$CASE_DIR/holder.out")"
fi
getfattr --only-values -n user.sealfs.holders "$F"
sio unseal 7
