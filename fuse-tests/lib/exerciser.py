#!/usr/bin/env python3
"""Randomized file-operation exerciser with an in-memory model (seeded, reproducible).

Usage: exerciser.py DIR [--seed N] [--ops N] [--files N] [--max-size BYTES] [--save MODEL_DIR]
                         [--existing]
       exerciser.py DIR --check MODEL_DIR     (compare files in DIR with a saved model)

The files are DIR/ex0 .. ex(N-1), created empty; with --existing, every regular file below DIR
instead, each starting from its current content (e.g. a tree `cp -r` filled with shared
extents, SPEC 11). --save and --check name the files by their path relative to DIR.

Ops: pwrite, truncate up/down, fallocate (allocate, keep-size, punch hole, zero range, with and
without keep-size) through ctypes, write through a shared mmap (the file is grown first), read,
reopen. After every op the whole file is compared with a bytearray model; on a mismatch the seed,
the op number and the op are printed and the exit status is 1.
"""
import argparse
import ctypes
import ctypes.util
import mmap
import os
import random
import sys

FALLOC_FL_KEEP_SIZE = 0x01
FALLOC_FL_PUNCH_HOLE = 0x02
FALLOC_FL_ZERO_RANGE = 0x10

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
_libc.fallocate.restype = ctypes.c_int


def fallocate(fd, mode, off, length):
    """Calls fallocate(2); raises OSError on failure."""
    if _libc.fallocate(fd, mode, off, length) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


class Mismatch(Exception):
    """The file's content differs from the model."""


class File:
    """One file under test and its model."""

    def __init__(self, path, name, existing=False):
        self.path = path
        self.name = name
        if existing:
            self.fd = os.open(path, os.O_RDWR)
            size = os.fstat(self.fd).st_size
            self.model = bytearray(os.pread(self.fd, size + 1, 0))
            if len(self.model) != size:
                raise Mismatch(f"{name}: read {len(self.model)} bytes of {size}")
        else:
            self.model = bytearray()
            self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)

    def reopen(self):
        os.close(self.fd)
        self.fd = os.open(self.path, os.O_RDWR)

    def grow(self, n):
        if len(self.model) < n:
            self.model.extend(bytes(n - len(self.model)))

    def check(self):
        size = os.fstat(self.fd).st_size
        if size != len(self.model):
            raise Mismatch(f"size {size}, model {len(self.model)}")
        data = os.pread(self.fd, size + 1, 0)
        if data != bytes(self.model):
            n = min(len(data), len(self.model))
            first = next((i for i in range(n) if data[i] != self.model[i]), n)
            raise Mismatch(f"content differs first at byte {first} (read {len(data)} bytes, "
                           f"file has {data[first:first + 8].hex()} model has "
                           f"{bytes(self.model[first:first + 8]).hex()})")


def regular_files(top):
    """Returns the regular files below TOP (symlinks not followed), relative to it, sorted."""
    names = []
    for d, _, entries in os.walk(top):
        for e in entries:
            p = os.path.join(d, e)
            if os.path.isfile(p) and not os.path.islink(p):
                names.append(os.path.relpath(p, top))
    return sorted(names)


