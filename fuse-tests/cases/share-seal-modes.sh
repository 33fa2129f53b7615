#!/bin/bash
# TIMEOUT: 180
# SPEC 11, seals and sharing: a strict seal of a file with shared extents is EPERM and changes
# nothing; PREPARE unshares them (the file gets blocks of its own, the other sharer keeps its
# own); ASIS freezes them shared: a write into the sealed file is ETXTBSY, the other sharer's
# write copies on write, and the sealed file's layout never changes. A sealed file is never the
# source of sharing (copying from it copies bytes) and copy_file_range into it is ETXTBSY.
. "$FUSE_TESTS/lib/share.sh"
share_setup

A=$SEALFS_MNT/a
B=$SEALFS_MNT/b
C=$SEALFS_MNT/c
D=$SEALFS_MNT/d
seal_mkfile "$A" $((16 * 4096)) 5
share_copy "$A" "$B" >/dev/null || fail "copy to $B"
share_copy "$A" "$C" >/dev/null || fail "copy to $C"
a_blocks=$(share_blocks "$A" shared)

step "strict: EPERM on shared extents, nothing changes"
before=$(seal_layout "$B") || fail "layout of $B"
expect_fail_with "Operation not permitted" sio seal "$B" strict
assert_eq "$before" "$(seal_layout "$B")" "a refused strict seal changed $B"

step "prepare: unshares, then seals"
exec 7<>"$B"
sio seal 7 prepare >/dev/null || fail "prepare seal of $B"
assert_eq "" "$(share_blocks "$B" shared)" "shared blocks left after prepare"
[ -z "$(comm -12 <(share_blocks "$B" written | sort) <(sort <<<"$a_blocks"))" ] \
  || fail "prepare left $B on $A's blocks"
cmp "$A" "$B" || fail "prepare changed the bytes"
exec 7>&-
seal_wait_holders "$B" 0 || fail "seal of $B not released"

step "asis: frozen shared; writes into it refused; the other sharer copies on write"
exec 8<>"$C"
sio seal 8 asis >/dev/null || fail "asis seal of $C"
frozen=$(seal_layout "$C") || fail "layout of $C"
assert_eq "$a_blocks" "$(share_blocks "$C" shared)" "asis keeps the shared blocks"
expect_fail_with "Text file busy" dd if=/dev/zero of="$C" bs=4096 count=1 conv=notrunc \
  status=none
printf 'x' | dd of="$A" bs=1 seek=4096 conv=notrunc status=none || fail "write into $A"
[ "$(share_layout "$A" | awk '$1 == 4096 { print $4 }')" = written ] \
  || fail "the other sharer's write did not copy on write"
assert_eq "$frozen" "$(seal_layout "$C")" "the sealed file's layout changed"
cmp <(head -c 4096 "$B") <(head -c 4096 "$C") || fail "the sealed file's bytes changed"

step "a sealed file is never the source of sharing; copying into it is ETXTBSY"
share_copy "$C" "$D" >/dev/null || fail "copy from the sealed $C"
cmp "$C" "$D" || fail "the copy of the sealed file reads differently"
assert_eq "" "$(share_blocks "$D" shared)" "the copy of a sealed file shares blocks"
expect_fail_with "Text file busy" share_copy "$A" "$C"
assert_eq "$frozen" "$(seal_layout "$C")" "a refused copy changed the sealed file"
exec 8>&-
seal_wait_holders "$C" 0 || fail "seal of $C not released"
share_fsck_clean "after the seal modes"
