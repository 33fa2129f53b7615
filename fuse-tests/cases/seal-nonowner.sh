#!/bin/bash
# TIMEOUT: 120
# SPEC 3: only the owner or root may seal: a non-owner with a writable handle gets EACCES,
# while status works for it (so the refusal is the seal's, not the mount's).
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 setpriv
[ "$(id -u)" = 0 ] || skip "needs root to switch to nobody"
fs_mkfs -s 128M >/dev/null || fail "mkfs failed"
fs_mount -o allow_other || fail "mount with allow_other failed"
seal_trap

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
chmod 0666 "$F"
# The handle is opened by root and inherited, so the test does not depend on nobody being
# able to traverse $CASE_DIR; the FUSE request still carries nobody's uid.
exec 7<>"$F"
stage_python sealfs-nonowner
pydir=$PYDIR
out=$(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups \
  env PYTHONPATH="$pydir" python3 - 2>&1 <<'PY'
import errno, os, sealfs_ioctl as s
assert os.getuid() == 65534
st = s.status(7)                   # allowed for anyone with a handle
print("status-ok holders=%d" % st["holders"])
try:
    s.seal(7, 0)
    print("seal-succeeded")
except OSError as e:
    print("seal-errno=%s" % errno.errorcode.get(e.errno, e.errno))
PY
)
rm -rf "$pydir"
case $out in
  *status-ok*) ;;
  *) fail "nobody cannot even query status (mount not reachable?): $out" ;;
esac
grep -q "seal-errno=EACCES" <<<"$out" || fail "non-owner seal: $out"
assert_eq 0 "$(seal_status_field "$F" holders)" "non-owner attempt left a holder"
# Control: the owner (root) seals through the same handle.
sio seal 7 >/dev/null || fail "root cannot seal the same handle"
exec 7>&-
