#!/bin/bash
# TIMEOUT: 180
# SPEC 10: a conflicting operation waits while the break runs, the holder is told (STATUS
# BREAKING with the deadline, user.sealfs.seal "breaking deadline=...", POLLPRI where the
# binding has POLL), lets go in time (sealctl lease: UNSEAL), and the operation proceeds; the
# holder is not revoked. Needs worker threads to serve the holder while the truncate waits.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 gcc getfattr truncate
seal_need_native "the holder's STATUS and UNSEAL must be served while the truncate waits"
seal_setup_with break_time=60

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
SEALCTL=$CASE_DIR/sealctl
gcc -Wall -Werror -o "$SEALCTL" "$(dirname "$SEALFS")/../examples/sealctl.c" \
  -I"$(dirname "$SEALFS")/../include" || fail "cannot build sealctl"
"$SEALCTL" lease "$F" 120 >"$CASE_DIR/lease.out" 2>&1 &
LEASE=$!
SEAL_BG_PIDS+=("$LEASE")
wait_for 30 grep -q '^leased' "$CASE_DIR/lease.out" || fail "lease: $(cat "$CASE_DIR/lease.out")"
truncate -s 0 "$F" &
TRUNC=$!
SEAL_BG_PIDS+=("$TRUNC")
wait "$LEASE" || fail "the holder was not told: $(cat "$CASE_DIR/lease.out")"
cat "$CASE_DIR/lease.out"
grep -q "^told state=1 break_deadline_ms=[1-9]" "$CASE_DIR/lease.out" \
  || fail "holder's view: $(cat "$CASE_DIR/lease.out")"
wait "$TRUNC" || fail "the waiting truncate failed"
assert_eq 0 "$(seal_size "$F")" "size after the break"
getfattr --only-values -n user.sealfs.holders "$F" | grep -q revoked \
  && fail "a holder that let go was revoked"
# the xattr during a break: a python holder that only reports and lets go
python3 - "$F" <<'PY' &
import os, subprocess, sys, time, sealfs_ioctl as s
f = sys.argv[1]
fd = os.open(f, os.O_RDWR)
s.seal(fd, s.SEAL_BREAKABLE)
open(f + ".ready", "w").close()
while not s.status(fd)["state"] & s.STATUS_BREAKING:
    time.sleep(0.02)
v = subprocess.run(["getfattr", "--only-values", "-n", "user.sealfs.seal", f],
                   capture_output=True, text=True).stdout
print("seal xattr:", v)
assert " breaking deadline=" in v, v
s.unseal(fd)
PY
HOLDER=$!
SEAL_BG_PIDS+=("$HOLDER")
wait_for 30 test -e "$F.ready" || fail "python holder did not seal"
printf 'more' >>"$F" || fail "append during a break failed"
wait "$HOLDER" || fail "python holder saw no breaking deadline"
