#!/bin/bash
# TIMEOUT: 120
# The native binding asks for 1 MiB requests (INIT: MAX_PAGES, max_write 1 MiB): a 1 MiB
# write(2), buffered or O_DIRECT, reaches the daemon as one WRITE. The daemon counts its WRITE
# requests and logs the count and the largest at INFO when the session ends. jnr-fuse (libfuse
# 2.9) is capped at 128 KiB: skipped there.
. "$FUSE_TESTS/lib/common.sh"
[[ ${SEALFS_BINDING:-jnr-fuse} == native ]] || skip "native binding only (SEALFS_BINDING=native)"
require_cmd dd
fs_mkfs -s 128M >/dev/null || fail "mkfs failed"
out=$(SEALFS_LOG_LEVEL=INFO fs_mount) || fail "mount failed"
printf '%s\n' "$out"
log=$(sed -n 's/^sealfs: daemon log: //p' <<<"$out")
[[ -n $log && -f $log ]] || fail "no daemon log named in: $out"

step "8 buffered and 8 O_DIRECT writes of 1 MiB"
dd if=/dev/urandom of="$CASE_DIR/data" bs=1M count=8 status=none
dd if="$CASE_DIR/data" of="$SEALFS_MNT/buffered" bs=1M count=8 conv=fsync status=none \
  || fail "buffered dd failed"
dd if="$CASE_DIR/data" of="$SEALFS_MNT/direct" bs=1M count=8 oflag=direct status=none \
  || fail "O_DIRECT dd failed"
cmp "$CASE_DIR/data" "$SEALFS_MNT/buffered" || fail "buffered copy differs"
cmp "$CASE_DIR/data" "$SEALFS_MNT/direct" || fail "O_DIRECT copy differs"
fs_umount

grep -F 'FUSE INIT' "$log" || fail "no INIT line in $log"
grep -qF 'max_write 1048576' "$log" || fail "INIT did not agree on max_write 1048576"
line=$(grep -F 'WRITE requests:' "$log" | tail -1)
printf '%s\n' "$line"
[[ $line == *"WRITE requests: 16, largest 1048576 bytes"* ]] \
  || fail "16 writes of 1 MiB did not arrive as 16 requests of 1 MiB: $line"
