#!/bin/bash
# TIMEOUT: 150
# SPEC 8: sealfs seal [--prepare|--asis] FILE [-- COMMAND...] holds the seal while COMMAND runs
# and exits with its status (like flock(1)); without COMMAND it holds until SIGTERM; it always
# unseals; errors are one "sealfs: " line and exit 1.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536

rc=0
"$SEALFS" seal "$F" -- truncate -s 0 "$F" 2>"$CASE_DIR/err" || rc=$?
assert_eq 1 "$rc" "exit status of a failing COMMAND not propagated"
grep -q "^sealfs: sealed $F (generation [0-9]*, holders 1)$" "$CASE_DIR/err" \
  || fail "no 'sealed' line: $(cat "$CASE_DIR/err")"
grep -q "Text file busy" "$CASE_DIR/err" || fail "truncate inside was not refused: $(cat "$CASE_DIR/err")"
assert_eq 65536 "$(seal_size "$F")" "truncate inside the seal changed the size"
# UNSEAL is synchronous: right after sealfs exits the file is not sealed any more.
assert_eq 0 "$(seal_status_field "$F" holders)" "seal outlived 'sealfs seal'"
truncate -s 65536 "$F" || fail "truncate after 'sealfs seal' returned failed"

rc=0
"$SEALFS" seal "$F" -- sh -c 'exit 7' 2>/dev/null || rc=$?
assert_eq 7 "$rc" "exit status 7 not propagated"
out=$("$SEALFS" seal "$F" -- python3 "$FUSE_TESTS/lib/sealfs_ioctl.py" status "$F" 2>/dev/null) \
  || fail "sealfs seal -- status failed"
grep -q "sealed=1 held_by_me=0 holders=1 " <<<"$out" || fail "not sealed while COMMAND runs: $out"

# Seal errors: one line, exit 1, COMMAND not run.
S=$SEALFS_MNT/sparse
truncate -s 1M "$S"
rc=0
"$SEALFS" seal "$S" -- touch "$CASE_DIR/ran" 2>"$CASE_DIR/err" || rc=$?
assert_eq 1 "$rc" "strict seal of a sparse file: exit status"
assert_eq "sealfs: cannot seal $S: Operation not permitted" "$(cat "$CASE_DIR/err")" "error line"
[ ! -e "$CASE_DIR/ran" ] || fail "COMMAND ran although the seal failed"
rc=0
"$SEALFS" seal "$SEALFS_MNT/nonexistent" -- true 2>"$CASE_DIR/err" || rc=$?
assert_eq 1 "$rc" "missing file: exit status"
grep -q "^sealfs: .*No such file or directory" "$CASE_DIR/err" || fail "$(cat "$CASE_DIR/err")"
rc=0
"$SEALFS" seal --prepare --asis "$F" -- true 2>"$CASE_DIR/err" || rc=$?
[ "$rc" -ne 0 ] || fail "--prepare --asis accepted"
grep -q "^sealfs: " "$CASE_DIR/err" || fail "usage error not a sealfs: line: $(cat "$CASE_DIR/err")"

# --prepare fills the holes; --asis keeps them.
A=$SEALFS_MNT/asis
truncate -s 1M "$A"
"$SEALFS" seal --asis "$A" -- true 2>/dev/null || fail "--asis seal of a sparse file failed"
assert_eq 1048576 "$(seal_size "$A")" "asis changed the size"
"$SEALFS" seal --prepare "$S" -- python3 - "$S" <<'PY' 2>/dev/null || fail "--prepare left holes"
import os, sys, sealfs_ioctl as s
fd = os.open(sys.argv[1], os.O_RDONLY)
hdr, ext = s.layout(fd)
assert hdr["sealed"] and not s.holes(ext, hdr["size"]), (hdr, ext)
PY

# Without COMMAND: hold until SIGTERM, then unseal and exit 0.
"$SEALFS" seal "$F" 2>"$CASE_DIR/hold.err" &
pid=$!
SEAL_BG_PIDS+=("$pid")
for ((i = 0; i < 600; i++)); do
  grep -q "^sealfs: sealed" "$CASE_DIR/hold.err" && break
  kill -0 "$pid" 2>/dev/null || fail "sealfs seal exited: $(cat "$CASE_DIR/hold.err")"
  sleep 0.05
done
grep -q "^sealfs: sealed" "$CASE_DIR/hold.err" || fail "sealfs seal did not report the seal"
assert_eq 1 "$(seal_status_field "$F" holders)" "holding sealfs seal is not a holder"
expect_fail_with "Text file busy" truncate -s 0 "$F"
sleep 1
kill -0 "$pid" 2>/dev/null || fail "sealfs seal stopped holding on its own"
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
assert_eq 0 "$rc" "sealfs seal after SIGTERM: exit status"
seal_wait_holders "$F" 0 10 || fail "seal not dropped after SIGTERM"
truncate -s 0 "$F" || fail "truncate after SIGTERM of the holder failed"

step "a file that is not on a sealfs mount is named as such"
echo host > "$CASE_DIR/host-file"
for cmd in seal status layout; do
  rc=0
  "$SEALFS" "$cmd" "$CASE_DIR/host-file" 2> "$CASE_DIR/err.$cmd" || rc=$?
  cat "$CASE_DIR/err.$cmd"
  assert_eq 1 "$rc" "sealfs $cmd of a host file: exit status"
  assert_eq 1 "$(wc -l < "$CASE_DIR/err.$cmd")" "sealfs $cmd of a host file: stderr lines"
  grep -q "^sealfs: cannot .* $CASE_DIR/host-file: not on a sealfs mount (it is on " \
    "$CASE_DIR/err.$cmd" || fail "sealfs $cmd does not say the file is not on a sealfs mount"
done
