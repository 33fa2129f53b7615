#!/bin/bash
# TIMEOUT: 120
# SPEC 12: SEALFS_IOC_BREAK with FORCE (root only; EPERM otherwise) revokes every seal at once,
# hard ones too; unknown flags are EOPNOTSUPP; `sealfs break --force` and `sealfs status`
# show it (state=revoked, revoked holders).
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 setpriv truncate
[ "$(id -u)" = 0 ] || skip "needs root to compare root with nobody"
seal_setup_with allow_other

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
chmod 0666 "$F"
exec 7<>"$F" 8<"$F"
sio seal 7 >/dev/null || fail "hard seal"
python3 - 8 <<'PY' || fail "unknown flags"
import errno, sys, sealfs_ioctl as s
try:
    s.break_seals(int(sys.argv[1]), 2)
    raise SystemExit("break flags 2 succeeded")
except OSError as e:
    assert e.errno == errno.EOPNOTSUPP, e
PY
out=$(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups "$PYTHON" -c '
import errno, fcntl, struct
try:
    fcntl.ioctl(8, 0x40087305, struct.pack("<Q", 1))
    print("forced")
except OSError as e:
    print("errno=%s" % errno.errorcode.get(e.errno, e.errno))' 2>&1)
assert_eq "errno=EPERM" "$out" "non-root FORCE"
assert_eq 1 "$(seal_status_field 7 holders)" "non-root FORCE changed the seals"
"$SEALFS" break --force "$F" 2>&1 | grep -q "revoked the seals of" || fail "sealfs break --force"
assert_eq 0 "$(seal_status_field 7 holders)" "FORCE left a holder"
assert_eq 2 "$(seal_status_field 7 state)" "the hard holder is not revoked"
st=$("$SEALFS" status "$F") || fail "sealfs status"
printf '%s\n' "$st"
grep -q "^revoked holders: 1 " <<<"$st" || fail "status shows no revocation"
grep -q "^holder: .* range=0:0 breakable=0 state=revoked" <<<"$st" || fail "status holder line"
truncate -s 0 "$F" || fail "truncate after FORCE"
sio unseal 7 || fail "unseal acknowledges"
assert_eq 0 "$(seal_status_field 7 state)" "acknowledged"
