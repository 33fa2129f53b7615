#!/bin/bash
# TIMEOUT: 240
# Issue 12 (SPEC 10, 11): a revoked holder's file shared its blocks with another file (a
# copy_file_range copy). At the revocation the other file moves off those blocks, so the revoked
# holder's late direct writes into its old layout never reach the other file: while a revoked
# writer keeps writing 0xee over its old layout on the device, the copy is written through the
# mount and a filler takes every free block, neither of them maps a block of that layout, and
# after a remount the copy's sha256 and the filler's pattern are intact. The holder's file let go
# of its blocks (truncate): they stay quarantined (counted as used) until UNSEAL; fsck is clean.
. "$FUSE_TESTS/lib/share.sh"
require_cmd python3 sha256sum df getfattr truncate
seal_need_native "jnr-fuse never receives COPY_FILE_RANGE (SPEC 7)"
fs_mkfs -s 32M >/dev/null || fail "mkfs failed"
fs_mount -o break_time=1 || fail "mount failed"
seal_trap

A=$SEALFS_MNT/a
B=$SEALFS_MNT/b
G=$SEALFS_MNT/g
BLOCKS=64
python3 -c '
import os, sys
with open(sys.argv[1], "wb") as f:
    f.write(os.urandom(int(sys.argv[2]) * 4096)); f.flush(); os.fsync(f.fileno())
' "$A" "$BLOCKS" || fail "cannot write $A"
cp --reflink=never "$A" "$CASE_DIR/b.expected" || fail "cannot keep a copy of $A"
share_copy "$A" "$B" >/dev/null || fail "copy_file_range failed"
assert_eq "$BLOCKS" "$(share_blocks "$B" shared | wc -l)" "blocks of the copy shared with $A"

step "a breakable ASIS holder of $A, revoked at the deadline of a truncate"
exec 7<>"$A"
python3 - 7 <<'PY' || fail "seal"
import sys, sealfs_ioctl as s
s.seal(int(sys.argv[1]), s.SEAL_ASIS | s.SEAL_BREAKABLE)
PY
sio layout 7 | tail -n +2 >"$CASE_DIR/old.layout"
[ -s "$CASE_DIR/old.layout" ] || fail "no layout through the holder"
truncate -s 0 "$A" || fail "truncate of $A"
assert_eq 2 "$(seal_status_field 7 state)" "holder not revoked"

# no_old_blocks PATH...: fails if a file maps a device block of the revoked layout.
no_old_blocks() {
  local p
  for p in "$@"; do
    share_layout "$p" | python3 -c '
import sys
bs = 4096
old = set()
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 3:
        old.update(range(int(f[1]) // bs, (int(f[1]) + int(f[2])) // bs))
hit = []
for line in sys.stdin:
    f = line.split()
    if len(f) == 4:
        hit += [b for b in range(int(f[1]) // bs, (int(f[1]) + int(f[2])) // bs) if b in old]
if hit:
    sys.exit("%s maps %d blocks of the revoked layout, first %d" % (sys.argv[2], len(hit), hit[0]))
' "$CASE_DIR/old.layout" "$p" || fail "$p shares a block with the revoked layout"
  done
}
no_old_blocks "$B"

dev=$(getfattr --only-values -n user.sealfs.device "$B" | sed -n 's/^path=\([^ ]*\) .*/\1/p')
[ -n "$dev" ] || fail "no device path"
python3 - "$dev" "$CASE_DIR/old.layout" "$CASE_DIR/stop" "$CASE_DIR/passes" \
  >"$CASE_DIR/writer.out" 2>&1 <<'PY' &
import os, sys
dev, layout, stop, passes = sys.argv[1:]
old = [tuple(int(x) for x in l.split()[:3]) for l in open(layout) if l.strip()]
fd = os.open(dev, os.O_WRONLY)             # the revoked holder's late direct writes
n = 0
while not os.path.exists(stop):
    for logical, phys, length in old:
        os.pwrite(fd, b"\xee" * length, phys)
    os.fsync(fd)
    n += 1
    with open(passes + ".tmp", "w") as p:
        p.write("%d\n" % n)
    os.rename(passes + ".tmp", passes)
os.close(fd)
print("late writes: %d passes over %d old extents" % (n, len(old)))
PY
WRITER=$!
SEAL_BG_PIDS+=("$WRITER")
passes() { cat "$CASE_DIR/passes" 2>/dev/null || echo 0; }
wait_for 30 eval '(( $(passes) >= 1 ))' || fail "the late writer did not start: $(cat "$CASE_DIR/writer.out")"

step "the copy is written and a filler takes every free block while the late writes go on"
printf 'HELLO' | dd of="$B" bs=1 seek=$((5 * 4096 + 10)) conv=notrunc status=none \
  || fail "write into $B"
printf 'HELLO' | dd of="$CASE_DIR/b.expected" bs=1 seek=$((5 * 4096 + 10)) conv=notrunc \
  status=none || fail "write into the expected copy"
python3 - "$G" <<'PY' || fail "filling the device"
import errno, os, sys
pat = bytes(range(256)) * 256
with open(sys.argv[1], "wb", buffering=0) as w:
    try:
        while True:
            w.write(pat)
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
    os.fsync(w.fileno())
PY
no_old_blocks "$B" "$G"
seen=$(passes)
wait_for 60 eval '(( $(passes) >= seen + 2 ))' || fail "the late writer stalled"
touch "$CASE_DIR/stop"
wait "$WRITER" || fail "the late writer failed: $(cat "$CASE_DIR/writer.out")"
cat "$CASE_DIR/writer.out"
no_old_blocks "$B" "$G"

step "UNSEAL acknowledges: the quarantined blocks become free"
avail=$(df --output=avail -B1 "$SEALFS_MNT" | tail -1)
sio unseal 7 || fail "unseal (acknowledge)"
wait_for 30 eval '(( $(df --output=avail -B1 "$SEALFS_MNT" | tail -1) >= avail + BLOCKS * 4096 ))' \
  || fail "acknowledging did not free the quarantined blocks"
exec 7>&-

step "after a remount the copy and the filler hold their own bytes"
fs_umount
"$SEALFS" fsck -n "$SEALFS_IMG" || fail "fsck after the late writes"
fs_mount || fail "remount"
assert_eq "$(file_sha "$CASE_DIR/b.expected")" "$(file_sha "$B")" \
  "sha256 of the copy (the revoked holder's late writes reached it)"
python3 - "$G" <<'PY' || fail "the revoked holder's late writes reached the filler"
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
