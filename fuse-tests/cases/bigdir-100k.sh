#!/bin/bash
# TIMEOUT: 900
# A 100,000-entry directory: create, list (ls -f and listdir), stat some, remount, delete all.
. "$(dirname "$0")/../lib/common.sh"
N=100000
fs_mkfs -s 512M
fs_mount
d=$SEALFS_MNT/big
mkdir "$d"
t0=$SECONDS
"$PYTHON" - "$d" "$N" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    os.close(os.open(f"{d}/f{i:06d}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
PY
echo "created $N files in $((SECONDS - t0)) s"
check() {
  local t0=$SECONDS
  assert_eq $((N + 2)) "$(ls -f "$d" | wc -l)" "ls -f entries (with . and ..)"
  assert_eq "$N" "$("$PYTHON" -c 'import os,sys; n=os.listdir(sys.argv[1]); print(len(set(n)))' "$d")" \
    "distinct names from listdir"
  for i in 0 1 4242 54321 99999; do
    assert_eq "regular empty file" "$(stat -c %F "$(printf '%s/f%06d' "$d" $i)")" "stat f$i"
  done
  expect_errno ENOENT stat "$d/f100000"
  echo "listed in $((SECONDS - t0)) s"
}
check
fs_remount
check
t0=$SECONDS
"$PYTHON" - "$d" "$N" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    os.unlink(f"{d}/f{i:06d}")
PY
echo "deleted $N files in $((SECONDS - t0)) s"
assert_eq 2 "$(ls -f "$d" | wc -l)" "entries after deleting all"
rmdir "$d"
