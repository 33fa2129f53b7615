#!/bin/bash
# TIMEOUT: 120
# SPEC 3: dup and fork share the handle: one holder; the seal stays until the last copy of
# the descriptor is closed, in whichever process.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
F="$F" timeout 60 python3 - <<'PY' || fail "dup/fork holder checks failed"
import os, subprocess, sys, time, sealfs_ioctl as s
f = os.environ["F"]
def holders():
    fd = os.open(f, os.O_RDONLY)
    try:
        return s.status(fd)["holders"]
    finally:
        os.close(fd)
def wait_holders(n, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if holders() == n:
            return
        time.sleep(0.05)
    raise SystemExit("holders stayed %d, wanted %d" % (holders(), n))

fd = os.open(f, os.O_RDWR)
gen, h = s.seal(fd)
assert h == 1, h
fd2 = os.dup(fd)
assert s.status(fd2)["held_by_me"] == 1, "dup does not share the holder"
assert s.seal(fd2)[1] == 1, "sealing through a dup added a holder"
r, w = os.pipe()
pid = os.fork()
if pid == 0:                       # child: shares the handle, adds no holder
    os.close(w)
    try:
        assert s.seal(fd)[1] == 1
        os.close(fd)
        os.read(r, 1)              # keep fd2 open until the parent says go
        os._exit(0)
    except BaseException as e:
        print("child:", e, file=sys.stderr)
        os._exit(1)
os.close(r)
time.sleep(0.2)
assert holders() == 1, "fork added a holder: %d" % holders()
os.close(fd)
os.close(fd2)                      # parent has no copy left; the child still has fd2
time.sleep(1.0)
assert holders() == 1, "seal dropped while the child still holds the descriptor"
try:
    os.truncate(f, 0)
    raise SystemExit("truncate succeeded while the child holds the seal")
except OSError as e:
    assert e.errno == 26, e
os.write(w, b"x")
_, status = os.waitpid(pid, 0)
assert status == 0, "child failed"
wait_holders(0)
os.truncate(f, 0)
PY
