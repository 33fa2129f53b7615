"""sealfs: the block-map sealing ABI (SPEC section 4) for Python 3, with fcntl.ioctl and struct.

    import sealfs
    with sealfs.sealed("/mnt/sealfs/data", "prepare") as s:   # open O_RDWR + SEAL
        print(s.result.generation, s.result.holders)
        for e in s.layout().extents:                          # LAYOUT, every page
            print(e.logical, e.physical, e.length, e.state)
    # UNSEAL and close on leaving the block

    fd = os.open(path, os.O_RDWR)
    r = sealfs.seal(fd, sealfs.SEAL_ASIS)    # -> SealResult(generation, holders)
    st = sealfs.status(fd)                   # -> Status(sealed, held_by_me, holders, ...)
    sealfs.unseal(fd)

Every failure of an ioctl raises OSError with the daemon's errno (errno.ETXTBSY, EPERM, ...).
The results are frozen dataclasses. The virtual xattrs of SPEC 4.3 are read with
seal_state(), holders() and device().

SEALFS_IOC_BREAK (SPEC section 12) is defined here as IOC_BREAK so that programs can be written
against the contract, but the current daemon does not implement it yet: break_seals() then fails
with the errno the mount gives for an unknown ioctl (ENOTTY or EINVAL, depending on the FUSE
binding). Breakable and range seals (SPEC 9, 10) are likewise in the contract only: seal()
passes offset, length and SEAL_BREAKABLE through, and today's daemon refuses them with EINVAL or
EOPNOTSUPP.
"""

import dataclasses
import errno as _errno
import fcntl
import os
import struct
from typing import Iterator, List, Optional, Tuple, Union

__all__ = [
    "IOC_SEAL", "IOC_UNSEAL", "IOC_STATUS", "IOC_LAYOUT", "IOC_BREAK",
    "SEAL_STRICT", "SEAL_PREPARE", "SEAL_ASIS", "SEAL_BREAKABLE", "BREAK_FORCE",
    "LAYOUT_LAST", "LAYOUT_SEALED", "EXTENT_UNWRITTEN", "EXTENT_SHARED",
    "STATE_BREAKING", "STATE_REVOKED", "MAX_EXTENTS", "LAYOUT_SIZE", "MODES",
    "XATTR_SEAL_ON_OPEN", "XATTR_LAYOUT", "XATTR_SEAL", "XATTR_HOLDERS", "XATTR_DEVICE",
    "SealResult", "Status", "Extent", "LayoutPage", "Layout", "Device", "Sealed",
    "seal", "unseal", "status", "layout_page", "layout", "break_seals", "poll_pri", "sealed",
    "mode_flags", "state_name", "holes", "seal_state", "holders", "device",
]

__version__ = "0.1.0"

# Request codes: Linux _IOC encodings with type 's' (SPEC 4.1).
IOC_SEAL = 0xC0407301     # _IOWR('s', 1, struct sealfs_seal)
IOC_UNSEAL = 0x00007302   # _IO('s', 2)
IOC_STATUS = 0x80407303   # _IOR('s', 3, struct sealfs_status)
IOC_LAYOUT = 0xD0007304   # _IOWR('s', 4, struct sealfs_layout)
IOC_BREAK = 0x40087305    # _IOW('s', 5, u64 flags): SPEC 12

# struct sealfs_seal.flags
SEAL_STRICT = 0
SEAL_PREPARE = 1
SEAL_ASIS = 2
SEAL_BREAKABLE = 4        # SPEC 10
# SEALFS_IOC_BREAK flags
BREAK_FORCE = 1
# struct sealfs_layout.flags
LAYOUT_LAST = 1
LAYOUT_SEALED = 2
# struct sealfs_extent.flags
EXTENT_UNWRITTEN = 1
EXTENT_SHARED = 2
# struct sealfs_status.state
STATE_BREAKING = 1
STATE_REVOKED = 2

MAX_EXTENTS = 126

XATTR_SEAL_ON_OPEN = "user.sealfs.seal_on_open"
XATTR_LAYOUT = "user.sealfs.layout"
XATTR_SEAL = "user.sealfs.seal"
XATTR_HOLDERS = "user.sealfs.holders"
XATTR_DEVICE = "user.sealfs.device"

MODES = {"strict": SEAL_STRICT, "prepare": SEAL_PREPARE, "asis": SEAL_ASIS}

