#!/bin/bash
# TIMEOUT: 300
# SPEC 11: the random-op exerciser (fuse-tests/lib/exerciser.py: pwrite, truncate up and down,
# fallocate, punch hole, zero range, writes through a shared mmap, reads, reopens; the whole
# file compared with a byte model after every op) on trees full of shared extents. A tree is
# copied twice with `cp -r` on the same mount, so that three files map each of its blocks
# (checked in user.sealfs.layout: the copies' blocks are shared, and are the original's). The
# exerciser runs on the first copy (every write, cut or punch of a shared block copies it
# first), then on the original; meanwhile the other trees must keep their bytes: the second
# copy is never touched and must still read as the original did. Then `sealfs fsck -n` is clean
# (it counts the references of every shared block) and after the remount every tree still
# reads as its model. SHARE_EX_SEED reproduces a run; SHARE_EX_OPS ops per run (default 600).
. "$FUSE_TESTS/lib/share.sh"
require_cmd cp diff
share_setup

SEED=${SHARE_EX_SEED:-$((RANDOM * 32768 + RANDOM))}
OPS=${SHARE_EX_OPS:-600}
EX=$FUSE_TESTS/lib/exerciser.py
T=$SEALFS_MNT/tree
C1=$SEALFS_MNT/copy1
C2=$SEALFS_MNT/copy2
step "seed $SEED (SHARE_EX_SEED=$SEED reproduces the run)"
mkdir -p "$T/sub/deep" || fail "mkdir"
python3 - "$T" "$SEED" <<'PY' || fail "cannot write the tree"
import os, random, sys
t, seed = sys.argv[1], int(sys.argv[2])
rnd = random.Random(seed)
for name, size in (("a", 256 << 10), ("b", 64 * 1024 + 100), ("sub/c", 128 << 10),
                   ("sub/d", 3 * 4096), ("sub/deep/e", 512 << 10), ("f", 10)):
    with open(os.path.join(t, name), "wb") as f:
        f.write(rnd.randbytes(size))
        os.fsync(f.fileno())
PY
orig_sums=$(tree_sums "$T")

step "cp -r twice: the copies share the original's blocks"
cp -r "$T" "$C1" || fail "cp -r to copy1 failed"
cp -r "$T" "$C2" || fail "cp -r to copy2 failed"
diff -r "$T" "$C1" && diff -r "$T" "$C2" || fail "a copied tree differs"
shared_total=0
for f in a b sub/c sub/d sub/deep/e; do
  orig=$(share_blocks "$T/$f" shared | sort)
  [ -n "$orig" ] || fail "the original $f has no shared blocks: $(share_layout "$T/$f")"
  for c in "$C1" "$C2"; do
    [ "$(share_blocks "$c/$f" shared | sort)" = "$orig" ] \
      || fail "$c/$f does not map exactly the original's shared blocks: $(share_layout "$c/$f")"
  done
  shared_total=$((shared_total + $(wc -l <<< "$orig")))
done
step "$shared_total blocks, each mapped by three files"

step "the exerciser on copy1 (copy-on-write of shared blocks)"
"$PYTHON" "$EX" "$C1" --existing --seed "$SEED" --ops "$OPS" --save "$CASE_DIR/model-copy1" \
  || fail "exerciser on copy1 failed (see above)"
assert_eq "$orig_sums" "$(tree_sums "$T")" "the original tree changed under the exerciser on copy1"
assert_eq "$orig_sums" "$(tree_sums "$C2")" "copy2 changed under the exerciser on copy1"
left=$(share_blocks "$T/sub/deep/e" shared | wc -l)
step "the original still shares $left of the 128 blocks of sub/deep/e (with copy2 at least)"

step "the exerciser on the original"
"$PYTHON" "$EX" "$T" --existing --seed "$((SEED + 1))" --ops "$OPS" --save "$CASE_DIR/model-tree" \
  || fail "exerciser on the original failed (see above)"
"$PYTHON" "$EX" "$C1" --check "$CASE_DIR/model-copy1" \
  || fail "copy1 changed under the exerciser on the original"
assert_eq "$orig_sums" "$(tree_sums "$C2")" "copy2 changed under the exerciser on the original"

share_fsck_clean "after the exercisers"
"$PYTHON" "$EX" "$T" --check "$CASE_DIR/model-tree" || fail "the original after the remount"
"$PYTHON" "$EX" "$C1" --check "$CASE_DIR/model-copy1" || fail "copy1 after the remount"
assert_eq "$orig_sums" "$(tree_sums "$C2")" "copy2 after the remount"
