#!/bin/bash
# TIMEOUT: 120
# SPEC 2: a write that would extend a sealed file (past EOF, straddling EOF, O_APPEND) is
# ETXTBSY with nothing written and no short write; the size stays.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 xfs_io
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536 17
exec 7<>"$F"
sio seal 7 >/dev/null || fail "cannot seal $F"
before=$(seal_layout "$F") || fail "layout failed"

expect_xfs_io_err "Text file busy" -c "pwrite 65536 4096" "$F"
expect_xfs_io_err "Text file busy" -c "pwrite -b 8192 61440 8192" "$F"
expect_xfs_io_err "Text file busy" -c "pwrite 1M 4096" "$F"
expect_xfs_io_err "Text file busy" -d -c "pwrite 65536 4096" "$F"
expect_xfs_io_err "Text file busy" -a -c "pwrite 0 1" "$F"
if echo more >>"$F" 2>"$CASE_DIR/append.err"; then
  fail "shell append (O_APPEND) to a sealed file succeeded"
fi
grep -q "Text file busy" "$CASE_DIR/append.err" || fail "append error: $(cat "$CASE_DIR/append.err")"
F="$F" python3 - <<'PY' || fail "python extending writes not refused cleanly"
import errno, os
f = os.environ["F"]
def refused(what, fn):
    try:
        n = fn()
    except OSError as e:
        assert e.errno == errno.ETXTBSY, "%s: %s" % (what, e)
        return
    raise SystemExit("%s returned %r instead of ETXTBSY (short write?)" % (what, n))
fd = os.open(f, os.O_RDWR)
refused("pwrite straddling EOF", lambda: os.pwrite(fd, b"x" * 4097, 61440))
refused("pwrite at EOF", lambda: os.pwrite(fd, b"x", 65536))
os.close(fd)
# A buffered write starting mid-page in an uncached page (open drops the cache) reaches FUSE
# as two requests cut at that page's end; the first is inside the file and allowed (a short
# write of 536 bytes), the rest refused. That exact shape is the documented FUSE-layer limit
# (docs/sealing.md section 13); anything else fails. The bytes are put back afterwards.
fd = os.open(f, os.O_RDWR)
os.lseek(fd, 65000, os.SEEK_SET)
try:
    n = os.write(fd, b"y" * 1000)
except OSError as e:
    assert e.errno == errno.ETXTBSY, "write crossing EOF: %s" % e
else:
    assert n == 65536 - 65000, "write crossing EOF returned %d (not the page-end split)" % n
    assert os.fstat(fd).st_size == 65536, "the split write extended the file"
    assert os.pwrite(fd, bytes([17]) * n, 65000) == n
os.close(fd)
fd = os.open(f, os.O_WRONLY | os.O_APPEND)
refused("O_APPEND write", lambda: os.write(fd, b"z"))
os.close(fd)
PY

assert_eq 65536 "$(seal_size "$F")" "size changed under the seal"
F="$F" python3 -c '
import os
d = open(os.environ["F"], "rb").read()
assert d == bytes([17]) * 65536, "bytes changed by a refused write"
' || fail "data changed by refused extending writes"
after=$(seal_layout "$F") || fail "layout failed"
assert_eq "$before" "$after" "layout changed by refused writes"
exec 7>&-
