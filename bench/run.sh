#!/usr/bin/env bash
# bench/run.sh — sealfs side by side with its floors, in one go (about 9 minutes).
#
# Targets: (a) host   a plain directory on the host filesystem
#          (b) floor  a minimal jnr-fuse passthrough of a host directory (bench/passthrough/,
#                     same jnr-fuse, same mount options as sealfs, built here with javac); it has
#                     no xattrs, so the kernel never sends it GETXATTR(security.capability)
#          (c) sealfs a sealfs mount of a sparse 2 GiB image on the same host filesystem
#          (d) direct the direct path: fio on the image at the extents of a sealed sealfs file
#                     (sealfs-fio-recipe), while `sealfs seal` holds the seal in another process
# Jobs (fio, psync, one job, 256 MiB file): seqwrite 1 MiB (+ fsync at the end), seqread 1 MiB,
# randread 4 KiB, randwrite 4 KiB (+ fsync at the end); the last three are time-bounded.
# Plus: seal latency (SEAL(PREPARE)+UNSEAL of a prepared 1 GiB file, p50/p99), metadata rates
# (create/stat/unlink per second), and the daemons' CPU time (utime+stime from /proc/PID/stat).
#
# Prints one table and writes it, with the machine, into docs/performance.md between the
# "bench:begin"/"bench:end" markers (BENCH_NO_DOC=1: don't). Tunables (environment):
# BENCH_SIZE (256m), BENCH_RUNTIME (10 s per time-bounded job), BENCH_SEAL_ITERS (300),
# BENCH_META_FILES (2000), BENCH_REPS (3: every target runs that many times, interleaved, and
# the best run counts; the VM's disk and page-cache noise is larger than the effects measured),
# BENCH_DIR (work directory; default a fresh /tmp/sealfs-bench.XXXX).
# BENCH_TRANSPORT=io_uring mounts sealfs on FUSE-over-io_uring (root; the native binding): the
# fuse module's enable_uring is Y only while sealfs mounts and then back to what it was (the
# mount keeps io_uring); BENCH_TRANSPORT=dev_fuse mounts it on /dev/fuse reads; unset: the
# mount's own choice. The transport the daemon took is printed (its "FUSE transport:" line).
# Needs: fio, python3, fusermount3, javac, a built target/sealfs.jar (built here if missing).
set -euo pipefail

HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
SEALFS=$ROOT/bin/sealfs
RECIPE=$ROOT/bin/sealfs-fio-recipe
SIZE=${BENCH_SIZE:-256m}
RUNTIME=${BENCH_RUNTIME:-10}
SEAL_ITERS=${BENCH_SEAL_ITERS:-300}
META_FILES=${BENCH_META_FILES:-2000}
REPS=${BENCH_REPS:-3}
MOUNT_OPTS="big_writes,max_write=131072,default_permissions,use_ino,hard_remove,attr_timeout=0"
CLK_TCK=$(getconf CLK_TCK)

for c in fio python3 fusermount3 javac java; do
  command -v "$c" >/dev/null || { echo "bench: needs $c" >&2; exit 1; }
done

W=${BENCH_DIR:-$(mktemp -d /tmp/sealfs-bench.XXXX)}
mkdir -p "$W"/{host,ptsrc,pt,mnt,classes}
RES=$W/results.tsv
: >"$RES"
PT_PID=
HOLDER_PID=

cleanup() {
  set +e
  if [[ -n $HOLDER_PID ]] && kill -0 "$HOLDER_PID" 2>/dev/null; then
    kill -TERM "$HOLDER_PID"; wait "$HOLDER_PID" 2>/dev/null
  fi
  for m in "$W/pt" "$W/mnt"; do
    if grep -q " $m " /proc/mounts; then
      fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m"
    fi
  done
  for p in $PT_PID; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -TERM "$p"
  done
  if [[ -f $W/sealfs.pid ]]; then
    local p; p=$(cat "$W/sealfs.pid")
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$W/sealfs.img" "$W"/host/*.dat "$W"/ptsrc/*.dat
}
trap cleanup EXIT

