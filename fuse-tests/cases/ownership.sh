#!/bin/bash
# Ownership: files created by uid/gid 65534 belong to it; setgid directories pass their group
# (and the bit, to subdirectories) on; permission checks for another user (default_permissions).
. "$(dirname "$0")/../lib/common.sh"
require_cmd setpriv
fs_mkfs
fs_mount -o allow_other
cd "$SEALFS_MNT"
mkdir pub sg private
chmod 1777 pub
chown 0:1234 sg; chmod 2777 sg
chmod 0700 private
as_nobody touch pub/f
as_nobody mkdir pub/d
assert_eq 65534:65534 "$(stat -c %u:%g pub/f)" "owner of a file created by nobody"
assert_eq 65534:65534 "$(stat -c %u:%g pub/d)" "owner of a dir created by nobody"
assert_eq 644 "$(as_nobody sh -c 'umask 022; touch pub/g; stat -c %a pub/g')" "mode with umask 022"
as_nobody touch sg/f
as_nobody mkdir sg/d
assert_eq 65534:1234 "$(stat -c %u:%g sg/f)" "file in a setgid dir gets the dir's group"
assert_eq 65534:1234 "$(stat -c %u:%g sg/d)" "dir in a setgid dir gets the dir's group"
[[ $(stat -c %A sg/d) == ??????s* ]] || fail "subdirectory of a setgid dir lacks setgid: $(stat -c %A sg/d)"
expect_fail_with "Permission denied" as_nobody touch private/x
expect_fail_with "Permission denied" as_nobody touch newfile-in-root
expect_fail_with "Operation not permitted" as_nobody chown 0 pub/f
echo mine > pub/rootfile
expect_fail_with "Operation not permitted" as_nobody rm -f pub/rootfile
[[ -f pub/rootfile ]] || fail "nobody removed root's file from a sticky directory"
echo secret > private2; chmod 0600 private2
expect_fail_with "Permission denied" as_nobody cat private2
chown 65534:65534 private2
assert_eq secret "$(as_nobody cat private2)" "owner can read after chown"
cd /
fs_remount -o allow_other
assert_eq 65534:1234 "$(stat -c %u:%g "$SEALFS_MNT/sg/f")" "owner after remount"