# struct sealfs_seal: flags, offset, length, generation, holders, reserved[3]
_SEAL = struct.Struct("<8Q")
# struct sealfs_status: sealed, held_by_me, holders, generation, size, block_size, state,
# break_deadline_ms, reserved
_STATUS = struct.Struct("<2I7Q")
# struct sealfs_layout header: start, generation, next, count, flags, block_size, size, reserved[2]
_LAYOUT_HDR = struct.Struct("<3Q2I4Q")
# struct sealfs_extent: logical, physical, length, flags, reserved
_EXTENT = struct.Struct("<3Q2I")
LAYOUT_SIZE = _LAYOUT_HDR.size + MAX_EXTENTS * _EXTENT.size

assert _SEAL.size == 64 and _STATUS.size == 64
assert _LAYOUT_HDR.size == 64 and _EXTENT.size == 32 and LAYOUT_SIZE == 4096


@dataclasses.dataclass(frozen=True)
class SealResult:
    """What SEALFS_IOC_SEAL returns: the frozen block-map generation and the holder count."""
    generation: int
    holders: int


@dataclasses.dataclass(frozen=True)
class Status:
    """struct sealfs_status: the inode's seal state as seen through one handle."""
    sealed: bool
    held_by_me: bool
    holders: int
    generation: int
    size: int
    block_size: int
    state: int = 0
    break_deadline_ms: int = 0

    @property
    def breaking(self) -> bool:
        """A break of this inode's seals is under way (SPEC 10)."""
        return bool(self.state & STATE_BREAKING)

    @property
    def revoked(self) -> bool:
        """This handle's seal was revoked (SPEC 10)."""
        return bool(self.state & STATE_REVOKED)


@dataclasses.dataclass(frozen=True)
class Extent:
    """struct sealfs_extent: a run of the file at a device byte offset."""
    logical: int
    physical: int
    length: int
    flags: int

    @property
    def state(self) -> str:
        """'written', 'unwritten' or 'shared', as user.sealfs.layout prints it."""
        return state_name(self.flags)

    def line(self) -> str:
        """The extent as a user.sealfs.layout line: '<logical> <physical> <length> <state>'."""
        return "%d %d %d %s" % (self.logical, self.physical, self.length, self.state)


@dataclasses.dataclass(frozen=True)
class LayoutPage:
    """One SEALFS_IOC_LAYOUT answer: the header and up to MAX_EXTENTS extents."""
    start: int
    generation: int
    next: int
    flags: int
    block_size: int
    size: int
    extents: Tuple[Extent, ...]

    @property
    def last(self) -> bool:
        """Nothing follows these extents."""
        return bool(self.flags & LAYOUT_LAST)

    @property
    def sealed(self) -> bool:
        """The inode was sealed when the page was read."""
        return bool(self.flags & LAYOUT_SEALED)


@dataclasses.dataclass(frozen=True)
class Layout:
    """A whole block map, read page by page under one generation."""
    generation: int
    size: int
    block_size: int
    sealed: bool
    extents: Tuple[Extent, ...]
    pages: int

    def holes(self) -> List[Tuple[int, int]]:
        """The logical ranges [start, end) of [0, size) that no extent covers."""
        return holes(self.extents, self.size)


@dataclasses.dataclass(frozen=True)
class Device:
    """user.sealfs.device: the device behind the mount and its block size."""
    path: str
    block_size: int


FdOrPath = Union[int, str, os.PathLike]


def mode_flags(mode: Union[int, str]) -> int:
    """SEAL_* flags for a mode given as flags or as 'strict', 'prepare' or 'asis'."""
    if isinstance(mode, str):
        try:
            return MODES[mode]
        except KeyError:
            raise ValueError("unknown seal mode %r (strict, prepare, asis)" % mode) from None
    return int(mode)


def _ioctl(fd: int, request: int, buf: bytes) -> bytes:
    """ioctl with a mutable buffer; returns the buffer as the kernel left it."""
    b = bytearray(buf)
    fcntl.ioctl(fd, request, b, True)
    return bytes(b)


