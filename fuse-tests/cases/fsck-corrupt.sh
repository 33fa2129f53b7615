#!/bin/bash
# TIMEOUT: 300
# SPEC 6: a damaged image is refused at mount with a one-line reason and a non-zero exit, never
# a stack trace, never a hang, and nothing is written to it; `sealfs fsck -n` says so with exit
# 4 or 8. Damage: bytes flipped in both superblock copies, in the first block of the current
# checkpoint (body and header), an image cut in half, and superblock fields with a valid CRC32C
# (checkpoint size, run table, journal size, a block count whose byte size overflows 64 bits).
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/damage.sh
. "$FUSE_TESTS/lib/damage.sh"

step "a used filesystem, cleanly unmounted"
fs_mkfs -s 64M
fs_mount
mkdir -p "$SEALFS_MNT/d/e"
head -c 500000 /dev/urandom > "$SEALFS_MNT/d/f"
for i in $(seq 40); do echo "$i" > "$SEALFS_MNT/d/e/s$i"; done
setfattr -n user.x -v y "$SEALFS_MNT/d/f" 2> /dev/null || true
fs_umount
cp "$SEALFS_IMG" "$CASE_DIR/base.img"
"$PYTHON" "$CORRUPT" info "$SEALFS_IMG" > "$CASE_DIR/info"
info() { sed -n "s/^$1=//p" "$CASE_DIR/info"; }
bs=$(info block_size)
checkpoint_block=$(info checkpoint_block)
data_start=$(info data_start)
echo "geometry: $(tr '\n' ' ' < "$CASE_DIR/info")"
((checkpoint_block >= data_start)) || fail "no checkpoint block found in the superblock"

# scenario NAME DAMAGE-COMMAND...: fresh copy of the base image, damage it, check fsck and mount.
scenario() {
  local name=$1
  shift
  step "$name"
  cp "$CASE_DIR/base.img" "$SEALFS_IMG"
  "$@" || fail "$name: could not damage the image"
  damage_expect_fsck "$name" "4 8"
  damage_expect_refused "$name"
}
scenario "both superblock copies, 8 bytes flipped" \
  eval '"$PYTHON" "$CORRUPT" flip "$SEALFS_IMG" 100 && "$PYTHON" "$CORRUPT" flip "$SEALFS_IMG" $((bs + 100))'
scenario "both superblock copies, block size field flipped" \
  eval '"$PYTHON" "$CORRUPT" flip "$SEALFS_IMG" 12 4 && "$PYTHON" "$CORRUPT" flip "$SEALFS_IMG" $((bs + 12)) 4'
scenario "checkpoint block $checkpoint_block, 8 bytes of its body flipped" \
  "$PYTHON" "$CORRUPT" flip "$SEALFS_IMG" $((checkpoint_block * bs + 200))
scenario "checkpoint block $checkpoint_block, one header byte flipped" \
  "$PYTHON" "$CORRUPT" flip "$SEALFS_IMG" $((checkpoint_block * bs + 8)) 1
scenario "checkpoint block $checkpoint_block zeroed" \
  dd if=/dev/zero of="$SEALFS_IMG" bs="$bs" seek="$checkpoint_block" count=1 conv=notrunc status=none
scenario "image cut to half its size" truncate -s 32M "$SEALFS_IMG"
scenario "superblocks (valid CRC) claim a 2^40-byte checkpoint" \
  "$PYTHON" "$CORRUPT" set-sb "$SEALFS_IMG" checkpoint_bytes 0x10000000000
scenario "superblocks (valid CRC) claim a 2 GiB + 1 byte checkpoint" \
  "$PYTHON" "$CORRUPT" set-sb "$SEALFS_IMG" checkpoint_bytes 0x80000001
scenario "superblocks (valid CRC) with a checkpoint run past the data area" \
  "$PYTHON" "$CORRUPT" set-sb "$SEALFS_IMG" run0_count 100000000
scenario "superblocks (valid CRC) with a huge journal" \
  "$PYTHON" "$CORRUPT" set-sb "$SEALFS_IMG" journal_blocks 0xffffffff
# BUG (reported to the lead): Superblock.decode checks `total * bs <= deviceBytes`, which
# overflows for total = 2^52 with 4 KiB blocks, so the image is accepted.
scenario "superblocks (valid CRC) with 2^52 blocks (byte size overflows 64 bits)" \
  "$PYTHON" "$CORRUPT" set-sb "$SEALFS_IMG" total_blocks 0x10000000000000

step "the undamaged image still mounts and is clean"
cp "$CASE_DIR/base.img" "$SEALFS_IMG"
damage_expect_fsck "undamaged" "0"
fs_mount
[[ -f $SEALFS_MNT/d/e/s40 ]] || damage_fail "undamaged image: d/e/s40 missing"
fs_umount
damage_finish
