# shellcheck shell=bash
# Helpers of the fsck-corrupt* cases (owned by helper "crash"): how a damaged image must be
# treated (SPEC 6). Source after common.sh. Failures are collected in DAMAGE_FAILS so that one
# run shows every scenario; damage_finish fails the case if there were any.

DAMAGE_FAILS=()
export CORRUPT=$FUSE_TESTS/lib/corrupt.py

# Records a failed expectation of scenario NAME.
damage_fail() {
  printf 'FAIL: %s\n' "$*" >&2
  DAMAGE_FAILS+=("$*")
}

# True if the text in $2 shows a Java stack trace.
has_trace() {
  grep -qE 'Exception|Error:|^[[:space:]]at |'$'\t''at ' <<< "$1"
}

# damage_expect_fsck NAME ALLOWED_CODES: `sealfs fsck -n` must end within 90 s with one of the
# exit codes (e.g. "4 8"), print no stack trace, and leave the image unchanged.
damage_expect_fsck() {
  local name=$1 allowed=$2 out rc=0 before
  before=$(sha256sum < "$SEALFS_IMG")
  out=$(timeout 90 "$SEALFS" fsck -n "$SEALFS_IMG" 2>&1) || rc=$?
  printf '  fsck -n: exit %d: %s\n' "$rc" "$(tail -n 1 <<< "$out")"
  ((rc == 124)) && damage_fail "$name: fsck -n still running after 90 s"
  [[ " $allowed " == *" $rc "* ]] || damage_fail "$name: fsck -n exited $rc, want one of $allowed"
  has_trace "$out" && damage_fail "$name: fsck -n printed a stack trace: $out"
  [[ $(sha256sum < "$SEALFS_IMG") == "$before" ]] || damage_fail "$name: fsck -n wrote to the image"
}

# damage_expect_refused NAME: `sealfs mount` must fail within 10 s with one line on its output
# starting "sealfs: ", no stack trace, nothing mounted, no daemon left, the image unchanged.
damage_expect_refused() {
  local name=$1 out rc=0 before t0 ms pid
  before=$(sha256sum < "$SEALFS_IMG")
  rm -f "$SEALFS_PIDFILE"
  t0=${EPOCHREALTIME/./}
  out=$(timeout 90 "$SEALFS" mount "$SEALFS_IMG" "$SEALFS_MNT" --pidfile "$SEALFS_PIDFILE" 2>&1) \
    || rc=$?
  ms=$(((${EPOCHREALTIME/./} - t0) / 1000))
  printf '  mount: exit %d after %d ms: %s\n' "$rc" "$ms" "$out"
  if is_mounted "$SEALFS_MNT"; then
    damage_fail "$name: the damaged image was mounted"
    fs_umount
    return
  fi
  ((rc != 0)) || damage_fail "$name: mount exited 0 but nothing is mounted"
  ((rc == 124)) && damage_fail "$name: mount still running after 90 s"
  ((ms <= 10000)) || damage_fail "$name: mount took $ms ms to refuse (limit 10 s)"
  [[ $(wc -l <<< "$out") == 1 ]] || damage_fail "$name: mount printed $(wc -l <<< "$out") lines"
  [[ $out == "sealfs: "* ]] || damage_fail "$name: mount's message does not start with 'sealfs: '"
  has_trace "$out" && damage_fail "$name: mount printed a stack trace"
  pid=$(daemon_pid)
  if [[ -n $pid ]] && pid_alive "$pid"; then
    damage_fail "$name: daemon $pid still alive after the refused mount"
  fi
  [[ $(sha256sum < "$SEALFS_IMG") == "$before" ]] || damage_fail "$name: the refused mount wrote to the image"
}

# Ends the case: fails it if any expectation failed.
damage_finish() {
  if ((${#DAMAGE_FAILS[@]})); then
    printf '%d failed expectation(s):\n' "${#DAMAGE_FAILS[@]}" >&2
    printf '  %s\n' "${DAMAGE_FAILS[@]}" >&2
    exit 1
  fi
}
