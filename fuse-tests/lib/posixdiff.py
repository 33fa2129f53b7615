#!/usr/bin/env python3
"""Differential POSIX check: runs the same syscall sequences on two trees and compares outcomes.

Usage: posixdiff.py [--seed N] [--steps N] [--only NAME] HOST_DIR TEST_DIR

HOST_DIR is an empty directory on a kernel filesystem (the reference, e.g. ext4); TEST_DIR is an
empty directory on the filesystem under test (a sealfs mount). Every scenario runs in a fresh
subdirectory of each, as root, with relative paths from a chdir into it (so that PATH_MAX limits
apply to the same strings); steps that act as another user run in a forked child after
setgroups/setresgid/setresuid. Each step records a line (return value or errno name, selected
stat fields, which of atime/mtime/ctime changed); the two records must match line by line except
for the entries of ALLOW (a key glob, the value sealfs must show, and why that is legitimate).
Seeded random sequences of namespace and data operations are compared step by step, with a
snapshot of the whole tree (types, modes, link counts, sizes, contents, hard-link structure)
after every step. Prints every difference and a summary; exit status 0 when only allowed
differences were found, 1 otherwise, 2 on bad usage.
"""
import argparse
import ctypes
import errno
import fnmatch
import hashlib
import json
import os
import random
import shutil
import stat as st
import sys
import time

NOBODY = 65534
OTHER_GID = 1234
UTIME_NOW = (1 << 30) - 1
UTIME_OMIT = (1 << 30) - 2
AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
TICK_S = 0.02  # sleep before an operation whose time effects are checked

# Differences that are legitimate: (key glob, value sealfs shows, reason). Keys are
# "scenario/label"; the host's value is whatever the reference kernel filesystem does.
ALLOW = [
    ("chown/chown -1 -1 times times f", "---",
     "POSIX: chown(-1, -1) need not mark ctime; libfuse 2.9 gets no attribute to set"),
    ("chown/root chown -1 -1 with * stat", "reg mode=[246]7[0-7][0-7] nlink=1 *",
     "POSIX lets chown(-1, -1) keep S_ISUID/S_ISGID; with FUSE_HANDLE_KILLPRIV_V2 the kernel"
     " sends the filesystem nothing for it (pjdfstest chown/00.t accepts 06555 or 0555)"),
    ("chown/owner chown -1 -1/stat", "reg mode=6755 nlink=1 *",
     "POSIX lets chown(-1, -1) keep S_ISUID/S_ISGID; with FUSE_HANDLE_KILLPRIV_V2 the kernel"
     " sends the filesystem nothing for it (pjdfstest chown/00.t accepts 06555 or 0555)"),
    ("mknod/chr open", "EACCES", "FUSE mounts are nodev (libfuse 2.9 default)"),
    ("mknod/chr read", "EACCES", "FUSE mounts are nodev (libfuse 2.9 default)"),
    ("types/blk open wronly", "EACCES", "FUSE mounts are nodev (libfuse 2.9 default)"),
    ("types/chr open wronly", "EACCES", "FUSE mounts are nodev (libfuse 2.9 default)"),
    ("dirs/fstat removed dir", "ENOENT",
     "libfuse 2.9 high level: getattr of a removed directory has neither path nor handle"),
    ("dirs/listdir removed cwd", "ENOENT",
     "libfuse 2.9 high level: opendir of a removed directory has no path"),
]

_libc = ctypes.CDLL(None, use_errno=True)


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def utimensat(path, atime, mtime, nofollow=False):
    """utimensat(2) with (sec, nsec) pairs or UTIME_NOW / UTIME_OMIT as the nsec; None = NULL."""
    if atime is None:
        times = None
    else:
        times = (_Timespec * 2)(_Timespec(*atime), _Timespec(*mtime))
    rc = _libc.utimensat(AT_FDCWD, os.fsencode(path), times,
                         AT_SYMLINK_NOFOLLOW if nofollow else 0)
    if rc != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e), path)


def ename(e):
    """Returns the errno name of an OSError."""
    return errno.errorcode.get(e.errno, str(e.errno))


def fmt_stat(s, blocks=False):
    """Returns the compared fields of a stat result as one string."""
    kind = {st.S_IFREG: "reg", st.S_IFDIR: "dir", st.S_IFLNK: "lnk", st.S_IFIFO: "fifo",
            st.S_IFSOCK: "sock", st.S_IFCHR: "chr", st.S_IFBLK: "blk"}.get(st.S_IFMT(s.st_mode))
    out = "%s mode=%04o nlink=%d uid=%d gid=%d" % (kind, st.S_IMODE(s.st_mode), s.st_nlink,
                                                   s.st_uid, s.st_gid)
    if kind != "dir":
        out += " size=%d" % s.st_size
    if kind in ("chr", "blk"):
        out += " rdev=%d:%d" % (os.major(s.st_rdev), os.minor(s.st_rdev))
    if blocks:
        out += " blocks=%d" % s.st_blocks
    return out


class Rec:
    """The record of one tree: a list of (key, value) lines, plus the helpers scenarios use."""

    def __init__(self, scenario):
        self.scenario = scenario
        self.lines = []
        self.fds = []

    def put(self, label, value):
        """Records one line."""
        self.lines.append((self.scenario + "/" + label, str(value)))

    def do(self, label, fn, *args, show=False):
        """Runs fn(*args); records OK (with the result if show) or the errno name; returns the
        result, or None when it failed."""
        try:
            r = fn(*args)
        except OSError as e:
            self.put(label, ename(e))
            return None
        self.put(label, "OK" if not show else "OK %r" % (r,))
        return r if r is not None else True

    def open(self, label, path, flags, mode=0o644):
        """os.open, recorded; the fd is closed at the end of the scenario."""
        fd = self.do(label, os.open, path, flags, mode)
        if fd is not None:
            self.fds.append(fd)
        return fd

    def close(self, fd):
        """Closes an fd opened with open()."""
        if fd in self.fds:
            self.fds.remove(fd)
            os.close(fd)

    def stat(self, label, path, follow=False, blocks=False):
        """Records the compared stat fields (lstat unless follow), or the errno."""
        try:
            s = os.stat(path) if follow else os.lstat(path)
        except OSError as e:
            self.put(label, ename(e))
            return None
        self.put(label, fmt_stat(s, blocks))
        return s

    def fstat(self, label, fd, blocks=False):
        """Records the compared fstat fields, or the errno."""
        try:
            s = os.fstat(fd)
        except OSError as e:
            self.put(label, ename(e))
            return None
        self.put(label, fmt_stat(s, blocks))
        return s

    def times(self, label, paths, fn, *args):
        """Runs fn(*args) (as do) after a short sleep; records which of a/m/c changed on each of
        paths (e.g. '-mc'), or the errno of the lstat. A path "OLD>NEW" is looked at as OLD
        before and as NEW after (a renamed inode); a path that names another inode after the
        call shows as 'replaced'."""
        before = {}
        for spec in paths:
            try:
                before[spec] = os.lstat(spec.split(">")[0])
            except OSError:
                before[spec] = None
        time.sleep(TICK_S)
        r = self.do(label, fn, *args)
        for spec in paths:
            b = before[spec]
            key = "%s times %s" % (label, spec)
            try:
                a = os.lstat(spec.split(">")[-1])
            except OSError as e:
                self.put(key, ename(e))
                continue
            if b is None:
                self.put(key, "new")
            elif a.st_ino != b.st_ino:
                self.put(key, "replaced")
            else:
                self.put(key, ("a" if a.st_atime_ns != b.st_atime_ns else "-")
                         + ("m" if a.st_mtime_ns != b.st_mtime_ns else "-")
                         + ("c" if a.st_ctime_ns != b.st_ctime_ns else "-"))
        return r

    def listdir(self, label, path):
        """Records the sorted entries of a directory as readdir shows them, . and .. included."""
        try:
            names = sorted(os.listdir(path) + [".", ".."])
        except OSError as e:
            self.put(label, ename(e))
            return None
        h = hashlib.sha256("\0".join(names).encode()).hexdigest()[:16]
        self.put(label, "%d entries %s" % (len(names), h))
        return names

    def user(self, label, uid, gid, fn, groups=()):
        """Runs fn(rec) in a forked child as uid/gid (with supplementary groups) and appends the
        lines it recorded, each key prefixed with label."""
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                os.close(rfd)
                os.setgroups(list(groups))
                os.setresgid(gid, gid, gid)
                os.setresuid(uid, uid, uid)
                sub = Rec(label)
                try:
                    fn(sub)
                except Exception as e:  # pylint: disable=broad-except
                    sub.put("exception", repr(e))
                data = json.dumps(sub.lines).encode()
                with os.fdopen(wfd, "wb") as w:
                    w.write(data)
            except BaseException:  # pylint: disable=broad-except
                code = 3
            os._exit(code)
        os.close(wfd)
        with os.fdopen(rfd, "rb") as r:
            data = r.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            self.put(label, "child failed (status %d)" % status)
            return
        for k, v in json.loads(data):
            self.lines.append((self.scenario + "/" + k, v))


