#!/bin/bash
# TIMEOUT: 120
# The native binding keeps an unsealed file's page cache across opens (FOPEN_KEEP_CACHE): a file
# read once is read again after a re-open without a single READ reaching the daemon, but an
# open after a write drops the cache once, so the read that follows updates atime (FUSE leaves
# atime to the filesystem); a sealed file's open drops it too (SPEC 5). -o nokeep_cache drops
# it at every open. READ requests are counted with -o metrics (sealfs stats --raw). A re-read
# that must come from the cache is tried up to five times: the host may reclaim the cache.
. "$(dirname "$0")/../lib/common.sh"
[[ ${SEALFS_BINDING:-jnr-fuse} == native ]] || skip "native binding only (SEALFS_BINDING=native)"
require_cmd python3 dd
fs_mkfs -s 64M > /dev/null || fail "mkfs failed"
stage_python page-cache-kept

# reads: the number of READ requests the daemon has served so far.
reads() {
  "$SEALFS" stats --raw "$SEALFS_MNT" \
    | awk '$1 == "sealfs_fuse_requests_total{op=\"read\"}" { v = $2 } END { printf "%d\n", v + 0 }'
}
# reread FILE: opens FILE, reads it whole (1 MiB), closes; prints how many READs that cost.
reread() {
  local before after
  before=$(reads)
  cat "$1" > /dev/null
  after=$(reads)
  echo $((after - before))
}

step "default mount: a re-read of an unchanged file is served from the page cache"
fs_mount -o metrics
f=$SEALFS_MNT/f
dd if=/dev/urandom of="$f" bs=64k count=16 status=none || fail "write failed"
first=$(reread "$f")
echo "first read after the write: $first READ requests"
[[ $first -gt 0 ]] || fail "the first read after a write came from the cache: atime would not move"
# The host may reclaim page cache at any moment (this project's machines run a DAMON pageout
# scheme: /sys/kernel/mm/damon/admin/kdamonds), so a re-read that misses is tried again, after
# a read that fills the cache once more, up to five times in all. Were the cache dropped at
# every open, every try would cost READs.
for try in 1 2 3 4 5; do
  again=$(reread "$f")
  echo "re-read after a re-open (try $try): $again READ requests"
  ((again == 0)) && break
  cat "$f" > /dev/null
done
assert_eq 0 "$again" "READ requests for a re-read of an unchanged, unsealed file (5 tries)"

step "atime due (a day old): the open drops the cache once and the read updates atime"
python3 - "$f" << 'PY' || fail "could not set an old atime"
import os, sys
st = os.stat(sys.argv[1])
os.utime(sys.argv[1], ns=(st.st_atime_ns - 3 * 86400 * 10**9, st.st_mtime_ns))
PY
old=$(stat -c %X "$f")
n=$(reread "$f")
new=$(stat -c %X "$f")
echo "after a day-old atime: $n READ requests, atime $old -> $new"
[[ $n -gt 0 ]] || fail "a read due to update atime was served from the cache"
[[ $new -gt $old ]] || fail "atime did not move ($old -> $new)"

step "sealed: an open while sealed drops the cache (a direct client may have written the device)"
python3 - "$f" "$CASE_DIR/sealed.flag" "$CASE_DIR/release.flag" "$PYDIR" << 'PY' &
import os, sys, time
sys.path.insert(0, sys.argv[4])
import sealfs
fd = os.open(sys.argv[1], os.O_RDWR)
sealfs.seal(fd)
open(sys.argv[2], "w").close()
while not os.path.exists(sys.argv[3]):
    time.sleep(0.05)
os.close(fd)
PY
holder=$!
on_exit "touch '$CASE_DIR/release.flag'; wait $holder 2> /dev/null"
wait_for 30 test -e "$CASE_DIR/sealed.flag" || fail "the holder did not seal"
n=$(reread "$f")
echo "re-read while sealed: $n READ requests"
[[ $n -gt 0 ]] || fail "an open of a sealed file kept the page cache"
touch "$CASE_DIR/release.flag"
wait "$holder" || fail "the holder failed"
fs_umount

step "-o nokeep_cache: every open drops the cache"
fs_mount -o metrics,nokeep_cache
cat "$f" > /dev/null
n=$(reread "$f")
echo "re-read with nokeep_cache: $n READ requests"
[[ $n -gt 0 ]] || fail "nokeep_cache kept the page cache across opens"
fs_umount
echo "ok"
