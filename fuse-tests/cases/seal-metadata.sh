#!/bin/bash
# TIMEOUT: 120
# SPEC 2: metadata that does not touch the map is allowed on a sealed inode: chmod, chown,
# utimens (touch), user xattrs, link, unlink of a link, rename. The seal and map survive.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 setfattr getfattr
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 131072
exec 7<>"$F"
sio seal 7 >/dev/null || fail "cannot seal $F"
gen=$(seal_status_field 7 generation) || fail "status failed"
before=$(seal_layout "$F") || fail "layout failed"

chmod 0600 "$F" || fail "chmod refused"
assert_eq 600 "$(stat -c %a "$F")" "chmod did not take"
chown 12345:54321 "$F" || fail "chown refused"
assert_eq "12345:54321" "$(stat -c %u:%g "$F")" "chown did not take"
chown 0:0 "$F" || fail "chown back refused"
touch -d "2001-02-03 04:05:06" "$F" || fail "touch (utimens) refused"
assert_eq "2001-02-03" "$(date -d "@$(stat -c %Y "$F")" +%F)" "utimens did not take"
touch "$F" || fail "touch now refused"
setfattr -n user.x -v hello "$F" || fail "setfattr user.x refused"
assert_eq hello "$(getfattr --only-values -n user.x "$F")" "user.x value"
setfattr -x user.x "$F" || fail "removing user.x refused"
ln "$F" "$SEALFS_MNT/link" || fail "link refused"
assert_eq 2 "$(stat -c %h "$F")" "link count after link"
rm "$SEALFS_MNT/link" || fail "unlink of the extra link refused"
mkdir "$SEALFS_MNT/d" || fail "mkdir"
mv "$F" "$SEALFS_MNT/d/g" || fail "rename of a sealed file refused"
mv "$SEALFS_MNT/d/g" "$F" || fail "rename back refused"

assert_eq 1 "$(seal_status_field 7 sealed)" "seal lost by metadata changes"
assert_eq "$gen" "$(seal_status_field 7 generation)" "generation changed by metadata ops"
after=$(seal_layout "$F") || fail "layout failed"
assert_eq "$before" "$after" "layout changed by metadata ops"
expect_fail_with "Text file busy" truncate -s 0 "$F"
exec 7>&-
