#!/bin/bash
# TIMEOUT: 1500 (up to 150 s of its own, plus any wait for an io_uring run of another harness)
# FUSE over io_uring (issue 13): with the fuse module's enable_uring=Y a default native mount
# runs on io_uring: the daemon holds io_uring fds (anon_inode:[io_uring], one per ring entry,
# at least one per possible CPU since the kernel only uses the rings once every queue has
# registered), says "FUSE transport: io_uring" once, and its rings serve the requests (the
# count it logs at the end). Writes, reads, renames and a seal (overwrite allowed, truncate
# and append ETXTBSY) work over it. A mount with
# -o io_uring=off made at the same time stays on /dev/fuse. The parameter is the machine's: it
# is set to Y only while the two mounts are made (a connection keeps the transport it started
# with) and restored at once, and by the exit trap if the case fails before that.
. "$FUSE_TESTS/lib/common.sh"
PARAM=/sys/module/fuse/parameters/enable_uring
[[ -e $PARAM ]] || skip "no $PARAM: this kernel has no FUSE-over-io_uring"
[[ $(id -u) -eq 0 ]] || skip "needs root (sets $PARAM)"
[[ ${SEALFS_BINDING:-} == native ]] || skip "native binding only (SEALFS_BINDING=native)"
[[ ${SEALFS_TRANSPORT:-} != dev_fuse ]] || skip "SEALFS_TRANSPORT=dev_fuse"
require_cmd dd cmp

