#!/bin/bash
# TIMEOUT: 180
# kill -9 of the daemon leaves a stale mount. A request that was waiting for the daemon then
# fails with ECONNABORTED, a new one with ENOTCONN; either may come right after a kill, and for
# both `sealfs mount` (and bin/setup) over the stale mount gives the one-line message naming the way out. After
# fusermount3 -u the image mounts again, fsynced data is there and fsck -n is clean.
. "$(dirname "$0")/../lib/common.sh"

# Runs `sealfs mount` over the stale mount and checks its one-line stale-mount advice (in
# $CASE_DIR/err.LABEL); $1 is the pid of one already started in the background, or "".
check_stale_advice() {
  local label=$1 pid=${2:-} rc=0 err=$CASE_DIR/err.$1
  if [[ -n $pid ]]; then
    wait "$pid" || rc=$?
  else
    timeout -k 5 60 "$SEALFS" mount "$SEALFS_IMG" "$SEALFS_MNT" --pidfile "$SEALFS_PIDFILE" \
      2> "$err" || rc=$?
  fi
  cat "$err"
  ((rc != 0 && rc != 124 && rc != 137)) || fail "$label: mount over a stale mount exited $rc"
  assert_eq 1 "$(wc -l < "$err")" "$label: stderr lines"
  grep -q '^sealfs: ' "$err" || fail "$label: message does not start with 'sealfs: '"
  grep -qF "is a stale FUSE mount (its daemon is gone); clear it with: fusermount3 -u $SEALFS_MNT" \
    "$err" || fail "$label: message does not give the stale-mount advice"
}

# Waits for bin/setup (pid $2) and checks that it stopped with the stale-mount advice.
check_setup_advice() {
  local label=$1 rc=0
  wait "$2" || rc=$?
  cat "$CASE_DIR/setup.$label"
  ((rc != 0)) || fail "$label: bin/setup over a stale mount exited 0"
  grep -qF "$SEALFS_MNT is a stale mount (daemon gone); clear it with: fusermount3 -u $SEALFS_MNT" \
    "$CASE_DIR/setup.$label" || fail "$label: bin/setup does not give the stale-mount advice"
}

fs_mkfs
fs_mount
head -c 1000000 /dev/urandom > "$CASE_DIR/data"
cp "$CASE_DIR/data" "$SEALFS_MNT/data"
sync "$SEALFS_MNT/data"
"$PYTHON" -c 'import os,sys; fd=os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' "$SEALFS_MNT"
pid=$(daemon_pid)

step "requests waiting for the daemon when it is killed (ECONNABORTED on this kernel)"
# With the daemon stopped, a stat and a `sealfs mount` preflight both wait for its reply; then
# kill -9 aborts the connection under them.
kill -STOP "$pid"
"$PYTHON" "$FUSE_TESTS/lib/fsop.py" stat "$SEALFS_MNT" > "$CASE_DIR/stat.inflight" 2>&1 &
stat_pid=$!
timeout -k 5 120 "$SEALFS" mount "$SEALFS_IMG" "$SEALFS_MNT" --pidfile "$SEALFS_PIDFILE" \
  2> "$CASE_DIR/err.inflight" &
mount_pid=$!
# bin/setup's check of its mount point (it stops there, before installing or building anything)
SEALFS_MOUNT=$SEALFS_MNT SEALFS_IMAGE=$SEALFS_IMG "$FUSE_TESTS/../bin/setup" \
  > "$CASE_DIR/setup.inflight" 2>&1 &
setup_pid=$!
wait_for 20 waits_on_fuse "$stat_pid" || { kill -9 "$pid"; fail "stat did not wait for the daemon"; }
# (its preflight stat is the JVM's first request to the mount)
wait_for 90 waits_on_fuse "$mount_pid" \
  || { kill -9 "$pid"; fail "sealfs mount did not reach the mount point: $(cat "$CASE_DIR/err.inflight")"; }
wait_for 20 waits_on_fuse "$setup_pid" \
  || { kill -9 "$pid"; fail "bin/setup did not reach the mount point: $(cat "$CASE_DIR/setup.inflight")"; }
kill -9 "$pid"
wait_for 10 eval "! pid_alive $pid" || fail "daemon survived kill -9"
wait "$stat_pid" || true
got=$(cat "$CASE_DIR/stat.inflight")
echo "in-flight stat: $got"
[[ "|$DEAD_DAEMON_ERRNOS|" == *"|$got|"* ]] || fail "in-flight stat: expected $DEAD_DAEMON_ERRNOS, got $got"
check_stale_advice inflight "$mount_pid"
check_setup_advice inflight "$setup_pid"

step "new requests after the kill (ENOTCONN on this kernel)"
is_dead_mount "$SEALFS_MNT" || fail "expected a stale mount entry after kill -9"
expect_errno "$DEAD_DAEMON_ERRNOS" stat "$SEALFS_MNT"
check_stale_advice new
SEALFS_MOUNT=$SEALFS_MNT SEALFS_IMAGE=$SEALFS_IMG "$FUSE_TESTS/../bin/setup" \
  > "$CASE_DIR/setup.new" 2>&1 &
check_setup_advice new $!

step "fusermount3 -u clears it; the data survived"
fusermount3 -u "$SEALFS_MNT" || fail "fusermount3 -u of the stale mount failed"
is_mounted "$SEALFS_MNT" && fail "still mounted after fusermount3 -u"
"$SEALFS" fsck -n "$SEALFS_IMG" || fail "fsck -n after kill -9 exited $?"
fs_mount
cmp "$CASE_DIR/data" "$SEALFS_MNT/data" || fail "fsynced data lost after kill -9"
