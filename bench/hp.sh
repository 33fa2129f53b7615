#!/usr/bin/env bash
# bench/hp.sh — sealfs beside libfuse's C passthrough_hp, side by side in one run (issue 11).
#
# Targets: hp      libfuse's example/passthrough_hp over a host directory (its defaults: attr and
#                  entry timeouts of a day, keep_cache, writeback cache, multi-threaded), from
#                  `apt-get source fuse3` built with meson, or the binary BENCH_HP names (e.g. a
#                  libfuse 3.18+ build for `-o io_uring`; BENCH_HP_ARGS adds its arguments)
#          sealfs  a sealfs mount of a sparse image on the same host filesystem, with the default
#                  binding and options (`sealfs mount IMAGE DIR`; BENCH_SEALFS_OPTS adds -o ...)
#          sealfs2 only when BENCH_SEALFS2_OPTS is set: a second sealfs mount with those options
#                  (e.g. BENCH_SEALFS_OPTS="-o io_uring" BENCH_SEALFS2_OPTS="-o io_uring=off" puts
#                  the two FUSE transports side by side in one run); the table gains its columns
# Jobs (fio psync, BENCH_SIZE per fio job, each job its own file): 1 MiB sequential write (+ fsync)
# and read, 4 KiB random read and write (+ fsync), each with 1, 2 and 4 fio jobs; the reads and the
# random writes are time-bounded (BENCH_RUNTIME s). Plus create/stat/unlink per second
# (bench/meta_rate.py) and each daemon's CPU time per 4 KiB random write (utime+stime from
# /proc/PID/stat over the job, divided by the writes done).
# Every target runs BENCH_REPS times (default 2), interleaved; the table gives the median.
# Prints a Markdown table (BENCH_OUT=FILE: also writes it there). Nothing is asserted.
# Run it on an otherwise idle machine, as root (the native binding mounts with mount(2)).
# Needs: fio, python3, fusermount3, meson and ninja (unless BENCH_HP is given), a built jar.
set -euo pipefail
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SEALFS=$ROOT/bin/sealfs
SIZE=${BENCH_SIZE:-256m}
RUNTIME=${BENCH_RUNTIME:-8}
REPS=${BENCH_REPS:-2}
META_FILES=${BENCH_META_FILES:-2000}
JOBS_LIST=${BENCH_JOBS:-"1 2 4"}
CLK_TCK=$(getconf CLK_TCK)
for c in fio python3 fusermount3; do
  command -v "$c" > /dev/null || { echo "bench/hp.sh: needs $c" >&2; exit 1; }
done
log() { printf '[hp %s] %s\n' "$(date +%T)" "$*" >&2; }

# build_hp: prints the path of a passthrough_hp built from Debian's fuse3 source (cached under
# ${BENCH_HP_CACHE:-/var/tmp/sealfs-bench-hp}).
build_hp() {
  local cache=${BENCH_HP_CACHE:-/var/tmp/sealfs-bench-hp} src
  src=$(ls -d "$cache"/fuse3-*/ 2> /dev/null | head -1 || true)
  if [[ -z $src ]]; then
    mkdir -p "$cache"
    if ! apt-get source --help > /dev/null 2>&1 || ! (cd "$cache" && apt-get source -qq fuse3 > "$cache/source.log" 2>&1); then
      echo "bench/hp.sh: apt-get source fuse3 failed (a deb-src entry is needed: see $cache/source.log)" >&2
      exit 1
    fi
    src=$(ls -d "$cache"/fuse3-*/ | head -1)
  fi
  if [[ ! -x $src/build/example/passthrough_hp ]]; then
    (cd "$src" && meson setup build -Dexamples=true -Dutils=false -Dtests=false > build.log 2>&1 \
      && ninja -C build example/passthrough_hp >> build.log 2>&1) \
      || { echo "bench/hp.sh: building passthrough_hp failed: see $src/build.log" >&2; exit 1; }
  fi
  echo "$src/build/example/passthrough_hp"
}

HP=${BENCH_HP:-$(build_hp)}
[[ -x $HP ]] || { echo "bench/hp.sh: $HP is not executable" >&2; exit 1; }
[[ -f $ROOT/target/sealfs.jar ]] || (cd "$ROOT" && mvn -B -q package -DskipTests)

W=${BENCH_DIR:-$(mktemp -d /tmp/sealfs-hp-bench.XXXX)}
mkdir -p "$W"/{src,hp,mnt,mnt2}
RES=$W/results.tsv
: > "$RES"
HP_PID=
SEALFS_PID=
SEALFS2_PID=
cleanup() {
  set +e
  for m in "$W/hp" "$W/mnt" "$W/mnt2"; do
    grep -q " $m " /proc/mounts && { fusermount3 -u "$m" 2> /dev/null || umount "$m" 2> /dev/null || fusermount3 -uz "$m"; }
  done
  for p in $HP_PID $SEALFS_PID $SEALFS2_PID; do
    for _ in $(seq 100); do kill -0 "$p" 2> /dev/null || break; sleep 0.1; done
  done
  rm -rf "$W/src" "$W/sealfs.img" "$W/sealfs2.img"
}
trap cleanup EXIT
trap "exit 130" INT TERM