def seal(fd: int, mode: Union[int, str] = SEAL_STRICT, offset: int = 0, length: int = 0,
         breakable: bool = False, reserved: Tuple[int, int, int] = (0, 0, 0)) -> SealResult:
    """SEALFS_IOC_SEAL on fd (open for writing); reserved exists to test EINVAL."""
    flags = mode_flags(mode) | (SEAL_BREAKABLE if breakable else 0)
    out = _ioctl(fd, IOC_SEAL, _SEAL.pack(flags, offset, length, 0, 0, *reserved))
    f = _SEAL.unpack(out)
    return SealResult(generation=f[3], holders=f[4])


def unseal(fd: int) -> None:
    """SEALFS_IOC_UNSEAL: this handle lets go of its seal."""
    fcntl.ioctl(fd, IOC_UNSEAL, 0)


def status(fd: int) -> Status:
    """SEALFS_IOC_STATUS."""
    f = _STATUS.unpack(_ioctl(fd, IOC_STATUS, bytes(_STATUS.size)))
    return Status(sealed=bool(f[0]), held_by_me=bool(f[1]), holders=f[2], generation=f[3],
                  size=f[4], block_size=f[5], state=f[6], break_deadline_ms=f[7])


def layout_page(fd: int, start: int = 0) -> LayoutPage:
    """One SEALFS_IOC_LAYOUT call listing extents from logical byte offset start."""
    req = bytearray(LAYOUT_SIZE)
    _LAYOUT_HDR.pack_into(req, 0, start, 0, 0, 0, 0, 0, 0, 0, 0)
    out = _ioctl(fd, IOC_LAYOUT, req)
    h = _LAYOUT_HDR.unpack_from(out, 0)
    count = h[3]
    if count > MAX_EXTENTS:
        raise OSError(_errno.EIO, "layout count %d > %d" % (count, MAX_EXTENTS))
    extents = tuple(Extent(*_EXTENT.unpack_from(out, _LAYOUT_HDR.size + i * _EXTENT.size)[:4])
                    for i in range(count))
    return LayoutPage(start=h[0], generation=h[1], next=h[2], flags=h[4], block_size=h[5],
                      size=h[6], extents=extents)


def layout(fd: int) -> Layout:
    """Every extent, paging with `next` until LAST.

    The generation must be the same on every page; a change raises OSError(EAGAIN), so a
    caller never mixes two block maps, and a `next` that does not advance raises EIO.
    """
    first = page = layout_page(fd, 0)
    extents = list(page.extents)
    pages = 1
    while not page.last:
        if page.next <= page.start:
            raise OSError(_errno.EIO, "layout next %d did not advance past %d"
                          % (page.next, page.start))
        page = layout_page(fd, page.next)
        if page.generation != first.generation:
            raise OSError(_errno.EAGAIN, "layout generation changed while paging")
        extents.extend(page.extents)
        pages += 1
    return Layout(generation=first.generation, size=first.size, block_size=first.block_size,
                  sealed=first.sealed, extents=tuple(extents), pages=pages)


def break_seals(fd: int, force: bool = False, flags: Optional[int] = None) -> None:
    """SEALFS_IOC_BREAK (SPEC 12): waits until the file's breakable seals are gone (EINTR if
    interrupted); with force (root only), revokes every seal at once. flags, when given, is
    passed as it is (to test EOPNOTSUPP for unknown bits)."""
    raw = flags if flags is not None else (BREAK_FORCE if force else 0)
    fcntl.ioctl(fd, IOC_BREAK, struct.pack("<Q", raw))


def poll_pri(fd: int, timeout_s: float) -> bool:
    """True if fd reports POLLPRI within timeout_s: a break of its seal began (SPEC 10)."""
    import select
    p = select.poll()
    p.register(fd, select.POLLPRI)
    return any(ev & select.POLLPRI for _, ev in p.poll(int(timeout_s * 1000)))


def state_name(flags: int) -> str:
    """'written', 'unwritten' or 'shared' for struct sealfs_extent.flags."""
    if flags & EXTENT_SHARED:
        return "shared"
    return "unwritten" if flags & EXTENT_UNWRITTEN else "written"


def holes(extents, size: int) -> List[Tuple[int, int]]:
    """The logical ranges [start, end) of [0, size) that no extent covers."""
    out, pos = [], 0
    for e in sorted(extents, key=lambda x: x.logical):
        if e.logical > pos:
            out.append((pos, min(e.logical, size)))
        pos = max(pos, e.logical + e.length)
    if pos < size:
        out.append((pos, size))
    return [h for h in out if h[0] < h[1]]


