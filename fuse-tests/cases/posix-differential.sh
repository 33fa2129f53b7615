#!/bin/bash
# TIMEOUT: 240
# POSIX conformance by differential testing: lib/posixdiff.py runs the same syscall sequences
# (pjdfstest's ground: open/creat/mkdir/rmdir/link/unlink/rename/symlink/chmod/chown/truncate/
# utimensat/mknod/access, permission checks as another user, sparse I/O, readdir, statvfs, and
# seeded random sequences) on the host filesystem and on sealfs, and fails on any difference
# that is not in its allowlist of documented ones.
. "$(dirname "$0")/../lib/common.sh"
require_cmd setpriv
[[ $(id -u) == 0 ]] || skip "needs root (switches to other users)"
# The reference is a private ext4 on a loop device in CASE_DIR, so that nothing else on the
# machine moves its free-space and inode counts under the statvfs checks; where no loop device
# can be had, the host filesystem under CASE_DIR stands in (other writers may then disturb them).
ref=$CASE_DIR/ref
mkdir -m 0755 "$ref"
if truncate -s 1G "$CASE_DIR/ref.img" && mkfs.ext4 -q -F "$CASE_DIR/ref.img" 2>/dev/null \
  && mount -o loop "$CASE_DIR/ref.img" "$ref" 2>/dev/null; then
  on_exit "umount '$ref' 2>/dev/null || umount -l '$ref'"
  host_fs="a private $(stat -f -c %T "$ref") (loop mount)"
else
  host_fs="the host's $(stat -f -c %T "$CASE_DIR") (no private loop mount)"
fi
step "reference: $host_fs at $ref/t"
fs_mkfs
fs_mount
mkdir -m 0755 "$ref/t" "$SEALFS_MNT/t"
"$PYTHON" "$FUSE_TESTS/lib/posixdiff.py" --seed 1 --runs 4 --steps 250 \
  "$ref/t" "$SEALFS_MNT/t" || fail "sealfs differs from $host_fs (see above)"
step "remount: the tree written by the scenarios is still readable and fsck-clean"
n=$(find "$SEALFS_MNT/t" | wc -l)
fs_umount
"$SEALFS" fsck -n "$SEALFS_IMG" || fail "fsck after the differential run"
fs_mount
assert_eq "$n" "$(find "$SEALFS_MNT/t" | wc -l)" "entries after remount"
