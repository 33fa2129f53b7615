#!/bin/bash
# TIMEOUT: 180
# Metrics (-o metrics=HOST:PORT): the daemon serves Prometheus text at /metrics on the port it
# chose (port 0; the port is in the sealfs_metrics_http_port gauge of `sealfs stats --raw`).
# Writes move the write counters and bytes, a refused truncate of a sealed file moves the
# refusal counters, and `sealfs stats` shows the same. Without -o metrics the stats xattr still
# serves the free numbers and says per-request metrics are off.
. "$(dirname "$0")/../lib/common.sh"
require_cmd python3 dd truncate
fs_mkfs -s 64M >/dev/null || fail "mkfs failed"

step "without -o metrics: the free numbers, per-request metrics off"
fs_mount
"$SEALFS" stats "$SEALFS_MNT" > "$CASE_DIR/off.txt" || fail "sealfs stats exited $?"
cat "$CASE_DIR/off.txt"
grep -q '^per-request metrics: off' "$CASE_DIR/off.txt" || fail "stats does not say metrics are off"
grep -qE '^blocks: [0-9]+ used, [0-9]+ free' "$CASE_DIR/off.txt" || fail "no blocks line"
fs_umount

step "mount with -o metrics=127.0.0.1:0"
fs_mount -o metrics=127.0.0.1:0
port=$("$SEALFS" stats --raw "$SEALFS_MNT" | awk '$1 == "sealfs_metrics_http_port" { print int($2) }')
[[ $port =~ ^[0-9]+$ && $port -gt 0 ]] || fail "no metrics port in sealfs stats --raw: '$port'"
echo "metrics port $port"

# metric SERIES: the value of SERIES (e.g. 'sealfs_fuse_requests_total{op="write"}') in a
# fresh scrape of /metrics, 0 if absent; fails if the scrape fails.
scrape() {
  python3 - "$port" > "$CASE_DIR/scrape.txt" <<'PY' || fail "GET /metrics failed"
import sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10) as r:
    assert r.status == 200, r.status
    sys.stdout.write(r.read().decode())
PY
}
metric() {
  awk -v s="$1" '$1 == s { v = $2 } END { printf "%d\n", v + 0 }' "$CASE_DIR/scrape.txt"
}

scrape
w1=$(metric 'sealfs_fuse_requests_total{op="write"}')
b1=$(metric sealfs_written_bytes_total)
r1=$(metric sealfs_refusals_total)
t1=$(metric 'sealfs_refusals_by_op_total{op="truncate"}')
c1=$(metric sealfs_journal_commits_total)

step "4 MiB of writes"
dd if=/dev/urandom of="$SEALFS_MNT/f" bs=64k count=64 conv=fsync status=none || fail "dd failed"
scrape
w2=$(metric 'sealfs_fuse_requests_total{op="write"}')
b2=$(metric sealfs_written_bytes_total)
c2=$(metric sealfs_journal_commits_total)
echo "write requests $w1 -> $w2, bytes $b1 -> $b2, commits $c1 -> $c2"
((w2 > w1)) || fail "write requests did not move: $w1 -> $w2"
((b2 - b1 >= 4194304)) || fail "written bytes moved by $((b2 - b1)), expected >= 4194304"
((c2 > c1)) || fail "journal commits did not move: $c1 -> $c2"
(($(metric 'sealfs_fuse_request_duration_seconds_count{op="write"}') == w2)) \
  || fail "the write latency histogram count differs from the write requests"
(($(metric sealfs_device_force_duration_seconds_count) > 0)) || fail "no device force timed"
(($(metric sealfs_blocks_used) >= 1024)) || fail "used blocks below 4 MiB"

step "a refused truncate of a sealed file"
"$SEALFS" seal "$SEALFS_MNT/f" -- truncate -s 0 "$SEALFS_MNT/f" 2> "$CASE_DIR/trunc.err" \
  && fail "truncate of a sealed file succeeded"
grep -q "Text file busy" "$CASE_DIR/trunc.err" || fail "truncate failed without ETXTBSY: $(cat "$CASE_DIR/trunc.err")"
scrape
r2=$(metric sealfs_refusals_total)
t2=$(metric 'sealfs_refusals_by_op_total{op="truncate"}')
echo "refusals $r1 -> $r2, truncate refusals $t1 -> $t2"
((r2 == r1 + 1)) || fail "refusals moved $r1 -> $r2, expected one more"
((t2 == t1 + 1)) || fail "truncate refusals moved $t1 -> $t2, expected one more"

step "sealfs stats shows the same"
"$SEALFS" stats "$SEALFS_MNT" > "$CASE_DIR/on.txt" || fail "sealfs stats exited $?"
cat "$CASE_DIR/on.txt"
grep -qx "ETXTBSY refusals: $r2 (truncate $t2)" "$CASE_DIR/on.txt" || fail "stats refusal line"
grep -qE "^bytes read: [0-9]+, written: $b2\$" "$CASE_DIR/on.txt" \
  || fail "stats bytes line differs from /metrics ($b2 written)"
grep -qE "^write +$w2 +0 " "$CASE_DIR/on.txt" || fail "stats write line differs from /metrics ($w2)"

step "-w refreshes"
"$SEALFS" stats -w "$SEALFS_MNT" > "$CASE_DIR/watch.txt" &
watcher=$!
refreshed() { (($(grep -c '^sealfs stats ' "$CASE_DIR/watch.txt") >= 2)); }
wait_for 30 refreshed || { kill "$watcher"; fail "stats -w did not refresh within 30 s"; }
kill "$watcher"
wait "$watcher" 2>/dev/null || true  # killed: 143
grep -q 'req/s' "$CASE_DIR/watch.txt" || fail "stats -w shows no rates"

step "the xattr is read-only; bad options are refused"
expect_fail_with "not permitted" setfattr -n user.sealfs.stats -v x "$SEALFS_MNT"
fs_umount
expect_fail_with "metrics" "$SEALFS" mount -f "$SEALFS_IMG" "$SEALFS_MNT" -o metrics=nope:x
