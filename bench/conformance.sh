#!/usr/bin/env bash
# bench/conformance.sh — the conformance and integrity runs of docs/conformance.md: pjdfstest in
# full, fsx (1,000,000 operations with mapped reads and writes, and again with plain read/write
# only) and fsstress, each on a fresh image and mount of its own; after each run the daemon must
# still be alive, the mount is unmounted and `sealfs fsck -n` of the image must be clean.
#
#   bench/conformance.sh [-b native|jnr-fuse] [--pjdfstest DIR] [--fsx FSX] [--fsstress FSSTRESS]
#                        [--fsx-ops N] [--fsx-mode mapped,rw,odirect] [--fsstress-ops N]
#                        [--fsstress-procs N] [--seed S]
#
# DIR is a built pjdfstest tree (DIR/pjdfstest and DIR/tests); FSX and FSSTRESS are xfstests'
# ltp/fsx and ltp/fsstress binaries. Only the tools given run; docs/conformance.md says how to
# build them. --fsx-mode lists the fsx runs (default mapped,rw; odirect adds an O_DIRECT run;
# shared a block-aligned run whose copy_file_range calls share blocks).
# Runs as root (pjdfstest switches users; the native binding mounts with mount(2)). Not run by
# CI: the tools are not Debian packages. Prints one summary line per run and exits non-zero if
# any run failed. Logs stay in the run directory it names (under ${TMPDIR:-/tmp}).
set -uo pipefail
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)

binding=native pjd='' fsx='' fsstress='' fsx_ops=1000000 fsx_mode=mapped,rw fss_ops=20000 fss_procs=4 seed=1
while (($#)); do
  case $1 in
    -b | --binding) binding=$2; shift 2 ;;
    --pjdfstest) pjd=$(readlink -f "$2"); shift 2 ;;
    --fsx) fsx=$(readlink -f "$2"); shift 2 ;;
    --fsstress) fsstress=$(readlink -f "$2"); shift 2 ;;
    --fsx-ops) fsx_ops=$2; shift 2 ;;
    --fsx-mode) fsx_mode=$2; shift 2 ;;
    --fsstress-ops) fss_ops=$2; shift 2 ;;
    --fsstress-procs) fss_procs=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "sealfs: conformance.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n $pjd$fsx$fsstress ]] || { echo "sealfs: conformance.sh: give at least one tool (see --help)" >&2; exit 2; }
[[ $(id -u) == 0 ]] || { echo "sealfs: conformance.sh: run as root" >&2; exit 2; }

RUN_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sealfs-conformance.XXXX")
chmod 0755 "$RUN_DIR"
export SEALFS_BINDING=$binding CASE_DIR=$RUN_DIR
# The mount helpers (fs_mkfs, fs_mount, fs_umount) and the unmount-on-exit trap of fuse-tests.
# shellcheck source=../fuse-tests/lib/common.sh
. "$HERE/../fuse-tests/lib/common.sh"
set +e
echo "conformance: binding $binding, logs in $RUN_DIR"

failures=0
summary=()

