#!/bin/bash
# TIMEOUT: 300
# SPEC 6, power loss rather than a daemon kill: sealfs runs on cutfs (fuse-tests/lib/cutfs.c), a
# FUSE layer under the image that keeps every write in memory until the image is fsync'd
# (FileChannel.force) and drops the rest on a power cut. Each round runs the metadata workload
# of the crash cases (fuse-tests/lib/crashload.py: create, write, truncate, rename, link, unlink,
# mkdir, rmdir, xattrs; fsync of a file and its directories at random points, logged outside the
# mount) next to a writer that streams tagged data into one file and never fsyncs, cuts the power at a random moment (odd rounds: every unsynced page is lost; even
# rounds: a random half of them reached the disk first, so writes tear), kills the daemon (-9),
# restarts the layer from what reached the disk, and then `sealfs fsck -n` must be clean, the mount must recover, every fsync'd file
# not changed since must have exactly its logged size, sha256 and xattrs, and no file may hold
# another file's data. CUT_ROUNDS (default 10) power cuts; CUT_SEED reproduces the workloads.
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/crash.sh
. "$FUSE_TESTS/lib/crash.sh"
# shellcheck source=../lib/cutfs.sh
. "$FUSE_TESTS/lib/cutfs.sh"
require_cmd fusermount3 timeout

ROUNDS=${CUT_ROUNDS:-10}
SEED=${CUT_SEED:-$((RANDOM * 32768 + RANDOM))}
LOAD=$FUSE_TESTS/lib/crashload.py
# The never-fsync'd writer (16 KiB tagged writes through the first 4 MiB of its file).
STREAM=$FUSE_TESTS/lib/unsynced_stream.py
cutfs_build

step "the layer: only fsync'd writes survive a cut"
cutfs_start
"$PYTHON" - "$CUTFS_MNT" << 'PY' || fail "writes through the layer"
import os, sys
m = sys.argv[1]
fd = os.open(m + "/kept", os.O_CREAT | os.O_RDWR, 0o644)
os.pwrite(fd, b"k" * 10000, 0)
os.fdatasync(fd)
os.pwrite(fd, b"x" * 100, 5000)   # unsynced overwrite
os.pwrite(fd, b"x" * 100, 20000)  # unsynced extension
assert os.fstat(fd).st_size == 20100 and os.pread(fd, 2, 4999) == b"kx"
os.close(fd)
fd = os.open(m + "/lost", os.O_CREAT | os.O_WRONLY, 0o644)
os.write(fd, b"l" * 5000)
os.close(fd)  # close is not fsync
PY
cutfs_cut
"$PYTHON" -c 'import sys; open(sys.argv[1], "rb").read()' "$CUTFS_MNT/kept" 2> /dev/null \
  && fail "a read after the cut did not fail"
cutfs_stop
cutfs_start
[[ $(cat "$CUTFS_MNT/kept") == "$(printf 'k%.0s' {1..10000})" ]] \
  || fail "the layer lost fsync'd data or kept unsynced writes: $(wc -c < "$CUTFS_MNT/kept") bytes"
[[ -e $CUTFS_MNT/lost && ! -s $CUTFS_MNT/lost ]] || fail "unsynced data of 'lost' survived the cut"
rm -f "$CUTFS_MNT/kept" "$CUTFS_MNT/lost"