class Sealed:
    """A held seal: `with sealed(path_or_fd, mode) as s:` seals on entry, unseals on exit.

    Given a path, the file is opened O_RDWR and closed again on exit; given an fd, the fd is
    the caller's and stays open. s.fd, s.result (SealResult), s.status(), s.layout().
    """

    def __init__(self, target: FdOrPath, mode: Union[int, str] = SEAL_STRICT, **kwargs):
        self._target = target
        self._flags = mode_flags(mode)
        self._kwargs = kwargs
        self._own = False
        self.fd = -1
        self.result: Optional[SealResult] = None

    def __enter__(self) -> "Sealed":
        if isinstance(self._target, int):
            self.fd = self._target
        else:
            self.fd = os.open(self._target, os.O_RDWR)
            self._own = True
        try:
            self.result = seal(self.fd, self._flags, **self._kwargs)
        except BaseException:
            self._close()
            raise
        return self

    def status(self) -> Status:
        """SEALFS_IOC_STATUS through the sealed handle."""
        return status(self.fd)

    def layout(self) -> Layout:
        """The whole block map through the sealed handle."""
        return layout(self.fd)

    def __exit__(self, *exc) -> None:
        try:
            unseal(self.fd)
        except OSError:
            if exc[0] is None:
                self._close()
                raise
        self._close()

    def _close(self) -> None:
        if self._own and self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            self._own = False


def sealed(target: FdOrPath, mode: Union[int, str] = SEAL_STRICT, **kwargs) -> Sealed:
    """A context manager holding a seal on target (a path, or an fd open for writing)."""
    return Sealed(target, mode, **kwargs)


def _xattr(path: FdOrPath, name: str) -> str:
    return os.getxattr(path, name).decode("utf-8").strip()


def seal_state(path: FdOrPath) -> str:
    """user.sealfs.seal: 'unsealed', or 'sealed holders=<n> generation=<g>'."""
    return _xattr(path, XATTR_SEAL)


def holders(path: FdOrPath) -> List[str]:
    """user.sealfs.holders: one line per holder ('handle=... pid=... mode=...')."""
    return [line for line in _xattr(path, XATTR_HOLDERS).splitlines() if line]


def device(path: FdOrPath) -> Device:
    """user.sealfs.device of any file on the mount: the device's path and block size."""
    fields = dict(f.split("=", 1) for f in _xattr(path, XATTR_DEVICE).split() if "=" in f)
    return Device(path=fields.get("path", ""), block_size=int(fields.get("block_size", "0")))


def _iter_abi() -> Iterator[str]:
    """The ABI constants in the format of `sealctl abi` (compared with include/sealfs.h)."""
    for name, value in (("SEALFS_IOC_SEAL", IOC_SEAL), ("SEALFS_IOC_UNSEAL", IOC_UNSEAL),
                        ("SEALFS_IOC_STATUS", IOC_STATUS), ("SEALFS_IOC_LAYOUT", IOC_LAYOUT),
                        ("SEALFS_IOC_BREAK", IOC_BREAK)):
        yield "%s=0x%08x" % (name, value)
    for name, value in (("SEALFS_SEAL_PREPARE", SEAL_PREPARE), ("SEALFS_SEAL_ASIS", SEAL_ASIS),
                        ("SEALFS_SEAL_BREAKABLE", SEAL_BREAKABLE),
                        ("SEALFS_STATUS_BREAKING", STATE_BREAKING),
                        ("SEALFS_STATUS_REVOKED", STATE_REVOKED),
                        ("SEALFS_BREAK_FORCE", BREAK_FORCE),
                        ("SEALFS_LAYOUT_LAST", LAYOUT_LAST),
                        ("SEALFS_LAYOUT_SEALED", LAYOUT_SEALED),
                        ("SEALFS_EXTENT_UNWRITTEN", EXTENT_UNWRITTEN),
                        ("SEALFS_EXTENT_SHARED", EXTENT_SHARED)):
        yield "%s=%d" % (name, value)
    yield "sizeof_seal=%d" % _SEAL.size
    yield "sizeof_status=%d" % _STATUS.size
    yield "sizeof_extent=%d" % _EXTENT.size
    yield "sizeof_layout=%d" % LAYOUT_SIZE
    yield "sizeof_break=%d" % struct.calcsize("<Q")
    yield "max_extents=%d" % MAX_EXTENTS