def write_file(path, data=b"x", mode=0o644):
    """Creates (or truncates) path with data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def read_file(path):
    """Returns the whole content of path."""
    with open(path, "rb") as f:
        return f.read()


# ---------------------------------------------------------------------------------------------
# Scenarios: each runs with the cwd in its own fresh directory (mode 0755, owned by root).


def sc_open(r):
    os.umask(0)
    r.do("creat excl", lambda: os.close(os.open("f", os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o640)))
    r.stat("creat mode", "f")
    for m in (0o755, 0o151, 0o000, 0o4755, 0o2755, 0o1755):
        n = "m%o" % m
        r.do("creat %o" % m, lambda n=n, m=m: os.close(os.open(n, os.O_CREAT | os.O_WRONLY, m)))
        r.stat("creat %o stat" % m, n)
    os.umask(0o077)
    r.do("creat umask", lambda: os.close(os.open("u", os.O_CREAT | os.O_WRONLY, 0o777)))
    r.stat("creat umask stat", "u")
    os.umask(0o022)
    r.do("excl exists", os.open, "f", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    os.symlink("dangling-target", "dl")
    r.do("excl on dangling symlink", os.open, "dl", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    r.do("creat through dangling symlink",
         lambda: os.close(os.open("dl", os.O_CREAT | os.O_WRONLY, 0o600)))
    r.stat("dangling target created", "dangling-target")
    r.times("creat parent times", ["."],
            lambda: os.close(os.open("new", os.O_CREAT | os.O_WRONLY, 0o644)))
    r.times("creat existing times", [".", "new"],
            lambda: os.close(os.open("new", os.O_CREAT | os.O_WRONLY, 0o600)))
    r.stat("creat existing keeps mode", "new")
    write_file("t", b"hello world")
    r.times("otrunc times", ["t", "."], lambda: os.close(os.open("t", os.O_WRONLY | os.O_TRUNC)))
    r.stat("otrunc size", "t")
    r.times("otrunc empty times", ["t"], lambda: os.close(os.open("t", os.O_RDWR | os.O_TRUNC)))
    write_file("t", b"hello world")
    r.do("otrunc rdonly", lambda: os.close(os.open("t", os.O_RDONLY | os.O_TRUNC)))
    r.stat("otrunc rdonly size", "t")
    os.mkdir("d")
    r.do("odirectory file", os.open, "f", os.O_RDONLY | os.O_DIRECTORY)
    r.do("odirectory dir", lambda: os.close(os.open("d", os.O_RDONLY | os.O_DIRECTORY)))
    r.do("odirectory creat", os.open, "nd", os.O_RDONLY | os.O_DIRECTORY | os.O_CREAT)
    r.stat("odirectory creat made", "nd")
    r.do("dir wronly", os.open, "d", os.O_WRONLY)
    r.do("dir rdwr", os.open, "d", os.O_RDWR)
    r.do("dir creat", os.open, "d", os.O_WRONLY | os.O_CREAT)
    r.do("dir creat rdonly", lambda: os.close(os.open("d", os.O_RDONLY | os.O_CREAT)))
    r.do("dir creat excl", os.open, "d", os.O_RDONLY | os.O_CREAT | os.O_EXCL)
    os.symlink("f", "lf")
    os.symlink("d", "ld")
    r.do("nofollow symlink", os.open, "lf", os.O_RDONLY | os.O_NOFOLLOW)
    r.do("nofollow symlink creat", os.open, "lf", os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW)
    r.do("nofollow dir symlink", os.open, "ld", os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY)
    r.do("nofollow intermediate ok",
         lambda: os.close(os.open("ld/../f", os.O_RDONLY | os.O_NOFOLLOW)))
    r.do("opath nofollow", lambda: os.close(os.open("lf", os.O_PATH | os.O_NOFOLLOW)))
    os.symlink("loop2", "loop1")
    os.symlink("loop1", "loop2")
    r.do("eloop", os.open, "loop1", os.O_RDONLY)
    r.do("eloop creat", os.open, "loop1", os.O_WRONLY | os.O_CREAT)
    r.do("eloop component", os.open, "loop1/x", os.O_RDONLY)
    r.do("enoent", os.open, "missing", os.O_RDONLY)
    r.do("enoent creat dir", os.open, "missing/x", os.O_WRONLY | os.O_CREAT)
    r.do("enotdir", os.open, "f/x", os.O_RDONLY)
    r.do("enotdir creat", os.open, "f/x", os.O_WRONLY | os.O_CREAT)
    r.do("enotdir trailing slash", os.open, "f/", os.O_RDONLY)
    r.do("creat trailing slash", os.open, "ns/", os.O_WRONLY | os.O_CREAT)
    r.do("name 255", lambda: os.close(os.open("x" * 255, os.O_WRONLY | os.O_CREAT)))
    r.do("name 256", os.open, "x" * 256, os.O_WRONLY | os.O_CREAT)
    r.do("name 256 lookup", os.open, "x" * 256, os.O_RDONLY)
    r.do("name 256 component", os.open, "x" * 256 + "/f", os.O_RDONLY)
    r.do("einval flags", lambda: os.close(os.open("f", os.O_RDONLY | os.O_WRONLY | os.O_RDWR)))
    os.mkfifo("fifo")
    r.do("fifo wronly nonblock enxio", os.open, "fifo", os.O_WRONLY | os.O_NONBLOCK)
    r.do("fifo rdonly nonblock", lambda: os.close(os.open("fifo", os.O_RDONLY | os.O_NONBLOCK)))
    fd = r.open("rdonly fd", "f", os.O_RDONLY)
    r.do("write on rdonly fd", os.write, fd, b"x")
    r.close(fd)
    fd = r.open("wronly fd", "f", os.O_WRONLY)
    r.do("read on wronly fd", os.read, fd, 1)
    r.close(fd)


def sc_names(r):
    """Names are byte strings: any byte but NUL and '/', valid UTF-8 or not."""
    names = [b"caf\xc3\xa9", b"\xe2\x98\x83", b"caf\xe9", b"\xff\xfe", b"\xfe\xff",
             b"a\nb", b"\x01\x7f", b" lead", b"trail ", b"back\\slash", b"-dash",
             bytes(range(128, 256)), b"\xe2\x82" * 127 + b"x", b"\xc3\xa9" * 127 + b"x",
             b"\xc3\xa9" * 128]
    for n in names:
        tag = n[:12].hex()
        r.do("create %s len %d" % (tag, len(n)), write_file, n, n)
        r.do("stat %s" % tag, lambda n=n: os.lstat(n).st_size, show=True)
        r.do("read %s" % tag, lambda n=n: read_file(n) == n, show=True)
    r.do("listing", lambda: sorted(os.listdir(b".")), show=True)
    r.do("mkdir latin1", os.mkdir, b"d\xe9")
    r.do("create inside", write_file, b"d\xe9/f\xff", b"x")
    r.do("listing inside", lambda: os.listdir(b"d\xe9"), show=True)
    r.do("rename", os.rename, b"caf\xe9", b"d\xe9/caf\xe9")
    r.do("link", os.link, b"\xff\xfe", b"d\xe9/\xfe")
    r.do("symlink latin1 target", os.symlink, b"t\xe9\xff/x", b"l\xe9")
    r.do("readlink latin1 target", os.readlink, b"l\xe9", show=True)
    r.do("symlink utf8 target", os.symlink, "\u00e9t\u00e9".encode(), b"lu")
    r.do("readlink utf8 target", os.readlink, b"lu", show=True)
    r.do("xattr name", os.setxattr, b"\xff\xfe", b"user.\xe9\xff", b"v")
    r.do("xattr list", lambda: sorted(x for x in os.listxattr(b"\xff\xfe")
                                      if x.startswith("user.")), show=True)
    r.do("xattr get", os.getxattr, b"\xff\xfe", b"user.\xe9\xff", show=True)
    r.do("unlink all", lambda: [os.unlink(n) for n in names if os.path.lexists(n)])
    r.do("listing after", lambda: sorted(os.listdir(b".")), show=True)


def long_path(total):
    """Creates directories for a relative path of exactly total bytes; returns the path (its
    last component is not created)."""
    comps = []
    length = 0
    while total - length > 256:
        c = "d" * 200
        comps.append(c)
        length += len(c) + 1
    last = "f" * (total - length)
    path = ""
    for c in comps:
        path = path + c + "/"
        if not os.path.isdir(path):
            os.mkdir(path)
    return path + last


def sc_paths(r):
    p = long_path(4095)
    r.put("path len", len(p))
    r.do("create 4095", lambda: os.close(os.open(p, os.O_WRONLY | os.O_CREAT)))
    r.stat("stat 4095", p)
    r.do("unlink 4095", os.unlink, p)
    r.do("mkdir 4095", os.mkdir, p)
    r.do("rmdir 4095", os.rmdir, p)
    r.do("symlink at 4095", os.symlink, "t", p)
    r.do("unlink symlink 4095", os.unlink, p)
    q = p + "x"
    r.do("create 4096", os.open, q, os.O_WRONLY | os.O_CREAT)
    r.do("mkdir 4096", os.mkdir, q)
    r.do("stat 4096", os.lstat, q)
    r.do("symlink at 4096", os.symlink, "t", q)
    r.do("symlink target 4095", os.symlink, "t" * 4095, "s4095")
    r.do("readlink 4095", lambda: len(os.readlink("s4095")), show=True)
    r.stat("lstat s4095", "s4095")
    r.do("symlink target 4096", os.symlink, "t" * 4096, "s4096")
    r.do("symlink target 255 name", os.symlink, "y" * 255, "s255")
    r.do("readlink 255", lambda: os.readlink("s255") == "y" * 255, show=True)
    r.do("mkdir 255", os.mkdir, "m" * 255)
    r.do("mkdir 256", os.mkdir, "m" * 256)
    r.do("link 256", os.link, "s255", "l" * 256)
    r.do("rename to 256", os.rename, "s255", "r" * 256)
    r.do("rename from 256", os.rename, "r" * 256, "z")
    r.do("rename to 255", os.rename, "s255", "r" * 255)
    r.do("unlink 256", os.unlink, "r" * 256)
    r.do("rmdir 256", os.rmdir, "m" * 256)
    r.do("symlink name 256", os.symlink, "t", "s" * 256)
    r.do("mknod name 256", os.mkfifo, "p" * 256)


def sc_mkdir(r):
    os.umask(0)
    for m in (0o755, 0o151, 0o000, 0o1777, 0o2755, 0o4755, 0o7777):
        n = "d%o" % m
        r.do("mkdir %o" % m, os.mkdir, n, m)
        r.stat("mkdir %o stat" % m, n)
    os.umask(0o022)
    r.do("mkdir umask", os.mkdir, "du", 0o777)
    r.stat("mkdir umask stat", "du")
    r.stat("parent before", ".")
    r.times("mkdir parent times", ["."], os.mkdir, "p")
    r.stat("parent nlink", ".")
    r.stat("new dir", "p")
    write_file("f")
    os.symlink("nowhere", "sl")
    r.do("eexist dir", os.mkdir, "p")
    r.do("eexist file", os.mkdir, "f")
    r.do("eexist symlink", os.mkdir, "sl")
    r.do("eexist dot", os.mkdir, ".")
    r.do("eexist dotdot", os.mkdir, "p/..")
    r.do("enoent", os.mkdir, "missing/x")
    r.do("enotdir", os.mkdir, "f/x")
    r.do("trailing slash", os.mkdir, "q/")
    r.stat("trailing slash made", "q")
    os.mkdir("ro", 0o555)
    r.user("nobody in 0555", NOBODY, NOBODY, lambda u: u.do("mkdir", os.mkdir, "ro/x"))
    os.mkdir("pub", 0o777)
    r.user("nobody in 0777", NOBODY, NOBODY, lambda u: (
        u.do("mkdir", os.mkdir, "pub/x", 0o755), u.stat("stat", "pub/x")))
    os.mkdir("sg", 0o2777)
    os.chown("sg", 0, OTHER_GID)
    r.user("nobody in setgid dir", NOBODY, NOBODY, lambda u: (
        u.do("mkdir", os.mkdir, "sg/x", 0o755), u.stat("stat", "sg/x"),
        u.do("create", lambda: os.close(os.open("sg/f", os.O_CREAT | os.O_WRONLY, 0o2755))),
        u.stat("stat file", "sg/f")))
    r.user("nobody in group, setgid dir", NOBODY, NOBODY, lambda u: (
        u.do("create", lambda: os.close(os.open("sg/g", os.O_CREAT | os.O_WRONLY, 0o2755))),
        u.stat("stat file", "sg/g")), groups=(OTHER_GID,))


def sc_rmdir(r):
    os.mkdir("d")
    os.mkdir("d/sub")
    write_file("f")
    r.do("enotempty", os.rmdir, "d")
    r.do("enotdir", os.rmdir, "f")
    r.do("enotdir component", os.rmdir, "f/x")
    r.do("enoent", os.rmdir, "missing")
    r.do("einval dot", os.rmdir, "d/sub/.")
    r.do("dotdot", os.rmdir, "d/sub/..")
    r.do("dot cwd", os.rmdir, ".")
    r.stat("parent nlink before", "d")
    r.times("rmdir times", ["d"], os.rmdir, "d/sub")
    r.stat("parent nlink after", "d")
    r.do("gone", os.lstat, "d/sub")
    os.symlink("d", "ld")
    r.do("symlink to dir", os.rmdir, "ld")
    r.do("trailing slash", os.rmdir, "d/")
    os.mkdir("st", 0o1777)
    os.mkdir("st/rootdir")
    r.user("sticky other's dir", NOBODY, NOBODY, lambda u: u.do("rmdir", os.rmdir, "st/rootdir"))
    r.user("sticky own dir", NOBODY, NOBODY, lambda u: (
        u.do("mkdir", os.mkdir, "st/mine"), u.do("rmdir", os.rmdir, "st/mine")))
    os.mkdir("ro", 0o755)
    os.mkdir("ro/x")
    os.chown("ro/x", NOBODY, NOBODY)
    r.user("no write on parent", NOBODY, NOBODY, lambda u: u.do("rmdir", os.rmdir, "ro/x"))
    r.times("failed rmdir times", ["ro"], os.rmdir, "ro/missing")


def sc_link(r):
    write_file("f", b"data")
    r.stat("nlink 1", "f")
    r.times("link times", ["f", "."], os.link, "f", "g")
    r.stat("nlink 2", "f")
    r.do("same inode", lambda: os.lstat("f").st_ino == os.lstat("g").st_ino, show=True)
    os.mkdir("d")
    r.times("link in subdir", ["f", "d"], os.link, "f", "d/h")
    r.stat("nlink 3", "g")
    r.do("eperm dir", os.link, "d", "d2")
    r.do("eexist", os.link, "f", "g")
    r.do("eexist dir", os.link, "f", "d")
    r.do("enoent", os.link, "missing", "x")
    r.do("enoent dest dir", os.link, "f", "missing/x")
    r.do("enotdir", os.link, "f/x", "x")
    os.symlink("f", "sl")
    r.do("link to symlink", os.link, "sl", "sl2")
    r.stat("link to symlink is symlink", "sl2")
    r.stat("symlink nlink", "sl")
    r.do("link to dangling symlink", lambda: (os.symlink("nowhere", "dsl"),
                                             os.link("dsl", "dsl2")))
    r.times("unlink times", ["f", "."], os.unlink, "g")
    r.stat("nlink after unlink", "f")
    r.do("unlink dir", os.unlink, "d")
    r.do("unlink enoent", os.unlink, "missing")
    r.do("unlink enotdir", os.unlink, "f/x")
    r.do("unlink trailing slash", os.unlink, "f/")
    r.do("unlink symlink to dir", lambda: (os.symlink("d", "ldir"), os.unlink("ldir")))
    r.stat("dir survives", "d")
    fd = r.open("open", "f", os.O_RDWR)
    os.unlink("d/h")
    r.times("unlink last name of open file", ["."], os.unlink, "f")
    r.fstat("fstat unlinked", fd)
    r.do("write unlinked", os.pwrite, fd, b"more", 4, show=True)
    r.do("read unlinked", os.pread, fd, 100, 0, show=True)
    r.do("ftruncate unlinked", os.ftruncate, fd, 2)
    r.do("fchmod unlinked", os.fchmod, fd, 0o600)
    r.fstat("fstat unlinked after", fd)
    r.listdir("no hidden names", ".")
    r.close(fd)
    write_file("ro", b"x")
    os.mkdir("rodir", 0o755)
    write_file("rodir/f")
    os.mkdir("pub", 0o777)
    r.user("nobody link into 0755", NOBODY, NOBODY, lambda u: u.do("link", os.link, "ro", "rodir/x"))
    r.user("nobody unlink in 0755", NOBODY, NOBODY, lambda u: u.do("unlink", os.unlink, "rodir/f"))
    r.user("nobody link into 0777", NOBODY, NOBODY, lambda u: u.do("link", os.link, "ro", "pub/x"))
    os.mkdir("st", 0o1777)
    write_file("st/root")
    r.user("sticky unlink other's", NOBODY, NOBODY, lambda u: u.do("unlink", os.unlink, "st/root"))
    r.user("sticky unlink own", NOBODY, NOBODY, lambda u: (
        u.do("create", lambda: os.close(os.open("st/mine", os.O_CREAT | os.O_WRONLY))),
        u.do("unlink", os.unlink, "st/mine")))
    os.mkdir("st2", 0o1777)
    os.chown("st2", NOBODY, NOBODY)
    write_file("st2/root")
    r.user("sticky dir owner unlinks other's", NOBODY, NOBODY,
           lambda u: u.do("unlink", os.unlink, "st2/root"))


def sc_rename(r):
    write_file("a", b"a")
    write_file("b", b"b")
    r.times("file over file", ["a>b", "b", "."], os.rename, "a", "b")
    r.do("content", read_file, "b", show=True)
    r.do("source gone", os.lstat, "a")
    write_file("x", b"x")
    os.link("x", "x2")
    write_file("y", b"y")
    r.times("over a linked file", ["x2"], os.rename, "y", "x")
    r.stat("victim nlink", "x2")
    os.link("x", "x3")
    r.times("between links of one inode", ["x", "x3", "."], os.rename, "x", "x3")
    r.stat("both names stay 1", "x")
    r.stat("both names stay 2", "x3")
    r.do("self", os.rename, "x", "x")
    os.mkdir("d1")
    os.mkdir("d1/sub")
    os.mkdir("e1")
    os.mkdir("ne")
    write_file("ne/f")
    r.stat("parent nlink before", ".")
    r.times("dir over empty dir", ["d1>e1", "e1", "."], os.rename, "d1", "e1")
    r.stat("parent nlink after", ".")
    r.stat("moved dir", "e1")
    r.do("dir over nonempty dir", os.rename, "ne", "e1")
    r.do("dir over nonempty dir 2", os.rename, "e1", "ne")
    write_file("file")
    r.do("file over dir", os.rename, "file", "ne")
    r.do("dir over file", os.rename, "ne", "file")
    r.do("dir into own subdir", os.rename, "e1", "e1/sub/inside")
    r.do("dir into itself", os.rename, "e1", "e1/inside")
    r.do("dir onto own subdir", os.rename, "e1", "e1/sub")
    r.do("parent onto child", os.rename, "e1/sub", "e1")
    r.do("dot", os.rename, "e1/.", "e2")
    r.do("dotdot", os.rename, "e1/sub/..", "e2")
    r.do("onto dot", os.rename, "file", "e1/.")
    r.do("enoent", os.rename, "missing", "x9")
    r.do("enoent dest dir", os.rename, "file", "missing/x")
    r.do("enotdir src component", os.rename, "file/x", "x9")
    r.do("enotdir dest component", os.rename, "x", "file/x")
    r.do("trailing slash file", os.rename, "file/", "x9")
    r.do("trailing slash dest for file", os.rename, "file", "x9/")
    r.do("trailing slash dir", os.rename, "e1/", "e3/")
    os.mkdir("p1")
    os.mkdir("p2")
    os.mkdir("p1/m")
    write_file("p1/m/f")
    r.stat("p1 nlink", "p1")
    r.stat("p2 nlink", "p2")
    r.times("dir across parents", ["p1", "p2", "p1/m>p2/m"], os.rename, "p1/m", "p2/m")
    r.stat("p1 nlink after", "p1")
    r.stat("p2 nlink after", "p2")
    r.do("dotdot is new parent",
         lambda: os.lstat("p2/m/..").st_ino == os.lstat("p2").st_ino, show=True)
    r.listdir("p2 entries", "p2")
    r.listdir("p1 entries", "p1")
    os.mkdir("p1/e")
    r.times("dir over empty dir across parents", ["p1", "p2"], os.rename, "p2/m", "p1/e")
    r.stat("p1 nlink 2", "p1")
    r.stat("p2 nlink 2", "p2")
    r.times("file across parents", ["p1/e/f>p2/f", "p1/e", "p2"], os.rename, "p1/e/f", "p2/f")
    os.symlink("target", "sl")
    r.times("symlink", ["sl>sl2"], os.rename, "sl", "sl2")
    r.do("symlink target kept", os.readlink, "sl2", show=True)
    r.times("file over symlink", ["p2/f>sl2", "sl2"], os.rename, "p2/f", "sl2")
    r.stat("replaced symlink", "sl2")
    r.times("failed rename times", ["."], os.rename, "missing", "nothing")
    fd = r.open("open victim", "b", os.O_RDONLY)
    write_file("c", b"new")
    r.do("over an open file", os.rename, "c", "b")
    r.fstat("open victim fstat", fd)
    r.do("open victim read", os.pread, fd, 10, 0, show=True)
    r.listdir("no hidden names", ".")
    r.close(fd)
    os.mkdir("st", 0o1777)
    write_file("st/root")
    os.mkdir("st/rootdir")
    r.user("sticky", NOBODY, NOBODY, lambda u: (
        u.do("rename other's out", os.rename, "st/root", "st/mine"),
        u.do("create own", lambda: os.close(os.open("st/mine", os.O_CREAT | os.O_WRONLY))),
        u.do("rename own over other's", os.rename, "st/mine", "st/root"),
        u.do("rename own", os.rename, "st/mine", "st/mine2"),
        u.do("mkdir own", os.mkdir, "st/mydir"),
        u.do("rename own dir over other's empty dir", os.rename, "st/mydir", "st/rootdir")))
    os.mkdir("pub", 0o777)
    os.mkdir("pub/rootdir", 0o755)
    os.mkdir("pub/other", 0o777)
    r.user("dir without write permission", NOBODY, NOBODY, lambda u: (
        u.do("rename dir within parent", os.rename, "pub/rootdir", "pub/rd2"),
        u.do("rename dir across parents", os.rename, "pub/rd2", "pub/other/rd")))
    os.mkdir("ro", 0o755)
    write_file("ro/f")
    r.user("no write on source dir", NOBODY, NOBODY,
           lambda u: u.do("rename", os.rename, "ro/f", "pub/f"))


def sc_symlink(r):
    r.times("symlink times", ["."], os.symlink, "some/target", "s")
    r.stat("lstat", "s")
    r.do("readlink", os.readlink, "s", show=True)
    r.do("stat dangling", os.stat, "s")
    r.do("eexist", os.symlink, "x", "s")
    write_file("f")
    r.do("eexist file", os.symlink, "x", "f")
    r.do("enoent dir", os.symlink, "x", "missing/s")
    r.do("enotdir", os.symlink, "x", "f/s")
    r.do("readlink file", os.readlink, "f")
    r.do("readlink enoent", os.readlink, "missing")
    r.do("empty target", os.symlink, "", "empty")
    os.symlink("f", "sf")
    r.stat("stat through", "sf", follow=True)
    os.mkdir("d")
    os.symlink("../d", "d/up")
    r.do("relative traversal", lambda: os.lstat("d/up/up/up").st_mode & 0o170000, show=True)
    prev = "f"
    for i in range(45):
        os.symlink(prev, "c%d" % i)
        prev = "c%d" % i
    r.do("chain 39", lambda: os.stat("c38") is not None, show=True)
    r.do("chain 41", os.stat, "c40")
    r.do("chain 45", os.stat, "c44")
    os.symlink("self", "self")
    r.do("self loop", os.stat, "self")
    r.do("lstat self loop", lambda: os.lstat("self").st_size, show=True)
    r.do("unicode target", os.symlink, "\u00e9t\u00e9/\u2603", "uni")
    r.do("unicode readlink", os.readlink, "uni", show=True)
    r.stat("unicode lstat", "uni")
    r.do("utf8 name", lambda: write_file("\u00e9\u2603"))
    r.listdir("utf8 listing", ".")
    r.user("nobody symlink in 0755", NOBODY, NOBODY, lambda u: u.do("symlink", os.symlink, "x", "n"))
    os.mkdir("pub", 0o777)
    r.user("nobody symlink", NOBODY, NOBODY, lambda u: (
        u.do("symlink", os.symlink, "x", "pub/n"), u.stat("lstat", "pub/n")))


def sc_chmod(r):
    write_file("f")
    r.times("chmod times", ["f"], os.chmod, "f", 0o600)
    r.stat("chmod 600", "f")
    for m in (0o7777, 0o4755, 0o2755, 0o2745, 0o1644, 0o0):
        r.do("chmod %o" % m, os.chmod, "f", m)
        r.stat("chmod %o stat" % m, "f")
    os.mkdir("d")
    r.do("chmod dir 1777", os.chmod, "d", 0o1777)
    r.stat("chmod dir stat", "d")
    os.symlink("f", "sl")
    r.do("chmod via symlink", os.chmod, "sl", 0o640)
    r.stat("target mode", "f")
    r.stat("symlink mode", "sl")
    r.do("enoent", os.chmod, "missing", 0o644)
    r.do("enotdir", os.chmod, "f/x", 0o644)
    fd = r.open("open", "f", os.O_RDONLY)
    r.do("fchmod on rdonly fd", os.fchmod, fd, 0o604)
    r.fstat("fchmod stat", fd)
    r.close(fd)
    r.times("failed chmod times", ["f"], os.chmod, "f/x", 0o644)
    r.user("nobody chmod root's", NOBODY, NOBODY, lambda u: u.do("chmod", os.chmod, "f", 0o777))
    write_file("mine")
    os.chown("mine", NOBODY, NOBODY)
    r.user("owner chmod", NOBODY, NOBODY, lambda u: (
        u.do("chmod 4755", os.chmod, "mine", 0o4755), u.stat("stat", "mine"),
        u.do("chmod 2755 in group", os.chmod, "mine", 0o2755), u.stat("stat 2", "mine"),
        u.do("chmod 1755", os.chmod, "mine", 0o1755), u.stat("stat 3", "mine")))
    os.chown("mine", NOBODY, OTHER_GID)
    r.user("owner chmod sgid, not in group", NOBODY, NOBODY, lambda u: (
        u.do("chmod 2755", os.chmod, "mine", 0o2755), u.stat("stat", "mine")))
    r.user("owner chmod sgid, supplementary group", NOBODY, NOBODY, lambda u: (
        u.do("chmod 2755", os.chmod, "mine", 0o2755), u.stat("stat", "mine")),
        groups=(OTHER_GID,))
    os.mkdir("dd")
    os.chown("dd", NOBODY, OTHER_GID)
    r.user("owner chmod dir sgid, not in group", NOBODY, NOBODY, lambda u: (
        u.do("chmod 2755", os.chmod, "dd", 0o2755), u.stat("stat", "dd")))


def sc_chown(r):
    write_file("f")
    r.times("chown times", ["f"], os.chown, "f", NOBODY, NOBODY)
    r.stat("chown stat", "f")
    r.times("chown same owner times", ["f"], os.chown, "f", NOBODY, NOBODY)
    r.times("chown -1 -1 times", ["f"], os.chown, "f", -1, -1)
    r.do("chown uid only", os.chown, "f", 10, -1)
    r.stat("uid only", "f")
    r.do("chown gid only", os.chown, "f", -1, 20)
    r.stat("gid only", "f")
    for m in (0o6755, 0o6745, 0o4700, 0o2755, 0o2705):
        os.chmod("f", m)
        r.do("root chown with %o" % m, os.chown, "f", 11, 21)
        r.stat("root chown with %o stat" % m, "f")
        os.chmod("f", m)
        r.do("root chown -1 -1 with %o" % m, os.chown, "f", -1, -1)
        r.stat("root chown -1 -1 with %o stat" % m, "f")
    os.mkdir("d")
    os.chmod("d", 0o6755)
    r.do("root chown dir", os.chown, "d", 11, 21)
    r.stat("dir keeps bits", "d")
    os.symlink("f", "sl")
    r.times("lchown", ["sl", "f"], os.lchown, "sl", 12, 22)
    r.stat("lchown symlink", "sl")
    r.stat("lchown target", "f")
    r.do("chown via symlink", os.chown, "sl", 13, 23)
    r.stat("chown via symlink target", "f")
    r.stat("chown via symlink link", "sl")
    fd = r.open("open", "f", os.O_RDONLY)
    r.do("fchown", os.fchown, fd, 14, 24)
    r.fstat("fchown stat", fd)
    r.close(fd)
    r.do("enoent", os.chown, "missing", 1, 1)
    r.times("failed chown times", ["f"], os.chown, "f/x", 1, 1)
    write_file("g")
    r.user("nobody chown root's", NOBODY, NOBODY, lambda u: (
        u.do("chown", os.chown, "g", NOBODY, NOBODY),
        u.do("chown -1 -1", os.chown, "g", -1, -1)))
    r.stat("g after", "g")
    write_file("mine")
    os.chown("mine", NOBODY, NOBODY)
    os.chmod("mine", 0o6755)
    r.user("owner chown", NOBODY, NOBODY, lambda u: (
        u.do("chown to other uid", os.chown, "mine", 0, -1),
        u.do("chown to foreign group", os.chown, "mine", -1, OTHER_GID),
        u.stat("stat", "mine"),
        u.times("chown to own uid/gid", ["mine"], os.chown, "mine", NOBODY, NOBODY),
        u.stat("stat 2", "mine")))
    os.chmod("mine", 0o6755)
    r.user("owner chown -1 -1", NOBODY, NOBODY, lambda u: (
        u.do("chown", os.chown, "mine", -1, -1), u.stat("stat", "mine")))
    os.chmod("mine", 0o6755)
    r.user("owner chown to supplementary group", NOBODY, NOBODY, lambda u: (
        u.do("chown", os.chown, "mine", -1, OTHER_GID), u.stat("stat", "mine")),
        groups=(OTHER_GID,))
    os.chmod("mine", 0o6755)
    r.user("owner fchown", NOBODY, NOBODY, lambda u: (
        u.do("fchown", lambda: (lambda fd: (os.fchown(fd, -1, NOBODY), os.close(fd)))(
            os.open("mine", os.O_RDONLY))),
        u.stat("stat", "mine")))
    os.mkdir("pub", 0o777)
    r.user("owner lchown", NOBODY, NOBODY, lambda u: (
        u.do("symlink", os.symlink, "x", "pub/l"),
        u.do("lchown", os.lchown, "pub/l", -1, NOBODY),
        u.do("lchown foreign", os.lchown, "pub/l", -1, OTHER_GID),
        u.stat("stat", "pub/l")))


def sc_killpriv(r):
    for who, uid in (("root", 0), ("owner", NOBODY), ("other", NOBODY)):
        for m in (0o6777, 0o6767, 0o4777, 0o2777):
            n = "%s-%o" % (who, m)
            write_file(n, b"data")
            os.chmod(n, m)
            if who == "owner":
                os.chown(n, NOBODY, NOBODY)
                os.chmod(n, m)
            if uid == 0:
                r.do("%s write" % n, lambda n=n: (lambda fd: (os.write(fd, b"more"), os.close(fd)))(
                    os.open(n, os.O_WRONLY | os.O_APPEND)))
                r.stat("%s stat" % n, n)
            else:
                r.user("%s" % n, uid, uid, lambda u, n=n: (
                    u.do("write", lambda: (lambda fd: (os.write(fd, b"more"), os.close(fd)))(
                        os.open(n, os.O_WRONLY | os.O_APPEND))),
                    u.stat("stat after write", n)))
                os.chmod(n, m)
                r.user("%s truncate" % n, uid, uid, lambda u, n=n: (
                    u.do("truncate", os.truncate, n, 2), u.stat("stat after truncate", n)))
                os.chmod(n, m)
                r.user("%s ftruncate" % n, uid, uid, lambda u, n=n: (
                    u.do("ftruncate", lambda: (lambda fd: (os.ftruncate(fd, 1), os.close(fd)))(
                        os.open(n, os.O_WRONLY))),
                    u.stat("stat after ftruncate", n)))
                os.chmod(n, m)
                r.user("%s zero write" % n, uid, uid, lambda u, n=n: (
                    u.do("write 0 bytes", lambda: (lambda fd: (os.write(fd, b""), os.close(fd)))(
                        os.open(n, os.O_WRONLY))),
                    u.stat("stat after empty write", n)))


def sc_truncate(r):
    write_file("f", b"0123456789")
    r.times("grow times", ["f"], os.truncate, "f", 100000)
    r.stat("grow", "f", blocks=True)
    r.do("grow reads zeros", lambda: read_file("f")[10:] == bytes(100000 - 10), show=True)
    r.times("shrink times", ["f"], os.truncate, "f", 5)
    r.do("shrink content", read_file, "f", show=True)
    r.times("same size times", ["f"], os.truncate, "f", 5)
    r.do("regrow reads zeros", lambda: (os.truncate("f", 4096 + 7), read_file("f"))[1][5:]
         == bytes(4096 + 2), show=True)
    r.do("truncate 0", os.truncate, "f", 0)
    r.stat("truncate 0 stat", "f", blocks=True)
    r.do("negative", os.truncate, "f", -1)
    os.mkdir("d")
    r.do("dir", os.truncate, "d", 0)
    r.do("enoent", os.truncate, "missing", 0)
    r.do("enotdir", os.truncate, "f/x", 0)
    os.symlink("f", "sl")
    r.do("via symlink", os.truncate, "sl", 3)
    r.stat("via symlink target", "f")
    r.do("huge", os.truncate, "f", 1 << 62)
    r.do("1 TiB sparse", os.truncate, "f", 1 << 40)
    r.stat("1 TiB stat", "f", blocks=True)
    r.do("back", os.truncate, "f", 0)
    fd = r.open("open rdwr", "f", os.O_RDWR)
    r.times("ftruncate times", ["f"], os.ftruncate, fd, 33)
    r.fstat("ftruncate stat", fd)
    r.do("ftruncate negative", os.ftruncate, fd, -5)
    r.close(fd)
    fd = r.open("open rdonly", "f", os.O_RDONLY)
    r.do("ftruncate rdonly fd", os.ftruncate, fd, 0)
    r.close(fd)
    fd = r.open("open dir", "d", os.O_RDONLY)
    r.do("ftruncate dir fd", os.ftruncate, fd, 0)
    r.close(fd)
    r.times("failed truncate times", ["f"], os.truncate, "f", -1)
    r.user("nobody truncate root's 0644", NOBODY, NOBODY,
           lambda u: u.times("truncate", ["f"], os.truncate, "f", 1))
    os.chmod("f", 0o666)
    r.user("nobody truncate root's 0666", NOBODY, NOBODY,
           lambda u: u.times("truncate", ["f"], os.truncate, "f", 1))
    os.mkfifo("fifo")
    r.do("truncate fifo", os.truncate, "fifo", 0)


def sc_utimens(r):
    write_file("f", b"abc")
    r.do("explicit ns", utimensat, "f", (1000000000, 123456789), (1100000000, 987654321))
    s = os.lstat("f")
    r.put("explicit atime", s.st_atime_ns)
    r.put("explicit mtime", s.st_mtime_ns)
    r.do("negative time", utimensat, "f", (-1, 5), (-100000, 999999999))
    s = os.lstat("f")
    r.put("negative atime", s.st_atime_ns)
    r.put("negative mtime", s.st_mtime_ns)
    r.do("year 2100", utimensat, "f", (4102444800, 1), (4102444800, 2))
    s = os.lstat("f")
    r.put("2100 mtime", s.st_mtime_ns)
    r.do("reset", utimensat, "f", (1000000000, 0), (1000000000, 0))
    r.times("omit atime", ["f"], utimensat, "f", (0, UTIME_OMIT), (1200000000, 0))
    r.put("omit atime keeps atime", os.lstat("f").st_atime_ns)
    r.times("omit mtime", ["f"], utimensat, "f", (1300000000, 0), (0, UTIME_OMIT))
    r.put("omit mtime keeps mtime", os.lstat("f").st_mtime_ns)
    r.times("omit both", ["f"], utimensat, "f", (0, UTIME_OMIT), (0, UTIME_OMIT))
    r.times("now both", ["f"], utimensat, "f", (0, UTIME_NOW), (0, UTIME_NOW))
    r.times("now mtime only", ["f"], utimensat, "f", (0, UTIME_OMIT), (0, UTIME_NOW))
    r.times("null times", ["f"], utimensat, "f", None, None)
    # (a minute: "now" and not some fixed time, however loaded the machine)
    r.do("now is recent", lambda: abs(os.lstat("f").st_mtime - time.time()) < 60, show=True)
    r.do("einval nsec", utimensat, "f", (0, 1000000000), (0, 0))
    r.do("einval negative nsec", utimensat, "f", (0, -1), (0, 0))
    r.do("enoent", utimensat, "missing", None, None)
    os.symlink("f", "sl")
    r.do("symlink nofollow", utimensat, "sl", (1400000000, 0), (1400000000, 7), True)
    r.put("symlink mtime", os.lstat("sl").st_mtime_ns)
    r.put("target untouched", os.lstat("f").st_mtime_ns != 1400000000 * 10**9 + 7)
    r.do("symlink follow", utimensat, "sl", (1500000000, 0), (1500000000, 9))
    r.put("target mtime", os.lstat("f").st_mtime_ns)
    os.mkdir("d")
    r.do("dir", utimensat, "d", (1600000000, 1), (1600000000, 2))
    r.put("dir mtime", os.lstat("d").st_mtime_ns)
    fd = r.open("open", "f", os.O_RDONLY)
    r.do("futimens", lambda: os.utime(fd, ns=(1700000000000000003, 1700000000000000004)))
    r.put("futimens mtime", os.fstat(fd).st_mtime_ns)
    r.close(fd)
    write_file("g")
    os.chmod("g", 0o644)
    write_file("w")
    os.chmod("w", 0o666)
    write_file("mine")
    os.chown("mine", NOBODY, NOBODY)
    os.chmod("mine", 0o444)

    def other(u):
        u.do("now on 0644", utimensat, "g", None, None)
        u.do("UTIME_NOW on 0644", utimensat, "g", (0, UTIME_NOW), (0, UTIME_NOW))
        u.do("explicit on 0644", utimensat, "g", (1, 0), (1, 0))
        u.do("omit both on 0644", utimensat, "g", (0, UTIME_OMIT), (0, UTIME_OMIT))
        u.do("now on 0666", utimensat, "w", None, None)
        u.do("UTIME_NOW on 0666", utimensat, "w", (0, UTIME_NOW), (0, UTIME_NOW))
        u.do("now+omit on 0666", utimensat, "w", (0, UTIME_NOW), (0, UTIME_OMIT))
        u.do("explicit on 0666", utimensat, "w", (1, 0), (1, 0))
        u.do("owner explicit on own 0444", utimensat, "mine", (2, 0), (3, 0))
        u.do("owner now on own 0444", utimensat, "mine", None, None)
    r.user("nobody", NOBODY, NOBODY, other)
    r.put("mine mtime", os.lstat("mine").st_mtime_ns > 3 * 10**9)


def sc_atime(r):
    write_file("f", b"some data")
    os.utime("f", ns=(1000, 2000))  # atime older than mtime: a read must update it (relatime)
    r.times("read old atime", ["f"], read_file, "f")
    r.times("second read", ["f"], read_file, "f")
    os.utime("f", ns=(3000, 2000))  # atime newer than mtime, but more than a day old
    r.times("read day-old atime", ["f"], read_file, "f")
    r.times("write", ["f"], lambda: (lambda fd: (os.write(fd, b"x"), os.close(fd)))(
        os.open("f", os.O_WRONLY)))
    r.times("pwrite 0 bytes", ["f"], lambda: (lambda fd: (os.pwrite(fd, b"", 0), os.close(fd)))(
        os.open("f", os.O_WRONLY)))
    r.times("read after write", ["f"], read_file, "f")
    r.times("stat", ["f"], os.stat, "f")
    r.times("open close", ["f"], lambda: os.close(os.open("f", os.O_RDONLY)))
    os.mkdir("d")
    write_file("d/x")
    os.utime("d", ns=(1000, 2000))
    r.times("readdir old atime", ["d"], os.listdir, "d")
    r.times("readdir again", ["d"], os.listdir, "d")
    r.times("lookup in dir", ["d"], os.stat, "d/x")
    os.symlink("f", "sl")
    os.utime("sl", ns=(1000, 2000), follow_symlinks=False)
    r.times("readlink", ["sl"], os.readlink, "sl")


def sc_mknod(r):
    os.umask(0)
    r.times("mkfifo", ["."], os.mkfifo, "fifo", 0o640)
    r.stat("fifo stat", "fifo")
    r.do("mkfifo eexist", os.mkfifo, "fifo")
    r.do("mknod fifo", os.mknod, "fifo2", st.S_IFIFO | 0o600)
    r.stat("fifo2 stat", "fifo2")
    r.do("mknod reg", os.mknod, "reg", st.S_IFREG | 0o600)
    r.stat("reg stat", "reg")
    r.do("mknod type 0", os.mknod, "reg0", 0o600)
    r.stat("reg0 stat", "reg0")
    r.do("mknod sock", os.mknod, "sock", st.S_IFSOCK | 0o755)
    r.stat("sock stat", "sock")
    r.do("mknod chr", os.mknod, "chr", st.S_IFCHR | 0o644, os.makedev(1, 3))
    r.stat("chr stat", "chr")
    r.do("mknod blk", os.mknod, "blk", st.S_IFBLK | 0o644, os.makedev(7, 200))
    r.stat("blk stat", "blk")
    r.do("mknod dir", os.mknod, "dir", st.S_IFDIR | 0o755)
    r.do("mknod bad type", os.mknod, "bad", 0o170000 | 0o644)
    r.do("mknod enoent", os.mknod, "missing/x", st.S_IFIFO | 0o644)
    r.do("mknod enotdir", os.mknod, "reg/x", st.S_IFIFO | 0o644)
    r.do("chr open", lambda: os.close(os.open("chr", os.O_RDONLY)))
    r.do("chr read", lambda: (lambda fd: (os.read(fd, 10), os.close(fd))[0])(
        os.open("chr", os.O_RDONLY)), show=True)
    r.do("fifo open nonblock", lambda: os.close(os.open("fifo", os.O_RDONLY | os.O_NONBLOCK)))
    r.do("fifo roundtrip", fifo_roundtrip, "fifo", show=True)
    os.mkdir("pub", 0o777)
    r.user("nobody", NOBODY, NOBODY, lambda u: (
        u.do("mkfifo", os.mkfifo, "pub/f", 0o644), u.stat("stat", "pub/f"),
        u.do("mknod chr", os.mknod, "pub/c", st.S_IFCHR | 0o644, os.makedev(1, 3)),
        u.do("mknod sock", os.mknod, "pub/s", st.S_IFSOCK | 0o644)))
    os.umask(0o022)


def fifo_roundtrip(path):
    """Writes through a fifo and reads it back; returns what was read."""
    rfd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    wfd = os.open(path, os.O_WRONLY)
    os.write(wfd, b"through the fifo")
    data = os.read(rfd, 100)
    os.close(wfd)
    os.close(rfd)
    return data


def sc_access(r):
    for m in (0o000, 0o400, 0o200, 0o100, 0o644, 0o755, 0o004, 0o002, 0o001, 0o040, 0o070):
        n = "f%03o" % m
        write_file(n)
        os.chmod(n, m)
    names = sorted(n for n in os.listdir(".") if n.startswith("f"))

    def check(u):
        for n in names:
            for mode, tag in ((os.F_OK, "F"), (os.R_OK, "R"), (os.W_OK, "W"), (os.X_OK, "X"),
                              (os.R_OK | os.W_OK, "RW")):
                u.do("access %s %s" % (n, tag), lambda n=n, mode=mode: (
                    None if os.access(n, mode) else (_ for _ in ()).throw(
                        OSError(errno.EACCES, "access"))))
    r.user("nobody", NOBODY, NOBODY, check)
    for n in names:
        os.chown(n, NOBODY, NOBODY)
    r.user("owner", NOBODY, NOBODY, check)
    for n in names:
        os.chown(n, 0, NOBODY)
    r.user("group", NOBODY, NOBODY, check)
    check(r)
    r.do("faccessat eaccess", lambda: os.access("f755", os.W_OK, effective_ids=True), show=True)
    r.do("access symlink nofollow", lambda: (os.symlink("f000", "sl"),
                                            os.access("sl", os.R_OK, follow_symlinks=False))[1],
         show=True)
    r.do("access enoent", lambda: os.access("missing", os.F_OK), show=True)


def sc_traverse(r):
    os.mkdir("d", 0o700)
    write_file("d/f", b"secret")
    os.chmod("d/f", 0o666)
    os.mkdir("nox", 0o766)
    write_file("nox/f", b"x")
    os.mkdir("nor", 0o733)
    write_file("nor/f", b"x")
    os.mkdir("ro", 0o755)
    write_file("ro/f", b"x")
    os.chmod("ro/f", 0o644)

    def other(u):
        u.do("stat in 0700", os.stat, "d/f")
        u.do("open in 0700", os.open, "d/f", os.O_RDONLY)
        u.do("create in 0700", os.open, "d/n", os.O_WRONLY | os.O_CREAT)
        u.do("listdir 0700", os.listdir, "d")
        u.do("stat in 0766", os.stat, "nox/f")
        u.do("listdir 0766", lambda: sorted(os.listdir("nox")), show=True)
        u.do("chdir 0766", os.open, "nox/.", os.O_RDONLY)
        u.do("stat in 0733", lambda: os.stat("nor/f").st_size, show=True)
        u.do("listdir 0733", os.listdir, "nor")
        u.do("create in 0733", lambda: os.close(os.open("nor/n", os.O_WRONLY | os.O_CREAT)))
        u.do("open 0644 wronly", os.open, "ro/f", os.O_WRONLY)
        u.do("open 0644 rdwr", os.open, "ro/f", os.O_RDWR)
        u.do("open 0644 rdonly", lambda: os.close(os.open("ro/f", os.O_RDONLY)))
        u.do("open 0644 trunc", os.open, "ro/f", os.O_RDONLY | os.O_TRUNC)
        u.do("create in 0755", os.open, "ro/n", os.O_WRONLY | os.O_CREAT)
        u.do("open existing creat in 0755", lambda: os.close(os.open("ro/f", os.O_RDONLY | os.O_CREAT)))
        u.do("unlink in 0755", os.unlink, "ro/f")
        u.do("mkdir in 0755", os.mkdir, "ro/x")
        u.do("rename in 0755", os.rename, "ro/f", "ro/g")
        u.do("truncate 0644", os.truncate, "ro/f", 0)
        u.do("setxattr 0644", os.setxattr, "ro/f", "user.k", b"v")
    r.user("nobody", NOBODY, NOBODY, other)
    os.chown("d", 0, NOBODY)
    os.chmod("d", 0o710)
    r.user("group search", NOBODY, NOBODY, lambda u: (
        u.do("stat", lambda: os.stat("d/f").st_size, show=True),
        u.do("listdir", os.listdir, "d")))
    os.chmod("d", 0o000)
    r.do("root in 0000 dir", lambda: os.stat("d/f").st_size, show=True)
    write_file("noexec", b"x")
    os.chmod("noexec", 0o644)
    r.do("root access X on 0644", lambda: os.access("noexec", os.X_OK), show=True)
    os.chmod("noexec", 0o000)
    r.do("root open 0000 rdwr", lambda: os.close(os.open("noexec", os.O_RDWR)))


def sc_rw(r):
    fd = r.open("open", "f", os.O_RDWR | os.O_CREAT)
    r.do("pwrite past eof", os.pwrite, fd, b"tail", 1 << 20, show=True)
    r.fstat("sparse stat", fd, blocks=True)
    r.do("hole reads zeros", lambda: os.pread(fd, 1 << 20, 0) == bytes(1 << 20), show=True)
    r.do("read at eof", os.pread, fd, 10, (1 << 20) + 4, show=True)
    r.do("read past eof", os.pread, fd, 10, 5 << 20, show=True)
    r.do("read across eof", os.pread, fd, 100, (1 << 20) + 2, show=True)
    r.do("pwrite into hole", os.pwrite, fd, b"mid", 100000, show=True)
    r.fstat("after hole write", fd, blocks=True)
    r.do("around hole write", os.pread, fd, 7, 99998, show=True)
    r.do("pwrite far", os.pwrite, fd, b"z", 10 << 30, show=True)
    r.fstat("far stat", fd, blocks=True)
    r.do("pwrite negative", os.pwrite, fd, b"z", -1)
    r.do("pread negative", os.pread, fd, 1, -1)
    r.do("lseek end", os.lseek, fd, 0, os.SEEK_END, show=True)
    r.do("lseek negative", os.lseek, fd, -1, os.SEEK_SET)
    r.do("lseek past end", os.lseek, fd, 1 << 40, os.SEEK_SET, show=True)
    r.do("read at 1 TiB", os.read, fd, 5, show=True)
    r.close(fd)
    write_file("a", b"start")
    fd = r.open("open append", "a", os.O_WRONLY | os.O_APPEND)
    r.do("append write", os.write, fd, b"-one", show=True)
    os.lseek(fd, 0, os.SEEK_SET)
    r.do("append after seek 0", os.write, fd, b"-two", show=True)
    r.do("append pwrite", os.pwrite, fd, b"-three", 0, show=True)
    r.do("append position", os.lseek, fd, 0, os.SEEK_CUR, show=True)
    r.close(fd)
    r.do("append content", read_file, "a", show=True)
    fd2 = os.open("a", os.O_WRONLY)
    fd3 = r.open("second append fd", "a", os.O_WRONLY | os.O_APPEND)
    os.pwrite(fd2, b"0123456789012345678901234567890123456789", 0)
    r.do("append after another fd grew it", os.write, fd3, b"!", show=True)
    os.close(fd2)
    r.close(fd3)
    r.do("append content 2", read_file, "a", show=True)
    fd = r.open("big", "big", os.O_RDWR | os.O_CREAT | os.O_TRUNC)
    data = bytes(random.Random(7).getrandbits(8) for _ in range(300000))
    r.do("big write", os.write, fd, data, show=True)
    r.do("big read back", lambda: hashlib.sha256(os.pread(fd, 400000, 0)).hexdigest(), show=True)
    r.do("unaligned overwrite", os.pwrite, fd, b"Q" * 5000, 4093, show=True)
    r.do("read back 2", lambda: hashlib.sha256(os.pread(fd, 400000, 0)).hexdigest(), show=True)
    r.fstat("big stat", fd, blocks=True)
    r.do("posix_fallocate", os.posix_fallocate, fd, 0, 500000)
    r.fstat("posix_fallocate stat", fd, blocks=True)
    r.do("posix_fallocate keeps data", lambda: hashlib.sha256(os.pread(fd, 300000, 0)).hexdigest(),
         show=True)
    r.do("posix_fallocate zeros", lambda: os.pread(fd, 10, 400000), show=True)
    r.do("posix_fallocate einval", os.posix_fallocate, fd, 0, 0)
    r.do("fsync", os.fsync, fd)
    r.do("fdatasync", os.fdatasync, fd)
    r.close(fd)
    os.mkdir("d")
    fd = os.open("d", os.O_RDONLY)
    r.do("read dir fd", os.read, fd, 10)
    r.do("fsync dir fd", os.fsync, fd)
    os.close(fd)
    write_file("s")
    r.do("1-byte file blocks", lambda: os.lstat("s").st_blocks, show=True)
    r.do("empty file blocks", lambda: (os.truncate("s", 0), os.lstat("s").st_blocks)[1], show=True)


def sc_readdir(r):
    os.mkdir("d")
    for i in range(400):
        write_file("d/file%03d" % i)
    for i in range(0, 400, 3):
        os.unlink("d/file%03d" % i)
    for i in range(1, 400, 7):
        if os.path.exists("d/file%03d" % i):
            os.rename("d/file%03d" % i, "d/renamed%03d" % i)
    for i in range(50):
        os.mkdir("d/sub%02d" % i)
    r.listdir("listing", "d")
    r.stat("nlink", "d")
    names = set(os.listdir("d"))
    r.put("count", len(names))
    fd = os.open("d", os.O_RDONLY)
    seen = []
    with os.scandir(fd) as it:
        for i, e in enumerate(it):
            seen.append(e.name)
            if i == 10:
                os.unlink("d/file002")  # removed while listing: may or may not show, not twice
    os.close(fd)
    r.put("no duplicates while deleting", len(seen) == len(set(seen)))
    r.put("all others seen", names - {"file002"} <= set(seen))
    r.do("types", lambda: sorted({(e.is_dir(follow_symlinks=False), e.is_file(
        follow_symlinks=False)) for e in os.scandir("d")}), show=True)
    r.do("inodes match stat", lambda: all(
        e.inode() == os.lstat("d/" + e.name).st_ino for e in os.scandir("d")), show=True)
    for n in list(os.listdir("d")):
        p = "d/" + n
        if os.path.isdir(p):
            os.rmdir(p)
        else:
            os.unlink(p)
    r.listdir("emptied", "d")
    r.stat("emptied nlink", "d")
    r.do("rmdir emptied", os.rmdir, "d")
    write_file("f")
    r.do("listdir of a file", os.listdir, "f")
    r.do("listdir enoent", os.listdir, "missing")


def sc_statvfs(r):
    def facts():
        s = os.statvfs(".")
        return {"namemax": s.f_namemax, "bsize>0": s.f_bsize > 0, "frsize>0": s.f_frsize > 0,
                "blocks>=bfree": s.f_blocks >= s.f_bfree, "bfree>=bavail": s.f_bfree >= s.f_bavail,
                "files>=ffree": s.f_files >= s.f_ffree}, s
    f, s0 = facts()
    r.put("facts", sorted(f.items()))
    fd = os.open("big", os.O_WRONLY | os.O_CREAT)
    os.write(fd, bytes(4 << 20))
    os.fsync(fd)
    os.close(fd)
    s1 = os.statvfs(".")
    used = (s0.f_bfree - s1.f_bfree) * s1.f_frsize
    r.put("4 MiB write uses >= 4 MiB", used >= (4 << 20))
    r.put("inode used", s0.f_ffree - s1.f_ffree >= 1 or s1.f_files == 0)
    os.unlink("big")
    os.sync()
    deadline = time.monotonic() + 30   # a wait-for: the free is committed within a second
    while time.monotonic() < deadline:
        s2 = os.statvfs(".")
        if s2.f_bfree >= s0.f_bfree:
            break
        time.sleep(0.1)
    r.put("unlink gives it back", s2.f_bfree >= s0.f_bfree - 16)
    fd = os.open(".", os.O_RDONLY)
    r.do("fstatvfs", lambda: os.fstatvfs(fd).f_namemax, show=True)
    os.close(fd)
    r.do("statvfs enoent", os.statvfs, "missing")


def sc_xattr(r):
    write_file("f")
    r.do("set", os.setxattr, "f", "user.k", b"v")
    r.do("get", os.getxattr, "f", "user.k", show=True)
    r.do("list", lambda: [n for n in os.listxattr("f") if n.startswith("user.")], show=True)
    r.do("create exists", os.setxattr, "f", "user.k", b"w", os.XATTR_CREATE)
    r.do("replace missing", os.setxattr, "f", "user.m", b"w", os.XATTR_REPLACE)
    r.do("get missing", os.getxattr, "f", "user.m")
    r.do("remove", os.removexattr, "f", "user.k")
    r.do("remove missing", os.removexattr, "f", "user.k")
    r.times("setxattr times", ["f"], os.setxattr, "f", "user.t", b"1")
    r.do("empty value", os.setxattr, "f", "user.e", b"")
    r.do("get empty", os.getxattr, "f", "user.e", show=True)


def sc_dirs(r):
    os.mkdir("a")
    os.mkdir("a/b")
    r.stat("a nlink", "a")
    r.stat("root nlink", ".")
    r.do("dotdot ino", lambda: os.lstat("a/b/..").st_ino == os.lstat("a").st_ino, show=True)
    r.do("dot ino", lambda: os.lstat("a/.").st_ino == os.lstat("a").st_ino, show=True)
    r.do("listing", lambda: sorted(os.listdir("a")), show=True)
    fd = os.open("a/b", os.O_RDONLY)
    os.rmdir("a/b")
    r.do("fstat removed dir", lambda: os.fstat(fd).st_nlink, show=True)
    r.do("create in removed dir", os.open, "/proc/self/fd/%d/x" % fd, os.O_WRONLY | os.O_CREAT)
    os.close(fd)
    r.stat("a nlink after", "a")
    old = os.getcwd()
    os.mkdir("c")
    os.chdir("c")
    os.rmdir("../c")
    try:
        r.do("create in removed cwd", os.open, "x", os.O_WRONLY | os.O_CREAT)
        r.do("mkdir in removed cwd", os.mkdir, "y")
        r.do("listdir removed cwd", os.listdir, ".")
    finally:
        os.chdir(old)


TYPES = ["reg", "dir", "fifo", "blk", "chr", "sock", "lnk"]


def make(kind, path):
    """Creates a node of kind (one of TYPES) at path, mode 0644 (dirs 0755)."""
    if kind == "reg":
        write_file(path)
    elif kind == "dir":
        os.mkdir(path, 0o755)
    elif kind == "fifo":
        os.mkfifo(path, 0o644)
    elif kind == "blk":
        os.mknod(path, st.S_IFBLK | 0o644, os.makedev(4095, 1048575))
    elif kind == "chr":
        os.mknod(path, st.S_IFCHR | 0o644, os.makedev(255, 65536))
    elif kind == "sock":
        os.mknod(path, st.S_IFSOCK | 0o644)
    else:
        os.symlink("target-of-" + path, path)


def sc_types(r):
    """pjdfstest's loops over every file type: ctime effects of chmod/chown/link/rename/unlink,
    errors that depend on the type."""
    os.mkdir("pub", 0o777)
    for k in TYPES:
        n = "n-" + k
        r.times("%s create" % k, ["."], make, k, n)
        r.stat("%s stat" % k, n)
        if k != "lnk":
            r.times("%s chmod" % k, [n], os.chmod, n, 0o640)
            r.stat("%s chmod stat" % k, n)
        r.times("%s lchown" % k, [n], os.lchown, n, 123, 456)
        r.stat("%s lchown stat" % k, n)
        r.times("%s lchown back" % k, [n], os.lchown, n, 0, 0)
        if k != "dir":
            r.times("%s link" % k, [n, "."], os.link, n, n + ".2")
            r.stat("%s link stat" % k, n)
            r.times("%s unlink one" % k, [n, "."], os.unlink, n + ".2")
            r.stat("%s unlink stat" % k, n)
        r.times("%s rename" % k, [n + ">" + n + ".r", "."], os.rename, n, n + ".r")
        r.stat("%s rename stat" % k, n + ".r")
        r.times("%s rename across" % k, [n + ".r>pub/" + n, ".", "pub"], os.rename, n + ".r",
                "pub/" + n)
        r.do("%s open wronly" % k, lambda n=n: os.close(os.open("pub/" + n, os.O_WRONLY |
                                                             os.O_NONBLOCK)))
        r.do("%s truncate" % k, os.truncate, "pub/" + n, 0)
        r.do("%s mkdir over" % k, os.mkdir, "pub/" + n)
        r.do("%s rmdir" % k, os.rmdir, "pub/" + n)
        r.do("%s readlink" % k, os.readlink, "pub/" + n, show=(k == "lnk"))
        r.do("%s excl create" % k, os.open, "pub/" + n, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        r.do("%s component" % k, os.lstat, "pub/" + n + "/x")
        r.do("%s rename over dir" % k, os.rename, "pub/" + n, "pub")
        r.do("%s utimens" % k, utimensat, "pub/" + n, (5, 6), (7, 8), True)
        r.put("%s utimens mtime" % k, os.lstat("pub/" + n).st_mtime_ns)
        r.user("%s nobody" % k, NOBODY, NOBODY, lambda u, n=n: (
            u.do("chmod", os.chmod, "pub/" + n, 0o777),
            u.do("lchown", os.lchown, "pub/" + n, NOBODY, NOBODY),
            u.do("rename", os.rename, "pub/" + n, "pub/" + n + ".x")))
        os.rename("pub/" + n + ".x", "pub/" + n) if os.path.lexists("pub/" + n + ".x") else None
        if k == "dir":
            r.times("%s remove" % k, ["pub"], os.rmdir, "pub/" + n)
        else:
            r.times("%s remove" % k, ["pub"], os.unlink, "pub/" + n)
    for k in TYPES:
        n = "s-" + k
        make(k, n)
        os.chmod(n, 0o6755) if k != "lnk" else None
        r.do("%s root chown setid" % k, os.chown, n, 7, 8)
        r.stat("%s root chown setid stat" % k, n, follow=False)


def sc_exec(r):
    """ETXTBSY: a running executable cannot be opened for writing or truncated."""
    import subprocess
    src = shutil.which("sleep") or "/bin/sleep"
    shutil.copy(src, "prog")
    os.chmod("prog", 0o755)
    # Popen returns once the exec has happened, so the text is busy from here on; the program
    # runs until killed below, however slow the machine is.
    p = subprocess.Popen(["./prog", "600"])
    try:
        r.do("open wronly", os.open, "prog", os.O_WRONLY)
        r.do("open rdwr", os.open, "prog", os.O_RDWR)
        r.do("truncate", os.truncate, "prog", 0)
        r.do("open rdonly", lambda: os.close(os.open("prog", os.O_RDONLY)))
        r.do("unlink", os.unlink, "prog")
    finally:
        p.kill()
        p.wait()
    shutil.copy(src, "prog2")
    os.chmod("prog2", 0o755)
    r.do("exec", lambda: subprocess.run(["./prog2", "0"]).returncode, show=True)
    os.chmod("prog2", 0o644)
    r.do("exec without x", lambda: subprocess.run(["./prog2", "0"]).returncode)


SCENARIOS = [sc_open, sc_names, sc_paths, sc_mkdir, sc_rmdir, sc_link, sc_rename, sc_symlink, sc_chmod,
             sc_chown, sc_killpriv, sc_truncate, sc_utimens, sc_atime, sc_mknod, sc_access,
             sc_traverse, sc_rw, sc_readdir, sc_statvfs, sc_xattr, sc_dirs, sc_types, sc_exec]


# ---------------------------------------------------------------------------------------------
# Random sequences


POOL = ["a", "b", "c", "d1", "d2", "d1/a", "d1/b", "d1/d3", "d1/d3/a", "d2/c", "d2/d1"]
MODES = [0o644, 0o600, 0o755, 0o000, 0o4755, 0o2775, 0o1777]


def snapshot(base="."):
    """Returns the whole tree under base as sorted lines, with hard links as group numbers."""
    lines = []
    inos = {}
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames.sort()
        for n in sorted(dirnames + filenames):
            p = os.path.join(dirpath, n)
            s = os.lstat(p)
            line = p + " " + fmt_stat(s)
            if st.S_ISREG(s.st_mode):
                with open(p, "rb") as f:
                    line += " sha=" + hashlib.sha256(f.read()).hexdigest()[:12]
                line += " link=%d" % inos.setdefault(s.st_ino, len(inos))
            elif st.S_ISLNK(s.st_mode):
                line += " -> " + os.readlink(p)
            lines.append(line)
    return lines


def random_ops(r, seed, steps):
    """Runs steps seeded random operations, recording each outcome and the tree after it."""
    rng = random.Random(seed)
    fds = []

    def name():
        return rng.choice(POOL)
    for step in range(steps):
        op = rng.choice(["creat", "creat", "mkdir", "mkdir", "rmdir", "unlink", "rename",
                         "rename", "link", "symlink", "truncate", "pwrite", "pwrite", "chmod",
                         "read", "readdir", "openkeep", "closekeep", "ftruncate", "stat"])
        a, b = name(), name()
        off = rng.choice([0, 1, 4095, 4096, 5000, 65536, 1 << 20])
        size = rng.choice([0, 1, 100, 4096, 10000])
        mode = rng.choice(MODES)
        data = bytes([rng.randrange(256)]) * rng.choice([1, 10, 5000])
        label = "%d %s %s %s" % (step, op, a, b if op in ("rename", "link", "symlink") else "")
        if op == "creat":
            r.do(label, lambda: os.close(os.open(a, os.O_CREAT | os.O_WRONLY, mode)))
        elif op == "mkdir":
            r.do(label, os.mkdir, a, mode)
        elif op == "rmdir":
            r.do(label, os.rmdir, a)
        elif op == "unlink":
            r.do(label, os.unlink, a)
        elif op == "rename":
            r.do(label, os.rename, a, b)
        elif op == "link":
            r.do(label, os.link, a, b)
        elif op == "symlink":
            r.do(label, os.symlink, rng.choice([a, "../" + a, "nowhere"]), b)
        elif op == "truncate":
            r.do(label, os.truncate, a, size)
        elif op == "pwrite":
            r.do(label, lambda: (lambda fd: (os.pwrite(fd, data, off), os.close(fd))[0])(
                os.open(a, os.O_WRONLY)), show=True)
        elif op == "chmod":
            r.do(label, os.chmod, a, mode)
        elif op == "read":
            r.do(label, lambda: hashlib.sha256(read_file(a)).hexdigest()[:12], show=True)
        elif op == "readdir":
            r.do(label, lambda: sorted(os.listdir(a)), show=True)
        elif op == "openkeep":
            fd = r.do(label, os.open, a, os.O_RDWR)
            if fd is not None:
                fds.append(fd)
        elif op == "closekeep":
            if fds:
                fd = fds.pop(rng.randrange(len(fds)))
                r.do(label, lambda: (os.pwrite(fd, data, off), os.fstat(fd).st_nlink,
                                     os.fstat(fd).st_size, os.close(fd))[:3], show=True)
        elif op == "ftruncate":
            if fds:
                fd = fds[rng.randrange(len(fds))]
                r.do(label, lambda: (os.ftruncate(fd, size), os.fstat(fd).st_size)[1],
                     show=True)
        elif op == "stat":
            r.stat(label, a)
        r.put("%d tree" % step, "\n".join(snapshot()))
    for fd in fds:
        os.close(fd)


# ---------------------------------------------------------------------------------------------
# Driver


def run_tree(root, scenario, fn):
    """Runs scenario fn in a fresh directory under root; returns its record."""
    base = os.path.join(root, scenario)
    os.mkdir(base)
    os.chmod(base, 0o755)
    old = os.getcwd()
    os.chdir(base)
    os.umask(0o022)
    rec = Rec(scenario)
    try:
        fn(rec)
    except Exception as e:  # pylint: disable=broad-except
        rec.put("exception", repr(e))
    finally:
        for fd in rec.fds:
            try:
                os.close(fd)
            except OSError:
                pass
        os.umask(0o022)
        os.chdir(old)
    return rec.lines


def allowed(key, value):
    """Returns the reason if the sealfs line (key, value) is an allowed difference, else None."""
    for pattern, want, reason in ALLOW:
        if fnmatch.fnmatchcase(key, pattern) and (
                want is None or fnmatch.fnmatchcase(value, want)):
            return reason
    return None


def compare(host, test, out):
    """Compares two records line by line; returns (compared, diffs, allowed) counts."""
    diffs = allows = 0
    n = max(len(host), len(test))
    for i in range(n):
        h = host[i] if i < len(host) else ("<missing>", "<missing>")
        t = test[i] if i < len(test) else ("<missing>", "<missing>")
        if h == t:
            continue
        if h[0] != t[0]:
            out.append("DIFF  step %d: host did %r, sealfs did %r (records out of step)"
                       % (i, h[0], t[0]))
            return n, diffs + 1, allows
        reason = allowed(t[0], t[1])
        if reason:
            allows += 1
            out.append("ALLOW %s: host=%s sealfs=%s  (%s)" % (h[0], h[1], t[1], reason))
        else:
            diffs += 1
            out.append("DIFF  %s:\n        host:   %s\n        sealfs: %s"
                       % (h[0], h[1].replace("\n", "\n                "),
                          t[1].replace("\n", "\n                ")))
            if h[0].split("/")[0].startswith("random"):
                return n, diffs, allows  # later steps of a random run follow from this one
    return n, diffs, allows


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("host")
    ap.add_argument("test")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=3, help="random runs (seeds seed..seed+runs-1)")
    ap.add_argument("--steps", type=int, default=300, help="steps per random run")
    ap.add_argument("--only", action="append", help="run only scenarios whose name has this")
    args = ap.parse_args(argv[1:])
    if os.geteuid() != 0:
        print("posixdiff: must run as root (it switches to other users)", file=sys.stderr)
        return 2
    jobs = [(f.__name__[3:], f) for f in SCENARIOS]
    for k in range(args.runs):
        seed = args.seed + k
        jobs.append(("random%d" % seed,
                     lambda r, seed=seed: random_ops(r, seed, args.steps)))
    if args.only:
        jobs = [j for j in jobs if any(o in j[0] for o in args.only)]
    total = diffs = allows = 0
    for name, fn in jobs:
        t0 = time.time()
        host = run_tree(args.host, name, fn)
        test = run_tree(args.test, name, fn)
        out = []
        n, d, a = compare(host, test, out)
        total += n
        diffs += d
        allows += a
        print("%-10s %4d checks, %d differences, %d allowed (%.1fs)"
              % (name, n, d, a, time.time() - t0))
        for line in out:
            print("  " + line)
        sys.stdout.flush()
    print("posixdiff: %d checks, %d differences, %d allowed differences" % (total, diffs, allows))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
