#!/bin/bash
# TIMEOUT: 120
# SPEC 3: a mapping keeps the handle (and the seal) alive after close(); munmap releases it.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
fifo_in=$CASE_DIR/in
fifo_out=$CASE_DIR/out
mkfifo "$fifo_in" "$fifo_out"
F="$F" timeout 60 python3 - "$fifo_in" "$fifo_out" <<'PY' &
import mmap, os, sys, sealfs_ioctl as s
fin, fout = sys.argv[1], sys.argv[2]
out = open(fout, "w")
inp = open(fin)
fd = os.open(os.environ["F"], os.O_RDWR)
s.seal(fd)
m = mmap.mmap(fd, 65536, mmap.MAP_SHARED, mmap.PROT_READ)
os.close(fd)
out.write("closed\n"); out.flush()
inp.readline()                 # wait for the shell
m.close()
out.write("unmapped\n"); out.flush()
inp.readline()
PY
pid=$!
SEAL_BG_PIDS+=("$pid")
exec 9<"$fifo_out" 8>"$fifo_in"   # this order pairs with the opens in python
read -r -t 30 line <&9 || fail "holder did not start"
assert_eq closed "$line" "holder protocol"
sleep 1   # give a (wrong) RELEASE time to arrive
assert_eq 1 "$(seal_status_field "$F" holders)" "seal dropped while still mapped"
expect_fail_with "Text file busy" truncate -s 0 "$F"
echo go >&8
read -r -t 30 line <&9 || fail "holder did not unmap"
assert_eq unmapped "$line" "holder protocol"
seal_wait_holders "$F" 0 10 || fail "munmap of the last mapping did not release the seal"
echo "done" >&8
exec 8>&- 9<&-
wait "$pid" || fail "holder failed"
truncate -s 0 "$F" || fail "truncate after munmap failed"
