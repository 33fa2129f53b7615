#!/bin/bash
# bench/journal.sh — what the metadata journal costs: creates/s, unlinks/s and fsync'd 4 KiB
# writes/s on a sealfs mount and in a plain host directory, in one run, printed as a table.
#
#   bench/journal.sh [N_FILES [N_FSYNCS]]     defaults: 3000 files, 500 fsync'd writes
#
# The image (1G, sparse) and the host directory live under ${BENCH_DIR:-/tmp}; the host
# directory is on whatever filesystem that is (the table names it). Nothing is asserted.
set -euo pipefail
REPO=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
SEALFS=$REPO/bin/sealfs
N_FILES=${1:-3000}
N_FSYNCS=${2:-500}
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/sealfs-bench.XXXX")
MNT=$WORK/mnt
HOST=$WORK/host
mkdir -p "$MNT" "$HOST"
cleanup() {
  if awk -v d="$MNT" '$2 == d { f = 1 } END { exit !f }' /proc/mounts; then
    fusermount3 -u "$MNT" 2> /dev/null || fusermount3 -uz "$MNT"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$SEALFS" mkfs -s 1G "$WORK/sealfs.img" > /dev/null
"$SEALFS" mount "$WORK/sealfs.img" "$MNT" --pidfile "$WORK/daemon.pid" > /dev/null
host_fs=$(findmnt -n -o FSTYPE -T "$HOST" 2> /dev/null || stat -f -c %T "$HOST")

python3 - "$N_FILES" "$N_FSYNCS" "$MNT" "sealfs" "$HOST" "host dir ($host_fs)" << 'PY'
import os, sys, time

n_files, n_fsyncs = int(sys.argv[1]), int(sys.argv[2])
targets = [(sys.argv[3], sys.argv[4]), (sys.argv[5], sys.argv[6])]

def rate(n, fn):
    t = time.perf_counter()
    fn()
    return n / (time.perf_counter() - t)

def bench(root):
    d = os.path.join(root, "d")
    os.mkdir(d)
    names = [os.path.join(d, "f%06d" % i) for i in range(n_files)]
    def creates():
        for p in names:
            os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
    def unlinks():
        for p in names:
            os.unlink(p)
    block = os.urandom(4096)
    f = os.path.join(root, "w")
    def appends():
        fd = os.open(f, os.O_WRONLY | os.O_CREAT, 0o644)
        for i in range(n_fsyncs):
            os.pwrite(fd, block, i * 4096)
            os.fsync(fd)
        os.close(fd)
    def overwrites():
        fd = os.open(f, os.O_WRONLY)
        for i in range(n_fsyncs):
            os.pwrite(fd, block, i * 4096)
            os.fsync(fd)
        os.close(fd)
    synced = [os.path.join(d, "s%06d" % i) for i in range(n_fsyncs)]
    def creates_fsync():
        dfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
        for p in synced:
            os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            os.fsync(dfd)
        os.close(dfd)
    r = {}
    r["create (empty file)"] = rate(n_files, creates)
    r["create + fsync(dir)"] = rate(n_fsyncs, creates_fsync)
    r["unlink"] = rate(n_files, unlinks)
    r["4 KiB append + fsync"] = rate(n_fsyncs, appends)
    r["4 KiB overwrite + fsync"] = rate(n_fsyncs, overwrites)
    return r

res = [(label, bench(root)) for root, label in targets]
w = max(len(k) for k in res[0][1])
print("%-*s  %10s  %20s  %11s" % (w, "operation (ops/s)", res[0][0], res[1][0], "sealfs/host"))
for k in res[0][1]:
    a, b = res[0][1][k], res[1][1][k]
    print("%-*s  %10.0f  %20.0f  %11.3f" % (w, k, a, b, a / b))
print("(%d files; %d fsync'd creates and writes)" % (n_files, n_fsyncs))
PY
