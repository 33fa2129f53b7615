#!/bin/bash
# TIMEOUT: 600
# -o device_io=mmap: the daemon stores file data through a shared mapping of the image (it shows
# in /proc/PID/maps) after reserving the image's blocks on the host (a sparse image is fully
# allocated once mounted). fio verify=crc32c (4 KiB random writes on two jobs, writes of
# 512 B..12 KiB at 512-byte offsets, sequential 128 KiB writes), writes at odd offsets and
# lengths mirrored in a reference copy, a copy_file_range copy with writes into it
# (copy-on-write) and an odd truncate; after a remount in the default (buffered) mode the files
# match by sha256, fio verifies again, fsck -n is clean. Refused with one line, nothing mounted
# and the image unchanged: a block device (as root: a loop device), an image on a host
# filesystem too full to reserve it (as root: a 16 MiB tmpfs under a sparse 64 MiB image).
. "$(dirname "$0")/../lib/common.sh"
require_cmd fio dd sha256sum

# Writes LEN random bytes at OFF into FILE on the mount and into its reference REF.
patch_both() {
  local file=$1 ref=$2 off=$3 len=$4
  head -c "$len" /dev/urandom > "$CASE_DIR/patch"
  dd if="$CASE_DIR/patch" of="$file" bs="$len" count=1 seek="$off" oflag=seek_bytes \
    conv=notrunc status=none || fail "dd into $file at $off ($len bytes)"
  dd if="$CASE_DIR/patch" of="$ref" bs="$len" count=1 seek="$off" oflag=seek_bytes \
    conv=notrunc status=none || fail "dd into $ref at $off"
}

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

cat > "$CASE_DIR/mmap.fio" <<EOF2
[global]
directory=$SEALFS_MNT
ioengine=psync
verify=crc32c
verify_fatal=1
do_verify=1
verify_backlog=0
randrepeat=1
fsync_on_close=1
[rand-write-4k]
rw=randwrite
bs=4k
size=16m
numjobs=2
[rand-write-unaligned]
rw=randwrite
bsrange=512-12k
blockalign=512
size=8m
[seq-write-128k]
rw=write
bs=128k
size=32m
EOF2

fs_mkfs
allocated() { echo $(($(stat -c '%b * %B' "$SEALFS_IMG"))); }
size=$(stat -c %s "$SEALFS_IMG")
echo "image: $size bytes, $(allocated) allocated on the host"
(($(allocated) < size)) || skip "mkfs made a fully allocated image: nothing to show"

step "mount with -o device_io=mmap: the image is reserved on the host"
fs_mount -o device_io=mmap
(($(allocated) >= size)) || fail "only $(allocated) of $size bytes allocated after the mount"

step "fio verify=crc32c; the daemon maps the image"
fio --output="$CASE_DIR/fio.out" "$CASE_DIR/mmap.fio" \
  || { cat "$CASE_DIR/fio.out"; fail "fio exited $?"; }
grep -q 'verify.*fail\|bad magic\|crc32c: verify failed' "$CASE_DIR/fio.out" \
  && { cat "$CASE_DIR/fio.out"; fail "fio reported a verify error"; }
grep -qF "$(readlink -f "$SEALFS_IMG")" "/proc/$(daemon_pid)/maps" \
  || fail "no mapping of $SEALFS_IMG in the daemon's /proc/PID/maps"

step "writes at odd offsets and lengths"
F=$SEALFS_MNT/odd
head -c $((1 << 20)) /dev/urandom > "$CASE_DIR/odd.ref"
cp "$CASE_DIR/odd.ref" "$F" || fail "cp to $F"
patch_both "$F" "$CASE_DIR/odd.ref" 1 1
patch_both "$F" "$CASE_DIR/odd.ref" 4095 2
patch_both "$F" "$CASE_DIR/odd.ref" 12345 100
patch_both "$F" "$CASE_DIR/odd.ref" 65535 70000
patch_both "$F" "$CASE_DIR/odd.ref" $((1048576 - 3)) 10   # extends the file by 7 bytes
patch_both "$F" "$CASE_DIR/odd.ref" $((2 * 1048576 + 7)) 333   # past EOF: a hole before it
assert_eq "$(file_sha "$CASE_DIR/odd.ref")" "$(file_sha "$F")" "sha256 of odd before remount"

