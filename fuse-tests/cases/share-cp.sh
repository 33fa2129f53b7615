#!/bin/bash
# TIMEOUT: 240
# README / SPEC 11: coreutils cp (9.x uses copy_file_range) on the native binding shares the
# blocks of the files it copies: after `cp -r` of a tree, each copy maps its original's device
# blocks (shared), the trees compare equal, and writing the copies leaves the originals alone.
# A sparse file keeps its holes: coreutils 9.1 finds its data with SEEK_DATA/SEEK_HOLE and copies
# that with read and write, so it is not shared. fsck -n is clean.
. "$FUSE_TESTS/lib/share.sh"
require_cmd cp diff
share_setup

T=$SEALFS_MNT/tree
mkdir -p "$T/sub" || fail "mkdir"
python3 - "$T" <<'PY' || fail "cannot write the tree"
import os, random, sys
t = sys.argv[1]
rnd = random.Random(12)
for name, size in (("a", 1 << 20), ("b", 3 * 4096 + 17), ("sub/c", 200 * 1024), ("sub/d", 10)):
    with open(os.path.join(t, name), "wb") as f:
        f.write(rnd.randbytes(size))
with open(os.path.join(t, "sparse"), "wb") as f:   # 4 MiB: data at 0 and at 3 MiB only
    f.write(rnd.randbytes(8192)); f.seek(3 << 20); f.write(rnd.randbytes(8192)); f.truncate(4 << 20)
PY
free=$(share_free)

step "cp -r shares the blocks of every file"
cp -r "$T" "$SEALFS_MNT/copy" || fail "cp -r failed"
diff -r "$T" "$SEALFS_MNT/copy" || fail "the copied tree differs"
for f in a b sub/c; do
  shared=$(share_blocks "$SEALFS_MNT/copy/$f" shared)
  [ -n "$shared" ] || fail "cp did not share the blocks of $f: $(share_layout "$SEALFS_MNT/copy/$f")"
  [ -z "$(comm -13 <(share_blocks "$T/$f" shared | sort) <(sort <<<"$shared"))" ] \
    || fail "copy/$f maps blocks its original does not"
done
used=$((free - $(share_free)))
[ "$used" -le 8 ] || fail "cp -r of 1.5 MiB used $used new blocks (sharing should need ~none)"
du_sparse=$(du -k "$SEALFS_MNT/copy/sparse" | cut -f1)
[ "$du_sparse" -le 64 ] || fail "the copy of the sparse file takes $du_sparse KiB"

step "writing the copies leaves the originals alone"
sums=$(tree_sums "$T")
for f in a b sub/c sparse; do
  printf 'changed' | dd of="$SEALFS_MNT/copy/$f" bs=1 seek=100 conv=notrunc status=none \
    || fail "write into copy/$f"
done
assert_eq "$sums" "$(tree_sums "$T")" "the originals changed"
diff -rq "$T" "$SEALFS_MNT/copy" >/dev/null && fail "the copies did not change"
share_fsck_clean "after cp -r and writes"
