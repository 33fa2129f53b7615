#!/bin/bash
# TIMEOUT: 120
# SPEC 9: a range past EOF: strict is EPERM; PREPARE allocates it zero-filled without changing
# the size, so a growing log appends into its sealed blocks with no map change (same
# generation); ASIS keeps its holes and refuses writes into them.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_setup

F=$SEALFS_MNT/log G=$SEALFS_MNT/g python3 - <<'PY' || fail "past-EOF checks failed"
import errno, os, sealfs_ioctl as s
f, g = os.environ["F"], os.environ["G"]
fd = os.open(f, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
os.write(fd, b"first line\n")
bs = s.status(fd)["block_size"]
try:
    s.seal_range(fd, 0, 16 * bs)
    raise SystemExit("strict range past EOF succeeded")
except OSError as e:
    assert e.errno == errno.EPERM, e
gen, _ = s.seal_range(fd, 0, 16 * bs, s.SEAL_PREPARE)
assert os.fstat(fd).st_size == 11, os.fstat(fd).st_size
hdr, ext = s.layout(fd)
assert sum(e["length"] for e in ext if e["state"] == "written") >= 16 * bs, ext
for i in range(200):
    os.write(fd, b"log line %05d\n" % i)                  # O_APPEND into the sealed blocks
st = s.status(fd)
assert st["generation"] == gen, ("the growing log changed the map", gen, st)
assert st["size"] == 11 + 200 * 15, st
with open(f, "rb") as r:
    assert r.read().startswith(b"first line\nlog line 00000\n")
s.unseal(fd)
os.close(fd)
gd = os.open(g, os.O_RDWR | os.O_CREAT, 0o644)
s.seal_range(gd, 0, 4 * bs, s.SEAL_ASIS)
try:
    os.pwrite(gd, b"x", 0)
    raise SystemExit("write into an ASIS hole succeeded")
except OSError as e:
    assert e.errno == errno.ETXTBSY, e
os.pwrite(gd, b"x", 8 * bs)                               # outside the range
assert s.status(gd)["sealed"] == 1
os.close(gd)
PY
