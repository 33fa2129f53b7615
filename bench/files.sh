#!/usr/bin/env bash
# bench/files.sh — what many files cost (issue 10): for each COUNT, creates COUNT empty files on a
# fresh sealfs mount (1,000 per directory, python os.open/close), and prints the create rate, the
# daemon's RSS and heap in use after a full GC (jcmd GC.heap_info, when jcmd is there), bytes of
# heap per file, then unmounts, mounts again and prints the mount time (from `sealfs mount` to the
# mount answering a stat of the last directory) and the RSS after the mount.
#
#   bench/files.sh [COUNT...]            default: 100000 1000000
#   BENCH_SEALFS_OPTS="-o ..."           extra mount options; BENCH_DIR: work directory (/tmp)
#
# Run it on an otherwise idle machine. Nothing is asserted.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
SEALFS=$ROOT/bin/sealfs
COUNTS=("$@")
[[ ${#COUNTS[@]} -gt 0 ]] || COUNTS=(100000 1000000)
W=$(mktemp -d "${BENCH_DIR:-/tmp}/sealfs-files.XXXX")
MNT=$W/mnt
mkdir -p "$MNT"
cleanup() {
  set +e
  grep -q " $MNT " /proc/mounts && { umount "$MNT" 2> /dev/null || fusermount3 -u "$MNT"; }
  rm -rf "$W"
}
trap cleanup EXIT
trap "exit 130" INT TERM
[[ -f $ROOT/target/sealfs.jar ]] || (cd "$ROOT" && mvn -B -q package -DskipTests)

rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
# heap_mib PID: heap in use after a full GC (jcmd), or "-" without jcmd.
heap_mib() {
  command -v jcmd > /dev/null || { echo -; return; }
  jcmd "$1" GC.run > /dev/null 2>&1 || true
  jcmd "$1" GC.heap_info 2> /dev/null | awk '
    /(generation|heap) +total/ { for (i = 1; i <= NF; i++) if ($i == "used") { v = $(i + 1); sub("K.*", "", v); kb += v } }
    END { printf "%.0f", kb / 1024 }'
}
unmount() {
  local pid=$1
  umount "$MNT" 2> /dev/null || fusermount3 -u "$MNT"
  while kill -0 "$pid" 2> /dev/null; do sleep 0.1; done
}

printf '%-9s %10s %9s %9s %12s %9s %10s\n' files "creates/s" "RSS MiB" "heap MiB" "heap B/file" \
  "mount s" "RSS2 MiB"
for n in "${COUNTS[@]}"; do
  img=$W/files.img
  rm -f "$img"
  "$SEALFS" mkfs -s "$(( (n / 10000 + 1) * 64 ))M" "$img" > /dev/null
  # shellcheck disable=SC2086
  "$SEALFS" mount ${BENCH_SEALFS_OPTS:-} "$img" "$MNT" --pidfile "$W/pid" > /dev/null
  pid=$(cat "$W/pid")
  base_heap=$(heap_mib "$pid")
  rate=$(python3 - "$MNT" "$n" << 'PY'
import os, sys, time
root, n = sys.argv[1], int(sys.argv[2])
t0 = time.perf_counter()
for d in range((n + 999) // 1000):
    dd = os.path.join(root, "d%04d" % d)
    os.mkdir(dd)
    for k in range(min(1000, n - d * 1000)):
        os.close(os.open(os.path.join(dd, "f%04d" % k), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
print("%.0f" % (n / (time.perf_counter() - t0)))
PY
)
  sync -f "$MNT"
  rss=$(rss_mib "$pid")
  heap=$(heap_mib "$pid")
  per=-
  [[ $heap != - && $base_heap != - ]] && per=$(( (heap - base_heap) * 1048576 / n ))
  unmount "$pid"
  last=$MNT/d$(printf '%04d' $(( (n + 999) / 1000 - 1 )))
  t0=$(date +%s.%N)
  # shellcheck disable=SC2086
  "$SEALFS" mount ${BENCH_SEALFS_OPTS:-} "$img" "$MNT" --pidfile "$W/pid" > /dev/null
  stat "$last" > /dev/null
  t1=$(date +%s.%N)
  pid=$(cat "$W/pid")
  rss2=$(rss_mib "$pid")
  found=$(find "$MNT" -type f | wc -l)
  [[ $found == "$n" ]] || echo "bench/files.sh: $found files after the remount, not $n" >&2
  unmount "$pid"
  printf '%-9s %10s %9s %9s %12s %9.2f %10s\n' "$n" "$rate" "$rss" "$heap" "$per" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "$rss2"
done
