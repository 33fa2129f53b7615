#!/bin/bash
# TIMEOUT: 120
# SPEC 9: the size rule of a range seal: shrinking below offset+length is ETXTBSY; growing and
# shrinking to a size at or past offset+length are allowed (truncate(1) and ftruncate).
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 truncate
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
exec 7<>"$F"
sio seal-range 7 4096 8192 >/dev/null || fail "range seal failed"
expect_fail_with "Text file busy" truncate -s 12287 "$F"
truncate -s 1M "$F" || fail "growing a range-sealed file was refused"
truncate -s 12288 "$F" || fail "shrinking to the range's end was refused"
assert_eq 12288 "$(seal_size "$F")" "size after the allowed shrink"
expect_fail_with "Text file busy" truncate -s 0 "$F"
assert_eq 1 "$(seal_status_field 7 holders)" "the range holder is gone"
sio unseal 7 || fail "unseal"
truncate -s 0 "$F" || fail "truncate after unseal"
