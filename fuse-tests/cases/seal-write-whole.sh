#!/bin/bash
# TIMEOUT: 120
# SPEC 2, no short writes (native binding): a handle opened while its file is sealed, by another
# holder or by its own seal_on_open, is a FOPEN_DIRECT_IO handle, so a buffered write that starts
# inside the file in a page that is not cached and runs past EOF reaches sealfs as one WRITE and
# fails whole with ETXTBSY: nothing written, the size kept. Before, the kernel cut such a write at
# the end of that page, the part inside the file was written and the caller got a short count
# (README "kernel split"; still so for handles opened before the seal, and on jnr-fuse). Writes
# inside the file and a shared writable mmap of such a handle (DIRECT_IO_ALLOW_MMAP) still work.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 setfattr
seal_need_native "FOPEN_DIRECT_IO for handles opened while sealed"
seal_setup

F=$SEALFS_MNT/f G=$SEALFS_MNT/g
seal_mkfile "$F" 65536 17
seal_mkfile "$G" 65536 17
exec 7<>"$F"
sio seal 7 >/dev/null || fail "cannot seal $F"
setfattr -n user.sealfs.seal_on_open -v prepare "$G" || fail "setfattr seal_on_open"

F="$F" G="$G" python3 - <<'PY' || fail "a write running past EOF of a sealed file was not refused whole"
import errno, mmap, os, sealfs_ioctl as s
SIZE = 65536

def refused_whole(path, what, offset, count):
    # A fresh open each time: without FOPEN_KEEP_CACHE an open drops the file's cached pages,
    # so the write's first page is uncached, the shape the kernel used to split.
    fd = os.open(path, os.O_RDWR)
    try:
        os.lseek(fd, offset, os.SEEK_SET)
        try:
            n = os.write(fd, b"y" * count)
        except OSError as e:
            assert e.errno == errno.ETXTBSY, "%s: %s" % (what, e)
        else:
            raise SystemExit("%s: write returned %d of %d (a short write), not ETXTBSY"
                             % (what, n, count))
        assert os.fstat(fd).st_size == SIZE, "%s: the size changed" % what
        assert os.lseek(fd, 0, os.SEEK_CUR) == offset, "%s: the offset moved" % what
    finally:
        os.close(fd)

refused_whole(os.environ["F"], "1000 bytes at 65000, another holder's seal", 65000, 1000)
refused_whole(os.environ["F"], "256 KiB at 61540, another holder's seal", 61540, 256 << 10)
refused_whole(os.environ["G"], "1000 bytes at 65000, the open's own seal_on_open", 65000, 1000)
fd = os.open(os.environ["G"], os.O_RDWR)
assert s.status(fd)["held_by_me"] == 1, "seal_on_open did not seal the open"
os.close(fd)

# Inside the file: the write and a shared mapping of a handle opened while sealed.
fd = os.open(os.environ["F"], os.O_RDWR)
assert os.pwrite(fd, b"i" * 4096, 8192) == 4096, "in-place write through a direct handle"
m = mmap.mmap(fd, SIZE, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[100:104] = b"MMAP"
m.flush()
m.close()
os.close(fd)
print("refused whole; in-place write and shared mmap fine")
PY

seal_close_fds
F="$F" G="$G" python3 - <<'PY' || fail "the bytes are not what the allowed writes made"
import os
want = bytearray([17]) * 65536
want[8192:12288] = b"i" * 4096
want[100:104] = b"MMAP"
assert open(os.environ["F"], "rb").read() == bytes(want), "f differs"
assert open(os.environ["G"], "rb").read() == bytes([17]) * 65536, "g differs"
PY
