# shellcheck shell=bash
# Helpers for cases that run sealfs on cutfs (fuse-tests/lib/cutfs.c), a FUSE layer that keeps
# every write in memory until the file is fsync'd and drops the unsynced ones on a power cut.
# Source after common.sh:
#
#   cutfs_build              compile cutfs into $CASE_DIR (needs gcc, pkg-config, libfuse3-dev)
#   cutfs_start              mount $CUTFS_MNT over the backing directory $CUTFS_DIR
#   cutfs_cut [SEED]         the power cut: drop every unsynced write (with SEED: keep a random
#                            half of the unsynced pages first), fail all I/O after it
#   cutfs_stop               unmount the layer and wait until cutfs has exited
#
# The layer's log (one "cutfs: power cut: dropped N unsynced pages of M files" line per cut)
# is $CUTFS_LOG. A case exit stops the sealfs daemon (if it still runs on the layer) and then
# the layer.

CUTFS=$CASE_DIR/cutfs
CUTFS_DIR=$CASE_DIR/backing
CUTFS_MNT=$CASE_DIR/layer
CUTFS_LOG=$CASE_DIR/cutfs.log
CUTFS_PID=
mkdir -p "$CUTFS_DIR" "$CUTFS_MNT"

# Compiles cutfs.c; skips the case (77) when the compiler or libfuse3's headers are missing.
cutfs_build() {
  command -v gcc > /dev/null || skip "needs gcc"
  command -v pkg-config > /dev/null && pkg-config --exists fuse3 \
    || skip "needs pkg-config and libfuse3-dev"
  # shellcheck disable=SC2046  # pkg-config prints several words on purpose
  gcc -std=gnu11 -O2 -Wall -Wextra -Werror -o "$CUTFS" "$FUSE_TESTS/lib/cutfs.c" \
    $(pkg-config --cflags --libs fuse3) || fail "cutfs.c does not compile"
}

# Mounts the layer (single-threaded, in the foreground of a background job) and waits for it.
cutfs_start() {
  is_mounted "$CUTFS_MNT" && fail "cutfs_start: $CUTFS_MNT is already mounted"
  "$CUTFS" "$CUTFS_DIR" "$CUTFS_MNT" -f -s -o fsname=cutfs >> "$CUTFS_LOG" 2>&1 &
  CUTFS_PID=$!
  wait_for 10 is_mounted "$CUTFS_MNT" || fail "cutfs_start: $CUTFS_MNT not mounted after 10 s"
}

# The power cut (with SEED: a random half of the unsynced pages reach the disk first); returns
# when the layer has dropped everything unsynced.
cutfs_cut() {
  local cmd=cut
  [[ -n ${1:-} ]] && cmd="cut-half $1"
  timeout 10 "$PYTHON" -c 'import sys; open(sys.argv[1], "w").write(sys.argv[2])' \
    "$CUTFS_MNT/.powercut" "$cmd" || fail "cutfs_cut: the layer did not take the cut"
}

# Unmounts the layer (retrying while busy, 10 s) and waits until cutfs has exited (60 s: on a
# loaded machine it may still be finishing its last request).
cutfs_stop() {
  local i
  for ((i = 0; i < 100; i++)); do
    is_mounted "$CUTFS_MNT" || break
    fusermount3 -u "$CUTFS_MNT" 2> /dev/null && break
    sleep 0.1
  done
  is_mounted "$CUTFS_MNT" && fail "cutfs_stop: cannot unmount $CUTFS_MNT"
  if [[ -n $CUTFS_PID ]]; then
    wait_for 60 eval "! pid_alive $CUTFS_PID" || fail "cutfs_stop: cutfs still alive 60 s after its unmount"
  fi
  CUTFS_PID=
}

# On exit: the sealfs daemon first (it holds the image open), then the layer.
_cutfs_exit() {
  local pid
  pid=$(daemon_pid)
  if is_mounted "$SEALFS_MNT"; then
    fusermount3 -u "$SEALFS_MNT" 2> /dev/null || fusermount3 -uz "$SEALFS_MNT" 2> /dev/null
  fi
  [[ -n $pid ]] && pid_alive "$pid" && kill -9 "$pid" 2> /dev/null
  [[ -n $pid ]] && wait_for 10 eval "! pid_alive $pid"
  if is_mounted "$CUTFS_MNT"; then
    fusermount3 -u "$CUTFS_MNT" 2> /dev/null || fusermount3 -uz "$CUTFS_MNT" 2> /dev/null
  fi
  [[ -n $CUTFS_PID ]] && pid_alive "$CUTFS_PID" && kill "$CUTFS_PID" 2> /dev/null
  return 0
}
on_exit _cutfs_exit
