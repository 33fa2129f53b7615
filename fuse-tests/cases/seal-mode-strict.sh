#!/bin/bash
# TIMEOUT: 120
# SPEC 4.1: a strict seal (flags 0) of a file with a hole or an unwritten extent is EPERM and
# changes nothing; of a fully written file it succeeds.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 xfs_io
seal_setup

S=$SEALFS_MNT/sparse
U=$SEALFS_MNT/unwritten
W=$SEALFS_MNT/written
xfs_io -f -c "pwrite 0 4096" -c "truncate 1M" -c fsync "$S" >/dev/null || fail "setup sparse"
xfs_io -f -c "falloc 0 1M" -c fsync "$U" >/dev/null || fail "setup unwritten"
seal_mkfile "$W" 1048576
for f in "$S" "$U"; do
  before=$(seal_layout "$f") || fail "layout of $f"
  expect_fail_with "Operation not permitted" sio seal "$f" strict
  after=$(seal_layout "$f") || fail "layout of $f"
  assert_eq "$before" "$after" "a refused strict seal changed $f"
  assert_eq 0 "$(seal_status_field "$f" holders)" "a refused strict seal left a holder on $f"
  truncate -s 2M "$f" || fail "$f not writable after a refused seal"
done
F="$W" python3 - <<'PY' || fail "strict seal of a fully written file failed"
import os, sealfs_ioctl as s
fd = os.open(os.environ["F"], os.O_RDWR)
gen, h = s.seal(fd, s.SEAL_STRICT)
hdr, ext = s.layout(fd)
assert hdr["sealed"] and hdr["generation"] == gen, hdr
assert not s.holes(ext, hdr["size"]), "holes in a written file"
assert all(e["state"] == "written" for e in ext), ext
os.close(fd)
PY
