"""sealfs block-map sealing ioctls (SPEC 4.1) for python3 tests: fcntl.ioctl + struct.

    import os, sealfs_ioctl as s
    fd = os.open(path, os.O_RDWR)
    gen, holders = s.seal(fd, s.SEAL_PREPARE)
    hdr, extents = s.layout(fd)
    s.unseal(fd)

Every failure raises OSError with the errno (e.g. errno.ETXTBSY). Running this file prints the
ABI constants in the format of `sealctl abi`, so a test can compare it with include/sealfs.h.
"""

import errno as _errno
import fcntl
import os
import struct

IOC_SEAL = 0xC0407301
IOC_UNSEAL = 0x00007302
IOC_STATUS = 0x80407303
IOC_LAYOUT = 0xD0007304
IOC_BREAK = 0x40087305

SEAL_STRICT = 0
SEAL_PREPARE = 1
SEAL_ASIS = 2
SEAL_BREAKABLE = 4

STATUS_BREAKING = 1
STATUS_REVOKED = 2

BREAK_FORCE = 1

LAYOUT_LAST = 1
LAYOUT_SEALED = 2

EXTENT_UNWRITTEN = 1
EXTENT_SHARED = 2

MAX_EXTENTS = 126

XATTR_SEAL_ON_OPEN = "user.sealfs.seal_on_open"
XATTR_LAYOUT = "user.sealfs.layout"
XATTR_SEAL = "user.sealfs.seal"
XATTR_HOLDERS = "user.sealfs.holders"
XATTR_DEVICE = "user.sealfs.device"

# struct sealfs_seal: flags, offset, length, generation, holders, reserved[3]
_SEAL = struct.Struct("<8Q")
# struct sealfs_status: sealed, held_by_me, holders, generation, size, block_size, state,
# break_deadline_ms, reserved
_STATUS = struct.Struct("<2I7Q")
# the SEALFS_IOC_BREAK argument: u64 flags
_BREAK = struct.Struct("<Q")
# struct sealfs_layout header: start, generation, next, count, flags, block_size, size, reserved[2]
_LAYOUT_HDR = struct.Struct("<3Q2I4Q")
# struct sealfs_extent: logical, physical, length, flags, reserved
_EXTENT = struct.Struct("<3Q2I")
LAYOUT_SIZE = _LAYOUT_HDR.size + MAX_EXTENTS * _EXTENT.size

assert _SEAL.size == 64 and _STATUS.size == 64
assert _LAYOUT_HDR.size == 64 and _EXTENT.size == 32 and LAYOUT_SIZE == 4096

MODES = {"strict": SEAL_STRICT, "prepare": SEAL_PREPARE, "asis": SEAL_ASIS}


def _ioctl(fd, request, buf):
    """ioctl with a mutable buffer; returns the buffer as the kernel left it."""
    b = bytearray(buf)
    fcntl.ioctl(fd, request, b, True)
    return bytes(b)


def seal(fd, flags=0, offset=0, length=0, reserved=(0, 0, 0)):
    """SEALFS_IOC_SEAL; returns (generation, holders). offset/length/reserved exist to test EINVAL."""
    out = _ioctl(fd, IOC_SEAL, _SEAL.pack(flags, offset, length, 0, 0, *reserved))
    f = _SEAL.unpack(out)
    return f[3], f[4]


def unseal(fd):
    """SEALFS_IOC_UNSEAL."""
    fcntl.ioctl(fd, IOC_UNSEAL, 0)


def status(fd):
    """SEALFS_IOC_STATUS; returns a dict with sealed, held_by_me, holders, generation, size,
    block_size, state and break_deadline_ms."""
    f = _STATUS.unpack(_ioctl(fd, IOC_STATUS, bytes(_STATUS.size)))
    return {"sealed": f[0], "held_by_me": f[1], "holders": f[2], "generation": f[3],
            "size": f[4], "block_size": f[5], "state": f[6], "break_deadline_ms": f[7]}


def seal_range(fd, offset, length, flags=0):
    """SEALFS_IOC_SEAL of bytes [offset, offset + length) (SPEC 9); returns (generation, holders)."""
    return seal(fd, flags, offset, length)


def break_seals(fd, flags=0):
    """SEALFS_IOC_BREAK (SPEC 12): 0 waits until the breakable seals are gone, BREAK_FORCE
    revokes every seal (root only)."""
    fcntl.ioctl(fd, IOC_BREAK, _BREAK.pack(flags))


