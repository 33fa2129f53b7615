#!/bin/bash
# TIMEOUT: 120
# SPEC 4.3: the read-only virtual xattrs user.sealfs.{layout,seal,holders,device}: their text
# formats, that listxattr does not list them, and that setting/removing them is EPERM.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 getfattr setfattr
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 139264      # 34 blocks of 4K
setfattr -n user.plain -v 1 "$F" || fail "setfattr user.plain"
gv() { getfattr --only-values --absolute-names -n "$1" "$F"; }

seal=$(gv user.sealfs.seal) || fail "getfattr user.sealfs.seal"
assert_eq unsealed "$seal" "seal xattr of an unsealed file"
exec 7<>"$F"
read -r gen _ < <(sio seal 7) || fail "seal failed"
seal=$(gv user.sealfs.seal) || fail "getfattr user.sealfs.seal"
assert_eq "sealed holders=1 generation=$gen" "$seal" "seal xattr of a sealed file"

layout=$(gv user.sealfs.layout) || fail "getfattr user.sealfs.layout"
[ -n "$layout" ] || fail "empty layout xattr"
grep -Evq '^[0-9]+ [0-9]+ [0-9]+ (written|unwritten|shared)$' <<<"$layout" \
  && fail "bad layout xattr line(s): $layout"
assert_eq "$(sio layout 7 | tail -n +2)" "$layout" "layout xattr differs from the ioctl"

hold=$(gv user.sealfs.holders) || fail "getfattr user.sealfs.holders"
assert_eq 1 "$(grep -c . <<<"$hold")" "one holder line expected: $hold"
grep -Eq '^handle=[0-9]+ pid=[0-9]+ uid=0 mode=strict since=[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ range=0:0 breakable=0 state=held$' \
  <<<"$hold" || fail "bad holders xattr: $hold"

dev=$(gv user.sealfs.device) || fail "getfattr user.sealfs.device"
img=$(readlink -f "$SEALFS_IMG")
assert_eq "path=$img block_size=4096" "$dev" "device xattr"

# Not listed (so cp -a / rsync -X do not copy them), while a real user xattr is.
listed=$(getfattr -d -m - --absolute-names "$F" 2>/dev/null)
grep -q 'user.plain' <<<"$listed" || fail "getfattr -d does not list user.plain: $listed"
grep -q 'user.sealfs.\(layout\|seal\|holders\|device\)' <<<"$listed" \
  && fail "virtual xattrs are listed: $listed"
F="$F" python3 -c '
import os
names = os.listxattr(os.environ["F"])
virt = [n for n in names if n in ("user.sealfs.layout", "user.sealfs.seal",
                                  "user.sealfs.holders", "user.sealfs.device")]
assert not virt, names
assert "user.plain" in names, names
' || fail "listxattr shows virtual xattrs"

for n in user.sealfs.layout user.sealfs.seal user.sealfs.holders user.sealfs.device; do
  expect_fail_with "Operation not permitted" setfattr -n "$n" -v x "$F"
  expect_fail_with "Operation not permitted" setfattr -x "$n" "$F"
done
assert_eq "sealed holders=1 generation=$gen" "$(gv user.sealfs.seal)" "seal xattr after set attempts"

exec 7>&-
seal_wait_holders "$F" 0 || fail "release"
assert_eq unsealed "$(gv user.sealfs.seal)" "seal xattr after release"
assert_eq "" "$(gv user.sealfs.holders)" "holders xattr after release"
