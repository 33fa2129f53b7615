#!/bin/bash
# TIMEOUT: 120
# lseek SEEK_DATA/SEEK_HOLE on the native binding follow the extent map, unwritten extents
# counting as holes (as on ext4 and XFS): sparse, fallocated and punched files. The jnr-fuse
# binding answers LSEEK with ENOSYS (libfuse 2.9) and the kernel reports all data: skipped there.
. "$FUSE_TESTS/lib/common.sh"
[[ ${SEALFS_BINDING:-jnr-fuse} == native ]] || skip "native binding only (SEALFS_BINDING=native)"
require_cmd python3
fs_mkfs -s 128M >/dev/null || fail "mkfs failed"
fs_mount

D=$SEALFS_MNT python3 - <<'PY' || fail "SEEK_DATA/SEEK_HOLE wrong"
import errno, os
D = os.environ["D"]
K, KiB, M = 4096, 1024, 1 << 20

def seek(fd, off, whence):
    try:
        return os.lseek(fd, off, whence)
    except OSError as e:
        if e.errno == errno.ENXIO:
            return "ENXIO"
        raise

def check(name, fd, cases):
    for off, whence, want in cases:
        got = seek(fd, off, whence)
        w = "SEEK_DATA" if whence == os.SEEK_DATA else "SEEK_HOLE"
        assert got == want, "%s: %s(%d) = %s, wanted %s" % (name, w, off, got, want)
        print("ok   %s: %s(%d) = %s" % (name, w, off, got))

# sparse: data at [0, 4K) and [1M, 1M+4K), size 2M
fd = os.open(D + "/sparse", os.O_RDWR | os.O_CREAT, 0o644)
os.pwrite(fd, b"a" * K, 0)
os.pwrite(fd, b"b" * K, M)
os.ftruncate(fd, 2 * M)
os.fsync(fd)
check("sparse", fd, [
    (0, os.SEEK_DATA, 0), (0, os.SEEK_HOLE, K), (100, os.SEEK_HOLE, K),
    (K, os.SEEK_DATA, M), (K, os.SEEK_HOLE, K), (M + 10, os.SEEK_DATA, M + 10),
    (M, os.SEEK_HOLE, M + K), (M + K, os.SEEK_DATA, "ENXIO"), (M + K, os.SEEK_HOLE, M + K),
    (2 * M, os.SEEK_DATA, "ENXIO"), (2 * M, os.SEEK_HOLE, "ENXIO")])
os.close(fd)

# fallocated: 1M unwritten is all hole; a write in the middle is the only data
fd = os.open(D + "/falloc", os.O_RDWR | os.O_CREAT, 0o644)
os.posix_fallocate(fd, 0, M)
check("fallocated", fd, [(0, os.SEEK_DATA, "ENXIO"), (0, os.SEEK_HOLE, 0),
                         (M - 1, os.SEEK_HOLE, M - 1)])
os.pwrite(fd, b"c" * K, 64 * KiB)
check("fallocated+write", fd, [(0, os.SEEK_DATA, 64 * KiB), (0, os.SEEK_HOLE, 0),
                               (64 * KiB, os.SEEK_HOLE, 68 * KiB), (68 * KiB, os.SEEK_DATA, "ENXIO")])
os.close(fd)

# punched: 1M written, [256K, 512K) punched out
fd = os.open(D + "/punched", os.O_RDWR | os.O_CREAT, 0o644)
os.pwrite(fd, b"d" * M, 0)
os.fsync(fd)
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE = 1, 2
rc = libc.fallocate(fd, FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE, ctypes.c_long(256 * KiB),
                    ctypes.c_long(256 * KiB))
assert rc == 0, "punch hole failed: %s" % os.strerror(ctypes.get_errno())
check("punched", fd, [(0, os.SEEK_DATA, 0), (0, os.SEEK_HOLE, 256 * KiB),
                      (256 * KiB, os.SEEK_DATA, 512 * KiB), (300 * KiB, os.SEEK_HOLE, 300 * KiB),
                      (512 * KiB, os.SEEK_HOLE, M), (M - 1, os.SEEK_DATA, M - 1)])
assert os.pread(fd, K, 256 * KiB) == bytes(K), "punched range does not read as zeros"
os.close(fd)

# all data: a fully written file is one data run up to EOF
fd = os.open(D + "/full", os.O_RDWR | os.O_CREAT, 0o644)
os.pwrite(fd, b"e" * (3 * K + 5), 0)
check("full", fd, [(0, os.SEEK_DATA, 0), (0, os.SEEK_HOLE, 3 * K + 5),
                   (3 * K + 5, os.SEEK_DATA, "ENXIO")])
os.close(fd)
PY
fs_umount
