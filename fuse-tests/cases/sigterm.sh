#!/bin/bash
# SIGTERM (and SIGINT) to the daemon unmount cleanly; data written before is there after the
# next mount (no fsync needed) and fsck -n is clean.
. "$(dirname "$0")/../lib/common.sh"
fs_mkfs
for sig in TERM INT; do
  step "SIG$sig"
  fs_mount
  head -c 3000000 /dev/urandom > "$CASE_DIR/data-$sig"
  cp "$CASE_DIR/data-$sig" "$SEALFS_MNT/data-$sig"
  mkdir "$SEALFS_MNT/dir-$sig"
  pid=$(daemon_pid)
  kill -"$sig" "$pid"
  wait_for 30 eval "! pid_alive $pid" || fail "daemon still alive 30 s after SIG$sig"
  is_mounted "$SEALFS_MNT" && fail "still mounted after SIG$sig"
  "$SEALFS" fsck -n "$SEALFS_IMG" || fail "fsck -n after SIG$sig exited $?"
  fs_mount
  cmp "$CASE_DIR/data-$sig" "$SEALFS_MNT/data-$sig" || fail "data lost after SIG$sig"
  [[ -d $SEALFS_MNT/dir-$sig ]] || fail "directory lost after SIG$sig"
  fs_umount
done
