#!/bin/bash
# TIMEOUT: 240
# SPEC 10: blocks freed from under a revoked holder are quarantined: a late direct write by
# the revoked holder into its old layout lands in blocks no file owns (another file filling the
# device keeps its data), statfs counts them as used, and UNSEAL gives them back; fsck is clean.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 truncate df getfattr
fs_mkfs -s 32M >/dev/null || fail "mkfs failed"
fs_mount -o break_time=1 || fail "mount failed"
seal_trap

F=$SEALFS_MNT/f
G=$SEALFS_MNT/g
seal_mkfile "$F" $((4 << 20))
exec 7<>"$F"
python3 - 7 <<'PY' || fail "seal"
import sys, sealfs_ioctl as s
s.seal(int(sys.argv[1]), s.SEAL_BREAKABLE)
PY
sio layout 7 | tail -n +2 >"$CASE_DIR/old.layout"
free_before=$(df --output=avail -B1 "$SEALFS_MNT" | tail -1)
truncate -s 0 "$F" || fail "truncate"
assert_eq 2 "$(seal_status_field 7 state)" "holder not revoked"
free_after=$(df --output=avail -B1 "$SEALFS_MNT" | tail -1)
echo "avail before truncate $free_before, after $free_after"
(( free_after <= free_before )) || fail "quarantined blocks were counted as free"
dev=$(getfattr --only-values -n user.sealfs.device "$F" | sed -n 's/^path=\([^ ]*\) .*/\1/p')
[ -n "$dev" ] || fail "no device path"
python3 - "$dev" "$CASE_DIR/old.layout" "$G" <<'PY' || fail "late writes failed"
import os, sys
dev, layout, g = sys.argv[1:]
old = [tuple(int(x) for x in l.split()[:3]) for l in open(layout) if l.strip()]
pat = bytes(range(256)) * 256
with open(g, "wb", buffering=0) as w:      # another file fills the device
    try:
        while True:
            w.write(pat)
    except OSError:
        pass
    os.fsync(w.fileno())
fd = os.open(dev, os.O_WRONLY)             # the revoked holder's late direct writes
for logical, phys, length in old:
    os.pwrite(fd, b"\xee" * length, phys)
os.fsync(fd)
os.close(fd)
print("late writes into %d old extents done" % len(old))
PY
free_full=$(df --output=avail -B1 "$SEALFS_MNT" | tail -1)
sio unseal 7 || fail "unseal (acknowledge)"
wait_for 30 eval '(( $(df --output=avail -B1 "$SEALFS_MNT" | tail -1) >= free_full + (4 << 20) ))' \
  || fail "acknowledging did not free the quarantined blocks"
exec 7>&-
fs_umount
"$SEALFS" fsck -n "$SEALFS_IMG" || fail "fsck after the quarantine"
fs_mount || fail "remount"
python3 - "$G" <<'PY' || fail "the revoked holder's late writes reached another file"
import sys
pat = bytes(range(256)) * 256
n = 0
with open(sys.argv[1], "rb") as r:
    while True:
        b = r.read(65536)
        if not b:
            break
        assert b == pat[:len(b)], "foreign bytes in g at %d" % n
        n += len(b)
assert n > 0
print("g has %d intact bytes" % n)
PY
