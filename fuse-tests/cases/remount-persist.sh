#!/bin/bash
# Everything survives unmount/mount: contents, modes, owners, ns times, xattrs, symlinks, hard
# links, directory link counts, empty files and directories.
. "$(dirname "$0")/../lib/common.sh"
require_cmd setfattr getfattr
fs_mkfs
fs_mount
cd "$SEALFS_MNT"
mkdir -p a/b/c empty
echo hello > a/file
head -c 300000 /dev/urandom > a/b/random
: > a/b/c/zero-length
ln a/file a/b/hardlink
ln -s ../file a/b/symlink
ln -s /nowhere/at/all dangling
chmod 4755 a/file; chmod 1777 empty; chmod 0 a/b/c/zero-length; chmod 2750 a/b
chown 1234:5678 a/b/random
chown -h 4321:8765 a/b/symlink
setfattr -n user.color -v blue a/b/random
setfattr -n user.empty a/b/random
setfattr -n user.dir -v "on a directory" a/b
touch -h -d '2001-02-03 04:05:06.123456789' a/b/random a/b/symlink
touch -d '1999-12-31 23:59:59.5' a/b/c
snapshot() {
  (cd "$SEALFS_MNT" && find . -printf '%p %y %m %U %G %n %l\n' | LC_ALL=C sort \
    && find . ! -type d -printf '%p size=%s mtime=%T@ ctime=%C@\n' | LC_ALL=C sort \
    && find . -path ./a/b/c -printf '%p mtime=%T@\n' \
    && getfattr -R -h -d -m '^user\.' --absolute-names . 2>/dev/null | grep -v '^$' | LC_ALL=C sort \
    && tree_sums .)
}
snapshot > "$CASE_DIR/before"
assert_eq 1 "$(grep -c 'a/b/random.*mtime=981173106.123456789' "$CASE_DIR/before")" \
  "nanosecond mtime set by touch"
cat "$CASE_DIR/before"
cd /
fs_remount
snapshot > "$CASE_DIR/after"
diff "$CASE_DIR/before" "$CASE_DIR/after" || fail "tree differs after remount"
fs_remount
snapshot > "$CASE_DIR/after2"
diff "$CASE_DIR/before" "$CASE_DIR/after2" || fail "tree differs after a second remount"
