#!/bin/bash
# TIMEOUT: 400
# fsck refuses a device that is mounted (or in use by another sealfs): exit 8 (operational
# error, fsck(8)), one line on stderr, nothing on stdout, for -n and for repair, whatever path
# names the image (absolute, relative, a symlink, a hard link). The mount is unharmed after.
. "$(dirname "$0")/../lib/common.sh"
require_cmd timeout

fs_mkfs -s 64M
fs_mount
head -c 300000 /dev/urandom > "$CASE_DIR/data"
cp "$CASE_DIR/data" "$SEALFS_MNT/data"
ln -s "$SEALFS_IMG" "$CASE_DIR/symlink.img"
ln "$SEALFS_IMG" "$CASE_DIR/hardlink.img"
on_exit rm -f "$CASE_DIR/hardlink.img"

n=0
for path in "$SEALFS_IMG" sealfs.img "$CASE_DIR/symlink.img" "$CASE_DIR/hardlink.img"; do
  for mode in -n repair; do
    args=()
    [[ $mode == -n ]] && args=(-n)
    rc=0
    (cd "$CASE_DIR" && timeout 90 "$SEALFS" fsck "${args[@]}" "$path") \
      > "$CASE_DIR/out" 2> "$CASE_DIR/err" || rc=$?
    echo "fsck $mode $path: exit $rc: $(cat "$CASE_DIR/err")"
    assert_eq 8 "$rc" "exit code of fsck $mode $path on a mounted device"
    assert_eq 1 "$(wc -l < "$CASE_DIR/err")" "stderr lines of fsck $mode $path"
    assert_eq 0 "$(wc -c < "$CASE_DIR/out")" "stdout bytes of fsck $mode $path"
    grep -qE 'mounted|in use' "$CASE_DIR/err" || fail "fsck $mode $path: message does not say why"
    grep -qE 'Exception|'$'\t''at ' "$CASE_DIR/err" && fail "fsck $mode $path: stack trace"
    n=$((n + 1))
  done
done
step "$n refusals; the mount still works"
cmp "$CASE_DIR/data" "$SEALFS_MNT/data" || fail "data differs after the refused fscks"
echo more > "$SEALFS_MNT/more"
fs_umount
out=$(timeout 60 "$SEALFS" fsck -n "$SEALFS_IMG") || fail "fsck -n after unmount exited $?"
grep -qx clean <<< "$out" || fail "fsck -n after unmount: $out"
fs_mount
cmp "$CASE_DIR/data" "$SEALFS_MNT/data" || fail "data differs after the remount"
assert_eq more "$(cat "$SEALFS_MNT/more")" "file written after the refused fscks"
