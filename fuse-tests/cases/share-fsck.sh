#!/bin/bash
# TIMEOUT: 240
# SPEC 11/6: fsck checks every block of shared extents: a tree of copies (each file copied
# twice over, so its blocks have three sharers) is clean and fsck counts the blocks and the
# references; removing sharers lowers the counts, and with the last one the blocks are free.
# A power cut (kill -9 of the daemon) after copies leaves an image that mounts and is clean.
. "$FUSE_TESTS/lib/share.sh"
# shellcheck source=../lib/crash.sh
. "$FUSE_TESTS/lib/crash.sh"
share_setup

free0=$(share_free)
for n in 1 2 3 4; do
  python3 -c '
import os, sys
with open(sys.argv[1], "wb") as f:
    f.write(os.urandom(int(sys.argv[2]) * 4096)); f.flush(); os.fsync(f.fileno())
' "$SEALFS_MNT/f$n" $((n * 8)) || fail "cannot write f$n"
  share_copy "$SEALFS_MNT/f$n" "$SEALFS_MNT/f$n.copy" >/dev/null || fail "copy f$n"
  share_copy "$SEALFS_MNT/f$n.copy" "$SEALFS_MNT/f$n.again" >/dev/null || fail "copy f$n.copy"
done

step "three sharers of 80 blocks: 240 references"
share_fsck_clean "with three sharers"
grep -qx 'shared extents: 80 blocks, 240 references (80 blocks used more than once)' \
  "$CASE_DIR/fsck.out" || fail "fsck counts wrong"

step "two sharers left"
rm "$SEALFS_MNT"/f?
share_fsck_clean "with two sharers"
grep -qx 'shared extents: 80 blocks, 160 references (80 blocks used more than once)' \
  "$CASE_DIR/fsck.out" || fail "fsck counts wrong after removing one sharer"

step "a kill -9 right after more copies: the image mounts and is clean"
for n in 1 2 3 4; do
  share_copy "$SEALFS_MNT/f$n.copy" "$SEALFS_MNT/f$n.third" >/dev/null || fail "copy f$n"
done
crash_kill_daemon
fs_mount || fail "mount after kill -9"
for n in 1 2 3 4; do
  cmp "$SEALFS_MNT/f$n.copy" "$SEALFS_MNT/f$n.third" || fail "f$n.third differs after kill -9"
done
share_fsck_clean "after a kill -9"
grep -qx 'shared extents: 80 blocks, 240 references (80 blocks used more than once)' \
  "$CASE_DIR/fsck.out" || fail "fsck counts wrong after kill -9"

step "the last sharers go: every block is free again"
rm "$SEALFS_MNT"/f*
sync
wait_for 10 eval '[ "$(share_free)" = "$free0" ]' \
  || fail "free blocks $(share_free), were $free0 before the files"
share_fsck_clean "after removing every sharer"
grep -q '^shared extents' "$CASE_DIR/fsck.out" && fail "shared extents left after removing all"
true
