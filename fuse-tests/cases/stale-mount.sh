#!/bin/bash
# TIMEOUT: 180
# kill -9 of the daemon leaves a stale mount ("Transport endpoint is not connected"); mounting
# over it gives a one-line message naming the way out; after fusermount3 -u the image mounts
# again, fsynced data is there and fsck -n is clean.
. "$(dirname "$0")/../lib/common.sh"
fs_mkfs
fs_mount
head -c 1000000 /dev/urandom > "$CASE_DIR/data"
cp "$CASE_DIR/data" "$SEALFS_MNT/data"
sync "$SEALFS_MNT/data"
"$PYTHON" -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' "$SEALFS_MNT"
pid=$(daemon_pid)
kill -9 "$pid"
wait_for 10 eval "! pid_alive $pid" || fail "daemon survived kill -9"
expect_fail_with "Transport endpoint is not connected" ls "$SEALFS_MNT"
is_mounted "$SEALFS_MNT" || fail "expected a stale mount entry after kill -9"
rc=0
timeout -k 5 20 "$SEALFS" mount "$SEALFS_IMG" "$SEALFS_MNT" --pidfile "$SEALFS_PIDFILE" \
  2> "$CASE_DIR/err" || rc=$?
cat "$CASE_DIR/err"
((rc != 0 && rc != 124 && rc != 137)) || fail "mount over a stale mount exited $rc"
assert_eq 1 "$(wc -l < "$CASE_DIR/err")" "stderr lines"
grep -q '^sealfs: ' "$CASE_DIR/err" || fail "message does not start with 'sealfs: '"
grep -qiE 'stale|not connected|fusermount3' "$CASE_DIR/err" \
  || fail "message does not say the mount point is stale"
fusermount3 -u "$SEALFS_MNT" || fail "fusermount3 -u of the stale mount failed"
is_mounted "$SEALFS_MNT" && fail "still mounted after fusermount3 -u"
"$SEALFS" fsck -n "$SEALFS_IMG" || fail "fsck -n after kill -9 exited $?"
fs_mount
cmp "$CASE_DIR/data" "$SEALFS_MNT/data" || fail "fsynced data lost after kill -9"
