#!/bin/bash
# TIMEOUT: 120
# SPEC 3: two opens that seal are two holders; the seal lasts until both are released.
# Sealing an already sealed handle changes nothing.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
exec 7<>"$F" 8<>"$F"
read -r g1 h1 < <(sio seal 7) || fail "first seal failed"
assert_eq 1 "$h1" "holders after the first seal"
read -r g2 h2 < <(sio seal 8) || fail "second seal failed"
assert_eq 2 "$h2" "holders after the second seal"
assert_eq "$g1" "$g2" "generation differs between two seals of an unchanged file"
read -r g3 h3 < <(sio seal 8) || fail "re-sealing a sealed handle failed"
assert_eq 2 "$h3" "re-sealing the same handle added a holder"
assert_eq "$g1" "$g3" "re-sealing changed the generation"
assert_eq 1 "$(seal_status_field 7 held_by_me)" "fd 7 not a holder"
assert_eq 0 "$(seal_status_field "$F" held_by_me)" "a fresh handle claims to hold"

exec 7>&-
seal_wait_holders "$F" 1 10 || fail "closing one holder did not drop exactly one"
sleep 0.5
assert_eq 1 "$(seal_status_field "$F" holders)" "second holder lost"
expect_fail_with "Text file busy" truncate -s 0 "$F"
exec 8>&-
seal_wait_holders "$F" 0 10 || fail "closing the second holder did not unseal"
truncate -s 0 "$F" || fail "truncate after both released failed"
