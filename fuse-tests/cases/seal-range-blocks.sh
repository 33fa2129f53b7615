#!/bin/bash
# TIMEOUT: 120
# SPEC 9: a range seal refuses every map change of its sealed blocks (punch, zero range,
# fallocate, a write into a hole there) with ETXTBSY, and allows map changes wholly outside
# them; the sealed blocks stay where they were.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" $((64 * 1024))
F="$F" python3 - <<'PY' || fail "range block checks failed"
import errno, os, sealfs_ioctl as s
f = os.environ["F"]
fd = os.open(f, os.O_RDWR)
bs = s.status(fd)["block_size"]
_, before = s.layout(fd)
s.seal_range(fd, 2 * bs, 2 * bs)                       # blocks 2 and 3
def busy(what, fn):
    try:
        fn()
    except OSError as e:
        assert e.errno == errno.ETXTBSY, (what, e)
        return
    raise SystemExit("%s succeeded on sealed blocks" % what)
PUNCH, KEEP, ZERO = 0x02, 0x01, 0x10
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def falloc(mode, off, ln):
    if libc.fallocate(fd, mode, ctypes.c_long(off), ctypes.c_long(ln)) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
busy("punch of block 3", lambda: falloc(PUNCH | KEEP, 3 * bs, bs))
busy("zero range over block 2", lambda: falloc(ZERO, bs, 2 * bs))
busy("fallocate touching block 2", lambda: falloc(0, 2 * bs + 100, 10))
falloc(PUNCH | KEEP, 6 * bs, bs)                      # outside: allowed
os.pwrite(fd, b"x" * bs, 6 * bs)                      # fills the hole outside: allowed
os.pwrite(fd, b"y" * 100, 2 * bs)                     # in place inside the range: allowed
os.pwrite(fd, b"z" * bs, 64 * 1024)                   # extends elsewhere: allowed
_, after = s.layout(fd)
def phys(extents, fb):
    for e in extents:
        if e["logical"] <= fb * bs < e["logical"] + e["length"]:
            return e["physical"] + fb * bs - e["logical"], e["state"]
for fb in (2, 3):
    assert phys(before, fb) == phys(after, fb), ("sealed block moved", fb)
s.unseal(fd)
falloc(PUNCH | KEEP, 2 * bs, bs)                      # unsealed: allowed again
os.close(fd)
PY
