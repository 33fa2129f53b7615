#!/bin/bash
# TIMEOUT: 150
# SPEC 4.2: user.sealfs.seal_on_open (strict|prepare|asis) is a real, listed xattr; while set,
# every open with write access is a holder for its lifetime, and an open that cannot get the
# seal fails with the seal's errno. Unmodified programs (fio) run as holders.
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 setfattr getfattr
seal_setup

F=$SEALFS_MNT/f
seal_mkfile "$F" 4194304 0
setfattr -n user.sealfs.seal_on_open -v prepare "$F" || fail "setfattr seal_on_open"
assert_eq prepare "$(getfattr --only-values -n user.sealfs.seal_on_open "$F")" "value"
getfattr -d -m - "$F" 2>/dev/null | grep -q 'user.sealfs.seal_on_open="prepare"' \
  || fail "seal_on_open is not listed"

# A plain open for write holds the seal; read-only opens do not.
F="$F" python3 - <<'PY' || fail "seal_on_open python holder checks failed"
import errno, os, time, sealfs_ioctl as s
f = os.environ["F"]
ro = os.open(f, os.O_RDONLY)
assert s.status(ro)["holders"] == 0, "a read-only open sealed"
fd = os.open(f, os.O_RDWR)
st = s.status(fd)
assert st["sealed"] == 1 and st["held_by_me"] == 1 and st["holders"] == 1, st
try:
    os.truncate(f, 0)
    raise SystemExit("truncate succeeded while a seal_on_open handle is open")
except OSError as e:
    assert e.errno == errno.ETXTBSY, e
assert os.pwrite(fd, b"\x01" * 4096, 8192) == 4096     # in-place writes are fine
os.close(fd)
deadline = time.monotonic() + 10
while s.status(ro)["holders"] != 0:
    assert time.monotonic() < deadline, "close did not release the seal_on_open holder"
    time.sleep(0.05)
os.close(ro)
PY

# fio overwriting in place with verification, while another process's truncate is refused.
if command -v fio >/dev/null; then
  fio --name=inplace --filename="$F" --rw=write --bs=16k --size=4M --overwrite=1 \
    --fallocate=none --create_on_open=0 --ioengine=psync --thinktime=10000 \
    --verify=crc32c --do_verify=1 --verify_fatal=1 --output="$CASE_DIR/fio.out" &
  fio_pid=$!
  SEAL_BG_PIDS+=("$fio_pid")
  refused=0
  for ((i = 0; i < 100 && refused < 5; i++)); do
    sleep 0.2
    kill -0 "$fio_pid" 2>/dev/null || break   # fio is done: nothing more to observe
    h=$(seal_status_field "$F" holders) || h=0
    [ "$h" -ge 1 ] 2>/dev/null || continue
    if truncate -s 0 "$F" 2>"$CASE_DIR/trunc.err"; then
      kill -0 "$fio_pid" 2>/dev/null && fail "truncate succeeded while fio holds the file"
      break
    fi
    grep -q "Text file busy" "$CASE_DIR/trunc.err" \
      || fail "truncate during fio: $(cat "$CASE_DIR/trunc.err")"
    refused=$((refused + 1))
  done
  wait "$fio_pid" || fail "fio failed under seal_on_open: $(cat "$CASE_DIR/fio.out")"
  [ "$refused" -ge 1 ] || fail "never saw fio holding the seal (refused=$refused)"
  assert_eq 4194304 "$(seal_size "$F")" "size changed during fio"
else
  echo "fio not installed: skipping the fio part" >&2
fi

# strict on a sparse file: opening for write fails with EPERM; read-only still works.
S=$SEALFS_MNT/sparse
truncate -s 1M "$S" || fail "setup sparse"
setfattr -n user.sealfs.seal_on_open -v strict "$S" || fail "setfattr strict"
expect_fail_with "Operation not permitted" python3 -c 'import os,sys; os.open(sys.argv[1], os.O_RDWR)' "$S"
expect_xfs_io_err "Operation not permitted" -c "pwrite 0 4k" "$S"
cat "$S" >/dev/null || fail "read-only open of a strict seal_on_open file failed"
assert_eq 0 "$(seal_status_field "$S" holders)" "a failed open left a holder"

# prepare on a sparse file: the write open fills the holes.
P=$SEALFS_MNT/prep
truncate -s 1M "$P" || fail "setup prep"
setfattr -n user.sealfs.seal_on_open -v prepare "$P" || fail "setfattr prepare"
F="$P" python3 - <<'PY' || fail "prepare-on-open left holes"
import os, sealfs_ioctl as s
fd = os.open(os.environ["F"], os.O_RDWR)
hdr, ext = s.layout(fd)
assert hdr["sealed"], hdr
assert not s.holes(ext, hdr["size"]), s.holes(ext, hdr["size"])
assert all(e["state"] == "written" for e in ext), ext
os.close(fd)
PY

# Removing the attribute ends the behaviour.
setfattr -x user.sealfs.seal_on_open "$S" || fail "setfattr -x seal_on_open"
python3 -c 'import os,sys; os.close(os.open(sys.argv[1], os.O_RDWR))' "$S" \
  || fail "open for write still fails after removing seal_on_open"
