#!/bin/bash
# TIMEOUT: 150
# SPEC 8: `sealfs layout FILE [--units bytes|blocks]` prints filefrag -v style rows that match
# SEALFS_IOC_LAYOUT; `sealfs status FILE` prints the seal state, counts and holders.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 xfs_io
seal_setup

F=$SEALFS_MNT/f
xfs_io -f -c "pwrite 0 64k" -c "pwrite 1M 64k" -c "falloc 2M 64k" -c fsync "$F" >/dev/null \
  || fail "setup"
size=$(seal_size "$F")
"$SEALFS" layout "$F" >"$CASE_DIR/out" 2>"$CASE_DIR/err" || fail "sealfs layout: $(cat "$CASE_DIR/err")"
sio layout "$F" >"$CASE_DIR/ioctl" || fail "ioctl layout"
python3 - "$CASE_DIR/out" "$CASE_DIR/ioctl" "$F" blocks <<'PY' || fail "sealfs layout output wrong"
import re, sys
out = open(sys.argv[1]).read().splitlines()
ioc = open(sys.argv[2]).read().splitlines()
f, units = sys.argv[3], sys.argv[4]
hdr = dict(kv.split("=") for kv in ioc[0].split())
ext = [l.split() for l in ioc[1:]]
bs = int(hdr["block_size"])
size = int(hdr["size"])
want0 = "Filesystem block size: %d, file size: %d, generation: %s, sealed: %s" % (
    bs, size, hdr["generation"], "yes" if hdr["sealed"] == "1" else "no")
assert out[0] == want0, "header %r != %r" % (out[0], want0)
assert out[1] == " ext:     logical_offset:        physical_offset: length:   flags:", out[1]
u = bs if units == "blocks" else 1
rows = []
for i, (lo, ph, ln, st) in enumerate(ext):
    lo, ph, ln = int(lo), int(ph), int(ln)
    n = (ln + u - 1) // u
    flags = []
    if st == "unwritten": flags.append("unwritten")
    if st == "shared": flags.append("shared")
    if i == len(ext) - 1: flags.append("last")
    if lo + ln >= size: flags.append("eof")
    rows.append("%4d: %8d..%8d: %10d..%10d: %6d:   %s" % (
        i, lo // u, lo // u + n - 1, ph // u, ph // u + n - 1, n, ",".join(flags)))
assert out[2:-1] == rows, "rows:\n%s\nwanted:\n%s" % ("\n".join(out[2:-1]), "\n".join(rows))
n = len(ext)
assert out[-1] == "%s: %d %s found" % (f, n, "extent" if n == 1 else "extents"), out[-1]
assert n >= 3, "setup should give at least 3 extents, got %d" % n
assert any("unwritten" in r for r in rows), "no unwritten row"
PY
"$SEALFS" layout --units bytes "$F" >"$CASE_DIR/outb" || fail "sealfs layout --units bytes"
python3 - "$CASE_DIR/outb" "$CASE_DIR/ioctl" <<'PY' || fail "--units bytes rows wrong"
import sys
out = open(sys.argv[1]).read().splitlines()
ext = [l.split() for l in open(sys.argv[2]).read().splitlines()[1:]]
for row, (lo, ph, ln, st) in zip(out[2:-1], ext):
    cols = row.replace("..", " ").replace(":", " ").split()
    assert int(cols[1]) == int(lo) and int(cols[2]) == int(lo) + int(ln) - 1, row
    assert int(cols[3]) == int(ph) and int(cols[5]) == int(ln), row
PY

# status, unsealed and sealed
"$SEALFS" status "$F" >"$CASE_DIR/st" || fail "sealfs status"
for line in "file: $F" "state: unsealed" "holders: 0" "size: $size" "block size: 4096" \
  "seal on open: off"; do
  grep -qxF "$line" "$CASE_DIR/st" || fail "status lacks '$line': $(cat "$CASE_DIR/st")"
done
W=$SEALFS_MNT/w
seal_mkfile "$W" 65536
seal_hold_bg "$W" strict 60
"$SEALFS" status "$W" >"$CASE_DIR/st" || fail "sealfs status (sealed)"
gen=$(seal_status_field "$W" generation)
for line in "state: sealed" "holders: 1" "generation: $gen" "size: 65536"; do
  grep -qxF "$line" "$CASE_DIR/st" || fail "status lacks '$line': $(cat "$CASE_DIR/st")"
done
grep -Eq "^holder: handle=[0-9]+ pid=$HOLD_PID uid=0 mode=strict since=" "$CASE_DIR/st" \
  || fail "status lacks the holder line: $(cat "$CASE_DIR/st")"
"$SEALFS" layout "$W" | head -1 | grep -q "sealed: yes$" || fail "layout header not 'sealed: yes'"
seal_hold_stop

# Not a sealfs file: one line, exit 1.
rc=0
"$SEALFS" layout "$CASE_DIR/st" >/dev/null 2>"$CASE_DIR/err" || rc=$?
assert_eq 1 "$rc" "layout of a non-sealfs file: exit status"
assert_eq 1 "$(wc -l <"$CASE_DIR/err")" "error is not one line: $(cat "$CASE_DIR/err")"
grep -q "^sealfs: " "$CASE_DIR/err" || fail "error line: $(cat "$CASE_DIR/err")"
