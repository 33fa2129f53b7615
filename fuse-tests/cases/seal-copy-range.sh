#!/bin/bash
# TIMEOUT: 120
# SPEC 2/7: with the jnr-fuse binding copy_file_range into a sealed file is judged as the writes
# it turns into: refused (ETXTBSY) when it would extend the file, allowed inside written extents.
# With the native binding it is refused always.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 xfs_io
seal_setup

F=$SEALFS_MNT/f
S=$SEALFS_MNT/src
seal_mkfile "$F" 65536 1
seal_mkfile "$S" 131072 2
exec 7<>"$F"
sio seal 7 >/dev/null || fail "cannot seal $F"
before=$(seal_layout "$F") || fail "layout failed"

expect_xfs_io_err "Text file busy" -c "copy_range -s 0 -d 65536 -l 4096 $S" "$F"
expect_xfs_io_err "Text file busy" -c "copy_range -s 0 -d 61440 -l 8192 $S" "$F"
expect_xfs_io_err "Text file busy" -c "copy_range -s 0 -d 65536 -l 131072 $S" "$F"
# (A copy that starts inside and runs past EOF may legitimately copy its inside part first:
# the kernel splits it into writes and only the extending one is refused.)
assert_eq 65536 "$(seal_size "$F")" "size changed by a refused copy_range"
F="$F" python3 -c '
import os
d = open(os.environ["F"], "rb").read()
assert d == bytes([1]) * 65536, "bytes changed by a refused copy_range"
' || fail "data changed by refused copy_range"

if [[ ${SEALFS_BINDING:-jnr-fuse} == native ]]; then
  # The native binding gets COPY_FILE_RANGE whole: refused inside too (see copy-range-native).
  expect_xfs_io_err "Text file busy" -c "copy_range -s 0 -d 8192 -l 4096 $S" "$F"
else
# Inside written extents it is allowed and the bytes arrive.
xfs_io -c "copy_range -s 0 -d 8192 -l 4096 $S" "$F" || fail "copy_range inside refused"
F="$F" python3 -c '
import os
d = open(os.environ["F"], "rb").read()
assert d[8192:12288] == bytes([2]) * 4096 and d[:8192] == bytes([1]) * 8192, "copy not applied"
' || fail "copy_range inside did not copy the bytes"
fi
after=$(seal_layout "$F") || fail "layout failed"
assert_eq "$before" "$after" "layout changed by copy_range"
exec 7>&-
