# shellcheck shell=bash
# fuse-tests/lib/common.sh — sourced by every case: mount helpers, assertions, cleanup trap.
#
# A case starts with:
#   #!/bin/bash
#   # TIMEOUT: 120
#   . "$(dirname "$0")/../lib/common.sh"
# and then uses fs_mkfs / fs_mount / fs_umount / fs_remount and the assertions below. The case
# runs with `set -euo pipefail`; the EXIT trap runs the case's on_exit commands (last first) and
# unmounts $SEALFS_MNT if it is still mounted. Cases can also be run by hand: anything the
# harness would export gets a default here (a fresh directory under ${TMPDIR:-/tmp}).
set -euo pipefail

if [[ -z ${FUSE_TESTS:-} ]]; then
  FUSE_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fi
if [[ -z ${SEALFS:-} ]]; then
  SEALFS=$(cd "$FUSE_TESTS/.." && pwd)/bin/sealfs
fi
if [[ -z ${CASE_DIR:-} ]]; then
  CASE_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sealfs-case.XXXX")
  chmod 0755 "$CASE_DIR"
fi
SEALFS_IMG=${SEALFS_IMG:-$CASE_DIR/sealfs.img}
SEALFS_MNT=${SEALFS_MNT:-$CASE_DIR/mnt}
export FUSE_TESTS SEALFS CASE_DIR SEALFS_IMG SEALFS_MNT
mkdir -p "$SEALFS_MNT"

# The FUSE binding of every mount the case makes (`sealfs mount` reads SEALFS_BINDING): unless
# the run chose one, what `sealfs mount` picks by itself: native.
if [[ -z ${SEALFS_BINDING:-} ]]; then
  SEALFS_BINDING=native
fi
export SEALFS_BINDING
# SEALFS_TRANSPORT (io_uring | dev_fuse | unset), set by `fuse-tests/run`, reaches `sealfs mount`
# through the environment and picks the native binding's transport (see fuse-tests/run).
# SEALFS_DEVICE_IO (buffered | direct | mmap | unset): fs_mount adds -o device_io=VALUE before the
# case's own options (so a case that names a mode keeps it); power-cut-mmap sets it.

# The python used by the cases: the system one, so it also works as an unprivileged user.
if [[ -z ${PYTHON:-} ]]; then
  if [[ -x /usr/bin/python3 ]]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
export PYTHON

SEALFS_PIDFILE=$CASE_DIR/daemon.pid

# ---------------------------------------------------------------------------------------------
# Messages and assertions

# Prints a progress line to the case log.
step() { printf '== %s\n' "$*"; }

# Prints MSG on stderr and ends the case as failed.
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }

# Prints MSG and ends the case as skipped (exit 77).
skip() { printf 'skip: %s\n' "$*"; exit 77; }

# Skips the case unless every CMD is on PATH.
require_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" > /dev/null 2>&1 || skip "needs $c"
  done
}

# Fails unless EXPECTED equals ACTUAL (string comparison); MSG says what was compared.
assert_eq() {
  local expected=$1 actual=$2 msg=${3:-values differ}
  if [[ "$expected" != "$actual" ]]; then
    fail "$msg: expected [$expected], got [$actual]"
  fi
}

# Runs CMD..., asserts that it fails and that its stderr contains ERRTEXT (e.g. "Text file busy").
# The command's stderr is printed to the log either way.
expect_fail_with() {
  local errtext=$1 rc=0 errfile
  shift
  errfile=$(mktemp "$CASE_DIR/stderr.XXXX")
  "$@" 2> "$errfile" || rc=$?
  cat "$errfile" >&2
  if ((rc == 0)); then
    rm -f "$errfile"
    fail "expected failure with '$errtext' but succeeded: $*"
  fi
  if ! grep -qF -- "$errtext" "$errfile"; then
    rm -f "$errfile"
    fail "expected '$errtext' in stderr of: $* (exit $rc)"
  fi
  rm -f "$errfile"
}

# Runs one syscall via fsop.py and asserts it fails with errno ENAME (or succeeds for OK); ENAME
# may list alternatives that mean the same, separated by |, e.g.
#   expect_errno ENOTEMPTY rename a b      expect_errno "$DEAD_DAEMON_ERRNOS" stat "$SEALFS_MNT"
expect_errno() {
  local want=$1 got
  shift
  got=$("$PYTHON" "$FUSE_TESTS/lib/fsop.py" "$@" 2>&1) || true
  [[ "|$want|" == *"|$got|"* ]] || fail "$*: expected $want, got $got"
}

