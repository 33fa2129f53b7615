#!/usr/bin/env python3
"""seal_latency.py FILE ITERS: SEALFS_IOC_SEAL(PREPARE) + SEALFS_IOC_UNSEAL on one descriptor of a
prepared FILE, ITERS times after one warm-up pair; prints p50/p99 (microseconds) of the seal call
and of the seal+unseal pair, as key=value."""
import fcntl
import os
import struct
import sys
import time

IOC_SEAL = 0xC0407301
IOC_UNSEAL = 0x00007302
SEAL_PREPARE = 1


def pct(v, q):
    v = sorted(v)
    return v[max(0, min(len(v) - 1, int(-(-q * len(v) // 1)) - 1))]


def main():
    path, iters = sys.argv[1], int(sys.argv[2])
    fd = os.open(path, os.O_RDWR)
    try:
        arg = bytearray(struct.pack("<8Q", SEAL_PREPARE, 0, 0, 0, 0, 0, 0, 0))
        fcntl.ioctl(fd, IOC_SEAL, arg)  # warm-up: the first PREPARE may allocate and zero
        fcntl.ioctl(fd, IOC_UNSEAL)
        seal, pair = [], []
        for _ in range(iters):
            arg = bytearray(struct.pack("<8Q", SEAL_PREPARE, 0, 0, 0, 0, 0, 0, 0))
            t0 = time.perf_counter_ns()
            fcntl.ioctl(fd, IOC_SEAL, arg)
            t1 = time.perf_counter_ns()
            fcntl.ioctl(fd, IOC_UNSEAL)
            t2 = time.perf_counter_ns()
            seal.append(t1 - t0)
            pair.append(t2 - t0)
    finally:
        os.close(fd)
    print("seal_p50_us=%.1f seal_p99_us=%.1f pair_p50_us=%.1f pair_p99_us=%.1f iters=%d" % (
        pct(seal, 0.50) / 1e3, pct(seal, 0.99) / 1e3, pct(pair, 0.50) / 1e3,
        pct(pair, 0.99) / 1e3, iters))


if __name__ == "__main__":
    main()
