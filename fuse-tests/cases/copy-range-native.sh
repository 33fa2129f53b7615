#!/bin/bash
# TIMEOUT: 120
# SPEC 7/11 on the native binding: COPY_FILE_RANGE reaches sealfs whole, so copy_file_range
# into a sealed file is ETXTBSY with nothing copied, in place as well as extending; into an
# unsealed file (and after the seal goes) the bytes arrive. The jnr-fuse binding never sees the
# request (libfuse 2.9 answers ENOSYS and the kernel copies with writes): skipped there.
. "$FUSE_TESTS/lib/seal.sh"
[[ ${SEALFS_BINDING:-jnr-fuse} == native ]] || skip "native binding only (SEALFS_BINDING=native)"
require_cmd python3
seal_setup

F=$SEALFS_MNT/f
S=$SEALFS_MNT/src
G=$SEALFS_MNT/g
seal_mkfile "$F" 65536 1
seal_mkfile "$S" 131072 2
exec 7<>"$F"
sio seal 7 >/dev/null || fail "cannot seal $F"
before=$(seal_layout "$F") || fail "layout failed"

step "copy_file_range into the sealed file: in place, straddling EOF, extending"
F="$F" S="$S" python3 - <<'PY' || fail "copy_file_range into a sealed file was not refused"
import errno, os
f = os.open(os.environ["F"], os.O_WRONLY)
s = os.open(os.environ["S"], os.O_RDONLY)
for dst, length in ((8192, 4096), (0, 65536), (61440, 8192), (65536, 4096), (1 << 20, 65536)):
    try:
        n = os.copy_file_range(s, f, length, 0, dst)
    except OSError as e:
        assert e.errno == errno.ETXTBSY, (dst, length, e)
        continue
    raise AssertionError("copy of %d bytes to %d was allowed (%d copied)" % (length, dst, n))
PY
assert_eq 65536 "$(seal_size "$F")" "size changed by a refused copy_file_range"
F="$F" python3 -c '
import os
assert open(os.environ["F"], "rb").read() == bytes([1]) * 65536
' || fail "bytes changed by a refused copy_file_range"
assert_eq "$before" "$(seal_layout "$F")" "layout changed by a refused copy_file_range"

step "copy_file_range into an unsealed file copies inside the filesystem"
seal_mkfile "$G" 65536 3
S="$S" G="$G" python3 - <<'PY' || fail "copy_file_range into an unsealed file failed"
import os
g = os.open(os.environ["G"], os.O_WRONLY)
s = os.open(os.environ["S"], os.O_RDONLY)
assert os.copy_file_range(s, g, 4096, 0, 8192) == 4096
done = 0
while done < 131072:                      # extending: 128 KiB at 64 KiB
    n = os.copy_file_range(s, g, 131072 - done, done, 65536 + done)
    assert n > 0, "short copy"
    done += n
d = open(os.environ["G"], "rb").read()
assert len(d) == 65536 + 131072, len(d)
assert d[:8192] == bytes([3]) * 8192 and d[8192:12288] == bytes([2]) * 4096
assert d[12288:65536] == bytes([3]) * (65536 - 12288) and d[65536:] == bytes([2]) * 131072
PY

step "after the seal goes, the same copy into the file is allowed"
exec 7>&-
seal_wait_holders "$F" 0 || fail "seal not released"
F="$F" S="$S" python3 - <<'PY' || fail "copy_file_range after unseal failed"
import os
f = os.open(os.environ["F"], os.O_WRONLY)
s = os.open(os.environ["S"], os.O_RDONLY)
assert os.copy_file_range(s, f, 4096, 0, 8192) == 4096
d = open(os.environ["F"], "rb").read()
assert d[8192:12288] == bytes([2]) * 4096 and d[:8192] == bytes([1]) * 8192
PY
