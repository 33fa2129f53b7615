#!/bin/bash
# TIMEOUT: 300
# `mount -t fuse.sealfs IMG MNT` (mount.fuse3 runs `sealfs IMG MNT -o OPTS`) and an fstab line
# (mount -T FILE MNT) work with sealfs installed as /usr/local/bin/sealfs; the daemon exits after
# fusermount3 -u. mount(8) runs its helpers without the caller's PATH (sh then searches
# /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin), so a temporary PATH entry is
# not enough: the case adds the /usr/local/bin/sealfs symlink the README describes if it is
# missing, and removes it again at exit. That path is the machine's, not the case's: runs of
# this case from other worktrees (or parallel runs) take turns on it under a lock.
. "$(dirname "$0")/../lib/common.sh"
require_cmd mount.fuse3 flock
fs_mkfs
link=/usr/local/bin/sealfs
exec 8> /tmp/.sealfs-fuse-tests-usr-local-bin-sealfs.lock
flock -w 60 8 || skip "another run has held $link for 60 s"
if [[ -e $link || -L $link ]]; then
  [[ $(readlink -f "$link") == "$(readlink -f "$SEALFS")" ]] \
    || skip "$link exists and is not $SEALFS"
else
  ln -s "$SEALFS" "$link"
  on_exit 'rm -f /usr/local/bin/sealfs'
fi
img_daemons() {   # pids of processes whose command line names this case's image
  local p
  for p in /proc/[0-9]*; do
    tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -qF -- "$SEALFS_IMG" && echo "${p#/proc/}"
  done
  return 0
}
check_mounted() {
  is_mounted "$SEALFS_MNT" || fail "not mounted after $1"
  assert_eq fuse.sealfs "$(mount_type)" "filesystem type after $1"
  grep -F " $SEALFS_MNT " /proc/mounts
  echo "via $1" > "$SEALFS_MNT/via"
  assert_eq "via $1" "$(cat "$SEALFS_MNT/via")" "write/read after $1"
  fusermount3 -u "$SEALFS_MNT"
  wait_for 30 eval '[[ -z $(img_daemons) ]]' || fail "daemon still running after unmount: $(img_daemons)"
}
step "mount -t fuse.sealfs"
timeout 90 mount -t fuse.sealfs "$SEALFS_IMG" "$SEALFS_MNT" || fail "mount -t fuse.sealfs exited $?"
check_mounted "mount -t"
step "fstab line"
echo "$SEALFS_IMG $SEALFS_MNT fuse.sealfs defaults,_netdev 0 0" > "$CASE_DIR/fstab"
timeout 90 mount -T "$CASE_DIR/fstab" "$SEALFS_MNT" || fail "mount via fstab line exited $?"
check_mounted "fstab"