log() { printf '[bench %s] %s\n' "$(date +%T)" "$*" >&2; }

# cpu_ticks PID: utime+stime of PID in clock ticks (0 if no PID).
cpu_ticks() {
  [[ -n ${1:-} && -r /proc/$1/stat ]] || { echo 0; return; }
  # fields after the ")" of the comm: utime and stime are the 12th and 13th
  sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

wait_mounted() {
  for _ in $(seq 300); do grep -q " $1 " /proc/mounts && return 0; sleep 0.1; done
  echo "bench: $1 did not mount" >&2; return 1
}

# ---------------------------------------------------------------------------------------------
log "work directory $W"
if [[ ! -f $ROOT/target/sealfs.jar ]]; then
  log "building sealfs"
  (cd "$ROOT" && mvn -q -B -o package -DskipTests)
fi
log "building the passthrough floor"
javac -nowarn -d "$W/classes" -cp "$ROOT/target/sealfs.jar" "$HERE/passthrough/Passthrough.java"

java -XX:+UseSerialGC -Xss1m -cp "$ROOT/target/sealfs.jar:$W/classes" Passthrough \
  "$W/ptsrc" "$W/pt" -f -s -o "$MOUNT_OPTS" >"$W/passthrough.log" 2>&1 &
PT_PID=$!
wait_mounted "$W/pt"

"$SEALFS" mkfs -s 2G "$W/sealfs.img" >/dev/null
URING_PARAM=/sys/module/fuse/parameters/enable_uring
case ${BENCH_TRANSPORT:-} in
  "") mount_out=$("$SEALFS" mount "$W/sealfs.img" "$W/mnt" --pidfile "$W/sealfs.pid") ;;
  dev_fuse)
    mount_out=$(SEALFS_LOG_LEVEL=INFO SEALFS_TRANSPORT=dev_fuse \
      "$SEALFS" mount "$W/sealfs.img" "$W/mnt" --pidfile "$W/sealfs.pid")
    ;;
  io_uring)
    [[ -w $URING_PARAM ]] || { echo "bench: BENCH_TRANSPORT=io_uring needs root and $URING_PARAM" >&2; exit 1; }
    uring_old=$(cat "$URING_PARAM")
    echo Y > "$URING_PARAM"
    rc=0
    mount_out=$(SEALFS_LOG_LEVEL=INFO SEALFS_TRANSPORT=io_uring \
      "$SEALFS" mount "$W/sealfs.img" "$W/mnt" --pidfile "$W/sealfs.pid") || rc=$?
    echo "$uring_old" > "$URING_PARAM"
    ((rc == 0)) || exit "$rc"
    ;;
  *) echo "bench: BENCH_TRANSPORT must be io_uring or dev_fuse" >&2; exit 1 ;;
esac
wait_mounted "$W/mnt"
if [[ -n ${BENCH_TRANSPORT:-} ]]; then
  log=$(sed -n 's/^sealfs: daemon log: //p' <<<"$mount_out")
  for _ in $(seq 50); do [[ -n $log ]] && grep -q 'FUSE transport:' "$log" && break; sleep 0.1; done
  grep -h 'FUSE transport:' "$log" 2>/dev/null || echo "bench: no transport line in ${log:-the daemon log}"
fi
SEALFS_PID=$(cat "$W/sealfs.pid")