# The errnos of a request to a FUSE mount whose daemon is gone: ENOTCONN for a new request,
# ECONNABORTED for one that was waiting when the connection went (e.g. right after kill -9),
# ECANCELED for one the kernel had handed to an io_uring ring entry of the killed daemon.
DEAD_DAEMON_ERRNOS="ENOTCONN|ECONNABORTED|ECANCELED"

# Waits until a condition holds, polling every 0.1 s. Two forms:
#   wait_for SECONDS CMD [ARGS...]     wait_for "SHELL CONDITION" SECONDS
# Returns 1 if it still does not hold after SECONDS.
wait_for() {
  local secs cond_is_string=0 deadline
  if [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; then
    secs=$1
    shift
  else
    secs=$2
    cond_is_string=1
  fi
  deadline=$(($(date +%s%N) + ${secs%.*} * 1000000000))
  while :; do
    if ((cond_is_string)); then
      eval "$1" && return 0
    else
      "$@" && return 0
    fi
    (($(date +%s%N) >= deadline)) && return 1
    sleep 0.1
  done
}

# ---------------------------------------------------------------------------------------------
# Files and trees

# Prints the SHA-256 of FILE (hex only).
file_sha() { sha256sum "$1" | cut -d' ' -f1; }

# Prints "sha256  ./relpath" for every regular file under DIR, sorted by path.
tree_sums() {
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
}

# Prints one line per entry under DIR: path, type, mode, uid, gid, size (files), mtime (ns, not
# for dirs and links unless WITH_DIR_TIMES=1), nlink, link target. For comparing two trees.
tree_meta() {
  (cd "$1" && find . -mindepth 1 -printf '%p %y %m %U %G %n %l\n' | LC_ALL=C sort) || return 1
  (cd "$1" && find . -mindepth 1 -type f -printf '%p size=%s mtime=%T@\n' | LC_ALL=C sort)
}

# Prints the inode number of PATH.
inode_of() { stat -c %i "$1"; }

# Runs CMD... as uid/gid 65534 with no supplementary groups.
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# ---------------------------------------------------------------------------------------------
# Mounts

# True if DIR (default $SEALFS_MNT) is a mount point in /proc/mounts.
is_mounted() {
  local dir=${1:-$SEALFS_MNT}
  dir=$(readlink -m "$dir")
  awk -v d="$dir" '
    function unesc(s) { gsub(/\\040/, " ", s); gsub(/\\011/, "\t", s); gsub(/\\134/, "\\", s); return s }
    unesc($2) == d { found = 1 } END { exit !found }' /proc/mounts
}

# True if DIR (default $SEALFS_MNT) is listed in /proc/mounts and stat(2) of it fails with one of
# $DEAD_DAEMON_ERRNOS: a stale FUSE mount whose daemon is gone.
is_dead_mount() {
  local dir=${1:-$SEALFS_MNT} got
  is_mounted "$dir" || return 1
  got=$("$PYTHON" "$FUSE_TESTS/lib/fsop.py" stat "$dir" 2>&1) || true
  [[ "|$DEAD_DAEMON_ERRNOS|" == *"|$got|"* ]]
}

# Prints PID and the pids of all its descendants, one a line.
pid_tree() {
  local c
  echo "$1"
  for c in $(cat /proc/"$1"/task/*/children 2>/dev/null); do pid_tree "$c"; done
}

# True if a thread of process PID (or of one of its descendants) waits in the kernel for a FUSE
# daemon's reply.
waits_on_fuse() {
  local p w
  for p in $(pid_tree "$1"); do
    for w in /proc/"$p"/task/*/wchan; do
      [[ $(cat "$w" 2>/dev/null) == *request_wait_answer* ]] && return 0
    done
  done
  return 1
}

# Prints the filesystem type of the mount at DIR (default $SEALFS_MNT), e.g. fuse.sealfs.
mount_type() {
  local dir
  dir=$(readlink -m "${1:-$SEALFS_MNT}")
  awk -v d="$dir" '$2 == d { t = $3 } END { if (t != "") print t }' /proc/mounts
}

# Prints the pid of the running daemon from the pidfile, or nothing.
daemon_pid() {
  [[ -f $SEALFS_PIDFILE ]] && tr -dc '0-9' < "$SEALFS_PIDFILE" 2>/dev/null  # removed as it exits
  return 0
}

# stage_python NAME: sets PYDIR to a new directory /tmp/NAME.XXXXXX (removed when the case
# exits) holding the seal ABI modules, fuse-tests/lib/sealfs_ioctl.py and python/sealfs, readable
# by every user: the PYTHONPATH of a python that runs as another user (who may not reach
# $CASE_DIR).
stage_python() {
  PYDIR=$(mktemp -d "/tmp/$1.XXXXXX") || fail "mktemp"
  on_exit "rm -rf '$PYDIR'"
  cp "$FUSE_TESTS/lib/sealfs_ioctl.py" "$PYDIR/" && cp -r "$FUSE_TESTS/../python/sealfs" "$PYDIR/" \
    && chmod -R a+rX "$PYDIR" || fail "cannot stage the python modules in $PYDIR"
}

# True if PID is alive (and not a zombie).
pid_alive() {
  local pid=$1 state
  [[ -n $pid ]] && [[ -r /proc/$pid/stat ]] || return 1
  state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
  [[ $state != Z ]]
}

# Creates the filesystem in $SEALFS_IMG: `sealfs mkfs ARGS $SEALFS_IMG`, with -s 256M unless
# ARGS give a size.
fs_mkfs() {
  local a has_size=0
  for a in "$@"; do
    case $a in -s | --size | -s* | --size=*) has_size=1 ;; esac
  done
  if ((has_size)); then
    "$SEALFS" mkfs "$@" "$SEALFS_IMG"
  else
    "$SEALFS" mkfs -s 256M "$@" "$SEALFS_IMG"
  fi
}

# Mounts $SEALFS_IMG at $SEALFS_MNT in the background (`sealfs mount ... --pidfile`, plus ARGS,
# e.g. -o allow_other), then waits until the mount is in /proc/mounts (30 s at most).
fs_mount() {
  mkdir -p "$SEALFS_MNT"
  is_mounted "$SEALFS_MNT" && fail "fs_mount: $SEALFS_MNT is already mounted"
  rm -f "$SEALFS_PIDFILE"
  local io=()
  [[ -n ${SEALFS_DEVICE_IO:-} ]] && io=(-o "device_io=$SEALFS_DEVICE_IO")
  "$SEALFS" mount "$SEALFS_IMG" "$SEALFS_MNT" --pidfile "$SEALFS_PIDFILE" "${io[@]}" "$@" \
    || fail "fs_mount: sealfs mount exited $?"
  wait_for 30 is_mounted "$SEALFS_MNT" || fail "fs_mount: $SEALFS_MNT not mounted after 30 s"
  [[ -n $(daemon_pid) ]] || wait_for 5 test -s "$SEALFS_PIDFILE" \
    || fail "fs_mount: no pid in $SEALFS_PIDFILE"
}

# Unmounts $SEALFS_MNT with fusermount3 -u (retrying while busy, 10 s) and waits until the
# daemon has exited (60 s), so the image is closed and consistent when this returns.
fs_umount() {
  local pid i
  pid=$(daemon_pid)
  if is_mounted "$SEALFS_MNT"; then
    for ((i = 0; ; i++)); do
      if [[ $(mount_type "$SEALFS_MNT") == fuse* ]]; then
        fusermount3 -u "$SEALFS_MNT" && break
      else
        umount "$SEALFS_MNT" && break
      fi
      ((i < 100)) || fail "fs_umount: cannot unmount $SEALFS_MNT"
      sleep 0.1
    done
  fi
  if [[ -n $pid ]]; then
    wait_for 60 eval '! pid_alive '"$pid" || fail "fs_umount: daemon $pid still alive 60 s after unmount"
  fi
  is_mounted "$SEALFS_MNT" && fail "fs_umount: $SEALFS_MNT still mounted"
  return 0
}

# Unmounts and mounts again (ARGS go to fs_mount).
fs_remount() {
  fs_umount
  fs_mount "$@"
}

# ---------------------------------------------------------------------------------------------
# Cleanup

_ON_EXIT=()

# Registers a shell command to run when the case exits (before the final unmount; last first).
on_exit() { _ON_EXIT+=("$*"); }

_common_exit() {
  local rc=$? i
  set +e
  for ((i = ${#_ON_EXIT[@]} - 1; i >= 0; i--)); do
    eval "${_ON_EXIT[i]}"
  done
  if is_mounted "$SEALFS_MNT"; then
    fusermount3 -u "$SEALFS_MNT" 2>/dev/null || fusermount3 -uz "$SEALFS_MNT" 2>/dev/null \
      || umount -l "$SEALFS_MNT" 2>/dev/null
  fi
  exit "$rc"
}
trap _common_exit EXIT
