"""The break race of issue 12 on a real mount (fuse-tests/cases/seal-break-race.sh).

Processes, all forked from this one:
  - yielding holders: seal a range of F (one the whole file) breakable, wait for POLLPRI, check
    that their sealed blocks still map where they did at SEAL (and the size rule), UNSEAL (or
    close), wait until an attacker has completed an op since, and seal again;
  - attackers: truncate, punch, zero range, preallocate and write F at random, each op must
    succeed (it is parked while a break runs, then re-run), ENOSPC only while the filler fills;
  - a stubborn direct writer: seals a range breakable, is told and does not let go; once
    revoked (STATUS REVOKED) it asks the filler to fill the device with a pattern file G, then
    keeps writing 0xee into its old layout on the device, then acknowledges (UNSEAL) and seals
    again, CYCLES times;
  - the filler: fills G until ENOSPC when asked, and after the late writes checks through a
    fresh open that G holds only its pattern (a quarantined block given to G would show 0xee),
    then empties G.
Prints one summary line; exit status 0 if every check held. Usage:
  breakrace.py FILE G DEVICE BREAKS SECONDS CYCLES
"""
import ctypes
import errno
import mmap
import os
import random
import struct
import sys
import time

import sealfs_ioctl as s

F, G, DEV = sys.argv[1], sys.argv[2], sys.argv[3]
BREAKS, SECONDS, CYCLES = int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
HOLDERS = 3
ATTACKERS = 2
FILE_BLOCKS = 64
PUNCH, ZERO, KEEP = 0x03, 0x11, 0x01

# Shared counters (anonymous shared mmap, inherited by fork): a row of int64 slots per process,
# so that each counter has one writer; flags (stop, fill_req, ...) have one writer each and live
# in row 0. total() sums a counter over the rows.
SLOTS = ("breaks", "ops", "violations", "revoked_yielders", "enospc", "stop", "fill_req",
         "fill_done", "late_done", "checked", "late_writes", "stubborn_cycles")
ROWS = HOLDERS + ATTACKERS + 3
shm = mmap.mmap(-1, 8 * len(SLOTS) * ROWS)
me = 0


def _at(row, name):
    return 8 * (row * len(SLOTS) + SLOTS.index(name))


def get(name):
    return struct.unpack_from("q", shm, _at(0, name))[0]


def put(name, v):
    struct.pack_into("q", shm, _at(0, name), v)


def add(name, d=1):
    at = _at(me, name)
    struct.pack_into("q", shm, at, struct.unpack_from("q", shm, at)[0] + d)


def total(name):
    return sum(struct.unpack_from("q", shm, _at(r, name))[0] for r in range(ROWS))


def violation(msg):
    print("VIOLATION: " + msg, flush=True)
    add("violations")


libc = ctypes.CDLL(None, use_errno=True)
libc.fallocate.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long)


