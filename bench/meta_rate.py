#!/usr/bin/env python3
"""meta_rate.py DIR N: creates N empty files in DIR/meta (open O_CREAT|O_EXCL + close), stats them,
unlinks them; prints create/stat/unlink per second as key=value."""
import os
import sys
import time


def main():
    base, n = os.path.join(sys.argv[1], "meta"), int(sys.argv[2])
    os.makedirs(base, exist_ok=True)
    names = [os.path.join(base, "f%06d" % i) for i in range(n)]
    t0 = time.perf_counter()
    for p in names:
        os.close(os.open(p, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    t1 = time.perf_counter()
    for p in names:
        os.stat(p)
    t2 = time.perf_counter()
    for p in names:
        os.unlink(p)
    t3 = time.perf_counter()
    os.rmdir(base)
    print("create_per_s=%.0f stat_per_s=%.0f unlink_per_s=%.0f n=%d" % (
        n / (t1 - t0), n / (t2 - t1), n / (t3 - t2), n))


if __name__ == "__main__":
    main()
