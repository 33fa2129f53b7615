#!/bin/bash
# TIMEOUT: 600
# -o device_io=mmap: the daemon stores file data through a shared mapping of the image (it shows
# in /proc/PID/maps) after reserving the image's blocks on the host (a sparse image is fully
# allocated once mounted), and keeps its lock on the image meanwhile (a second mount and fsck
# are refused: closing the descriptor that reserved would have dropped it). fio verify=crc32c
# (4 KiB random writes on two jobs, writes of 512 B..12 KiB at 512-byte offsets, sequential
# 128 KiB writes), writes at odd offsets and lengths mirrored in a reference copy, a
# copy_file_range copy with writes into it (copy-on-write) and an odd truncate; after a remount
# in the default (buffered) mode the files match by sha256, fio verifies again, fsck -n is
# clean. Refused with one line, nothing mounted and the image unchanged: a block device (as
# root: a loop device), an image on a host filesystem too full to reserve it (as root: a 16 MiB
# tmpfs under a sparse 64 MiB image).
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/device_io.sh
. "$FUSE_TESTS/lib/device_io.sh"
require_cmd fio dd sha256sum

# Runs `sealfs mount IMG MNT -o device_io=mmap`, which must fail with one line on stderr
# matching PATTERN, leave nothing mounted and IMG's sha256 unchanged.
refused() {
  local img=$1 pattern=$2 before rc=0
  before=$(file_sha "$img")
  timeout -k 5 90 "$SEALFS" mount "$img" "$SEALFS_MNT" -o device_io=mmap \
    > "$CASE_DIR/out" 2> "$CASE_DIR/err" || rc=$?
  cat "$CASE_DIR/out" "$CASE_DIR/err"
  ((rc != 0 && rc != 124 && rc != 137)) || fail "mount of $img exited $rc"
  assert_eq 1 "$(wc -l < "$CASE_DIR/err")" "stderr lines of the refused mount"
  grep -q "$pattern" "$CASE_DIR/err" || fail "not the expected refusal ($pattern)"
  is_mounted "$SEALFS_MNT" && fail "a refused mount left $SEALFS_MNT mounted"
  assert_eq "$before" "$(file_sha "$img")" "sha256 of $img after the refused mount"
}

dio_fio_job "$CASE_DIR/mmap.fio"

fs_mkfs
allocated() { echo $(($(stat -c '%b * %B' "$SEALFS_IMG"))); }
size=$(stat -c %s "$SEALFS_IMG")
echo "image: $size bytes, $(allocated) allocated on the host"
(($(allocated) < size)) || skip "mkfs made a fully allocated image: nothing to show"

step "mount with -o device_io=mmap: the image is reserved on the host"
fs_mount -o device_io=mmap
(($(allocated) >= size)) || fail "only $(allocated) of $size bytes allocated after the mount"

step "the device lock holds after the reservation: a second mount and fsck are refused"
mkdir -p "$CASE_DIR/mnt2"
rc=0
timeout -k 5 90 "$SEALFS" mount "$SEALFS_IMG" "$CASE_DIR/mnt2" -o device_io=mmap \
  > "$CASE_DIR/out" 2> "$CASE_DIR/err" || rc=$?
cat "$CASE_DIR/err"
((rc != 0)) || { fusermount3 -u "$CASE_DIR/mnt2"; fail "a second mount of the mounted image"; }
grep -q 'in use by another sealfs' "$CASE_DIR/err" || fail "not the in-use refusal"
rc=0
"$SEALFS" fsck -n "$SEALFS_IMG" > "$CASE_DIR/out" 2>&1 || rc=$?
cat "$CASE_DIR/out"
assert_eq 8 "$rc" "exit code of fsck -n on the mounted image"

step "fio verify=crc32c; the daemon maps the image"
dio_fio
grep -qF "$(readlink -f "$SEALFS_IMG")" "/proc/$(daemon_pid)/maps" \
  || fail "no mapping of $SEALFS_IMG in the daemon's /proc/PID/maps"

dio_odd_and_copy

step "remount in the default mode: same bytes, fio verifies again, no mapping"
fs_remount
grep -qF "$(readlink -f "$SEALFS_IMG")" "/proc/$(daemon_pid)/maps" \
  && fail "a buffered mount maps $SEALFS_IMG"
dio_check_after_remount
dio_fsck_clean

# Root only, and only where the machine lets root make a loop device and mount a tmpfs (a
# container may not): otherwise the step says it is not checked.
"$SEALFS" mkfs -f -s 64M "$CASE_DIR/loop.img" > /dev/null || fail "mkfs loop.img"
LOOP=
if [[ $(id -u) -eq 0 ]] && command -v losetup > /dev/null \
    && LOOP=$(losetup -f --show "$CASE_DIR/loop.img" 2> /dev/null) && [[ -b $LOOP ]]; then
  on_exit "losetup -d '$LOOP'"
  step "a block device ($LOOP) is refused: only an image file can be mapped"
  refused "$LOOP" '^sealfs: device_io=mmap: .* is not a regular file'
else
  step "(no loop device to be had here: the block device refusal is not checked)"
fi
mkdir -p "$CASE_DIR/small"
if [[ $(id -u) -eq 0 ]] && mount -t tmpfs -o size=16M sealfs-mmap-case "$CASE_DIR/small"; then
  on_exit "umount '$CASE_DIR/small'"
  step "a host too full to reserve the image is refused (16 MiB tmpfs, sparse 64 MiB image)"
  "$SEALFS" mkfs -f -s 64M "$CASE_DIR/small/sparse.img" > /dev/null || fail "mkfs sparse.img"
  refused "$CASE_DIR/small/sparse.img" '^sealfs: device_io=mmap: cannot reserve the .* on the host'
else
  step "(cannot mount a small tmpfs here: the full-host refusal is not checked)"
fi

step "a bad device_io value is refused with one line naming the three"
rc=0
"$SEALFS" mount "$SEALFS_IMG" "$SEALFS_MNT" -o device_io=mapped > "$CASE_DIR/out" \
  2> "$CASE_DIR/err" || rc=$?
cat "$CASE_DIR/err"
((rc != 0)) || fail "device_io=mapped mounted"
assert_eq 1 "$(wc -l < "$CASE_DIR/err")" "stderr lines for device_io=mapped"
grep -q 'buffered, direct or mmap' "$CASE_DIR/err" || fail "the message does not name the modes"
is_mounted "$SEALFS_MNT" && fail "device_io=mapped left a mount"
exit 0
