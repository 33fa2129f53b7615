# shellcheck shell=bash
# The data checks shared by the device_io cases (device-io-direct, device-io-mmap): a mode
# changes only how file data reaches the device, so both prove the same bytes arrive. Source
# after common.sh:
#
#   dio_fio_job FILE        write an fio job file: verify=crc32c, 4 KiB random writes on two
#                           jobs, writes of 512 B..12 KiB at 512-byte offsets, 128 KiB sequential
#   dio_odd_and_copy        writes at odd offsets and lengths into $SEALFS_MNT/odd, a
#                           copy_file_range copy $SEALFS_MNT/copy with writes into it
#                           (copy-on-write) and odd truncates, each mirrored in a reference copy
#                           under $CASE_DIR; checks both by sha256
#   dio_fio                 run that job; fail on a verify error
#   dio_check_after_remount after a remount: odd and copy match their references, fio verifies
#                           the job's data again (--verify_only)
#   dio_fsck_clean          unmount; fsck -n must say clean

DIO_FIO=
# Writes LEN random bytes at OFF into FILE on the mount and into its reference REF.
patch_both() {
  local file=$1 ref=$2 off=$3 len=$4
  head -c "$len" /dev/urandom > "$CASE_DIR/patch"
  dd if="$CASE_DIR/patch" of="$file" bs="$len" count=1 seek="$off" oflag=seek_bytes \
    conv=notrunc status=none || fail "dd into $file at $off ($len bytes)"
  dd if="$CASE_DIR/patch" of="$ref" bs="$len" count=1 seek="$off" oflag=seek_bytes \
    conv=notrunc status=none || fail "dd into $ref at $off"
}

# Writes the fio job file FILE (and remembers it for dio_check_after_remount).
dio_fio_job() {
  DIO_FIO=$1
  cat > "$DIO_FIO" <<EOF
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
}

# Runs the fio job written by dio_fio_job; fails on a verify error.
dio_fio() {
  fio --output="$CASE_DIR/fio.out" "$DIO_FIO" \
    || { cat "$CASE_DIR/fio.out"; fail "fio exited $?"; }
  grep -q 'verify.*fail\|bad magic\|crc32c: verify failed' "$CASE_DIR/fio.out" \
    && { cat "$CASE_DIR/fio.out"; fail "fio reported a verify error"; }
  return 0
}

# The odd writes and the copy with its copy-on-write, checked by sha256 (see the top).
dio_odd_and_copy() {
  step "writes at odd offsets and lengths"
  local F=$SEALFS_MNT/odd C=$SEALFS_MNT/copy
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
}

# After a remount: the files of dio_odd_and_copy match, and fio verifies its data again.
dio_check_after_remount() {
  assert_eq "$(file_sha "$CASE_DIR/odd.ref")" "$(file_sha "$SEALFS_MNT/odd")" \
    "sha256 of odd after remount"
  assert_eq "$(file_sha "$CASE_DIR/copy.ref")" "$(file_sha "$SEALFS_MNT/copy")" \
    "sha256 of copy after remount"
  fio --verify_only --output="$CASE_DIR/fio2.out" "$DIO_FIO" \
    || { cat "$CASE_DIR/fio2.out"; fail "fio --verify_only after remount exited $?"; }
}

# Unmounts, then fsck -n must say clean.
dio_fsck_clean() {
  fs_umount
  step "fsck -n is clean"
  "$SEALFS" fsck -n "$SEALFS_IMG" > "$CASE_DIR/fsck.out" 2>&1 \
    || { cat "$CASE_DIR/fsck.out"; fail "fsck -n exited $?"; }
  grep -qx clean "$CASE_DIR/fsck.out" || { cat "$CASE_DIR/fsck.out"; fail "fsck -n not clean"; }
}
