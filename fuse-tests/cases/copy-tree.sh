#!/bin/bash
# TIMEOUT: 600
# cp -a of a real tree (a snapshot of /usr/share/doc, a few thousand files): contents, metadata
# and a checksum list equal the source, and still do after unmount/mount; fsck -n is clean
# afterwards. The host's tree may change while the case runs (a package upgrade), so it is first
# copied to the host filesystem and every comparison is with that snapshot.
. "$(dirname "$0")/../lib/common.sh"
host_src=/usr/share/doc
[[ $(find "$host_src" -type f | wc -l) -ge 500 ]] || skip "$host_src has fewer than 500 files"
src=$CASE_DIR/doc
step "snapshot $host_src to $src"
# (a file that vanishes mid-copy is not an error of the case: the snapshot just lacks it)
rc=0
cp -a "$host_src" "$src" 2> "$CASE_DIR/snapshot.err" || rc=$?
if ((rc != 0)) && grep -qv 'No such file or directory' "$CASE_DIR/snapshot.err"; then
  cat "$CASE_DIR/snapshot.err" >&2
  fail "cannot snapshot $host_src (cp -a exited $rc)"
fi

# Metadata that cp -a preserves: type, mode, owner, size of files, mtime, link target.
meta() { (cd "$1" && find . -printf '%p %y %m %U %G %T@ %l\n' && find . -type f -printf '%p %s\n') | LC_ALL=C sort; }

fs_mkfs -s 1G
fs_mount
step "cp -a $src"
cp -a "$src" "$SEALFS_MNT/doc"
diff -r --no-dereference "$src" "$SEALFS_MNT/doc" || fail "diff -r differs after cp -a"
tree_sums "$src" > "$CASE_DIR/src.sums"
tree_sums "$SEALFS_MNT/doc" > "$CASE_DIR/mnt.sums"
cmp "$CASE_DIR/src.sums" "$CASE_DIR/mnt.sums" || fail "checksum lists differ"
meta "$src" > "$CASE_DIR/src.meta"
meta "$SEALFS_MNT/doc" > "$CASE_DIR/mnt.meta"
diff "$CASE_DIR/src.meta" "$CASE_DIR/mnt.meta" || fail "metadata differs after cp -a"
echo "$(wc -l < "$CASE_DIR/src.sums") files compared"

step "remount"
fs_remount
diff -r --no-dereference "$src" "$SEALFS_MNT/doc" || fail "diff -r differs after remount"
tree_sums "$SEALFS_MNT/doc" > "$CASE_DIR/mnt2.sums"
cmp "$CASE_DIR/src.sums" "$CASE_DIR/mnt2.sums" || fail "checksum lists differ after remount"
meta "$SEALFS_MNT/doc" > "$CASE_DIR/mnt2.meta"
diff "$CASE_DIR/src.meta" "$CASE_DIR/mnt2.meta" || fail "metadata differs after remount"

step "rm -r, then fsck"
rm -r "$SEALFS_MNT/doc"
left=$(find "$SEALFS_MNT" -mindepth 1 -maxdepth 1 ! -name lost+found)
assert_eq "" "$left" "root after rm -r"
fs_umount
"$SEALFS" fsck -n "$SEALFS_IMG" || fail "fsck -n exited $? after copy/remove"
