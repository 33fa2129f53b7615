#!/bin/bash
# TIMEOUT: 240
# SPEC 10 from the holder's side: `sealfs direct --breakable FILE` seals FILE as a lease and
# does device I/O at its extents; a truncate from another process begins a break and waits;
# the holder is told (POLLPRI on the native binding), stops device I/O before its next I/O,
# releases the seal and reports how long that took; then the truncate proceeds. break_time=120
# so that a holder that did not let go would be revoked only long after: the report must say it
# let go (not revoked), and the truncate must have done its work. fsck is clean afterwards.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd truncate getfattr
seal_need_native "a parked truncate on jnr-fuse holds the single request loop"
seal_setup_with break_time=120

F=$SEALFS_MNT/lease.dat
seal_mkfile "$F" $((4 << 20))
out=$CASE_DIR/direct.out
"$SEALFS" direct "$F" --breakable --write --ops 100000000 --time 150 >"$out" 2>&1 &
DIRECT=$!
SEAL_BG_PIDS+=("$DIRECT")
wait_for 90 eval 'grep -qs "^direct: lease held" "$out" || ! kill -0 $DIRECT 2>/dev/null' \
  || fail "direct did not start: $(cat "$out")"
grep -q '^direct: lease held' "$out" || fail "direct did not seal and start I/O: $(cat "$out")"
seal_wait_holders "$F" 1 30 || fail "no holder"
getfattr --only-values -n user.sealfs.holders "$F" | grep -q 'breakable=1 state=held' \
  || fail "the direct holder's seal is not breakable"

truncate -s 4096 "$F" || fail "the conflicting truncate failed instead of waiting"
rc=0
wait "$DIRECT" || rc=$?
cat "$out"
assert_eq 0 "$rc" "sealfs direct --breakable exit status"
line=$(grep '^direct: break ' "$out") || fail "direct did not report the break"
grep -q ' pollpri=1 ' <<<"$line" || fail "the native binding should report POLLPRI: $line"
grep -q '^direct: let go of the seal before its deadline' "$out" || fail "the holder did not let go in time"
grep -qx 'violations=0' "$out" || fail "no violations=0 line"
ops=$(sed -n 's/^direct: mode=.* ops=\([0-9]*\) .*/\1/p' "$out")
((ops > 0)) || fail "no device I/O before the break (ops=$ops)"
assert_eq 4096 "$(seal_size "$F")" "size after the truncate went on"
seal_wait_holders "$F" 0 30 || fail "a holder is left"
fs_umount
"$SEALFS" fsck -n "$SEALFS_IMG" || fail "fsck after the lease"
