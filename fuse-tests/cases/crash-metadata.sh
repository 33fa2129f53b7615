#!/bin/bash
# TIMEOUT: 480
# SPEC 6: a kill -9 of the daemon in the middle of a metadata-heavy workload (create, write,
# truncate, rename, link, unlink, mkdir, rmdir, directory rename, xattrs) loses nothing that was
# fsync'd (file and its directories): after the kill `sealfs fsck -n` is clean, the next mount
# recovers, every fsync'd file not changed since is there with its size, sha256 and xattrs, and
# no file holds another file's data. CRASH_ROUNDS (default 14) rounds on one filesystem, each
# with its own random kill time; CRASH_SEED reproduces a run.
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/crash.sh
. "$FUSE_TESTS/lib/crash.sh"
require_cmd fusermount3 timeout

ROUNDS=${CRASH_ROUNDS:-14}
SEED=${CRASH_SEED:-$((RANDOM * 32768 + RANDOM))}
LOAD=$FUSE_TESTS/lib/crashload.py
step "seed $SEED (CRASH_SEED=$SEED reproduces the workload; kill times are random)"
RANDOM=$((SEED % 32768))

fs_mkfs -s 256M
fs_mount
total_checked=0
for ((r = 1; r <= ROUNDS; r++)); do
  log=$CASE_DIR/load.$r.log
  # Older trees go away with many unlinks and rmdirs (frees in the journal too).
  if ((r > 2)); then
    rm -rf "$SEALFS_MNT/r$((r - 2))" || fail "rm -rf r$((r - 2))"
  fi
  crash_bg "$PYTHON" "$LOAD" run "$SEALFS_MNT" "r$r" "$log" "$((SEED + r))" "$((r * 100000))" \
    > "$CASE_DIR/load.$r.out" 2> "$CASE_DIR/load.$r.err"
  wpid=$CRASH_BG_PID
  wait_for 30 grep -q ready "$CASE_DIR/load.$r.out" \
    || fail "round $r: workload not ready: $(cat "$CASE_DIR/load.$r.err")"
  kill_ms=$((200 + RANDOM % 2300))
  crash_sleep_ms "$kill_ms"
  pid_alive "$wpid" || fail "round $r: workload ended before the kill: $(cat "$CASE_DIR/load.$r.err")"
  crash_kill_daemon "$wpid"
  wait_for 20 eval "! pid_alive $wpid" || fail "round $r: workload hangs after the kill"
  wrc=0
  wait "$wpid" || wrc=$?
  # 2 = stopped by ENOTCONN/ECONNABORTED/EIO (the daemon is gone); 3 = any other error.
  ((wrc == 2)) || fail "round $r: workload exit $wrc: $(cat "$CASE_DIR/load.$r.err")"
  stopped=$(tail -n 1 "$CASE_DIR/load.$r.err")
  crash_recover "$log" "round $r (kill at $kill_ms ms, seed $((SEED + r)))"
  total_checked=$((total_checked + CRASH_CHECKED))
  printf 'round %2d: kill at %4d ms (%s); %s\n' "$r" "$kill_ms" "${stopped#workload: stopped }" \
    "$CRASH_REPORT"
done
fs_umount
crash_fsck
step "$ROUNDS kill points, $total_checked fsync'd files compared"
((total_checked >= ROUNDS)) || fail "only $total_checked fsync'd files compared in $ROUNDS rounds"