wait_mounted() {
  for _ in $(seq 300); do grep -q " $1 " /proc/mounts && return 0; sleep 0.1; done
  echo "bench/hp.sh: $1 did not mount" >&2; exit 1
}
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# shellcheck disable=SC2086 # BENCH_HP_ARGS is a list of words
"$HP" --foreground ${BENCH_HP_ARGS:-} "$W/src" "$W/hp" > "$W/hp.log" 2>&1 &
HP_PID=$!
wait_mounted "$W/hp"
"$SEALFS" mkfs -s 8G "$W/sealfs.img" > /dev/null
# shellcheck disable=SC2086
"$SEALFS" mount ${BENCH_SEALFS_OPTS:-} "$W/sealfs.img" "$W/mnt" --pidfile "$W/sealfs.pid" > /dev/null
wait_mounted "$W/mnt"
SEALFS_PID=$(cat "$W/sealfs.pid")
if [[ -n ${BENCH_SEALFS2_OPTS:-} ]]; then
  "$SEALFS" mkfs -s 8G "$W/sealfs2.img" > /dev/null
  # shellcheck disable=SC2086
  "$SEALFS" mount $BENCH_SEALFS2_OPTS "$W/sealfs2.img" "$W/mnt2" --pidfile "$W/sealfs2.pid" > /dev/null
  wait_mounted "$W/mnt2"
  SEALFS2_PID=$(cat "$W/sealfs2.pid")
fi
# transport PID: io_uring when the daemon holds io_uring instances, else /dev/fuse
transport() { if ls -l "/proc/$1/fd" 2> /dev/null | grep -q 'io_uring'; then echo io_uring; else echo /dev/fuse; fi; }
log "hp: $HP (pid $HP_PID); sealfs pid $SEALFS_PID ($(transport "$SEALFS_PID"))${SEALFS2_PID:+; sealfs2 pid $SEALFS2_PID ($(transport "$SEALFS2_PID"))}; work directory $W"

# run_fio TARGET JOB NJOBS PID DIR FIO_ARGS...: one fio run; appends a result row
# (target, job, njobs, MB/s, IOPS, daemon CPU s, ios).
run_fio() {
  local t=$1 job=$2 n=$3 pid=$4 dir=$5 c0 c1 out
  shift 5
  out=$W/fio-$t-$job-$n.json
  c0=$(cpu_ticks "$pid")
  fio --output-format=json --output="$out" --ioengine=psync --invalidate=0 --fallocate=none \
    --randrepeat=1 --group_reporting --directory="$dir" --name=b --size="$SIZE" --numjobs="$n" \
    "$@" > /dev/null
  c1=$(cpu_ticks "$pid")
  python3 - "$out" "$t" "$job" "$n" "$((c1 - c0))" "$CLK_TCK" >> "$RES" << 'PY'
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
bw = (j["read"]["bw_bytes"] + j["write"]["bw_bytes"]) / 1e6
iops = j["read"]["iops"] + j["write"]["iops"]
ios = j["read"]["total_ios"] + j["write"]["total_ios"]
print("%s\t%s\t%s\t%.1f\t%.0f\t%.2f\t%d" % (sys.argv[2], sys.argv[3], sys.argv[4], bw, iops,
                                           int(sys.argv[5]) / int(sys.argv[6]), ios))
PY
  log "$t $job x$n: $(tail -1 "$RES" | awk -F'\t' '{ printf "%s MB/s, %s IOPS, daemon CPU %s s", $4, $5, $6 }')"
}

run_target() {
  local t=$1 pid=$2 dir=$3 n
  for n in $JOBS_LIST; do
    rm -f "$dir"/b.*
    run_fio "$t" seqwrite "$n" "$pid" "$dir" --rw=write --bs=1m --end_fsync=1
    # untimed warm-up, so that the JIT-compiled read path is not part of the measurement
    fio --output=/dev/null --ioengine=psync --invalidate=0 --directory="$dir" --name=b \
      --size="$SIZE" --numjobs="$n" --rw=randread --bs=4k --time_based --runtime=1 > /dev/null
    run_fio "$t" seqread "$n" "$pid" "$dir" --rw=read --bs=1m --time_based --runtime="$RUNTIME"
    run_fio "$t" randread "$n" "$pid" "$dir" --rw=randread --bs=4k --time_based --runtime="$RUNTIME"
    run_fio "$t" randwrite "$n" "$pid" "$dir" --rw=randwrite --bs=4k --time_based \
      --runtime="$RUNTIME" --end_fsync=1
  done
  rm -f "$dir"/b.*
}

