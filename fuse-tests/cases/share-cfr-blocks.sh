#!/bin/bash
# TIMEOUT: 180
# SPEC 11: copy_file_range between two files of the mount shares the whole blocks instead of
# copying them: the destination maps the source's device blocks (user.sealfs.layout and
# `sealfs layout` show the same physical offsets, flagged shared, in both files), no block is
# allocated for them (free blocks unchanged), and the bytes read the same, also after a remount.
# The last partial block is shared too when the copy ends at the source's EOF; offsets that lie
# differently within a block copy bytes (new blocks, written); `sealfs map` draws the shared
# blocks. fsck -n is clean afterwards.
. "$FUSE_TESTS/lib/share.sh"
share_setup

S=$SEALFS_MNT/src
D=$SEALFS_MNT/dst
U=$SEALFS_MNT/unaligned
python3 -c '
import os, sys
with open(sys.argv[1], "wb") as f:
    f.write(os.urandom(64 * 4096 + 100)); f.flush(); os.fsync(f.fileno())
' "$S" || fail "cannot write $S"

step "copy_file_range of the whole file shares its blocks"
free=$(share_free)
assert_eq $((64 * 4096 + 100)) "$(share_copy "$S" "$D")" "bytes copied"
cmp "$S" "$D" || fail "the copy reads differently"
assert_eq "$free" "$(share_free)" "free blocks after sharing 65 blocks"
share_layout "$D"
src_blocks=$(share_blocks "$S" shared)
dst_blocks=$(share_blocks "$D" shared)
assert_eq 65 "$(wc -l <<<"$dst_blocks")" "shared blocks of the destination"
assert_eq "$src_blocks" "$dst_blocks" "the destination maps the source's device blocks"
"$SEALFS" layout "$D" | tee "$CASE_DIR/layout.out"
grep -q shared "$CASE_DIR/layout.out" || fail "sealfs layout does not flag the shared extent"

step "after a remount the files still share and read the same"
fs_remount
cmp "$S" "$D" || fail "the copy reads differently after a remount"
assert_eq "$src_blocks" "$(share_blocks "$D" shared)" "shared blocks after a remount"

step "offsets unlike within a block copy bytes"
assert_eq $((64 * 4096 + 99)) "$(share_copy "$S" "$U" 1 0 $((64 * 4096 + 99)))" "bytes copied"
cmp <(tail -c +2 "$S") "$U" || fail "the unaligned copy reads differently"
assert_eq "" "$(share_blocks "$U" shared)" "an unaligned copy shares nothing"
[ -n "$(share_blocks "$U" written)" ] || fail "an unaligned copy has no written blocks"

step "sealfs map draws the shared blocks"
"$SEALFS" map "$SEALFS_MNT" >"$CASE_DIR/map.txt" || fail "sealfs map exited $?"
cat "$CASE_DIR/map.txt"
cells=$(grep -E '^ +[0-9][0-9.]*( [KMG]iB)? ' "$CASE_DIR/map.txt" | cut -c11- | tr -cd '=' | wc -c)
[ "$cells" -ge 1 ] || fail "sealfs map shows no shared cell"

share_fsck_clean "after sharing"
grep -q '^shared extents: 65 blocks, 130 references' "$CASE_DIR/fsck.out" \
  || fail "fsck does not count the shared blocks"
