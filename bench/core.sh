#!/usr/bin/env bash
# bench/core.sh — the core benchmark (issue 10): 4 KiB random writes and reads, each thread on
# its own file, in-process over a real image file (no FUSE), on 1, 2 and 4 threads; prints ops/s
# and the speedup over one thread. Target: 2 threads at least 1.7x one thread on 2 cores.
# Run it on an otherwise idle machine: timings are meaningless while other work runs.
# Tunables: BENCH_SECONDS (5 per point), BENCH_FILE_MIB (64 per file), BENCH_DIR (work dir,
# default a fresh /tmp/sealfs-core-bench.XXXX, removed afterwards).
# Needs: javac, java, a built target/sealfs.jar (built here if missing).
set -euo pipefail
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
JAR=$ROOT/target/sealfs.jar
[[ -f $JAR ]] || (cd "$ROOT" && mvn -B -q package -DskipTests)
WORK=${BENCH_DIR:-$(mktemp -d /tmp/sealfs-core-bench.XXXX)}
trap '[[ -z ${BENCH_DIR:-} ]] && rm -rf "$WORK"' EXIT
mkdir -p "$WORK/classes"
javac -d "$WORK/classes" -cp "$JAR" "$HERE/core/CoreBench.java"
java -Dfile.encoding=ISO-8859-1 -cp "$JAR:$WORK/classes" CoreBench "$WORK" \
  "${BENCH_SECONDS:-5}" "${BENCH_FILE_MIB:-64}"
