#!/bin/bash
# TIMEOUT: 120
# SPEC 2: on a sealed inode every size change (shrink, grow, same size) is ETXTBSY:
# truncate(1), ftruncate (xfs_io), truncate(2) and open(O_TRUNC) (python). Size and layout stay.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 xfs_io truncate
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 1048576
exec 7<>"$F"
sio seal 7 >/dev/null || fail "cannot seal $F"
before=$(seal_layout "$F") || fail "layout failed"

expect_fail_with "Text file busy" truncate -s 0 "$F"
expect_fail_with "Text file busy" truncate -s 4096 "$F"
expect_fail_with "Text file busy" truncate -s 1048576 "$F"
expect_fail_with "Text file busy" truncate -s 2M "$F"
expect_xfs_io_err "Text file busy" -c "truncate 0" "$F"
expect_xfs_io_err "Text file busy" -c "truncate 1048576" "$F"
expect_xfs_io_err "Text file busy" -c "truncate 8M" "$F"
F="$F" python3 - <<'PY' || fail "python truncate checks failed"
import errno, os, sys
f = os.environ["F"]
bad = []
def expect_etxtbsy(what, fn):
    try:
        fn()
    except OSError as e:
        if e.errno != errno.ETXTBSY:
            bad.append("%s: %s" % (what, e))
        return
    bad.append("%s: succeeded" % what)
expect_etxtbsy("truncate(2) shrink", lambda: os.truncate(f, 100))
expect_etxtbsy("truncate(2) same", lambda: os.truncate(f, 1048576))
fd = os.open(f, os.O_RDWR)
expect_etxtbsy("ftruncate grow", lambda: os.ftruncate(fd, 1 << 22))
expect_etxtbsy("ftruncate shrink", lambda: os.ftruncate(fd, 0))
os.close(fd)
expect_etxtbsy("open(O_WRONLY|O_TRUNC)", lambda: os.close(os.open(f, os.O_WRONLY | os.O_TRUNC)))
expect_etxtbsy("open(O_RDWR|O_TRUNC)", lambda: os.close(os.open(f, os.O_RDWR | os.O_TRUNC)))
if bad:
    print("\n".join(bad), file=sys.stderr)
    sys.exit(1)
PY
assert_eq 1048576 "$(seal_size "$F")" "size changed under the seal"
after=$(seal_layout "$F") || fail "layout failed"
assert_eq "$before" "$after" "layout changed under the seal"
cmp -n 1048576 "$F" <(python3 -c 'import sys; sys.stdout.buffer.write(b"\xab" * 1048576)') \
  || fail "data changed under the seal"

# Control: once unsealed the same truncate works (so the refusals above were the seal's).
sio unseal 7 || fail "unseal failed"
exec 7>&-
seal_wait_holders "$F" 0 || fail "seal not released"
truncate -s 4096 "$F" || fail "truncate after unseal failed"
assert_eq 4096 "$(seal_size "$F")" "truncate after unseal did not take"
