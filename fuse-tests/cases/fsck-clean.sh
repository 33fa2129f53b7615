#!/bin/bash
# TIMEOUT: 300
# `sealfs fsck -n` on a fresh and on a used filesystem exits 0, prints "clean" and writes
# nothing; fsck (repair) of a clean filesystem exits 0 too. After a kill -9 with a file unlinked
# while open (an orphan), fsck -n exits 0 and mentions the orphan; fsck frees it ("clean"
# afterwards) and so does a plain mount; either way the free blocks are exactly those before
# the orphan was written.
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=../lib/crash.sh
. "$FUSE_TESTS/lib/crash.sh"
require_cmd timeout

# expect_fsck_clean WHAT [-n]: exit 0, a line "clean", and with -n the image is unchanged.
expect_fsck_clean() {
  local what=$1 rc=0 before
  shift
  before=$(sha256sum < "$SEALFS_IMG")
  timeout 60 "$SEALFS" fsck "$@" "$SEALFS_IMG" > "$CASE_DIR/fsck.out" 2>&1 || rc=$?
  sed 's/^/  /' "$CASE_DIR/fsck.out"
  assert_eq 0 "$rc" "fsck $* exit code on $what"
  grep -qxE '(orphans freed; )?clean' "$CASE_DIR/fsck.out" \
    || fail "fsck $* on $what did not print 'clean'"
  if [[ $* == -n ]]; then
    [[ $(sha256sum < "$SEALFS_IMG") == "$before" ]] || fail "fsck -n wrote to $what"
  fi
}
free_blocks() {
  "$PYTHON" -c 'import os, sys; s = os.statvfs(sys.argv[1]); print(s.f_bfree)' "$SEALFS_MNT"
}

step "fresh filesystem"
fs_mkfs -s 128M
expect_fsck_clean "a fresh filesystem" -n

step "used filesystem"
fs_mount
M=$SEALFS_MNT
mkdir -p "$M/a/b/c" "$M/empty"
head -c 1000000 /dev/urandom > "$M/a/big"
for i in $(seq 200); do echo "$i" > "$M/a/b/f$i"; done
for i in $(seq 1 2 200); do rm "$M/a/b/f$i"; done
ln "$M/a/big" "$M/a/b/c/big.link"
ln -s ../big "$M/a/b/sym"
truncate -s 10G "$M/sparse"
printf 'x' | dd of="$M/sparse" bs=1 seek=5000000000 conv=notrunc status=none
truncate -s 12345 "$M/a/b/f2"
setfattr -n user.one -v 1 "$M/a/big" 2> /dev/null || true
mv "$M/a/b/f4" "$M/a/moved"
mv "$M/a/b/c" "$M/c-moved"
fs_umount
expect_fsck_clean "a used filesystem" -n
expect_fsck_clean "a used, clean filesystem (repair mode)"

step "kill -9 with an orphan (unlinked while open); fsck -n, then fsck"
fs_mount
free0=$(free_blocks)
crash_bg "$PYTHON" -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
os.write(fd, os.urandom(4 << 20))
os.fsync(fd)
os.unlink(sys.argv[1])
d = os.open(os.path.dirname(sys.argv[1]), os.O_RDONLY)
os.fsync(d)
print("held", flush=True)
time.sleep(600)' "$M/orphan" > "$CASE_DIR/holder.out"
holder=$CRASH_BG_PID
wait_for 30 grep -q held "$CASE_DIR/holder.out" || fail "the holder did not start"
(($(free_blocks) <= free0 - 1024)) || fail "the open, unlinked 4 MiB file holds no blocks"
crash_kill_daemon
kill -9 "$holder"
wait "$holder" 2> /dev/null || true
rc=0
before=$(sha256sum < "$SEALFS_IMG")
timeout 60 "$SEALFS" fsck -n "$SEALFS_IMG" > "$CASE_DIR/fsck.out" 2>&1 || rc=$?
sed 's/^/  /' "$CASE_DIR/fsck.out"
assert_eq 0 "$rc" "fsck -n exit code with an orphan after a crash"
grep -qi orphan "$CASE_DIR/fsck.out" || fail "fsck -n does not mention the orphan"
[[ $(sha256sum < "$SEALFS_IMG") == "$before" ]] || fail "fsck -n wrote to the image"
expect_fsck_clean "the crashed filesystem with an orphan (repair mode)"
expect_fsck_clean "the repaired filesystem" -n
grep -qi orphan "$CASE_DIR/fsck.out" && fail "fsck -n still mentions an orphan after the repair"
fs_mount
assert_eq "$free0" "$(free_blocks)" "free blocks after fsck freed the orphan"

step "kill -9 with an orphan; the next mount frees it"
crash_bg "$PYTHON" -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
os.write(fd, os.urandom(4 << 20))
os.unlink(sys.argv[1])
os.fsync(fd)
print("held", flush=True)
time.sleep(600)' "$M/orphan2" > "$CASE_DIR/holder2.out"
holder=$CRASH_BG_PID
wait_for 30 grep -q held "$CASE_DIR/holder2.out" || fail "the second holder did not start"
crash_kill_daemon
kill -9 "$holder"
wait "$holder" 2> /dev/null || true
fs_mount
assert_eq "$free0" "$(free_blocks)" "free blocks after the mount freed the orphan"
fs_umount
expect_fsck_clean "the filesystem after the mount freed the orphan" -n
grep -qi orphan "$CASE_DIR/fsck.out" && fail "fsck -n mentions an orphan after the mount freed it"
exit 0
