#!/usr/bin/env python3
"""Runs one file-system call and prints OK or the errno name (ENOENT, ...) it failed with.

Usage: fsop.py OP ARGS...   (used by expect_errno in common.sh)

  rename SRC DST | link SRC DST | symlink TARGET LINK | unlink PATH | rmdir PATH | mkdir PATH
  open PATH [FLAGS]   FLAGS: comma list of O_* names without the O_ (e.g. RDWR,CREAT,EXCL)
  stat PATH | lstat PATH | readlink PATH | chdir PATH | truncate PATH LEN
  setxattr PATH NAME VALUE [create|replace] | getxattr PATH NAME | removexattr PATH NAME
Exit status 0 when the call succeeded, 1 when it failed with an OSError, 2 on bad usage.
"""
import errno
import os
import sys


def _open(path, flags="RDONLY"):
    bits = 0
    for name in flags.split(","):
        bits |= getattr(os, "O_" + name)
    fd = os.open(path, bits, 0o644)
    os.close(fd)


def _setxattr(path, name, value, how=None):
    flags = {None: 0, "create": os.XATTR_CREATE, "replace": os.XATTR_REPLACE}[how]
    os.setxattr(path, name, value.encode(), flags, follow_symlinks=False)


OPS = {
    "rename": lambda a, b: os.rename(a, b),
    "link": lambda a, b: os.link(a, b),
    "symlink": lambda t, l: os.symlink(t, l),
    "unlink": lambda p: os.unlink(p),
    "rmdir": lambda p: os.rmdir(p),
    "mkdir": lambda p: os.mkdir(p),
    "open": _open,
    "stat": lambda p: os.stat(p),
    "lstat": lambda p: os.lstat(p),
    "readlink": lambda p: os.readlink(p),
    "chdir": lambda p: os.chdir(p),
    "truncate": lambda p, n: os.truncate(p, int(n)),
    "setxattr": _setxattr,
    "getxattr": lambda p, n: os.getxattr(p, n, follow_symlinks=False),
    "removexattr": lambda p, n: os.removexattr(p, n, follow_symlinks=False),
}


def main(argv):
    if len(argv) < 2 or argv[1] not in OPS:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        OPS[argv[1]](*argv[2:])
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
