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

expect_fail_with "Text file busy" xfs_io -c "pwrite 65536 4096" "$F"
expect_fail_with "Text file busy" xfs_io -c "pwrite 61440 8192" "$F"
expect_fail_with "Text file busy" xfs_io -c "pwrite 1M 4096" "$F"
expect_fail_with "Text file busy" xfs_io -d -c "pwrite 65536 4096" "$F"
expect_fail_with "Text file busy" xfs_io -a -c "pwrite 0 1" "$F"
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
os.lseek(fd, 65000, os.SEEK_SET)
refused("write crossing EOF", lambda: os.write(fd, b"y" * 1000))
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
