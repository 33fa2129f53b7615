#!/bin/bash
# TIMEOUT: 180
# SPEC 10: a breakable holder's handle reports only POLLIN|POLLOUT before a break and POLLPRI
# once a conflicting operation begins one (FUSE POLL, woken with FUSE_NOTIFY_POLL); the holder
# that polls lets go and the operation proceeds. Native binding only (libfuse 2.9 answers POLL
# itself).
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 truncate
seal_need_native "jnr-fuse does not forward POLL"
seal_setup_with break_time=60

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
python3 - "$F" >"$CASE_DIR/holder.out" 2>&1 <<'PY' &
import os, select, sys, time, sealfs_ioctl as s
f = sys.argv[1]
fd = os.open(f, os.O_RDWR)
s.seal(fd, s.SEAL_BREAKABLE)
p = select.poll()
p.register(fd, select.POLLIN | select.POLLOUT | select.POLLPRI)
ev = dict(p.poll(0)).get(fd, 0)
print("before=%#x" % ev, flush=True)
assert ev & select.POLLPRI == 0 and ev & select.POLLIN, ev
open(f + ".ready", "w").close()
q = select.poll()
q.register(fd, select.POLLPRI)
t0 = time.monotonic()
got = q.poll(90_000)                     # no STATUS polling: only POLLPRI wakes us
took = time.monotonic() - t0
assert got and got[0][1] & select.POLLPRI, got
st = s.status(fd)
print("told after %.1f s state=%d" % (took, st["state"]), flush=True)
assert st["state"] & s.STATUS_BREAKING
s.unseal(fd)
PY
HOLDER=$!
SEAL_BG_PIDS+=("$HOLDER")
wait_for 30 test -e "$F.ready" || fail "holder: $(cat "$CASE_DIR/holder.out")"
truncate -s 0 "$F" || fail "the waiting truncate failed"
wait "$HOLDER" || fail "holder: $(cat "$CASE_DIR/holder.out")"
cat "$CASE_DIR/holder.out"
assert_eq 0 "$(seal_size "$F")" "size after the break"
