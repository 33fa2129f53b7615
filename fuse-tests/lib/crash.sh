# shellcheck shell=bash
# Helpers shared by the crash-* cases (owned by helper "crash"). Source after common.sh:
#
#   . "$(dirname "$0")/../lib/common.sh"
#   . "$FUSE_TESTS/lib/crash.sh"
#
#   crash_bg CMD...          run CMD in the background; killed (by pid) when the case exits
#   crash_kill_daemon [PID...]  kill -9 the daemon, wait until the PIDs (the load) have ended,
#                            then unmount its dead mount
#   crash_fsck               sealfs fsck -n must exit 0; sets CRASH_FSCK_RC
#   crash_recover LOG WHAT   after a crash: fsck -n clean, mount, crashload.py check LOG and tags
#   crash_sleep_ms MS        sleep MS milliseconds

CRASH_BG_PIDS=()

# Runs CMD... in the background; its pid is in CRASH_BG_PID and it is killed when the case exits.
crash_bg() {
  "$@" &
  CRASH_BG_PID=$!
  CRASH_BG_PIDS+=("$CRASH_BG_PID")
}

# Kills (SIGKILL, by pid) every background command crash_bg started that is still alive.
crash_reap() {
  local p
  for p in "${CRASH_BG_PIDS[@]}"; do
    kill -9 "$p" 2> /dev/null
  done
  CRASH_BG_PIDS=()
}
on_exit crash_reap

# Sleeps MS milliseconds.
crash_sleep_ms() {
  sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

# Kills the daemon with SIGKILL (no flush, no checkpoint: a crash of the daemon), waits until it
# is gone, then unmounts the dead mount (fusermount3 -u, lazily if busy).
crash_kill_daemon() {
  local pid
  pid=$(daemon_pid)
  [[ -n $pid ]] || fail "no daemon pid in $SEALFS_PIDFILE"
  pid_alive "$pid" || fail "daemon $pid died before the kill"
  kill -9 "$pid"
  wait_for 10 eval "! pid_alive $pid" || fail "daemon $pid alive 10 s after kill -9"
  # The load must see the dead mount (ENOTCONN/ECONNABORTED), not the empty directory under it:
  # unmount only once it has stopped.
  local load
  for load in "$@"; do
    wait_for 20 eval "! pid_alive $load" || fail "load $load still running 20 s after the kill"
  done
  if is_mounted "$SEALFS_MNT"; then
    fusermount3 -u "$SEALFS_MNT" 2> /dev/null || fusermount3 -uz "$SEALFS_MNT" \
      || fail "cannot unmount the dead mount $SEALFS_MNT"
  fi
  wait_for 10 eval '! is_mounted "$SEALFS_MNT"' || fail "$SEALFS_MNT still mounted after the kill"
}

# Runs `sealfs fsck -n` on the image (bounded by timeout 60); it must exit 0 and say "clean".
crash_fsck() {
  local out
  CRASH_FSCK_RC=0
  out=$(timeout 60 "$SEALFS" fsck -n "$SEALFS_IMG" 2>&1) || CRASH_FSCK_RC=$?
  if ((CRASH_FSCK_RC != 0)) || ! grep -qx clean <<< "$out"; then
    printf '%s\n' "$out" >&2
    fail "fsck -n after the crash exited $CRASH_FSCK_RC"
  fi
}

# After a crash of the daemon (or of the machine): `sealfs fsck -n` clean, the mount, every file
# crashload.py logged in LOG as fsync'd there as logged (`crashload.py check`), and no file with
# another file's data (`crashload.py tags`). WHAT names the crash in failure messages. Sets
# CRASH_CHECKED (files compared) and CRASH_REPORT (fsck exit and time, mount time, the counts).
crash_recover() {
  local log=$1 what=$2 load=$FUSE_TESTS/lib/crashload.py t0 t1 t2 checked tags
  t0=$(ms_now)
  crash_fsck
  t1=$(ms_now)
  fs_mount
  t2=$(ms_now)
  checked=$("$PYTHON" "$load" check "$SEALFS_MNT" "$log") || fail "$what: fsync'd data lost"
  tags=$("$PYTHON" "$load" tags "$SEALFS_MNT") || fail "$what: a file shows foreign data"
  CRASH_CHECKED=$(awk '{print $2}' <<< "$checked")
  CRASH_REPORT=$(printf 'fsck -n exit %d (%d ms); remount %d ms; %s; %s' "$CRASH_FSCK_RC" \
    $((t1 - t0)) $((t2 - t1)) "$checked" "$tags")
}

# Prints the time in milliseconds (for the per-round timings the cases print).
ms_now() {
  local t=${EPOCHREALTIME/./}
  printf '%d\n' $((t / 1000))
}
