#!/bin/bash
# rename(2): replacing files and empty dirs, and the errors ext4 gives.
. "$(dirname "$0")/../lib/common.sh"
fs_mkfs
fs_mount
cd "$SEALFS_MNT"
echo a > a; echo b > b
ino=$(inode_of a)
expect_errno OK rename a b
assert_eq a "$(cat b)" "file renamed over file: content"
assert_eq "$ino" "$(inode_of b)" "file renamed over file: inode"
[[ ! -e a ]] || fail "source still exists after rename"
mkdir -p d1/sub e1 ne/x
echo f > d1/sub/f
expect_errno OK rename d1 e1
[[ -f e1/sub/f && ! -e d1 ]] || fail "dir over empty dir"
expect_errno ENOTEMPTY rename ne e1
expect_errno ENOTEMPTY rename e1 ne
echo f > file
expect_errno EISDIR rename file ne
expect_errno ENOTDIR rename ne file
expect_errno EINVAL rename e1 e1/sub/inside
expect_errno ENOENT rename missing x
expect_errno OK rename file file
mkdir -p p/q
expect_errno OK rename file p/q/moved
assert_eq f "$(cat p/q/moved)" "rename across directories"
expect_errno OK rename p/q/moved file
# nlink of directories follows subdirectory moves
assert_eq 3 "$(stat -c %h p)" "nlink of p (., .., q)"
expect_errno OK rename p/q qq
assert_eq 2 "$(stat -c %h p)" "nlink of p after moving q out"
ls -la
cd /
fs_remount
cd "$SEALFS_MNT"
[[ -f e1/sub/f && -d qq && -f file && ! -e a ]] || fail "renames not persistent"
