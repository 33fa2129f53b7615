#!/bin/bash
# TIMEOUT: 240
# SPEC 6: a full device gives ENOSPC and leaves every file consistent. On a 64M image: filling
# with dd and python ends in "No space left on device" with statvfs showing 0 blocks available;
# creates, mkdirs, links, renames and xattrs then either succeed or fail with ENOSPC, and what
# succeeded is there (also after a remount); files written before the fill keep their content;
# `sealfs fsck -n` after the unmount is clean; deleting the filler gives back exactly the free
# blocks statvfs showed before the fill.
. "$(dirname "$0")/../lib/common.sh"
require_cmd dd cmp

fs_mkfs -s 64M
fs_mount
M=$SEALFS_MNT

# Prints "f_bfree f_bavail" of the mount.
free_blocks() {
  "$PYTHON" -c 'import os, sys; s = os.statvfs(sys.argv[1]); print(s.f_bfree, s.f_bavail)' "$M"
}

step "files written before the fill"
mkdir -p "$M/keep/sub" "$CASE_DIR/keep/sub"
head -c 3000000 /dev/urandom > "$CASE_DIR/keep/big"
head -c 4096 /dev/urandom > "$CASE_DIR/keep/block"
head -c 777 /dev/urandom > "$CASE_DIR/keep/sub/small"
: > "$CASE_DIR/keep/empty"
for f in big block sub/small empty; do cp "$CASE_DIR/keep/$f" "$M/keep/$f"; done
setfattr -n user.note -v kept "$M/keep/big" 2> /dev/null || true
ln -s big "$M/keep/link"
"$PYTHON" - "$M/keep" << 'PY' || fail "fsync of the kept files"
import os, sys
for d, _, names in os.walk(sys.argv[1]):
    for n in names + ["."]:
        p = os.path.join(d, n)
        if not os.path.islink(p):
            fd = os.open(p, os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
PY
check_kept() {
  local f
  for f in big block sub/small empty; do
    cmp "$CASE_DIR/keep/$f" "$M/keep/$f" || fail "$1: keep/$f differs"
  done
  assert_eq big "$(readlink "$M/keep/link")" "$1: symlink target"
}
check_kept "before the fill"
read -r bfree0 bavail0 < <(free_blocks)
echo "before the fill: f_bfree=$bfree0 f_bavail=$bavail0"
((bavail0 > 10000)) || fail "only $bavail0 blocks available on a 64M image"

step "fill with dd until ENOSPC"
expect_fail_with "No space left on device" \
  dd if=/dev/zero of="$M/filler" bs=1M count=1000 status=none
step "fill the rest in 4 KiB writes; fsync"
"$PYTHON" - "$M/filler2" << 'PY' || fail "4 KiB fill did not end in ENOSPC, or its fsync failed"
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
n = 0
try:
    while True:
        os.write(fd, b"\xa5" * 4096)
        n += 1
except OSError as e:
    if e.errno != errno.ENOSPC:
        raise
print("filler2: %d blocks, then ENOSPC" % n)
os.fsync(fd)
os.close(fd)
PY
read -r bfree1 bavail1 < <(free_blocks)
echo "full: f_bfree=$bfree1 f_bavail=$bavail1"
assert_eq 0 "$bavail1" "statvfs f_bavail after ENOSPC"
df -B1 "$M"

step "metadata operations on the full device: success or ENOSPC, and consistent"
"$PYTHON" - "$M" > "$CASE_DIR/ops" << 'PY' || fail "an operation on the full device misbehaved"
import errno, os, sys
m = sys.argv[1]
ok = []
def attempt(what, fn, path, expect):
    try:
        fn()
    except OSError as e:
        if e.errno != errno.ENOSPC:
            sys.exit("%s: %s (want success or ENOSPC)" % (what, e))
        if os.path.lexists(path) != (not expect):
            sys.exit("%s failed with ENOSPC but %s exists=%s" % (what, path, os.path.lexists(path)))
        print("ENOSPC", what)
        return False
    if os.path.lexists(path) != expect:
        sys.exit("%s succeeded but %s exists=%s" % (what, path, os.path.lexists(path)))
    ok.append(path)
    print("ok", what)
    return True
for i in range(20):
    p = os.path.join(m, "new%d" % i)
    if attempt("create new%d" % i, lambda: os.close(os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)), p, True):
        fd = os.open(p, os.O_WRONLY)
        try:
            os.write(fd, b"x" * 4096)
            sys.exit("a 4 KiB write to new%d succeeded on a full device" % i)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                sys.exit("write to new%d: %s (want ENOSPC)" % (i, e))
        os.close(fd)
        if os.stat(p).st_size != 0 or os.stat(p).st_blocks != 0:
            sys.exit("new%d has size %d after a failed write" % (i, os.stat(p).st_size))
    d = os.path.join(m, "dir%d" % i)
    attempt("mkdir dir%d" % i, lambda: os.mkdir(d), d, True)
