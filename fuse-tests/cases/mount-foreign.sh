#!/bin/bash
# TIMEOUT: 120
# `sealfs mount` of files that are not sealfs filesystems (random bytes, zeros, empty, a text
# file, a directory, a missing path) is refused within 10 s with one line on stderr starting
# "sealfs: ", a non-zero exit and no stack trace; nothing is mounted and the file is unchanged.
. "$(dirname "$0")/../lib/common.sh"
head -c $((16 << 20)) /dev/urandom > "$CASE_DIR/random.img"
truncate -s 64M "$CASE_DIR/zeros.img"
: > "$CASE_DIR/empty.img"
cp /etc/os-release "$CASE_DIR/text.img"
mkdir "$CASE_DIR/dir.img"
# the start of a real ext4 image if mkfs.ext4 is here
if command -v mkfs.ext4 > /dev/null; then
  truncate -s 32M "$CASE_DIR/ext4.img" && mkfs.ext4 -q -F "$CASE_DIR/ext4.img"
fi
for img in "$CASE_DIR"/*.img "$CASE_DIR/missing.img"; do
  step "mount $(basename "$img")"
  sum_before=$( [[ -f $img ]] && file_sha "$img" || echo none)
  t0=$(date +%s%N)
  rc=0
  # (60 s: a hang detector, not a speed limit; a loaded machine starts a JVM slowly)
  timeout -k 5 60 "$SEALFS" mount "$img" "$SEALFS_MNT" --pidfile "$SEALFS_PIDFILE" \
    > "$CASE_DIR/out" 2> "$CASE_DIR/err" || rc=$?
  ms=$((($(date +%s%N) - t0) / 1000000))
  cat "$CASE_DIR/out" "$CASE_DIR/err"
  echo "exit $rc after $ms ms"
  ((rc != 124 && rc != 137)) || fail "mount of $(basename "$img") hung (killed after 60 s)"
  ((rc != 0)) || fail "mount of $(basename "$img") succeeded"
  assert_eq 1 "$(wc -l < "$CASE_DIR/err")" "stderr lines for $(basename "$img")"
  grep -q '^sealfs: ' "$CASE_DIR/err" || fail "stderr does not start with 'sealfs: '"
  grep -qiE 'exception|^\s+at ' "$CASE_DIR/err" "$CASE_DIR/out" && fail "stack trace printed"
  is_mounted "$SEALFS_MNT" && fail "$(basename "$img") got mounted"
  assert_eq "$sum_before" "$( [[ -f $img ]] && file_sha "$img" || echo none)" \
    "$(basename "$img") modified by a refused mount"
  pid=$(daemon_pid)
  [[ -z $pid ]] || ! pid_alive "$pid" || fail "a daemon ($pid) is running after a refused mount"
done
