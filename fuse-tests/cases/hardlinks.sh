#!/bin/bash
# Hard links: nlink exact right after link/unlink, same inode, data shared, EPERM on a dir.
. "$(dirname "$0")/../lib/common.sh"
fs_mkfs
fs_mount
cd "$SEALFS_MNT"
echo one > f
assert_eq 1 "$(stat -c %h f)" "nlink of a new file"
ln f g
assert_eq 2 "$(stat -c %h f)" "nlink of f after link"
assert_eq 2 "$(stat -c %h g)" "nlink of g after link"
assert_eq "$(inode_of f)" "$(inode_of g)" "inode of the two links"
mkdir d
ln f d/h
assert_eq 3 "$(stat -c %h g)" "nlink after a link in a subdirectory"
echo two >> g
assert_eq "$(printf 'one\ntwo')" "$(cat d/h)" "data written through another link"
rm f
assert_eq 2 "$(stat -c %h g)" "nlink after unlink"
assert_eq "$(inode_of g)" "$(inode_of d/h)" "inode after unlink"
expect_errno ENOENT stat f
expect_errno EPERM link d d2
expect_errno EEXIST link g d/h
# rename between two links of the same inode does nothing (POSIX)
expect_errno OK rename g d/h
[[ -e g && -e d/h ]] || fail "rename of one link onto another removed a name"
assert_eq 2 "$(stat -c %h g)" "nlink after rename between links"
rm d/h
assert_eq 1 "$(stat -c %h g)" "nlink after second unlink"
# a file kept open after its last unlink stays readable
exec 3< g
rm g
assert_eq "$(printf 'one\ntwo')" "$(cat <&3)" "data of an open, unlinked file"
exec 3<&-
cd /
fs_remount
[[ ! -e $SEALFS_MNT/g ]] || fail "unlinked file back after remount"
