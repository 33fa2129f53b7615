#!/bin/bash
# statfs: free space drops by about the amount written and returns exactly after rm.
. "$(dirname "$0")/../lib/common.sh"
fs_mkfs
fs_mount
free_bytes() { sync; stat -f -c '%f %S' "$SEALFS_MNT" | awk '{ print $1 * $2 }'; }
total=$(stat -f -c '%b %S' "$SEALFS_MNT" | awk '{ print $1 * $2 }')
((total > 128 * 1048576 && total <= 256 * 1048576)) || fail "total size $total for a 256M image"
df -h "$SEALFS_MNT"
before=$(free_bytes)
dd if=/dev/urandom of="$SEALFS_MNT/f" bs=1M count=64 conv=fsync status=none
after=$(free_bytes)
drop=$((before - after))
echo "free before=$before after=$after drop=$drop"
((drop >= 64 * 1048576)) || fail "free space dropped by $drop < 64 MiB"
((drop <= 64 * 1048576 + 1048576)) || fail "free space dropped by $drop > 65 MiB"
df_avail=$(df -B1 --output=avail "$SEALFS_MNT" | tail -n1 | tr -d ' ')
((df_avail > 0)) || fail "df shows no available space"
rm "$SEALFS_MNT/f"
wait_for 30 eval '[[ $(free_bytes) == "$before" ]]' \
  || fail "free space after rm is $(free_bytes), before the write it was $before"
step "same after remount"
fs_remount
assert_eq "$before" "$(free_bytes)" "free bytes after remount"
