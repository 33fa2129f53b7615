#!/bin/bash
# TIMEOUT: 180
# SPEC 2/3: a sealed file that is unlinked lives on as an orphan: filling the device to ENOSPC
# never reuses its blocks (its bytes stay on the device at the layout's physical offsets), and
# once the last holder goes the space comes back.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_setup -s 64M

F=$SEALFS_MNT/f
PAT=$CASE_DIR/pattern
head -c 2097152 /dev/urandom >"$PAT"
cp "$PAT" "$F" || fail "cannot write $F"
python3 -c '
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR); os.fsync(fd); os.close(fd)' "$F" || fail "fsync"
cmp "$PAT" "$F" || fail "setup copy differs"
seal_hold_bg "$F" strict 150
tail -n +2 "$HOLD_READY" >"$CASE_DIR/orphan.layout"
[ -s "$CASE_DIR/orphan.layout" ] || fail "holder printed no extents"

rm "$F" || fail "unlink of a sealed file refused"
[ ! -e "$F" ] || fail "name still there after unlink"
free_before=$(python3 -c 'import os,sys; s=os.statvfs(sys.argv[1]); print(s.f_bfree*s.f_frsize)' \
  "$SEALFS_MNT")

# Fill the device with 0xee until ENOSPC.
python3 - "$SEALFS_MNT/fill" <<'PY' || fail "filling the device did not end in ENOSPC"
import errno, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
chunk = b"\xee" * 65536
try:
    while True:
        os.write(fd, chunk)
except OSError as e:
    if e.errno != errno.ENOSPC:
        raise
try:
    os.fsync(fd)
except OSError as e:
    if e.errno != errno.ENOSPC:
        raise
os.close(fd)
PY
sio layout "$SEALFS_MNT/fill" >"$CASE_DIR/fill.layout" || fail "layout of the fill file"

# The orphan's bytes are still on the device, and the fill file got none of its blocks.
python3 - "$SEALFS_IMG" "$PAT" "$CASE_DIR/orphan.layout" "$CASE_DIR/fill.layout" <<'PY' \
  || fail "orphan's blocks were reused"
import sys
img, pat, lay, filllay = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
want = open(pat, "rb").read()
orphan = []
covered = 0
with open(img, "rb") as dev:
    for line in open(lay):
        logical, physical, length, state = line.split()
        logical, physical, length = int(logical), int(physical), int(length)
        if state != "written":
            sys.exit("orphan extent not written: " + line)
        orphan.append((physical, physical + length))
        dev.seek(physical)
        got = dev.read(length)
        end = min(logical + length, len(want))
        if got[:end - logical] != want[logical:end]:
            sys.exit("device bytes at %d differ from the orphan's data" % physical)
        covered += end - logical
if covered != len(want):
    sys.exit("layout covers %d of %d bytes" % (covered, len(want)))
fill = open(filllay).read().splitlines()[1:]
for line in fill:
    logical, physical, length, state = line.split()
    a, b = int(physical), int(physical) + int(length)
    for (c, d) in orphan:
        if a < d and c < b:
            sys.exit("fill extent %s overlaps orphan blocks [%d,%d)" % (line, c, d))
PY

seal_hold_stop
# After the last holder goes the orphan is freed: free space grows by about 2 MiB.
ok=0
for ((i = 0; i < 200; i++)); do
  free_now=$(python3 -c 'import os,sys; s=os.statvfs(sys.argv[1]); print(s.f_bfree*s.f_frsize)' \
    "$SEALFS_MNT")
  if [ "$free_now" -ge 2097152 ]; then ok=1; break; fi
  sleep 0.05
done
[ "$ok" = 1 ] || fail "orphan's space not returned: free $free_now bytes (before fill $free_before)"
df "$SEALFS_MNT" >/dev/null || fail "df failed"
