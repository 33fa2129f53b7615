#!/bin/bash
# TIMEOUT: 600
# Randomized pwrite/truncate/fallocate/mmap/read exerciser checked against a model after every
# op (fixed seed, plus one random seed printed in the log), then again after unmount/mount.
. "$(dirname "$0")/../lib/common.sh"
fs_mkfs
fs_mount
ex=$FUSE_TESTS/lib/exerciser.py
mkdir "$SEALFS_MNT/fixed" "$SEALFS_MNT/random"
"$PYTHON" "$ex" "$SEALFS_MNT/fixed" --seed 20170801 --ops 2000 --save "$CASE_DIR/model-fixed" \
  || fail "exerciser (fixed seed) failed"
"$PYTHON" "$ex" "$SEALFS_MNT/random" --ops 1000 --save "$CASE_DIR/model-random" \
  || fail "exerciser (random seed, see above) failed"
fs_remount
"$PYTHON" "$ex" "$SEALFS_MNT/fixed" --check "$CASE_DIR/model-fixed" || fail "fixed-seed files after remount"
"$PYTHON" "$ex" "$SEALFS_MNT/random" --check "$CASE_DIR/model-random" || fail "random-seed files after remount"
