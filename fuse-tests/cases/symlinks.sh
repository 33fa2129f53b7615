#!/bin/bash
# Symlinks: readlink, size, following, dangling (ENOENT vs lstat), ELOOP, long targets.
. "$(dirname "$0")/../lib/common.sh"
fs_mkfs
fs_mount
cd "$SEALFS_MNT"
mkdir dir
echo data > dir/file
ln -s dir/file rel
ln -s "$SEALFS_MNT/dir" abs
assert_eq dir/file "$(readlink rel)" "readlink of a relative link"
assert_eq 8 "$(stat -c %s rel)" "lstat size of a link = target length"
assert_eq data "$(cat rel)" "reading through a link"
assert_eq data "$(cat abs/file)" "traversing a link to a directory"
assert_eq "symbolic link" "$(stat -c %F rel)" "file type"
ln -s nowhere dangling
assert_eq nowhere "$(readlink dangling)" "readlink of a dangling link"
expect_errno ENOENT stat dangling
expect_errno OK lstat dangling
ln -s loop2 loop1
ln -s loop1 loop2
expect_errno ELOOP stat loop1
expect_fail_with "Too many levels of symbolic links" cat loop1
expect_errno EEXIST symlink x rel
long=$(printf 'a%.0s' $(seq 1 1000))/$(printf 'b%.0s' $(seq 1 2000))
ln -s "$long" longlink
assert_eq "$long" "$(readlink longlink)" "readlink of a 3001-byte target"
rm rel
[[ -f dir/file ]] || fail "removing a link removed its target"
cd /
fs_remount
cd "$SEALFS_MNT"
assert_eq "$long" "$(readlink longlink)" "long target after remount"
assert_eq nowhere "$(readlink dangling)" "dangling link after remount"
assert_eq data "$(cat abs/file)" "absolute link after remount"