def rand_range(rng, max_size, cur):
    """Picks (offset, length), biased to block edges and to the current end of file."""
    edge = rng.random()
    if edge < 0.3:
        off = rng.randrange(0, max_size // 4096) * 4096
    elif edge < 0.5 and cur > 0:
        off = max(0, cur - rng.randrange(0, 8192))
    else:
        off = rng.randrange(0, max_size)
    length = rng.choice([1, 511, 512, 4095, 4096, 4097, 8192, 65536, rng.randrange(1, 200000)])
    length = max(1, min(length, max_size - off))
    return off, length


def do_op(rng, f, max_size):
    """Runs one random op on f and updates its model; returns a description."""
    cur = len(f.model)
    kind = rng.choices(
        ["pwrite", "trunc_up", "trunc_down", "falloc", "falloc_keep", "punch", "zero",
         "zero_keep", "mmap", "read", "reopen"],
        weights=[30, 6, 8, 5, 5, 10, 6, 6, 10, 8, 6])[0]
    off, length = rand_range(rng, max_size, cur)
    if kind == "pwrite":
        val = bytes([rng.randrange(1, 256)]) * length
        os.pwrite(f.fd, val, off)
        f.grow(off + length)
        f.model[off:off + length] = val
    elif kind == "trunc_up":
        n = min(max_size, cur + rng.randrange(1, 100000))
        os.ftruncate(f.fd, n)
        f.grow(n)
        off, length = n, 0
    elif kind == "trunc_down":
        n = rng.randrange(0, cur + 1)
        os.ftruncate(f.fd, n)
        del f.model[n:]
        off, length = n, 0
    elif kind in ("falloc", "falloc_keep"):
        keep = kind == "falloc_keep"
        fallocate(f.fd, FALLOC_FL_KEEP_SIZE if keep else 0, off, length)
        if not keep:
            f.grow(off + length)
    elif kind == "punch":
        fallocate(f.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, length)
        end = min(off + length, cur)
        if end > off:
            f.model[off:end] = bytes(end - off)
    elif kind in ("zero", "zero_keep"):
        keep = kind == "zero_keep"
        fallocate(f.fd, FALLOC_FL_ZERO_RANGE | (FALLOC_FL_KEEP_SIZE if keep else 0), off, length)
        if not keep:
            f.grow(off + length)
        end = min(off + length, len(f.model))
        if end > off:
            f.model[off:end] = bytes(end - off)
    elif kind == "mmap":
        if off + length > cur:
            os.ftruncate(f.fd, off + length)
            f.grow(off + length)
        val = bytes([rng.randrange(1, 256)]) * length
        m = mmap.mmap(f.fd, len(f.model), mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        try:
            m[off:off + length] = val
            m.flush()
        finally:
            m.close()
        f.model[off:off + length] = val
    elif kind == "read":
        data = os.pread(f.fd, length, off)
        want = bytes(f.model[off:off + length])
        if data != want:
            raise Mismatch(f"pread({off}, {length}) returned {len(data)} bytes that differ")
    elif kind == "reopen":
        f.reopen()
        off = length = 0
    return f"{kind}(off={off}, len={length}) on {f.name} (size was {cur})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--ops", type=int, default=2000)
    ap.add_argument("--files", type=int, default=2)
    ap.add_argument("--max-size", type=int, default=1 << 20)
    ap.add_argument("--save", help="write each file's model to this directory at the end")
    ap.add_argument("--check", help="only compare the files in DIR with models saved here")
    ap.add_argument("--existing", action="store_true",
                    help="exercise every regular file below DIR, from its current content")
    a = ap.parse_args()

    if a.check:
        bad = 0
        names = regular_files(a.check)
        for name in names:
            with open(os.path.join(a.check, name), "rb") as m, \
                    open(os.path.join(a.dir, name), "rb") as f:
                if m.read() != f.read():
                    print(f"MISMATCH {name} differs from its saved model", file=sys.stderr)
                    bad += 1
        print(f"checked {len(names)} files against saved models, {bad} differ")
        return 1 if bad else 0

    seed = a.seed if a.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    if a.existing:
        files = [File(os.path.join(a.dir, n), n, True) for n in regular_files(a.dir)]
        if not files:
            print(f"exerciser: no regular files below {a.dir}", file=sys.stderr)
            return 1
        # the ops stay below max_size: make room for the largest file as it is
        a.max_size = max([a.max_size] + [len(f.model) for f in files])
    else:
        files = [File(os.path.join(a.dir, f"ex{i}"), f"ex{i}") for i in range(a.files)]
    print(f"exerciser: seed={seed} ops={a.ops} files={len(files)} max_size={a.max_size}",
          flush=True)
    counts = {}
    for i in range(a.ops):
        f = rng.choice(files)
        desc = "?"
        try:
            desc = do_op(rng, f, a.max_size)
            f.check()
        except (Mismatch, OSError) as e:
            print(f"FAILED seed={seed} op#{i}: {desc}: {type(e).__name__}: {e}", file=sys.stderr)
            again = " --existing (on the same starting files)" if a.existing else ""
            print(f"reproduce: exerciser.py DIR --seed {seed} --ops {i + 1}{again}",
                  file=sys.stderr)
            return 1
        kind = desc.split("(")[0]
        counts[kind] = counts.get(kind, 0) + 1
    for f in files:
        f.reopen()
        f.check()
        os.fsync(f.fd)
        os.close(f.fd)
    if a.save:
        os.makedirs(a.save, exist_ok=True)
        for f in files:
            dst = os.path.join(a.save, f.name)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            with open(dst, "wb") as out:
                out.write(f.model)
    print("ops: " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))
    print(f"exerciser: seed={seed}: {a.ops} ops ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
