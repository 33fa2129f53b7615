#!/bin/bash
# TIMEOUT: 120
# SPEC 4.1: SEALFS_SEAL_ASIS freezes the map as it is: holes and unwritten extents stay, the
# generation does not move.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 xfs_io
seal_setup

F=$SEALFS_MNT/f
xfs_io -f -c "pwrite 0 4k" -c "falloc 256k 64k" -c "pwrite 512k 4k" -c "truncate 1M" -c fsync \
  "$F" >/dev/null || fail "setup"
F="$F" python3 - <<'PY' || fail "asis seal changed the map"
import os, sealfs_ioctl as s
fd = os.open(os.environ["F"], os.O_RDWR)
hdr0, ext0 = s.layout(fd)
holes0 = s.holes(ext0, hdr0["size"])
assert holes0, "setup: no holes"
assert any(e["flags"] & s.EXTENT_UNWRITTEN for e in ext0), "setup: no unwritten extent"
gen, h = s.seal(fd, s.SEAL_ASIS)
hdr, ext = s.layout(fd)
assert gen == hdr0["generation"] == hdr["generation"], (hdr0["generation"], gen, hdr)
assert ext == ext0, "extents changed by an asis seal"
assert hdr["sealed"] and not hdr0["sealed"]
assert s.status(fd)["held_by_me"] == 1
os.close(fd)
PY
