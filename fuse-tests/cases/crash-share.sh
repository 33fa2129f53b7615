#!/bin/bash
# TIMEOUT: 300
# SPEC 6 and 11: a kill -9 of the daemon in the middle of a workload that makes shared extents
# (fuse-tests/lib/crashload.py in "share" mode: the metadata workload of crash-metadata.sh plus
# whole-file copies with `cp --reflink=auto` or copy_file_range, writes into the sharers, which
# copy on write, fsyncs, and unlinks and `rm -rf` of sharers) loses nothing that was fsync'd:
# after the kill `sealfs fsck -n` is clean (it counts the references of every shared block), the
# next mount recovers, every fsync'd file not changed since is there with its size, sha256 and
# xattrs, every fsync'd copy reads as its source did when it was copied, and no file holds
# another file's data. CRASH_ROUNDS (default 3) rounds on one filesystem, each with its own
# random kill time; CRASH_SEED reproduces the workloads. Native binding only (on jnr-fuse
# copy_file_range never reaches sealfs, so nothing is shared).
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/crash.sh
. "$FUSE_TESTS/lib/crash.sh"
require_cmd fusermount3 timeout cp
[[ $SEALFS_BINDING == native ]] \
  || skip "needs the native binding: jnr-fuse never receives COPY_FILE_RANGE (SPEC 7)"

ROUNDS=${CRASH_ROUNDS:-3}
SEED=${CRASH_SEED:-$((RANDOM * 32768 + RANDOM))}
LOAD=$FUSE_TESTS/lib/crashload.py
step "seed $SEED (CRASH_SEED=$SEED reproduces the workloads; kill times are random)"
RANDOM=$((SEED % 32768))

fs_mkfs -s 256M
fs_mount
total_checked=0
total_copies=0
total_shared=0
total_copies_checked=0
for ((r = 1; r <= ROUNDS; r++)); do
  log=$CASE_DIR/load.$r.log
  # Older trees go away with their sharers: the last reference of each shared block frees it.
  if ((r > 2)); then
    rm -rf "$SEALFS_MNT/r$((r - 2))" || fail "rm -rf r$((r - 2))"
  fi
  crash_bg "$PYTHON" "$LOAD" run "$SEALFS_MNT" "r$r" "$log" "$((SEED + r))" "$((r * 100000))" \
    share > "$CASE_DIR/load.$r.out" 2> "$CASE_DIR/load.$r.err"
  wpid=$CRASH_BG_PID
  wait_for 30 grep -q ready "$CASE_DIR/load.$r.out" \
    || fail "round $r: workload not ready: $(cat "$CASE_DIR/load.$r.err")"
  kill_ms=$((500 + RANDOM % 2000))
  crash_sleep_ms "$kill_ms"
  pid_alive "$wpid" || fail "round $r: workload ended before the kill: $(cat "$CASE_DIR/load.$r.err")"
  crash_kill_daemon "$wpid"
  wrc=0
  wait "$wpid" || wrc=$?
  # 2 = stopped by ENOTCONN/ECONNABORTED/ECANCELED/EIO (the daemon is gone); 3 = any other error.
  ((wrc == 2)) || fail "round $r: workload exit $wrc: $(cat "$CASE_DIR/load.$r.err")"
  stopped=$(tail -n 1 "$CASE_DIR/load.$r.err")
  copies=$(sed -n 's/.*, \([0-9]*\) copies (\([0-9]*\) sharing blocks).*/\1 \2/p' <<< "$stopped")
  [[ -n $copies ]] || fail "round $r: no copy count in '$stopped'"
  total_copies=$((total_copies + ${copies% *}))
  total_shared=$((total_shared + ${copies#* }))
  crash_recover "$log" "round $r (kill at $kill_ms ms, seed $((SEED + r)))"
  total_checked=$((total_checked + CRASH_CHECKED))
  n=$(sed -n 's/.*checked [0-9]* files (\([0-9]*\) copies).*/\1/p' <<< "$CRASH_REPORT")
  total_copies_checked=$((total_copies_checked + ${n:-0}))
  printf 'round %2d: kill at %4d ms (%s); %s\n' "$r" "$kill_ms" "${stopped#workload: stopped }" \
    "$CRASH_REPORT"
done
fs_umount
crash_fsck
step "$ROUNDS kill points; $total_copies copies ($total_shared sharing blocks); $total_checked fsync'd files compared, $total_copies_checked of them copies"
((total_checked >= ROUNDS)) || fail "only $total_checked fsync'd files compared in $ROUNDS rounds"
((total_shared > 0)) || fail "no copy shared a block: the workload made no shared extents"
((total_copies_checked > 0)) || fail "no fsync'd copy was compared after a kill"