def poll_pri(fd, timeout_s):
    """True if fd reports POLLPRI (a break of its seal began, SPEC 10) within timeout_s."""
    import select
    p = select.poll()
    p.register(fd, select.POLLPRI)
    return any(ev & select.POLLPRI for _, ev in p.poll(int(timeout_s * 1000)))


def layout_page(fd, start=0):
    """One SEALFS_IOC_LAYOUT call; returns (header dict, [extent dicts])."""
    req = bytearray(LAYOUT_SIZE)
    _LAYOUT_HDR.pack_into(req, 0, start, 0, 0, 0, 0, 0, 0, 0, 0)
    out = _ioctl(fd, IOC_LAYOUT, req)
    h = _LAYOUT_HDR.unpack_from(out, 0)
    hdr = {"start": h[0], "generation": h[1], "next": h[2], "count": h[3], "flags": h[4],
           "last": bool(h[4] & LAYOUT_LAST), "sealed": bool(h[4] & LAYOUT_SEALED),
           "block_size": h[5], "size": h[6]}
    if hdr["count"] > MAX_EXTENTS:
        raise OSError(_errno.EIO, "layout count %d > %d" % (hdr["count"], MAX_EXTENTS))
    extents = []
    for i in range(hdr["count"]):
        e = _EXTENT.unpack_from(out, _LAYOUT_HDR.size + i * _EXTENT.size)
        extents.append({"logical": e[0], "physical": e[1], "length": e[2], "flags": e[3],
                        "state": state_name(e[3])})
    return hdr, extents


def layout(fd):
    """Every extent, paging with `next` until LAST; returns (header of the first page, extents).

    The header's generation is checked to be the same on every page; a change raises
    OSError(EAGAIN) so callers never mix two block maps.
    """
    first, extents = layout_page(fd, 0)
    hdr = first
    pages = 1
    while not hdr["last"]:
        if hdr["next"] <= hdr["start"]:
            raise OSError(_errno.EIO, "layout next %d did not advance past %d"
                          % (hdr["next"], hdr["start"]))
        hdr, more = layout_page(fd, hdr["next"])
        if hdr["generation"] != first["generation"]:
            raise OSError(_errno.EAGAIN, "layout generation changed while paging")
        extents.extend(more)
        pages += 1
    first = dict(first)
    first["pages"] = pages
    return first, extents


def state_name(flags):
    """'written', 'unwritten' or 'shared', as the user.sealfs.layout xattr prints it."""
    if flags & EXTENT_SHARED:
        return "shared"
    return "unwritten" if flags & EXTENT_UNWRITTEN else "written"


def layout_lines(extents):
    """The extents as user.sealfs.layout lines: '<logical> <physical> <length> <state>'."""
    return ["%d %d %d %s" % (e["logical"], e["physical"], e["length"], e["state"])
            for e in extents]


def holes(extents, size):
    """The logical ranges [start, end) of [0, size) that no extent covers."""
    out, pos = [], 0
    for e in sorted(extents, key=lambda x: x["logical"]):
        if e["logical"] > pos:
            out.append((pos, min(e["logical"], size)))
        pos = max(pos, e["logical"] + e["length"])
    if pos < size:
        out.append((pos, size))
    return [h for h in out if h[0] < h[1]]


def open_and_seal(path, flags=0):
    """Opens path O_RDWR and seals it; returns (fd, generation, holders)."""
    fd = os.open(path, os.O_RDWR)
    try:
        gen, holders = seal(fd, flags)
    except BaseException:
        os.close(fd)
        raise
    return fd, gen, holders


def _print_abi():
    for name, value in (("SEALFS_IOC_SEAL", IOC_SEAL), ("SEALFS_IOC_UNSEAL", IOC_UNSEAL),
                        ("SEALFS_IOC_STATUS", IOC_STATUS), ("SEALFS_IOC_LAYOUT", IOC_LAYOUT),
                        ("SEALFS_IOC_BREAK", IOC_BREAK)):
        print("%s=0x%08x" % (name, value))
    for name, value in (("SEALFS_SEAL_PREPARE", SEAL_PREPARE), ("SEALFS_SEAL_ASIS", SEAL_ASIS),
                        ("SEALFS_SEAL_BREAKABLE", SEAL_BREAKABLE),
                        ("SEALFS_STATUS_BREAKING", STATUS_BREAKING),
                        ("SEALFS_STATUS_REVOKED", STATUS_REVOKED),
                        ("SEALFS_BREAK_FORCE", BREAK_FORCE),
                        ("SEALFS_LAYOUT_LAST", LAYOUT_LAST),
                        ("SEALFS_LAYOUT_SEALED", LAYOUT_SEALED),
                        ("SEALFS_EXTENT_UNWRITTEN", EXTENT_UNWRITTEN),
                        ("SEALFS_EXTENT_SHARED", EXTENT_SHARED)):
        print("%s=%d" % (name, value))
    print("sizeof_seal=%d" % _SEAL.size)
    print("sizeof_status=%d" % _STATUS.size)
    print("sizeof_extent=%d" % _EXTENT.size)
    print("sizeof_layout=%d" % LAYOUT_SIZE)
    print("sizeof_break=%d" % _BREAK.size)
    print("max_extents=%d" % MAX_EXTENTS)


