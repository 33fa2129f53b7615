#!/bin/bash
# TIMEOUT: 240
# SPEC 10: an operation waiting for a break that is interrupted by a signal fails with EINTR
# (FUSE INTERRUPT), and the break it began goes on to its deadline (the holder is revoked then).
# Native binding only (libfuse 2.9 does not pass INTERRUPT on).
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_need_native "jnr-fuse does not forward INTERRUPT"
seal_setup_with break_time=20

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
exec 7<>"$F"
python3 - <<'PY' || fail "seal"
import sealfs_ioctl as s
s.seal(7, s.SEAL_BREAKABLE)
PY
python3 - "$F" <<'PY' || fail "interrupted truncate"
import ctypes, errno, os, signal, sys, time
libc = ctypes.CDLL(None, use_errno=True)
signal.signal(signal.SIGALRM, lambda *a: None)   # no SA_RESTART: the syscall returns EINTR
signal.setitimer(signal.ITIMER_REAL, 1.0)
t0 = time.monotonic()
rc = libc.truncate(sys.argv[1].encode(), ctypes.c_long(0))
e = ctypes.get_errno()
print("truncate rc=%d errno=%s after %.1f s" % (rc, errno.errorcode.get(e, e), time.monotonic() - t0))
assert rc == -1 and e == errno.EINTR, (rc, e)
assert os.stat(sys.argv[1]).st_size == 65536
PY
assert_eq 1 "$(seal_status_field 7 state)" "the break did not go on after the interrupt"
wait_for 90 eval '[ "$(seal_status_field 7 state)" = 2 ]' || fail "not revoked at the deadline"
assert_eq 65536 "$(seal_size "$F")" "an interrupted truncate changed the size"