def fallocate(fd, mode, off, length):
    if libc.fallocate(fd, mode, off, length) != 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def block_map(fd, first, end):
    """Device byte offset (or None) of each file block in [first, end), with its state."""
    hdr, ext = s.layout(fd)
    bs = hdr["block_size"]
    m = {}
    for e in ext:
        for lb in range(e["logical"] // bs, (e["logical"] + e["length"]) // bs):
            if first <= lb < end:
                m[lb] = (e["physical"] + (lb - e["logical"] // bs) * bs, e["state"])
    return [m.get(b) for b in range(first, end)], hdr["size"], hdr["generation"]


def wait_until(cond, timeout):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            return False
        time.sleep(0.002)
    return True


def holder(k, bs):
    rnd = random.Random(100 + k)
    whole = k == 0
    off, length = (0, 0) if whole else (k * 16 * bs + 100, 12 * bs)
    first, end = (0, None) if whole else (off // bs, (off + length + bs - 1) // bs)
    fd = os.open(F, os.O_RDWR)
    while not get("stop"):
        s.seal(fd, s.SEAL_BREAKABLE | s.SEAL_ASIS, off, length)
        told = False
        try:
            last = end if end is not None else (s.status(fd)["size"] + bs - 1) // bs
            before, size0, gen0 = block_map(fd, first, last)
            while not get("stop"):
                if s.poll_pri(fd, 0.2):
                    told = True
                    break
            st = s.status(fd)
            if st["state"] & s.STATUS_REVOKED:
                raise OSError(errno.ESTALE, "revoked")
            now, size1, gen1 = block_map(fd, first, last)
        except OSError as e:
            if e.errno != errno.ESTALE:
                raise
            # Slower than break_time under load (or told just before another holder's
            # deadline, which a new break joins): revoked, which SPEC 10 allows. Acknowledge.
            add("revoked_yielders")
            s.unseal(fd)
            continue
        if now != before:
            violation("holder %d: sealed blocks changed while held" % k)
        if whole and (size1 != size0 or gen1 != gen0):
            violation("holder %d: whole-file seal saw size %d->%d gen %d->%d"
                      % (k, size0, size1, gen0, gen1))
        if not whole and size1 < min(size0, off + length):
            violation("holder %d: size %d fell below its range" % (k, size1))
        if told and not st["state"] & s.STATUS_BREAKING:
            violation("holder %d: POLLPRI without BREAKING in STATUS" % k)
        ops = total("ops")
        if rnd.random() < 0.3:
            os.close(fd)                   # letting go by close
            fd = os.open(F, os.O_RDWR)
        else:
            s.unseal(fd)
        if told:
            add("breaks")
            wait_until(lambda: total("ops") > ops or get("stop"), 10)
    os.close(fd)


def attacker(k, bs):
    rnd = random.Random(200 + k)
    fd = os.open(F, os.O_RDWR)
    while not get("stop"):
        a = rnd.randrange(FILE_BLOCKS)
        n = 1 + rnd.randrange(4)
        what = rnd.randrange(6)
        try:
            if what == 0:
                os.ftruncate(fd, rnd.randrange(FILE_BLOCKS * bs))
            elif what == 1:
                fallocate(fd, PUNCH, a * bs, n * bs)
            elif what == 2:
                fallocate(fd, ZERO, a * bs, n * bs)
            elif what == 3:
                fallocate(fd, KEEP, a * bs, n * bs)
            else:
                os.pwrite(fd, os.urandom(1 + rnd.randrange(2 * bs)), a * bs + rnd.randrange(bs))
        except OSError as e:
            if e.errno != errno.ENOSPC:
                violation("attacker %d: op %d failed: %s" % (k, what, e))
            else:
                add("enospc")
        add("ops")
    os.close(fd)


def stubborn(bs):
    off, length = 52 * bs, 8 * bs
    fd = os.open(F, os.O_RDWR)
    dev = os.open(DEV, os.O_WRONLY)
    for cycle in range(CYCLES):
        if get("stop"):
            break
        os.pwrite(fd, b"\x5a" * length, off)    # written blocks, so the layout has extents
        s.seal(fd, s.SEAL_BREAKABLE | s.SEAL_ASIS, off, length)
        hdr, ext = s.layout(fd)
        mine = [(e["physical"] + max(0, off - e["logical"]),
                 min(e["logical"] + e["length"], off + length) - max(e["logical"], off))
                for e in ext if e["state"] == "written"
                and e["logical"] < off + length and off < e["logical"] + e["length"]]
        while not s.poll_pri(fd, 0.2):
            if get("stop"):
                break
        if get("stop") and not s.status(fd)["state"]:
            break
        if not wait_until(lambda: s.status(fd)["state"] & s.STATUS_REVOKED, 30):
            if not get("stop"):
                violation("stubborn holder told but not revoked in 30 s")
            break
        put("fill_req", cycle + 1)
        wait_until(lambda: get("fill_done") > cycle or get("stop"), 60)
        for _ in range(20):                      # the late direct writes of a revoked holder
            for phys, n in mine:
                os.pwrite(dev, b"\xee" * n, phys)
                add("late_writes")
        os.fsync(dev)
        put("late_done", cycle + 1)
        wait_until(lambda: get("checked") > cycle or get("stop"), 60)
        s.unseal(fd)                             # acknowledges: the quarantine ends
        add("stubborn_cycles")
    os.close(dev)
    os.close(fd)


def filler():
    pat = bytes(range(256)) * 256
    for cycle in range(CYCLES):
        if not wait_until(lambda: get("fill_req") > cycle or get("stop"), 120):
            return
        if get("stop") and get("fill_req") <= cycle:
            return
        with open(G, "wb", buffering=0) as w:
            try:
                while True:
                    w.write(pat)
            except OSError as e:
                if e.errno != errno.ENOSPC:
                    violation("filler: %s" % e)
            os.fsync(w.fileno())
        put("fill_done", cycle + 1)
        wait_until(lambda: get("late_done") > cycle or get("stop"), 60)
        n = 0
        with open(G, "rb") as r:                 # a fresh open reads what the device holds
            while True:
                b = r.read(65536)
                if not b:
                    break
                if b != pat[:len(b)]:
                    violation("filler: foreign bytes in G at %d (a quarantined block was "
                              "given to G)" % n)
                    break
                n += len(b)
        if n == 0:
            violation("filler: G is empty")
        os.truncate(G, 0)
        put("checked", cycle + 1)


def main():
    fd = os.open(F, os.O_RDWR)
    bs = s.status(fd)["block_size"]
    os.close(fd)
    kids = []
    roles = [lambda k=k: holder(k, bs) for k in range(HOLDERS)]
    roles += [lambda k=k: attacker(k, bs) for k in range(ATTACKERS)]
    roles += [lambda: stubborn(bs), filler]
    global me
    for row, role in enumerate(roles, start=1):
        pid = os.fork()
        if pid == 0:
            me = row
            try:
                role()
                os._exit(0)
            except BaseException as e:   # noqa: B036 -- a child reports and exits
                print("child failed: %r" % (e,), flush=True)
                os._exit(1)
        kids.append(pid)
    t0 = time.monotonic()
    wait_until(lambda: (total("breaks") >= BREAKS and total("stubborn_cycles") >= CYCLES)
               or time.monotonic() - t0 > SECONDS, SECONDS + 1)
    put("stop", 1)
    failed = 0
    end = time.monotonic() + 60          # parked ops complete once the holders let go
    for pid in kids:
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                failed += status != 0
                break
            if time.monotonic() > end:
                print("a child is stuck (a parked op never completed?): pid %d" % pid)
                os.kill(pid, 9)
                os.waitpid(pid, 0)
                failed += 1
                break
            time.sleep(0.01)
    print("breaks=%d ops=%d revoked_yielders=%d stubborn_cycles=%d late_writes=%d enospc=%d "
          "violations=%d seconds=%.1f" % tuple(
              [total(n) for n in ("breaks", "ops", "revoked_yielders", "stubborn_cycles",
                                  "late_writes", "enospc", "violations")]
              + [time.monotonic() - t0]), flush=True)
    return 1 if failed or total("violations") else 0


if __name__ == "__main__":
    sys.exit(main())