l = os.path.join(m, "keep", "big.link")
attempt("link keep/big", lambda: os.link(os.path.join(m, "keep", "big"), l), l, True)
r = os.path.join(m, "keep", "block.renamed")
if attempt("rename keep/block", lambda: os.rename(os.path.join(m, "keep", "block"), r), r, True):
    os.rename(r, os.path.join(m, "keep", "block"))
x = os.path.join(m, "keep", "sub", "small")
try:
    os.setxattr(x, "user.full", b"v" * 100)
    if os.getxattr(x, "user.full") != b"v" * 100:
        sys.exit("xattr set on the full device reads back differently")
    print("ok setxattr")
except OSError as e:
    if e.errno != errno.ENOSPC:
        sys.exit("setxattr: %s (want success or ENOSPC)" % e)
    print("ENOSPC setxattr")
PY
echo "results: $(awk '{ print $1 }' "$CASE_DIR/ops" | sort | uniq -c | tr -s ' \n' ' ')"
grep ENOSPC "$CASE_DIR/ops" || true
check_kept "on the full device"
ls "$M" | LC_ALL=C sort > "$CASE_DIR/names.full"

step "unmount, fsck -n, mount"
fs_umount
rc=0
timeout 60 "$SEALFS" fsck -n "$SEALFS_IMG" > "$CASE_DIR/fsck.out" 2>&1 || rc=$?
cat "$CASE_DIR/fsck.out"
((rc == 0)) || fail "fsck -n of the full device exited $rc"
grep -qx clean "$CASE_DIR/fsck.out" || fail "fsck -n did not say clean"
fs_mount
check_kept "after the remount"
ls "$M" | LC_ALL=C sort > "$CASE_DIR/names.remount"
cmp "$CASE_DIR/names.full" "$CASE_DIR/names.remount" || fail "names differ after the remount"
read -r _ bavail2 < <(free_blocks)
assert_eq "0" "$bavail2" "f_bavail of the full device after the remount"

step "delete the filler: free blocks return exactly"
rm -rf "$M"/filler "$M"/filler2 "$M"/new* "$M"/dir* "$M/keep/big.link"
wait_for 30 eval '[[ "$(free_blocks)" == "$bfree0 $bavail0" ]]' \
  || fail "after the delete f_bfree f_bavail = $(free_blocks), before the fill $bfree0 $bavail0"
echo "after the delete: f_bfree f_bavail = $(free_blocks) (before the fill: $bfree0 $bavail0)"
check_kept "after the delete"

step "fill again, delete, and write at once: the freed blocks are usable without waiting"
expect_fail_with "No space left on device" \
  dd if=/dev/zero of="$M/filler" bs=1M count=1000 status=none
rm "$M/filler"
dd if=/dev/urandom of="$M/after" bs=1M count=32 conv=fsync status=none \
  || fail "writing 32 MiB right after deleting the filler failed"
rm "$M/after"
wait_for 30 eval '[[ "$(free_blocks)" == "$bfree0 $bavail0" ]]' \
  || fail "after the second delete f_bfree f_bavail = $(free_blocks), want $bfree0 $bavail0"
check_kept "at the end"
