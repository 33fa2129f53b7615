#!/bin/bash
# TIMEOUT: 300
# SPEC 6: a kill -9 of the daemon while fio writes (random writes with fsync=32, or sequential
# writes with end_fsync) leaves a filesystem that `sealfs fsck -n` finds clean; after the next
# mount every reference file written and fsync'd (file and directory) before any fio run
# started is intact, and every fio file reads back without error. CRASH_FIO_ROUNDS (default 6)
# rounds on one filesystem, each with its own random kill time.
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/crash.sh
. "$FUSE_TESTS/lib/crash.sh"
require_cmd fio fusermount3 timeout

ROUNDS=${CRASH_FIO_ROUNDS:-6}
fs_mkfs -s 256M
fs_mount

# fsyncs FILE and its directory.
fsync_file_and_dir() {
  "$PYTHON" - "$1" << 'PY'
import os, sys
for p, flags in ((sys.argv[1], os.O_RDONLY), (os.path.dirname(sys.argv[1]), os.O_RDONLY)):
    fd = os.open(p, flags)
    os.fsync(fd)
    os.close(fd)
PY
}

for ((r = 1; r <= ROUNDS; r++)); do
  rm -rf "$SEALFS_MNT/fio" || fail "round $r: rm of the last round's fio files"
  mkdir "$SEALFS_MNT/fio"
  head -c $((1024 * 1024 + RANDOM * 64)) /dev/urandom > "$CASE_DIR/ref.$r"
  cp "$CASE_DIR/ref.$r" "$SEALFS_MNT/ref.$r"
  fsync_file_and_dir "$SEALFS_MNT/ref.$r" || fail "round $r: fsync of ref.$r"
  if ((r % 2)); then
    job=(--rw=randwrite --bsrange=4k-64k --fsync=32 --size=40M)
  else
    job=(--rw=write --bs=128k --end_fsync=1 --size=64M --fallocate=none)
  fi
  crash_bg fio --name=crash --directory="$SEALFS_MNT/fio" --ioengine=psync --numjobs=2 \
    --time_based --runtime=60 --output="$CASE_DIR/fio.$r.out" "${job[@]}"
  fpid=$CRASH_BG_PID
  wait_for 30 eval '[[ -n $(ls -A "$SEALFS_MNT/fio") ]]' || fail "round $r: fio wrote nothing"
  kill_ms=$((300 + RANDOM % 2700))
  crash_sleep_ms "$kill_ms"
  pid_alive "$fpid" || fail "round $r: fio ended before the kill"
  fio_bytes=$(du -cB1 "$SEALFS_MNT"/fio/* 2> /dev/null | tail -n 1 | cut -f1)
  crash_kill_daemon "$fpid"
  wait_for 30 eval "! pid_alive $fpid" || fail "round $r: fio hangs after the kill"
  wait "$fpid" || true  # fio fails: its files are gone with the mount
  t0=$(ms_now)
  crash_fsck
  t1=$(ms_now)
  fs_mount
  t2=$(ms_now)
  for ((k = 1; k <= r; k++)); do
    cmp "$CASE_DIR/ref.$k" "$SEALFS_MNT/ref.$k" \
      || fail "round $r (kill at $kill_ms ms): fsync'd ref.$k differs after the crash"
  done
  nfio=0
  for f in "$SEALFS_MNT"/fio/*; do
    [[ -e $f ]] || continue
    cat "$f" > /dev/null || fail "round $r: $f does not read back"
    nfio=$((nfio + 1))
  done
  printf 'round %d: %s; kill at %4d ms (fio files use %d MiB); fsck -n exit %d (%d ms);' "$r" \
    "${job[0]#--rw=}" "$kill_ms" $((fio_bytes / 1048576)) "$CRASH_FSCK_RC" $((t1 - t0))
  printf ' remount %d ms; %d ref files intact, %d fio files read back\n' $((t2 - t1)) "$r" "$nfio"
done
fs_umount
crash_fsck
step "$ROUNDS kill points during fio"
