#!/bin/bash
# TIMEOUT: 400
# Missing mount point, mount point that is a file, device already mounted: one-line errors,
# non-zero exit, nothing (more) mounted.
. "$(dirname "$0")/../lib/common.sh"
fs_mkfs
one_line_error() {   # one_line_error CMD...: fails unless CMD fails with one "sealfs: " line
  local rc=0
  # (90 s: a hang detector, not a speed limit: a loaded machine starts the JVMs slowly)
  timeout -k 5 90 "$@" > "$CASE_DIR/out" 2> "$CASE_DIR/err" || rc=$?
  cat "$CASE_DIR/out" "$CASE_DIR/err"
  ((rc != 0 && rc != 124 && rc != 137)) || fail "$* exited $rc"
  assert_eq 1 "$(wc -l < "$CASE_DIR/err")" "stderr lines of: $*"
  grep -q '^sealfs: ' "$CASE_DIR/err" || fail "stderr of '$*' does not start with 'sealfs: '"
}
step "missing mount point"
one_line_error "$SEALFS" mount "$SEALFS_IMG" "$CASE_DIR/no-such-dir"
[[ ! -e $CASE_DIR/no-such-dir ]] || fail "missing mount point was created"
step "mount point is a file"
: > "$CASE_DIR/plainfile"
one_line_error "$SEALFS" mount "$SEALFS_IMG" "$CASE_DIR/plainfile"
step "device in use by a mounted sealfs"
fs_mount
mkdir "$CASE_DIR/mnt2"
one_line_error "$SEALFS" mount "$SEALFS_IMG" "$CASE_DIR/mnt2"
is_mounted "$CASE_DIR/mnt2" && fail "the same device got mounted twice"
echo ok > "$SEALFS_MNT/still-works"
assert_eq ok "$(cat "$SEALFS_MNT/still-works")" "first mount still works"
