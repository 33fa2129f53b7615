#!/bin/bash
# setuid/setgid are dropped on write, truncate, fallocate and chown exactly as on ext4, both
# when sealfs tells the kernel it does this itself (FUSE_HANDLE_KILLPRIV_V2, the default) and
# with -o nokillpriv_v2 (the kernel does it); and with the flag the kernel sends one request per
# 4 KiB write instead of two (no GETXATTR security.capability before each), counted with strace.
. "$(dirname "$0")/../lib/common.sh"
require_cmd setpriv fallocate

# mode_after SETUP_MODE CMD...: sets the mode of f, runs CMD, prints the mode of f.
mode_after() {
  local m=$1
  shift
  chmod "$m" f
  "$@" > /dev/null
  stat -c %a f
}

# check_rules LABEL: the drop-privileges matrix on the current mount (the modes ext4 gives; the
# core applies the rule itself in both modes, the kernel's own FUSE rule would keep setgid
# without g+x for a writer outside the group).
check_rules() {
  local label=$1
  cd "$SEALFS_MNT"
  echo data > f
  chmod 0666 f
  assert_eq 6777 "$(mode_after 6777 sh -c 'echo r >> f')" "$label: root write keeps both"
  assert_eq 777 "$(mode_after 6777 as_nobody sh -c 'echo n >> f')" "$label: non-root write drops both"
  assert_eq 767 "$(mode_after 6767 as_nobody sh -c 'echo n >> f')" \
    "$label: setgid without g+x, writer outside the group"
  chgrp 65534 f
  assert_eq 2767 "$(mode_after 6767 as_nobody sh -c 'echo n >> f')" \
    "$label: setgid without g+x, writer in the group"
  chgrp 0 f
  assert_eq 6777 "$(mode_after 6777 truncate -s 3 f)" "$label: root truncate keeps both"
  assert_eq 777 "$(mode_after 6777 as_nobody truncate -s 2 f)" "$label: non-root truncate drops both"
  assert_eq 777 "$(mode_after 6777 as_nobody sh -c ': > f')" "$label: non-root O_TRUNC drops both"
  assert_eq 777 "$(mode_after 6777 as_nobody fallocate -l 8192 f)" "$label: non-root fallocate drops both"
  assert_eq 755 "$(mode_after 6755 chown 65534:65534 f)" "$label: chown drops both"
  chown 0:0 f
  mkdir -p d
  assert_eq 6755 "$(chmod 6755 d; chown 65534 d; stat -c %a d)" "$label: a directory keeps both"
  rm -rf f d
  cd /
}

# traced PID: true once every thread of PID has a tracer (strace -f -p has attached).
traced() {
  local s
  for s in /proc/"$1"/task/*/status; do
    [[ $(awk '/^TracerPid:/ { print $2 }' "$s" 2>/dev/null) =~ ^[1-9] ]] || return 1
  done
}

# requests_per_write: 4 KiB pwrites into an existing file under strace of the daemon; prints
# the number of requests taken (/dev/fuse reads, or io_uring_enter calls: one per request on
# the io_uring transport) per device pwrite64, times 100.
requests_per_write() {
  local pid st
  pid=$(daemon_pid)
  st=$CASE_DIR/strace.$RANDOM
  head -c 1048576 /dev/zero > "$SEALFS_MNT/w"
  strace -f -q -c -e trace=read,pwrite64,io_uring_enter -o "$st" -p "$pid" &
  local tracer=$!
  on_exit "kill $tracer 2>/dev/null"
  # (strace attaches in the background: wait until it has, or has given up)
  wait_for 60 eval "traced $pid || ! kill -0 $tracer 2>/dev/null"
  if ! traced "$pid"; then
    kill "$tracer" 2>/dev/null
    echo "strace did not attach to $pid" >&2
    echo -1
    return
  fi
  "$PYTHON" - "$SEALFS_MNT/w" <<'PY'
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY)
for i in range(2000):
    os.pwrite(fd, b"x" * 4096, (i * 7 % 256) * 4096)
os.close(fd)
PY
  # every pwrite64 of the daemon has returned before the write it serves did
  kill -INT "$tracer"
  wait "$tracer" || true
  awk '$NF == "read" || $NF == "io_uring_enter" { r += $4 } $NF == "pwrite64" { w = $4 } END { if (w == 0) print -1; else printf "%d\n", 100 * r / w }' "$st"
  rm -f "$SEALFS_MNT/w"
}

# check_requests MIN MAX WHAT: the requests per 100 writes lie in [MIN, MAX), else fails with
# WHAT; says so when strace is missing or cannot trace the daemon.
check_requests() {
  local min=$1 max=$2 what=$3 per
  if ! command -v strace > /dev/null; then
    step "strace missing: request counts not checked"
    return 0
  fi
  per=$(requests_per_write)
  step "requests per write x100: $per"
  if ((per < 0)); then
    step "strace could not trace the daemon: request counts not checked"
    return 0
  fi
  ((per >= min && per < max)) || fail "expected $what, got $per/100"
}

fs_mkfs
step "with FUSE_HANDLE_KILLPRIV_V2 (default)"
fs_mount -o allow_other,device_io=buffered # the count below takes a pwrite64 per data write
check_rules killpriv_v2
check_requests 1 130 "about one FUSE request per write"
fs_umount

step "with -o nokillpriv_v2"
fs_mount -o allow_other,nokillpriv_v2,device_io=buffered
check_rules nokillpriv_v2
check_requests 170 100000 "a GETXATTR before every write without the flag"
