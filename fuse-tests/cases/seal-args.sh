#!/bin/bash
# TIMEOUT: 120
# SPEC 4.1/3: argument errors: both mode bits EINVAL, unknown bits EOPNOTSUPP, an offset
# without a length or an overflowing range EINVAL, non-zero reserved EINVAL, a directory EINVAL,
# a read-only handle EACCES. None of them seals.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
mkdir "$SEALFS_MNT/dir" || fail "mkdir"
F="$F" D="$SEALFS_MNT/dir" python3 - <<'PY' || fail "argument checks failed"
import errno, os, sys, sealfs_ioctl as s
f, d = os.environ["F"], os.environ["D"]
bad = []
def expect(err, what, fn):
    try:
        fn()
    except OSError as e:
        if e.errno != err:
            bad.append("%s: %s (wanted %s)" % (what, e, errno.errorcode[err]))
        return
    bad.append("%s: succeeded (wanted %s)" % (what, errno.errorcode[err]))
fd = os.open(f, os.O_RDWR)
expect(errno.EINVAL, "PREPARE|ASIS", lambda: s.seal(fd, 3))
expect(errno.EOPNOTSUPP, "flag 8", lambda: s.seal(fd, 8))
expect(errno.EOPNOTSUPP, "flag 1<<63", lambda: s.seal(fd, 1 << 63))
expect(errno.EINVAL, "offset 4096", lambda: s.seal(fd, 0, offset=4096))
expect(errno.EINVAL, "offset+length overflowing",
       lambda: s.seal(fd, 0, offset=(1 << 64) - 4096, length=8192))
for i in range(3):
    r = [0, 0, 0]
    r[i] = 1
    expect(errno.EINVAL, "reserved[%d]" % i, lambda: s.seal(fd, 0, reserved=tuple(r)))
st = s.status(fd)
if st["sealed"] or st["holders"]:
    bad.append("a refused seal left the file sealed: %s" % st)
ro = os.open(f, os.O_RDONLY)
expect(errno.EACCES, "read-only handle", lambda: s.seal(ro, 0))
if s.status(ro)["sealed"]:
    bad.append("read-only seal attempt sealed the file")
os.close(ro)
dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
expect(errno.EINVAL, "directory", lambda: s.seal(dfd, 0))
os.close(dfd)
# control: the same handle seals fine with valid arguments
gen, h = s.seal(fd, 0)
if h != 1:
    bad.append("valid seal reported %d holders" % h)
os.close(fd)
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
PY
