#!/bin/bash
# TIMEOUT: 120
# SPEC 2: writes that stay inside written extents are allowed on a sealed file, buffered and
# O_DIRECT, and the new bytes read back; the map (generation, layout) does not change.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 xfs_io
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 1048576 0
exec 7<>"$F"
sio seal 7 >/dev/null || fail "cannot seal $F"
before=$(seal_layout "$F") || fail "layout failed"

xfs_io -c "pwrite -S 0x5a 0 4096" "$F" >/dev/null || fail "buffered pwrite at 0 refused"
xfs_io -c "pwrite -S 0x5b 1000 3000" "$F" >/dev/null || fail "unaligned buffered pwrite refused"
xfs_io -c "pwrite -S 0x5c 1044480 4096" "$F" >/dev/null || fail "pwrite of the last block refused"
xfs_io -d -c "pwrite -S 0x6d -b 65536 65536 131072" "$F" >/dev/null \
  || fail "O_DIRECT pwrite inside the file refused"
F="$F" python3 - <<'PY' || fail "python pwrite inside refused or short"
import os
fd = os.open(os.environ["F"], os.O_RDWR)
n = os.pwrite(fd, b"\x77" * 8192, 524288)
assert n == 8192, "short write %d" % n
os.fsync(fd)
os.close(fd)
PY

F="$F" python3 - <<'PY' || fail "bytes read back differ"
import os
want = bytearray(1048576)
want[0:4096] = b"\x5a" * 4096
want[1000:4000] = b"\x5b" * 3000
want[1044480:1048576] = b"\x5c" * 4096
want[65536:196608] = b"\x6d" * 131072
want[524288:532480] = b"\x77" * 8192
with open(os.environ["F"], "rb") as f:
    got = f.read()
assert len(got) == len(want), "size %d" % len(got)
if got != bytes(want):
    i = next(i for i in range(len(got)) if got[i] != want[i])
    raise SystemExit("first difference at byte %d: %#x != %#x" % (i, got[i], want[i]))
PY
# O_DIRECT read back through the mount too.
xfs_io -d -c "pread -v 65536 16" "$F" | grep -q "6d 6d 6d 6d" || fail "O_DIRECT read-back differs"

after=$(seal_layout "$F") || fail "layout failed"
assert_eq "$before" "$after" "layout changed by writes inside written extents"
assert_eq 1 "$(seal_status_field "$F" sealed)" "file no longer sealed"
exec 7>&-
