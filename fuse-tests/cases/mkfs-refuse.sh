#!/bin/bash
# mkfs refuses an existing sealfs without -f (one line, image untouched); -f recreates it;
# -N prints the geometry and writes nothing (no file created, existing image untouched).
. "$(dirname "$0")/../lib/common.sh"
step "mkfs -N on a new path"
"$SEALFS" mkfs -N -s 64M "$CASE_DIR/new.img" | tee "$CASE_DIR/geom"
[[ ! -e $CASE_DIR/new.img ]] || fail "mkfs -N created the image file"
[[ -s $CASE_DIR/geom ]] || fail "mkfs -N printed nothing"
fs_mkfs
fs_mount
echo keep > "$SEALFS_MNT/keep"
fs_umount
sum=$(file_sha "$SEALFS_IMG")
step "mkfs over an existing filesystem without -f"
rc=0
"$SEALFS" mkfs -s 256M "$SEALFS_IMG" 2> "$CASE_DIR/err" || rc=$?
cat "$CASE_DIR/err"
((rc != 0)) || fail "mkfs over an existing filesystem succeeded without -f"
assert_eq 1 "$(wc -l < "$CASE_DIR/err")" "stderr lines"
grep -q '^sealfs: ' "$CASE_DIR/err" || fail "message does not start with 'sealfs: '"
assert_eq "$sum" "$(file_sha "$SEALFS_IMG")" "image after refused mkfs"
step "mkfs -N over an existing filesystem"
"$SEALFS" mkfs -N -f -s 256M "$SEALFS_IMG" || true
assert_eq "$sum" "$(file_sha "$SEALFS_IMG")" "image after mkfs -N"
fs_mount
assert_eq keep "$(cat "$SEALFS_MNT/keep")" "data after refused mkfs and mkfs -N"
fs_umount
step "mkfs -f"
"$SEALFS" mkfs -f -s 256M "$SEALFS_IMG"
fs_mount
[[ ! -e $SEALFS_MNT/keep ]] || fail "old file still there after mkfs -f"
