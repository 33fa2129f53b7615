#!/bin/bash
# Sparse files: a 1 GiB hole uses ~0 blocks on a 256 MiB filesystem, reads as zeros, and du and
# du --apparent-size tell the two sizes apart; writes in the middle allocate only what they touch.
. "$(dirname "$0")/../lib/common.sh"
fs_mkfs
fs_mount
f=$SEALFS_MNT/sparse
truncate -s 1G "$f"
assert_eq 1073741824 "$(stat -c %s "$f")" "size of the sparse file"
assert_eq 1073741824 "$(du --apparent-size -B1 "$f" | cut -f1)" "du --apparent-size"
blocks=$(stat -c %b "$f")
((blocks * 512 <= 64 * 1024)) || fail "1 GiB sparse file uses $blocks sectors"
cmp -n $((8 << 20)) "$f" /dev/zero || fail "hole does not read as zeros"
dd if=/dev/urandom of="$CASE_DIR/chunk" bs=1M count=1 status=none
dd if="$CASE_DIR/chunk" of="$f" bs=1M seek=512 conv=notrunc,fsync status=none
assert_eq 1073741824 "$(stat -c %s "$f")" "size after a write inside"
used=$(du -B1 "$f" | cut -f1)
((used >= 1048576 && used <= 1048576 + 65536)) || fail "du after writing 1 MiB: $used bytes"
cmp <(dd if="$f" bs=1M skip=512 count=1 status=none) "$CASE_DIR/chunk" \
  || fail "written chunk reads back wrong"
cmp -n $((1 << 20)) <(dd if="$f" bs=1M skip=511 count=1 status=none) /dev/zero \
  || fail "hole before the chunk is not zeros"
dd if=/dev/zero of="$SEALFS_MNT/dense" bs=1M count=4 conv=fsync status=none
dense=$(du -B1 "$SEALFS_MNT/dense" | cut -f1)
((dense >= 4194304)) || fail "4 MiB written file uses only $dense bytes"
fs_remount
assert_eq 1073741824 "$(stat -c %s "$f")" "size after remount"
assert_eq "$used" "$(du -B1 "$f" | cut -f1)" "du after remount"
cmp <(dd if="$f" bs=1M skip=512 count=1 status=none) "$CASE_DIR/chunk" \
  || fail "chunk after remount"
