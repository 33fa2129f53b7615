#!/bin/bash
# TIMEOUT: 120
# SPEC 2: every fallocate mode on a sealed inode is ETXTBSY (allocate, keep-size, punch hole,
# zero range, fallocate(1)); modes the FUSE kernel never forwards (collapse, insert, unshare)
# fail with its EOPNOTSUPP. Nothing changes: layout, size and bytes.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 xfs_io fallocate
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 1048576
exec 7<>"$F"
sio seal 7 >/dev/null || fail "cannot seal $F"
before=$(seal_layout "$F") || fail "layout failed"

# Forwarded modes first: a daemon answering EOPNOTSUPP would disable fallocate for the mount.
expect_xfs_io_err "Text file busy" -c "falloc 0 4096" "$F"
expect_xfs_io_err "Text file busy" -c "falloc 1048576 65536" "$F"
expect_xfs_io_err "Text file busy" -c "falloc -k 1048576 65536" "$F"
expect_xfs_io_err "Text file busy" -c "falloc -k 0 4096" "$F"
expect_xfs_io_err "Text file busy" -c "fpunch 0 4096" "$F"
expect_xfs_io_err "Text file busy" -c "fpunch 4096 1M" "$F"
expect_xfs_io_err "Text file busy" -c "fzero 0 4096" "$F"
expect_xfs_io_err "Text file busy" -c "fzero -k 1048576 4096" "$F"
expect_xfs_io_err "Text file busy" -c "fzero 1040384 16384" "$F"
expect_fail_with "Text file busy" fallocate -l 2M "$F"
expect_fail_with "Text file busy" fallocate -n -o 1M -l 1M "$F"
expect_fail_with "Text file busy" fallocate -p -o 0 -l 4096 "$F"
expect_fail_with "Text file busy" fallocate -z -o 0 -l 8192 "$F"
F="$F" python3 - <<'PY' || fail "posix_fallocate not refused with ETXTBSY"
import errno, os
fd = os.open(os.environ["F"], os.O_RDWR)
try:
    os.posix_fallocate(fd, 0, 1 << 21)
except OSError as e:
    raise SystemExit(0 if e.errno == errno.ETXTBSY else "posix_fallocate: %s" % e)
raise SystemExit("posix_fallocate succeeded")
PY
for cmd in "fcollapse 0 4096" "finsert 0 4096" "funshare 0 4096"; do
  out=$(xfs_io -c "$cmd" "$F" 2>&1) || true   # its exit status does not tell (see seal.sh)
  case $out in
    *"Text file busy"*|*"Operation not supported"*) ;;
    *) fail "xfs_io $cmd: unexpected error: $out" ;;
  esac
done

assert_eq 1048576 "$(seal_size "$F")" "size changed under the seal"
after=$(seal_layout "$F") || fail "layout failed"
assert_eq "$before" "$after" "layout changed under the seal"
cmp -n 1048576 "$F" <(python3 -c 'import sys; sys.stdout.buffer.write(b"\xab" * 1048576)') \
  || fail "data changed under the seal (punch/zero leaked through?)"

# Control: unsealed, fallocate works and changes the map.
sio unseal 7 || fail "unseal failed"
exec 7>&-
seal_wait_holders "$F" 0 || fail "seal not released"
xfs_io -c "falloc 1048576 65536" "$F" || fail "falloc after unseal failed"
assert_eq 1114112 "$(seal_size "$F")" "falloc after unseal did not grow the file"
