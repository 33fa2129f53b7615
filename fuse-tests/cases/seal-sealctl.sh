#!/bin/bash
# TIMEOUT: 120
# The C client examples/sealctl.c, built with gcc against include/sealfs.h, works on a mount:
# seal/status/layout (matching the user.sealfs.layout xattr), mode errors, and hold while
# another process's truncate is refused.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd gcc python3 getfattr
ROOT=$(cd "$FUSE_TESTS/.." && pwd)
SEALCTL=$CASE_DIR/sealctl
gcc -Wall -Werror -o "$SEALCTL" "$ROOT/examples/sealctl.c" -I"$ROOT/include" \
  || fail "sealctl.c does not compile"
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 262144
out=$("$SEALCTL" seal "$F") || fail "sealctl seal failed"
[[ $out =~ ^sealed\ generation=[0-9]+\ holders=1$ ]] || fail "sealctl seal output: $out"
seal_wait_holders "$F" 0 10 || fail "sealctl's exit did not release"
out=$("$SEALCTL" status "$F") || fail "sealctl status"
[[ $out =~ ^sealed=0\ held_by_me=0\ holders=0\ generation=[0-9]+\ size=262144\ block_size=4096\ state=0\ break_deadline_ms=0$ ]] \
  || fail "sealctl status output: $out"
"$SEALCTL" layout "$F" >"$CASE_DIR/layout" || fail "sealctl layout"
assert_eq "$(tail -n +2 "$CASE_DIR/layout")" \
  "$(getfattr --only-values --absolute-names -n user.sealfs.layout "$F")" \
  "sealctl layout vs user.sealfs.layout"
assert_eq "$(sio layout "$F")" "$(cat "$CASE_DIR/layout")" "sealctl layout vs python layout"

S=$SEALFS_MNT/sparse
truncate -s 1M "$S"
expect_fail_with "Operation not permitted" "$SEALCTL" seal "$S"
"$SEALCTL" seal-asis "$S" >/dev/null || fail "sealctl seal-asis of a sparse file"
"$SEALCTL" seal-prepare "$S" >/dev/null || fail "sealctl seal-prepare of a sparse file"
"$SEALCTL" layout "$S" | tail -n +2 | grep -v ' written$' && fail "prepare left non-written extents"
"$SEALCTL" layout "$S" | tail -n +2 | python3 -c '
import sys
pos = 0
for l in sys.stdin:
    lo, ph, ln, st = l.split()
    assert int(lo) == pos, "hole at %d" % pos
    pos += int(ln)
assert pos >= 1048576, "layout covers %d" % pos
' || fail "prepare left holes"

"$SEALCTL" hold "$F" 3 >"$CASE_DIR/hold.out" 2>&1 &
pid=$!
SEAL_BG_PIDS+=("$pid")
for ((i = 0; i < 100; i++)); do
  grep -q '^sealed ' "$CASE_DIR/hold.out" && break
  sleep 0.05
done
grep -q '^sealed ' "$CASE_DIR/hold.out" || fail "sealctl hold did not seal: $(cat "$CASE_DIR/hold.out")"
expect_fail_with "Text file busy" truncate -s 0 "$F"
expect_fail_with "Text file busy" fallocate -l 1M -o 1M "$F"
rc=0
wait "$pid" || rc=$?
assert_eq 0 "$rc" "sealctl hold: $(cat "$CASE_DIR/hold.out")"
grep -q '^unsealed generation=[0-9]* unchanged$' "$CASE_DIR/hold.out" \
  || fail "sealctl hold output: $(cat "$CASE_DIR/hold.out")"
assert_eq 0 "$(seal_status_field "$F" holders)" "sealctl hold did not unseal"
