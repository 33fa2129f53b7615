#!/bin/bash
# TIMEOUT: 180
# SPEC 11: a write into a shared extent of an unsealed file copies it first: the writer gets new
# blocks for what it writes, the other file keeps its blocks and its bytes. The same for a
# truncate that cuts into a shared block, a punched hole and a zeroed range; a sharer that is
# removed lets go of its references, and the blocks are freed with the last one (free blocks
# back to where they were). fsck -n is clean after each part.
. "$FUSE_TESTS/lib/share.sh"
require_cmd xfs_io
share_setup

A=$SEALFS_MNT/a
B=$SEALFS_MNT/b
free0=$(share_free)
python3 -c '
import os, sys
with open(sys.argv[1], "wb") as f:
    f.write(os.urandom(32 * 4096)); f.flush(); os.fsync(f.fileno())
' "$A" || fail "cannot write $A"
cp --reflink=never "$A" "$CASE_DIR/a.orig" || fail "cannot keep a copy of $A"
share_copy "$A" "$B" >/dev/null || fail "copy_file_range failed"
a_blocks=$(share_blocks "$A" shared)
assert_eq 32 "$(wc -l <<<"$a_blocks")" "blocks shared after the copy"

step "a write into the copy gets new blocks; the original keeps its blocks and bytes"
printf 'HELLO' | dd of="$B" bs=1 seek=$((5 * 4096 + 10)) conv=notrunc status=none \
  || fail "write into $B"
cmp "$A" "$CASE_DIR/a.orig" || fail "the original changed with a write into its copy"
assert_eq "HELLO" "$(dd if="$B" bs=1 skip=$((5 * 4096 + 10)) count=5 status=none)" \
  "the written bytes"
assert_eq "$a_blocks" "$(share_blocks "$A" shared)" "the original's block numbers"
b5=$(share_layout "$B" | awk '$1 == 20480 { print $4 }')
assert_eq written "$b5" "the written block of the copy is its own"
assert_eq 31 "$(share_blocks "$B" shared | wc -l)" "blocks still shared"

step "truncate, punch and zero range of the copy leave the original alone"
truncate -s $((20 * 4096 + 7)) "$B" || fail "truncate $B"
xfs_io -c "fpunch $((2 * 4096 + 100)) $((3 * 4096))" -c "fzero $((10 * 4096)) 8192" "$B" \
  || fail "punch/zero $B"
cmp "$A" "$CASE_DIR/a.orig" || fail "the original changed with a truncate/punch of its copy"
python3 - "$B" "$CASE_DIR/a.orig" <<'PY' || fail "the copy reads wrong after truncate/punch/zero"
import sys
b, a = open(sys.argv[1], "rb").read(), bytearray(open(sys.argv[2], "rb").read())
a[5 * 4096 + 10:5 * 4096 + 15] = b"HELLO"
a = a[:20 * 4096 + 7]
a[2 * 4096 + 100:5 * 4096 + 100] = bytes(3 * 4096)
a[10 * 4096:12 * 4096] = bytes(8192)
assert b == bytes(a), "copy differs"
PY
share_fsck_clean "after copy-on-write"

step "the blocks are freed with the last sharer"
rm "$A"
cmp <(head -c $((2 * 4096 + 100)) "$CASE_DIR/a.orig") <(head -c $((2 * 4096 + 100)) "$B") \
  || fail "the copy lost bytes when the original went"
rm "$B"
sync
wait_for 10 eval '[ "$(share_free)" = "$free0" ]' \
  || fail "free blocks $(share_free), were $free0 before the files"
share_fsck_clean "after removing both sharers"
