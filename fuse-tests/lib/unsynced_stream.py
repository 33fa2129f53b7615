"""unsynced_stream.py FILE ID: the never-fsync'd writer of the power-cut cases.

Writes 16 KiB tagged as crashload.py tags data (file id ID) round and round through the first
4 MiB of FILE, never fsync'd, about 2 MB/s (so the case's other workload gets its share of the
daemon), until the power is gone, so that every cut finds unsynced pages to drop. Exit status 0
when the filesystem goes away (crashload.GONE), 3 on other errors.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crashload  # noqa: E402

path, ino = sys.argv[1], int(sys.argv[2])
try:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    for gen in range(1 << 30):
        off = gen % 256 * 16384
        os.pwrite(fd, crashload.tagged(ino, gen, off, 16384), off)
        time.sleep(0.008)
except OSError as e:
    sys.exit(0 if e.errno in crashload.GONE else 3)
