#!/bin/bash
# TIMEOUT: 120
# SPEC 3: closing the last fd releases the handle and drops its seal (RELEASE is asynchronous,
# so poll); afterwards the map can change again.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
F="$F" python3 - <<'PY' || fail "seal in a short-lived process failed"
import os, sealfs_ioctl as s
fd = os.open(os.environ["F"], os.O_RDWR)
gen, holders = s.seal(fd)
assert holders == 1, holders
st = s.status(fd)
assert st["sealed"] == 1 and st["held_by_me"] == 1 and st["holders"] == 1, st
assert st["generation"] == gen and st["size"] == 65536, st
assert st["block_size"] in (1024, 2048, 4096, 8192, 16384, 32768, 65536), st
os.close(fd)
PY
seal_wait_holders "$F" 0 10 || fail "close did not release the seal"
assert_eq 0 "$(seal_status_field "$F" sealed)" "still sealed after close"
truncate -s 0 "$F" || fail "truncate after the holder closed failed"
