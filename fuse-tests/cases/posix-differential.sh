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
host_fs=$(stat -f -c %T "$CASE_DIR")
step "reference: host filesystem $host_fs at $CASE_DIR/host"
fs_mkfs
fs_mount
mkdir -m 0755 "$CASE_DIR/host" "$SEALFS_MNT/t"
"$PYTHON" "$FUSE_TESTS/lib/posixdiff.py" --seed 1 --runs 4 --steps 250 \
  "$CASE_DIR/host" "$SEALFS_MNT/t" || fail "sealfs differs from $host_fs (see above)"
step "remount: the tree written by the scenarios is still readable and fsck-clean"
n=$(find "$SEALFS_MNT/t" | wc -l)
fs_umount
"$SEALFS" fsck -n "$SEALFS_IMG" || fail "fsck after the differential run"
fs_mount
assert_eq "$n" "$(find "$SEALFS_MNT/t" | wc -l)" "entries after remount"
