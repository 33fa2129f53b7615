#!/bin/bash
# TIMEOUT: 300
# SPEC 5, the direct path end to end: `sealfs direct FILE --verify --chaos` seals FILE (PREPARE),
# does random 4 KiB I/O on the device at the file's extents while other processes attack the
# file (truncate, fallocate, xfs_io falloc/fpunch/fzero/truncate, python appends/O_TRUNC,
# unlink + relink through a hard link, touch), then checks that a fresh open through the mount
# reads what went to the device (after the page cache was filled with the old bytes), that a
# mount write + fsync is on the device at the layout's offset, and that after the release every
# block still reads as last written. Requires violations=0, refusals seen, and the seal gone.
. "$(dirname "$0")/../lib/common.sh"
require_cmd truncate fallocate xfs_io getfattr
fs_mkfs -s 256M
fs_mount

F=$SEALFS_MNT/direct.dat
# A fragmented file: interleave two files' writes so PREPARE and the layout see several extents,
# and leave holes for PREPARE to fill.
G=$SEALFS_MNT/other.dat
for i in $(seq 0 15); do
  dd if=/dev/urandom of="$F" bs=64K count=1 seek=$((i * 2)) conv=notrunc status=none
  dd if=/dev/urandom of="$G" bs=64K count=1 seek="$i" conv=notrunc status=none
done
truncate -s 8M "$F"

out=$CASE_DIR/direct.out
rc=0
"$SEALFS" direct "$F" --ops 20000 --block 4096 --mixed --verify --chaos > "$out" 2>&1 || rc=$?
cat "$out"
assert_eq 0 "$rc" "sealfs direct --verify --chaos exit status"
grep -qx 'violations=0' "$out" || fail "no violations=0 line"
extents=$(sed -n 's/^direct: .* extents=\([0-9]*\) .*/\1/p' "$out")
((extents > 1)) || fail "expected a fragmented file (several extents), got [$extents]"
refused=$(sed -n 's/.*refused_etxtbsy=\([0-9]*\).*/\1/p' "$out")
((refused >= 12)) || fail "expected at least 12 ETXTBSY refusals, got [$refused]"
grep -q 'skipped=0 ' "$out" || fail "some chaos operations were skipped"
grep -q 'verify held: mount_vs_device_bytes_differ=0 blocks_not_as_written=0 mount_write_fsync_not_on_device_bytes=0' "$out" \
  || fail "held verification line missing or not clean"
grep -q 'verify released: blocks_not_as_written=0' "$out" || fail "released verification missing"

# The name survived unlink + relink, the seal is gone, no link is left over, the size is intact.
[[ -f $F ]] || fail "$F missing after chaos"
[[ ! -e $F.chaos-link ]] || fail "chaos link left behind"
assert_eq unsealed "$(getfattr --only-values -n user.sealfs.seal "$F")" "seal state after release"
assert_eq 8388608 "$(stat -c %s "$F")" "size after the run"

# The data survives a remount: the device bytes are the file's bytes.
sum=$(file_sha "$F")
fs_remount
assert_eq "$sum" "$(file_sha "$F")" "content after remount"

# A run that cannot do a single block fails with one line and still releases the seal.
expect_fail_with "smaller than one --block" "$SEALFS" direct "$SEALFS_MNT/other.dat" --block 64M
assert_eq unsealed "$(getfattr --only-values -n user.sealfs.seal "$SEALFS_MNT/other.dat")" \
  "seal released after a refused run"
