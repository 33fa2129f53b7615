#!/bin/bash
# TIMEOUT: 180
# SPEC 10: a breakable holder that does not let go is revoked at the deadline (break_time=2):
# the conflicting truncate waits and then proceeds; the holder's STATUS shows REVOKED,
# user.sealfs.holders shows state=revoked, LAYOUT and SEAL through it are ESTALE, and UNSEAL
# acknowledges and clears it. Works on both bindings (with jnr-fuse the waiting request holds
# the single request loop, so every break there ends by revocation).
. "$FUSE_TESTS/lib/seal.sh"
require_cmd python3 getfattr truncate
seal_setup_with break_time=2

F=$SEALFS_MNT/f
seal_mkfile "$F" 65536
exec 7<>"$F"
sio seal 7 strict >/dev/null || fail "seal"
python3 - 7 <<'PY' || fail "breakable seal"
import sys, sealfs_ioctl as s
s.unseal(int(sys.argv[1]))
s.seal(int(sys.argv[1]), s.SEAL_BREAKABLE)
PY
start=$(date +%s%N)
truncate -s 0 "$F" || fail "the conflicting truncate failed instead of waiting"
took_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "truncate waited ${took_ms} ms"
(( took_ms >= 1500 )) || fail "truncate did not wait for the break (${took_ms} ms)"
assert_eq 0 "$(seal_size "$F")" "size after the break"
assert_eq 2 "$(seal_status_field 7 state)" "STATUS state of the revoked handle"
assert_eq 0 "$(seal_status_field 7 held_by_me)" "a revoked handle still holds"
getfattr --only-values -n user.sealfs.holders "$F" | grep -q "breakable=1 state=revoked" \
  || fail "holders does not list the revocation"
python3 - 7 <<'PY' || fail "revoked handle checks failed"
import errno, sys, sealfs_ioctl as s
fd = int(sys.argv[1])
for what, fn in (("layout", lambda: s.layout(fd)), ("seal", lambda: s.seal(fd))):
    try:
        fn()
        raise SystemExit("%s through a revoked handle succeeded" % what)
    except OSError as e:
        assert e.errno == errno.ESTALE, (what, e)
s.unseal(fd)                                   # acknowledges
st = s.status(fd)
assert st["state"] == 0, st
s.layout(fd)
s.seal(fd)
s.unseal(fd)
PY
