#!/bin/bash
# TIMEOUT: 120
# SPEC 10: hard seals are unaffected: where a hard seal conflicts the operation is ETXTBSY at
# once and no break begins, even if breakable seals conflict too; operations that conflict with
# no seal (reads, in-place writes) break nothing.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 truncate
seal_setup_with break_time=30

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
exec 7<>"$F" 8<>"$F"
python3 - <<'PY' || fail "seal"
import sealfs_ioctl as s
s.seal(7, s.SEAL_BREAKABLE)
s.seal_range(8, 0, 4096)
PY
dd if=/dev/zero of="$F" bs=4096 count=1 seek=4 conv=notrunc status=none \
  || fail "in-place write refused"
cat "$F" >/dev/null
assert_eq 0 "$(seal_status_field 7 state)" "an in-place write began a break"
start=$(date +%s%N)
expect_fail_with "Text file busy" truncate -s 0 "$F"
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
(( took_ms < 10000 )) || fail "the hard refusal waited ${took_ms} ms"
assert_eq 0 "$(seal_status_field 7 state)" "a hard refusal began a break"
assert_eq 2 "$(seal_status_field 7 holders)" "holders after the refusal"