step "seed $SEED (CUT_SEED=$SEED reproduces the workloads; cut times are random)"
RANDOM=$((SEED % 32768))
SEALFS_IMG=$CUTFS_MNT/sealfs.img
fs_mkfs -s 128M > /dev/null
fs_mount
total_checked=0
total_dropped=0
for ((r = 1; r <= ROUNDS; r++)); do
  log=$CASE_DIR/load.$r.log
  if ((r > 2)); then
    rm -rf "$SEALFS_MNT/r$((r - 2))" "$SEALFS_MNT/s$((r - 2))" || fail "round $r: rm -rf r$((r - 2))"
  fi
  crash_bg "$PYTHON" "$STREAM" "$SEALFS_MNT/s$r" "$((r * 100000 + 99999))" \
    2> "$CASE_DIR/stream.$r.err"
  spid=$CRASH_BG_PID
  crash_bg "$PYTHON" "$LOAD" run "$SEALFS_MNT" "r$r" "$log" "$((SEED + r))" "$((r * 100000))" \
    > "$CASE_DIR/load.$r.out" 2> "$CASE_DIR/load.$r.err"
  wpid=$CRASH_BG_PID
  wait_for 30 grep -q ready "$CASE_DIR/load.$r.out" \
    || fail "round $r: workload not ready: $(cat "$CASE_DIR/load.$r.err")"
  cut_ms=$((500 + RANDOM % 1500))
  crash_sleep_ms "$cut_ms"
  pid_alive "$wpid" || fail "round $r: workload ended before the cut: $(cat "$CASE_DIR/load.$r.err")"
  # 64 KiB never fsync'd, written into the layer beside the image just before the cut, so that
  # an odd round (which drops every unsynced page) always has pages to drop, whatever the
  # daemon's commits happened to sync: the "dropped something" check below does not hang on timing.
  head -c 65536 /dev/urandom > "$CUTFS_MNT/canary.$r" || fail "round $r: canary write"
  if [[ ${SEALFS_DEVICE_IO:-} == mmap ]]; then # power-cut-mmap: the data went through a mapping
    grep -qF "$(readlink -f "$SEALFS_IMG")" "/proc/$(daemon_pid)/maps" \
      || fail "round $r: device_io=mmap, but the daemon has no mapping of $SEALFS_IMG"
  fi
  if ((r % 2)); then cutfs_cut; else cutfs_cut "$((SEED + r))"; fi
  # The machine is off: nothing the daemon does now reaches the image. Kill it and its mount.
  pid=$(daemon_pid)
  pid_alive "$pid" && kill -9 "$pid"
  wait_for 10 eval "! pid_alive $pid" || fail "round $r: daemon $pid alive 10 s after kill -9"
  # unmount only once the writers have stopped on the dead mount (ENOTCONN/ECONNABORTED), so
  # that none of them meets the empty directory under it
  wait_for 20 eval "! pid_alive $wpid" || fail "round $r: workload hangs after the cut"
  wait_for 20 eval "! pid_alive $spid" || fail "round $r: the streaming writer hangs after the cut"
  fusermount3 -u "$SEALFS_MNT" 2> /dev/null || fusermount3 -uz "$SEALFS_MNT" \
    || fail "round $r: cannot unmount the dead mount"
  wrc=0
  wait "$wpid" || wrc=$?
  # 2 = stopped by EIO/ENOTCONN/ECONNABORTED (the power is gone); 3 = any other error.
  ((wrc == 2)) || fail "round $r: workload exit $wrc: $(cat "$CASE_DIR/load.$r.err")"
  wait_for 20 eval "! pid_alive $spid" || fail "round $r: the streaming writer hangs after the cut"
  src=0
  wait "$spid" || src=$?
  ((src == 0)) || fail "round $r: streaming writer exit $src: $(cat "$CASE_DIR/stream.$r.err")"
  dropped=$(grep "power cut" "$CUTFS_LOG" | tail -n 1)
  pages=$(sed -n 's/.*dropped \([0-9]*\) unsynced pages.*/\1/p' <<< "$dropped")
  [[ -n $pages ]] || fail "round $r: no power-cut line in the layer's log: $dropped"
  total_dropped=$((total_dropped + pages))
  cutfs_stop
  cutfs_start
  crash_recover "$log" "round $r (cut at $cut_ms ms, seed $((SEED + r)))"
  total_checked=$((total_checked + CRASH_CHECKED))
  printf 'round %2d: cut at %4d ms, %s; %s\n' "$r" "$cut_ms" "${dropped#cutfs: power cut: }" \
    "$CRASH_REPORT"
done
fs_umount
crash_fsck
cutfs_stop
step "$ROUNDS power cuts, $total_dropped unsynced pages dropped, $total_checked fsync'd files compared"
((total_checked >= ROUNDS)) || fail "only $total_checked fsync'd files compared in $ROUNDS rounds"
((total_dropped > 0)) || fail "no cut dropped anything: the layer held nothing back"
