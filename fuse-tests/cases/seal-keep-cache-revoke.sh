#!/bin/bash
# TIMEOUT: 120
# SPEC 5 and 10 with -o keep_cache (native binding): pages cached before a seal must not outlive
# a revocation. A file is read (its pages cached, kept across opens), sealed, written on the
# device by a direct client while sealed, and its seal revoked (BREAK with FORCE): no UNSEAL and
# no RELEASE of the holder come through the mount, yet the next open reads the device's bytes,
# not the pages cached before the seal. Without the invalidation at revocation it read the stale
# pages.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_need_native "-o keep_cache"
[ "$(id -u)" = 0 ] || skip "BREAK with FORCE needs root"
seal_setup_with keep_cache

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536 17
F="$F" IMG="$SEALFS_IMG" python3 - <<'PY' || fail "stale pages after a revocation"
import os, sealfs_ioctl as s
f, img = os.environ["F"], os.environ["IMG"]
old = bytes([17]) * 65536
with open(f, "rb") as r:                       # cached, and kept: the file is not sealed
    assert r.read() == old
holder = os.open(f, os.O_RDWR)                 # opened before the seal: keeps the cache
s.seal(holder)
_, extents = s.layout(holder)
first = [e for e in extents if e["logical"] == 0 and e["state"] == "written"]
assert first, "no written extent at 0: %r" % extents
with open(img, "r+b") as dev:                  # the direct client, while the file is sealed
    dev.seek(first[0]["physical"])
    dev.write(b"D" * 4096)
    dev.flush()
    os.fsync(dev.fileno())
s.break_seals(holder, s.BREAK_FORCE)           # through the holder: no other open in between
st = s.status(holder)
assert st["state"] == 2 and st["sealed"] == 0, "not revoked: %r" % st
with open(f, "rb") as r:
    got = r.read(4096)
assert got == b"D" * 4096, "read %r... after the revocation, not the device's bytes" % got[:8]
s.unseal(holder)                               # acknowledges the revocation
os.close(holder)
print("the device's bytes are read after the revocation")
PY