# run_one NAME COMMAND...: a fresh 2 GiB image and mount at $RUN_DIR/NAME, COMMAND run from the
# mount's NAME directory (its output in NAME.log), then the checks; appends the summary line.
run_one() {
  local name=$1 start end rc pid used fsck_rc verdict daemon_log errors
  shift
  SEALFS_IMG=$RUN_DIR/$name.img SEALFS_MNT=$RUN_DIR/$name.mnt SEALFS_PIDFILE=$RUN_DIR/$name.pid
  (fs_mkfs -s 2G > "$RUN_DIR/$name.mkfs.log" && fs_mount -o "binding=$binding" > "$RUN_DIR/$name.mount.log") \
    || { summary+=("$name: FAIL (mkfs or mount; see $RUN_DIR/$name.*.log)"); ((failures++)); return; }
  pid=$(daemon_pid)
  # The binding really used: only the jnr-fuse daemon has libfuse 2 mapped.
  if grep -q 'libfuse\.so\.2' "/proc/$pid/maps"; then used=jnr-fuse; else used=native; fi
  mkdir -m 0755 "$SEALFS_MNT/$name"
  start=$(date +%s.%N)
  (cd "$SEALFS_MNT/$name" && "$@") > "$RUN_DIR/$name.log" 2>&1
  rc=$?
  end=$(date +%s.%N)
  verdict=ok
  ((rc == 0)) || verdict="exit $rc"
  [[ $used == "$binding" ]] || verdict="$verdict, daemon used the $used binding"
  pid_alive "$pid" || verdict="$verdict, daemon died"
  (fs_umount) > "$RUN_DIR/$name.umount.log" 2>&1 || verdict="$verdict, unmount failed"
  # The daemon's own log (sealfs mount names it): any error or exception it logged fails the run.
  daemon_log=$(sed -n 's/^sealfs: daemon log: //p' "$RUN_DIR/$name.mount.log")
  [[ -f $daemon_log ]] && cp "$daemon_log" "$RUN_DIR/$name.daemon.log"
  errors=$(grep -Ec 'ERROR|Exception' "$RUN_DIR/$name.daemon.log" 2>/dev/null)
  ((${errors:-0} == 0)) || verdict="$verdict, $errors error lines in $name.daemon.log"
  "$SEALFS" fsck -n "$SEALFS_IMG" > "$RUN_DIR/$name.fsck.log" 2>&1
  fsck_rc=$?
  ((fsck_rc == 0)) || verdict="$verdict, fsck -n exit $fsck_rc"
  [[ $verdict == ok ]] || ((failures++))
  summary+=("$name: $verdict; $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.0f", b - a }') s; $(result_of "$name"); fsck -n exit $fsck_rc")
  rm -f "$SEALFS_IMG"
}

# result_of NAME: the tool's own verdict line(s) from NAME.log.
result_of() {
  case $1 in
    pjdfstest) grep -E '^(Files=|Result:)' "$RUN_DIR/$1.log" | tr '\n' ' ' ;;
    fsx*) grep -E 'operations completed|^(LOG DUMP|READ BAD|.*failed)' "$RUN_DIR/$1.log" | head -3 | tr '\n' ' ' ;;
    fsstress) echo "$(grep -c . "$RUN_DIR/$1.log") output lines" ;;
  esac
}

if [[ -n $pjd ]]; then
  run_one pjdfstest prove -rv "$pjd/tests"
fi
if [[ -n $fsx ]]; then
  # Default operation mix: read, write, mapped read and write, truncate, fallocate modes, punch
  # and zero range, copy_file_range (fsx probes each and disables what the filesystem refuses).
  if [[ ,$fsx_mode, == *,mapped,* ]]; then
    run_one fsx-mapped "$fsx" -q -N "$fsx_ops" -S "$seed" -P "$RUN_DIR" fsx-mapped.file
  fi
  # read(2)/write(2) only, no mmap (-R -W).
  if [[ ,$fsx_mode, == *,rw,* ]]; then
    run_one fsx-rw "$fsx" -q -N "$fsx_ops" -S "$seed" -R -W -P "$RUN_DIR" fsx-rw.file
  fi
  # Block-aligned reads, writes and copies (-r 4096 -w 4096): fsx then gives copy_file_range
  # offsets that lie alike within a block, so sealfs shares blocks (SPEC 11) and every later
  # write, truncate and punch of them goes through copy-on-write.
  if [[ ,$fsx_mode, == *,shared,* ]]; then
    run_one fsx-shared "$fsx" -q -N "$fsx_ops" -S "$seed" -r 4096 -w 4096 -P "$RUN_DIR" fsx-shared.file
  fi
  # O_DIRECT (-Z), which needs -R -W and block-aligned reads, writes and truncates.
  if [[ ,$fsx_mode, == *,odirect,* ]]; then
    run_one fsx-odirect "$fsx" -q -N "$fsx_ops" -S "$seed" -Z -R -W -r 4096 -w 4096 -t 4096 \
      -P "$RUN_DIR" fsx-odirect.file
  fi
fi
if [[ -n $fsstress ]]; then
  run_one fsstress "$fsstress" -p "$fss_procs" -n "$fss_ops" -s "$seed" -d .
fi

printf '%s\n' "${summary[@]}"
((failures == 0))