def _fd_or_open(arg, flags):
    """An inherited fd if arg is a number, else a fresh open of the path with flags."""
    if arg.isdigit():
        return int(arg), False
    return os.open(arg, flags), True


def _print_layout(fd):
    hdr, extents = layout(fd)
    print("generation=%d size=%d block_size=%d sealed=%d" % (
        hdr["generation"], hdr["size"], hdr["block_size"], 1 if hdr["sealed"] else 0))
    for line in layout_lines(extents):
        print(line)


def _hold(path, mode, ready, timeout):
    """Seal path, write the layout to ready, wait for SIGTERM/SIGINT, verify nothing moved."""
    import signal
    import time
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    fd, gen, holders = open_and_seal(path, MODES[mode])
    hdr, extents = layout(fd)
    tmp = ready + ".tmp"
    with open(tmp, "w") as f:
        f.write("generation=%d holders=%d pid=%d\n" % (gen, holders, os.getpid()))
        f.write("\n".join(layout_lines(extents)) + "\n")
    os.rename(tmp, ready)
    deadline = time.monotonic() + timeout
    while not stop and time.monotonic() < deadline:
        time.sleep(0.02)
    st = status(fd)
    hdr2, extents2 = layout(fd)
    unseal(fd)
    os.close(fd)
    if st["generation"] != gen or hdr2["generation"] != gen or extents2 != extents \
            or st["size"] != hdr["size"]:
        print("CHANGED generation %d -> %d/%d, %d -> %d extents, size %d -> %d" % (
            gen, st["generation"], hdr2["generation"], len(extents), len(extents2),
            hdr["size"], st["size"]))
        return 3
    if not stop:
        print("TIMEOUT holding %s" % path)
        return 4
    print("unchanged generation=%d" % gen)
    return 0


def main(argv):
    """Command line for shell tests; errors print 'sealfs_ioctl: OP: strerror' and exit 1.

    abi | seal FD|PATH [strict|prepare|asis] | unseal FD | status FD|PATH | layout FD|PATH
    | hold PATH MODE READY_FILE TIMEOUT_S
    | seal-range FD|PATH OFFSET LENGTH [MODE] [breakable] | break FD|PATH [force]
    """
    import sys
    if not argv:
        print(main.__doc__, file=sys.stderr)
        return 2
    cmd, args = argv[0], argv[1:]
    try:
        if cmd == "abi":
            _print_abi()
        elif cmd == "seal":
            fd, own = _fd_or_open(args[0], os.O_RDWR)
            gen, holders = seal(fd, MODES[args[1] if len(args) > 1 else "strict"])
            print("%d %d" % (gen, holders))
        elif cmd == "unseal":
            unseal(int(args[0]))
        elif cmd == "status":
            fd, own = _fd_or_open(args[0], os.O_RDONLY)
            st = status(fd)
            print(" ".join("%s=%d" % (k, st[k]) for k in
                           ("sealed", "held_by_me", "holders", "generation", "size",
                            "block_size", "state", "break_deadline_ms")))
        elif cmd == "seal-range":
            fd, own = _fd_or_open(args[0], os.O_RDWR)
            flags = MODES[args[3] if len(args) > 3 else "strict"]
            if len(args) > 4 and args[4] == "breakable":
                flags |= SEAL_BREAKABLE
            gen, holders = seal_range(fd, int(args[1]), int(args[2]), flags)
            print("%d %d" % (gen, holders))
        elif cmd == "break":
            fd, own = _fd_or_open(args[0], os.O_RDONLY)
            break_seals(fd, BREAK_FORCE if args[1:] == ["force"] else 0)
        elif cmd == "layout":
            fd, own = _fd_or_open(args[0], os.O_RDONLY)
            _print_layout(fd)
        elif cmd == "hold":
            return _hold(args[0], args[1], args[2], float(args[3]))
        else:
            print(main.__doc__, file=sys.stderr)
            return 2
    except OSError as e:
        print("sealfs_ioctl: %s: %s" % (cmd, os.strerror(e.errno) if e.errno else e),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    import sys
    sys.exit(main(sys.argv[1:]))
