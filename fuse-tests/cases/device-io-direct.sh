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

# Writes LEN random bytes at OFF into FILE on the mount and into its reference REF.
patch_both() {
  local file=$1 ref=$2 off=$3 len=$4
  head -c "$len" /dev/urandom > "$CASE_DIR/patch"
  dd if="$CASE_DIR/patch" of="$file" bs="$len" count=1 seek="$off" oflag=seek_bytes \
    conv=notrunc status=none || fail "dd into $file at $off ($len bytes)"
  dd if="$CASE_DIR/patch" of="$ref" bs="$len" count=1 seek="$off" oflag=seek_bytes \
    conv=notrunc status=none || fail "dd into $ref at $off"
}

cat > "$CASE_DIR/direct.fio" <<EOF
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
EOF

fs_mkfs
step "mount with -o device_io=direct: the daemon has the image open with O_DIRECT"
fs_mount -o device_io=direct
n=$(direct_fds)
((n >= 1)) || fail "no O_DIRECT descriptor of $SEALFS_IMG in the daemon"

step "fio verify=crc32c"
fio --output="$CASE_DIR/fio.out" "$CASE_DIR/direct.fio" \
  || { cat "$CASE_DIR/fio.out"; fail "fio exited $?"; }
grep -q 'verify.*fail\|bad magic\|crc32c: verify failed' "$CASE_DIR/fio.out" \
  && { cat "$CASE_DIR/fio.out"; fail "fio reported a verify error"; }

step "writes at odd offsets and lengths"
F=$SEALFS_MNT/odd
head -c $((1 << 20)) /dev/urandom > "$CASE_DIR/odd.ref"
cp "$CASE_DIR/odd.ref" "$F" || fail "cp to $F"
patch_both "$F" "$CASE_DIR/odd.ref" 1 1
patch_both "$F" "$CASE_DIR/odd.ref" 4095 2
patch_both "$F" "$CASE_DIR/odd.ref" 12345 100
patch_both "$F" "$CASE_DIR/odd.ref" 65535 70000
patch_both "$F" "$CASE_DIR/odd.ref" $((8 * 4096)) 4096
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

step "remount in the default mode: same bytes, fio verifies again, no O_DIRECT descriptor"
fs_remount
assert_eq 0 "$(direct_fds)" "O_DIRECT descriptors of the image without device_io=direct"
assert_eq "$(file_sha "$CASE_DIR/odd.ref")" "$(file_sha "$F")" "sha256 of odd after remount"
assert_eq "$(file_sha "$CASE_DIR/copy.ref")" "$(file_sha "$C")" "sha256 of copy after remount"
fio --verify_only --output="$CASE_DIR/fio2.out" "$CASE_DIR/direct.fio" \
  || { cat "$CASE_DIR/fio2.out"; fail "fio --verify_only after remount exited $?"; }
fs_umount

step "fsck -n is clean"
"$SEALFS" fsck -n "$SEALFS_IMG" > "$CASE_DIR/fsck.out" 2>&1 \
  || { cat "$CASE_DIR/fsck.out"; fail "fsck -n exited $?"; }
grep -qx clean "$CASE_DIR/fsck.out" || { cat "$CASE_DIR/fsck.out"; fail "fsck -n not clean"; }

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
