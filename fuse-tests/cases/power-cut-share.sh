#!/bin/bash
# TIMEOUT: 300
# SPEC 6 and 11, power loss with shared extents: sealfs runs on cutfs (fuse-tests/lib/cutfs.c,
# checked by power-cut.sh), which drops every write to the image not fsync'd when the power is
# cut. Each round runs fuse-tests/lib/crashload.py in "share" mode (the metadata workload of the
# crash cases plus whole-file copies with `cp --reflink=auto` or copy_file_range, which share
# the aligned blocks, writes into the sharers, which copy on write, fsyncs, unlinks and `rm -rf`
# of sharers) next to power-cut.sh's writer that streams tagged data into one file and never
# fsyncs (so that every cut has unsynced pages to drop), cuts the power at a random moment (odd
# rounds: every unsynced page is lost; even rounds: a random half of them reached the disk
# first), kills the daemon (-9), restarts the layer from what reached the disk, and then
# `sealfs fsck -n` must be clean (it counts the references of every shared block), the mount
# must recover, every fsync'd file not changed since must have exactly its logged size, sha256
# and xattrs, every fsync'd copy must read as its source did when it was copied, and no file
# may hold another file's data. CUT_ROUNDS (default 3) power cuts; CUT_SEED reproduces the
# workloads. Native binding only (on jnr-fuse copy_file_range never reaches sealfs).
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/crash.sh
. "$FUSE_TESTS/lib/crash.sh"
# shellcheck source=../lib/cutfs.sh
. "$FUSE_TESTS/lib/cutfs.sh"
require_cmd fusermount3 timeout cp
[[ $SEALFS_BINDING == native ]] \
  || skip "needs the native binding: jnr-fuse never receives COPY_FILE_RANGE (SPEC 7)"

ROUNDS=${CUT_ROUNDS:-3}
SEED=${CUT_SEED:-$((RANDOM * 32768 + RANDOM))}
LOAD=$FUSE_TESTS/lib/crashload.py
# The never-fsync'd writer (16 KiB tagged writes through the first 4 MiB of its file).
STREAM=$FUSE_TESTS/lib/unsynced_stream.py
cutfs_build
cutfs_start