step "a copy (copy_file_range shares blocks), writes into it (copy-on-write), odd truncate"
C=$SEALFS_MNT/copy
"$PYTHON" - "$F" "$C" <<'PY' || fail "copy_file_range"
import os, sys
i = os.open(sys.argv[1], os.O_RDONLY)
o = os.open(sys.argv[2], os.O_WRONLY | os.O_CREAT, 0o644)
left = os.fstat(i).st_size
while left > 0:
    n = os.copy_file_range(i, o, left)
    if n == 0:
        break
    left -= n
PY
cp "$CASE_DIR/odd.ref" "$CASE_DIR/copy.ref"
patch_both "$C" "$CASE_DIR/copy.ref" 10 5
patch_both "$C" "$CASE_DIR/copy.ref" $((20 * 4096 + 4000)) 200
truncate -s 777777 "$C" && truncate -s 777777 "$CASE_DIR/copy.ref"
truncate -s 900000 "$C" && truncate -s 900000 "$CASE_DIR/copy.ref"
assert_eq "$(file_sha "$CASE_DIR/copy.ref")" "$(file_sha "$C")" "sha256 of copy"
assert_eq "$(file_sha "$CASE_DIR/odd.ref")" "$(file_sha "$F")" "sha256 of odd after the copy"

step "remount in the default mode: same bytes, fio verifies again, no mapping"
fs_remount
grep -qF "$(readlink -f "$SEALFS_IMG")" "/proc/$(daemon_pid)/maps" \
  && fail "a buffered mount maps $SEALFS_IMG"
assert_eq "$(file_sha "$CASE_DIR/odd.ref")" "$(file_sha "$F")" "sha256 of odd after remount"
assert_eq "$(file_sha "$CASE_DIR/copy.ref")" "$(file_sha "$C")" "sha256 of copy after remount"
fio --verify_only --output="$CASE_DIR/fio2.out" "$CASE_DIR/mmap.fio" \
  || { cat "$CASE_DIR/fio2.out"; fail "fio --verify_only after remount exited $?"; }
fs_umount

step "fsck -n is clean"
"$SEALFS" fsck -n "$SEALFS_IMG" > "$CASE_DIR/fsck.out" 2>&1 \
  || { cat "$CASE_DIR/fsck.out"; fail "fsck -n exited $?"; }
grep -qx clean "$CASE_DIR/fsck.out" || { cat "$CASE_DIR/fsck.out"; fail "fsck -n not clean"; }

if [[ $(id -u) -eq 0 ]] && command -v losetup > /dev/null; then
  step "a block device (loop device) is refused: only an image file can be mapped"
  "$SEALFS" mkfs -f -s 64M "$CASE_DIR/loop.img" > /dev/null || fail "mkfs loop.img"
  LOOP=$(losetup -f --show "$CASE_DIR/loop.img") || fail "losetup"
  on_exit "losetup -d '$LOOP'"
  refused "$LOOP" '^sealfs: device_io=mmap: .* is not a regular file'

  step "a host too full to reserve the image is refused (16 MiB tmpfs, sparse 64 MiB image)"
  mkdir -p "$CASE_DIR/small"
  mount -t tmpfs -o size=16M sealfs-mmap-case "$CASE_DIR/small" || fail "mount tmpfs"
  on_exit "umount '$CASE_DIR/small'"
  "$SEALFS" mkfs -f -s 64M "$CASE_DIR/small/sparse.img" > /dev/null || fail "mkfs sparse.img"
  refused "$CASE_DIR/small/sparse.img" '^sealfs: device_io=mmap: cannot reserve the .* on the host'
else
  step "(not root: the block device and full-host refusals are not checked)"
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
