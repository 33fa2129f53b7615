#!/bin/bash
# TIMEOUT: 180
# Issue 12's break race on a real mount (native binding; the heavy, deterministic part is the
# core's BreakRaceTest): yielding breakable holders (one whole-file, two ranges) seal, are told
# through POLLPRI, check their sealed blocks never moved, let go (UNSEAL or close) and seal
# again, while two attackers truncate, punch, zero, preallocate and write the file (every op
# parked while a break runs, then re-run, never refused); a stubborn direct writer never lets
# go, is revoked at break_time=1, and writes 0xee into its old layout on the device while a
# filler fills the device with a pattern file that must stay intact (the quarantine). Bounded to
# 40 s of racing; fsck is clean after the unmount.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 getfattr
seal_need_native "a parked request on jnr-fuse holds the single request loop"
fs_mkfs -s 32M >/dev/null || fail "mkfs failed"
fs_mount -o break_time=1 || fail "mount failed"
seal_trap

F=$SEALFS_MNT/f
G=$SEALFS_MNT/g
seal_mkfile "$F" $((64 * 4096))
dev=$(getfattr --only-values -n user.sealfs.device "$F" | sed -n 's/^path=\([^ ]*\) .*/\1/p')
[ -n "$dev" ] || fail "no device path in user.sealfs.device"

python3 "$FUSE_TESTS/lib/breakrace.py" "$F" "$G" "$dev" 300 40 3 >"$CASE_DIR/race.out" 2>&1 &
RACE=$!
SEAL_BG_PIDS+=("$RACE")
rc=0
wait "$RACE" || rc=$?
cat "$CASE_DIR/race.out"
[ "$rc" -eq 0 ] || fail "the race found violations or a stuck process (exit $rc)"
line=$(grep '^breaks=' "$CASE_DIR/race.out") || fail "no summary line"
field() { sed -n "s/.*\<$1=\([0-9]*\).*/\1/p" <<<"$line"; }
(( $(field breaks) >= 50 )) || fail "too few breaks to call it a race: $line"
(( $(field stubborn_cycles) >= 1 )) || fail "the stubborn holder was never revoked: $line"
(( $(field late_writes) > 0 )) || fail "no late direct writes were made: $line"
seal_wait_holders "$F" 0 30 || fail "holders left after the race"
fs_umount
"$SEALFS" fsck -n "$SEALFS_IMG" || fail "fsck after the break race"
