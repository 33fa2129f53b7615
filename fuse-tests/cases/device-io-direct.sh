#!/bin/bash
# TIMEOUT: 600
# -o device_io=direct: the daemon writes file data to the image with O_DIRECT (its image fd has
# O_DIRECT). fio verify=crc32c (4 KiB random writes on two jobs, writes of 512 B..12 KiB at
# 512-byte offsets, sequential 128 KiB writes), then writes at odd offsets and lengths, a
# copy_file_range copy and writes into it (copy-on-write), and an odd truncate, each mirrored in
# a reference copy on the host. After a remount in the default (buffered) mode the files match
# the references by sha256 and fio verifies its data again; fsck -n is clean. An image on tmpfs
# (/dev/shm) with device_io=direct is refused with one line, and nothing is mounted.
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/device_io.sh
. "$FUSE_TESTS/lib/device_io.sh"
require_cmd fio dd sha256sum
case $(stat -f -c %T "$CASE_DIR") in
  tmpfs | ramfs) skip "$CASE_DIR is on a memory filesystem (device_io=direct refuses it)" ;;
esac
dd if=/dev/zero of="$CASE_DIR/probe" bs=4096 count=1 oflag=direct status=none 2>/dev/null \
  || skip "the filesystem of $CASE_DIR refuses O_DIRECT"
rm -f "$CASE_DIR/probe"
O_DIRECT=$("$PYTHON" -c 'import os; print(os.O_DIRECT)')

# Prints how many of the daemon's descriptors of the image have O_DIRECT in their flags.
direct_fds() {
  local pid fd n=0 flags img
  pid=$(daemon_pid)
  [[ -n $pid ]] || fail "no daemon pid"
  img=$(readlink -f "$SEALFS_IMG")
  for fd in /proc/"$pid"/fd/*; do
    [[ $(readlink "$fd") == "$img" ]] || continue
    flags=$(awk '$1 == "flags:" { print $2 }' "/proc/$pid/fdinfo/${fd##*/}")
    (((8#$flags & O_DIRECT) != 0)) && n=$((n + 1))
  done
  echo "$n"
}

dio_fio_job "$CASE_DIR/direct.fio"

fs_mkfs
step "mount with -o device_io=direct: the daemon has the image open with O_DIRECT"
fs_mount -o device_io=direct
n=$(direct_fds)
((n >= 1)) || fail "no O_DIRECT descriptor of $SEALFS_IMG in the daemon"

step "fio verify=crc32c"
dio_fio

dio_odd_and_copy

step "remount in the default mode: same bytes, fio verifies again, no O_DIRECT descriptor"
fs_remount
assert_eq 0 "$(direct_fds)" "O_DIRECT descriptors of the image without device_io=direct"
dio_check_after_remount
dio_fsck_clean

step "an image on tmpfs with device_io=direct: one line, non-zero exit, nothing mounted"
if [[ -d /dev/shm && -w /dev/shm && $(stat -f -c %T /dev/shm) == tmpfs ]]; then
  SHM_IMG=$(mktemp /dev/shm/sealfs-direct-case.XXXX)
  on_exit rm -f "$SHM_IMG"
  "$SEALFS" mkfs -f -s 64M "$SHM_IMG" > /dev/null || fail "mkfs on $SHM_IMG"
  rc=0
  timeout -k 5 90 "$SEALFS" mount "$SHM_IMG" "$SEALFS_MNT" -o device_io=direct \
    > "$CASE_DIR/out" 2> "$CASE_DIR/err" || rc=$?
  cat "$CASE_DIR/out" "$CASE_DIR/err"
  ((rc != 0 && rc != 124 && rc != 137)) || fail "mount of a tmpfs image exited $rc"
  assert_eq 1 "$(wc -l < "$CASE_DIR/err")" "stderr lines of the refused mount"
  grep -q '^sealfs: device_io=direct: .*tmpfs' "$CASE_DIR/err" || fail "not the tmpfs refusal"
  is_mounted "$SEALFS_MNT" && fail "a refused mount left $SEALFS_MNT mounted"
  step "  and in the foreground (-f) the same"
  rc=0
  timeout -k 5 90 "$SEALFS" mount -f "$SHM_IMG" "$SEALFS_MNT" -o device_io=direct \
    > "$CASE_DIR/out" 2> "$CASE_DIR/err" || rc=$?
  cat "$CASE_DIR/out" "$CASE_DIR/err"
  ((rc != 0 && rc != 124 && rc != 137)) || fail "mount -f of a tmpfs image exited $rc"
  grep -q '^sealfs: device_io=direct: .*tmpfs' "$CASE_DIR/err" || fail "not the tmpfs refusal (-f)"
  is_mounted "$SEALFS_MNT" && fail "a refused mount -f left $SEALFS_MNT mounted"
else
  step "  (no writable tmpfs at /dev/shm: not checked)"
fi
step "a bad device_io value is refused with one line"
rc=0
"$SEALFS" mount "$SEALFS_IMG" "$SEALFS_MNT" -o device_io=none > "$CASE_DIR/out" \
  2> "$CASE_DIR/err" || rc=$?
cat "$CASE_DIR/err"
((rc != 0)) || fail "device_io=none mounted"
assert_eq 1 "$(wc -l < "$CASE_DIR/err")" "stderr lines for device_io=none"
is_mounted "$SEALFS_MNT" && fail "device_io=none left a mount"
exit 0