run_meta() {
  local t=$1 pid=$2 dir=$3 c0 c1 line k
  c0=$(cpu_ticks "$pid")
  line=$(python3 "$HERE/meta_rate.py" "$dir" "$META_FILES")
  c1=$(cpu_ticks "$pid")
  for k in create stat unlink; do
    printf '%s\t%s\t1\t\t%s\t%.2f\t%s\n' "$t" "$k" "$(sed -n "s/.*${k}_per_s=\([0-9]*\).*/\1/p" <<< "$line")" \
      "$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" 'BEGIN { print (b - a) / t }')" "$META_FILES" >> "$RES"
  done
  log "$t metadata: $line"
}

for ((rep = 1; rep <= REPS; rep++)); do
  log "round $rep/$REPS: passthrough_hp"
  run_target hp "$HP_PID" "$W/hp"
  log "round $rep/$REPS: sealfs"
  run_target sealfs "$SEALFS_PID" "$W/mnt"
  if [[ -n $SEALFS2_PID ]]; then
    log "round $rep/$REPS: sealfs2"
    run_target sealfs2 "$SEALFS2_PID" "$W/mnt2"
  fi
done
python3 "$HERE/meta_rate.py" "$W/hp" "$META_FILES" > /dev/null   # untimed warm-ups
python3 "$HERE/meta_rate.py" "$W/mnt" "$META_FILES" > /dev/null
[[ -n $SEALFS2_PID ]] && python3 "$HERE/meta_rate.py" "$W/mnt2" "$META_FILES" > /dev/null
for ((rep = 1; rep <= REPS; rep++)); do
  run_meta hp "$HP_PID" "$W/hp"
  run_meta sealfs "$SEALFS_PID" "$W/mnt"
  [[ -n $SEALFS2_PID ]] && run_meta sealfs2 "$SEALFS2_PID" "$W/mnt2"
done

MACHINE="$(nproc) CPUs, kernel $(uname -r), $(java -version 2>&1 | head -1), $(fio --version), \
passthrough_hp $HP ${BENCH_HP_ARGS:-}, sealfs ${BENCH_SEALFS_OPTS:-default options} \
(transport $(transport "$SEALFS_PID"))${SEALFS2_PID:+, sealfs2 $BENCH_SEALFS2_OPTS (transport $(transport "$SEALFS2_PID"))}"
TABLE=$(python3 - "$RES" "$MACHINE" "$SIZE" "$RUNTIME" "$REPS" << 'PY'
import statistics, sys
from collections import defaultdict
rows = defaultdict(list)
for line in open(sys.argv[1]):
    t, job, n, bw, iops, cpu, ios = line.rstrip("\n").split("\t")
    rows[(t, job, int(n))].append((float(bw or 0), float(iops), float(cpu), int(ios)))
names = {"seqwrite": "seq write 1 MiB, MB/s", "seqread": "seq read 1 MiB, MB/s",
         "randread": "rand read 4 KiB, IOPS", "randwrite": "rand write 4 KiB, IOPS",
         "create": "create/s", "stat": "stat/s", "unlink": "unlink/s"}
def med(key, i):
    return statistics.median(r[i] for r in rows[key])
print("Machine: %s. fio psync, %s per job, %s s per time-bounded job, median of %s rounds." % (
    sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]))
print()
two = any(k[0] == "sealfs2" for k in rows)
if two:
    print("| job | fio jobs | passthrough_hp | sealfs | sealfs2 | sealfs / hp | sealfs / sealfs2 | daemon CPU µs per op, hp / sealfs / sealfs2 |")
    print("|---|---|---|---|---|---|---|---|")
else:
    print("| job | fio jobs | passthrough_hp | sealfs | sealfs / hp | daemon CPU µs per op, hp / sealfs |")
    print("|---|---|---|---|---|---|")
for job in ("seqwrite", "seqread", "randread", "randwrite", "create", "stat", "unlink"):
    for n in (1, 2, 4):
        if ("hp", job, n) not in rows or ("sealfs", job, n) not in rows:
            continue
        i = 0 if job.startswith("seq") else 1
        hp, sf = med(("hp", job, n), i), med(("sealfs", job, n), i)
        targets = ("hp", "sealfs", "sealfs2") if two else ("hp", "sealfs")
        cpu = ""
        if job == "randwrite":
            cpu = " / ".join("%.1f" % (1e6 * med((t, job, n), 2) / med((t, job, n), 3)) for t in targets)
        if two:
            s2 = med(("sealfs2", job, n), i)
            print("| %s | %d | %.0f | %.0f | %.0f | %.2f | %.2f | %s |" % (
                names[job], n, hp, sf, s2, sf / hp if hp else 0, sf / s2 if s2 else 0, cpu))
        else:
            print("| %s | %d | %.0f | %.0f | %.2f | %s |" % (names[job], n, hp, sf, sf / hp if hp else 0, cpu))
PY
)
printf '\n%s\n' "$TABLE"
[[ -n ${BENCH_OUT:-} ]] && printf '%s\n' "$TABLE" > "$BENCH_OUT"
log "raw results in $RES"