# Prints the number of io_uring fds of process PID.
uring_fds() {
  local n=0 l
  for l in /proc/"$1"/fd/*; do
    [[ $(readlink "$l" 2>/dev/null) == 'anon_inode:[io_uring]' ]] && n=$((n + 1))
  done
  printf '%s\n' "$n"
}
# Counts the CPUs of a kernel CPU list such as 0-3,8.
count_cpus() {
  local n=0 part IFS=,
  for part in $1; do
    if [[ $part == *-* ]]; then n=$((n + ${part#*-} - ${part%-*} + 1)); else n=$((n + 1)); fi
  done
  printf '%s\n' "$n"
}
queues=$(count_cpus "$(cat /sys/devices/system/cpu/possible)")

fs_mkfs -s 128M >/dev/null || fail "mkfs failed"
cp "$SEALFS_IMG" "$CASE_DIR/off.img"
OFF_MNT=$CASE_DIR/off-mnt
mkdir -p "$OFF_MNT"

# The parameter is the whole machine's: take turns with io_uring runs of the harness (which hold
# this lock themselves while they run, SEALFS_TRANSPORT=io_uring) and other copies of this case.
if [[ ${SEALFS_TRANSPORT:-} != io_uring ]]; then
  exec 8> /run/lock/sealfs-enable-uring.lock
  flock -w 1800 8 || fail "enable_uring is held by another run for 30 minutes"
fi
old=$(cat "$PARAM")
restore_param() { [[ $(cat "$PARAM") == "$old" ]] || echo "$old" > "$PARAM"; }
on_exit restore_param
on_exit "fusermount3 -u '$OFF_MNT' 2>/dev/null"
step "enable_uring was $old; Y while mounting"
echo Y > "$PARAM"
out=$(SEALFS_LOG_LEVEL=INFO fs_mount) || { restore_param; fail "mount failed"; }
# No SEALFS_LOG_LEVEL here: the transport line shows at the default level (WARN) too.
off_out=$(env -u SEALFS_LOG_LEVEL "$SEALFS" mount "$CASE_DIR/off.img" "$OFF_MNT" -o io_uring=off \
  --pidfile "$CASE_DIR/off.pid") || { restore_param; fail "mount -o io_uring=off failed"; }
restore_param
assert_eq "$old" "$(cat "$PARAM")" "enable_uring not restored"
printf '%s\n%s\n' "$out" "$off_out"
log=$(sed -n 's/^sealfs: daemon log: //p' <<<"$out")
off_log=$(sed -n 's/^sealfs: daemon log: //p' <<<"$off_out")
[[ -f $log && -f $off_log ]] || fail "no daemon logs named in the mount output"
wait_for 30 is_mounted "$OFF_MNT" || fail "$OFF_MNT not mounted"
wait_for 5 test -s "$CASE_DIR/off.pid" || fail "no pid in $CASE_DIR/off.pid"

step "the transport in use"
pid=$(daemon_pid)
n=$(uring_fds "$pid")
echo "daemon $pid: $n io_uring fds, $queues possible CPUs"
((n >= queues)) || fail "daemon $pid has $n io_uring fds, want one per queue ($queues) at least"
lines=$(grep -c 'FUSE transport:' "$log" || true)
assert_eq 1 "$lines" "transport lines in $log"
grep 'FUSE transport:' "$log"
grep -q 'FUSE transport: io_uring (' "$log" || fail "the daemon does not say io_uring"
off_pid=$(tr -dc '0-9' < "$CASE_DIR/off.pid")
assert_eq 0 "$(uring_fds "$off_pid")" "io_uring fds of the -o io_uring=off daemon"
grep 'FUSE transport:' "$off_log"
grep -q 'FUSE transport: /dev/fuse: -o io_uring=off' "$off_log" \
  || fail "the io_uring=off daemon does not say /dev/fuse"

step "write, read back, seal (over io_uring)"
dd if=/dev/urandom of="$CASE_DIR/data" bs=64K count=32 status=none
dd if="$CASE_DIR/data" of="$SEALFS_MNT/f" bs=64K conv=fsync status=none || fail "write failed"
dd if="$CASE_DIR/data" of="$SEALFS_MNT/direct" bs=1M oflag=direct status=none \
  || fail "O_DIRECT write failed"
cmp "$CASE_DIR/data" "$SEALFS_MNT/f" || fail "read back differs"
cmp "$CASE_DIR/data" <(dd if="$SEALFS_MNT/direct" bs=1M iflag=direct status=none) \
  || fail "O_DIRECT read back differs"
mkdir "$SEALFS_MNT/d" && mv "$SEALFS_MNT/f" "$SEALFS_MNT/d/f" && ls -l "$SEALFS_MNT/d" \
  || fail "namespace operations failed"
# Inside the seal an overwrite is allowed; a truncate and an appending write are ETXTBSY.
rc=0
"$SEALFS" seal "$SEALFS_MNT/d/f" -- sh -c '
  dd if=/dev/zero of="$1" bs=4K count=1 conv=notrunc status=none || exit 10
  if truncate -s 0 "$1" 2>"$2"; then exit 11; fi
  grep -q "Text file busy" "$2" || exit 12
  if dd if=/dev/zero of="$1" bs=4K count=1 oflag=append conv=notrunc status=none 2>"$2"; then
    exit 13
  fi
  grep -q "Text file busy" "$2" || exit 14
' sh "$SEALFS_MNT/d/f" "$CASE_DIR/err" || rc=$?
cat "$CASE_DIR/err"
assert_eq 0 "$rc" "inside the seal: overwrite (10), truncate (11, 12) and append refused (13, 14)"
assert_eq 2097152 "$(stat -c %s "$SEALFS_MNT/d/f")" "size of the sealed file"
cmp -s -n 4096 /dev/zero "$SEALFS_MNT/d/f" || fail "the overwrite inside the seal is not there"
cmp -i 4096 "$CASE_DIR/data" "$SEALFS_MNT/d/f" || fail "the rest of the sealed file changed"
truncate -s 0 "$SEALFS_MNT/d/f" || fail "truncate after the seal ended failed"

step "unmount: the rings served the requests"
fusermount3 -u "$OFF_MNT"
fs_umount
served=$(sed -n 's/.*io_uring entries served \([0-9]*\) requests.*/\1/p' "$log" | tail -1)
echo "served by the rings: ${served:-none}"
# at least the 32 buffered 64 KiB and 2 O_DIRECT 1 MiB WRITEs (no writeback cache: one each)
[[ -n $served ]] && ((served >= 34)) || fail "the rings served ${served:-no} requests, not all WRITEs"
