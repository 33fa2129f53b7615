#!/bin/bash
# Errors as on ext4: ENAMETOOLONG, ENOTEMPTY, EISDIR, ENOTDIR, EEXIST, ENOENT; PATH_MAX paths.
. "$(dirname "$0")/../lib/common.sh"
fs_mkfs
fs_mount
cd "$SEALFS_MNT"
n255=$(printf 'n%.0s' $(seq 1 255))
n256=$(printf 'n%.0s' $(seq 1 256))
expect_errno OK open "$n255" WRONLY,CREAT
[[ -f $n255 ]] || fail "255-byte name not created"
expect_errno OK mkdir "d$(printf 'x%.0s' $(seq 1 254))"
expect_errno ENAMETOOLONG open "$n256" WRONLY,CREAT
expect_errno ENAMETOOLONG mkdir "$n256"
expect_errno ENAMETOOLONG stat "$n256"
expect_errno ENAMETOOLONG rename "$n255" "$n256"
mkdir -p full/sub
expect_errno ENOTEMPTY rmdir full
expect_errno EISDIR open full WRONLY
expect_errno EISDIR unlink full
echo x > file
expect_errno ENOTDIR open file/x RDONLY
expect_errno ENOTDIR mkdir file/x
expect_errno ENOTDIR rmdir file
expect_errno EEXIST mkdir full
expect_errno EEXIST open file WRONLY,CREAT,EXCL
expect_errno ENOENT open missing RDONLY
expect_errno ENOENT rmdir missing
expect_errno ENOENT unlink missing/x

step "paths near PATH_MAX"
c200=$(printf 'c%.0s' $(seq 1 200))
rel=""
for _ in $(seq 1 19); do rel="$rel$c200/"; done   # 19 * 201 = 3819 bytes
mkdir -p "$rel"
tailname=$(printf 't%.0s' $(seq 1 200))
path="$rel$tailname"                              # 4019 bytes, relative to the mount root
echo deep > "$path"
assert_eq deep "$(cat "$path")" "file at a ${#path}-byte path"
assert_eq 1 "$(find . -name "$tailname" | wc -l)" "find reaches the deep file"
cd /
fs_remount
cd "$SEALFS_MNT"
assert_eq deep "$(cat "$path")" "deep file after remount"
rm -r "$c200"
