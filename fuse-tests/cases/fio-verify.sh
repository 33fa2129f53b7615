#!/bin/bash
# TIMEOUT: 600
# fio verify=crc32c, verify_fatal=1 (fuse-tests/fio/verify.fio), then the same data verified
# again (verify_only) after unmount/mount.
. "$(dirname "$0")/../lib/common.sh"
require_cmd fio
fs_mkfs
fs_mount
job=$FUSE_TESTS/fio/verify.fio
fio --output="$CASE_DIR/fio.out" "$job" || { cat "$CASE_DIR/fio.out"; fail "fio exited $?"; }
cat "$CASE_DIR/fio.out"
grep -q 'verify.*fail\|bad magic\|crc32c: verify failed' "$CASE_DIR/fio.out" && fail "fio reported a verify error"
fs_remount
fio --verify_only --output="$CASE_DIR/fio2.out" "$job" \
  || { cat "$CASE_DIR/fio2.out"; fail "fio --verify_only after remount exited $?"; }
cat "$CASE_DIR/fio2.out"
