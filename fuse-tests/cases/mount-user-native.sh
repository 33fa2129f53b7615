#!/bin/bash
# TIMEOUT: 180
# A user's mount on the native binding, sealfs' default for everyone: `sealfs mount` as nobody
# runs fusermount3 with _FUSE_COMMFD and serves the /dev/fuse fd it sends back (SCM_RIGHTS), even
# though /dev/fuse itself may be root-only. The mount is listed as nobody's fuse.sealfs, is private
# to nobody (no allow_other: root gets EACCES), takes a write and a read, a seal that refuses an
# extending write with ETXTBSY, and ends with nobody's own `fusermount3 -u`: the daemon exits and
# the image is clean. Skipped (77) without a setuid fusermount3 or where user mounts are refused.
#
# fusermount3 opens /dev/fuse as the user. Debian's /dev/fuse is 0666; where it is root-only (a
# container's), the case runs itself in a private mount namespace with a 0666 node of the same
# device bound over /dev/fuse there, so the host's /dev/fuse and mount table stay untouched.
. "$FUSE_TESTS/lib/common.sh"
require_cmd setpriv python3
[ "$(id -u)" = 0 ] || skip "needs root to switch to nobody"
FM=$(command -v fusermount3) || skip "fusermount3 is missing"
[[ -u $FM && $(stat -c %u "$FM") == 0 ]] || skip "fusermount3 is not setuid root: no user mounts"
if ! as_nobody test -r /dev/fuse -a -w /dev/fuse; then
  [[ -z ${SEALFS_USERMOUNT_NODE:-} ]] || fail "/dev/fuse still root-only in the namespace"
  command -v unshare >/dev/null || skip "/dev/fuse is root-only and unshare is missing"
  node=$(mktemp -d "$CASE_DIR/dev.XXXXXX")/fuse
  read -r major minor < <(stat -c '%t %T' /dev/fuse)
  mknod -m 0666 "$node" c $((16#$major)) $((16#$minor)) 2>/dev/null \
    || skip "/dev/fuse is root-only and no node of it can be made (no CAP_MKNOD)"
  export SEALFS_USERMOUNT_NODE=$node
  trap - EXIT
  exec unshare --mount --propagation private bash -c \
    'mount --bind "$SEALFS_USERMOUNT_NODE" /dev/fuse && exec bash "$0"' "$0"
fi

dir=$(mktemp -d /tmp/sealfs-usermount.XXXXXX) || fail "mktemp"
on_exit "rm -rf '$dir'"
chown 65534:65534 "$dir" && chmod 0755 "$dir" || fail "cannot give $dir to nobody"
# The common exit trap unmounts SEALFS_MNT (as root, which fusermount3 allows) if a step fails.
SEALFS_MNT=$dir/mnt
img=$dir/img pidfile=$dir/pid
stage_python sealfs-usermount
pydir=$PYDIR
# nobody's environment: its own HOME (the launcher's jar cache), no binding chosen, INFO logs.
nob() {
  (cd / && as_nobody env -u SEALFS_BINDING HOME="$dir" XDG_CACHE_HOME="$dir/cache" \
    SEALFS_LOG_LEVEL=INFO PYTHONPATH="$pydir" "$@")
}

step "nobody makes an image and mounts it (no -o binding: the default)"
nob mkdir "$SEALFS_MNT" || fail "nobody cannot mkdir $SEALFS_MNT"
nob "$SEALFS" mkfs -s 64M "$img" >/dev/null || fail "mkfs as nobody failed"
if ! out=$(nob "$SEALFS" mount "$img" "$SEALFS_MNT" --pidfile "$pidfile" 2>&1); then
  printf '%s\n' "$out"
  log=$(sed -n 's/.*(log: \(.*\))$/\1/p' <<<"$out")
  refused='fusermount3: (mount failed: Operation not permitted|mounting over filesystem type .* is forbidden)'
  why=""
  [[ -z $log ]] || why=$(grep -E "$refused" "$log" | tail -1) || true
  [[ -z $why ]] || skip "user mounts are refused here ($why)"
  fail "sealfs mount as nobody failed"
fi
printf '%s\n' "$out"
log=$(sed -n 's/^sealfs: daemon log: //p' <<<"$out")
wait_for 30 is_mounted "$SEALFS_MNT" || fail "$SEALFS_MNT not mounted"
wait_for 10 test -s "$pidfile" || fail "no pid in $pidfile"
pid=$(tr -dc 0-9 <"$pidfile")

step "/proc/mounts: nobody's fuse.sealfs, nosuid,nodev, no allow_other"
entry=$(awk -v d="$SEALFS_MNT" '$2 == d' /proc/mounts)
printf '%s\n' "$entry"
read -r src _ type opts _ <<<"$entry"
assert_eq fuse.sealfs "$type" "mount type"
assert_eq "$img" "$src" "mount source (fsname)"
[[ ,$opts, == *,user_id=65534,* && ,$opts, == *,group_id=65534,* ]] || fail "not nobody's: $opts"
[[ ,$opts, == *,nosuid,* && ,$opts, == *,nodev,* ]] || fail "user mount without nosuid,nodev"
[[ ,$opts, != *,allow_other,* ]] || fail "a user mount got allow_other: $opts"
[[ -n $log ]] && grep -q 'binding=native' "$log" || fail "not the native binding (log $log)"
got=$("$PYTHON" "$FUSE_TESTS/lib/fsop.py" stat "$SEALFS_MNT" 2>&1) || true
assert_eq EACCES "$got" "root reaching nobody's private mount"

step "nobody writes, reads and seals"
nob python3 - "$SEALFS_MNT/f" <<'PY' || fail "write/read/seal as nobody failed"
import errno, os, sys, sealfs_ioctl as s
f = sys.argv[1]
with open(f, "wb") as w:
    w.write(b"hello, user mount\n" * 1000)
with open(f, "rb") as r:
    assert r.read() == b"hello, user mount\n" * 1000, "read back differs"
fd = os.open(f, os.O_RDWR)
s.seal(fd)
st = s.status(fd)
assert st["sealed"] == 1 and st["held_by_me"] == 1, st
try:
    os.pwrite(fd, b"x", os.fstat(fd).st_size)
    raise SystemExit("extending write into a sealed file succeeded")
except OSError as e:
    assert e.errno == errno.ETXTBSY, e
assert os.pwrite(fd, b"H", 0) == 1                    # in place is fine
s.unseal(fd)
os.close(fd)
print("nobody: write, read, seal ok")
PY

step "nobody unmounts with fusermount3 -u; the daemon exits"
nob fusermount3 -u "$SEALFS_MNT" || fail "fusermount3 -u as nobody failed"
wait_for 60 eval '! pid_alive "$pid"' || fail "daemon $pid still running after fusermount3 -u"
is_mounted "$SEALFS_MNT" && fail "still mounted after fusermount3 -u"
[[ ! -e $pidfile ]] || fail "pid file left behind"
out=$("$SEALFS" fsck -n "$img" 2>&1) || fail "fsck -n after the user mount: $out"
grep -q clean <<<"$out" || fail "fsck -n: $out"
