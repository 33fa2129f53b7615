#!/bin/bash
# TIMEOUT: 180
# The device holds every file's bytes. `sealfs mkfs` creates a new image file 0600; a mount with
# allow_other (root's default) of a device its group or everyone may open prints one warning
# line with the chmod that fixes it, and still mounts; no warning for 0600 or without
# allow_other. Shows the risk too: a file that is 0600 on the mount is readable from a 0644 image.
. "$(dirname "$0")/../lib/common.sh"
require_cmd setpriv
[[ $(id -u) == 0 ]] || skip "needs root (allow_other is the root mount's default)"

# Mounts with ARGS, stderr to $CASE_DIR/err (the harness's fs_mount, with stderr kept apart).
mount_keep_err() {
  rm -f "$SEALFS_PIDFILE"
  "$SEALFS" mount "$SEALFS_IMG" "$SEALFS_MNT" --pidfile "$SEALFS_PIDFILE" "$@" \
    2> "$CASE_DIR/err" || { cat "$CASE_DIR/err"; fail "sealfs mount $* exited $?"; }
  cat "$CASE_DIR/err"
  wait_for 30 is_mounted "$SEALFS_MNT" || fail "not mounted after 30 s"
}

step "a new image is mode 0600"
fs_mkfs
assert_eq 600 "$(stat -c %a "$SEALFS_IMG")" "mode of a new image"

step "a world-readable image under allow_other: one warning line, and the mount works"
chmod 644 "$SEALFS_IMG"
mount_keep_err
assert_eq 1 "$(wc -l < "$CASE_DIR/err")" "stderr lines of the mount"
grep -qxF "sealfs: warning: $SEALFS_IMG (mode 0644) is readable by every user, so with allow_other other users can read every file straight from the device, around its permissions on the mount; fix: chmod 600 $SEALFS_IMG" \
  "$CASE_DIR/err" || fail "no device-mode warning with the chmod that fixes it"
grep -q allow_other <<< "$(grep -F " $SEALFS_MNT " /proc/mounts)" || fail "the mount lacks allow_other"
secret="sealfs-secret-$RANDOM$RANDOM"
printf '%s\n' "$secret" > "$SEALFS_MNT/secret"
chmod 600 "$SEALFS_MNT/secret"
sync "$SEALFS_MNT/secret"
as_nobody cat "$SEALFS_MNT/secret" > /dev/null 2>&1 && fail "nobody read a 0600 file through the mount"
as_nobody grep -qaF "$secret" "$SEALFS_IMG" || fail "expected the 0644 image to expose the file"
fs_umount

step "after the fix (chmod 600): no warning, and the image is closed to others"
chmod 600 "$SEALFS_IMG"
mount_keep_err
[[ ! -s $CASE_DIR/err ]] || fail "warning for a 0600 image: $(cat "$CASE_DIR/err")"
as_nobody cat "$SEALFS_IMG" > /dev/null 2>&1 && fail "nobody opened a 0600 image"
fs_umount

step "a group-readable image is warned about too; without allow_other it is not"
chmod 640 "$SEALFS_IMG"
mount_keep_err
grep -qF "(mode 0640) is readable by its group" "$CASE_DIR/err" || fail "no warning for mode 0640"
fs_umount
chmod 644 "$SEALFS_IMG"
mount_keep_err -o noallow_other
[[ ! -s $CASE_DIR/err ]] || fail "warning without allow_other: $(cat "$CASE_DIR/err")"
fs_umount
