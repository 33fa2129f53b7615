#!/bin/bash
# TIMEOUT: 300
# An independent client of the seal ABI (fuse-tests/lib/abi_client.c), written from SPEC.md
# alone: its own request codes, struct offsets, flags and errnos. It runs every check against
# a real mount with 4096- and 1024-byte blocks, then checks that a seal's map is durable when
# SEAL returns (kill -9 of the daemon, remount) and that seals are not persisted.
. "$FUSE_TESTS/lib/common.sh"
command -v gcc >/dev/null 2>&1 || { echo "skip: needs gcc"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (owner checks switch to uid 65534)"

CLIENT=$CASE_DIR/abi_client
gcc -std=gnu11 -O1 -Wall -Wextra -Werror -o "$CLIENT" "$FUSE_TESTS/lib/abi_client.c" \
  || fail "abi_client.c does not compile"

rc=0
for bs in 4096 1024; do
  step "block size $bs"
  fs_mkfs -b "$bs" -s 64M -f >/dev/null || fail "mkfs -b $bs failed"
  fs_mount -o allow_other
  "$CLIENT" main "$SEALFS_MNT" "$SEALFS_IMG" || rc=1
  fs_umount
done

step "a SEAL's map is durable when it returns; seals are not persisted"
fs_mkfs -s 64M -f >/dev/null || fail "mkfs failed"
fs_mount -o allow_other
state=$CASE_DIR/durable.state
"$CLIENT" durable-prep "$SEALFS_MNT" "$SEALFS_IMG" "$state" >"$CASE_DIR/prep.out" 2>&1 &
prep=$!
on_exit "kill -9 $prep 2>/dev/null"
wait_for 60 grep -qx ready "$CASE_DIR/prep.out" || { cat "$CASE_DIR/prep.out"; fail "durable-prep not ready"; }
cat "$CASE_DIR/prep.out"
grep -q '^FAIL' "$CASE_DIR/prep.out" && rc=1
daemon=$(daemon_pid)
[ -n "$daemon" ] || fail "no daemon pid"
kill -9 "$daemon"
wait_for 10 eval '! pid_alive '"$daemon" || fail "daemon $daemon survived kill -9"
kill -9 "$prep" 2>/dev/null || true
wait "$prep" 2>/dev/null || true
fusermount3 -u "$SEALFS_MNT" 2>/dev/null || fusermount3 -uz "$SEALFS_MNT"
fs_mount -o allow_other
"$CLIENT" durable-check "$SEALFS_MNT" "$SEALFS_IMG" "$state" || rc=1
fs_umount
exit $rc