# run_fio TARGET JOB DAEMON_PID FIO_ARGS...: one fio job; appends a result row.
run_fio() {
  local target=$1 job=$2 pid=$3
  shift 3
  local c0 c1 out=$W/fio-$target-$job.json
  c0=$(cpu_ticks "$pid")
  fio --output-format=json --output="$out" --ioengine=psync --invalidate=0 --fallocate=none \
    --randrepeat=1 --group_reporting "$@" >/dev/null
  c1=$(cpu_ticks "$pid")
  python3 - "$out" "$target" "$job" "$((c1 - c0))" "$CLK_TCK" >>"$RES" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
j = d["jobs"][0]
bw = (j["read"]["bw_bytes"] + j["write"]["bw_bytes"]) / 1e6
iops = j["read"]["iops"] + j["write"]["iops"]
print("%s\t%s\t%.1f\t%.0f\t%.2f" % (sys.argv[2], sys.argv[3], bw, iops,
                                   int(sys.argv[4]) / int(sys.argv[5])))
PY
  log "$target $job: $(tail -1 "$RES" | cut -f3,4,5 | awk '{printf "%s MB/s, %s IOPS, daemon CPU %s s", $1, $2, $3}')"
}

# run_jobs TARGET DAEMON_PID PLACE_ARGS...: the four fio jobs (after a 2 s untimed random-read
# warm-up, so that the daemons' JIT-compiled read path is not part of the measurement). The workload options come first
# (fio's global options), PLACE_ARGS last: they name the job(s) and say where the I/O goes.
run_jobs() {
  local t=$1 pid=$2
  shift 2
  run_fio "$t" seqwrite "$pid" --rw=write --bs=1m --end_fsync=1 "$@"
  if [[ $t == host || $t == direct ]]; then
    # The host file's cached pages come from fio's 1 MiB writes, the image's from the daemon's
    # 128 KiB pwrites (smaller page-cache folios, up to 20 % slower to read from memory). Give
    # both the same start: drop the range's pages and read it once (readahead builds them).
    fio --output=/dev/null --ioengine=psync --invalidate=1 --rw=read --bs=1m "$@" >/dev/null
  fi
  fio --output=/dev/null --ioengine=psync --invalidate=0 --rw=randread --bs=4k --time_based \
    --runtime=2 "$@" >/dev/null
  run_fio "$t" seqread "$pid" --rw=read --bs=1m --time_based --runtime="$RUNTIME" "$@"
  run_fio "$t" randread "$pid" --rw=randread --bs=4k --time_based --runtime="$RUNTIME" "$@"
  run_fio "$t" randwrite "$pid" --rw=randwrite --bs=4k --time_based --runtime="$RUNTIME" \
    --end_fsync=1 "$@"
}

# run_meta TARGET DIR DAEMON_PID
run_meta() {
  local c0 c1 line
  c0=$(cpu_ticks "$3")
  line=$(python3 "$HERE/meta_rate.py" "$2" "$META_FILES")
  c1=$(cpu_ticks "$3")
  for k in create stat unlink; do
    printf '%s\t%s\t\t%s\t%.2f\n' "$1" "$k" "$(sed -n "s/.*${k}_per_s=\([0-9]*\).*/\1/p" <<<"$line")" \
      "$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" 'BEGIN { print (b - a) / t }')" >>"$RES"
  done
  log "$1 metadata: $line"
}

# run_direct: hold the seal of the sealfs file in another process, run the jobs on the image at
# its extents (sealfs-fio-recipe), release.
run_direct() {
  local f=$W/mnt/fio-bench.dat
  "$SEALFS" seal --prepare "$f" 2>"$W/holder.log" &
  HOLDER_PID=$!
  for _ in $(seq 300); do
    [[ $(getfattr --only-values --absolute-names -n user.sealfs.seal "$f" 2>/dev/null) == sealed* ]] && break
    sleep 0.1
  done
  "$RECIPE" "$f" >"$W/direct-recipe.fio"
  read -r -a DIRECT_ARGS <<<"$("$RECIPE" --args "$f")"
  # Never let fio loose on the image without a placement for every job.
  [[ ${DIRECT_ARGS[*]} == --filename=*--name=extent0\ --offset=*\ --size=* ]] \
    || { echo "bench: unexpected recipe: ${DIRECT_ARGS[*]}" >&2; exit 1; }
  log "recipe: ${DIRECT_ARGS[*]}"
  # One extent: the recipe's arguments are the job's placement. With several, fio runs one job
  # per extent (group_reporting sums them).
  run_jobs direct "$SEALFS_PID" "${DIRECT_ARGS[@]}"
  kill -TERM "$HOLDER_PID"
  wait "$HOLDER_PID" || true
  HOLDER_PID=
}

