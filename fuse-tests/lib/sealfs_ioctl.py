"""sealfs block-map sealing ioctls (SPEC 4.1) for python3 tests: a thin layer over the sealfs
module (python/sealfs) that keeps the tests' tuple-and-dict interface and command line.

    import os, sealfs_ioctl as s
    fd = os.open(path, os.O_RDWR)
    gen, holders = s.seal(fd, s.SEAL_PREPARE)
    hdr, extents = s.layout(fd)
    s.unseal(fd)

Every failure raises OSError with the errno (e.g. errno.ETXTBSY). Running this file prints the
ABI constants in the format of `sealctl abi`, so a test can compare it with include/sealfs.h.
"""

import dataclasses
import os
import sys

# The repository's python/sealfs is the module under test: it goes first on the path, before
# any installed copy.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import sealfs as _s  # noqa: E402

IOC_SEAL = _s.IOC_SEAL
IOC_UNSEAL = _s.IOC_UNSEAL
IOC_STATUS = _s.IOC_STATUS
IOC_LAYOUT = _s.IOC_LAYOUT
IOC_BREAK = _s.IOC_BREAK
SEAL_STRICT = _s.SEAL_STRICT
SEAL_PREPARE = _s.SEAL_PREPARE
SEAL_ASIS = _s.SEAL_ASIS
SEAL_BREAKABLE = _s.SEAL_BREAKABLE
STATUS_BREAKING = _s.STATE_BREAKING
STATUS_REVOKED = _s.STATE_REVOKED
BREAK_FORCE = _s.BREAK_FORCE
LAYOUT_LAST = _s.LAYOUT_LAST
LAYOUT_SEALED = _s.LAYOUT_SEALED
EXTENT_UNWRITTEN = _s.EXTENT_UNWRITTEN
EXTENT_SHARED = _s.EXTENT_SHARED
MAX_EXTENTS = _s.MAX_EXTENTS
LAYOUT_SIZE = _s.LAYOUT_SIZE
XATTR_SEAL_ON_OPEN = _s.XATTR_SEAL_ON_OPEN
XATTR_LAYOUT = _s.XATTR_LAYOUT
XATTR_SEAL = _s.XATTR_SEAL
XATTR_HOLDERS = _s.XATTR_HOLDERS
XATTR_DEVICE = _s.XATTR_DEVICE
MODES = _s.MODES
state_name = _s.state_name
unseal = _s.unseal


def seal(fd, flags=0, offset=0, length=0, reserved=(0, 0, 0)):
    """SEALFS_IOC_SEAL; returns (generation, holders). offset/length/reserved exist to test EINVAL."""
    r = _s.seal(fd, flags, offset=offset, length=length, reserved=tuple(reserved))
    return r.generation, r.holders


def status(fd):
    """SEALFS_IOC_STATUS; returns a dict with sealed, held_by_me, holders, generation, size,
    block_size, state and break_deadline_ms."""
    st = _s.status(fd)
    return {"sealed": int(st.sealed), "held_by_me": int(st.held_by_me), "holders": st.holders,
            "generation": st.generation, "size": st.size, "block_size": st.block_size,
            "state": st.state, "break_deadline_ms": st.break_deadline_ms}


def seal_range(fd, offset, length, flags=0):
    """SEALFS_IOC_SEAL of bytes [offset, offset + length) (SPEC 9); returns (generation, holders)."""
    return seal(fd, flags, offset, length)


def break_seals(fd, flags=0):
    """SEALFS_IOC_BREAK (SPEC 12): 0 waits until the breakable seals are gone, BREAK_FORCE
    revokes every seal (root only)."""
    _s.break_seals(fd, flags=flags)


poll_pri = _s.poll_pri


def _extent_dict(e):
    d = dataclasses.asdict(e)
    d["state"] = e.state
    return d


def layout_page(fd, start=0):
    """One SEALFS_IOC_LAYOUT call; returns (header dict, [extent dicts])."""
    p = _s.layout_page(fd, start)
    hdr = {"start": p.start, "generation": p.generation, "next": p.next,
           "count": len(p.extents), "flags": p.flags, "last": p.last, "sealed": p.sealed,
           "block_size": p.block_size, "size": p.size}
    return hdr, [_extent_dict(e) for e in p.extents]


def layout(fd):
    """Every extent, paging with `next` until LAST; returns (header, extents).

    A generation change while paging raises OSError(EAGAIN) (sealfs.layout), so callers never
    mix two block maps.
    """
    lay = _s.layout(fd)
    hdr = {"generation": lay.generation, "size": lay.size, "block_size": lay.block_size,
           "sealed": lay.sealed, "last": True, "pages": lay.pages}
    return hdr, [_extent_dict(e) for e in lay.extents]


def layout_lines(extents):
    """The extents as user.sealfs.layout lines: '<logical> <physical> <length> <state>'."""
    return ["%d %d %d %s" % (e["logical"], e["physical"], e["length"], e["state"])
            for e in extents]


def holes(extents, size):
    """The logical ranges [start, end) of [0, size) that no extent covers."""
    return _s.holes([_s.Extent(e["logical"], e["physical"], e["length"], e["flags"])
                     for e in extents], size)


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
    for line in _s._iter_abi():
        print(line)


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
