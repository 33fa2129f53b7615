#!/bin/bash
# TIMEOUT: 120
# SPEC 2: on an asis-sealed file a write touching a hole or an unwritten extent is ETXTBSY and
# writes nothing (not even the part over written blocks); the hole still reads as zeros.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 xfs_io
seal_setup

F=$SEALFS_MNT/f
# [0,64K) written 0x11, [64K,128K) hole, [128K,192K) unwritten (falloc), [192K,256K) written.
xfs_io -f -c "pwrite -S 0x11 0 64k" -c "falloc 128k 64k" -c "pwrite -S 0x22 192k 64k" \
  -c fsync "$F" >/dev/null || fail "setup writes failed"
assert_eq 262144 "$(seal_size "$F")" "setup size"
exec 7<>"$F"
sio seal 7 asis >/dev/null || fail "asis seal refused"
before=$(seal_layout "$F") || fail "layout failed"
grep -q ' unwritten$' <<<"$before" || fail "setup: no unwritten extent in layout: $before"

expect_xfs_io_err "Text file busy" -c "pwrite -S 0x99 65536 4096" "$F"
expect_xfs_io_err "Text file busy" -c "pwrite -b 8192 -S 0x99 61440 8192" "$F"   # written+hole
expect_xfs_io_err "Text file busy" -c "pwrite -S 0x99 131072 4096" "$F"  # unwritten
expect_xfs_io_err "Text file busy" -c "pwrite -b 8192 -S 0x99 126976 8192" "$F"  # hole+unwritten
expect_xfs_io_err "Text file busy" -d -c "pwrite -S 0x99 65536 4096" "$F"
F="$F" python3 - <<'PY' || fail "python write into hole not refused cleanly"
import errno, os
fd = os.open(os.environ["F"], os.O_RDWR)
try:
    n = os.pwrite(fd, b"\x99" * 12288, 57344)   # 8K written, then 4K of hole
except OSError as e:
    assert e.errno == errno.ETXTBSY, e
else:
    raise SystemExit("pwrite over a hole returned %d instead of ETXTBSY" % n)
PY

F="$F" python3 - <<'PY' || fail "data changed by refused writes"
import os
with open(os.environ["F"], "rb") as f:
    d = f.read()
assert len(d) == 262144, len(d)
assert d[:65536] == b"\x11" * 65536, "written head changed (partial write?)"
assert d[65536:196608] == bytes(131072), "hole/unwritten range not zeros"
assert d[196608:] == b"\x22" * 65536, "written tail changed"
PY
after=$(seal_layout "$F") || fail "layout failed"
assert_eq "$before" "$after" "layout changed by refused writes"
# Writes inside the written head are still fine.
xfs_io -c "pwrite -S 0x33 0 4096" "$F" >/dev/null || fail "write inside written extent refused"
exec 7>&-
