#!/bin/bash
# bench/metrics.sh — what -o metrics costs on the hot path: fio 4 KiB random writes (and reads)
# on a sealfs mount with metrics off, with -o metrics (recording, no HTTP) and with
# -o metrics=127.0.0.1:0 while /metrics is scraped once a second, alternating the modes ROUNDS
# times so drift on a shared machine falls on all of them; prints IOPS and mean latency per
# mode and round, then the median of each. Nothing is asserted.
#
#   bench/metrics.sh [ROUNDS [SECONDS]]     defaults: 3 rounds of 20 s per mode
#   SEALFS_BINDING=native bench/metrics.sh  the native binding (root only)
#
# The image (1G, sparse) lives under ${BENCH_DIR:-/tmp}. Run it on an otherwise idle machine.
set -euo pipefail
REPO=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
SEALFS=$REPO/bin/sealfs
ROUNDS=${1:-3}
SECONDS_EACH=${2:-20}
command -v fio > /dev/null || { echo "bench/metrics.sh: fio is not installed" >&2; exit 1; }
WORK=$(mktemp -d "${BENCH_DIR:-/tmp}/sealfs-bench.XXXX")
MNT=$WORK/mnt
mkdir -p "$MNT"
scraper=
cleanup() {
  [[ -n $scraper ]] && kill "$scraper" 2> /dev/null
  if awk -v d="$MNT" '$2 == d { f = 1 } END { exit !f }' /proc/mounts; then
    fusermount3 -u "$MNT" 2> /dev/null || fusermount3 -uz "$MNT"
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

"$SEALFS" mkfs -s 1G "$WORK/sealfs.img" > /dev/null

# run MODE ROUND: mounts with MODE's options, lays out the file, runs fio, prints one row.
run() {
  local mode=$1 round=$2 opts=() port
  case $mode in
    off) ;;
    record) opts=(-o metrics) ;;
    http) opts=(-o metrics=127.0.0.1:0) ;;
  esac
  "$SEALFS" mount "$WORK/sealfs.img" "$MNT" --pidfile "$WORK/daemon.pid" "${opts[@]}" > /dev/null
  if [[ $mode == http ]]; then
    port=$("$SEALFS" stats --raw "$MNT" | awk '$1 == "sealfs_metrics_http_port" { print int($2) }')
    python3 - "$port" << 'PY' &
import sys, time, urllib.request
while True:
    urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=5).read()
    time.sleep(1)
PY
    scraper=$!
  fi
  for rw in randwrite randread; do
    fio --name=m --filename="$MNT/fio" --size=256M --bs=4k --rw=$rw --ioengine=psync \
      --runtime="$SECONDS_EACH" --time_based --end_fsync=1 --output-format=json \
      > "$WORK/$mode-$round-$rw.json"
  done
  if [[ -n $scraper ]]; then
    kill "$scraper"
    wait "$scraper" 2> /dev/null || true
    scraper=
  fi
  fusermount3 -u "$MNT"
  while [[ -s $WORK/daemon.pid ]] && kill -0 "$(cat "$WORK/daemon.pid")" 2> /dev/null; do
    sleep 0.2
  done
}

for ((r = 1; r <= ROUNDS; r++)); do
  for mode in off record http; do
    run "$mode" "$r"
  done
done

python3 - "$WORK" "$ROUNDS" << 'PY'
import json, os, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
print("%-8s %-6s %-10s %12s %14s" % ("mode", "round", "workload", "IOPS", "mean lat us"))
summary = {}
for mode in ("off", "record", "http"):
    for rw in ("randwrite", "randread"):
        iops = []
        for r in range(1, rounds + 1):
            with open(os.path.join(work, "%s-%d-%s.json" % (mode, r, rw))) as f:
                job = json.load(f)["jobs"][0]
            side = job["write" if rw == "randwrite" else "read"]
            iops.append(side["iops"])
            print("%-8s %-6d %-10s %12.0f %14.1f" % (mode, r, rw, side["iops"],
                                                     side["lat_ns"]["mean"] / 1000))
        summary[(mode, rw)] = statistics.median(iops)
print()
print("median IOPS (change against off):")
for rw in ("randwrite", "randread"):
    base = summary[("off", rw)]
    print("  %-10s off %.0f, -o metrics %.0f (%+.1f%%), -o metrics=HOST:PORT scraped %.0f (%+.1f%%)"
          % (rw, base, summary[("record", rw)], 100 * (summary[("record", rw)] / base - 1),
             summary[("http", rw)], 100 * (summary[("http", rw)] / base - 1)))
PY
