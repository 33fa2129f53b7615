#!/bin/bash
# Timestamps as on ext4: write changes mtime+ctime; chmod/chown/link/rename change ctime only;
# create/unlink/rename change the parent's mtime+ctime; reads change neither mtime nor ctime.
. "$(dirname "$0")/../lib/common.sh"
fs_mkfs
fs_mount
cd "$SEALFS_MNT"
m() { stat -c %.9Y "$1"; }
c() { stat -c %.9Z "$1"; }
tick() { sleep 1.1; }
newer() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(b > a) }'; }
mkdir d
echo x > d/f
m0=$(m d/f); c0=$(c d/f); tick
echo y >> d/f
newer "$m0" "$(m d/f)" || fail "write did not advance mtime"
newer "$c0" "$(c d/f)" || fail "write did not advance ctime"
m1=$(m d/f); c1=$(c d/f); tick
cat d/f > /dev/null
assert_eq "$m1" "$(m d/f)" "mtime after read"
assert_eq "$c1" "$(c d/f)" "ctime after read"
chmod 600 d/f
assert_eq "$m1" "$(m d/f)" "mtime after chmod"
newer "$c1" "$(c d/f)" || fail "chmod did not advance ctime"
c2=$(c d/f); tick
ln d/f d/g
newer "$c2" "$(c d/f)" || fail "link did not advance ctime"
assert_eq "$m1" "$(m d/f)" "mtime after link"
c3=$(c d/f); tick
chown 1:1 d/f
newer "$c3" "$(c d/f)" || fail "chown did not advance ctime"
c4=$(c d/f); tick
truncate -s 0 d/f
newer "$m1" "$(m d/f)" || fail "truncate did not advance mtime"
newer "$c4" "$(c d/f)" || fail "truncate did not advance ctime"
dm=$(m d); dc=$(c d); tick
touch d/new
newer "$dm" "$(m d)" || fail "create did not advance the parent's mtime"
newer "$dc" "$(c d)" || fail "create did not advance the parent's ctime"
dm=$(m d); tick
rm d/new
newer "$dm" "$(m d)" || fail "unlink did not advance the parent's mtime"
dm=$(m d); tick
mkdir d/sub
newer "$dm" "$(m d)" || fail "mkdir did not advance the parent's mtime"
dm=$(m d); fc=$(c d/g); tick
mv d/g d/h
newer "$dm" "$(m d)" || fail "rename did not advance the parent's mtime"
newer "$fc" "$(c d/h)" || fail "rename did not advance the moved inode's ctime"
step "utimens"
touch -m -d '2010-01-01 00:00:00.25' d/h
assert_eq 1262304000.250000000 "$(m d/h)" "mtime set by touch -d"
touch -a -d '2011-01-01 00:00:00' d/h
assert_eq 1262304000.250000000 "$(m d/h)" "mtime after setting only atime"
assert_eq 1293840000.000000000 "$(stat -c %.9X d/h)" "atime set by touch -a"
