#!/bin/bash
# TIMEOUT: 120
# SPEC 9, 4.3: seals of several handles may overlap and each keeps its own range;
# user.sealfs.holders gives each holder's range= (0:0 for whole-file seals), breakable= and
# state=; the same seal again succeeds, a different one on the same handle is EBUSY.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 getfattr
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
F="$F" python3 - <<'PY' || fail "overlap checks failed"
import errno, os, subprocess, sealfs_ioctl as s
f = os.environ["F"]
a, b, c = (os.open(f, os.O_RDWR) for _ in range(3))
s.seal_range(a, 0, 16384)
s.seal_range(b, 8192, 16384)
s.seal(c, s.SEAL_BREAKABLE)
s.seal_range(a, 0, 16384)                                   # same again: fine
try:
    s.seal_range(a, 0, 8192)
    raise SystemExit("a second, different seal on one handle succeeded")
except OSError as e:
    assert e.errno == errno.EBUSY, e
out = subprocess.run(["getfattr", "--only-values", "-n", "user.sealfs.holders", f],
                     capture_output=True, text=True, check=True).stdout
lines = out.strip().split("\n")
assert len(lines) == 3, out
assert lines[0].endswith(" range=0:16384 breakable=0 state=held"), lines[0]
assert lines[1].endswith(" range=8192:16384 breakable=0 state=held"), lines[1]
assert lines[2].endswith(" range=0:0 breakable=1 state=held"), lines[2]
s.unseal(c)
PUNCH_KEEP = 0x03
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def punch(off, ln):
    return libc.fallocate(a, PUNCH_KEEP, ctypes.c_long(off), ctypes.c_long(ln)), ctypes.get_errno()
r = punch(16384, 4096)
assert r[0] != 0 and r[1] == errno.ETXTBSY, r               # block 4 is b's
s.unseal(b)
r = punch(8192, 4096)
assert r[0] != 0 and r[1] == errno.ETXTBSY, r               # block 2 is still a's
assert punch(16384, 4096)[0] == 0                           # b's block only: free now
s.unseal(a)
assert punch(0, 4096)[0] == 0
PY
