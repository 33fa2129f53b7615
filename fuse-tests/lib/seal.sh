# shellcheck shell=bash
# Helpers shared by the fuse-tests/cases/seal-* cases (owned by helper "client").
# Source after nothing else: it sources common.sh itself.
#
#   . "$FUSE_TESTS/lib/seal.sh"
#   seal_setup                 # mkfs (128M) + mount + cleanup of background helpers
#   sio status "$F"            # python ioctl CLI (sealfs_ioctl.py main)
#   exec 7<>"$F"; sio seal 7   # the shell itself becomes the holder (fd 7)

# shellcheck source=common.sh
. "$FUSE_TESTS/lib/common.sh"

export PYTHONPATH="$FUSE_TESTS/lib${PYTHONPATH:+:$PYTHONPATH}"
SEAL_BG_PIDS=()

# sio ARGS...: the sealfs_ioctl.py command line (abi, seal, unseal, status, layout, hold).
sio() {
  python3 "$FUSE_TESTS/lib/sealfs_ioctl.py" "$@"
}

# seal_kill_bg: kill -9 every background helper this case started.
seal_kill_bg() {
  local p
  for p in "${SEAL_BG_PIDS[@]}"; do
    kill -9 "$p" 2>/dev/null || true
  done
  SEAL_BG_PIDS=()
}

# seal_close_fds: close the descriptors 7, 8 and 9 cases use as shell-held handles.
seal_close_fds() {
  exec 7>&- 8>&- 9>&-
}

# seal_trap: run seal_kill_bg before whatever EXIT trap is set now (common.sh's unmount).
# The case's exit status is kept and handed on as the $? the previous trap starts with
# (common.sh's _common_exit exits with it), with errexit off so that handing a failure on does
# not end the trap before the unmount.
seal_trap() {
  local prev="" t
  if [ -n "$(trap -p EXIT)" ]; then
    eval "t=($(trap -p EXIT))"   # trap -- 'CMD' EXIT, re-quoted by bash itself
    prev=${t[2]}
  fi
  # shellcheck disable=SC2064
  trap "_seal_rc=\$?; set +e; seal_kill_bg; seal_close_fds; (exit \$_seal_rc); $prev" EXIT
}

# seal_setup [mkfs args...]: a fresh filesystem (default 128M) mounted at $SEALFS_MNT.
seal_setup() {
  if [ $# -eq 0 ]; then
    set -- -s 128M
  fi
  fs_mkfs "$@" >/dev/null || fail "mkfs failed"
  fs_mount || fail "mount failed"
  seal_trap
}

# expect_xfs_io_err ERRTEXT ARGS...: runs xfs_io ARGS and fails unless its output has ERRTEXT
# (e.g. "Text file busy"). Its exit status is not used: xfs_io exits 0 after an error from some
# commands (fzero, copy_range, ...), so only the message tells.
expect_xfs_io_err() {
  local errtext=$1 out
  shift
  out=$(xfs_io "$@" 2>&1) || true
  printf '%s\n' "$out" >&2
  grep -qF -- "$errtext" <<<"$out" || fail "expected '$errtext' from: xfs_io $*"
}

# seal_status_field PATH|FD FIELD: one field of SEALFS_IOC_STATUS (e.g. holders).
seal_status_field() {
  local out
  out=$(sio status "$1") || return 1
  printf '%s\n' "$out" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# seal_wait_holders PATH N [TIMEOUT_S]: poll until the inode has N holders (RELEASE is async).
seal_wait_holders() {
  local path=$1 want=$2 timeout=${3:-10} got="" i
  for ((i = 0; i < timeout * 20; i++)); do
    got=$(seal_status_field "$path" holders) || got="?"
    [ "$got" = "$want" ] && return 0
    sleep 0.05
  done
  echo "holders of $path: wanted $want, still $got after ${timeout}s" >&2
  return 1
}

# seal_hold_bg PATH MODE [TIMEOUT_S]: start a python holder; sets HOLD_PID, HOLD_READY, HOLD_OUT.
# It seals, writes "generation=G holders=H pid=P" and the layout to $HOLD_READY, and on
# SIGTERM checks the generation and layout did not change (exit 0) or prints CHANGED (exit 3).
seal_hold_bg() {
  local path=$1 mode=$2 timeout=${3:-60}
  HOLD_READY=$(mktemp -u "$CASE_DIR/hold.XXXXXX")
  HOLD_OUT=$HOLD_READY.out
  # python directly (not the sio function) so that $! is the holder itself, for kill/wait.
  python3 "$FUSE_TESTS/lib/sealfs_ioctl.py" hold "$path" "$mode" "$HOLD_READY" "$timeout" \
    >"$HOLD_OUT" 2>&1 &
  HOLD_PID=$!
  SEAL_BG_PIDS+=("$HOLD_PID")
  wait_for 60 eval '[ -s "$HOLD_READY" ] || ! kill -0 "$HOLD_PID" 2>/dev/null'
  [ -s "$HOLD_READY" ] && return 0
  cat "$HOLD_OUT" >&2
  fail "holder of $path did not seal (mode $mode)"
}

# seal_hold_stop: SIGTERM the holder started by seal_hold_bg and fail unless it saw no change.
seal_hold_stop() {
  local rc=0
  kill -TERM "$HOLD_PID" 2>/dev/null
  wait "$HOLD_PID" || rc=$?
  [ "$rc" -eq 0 ] || fail "holder exited $rc: $(cat "$HOLD_OUT")"
  grep -q '^unchanged' "$HOLD_OUT" || fail "holder reported: $(cat "$HOLD_OUT")"
}

# seal_mkfile PATH SIZE_BYTES [BYTE]: a fully written file filled with BYTE (default 0xab).
seal_mkfile() {
  python3 - "$1" "$2" "${3:-171}" <<'PY' || fail "cannot create $1"
import os, sys
path, size, byte = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, "wb") as f:
    chunk = bytes([byte]) * 65536
    left = size
    while left > 0:
        n = min(left, len(chunk))
        f.write(chunk[:n])
        left -= n
    f.flush()
    os.fsync(f.fileno())
PY
}

# seal_size PATH: the file size in bytes.
seal_size() {
  stat -c %s "$1"
}

# seal_layout PATH: the layout (ioctl) as "generation=... / extent lines" text.
seal_layout() {
  sio layout "$1"
}

# seal_setup_with MOUNT_OPTS: like seal_setup (128M) but mounted with -o MOUNT_OPTS
# (e.g. break_time=2,seal_limit=64K).
seal_setup_with() {
  fs_mkfs -s 128M >/dev/null || fail "mkfs failed"
  fs_mount -o "$1" || fail "mount -o $1 failed"
  seal_trap
}

# seal_binding: the FUSE binding the mounts of this case use (native or jnr-fuse).
seal_binding() {
  printf '%s\n' "${SEALFS_BINDING:-native}"
}

# seal_need_native WHY: skips the case unless the mounts use the native binding.
seal_need_native() {
  [ "$(seal_binding)" = native ] || skip "needs the native binding (SEALFS_BINDING=native): $1"
}
