#!/bin/bash
# TIMEOUT: 300
# tar round trips: a tar written onto the mount equals one written elsewhere and extracts to
# the same tree; a tar (with a sparse member) extracted onto the mount equals its source.
. "$(dirname "$0")/../lib/common.sh"
require_cmd tar
src_parent=/usr/include
[[ -d $src_parent/linux ]] || skip "needs /usr/include/linux"
fs_mkfs
fs_mount

step "create a tar on the mount"
tar -C "$src_parent" -cf "$SEALFS_MNT/linux.tar" linux
tar -C "$src_parent" -cf "$CASE_DIR/linux.tar" linux
cmp "$CASE_DIR/linux.tar" "$SEALFS_MNT/linux.tar" || fail "tar on the mount differs"
mkdir "$CASE_DIR/x"
tar -C "$CASE_DIR/x" -xf "$SEALFS_MNT/linux.tar"
diff -r "$src_parent/linux" "$CASE_DIR/x/linux" || fail "extracted tree differs"

step "extract a tar onto the mount"
mkdir "$CASE_DIR/sp"
printf 'head' > "$CASE_DIR/sp/sparse"
truncate -s 64M "$CASE_DIR/sp/sparse"
printf 'tail' >> "$CASE_DIR/sp/sparse"
ln -s sparse "$CASE_DIR/sp/link"
ln "$CASE_DIR/sp/sparse" "$CASE_DIR/sp/hard"
tar -C "$src_parent" -cf "$CASE_DIR/in.tar" linux
tar -C "$CASE_DIR" --sparse -rf "$CASE_DIR/in.tar" sp
mkdir "$SEALFS_MNT/out"
tar -C "$SEALFS_MNT/out" -xpf "$CASE_DIR/in.tar"
diff -r "$src_parent/linux" "$SEALFS_MNT/out/linux" || fail "tree extracted onto the mount differs"
cmp "$CASE_DIR/sp/sparse" "$SEALFS_MNT/out/sp/sparse" || fail "sparse member differs"
assert_eq sparse "$(readlink "$SEALFS_MNT/out/sp/link")" "symlink member"
assert_eq "$(inode_of "$SEALFS_MNT/out/sp/sparse")" "$(inode_of "$SEALFS_MNT/out/sp/hard")" \
  "hard link member inode"
used=$(du -k "$SEALFS_MNT/out/sp/sparse" | cut -f1)
((used <= 1024)) || fail "sparse member uses ${used} KiB (expected a hole)"

step "tar of the extracted tree equals a tar of the source"
(cd "$src_parent" && tar --sort=name --mtime=@0 --owner=0 --group=0 -cf "$CASE_DIR/a.tar" linux)
(cd "$SEALFS_MNT/out" && tar --sort=name --mtime=@0 --owner=0 --group=0 -cf "$CASE_DIR/b.tar" linux)
cmp "$CASE_DIR/a.tar" "$CASE_DIR/b.tar" || fail "re-created tars differ"
