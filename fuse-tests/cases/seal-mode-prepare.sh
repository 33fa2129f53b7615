#!/bin/bash
# TIMEOUT: 120
# SPEC 4.1: SEALFS_SEAL_PREPARE fills holes and converts unwritten extents before sealing: the
# sealed layout covers [0, size) with written, private extents; data and size are unchanged.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 xfs_io
seal_setup

S=$SEALFS_MNT/sparse
U=$SEALFS_MNT/unwritten
xfs_io -f -c "pwrite -S 0x41 8k 4k" -c "pwrite -S 0x42 512k 64k" -c "truncate 1M" -c fsync \
  "$S" >/dev/null || fail "setup sparse"
xfs_io -f -c "pwrite -S 0x43 0 4k" -c "falloc -k 0 1M" -c "truncate 1M" -c fsync \
  "$U" >/dev/null || fail "setup unwritten"
for f in "$S" "$U"; do
  cp "$f" "$CASE_DIR/copy" || fail "copy of $f"
  F="$f" python3 - <<'PY' || fail "prepare seal of $f left holes/unwritten or changed it"
import os, sealfs_ioctl as s
f = os.environ["F"]
fd = os.open(f, os.O_RDWR)
size = os.fstat(fd).st_size
hdr0, ext0 = s.layout(fd)
assert s.holes(ext0, size) or any(e["state"] != "written" for e in ext0), \
    "setup: %s is already fully written" % f
gen, h = s.seal(fd, s.SEAL_PREPARE)
hdr, ext = s.layout(fd)
assert hdr["sealed"] and hdr["generation"] == gen and h == 1, (hdr, gen, h)
assert hdr["size"] == size == os.fstat(fd).st_size, "size changed"
assert not s.holes(ext, size), "holes after prepare: %s" % s.holes(ext, size)
bad = [e for e in ext if e["flags"] & (s.EXTENT_UNWRITTEN | s.EXTENT_SHARED)]
assert not bad, "unwritten/shared extents after prepare: %s" % bad
# every extent sits inside the device and extents do not overlap physically
spans = sorted((e["physical"], e["physical"] + e["length"]) for e in ext)
for (a, b), (c, d) in zip(spans, spans[1:]):
    assert b <= c, "physical overlap %s %s" % ((a, b), (c, d))
# writes anywhere inside the file are now allowed
os.pwrite(fd, b"\x7f", size - 1)
os.pwrite(fd, b"\x00", size - 1)
os.close(fd)
PY
  cmp "$f" "$CASE_DIR/copy" || fail "prepare changed the data of $f"
done