step "seed $SEED (CUT_SEED=$SEED reproduces the workloads; cut times are random)"
RANDOM=$((SEED % 32768))
SEALFS_IMG=$CUTFS_MNT/sealfs.img
fs_mkfs -s 128M > /dev/null
fs_mount
total_checked=0
total_dropped=0
total_copies=0
total_shared=0
total_copies_checked=0
for ((r = 1; r <= ROUNDS; r++)); do
  log=$CASE_DIR/load.$r.log
  if ((r > 2)); then
    rm -rf "$SEALFS_MNT/r$((r - 2))" "$SEALFS_MNT/s$((r - 2))" || fail "round $r: rm -rf r$((r - 2))"
  fi
  crash_bg "$PYTHON" "$STREAM" "$SEALFS_MNT/s$r" "$((r * 100000 + 99999))" \
    2> "$CASE_DIR/stream.$r.err"
  spid=$CRASH_BG_PID
  crash_bg "$PYTHON" "$LOAD" run "$SEALFS_MNT" "r$r" "$log" "$((SEED + r))" "$((r * 100000))" \
    share > "$CASE_DIR/load.$r.out" 2> "$CASE_DIR/load.$r.err"
  wpid=$CRASH_BG_PID
  wait_for 30 grep -q ready "$CASE_DIR/load.$r.out" \
    || fail "round $r: workload not ready: $(cat "$CASE_DIR/load.$r.err")"
  cut_ms=$((500 + RANDOM % 2000))
  crash_sleep_ms "$cut_ms"
  pid_alive "$wpid" || fail "round $r: workload ended before the cut: $(cat "$CASE_DIR/load.$r.err")"
  # 64 KiB never fsync'd, written into the layer beside the image just before the cut, so that
  # an odd round (which drops every unsynced page) always has pages to drop, whatever the
  # daemon's commits happened to sync: the "dropped something" check below does not hang on timing.
  head -c 65536 /dev/urandom > "$CUTFS_MNT/canary.$r" || fail "round $r: canary write"
  if ((r % 2)); then cutfs_cut; else cutfs_cut "$((SEED + r))"; fi
  # The machine is off: nothing the daemon does now reaches the image. Kill it (it may have
  # gone by itself on the image's EIO) and its mount.
  pid=$(daemon_pid)
  pid_alive "$pid" && kill -9 "$pid"
  wait_for 10 eval "! pid_alive $pid" || fail "round $r: daemon $pid alive 10 s after kill -9"
  # unmount only once the workload has stopped on the dead mount (ENOTCONN/ECONNABORTED), so
  # that it does not meet the empty directory under it
  wait_for 20 eval "! pid_alive $wpid" || fail "round $r: workload hangs after the cut"
  wait_for 20 eval "! pid_alive $spid" || fail "round $r: the streaming writer hangs after the cut"
  fusermount3 -u "$SEALFS_MNT" 2> /dev/null || fusermount3 -uz "$SEALFS_MNT" \
    || fail "round $r: cannot unmount the dead mount"
  wrc=0
  wait "$wpid" || wrc=$?
  # 2 = stopped by EIO/ENOTCONN/ECONNABORTED/ECANCELED (the power is gone); 3 = any other error.
  ((wrc == 2)) || fail "round $r: workload exit $wrc: $(cat "$CASE_DIR/load.$r.err")"
  src=0
  wait "$spid" || src=$?
  ((src == 0)) || fail "round $r: streaming writer exit $src: $(cat "$CASE_DIR/stream.$r.err")"
  stopped=$(tail -n 1 "$CASE_DIR/load.$r.err")
  copies=$(sed -n 's/.*, \([0-9]*\) copies (\([0-9]*\) sharing blocks).*/\1 \2/p' <<< "$stopped")
  [[ -n $copies ]] || fail "round $r: no copy count in '$stopped'"
  total_copies=$((total_copies + ${copies% *}))
  total_shared=$((total_shared + ${copies#* }))
  dropped=$(grep "power cut" "$CUTFS_LOG" | tail -n 1)
  pages=$(sed -n 's/.*dropped \([0-9]*\) unsynced pages.*/\1/p' <<< "$dropped")
  [[ -n $pages ]] || fail "round $r: no power-cut line in the layer's log: $dropped"
  total_dropped=$((total_dropped + pages))
  cutfs_stop
  cutfs_start
  crash_recover "$log" "round $r (cut at $cut_ms ms, seed $((SEED + r)))"
  total_checked=$((total_checked + CRASH_CHECKED))
  n=$(sed -n 's/.*checked [0-9]* files (\([0-9]*\) copies).*/\1/p' <<< "$CRASH_REPORT")
  total_copies_checked=$((total_copies_checked + ${n:-0}))
  printf 'round %2d: cut at %4d ms (%s), %s; %s\n' "$r" "$cut_ms" \
    "${stopped#workload: stopped }" "${dropped#cutfs: power cut: }" "$CRASH_REPORT"
done
fs_umount
crash_fsck
cutfs_stop
step "$ROUNDS power cuts, $total_dropped unsynced pages dropped; $total_copies copies ($total_shared sharing blocks); $total_checked fsync'd files compared, $total_copies_checked of them copies"
((total_checked >= ROUNDS)) || fail "only $total_checked fsync'd files compared in $ROUNDS rounds"
((total_dropped > 0)) || fail "no cut dropped anything: the layer held nothing back"
((total_shared > 0)) || fail "no copy shared a block: the workload made no shared extents"
((total_copies_checked > 0)) || fail "no fsync'd copy was compared after a cut"
