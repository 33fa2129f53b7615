#!/bin/bash
# TIMEOUT: 120
# SPEC 8, 9: `sealfs seal --range OFFSET:LENGTH` holds a range seal while COMMAND runs,
# `sealfs status` shows the holder's range, and sealctl seal-range seals from C.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 gcc truncate
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
out=$("$SEALFS" seal --range 4K:8K "$F" -- sh -c '
  truncate -s 8192 "$0" 2>/dev/null && echo shrink-allowed
  truncate -s 12288 "$0" && echo to-end-allowed
  "$1" status "$0"' "$F" "$SEALFS" 2>&1) || fail "sealfs seal --range: $out"
printf '%s\n' "$out"
grep -q "shrink-allowed" <<<"$out" && fail "shrink below the range's end was allowed"
grep -q "to-end-allowed" <<<"$out" || fail "shrink to the range's end was refused"
grep -q "sealed $F bytes 4096..12288" <<<"$out" || fail "seal message: $out"
grep -q "^holder: .* range=4096:8192 breakable=0 state=held" <<<"$out" || fail "status: $out"
expect_fail_with "invalid range" "$SEALFS" seal --range 4096 "$F" -- true
SEALCTL=$CASE_DIR/sealctl
gcc -Wall -Werror -o "$SEALCTL" "$(dirname "$SEALFS")/../examples/sealctl.c" \
  -I"$(dirname "$SEALFS")/../include" || fail "cannot build sealctl"
out=$("$SEALCTL" seal-range "$F" 0 4096) || fail "sealctl seal-range: $out"
[[ $out =~ ^sealed\ generation=[0-9]+\ holders=1\ range=0:4096$ ]] || fail "sealctl: $out"
