#!/usr/bin/env bash
# bench/core.sh — the core benchmark (issue 10): 4 KiB random writes and reads, each thread on
# its own file, in-process over a real image file (no FUSE), on 1, 2 and 4 threads; prints ops/s
# and the speedup over one thread. Target: 2 threads at least 1.7x one thread on 2 cores.
# It runs twice: on an image file, then (as root, with losetup) on a loop device over an image
# file. The first is what a sealfs image on ext4 or XFS gives: the host filesystem takes the
# image's inode lock exclusively for every buffered write, so writes to one image file run one
# at a time in the kernel whatever sealfs does. A block device has no such lock. With
# BENCH_DEVICE_IO=direct (the mount option device_io=direct) file data goes to the image with
# O_DIRECT, for which ext4 takes that lock shared: writes scale, each slower (docs/performance.md).
# With BENCH_DEVICE_IO=mmap (device_io=mmap) file data is stored through a shared mapping of the
# image, which takes no inode lock at all; an image file only, so the loop device run is skipped.
# Run it on an otherwise idle machine: timings are meaningless while other work runs.
# Tunables: BENCH_SECONDS (5 per point), BENCH_FILE_MIB (64 per file), BENCH_DIR (work dir,
# default a fresh /tmp/sealfs-core-bench.XXXX, removed afterwards), BENCH_DEVICE_IO (buffered,
# the default, direct or mmap: the device is opened as with -o device_io=MODE; also
# --device-io=MODE),
# BENCH_OPS (default "write read"), BENCH_THREADS (default "1 2 4"), BENCH_LOOP (0: skip the
# loop device run).
# Needs: javac, java, a built target/sealfs.jar (built here if missing).
set -euo pipefail
for arg in "$@"; do
  case $arg in
    --device-io=*) export BENCH_DEVICE_IO=${arg#--device-io=} ;;
    *) echo "usage: bench/core.sh [--device-io=buffered|direct|mmap]" >&2; exit 2 ;;
  esac
done
export BENCH_DEVICE_IO=${BENCH_DEVICE_IO:-buffered}
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
JAR=$ROOT/target/sealfs.jar
[[ -f $JAR ]] || (cd "$ROOT" && mvn -B -q package -DskipTests)
WORK=${BENCH_DIR:-$(mktemp -d /tmp/sealfs-core-bench.XXXX)}
trap '[[ -z ${BENCH_DIR:-} ]] && rm -rf "$WORK"' EXIT
mkdir -p "$WORK/classes"
javac -d "$WORK/classes" -cp "$JAR" "$HERE/core/CoreBench.java"
LOOP=
trap '[[ -n $LOOP ]] && losetup -d "$LOOP"; [[ -z ${BENCH_DIR:-} ]] && rm -rf "$WORK"' EXIT
echo "== on an image file ($WORK, $(stat -f -c %T "$WORK"), device_io=$BENCH_DEVICE_IO)"
java -Dfile.encoding=ISO-8859-1 -cp "$JAR:$WORK/classes" CoreBench "$WORK" \
  "${BENCH_SECONDS:-5}" "${BENCH_FILE_MIB:-64}"
if [[ $BENCH_DEVICE_IO == mmap ]]; then
  echo "== no block device run: device_io=mmap maps image files only"
elif [[ ${BENCH_LOOP:-1} != 0 && $(id -u) == 0 ]] && command -v losetup > /dev/null; then
  truncate -s $(( ${BENCH_FILE_MIB:-64} * 8 + 512 ))M "$WORK/loop.img"
  LOOP=$(losetup -f --show "$WORK/loop.img")
  echo "== on a block device ($LOOP over $WORK/loop.img, device_io=$BENCH_DEVICE_IO)"
  BENCH_DEVICE=$LOOP java -Dfile.encoding=ISO-8859-1 -cp "$JAR:$WORK/classes" CoreBench "$WORK" \
    "${BENCH_SECONDS:-5}" "${BENCH_FILE_MIB:-64}"
fi
