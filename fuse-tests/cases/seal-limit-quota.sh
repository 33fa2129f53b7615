#!/bin/bash
# TIMEOUT: 120
# SPEC 12: seal_limit=SIZE caps the bytes one non-root uid holds sealed (sum of ranges; a
# whole-file seal counts the size): past it SEAL is EDQUOT; root is exempt; letting go gives
# the bytes back.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 setpriv
[ "$(id -u)" = 0 ] || skip "needs root to switch to nobody"
seal_setup_with allow_other,seal_limit=64K

A=$SEALFS_MNT/a B=$SEALFS_MNT/b
seal_mkfile "$A" 49152
seal_mkfile "$B" 49152
chown 65534:65534 "$A" "$B"
exec 7<>"$A" 8<>"$B" 9<>"$B"
stage_python sealfs-limit
pydir=$PYDIR
out=$(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups \
  env PYTHONPATH="$pydir" python3 - 2>&1 <<'PY'
import errno, sealfs_ioctl as s
s.seal(7)                                   # 48K (the size of a)
try:
    s.seal_range(8, 0, 32768)               # 48K + 32K > 64K
    print("over-limit-sealed")
except OSError as e:
    print("over-limit-errno=%s" % errno.errorcode.get(e.errno, e.errno))
s.seal_range(8, 0, 16384)                   # exactly 64K
s.unseal(7)
s.seal_range(9, 0, 32768)                   # room again after letting go
print("done")
PY
)
rm -rf "$pydir"
printf '%s\n' "$out"
grep -q "over-limit-errno=EDQUOT" <<<"$out" || fail "seal past the limit: $out"
grep -q "^done" <<<"$out" || fail "limit accounting: $out"
exec 7>&- 7<>"$A"
sio seal 7 >/dev/null || fail "root is not exempt from seal_limit"