for ((rep = 1; rep <= REPS; rep++)); do
  log "(a) host directory, run $rep/$REPS"
  run_jobs host "" --directory="$W/host" --filename=fio-bench.dat --size="$SIZE" --name=bench
  log "(b) passthrough floor, run $rep/$REPS"
  run_jobs floor "$PT_PID" --directory="$W/pt" --filename=fio-bench.dat --size="$SIZE" --name=bench
  log "(c) sealfs, run $rep/$REPS"
  run_jobs sealfs "$SEALFS_PID" --directory="$W/mnt" --filename=fio-bench.dat --size="$SIZE" \
    --name=bench
  log "(d) direct path, run $rep/$REPS: the seal held by another process, fio at the extents"
  run_direct
done

log "metadata rates ($META_FILES files)"
# One untimed warm-up pass each (the JVM daemons' first 2000 ops run mostly interpreted), then
# REPS interleaved timed passes; the best counts.
for t in "host $W/host" "floor $W/pt $PT_PID" "sealfs $W/mnt $SEALFS_PID"; do
  read -r _ dir _ <<<"$t"
  python3 "$HERE/meta_rate.py" "$dir" "$META_FILES" >/dev/null
done
for ((rep = 1; rep <= REPS; rep++)); do
  run_meta host "$W/host" ""
  run_meta floor "$W/pt" "$PT_PID"
  run_meta sealfs "$W/mnt" "$SEALFS_PID"
done

log "seal latency (1 GiB prepared file, $SEAL_ITERS iterations)"
S=$W/mnt/seal-1g.dat
fallocate -l 1G "$S"
c0=$(cpu_ticks "$SEALFS_PID")
SEAL_LINE=$(python3 "$HERE/seal_latency.py" "$S" "$SEAL_ITERS")
c1=$(cpu_ticks "$SEALFS_PID")
log "seal: $SEAL_LINE"
rm -f "$S"
printf 'sealfs\tseal\t%s\t\t%.2f\n' "$SEAL_LINE" "$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" 'BEGIN { print (b - a) / t }')" >>"$RES"

# ---------------------------------------------------------------------------------------------
MACHINE="$(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), \
$(awk '/MemTotal/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r), \
$(java -version 2>&1 | head -1), $(fio --version), host fs $(stat -f -c %T "$W") on \
$(df --output=source "$W" | tail -1)"
TABLE=$(python3 "$HERE/table.py" "$RES" "$MACHINE" "$SIZE" "$RUNTIME" "$REPS")
printf '\n%s\n' "$TABLE"
cp "$RES" "$W/results-final.tsv"
printf '%s\n' "$TABLE" >"$W/table.md"
if [[ -z ${BENCH_NO_DOC:-} && -f $ROOT/docs/performance.md ]] \
    && grep -q '<!-- bench:begin -->' "$ROOT/docs/performance.md"; then
  python3 - "$ROOT/docs/performance.md" "$W/table.md" "$(date -u +%Y-%m-%dT%H:%MZ)" <<'PY'
import sys
doc, table, when = open(sys.argv[1]).read(), open(sys.argv[2]).read(), sys.argv[3]
a = doc.index("<!-- bench:begin -->") + len("<!-- bench:begin -->")
b = doc.index("<!-- bench:end -->")
open(sys.argv[1], "w").write(doc[:a] + "\n_Last run: %s (bench/run.sh)._\n\n" % when + table + "\n" + doc[b:])
PY
  log "table written to docs/performance.md"
fi
log "raw results in $W (results-final.tsv, fio-*.json, direct-recipe.fio)"
