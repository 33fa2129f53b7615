#!/bin/bash
# TIMEOUT: 120
# SPEC 3: SEALFS_IOC_UNSEAL drops the handle's holder at once (no release needed), and the
# handle can seal again.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
F="$F" python3 - <<'PY' || fail "unseal checks failed"
import errno, os, sealfs_ioctl as s
f = os.environ["F"]
fd = os.open(f, os.O_RDWR)
gen, h = s.seal(fd)
assert h == 1
s.unseal(fd)
st = s.status(fd)
assert st["sealed"] == 0 and st["held_by_me"] == 0 and st["holders"] == 0, st
os.truncate(f, 32768)            # synchronous: no polling needed after UNSEAL
gen2, h2 = s.seal(fd)
assert h2 == 1 and gen2 != gen, (gen, gen2)
try:
    os.truncate(f, 0)
    raise SystemExit("truncate succeeded after re-sealing")
except OSError as e:
    assert e.errno == errno.ETXTBSY, e
s.unseal(fd)
os.truncate(f, 0)
os.close(fd)
PY
