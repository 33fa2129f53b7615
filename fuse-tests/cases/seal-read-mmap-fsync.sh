#!/bin/bash
# TIMEOUT: 120
# SPEC 2: read, mmap (read and write inside the file) and fsync are allowed on a sealed file.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 262144 3
exec 7<>"$F"
sio seal 7 >/dev/null || fail "cannot seal $F"
before=$(seal_layout "$F") || fail "layout failed"

F="$F" python3 - <<'PY' || fail "read/mmap/fsync on a sealed file failed"
import mmap, os
f = os.environ["F"]
fd = os.open(f, os.O_RDWR)
assert os.pread(fd, 262144, 0) == b"\x03" * 262144, "read"
m = mmap.mmap(fd, 262144, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
assert m[:4096] == b"\x03" * 4096, "mmap read"
m[4096:8192] = b"\x44" * 4096
m.flush()                      # msync
os.fsync(fd)
os.fdatasync(fd)
m.close()
os.close(fd)
fd = os.open(f, os.O_RDONLY)   # a fresh open reads what the mapping wrote
d = os.pread(fd, 262144, 0)
os.close(fd)
assert d[4096:8192] == b"\x44" * 4096, "mapped write not visible after msync"
assert d[:4096] == b"\x03" * 4096 and d[8192:] == b"\x03" * (262144 - 8192), "other bytes"
PY
sync "$F" 2>/dev/null || true
after=$(seal_layout "$F") || fail "layout failed"
assert_eq "$before" "$after" "layout changed by read/mmap/fsync"
assert_eq 1 "$(seal_status_field 7 sealed)" "seal lost"
exec 7>&-
