#!/bin/bash
# TIMEOUT: 360
# `sealfs demo` tells the sealing story on its own temporary image and exits 0 only if every
# step behaved as expected; it always unmounts and deletes that image: at the end, and on
# Ctrl-C (SIGINT to its process group) in the middle, where the story stops at once, every
# child is gone before it exits and it exits 130. --keep leaves the mount for exploring.
. "$(dirname "$0")/../lib/common.sh"
require_cmd truncate fallocate dd fusermount3

# Fails unless nothing is mounted under DIR and DIR is empty (the demo's temp dir is gone).
assert_cleaned_up() {
  local dir=$1 left
  if awk -v d="$dir/" 'index($2, d) == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    fail "something is still mounted under $dir: $(grep -F "$dir/" /proc/mounts)"
  fi
  left=$(ls -A "$dir")
  [[ -z $left ]] || fail "the demo left files in $dir: $left"
}

step "a full run exits 0 and cleans up"
mkdir -p "$CASE_DIR/run"
rc=0
"$SEALFS" demo --dir "$CASE_DIR/run" > "$CASE_DIR/run.out" 2>&1 || rc=$?
cat "$CASE_DIR/run.out"
assert_eq 0 "$rc" "sealfs demo exit status"
for line in \
  '[ok] an O_DIRECT read through the mount reads the device write' \
  'truncate: failed to truncate '"'"'data'"'"' at 0 bytes: Text file busy' \
  'fallocate: fallocate failed: Text file busy' \
  "[ok] the stale direct write landed in 'other'" \
  "[ok] a new file does not get the orphan's blocks" \
  '[ok] strict seal of a holey file is refused with EPERM' \
  '[ok] kill -9 of the holder drops its seal' \
  '[ok] a forked child keeps the seal after the parent closed and exited'; do
  grep -qF -- "$line" "$CASE_DIR/run.out" || fail "output lacks: $line"
done
grep -qF '[ok] the log grows inside its sealed blocks: same extents, same generation' \
  "$CASE_DIR/run.out" || fail "no range-seal act"
# The lease acts run where the binding forwards POLL (native); elsewhere the demo says why not.
if ! grep -qF '[note] the lease acts need the native binding' "$CASE_DIR/run.out"; then
  for line in \
    '[ok] told (POLLPRI), the holder stopped its I/O and let go; the truncate proceeded' \
    '[ok] the holder was revoked at the deadline' \
    '[ok] the quarantined blocks went to no other file' \
    '[ok] the late write did not reach another file' \
    '[ok] acknowledged: the state is clear and the quarantined blocks are free again'; do
    grep -qF -- "$line" "$CASE_DIR/run.out" || fail "output lacks: $line"
  done
fi
# The shared-extent act (14) also needs the native binding: jnr-fuse never sees copy_file_range.
if ! grep -qF '[note] the shared-extent act needs the native binding' "$CASE_DIR/run.out"; then
  for line in \
    '[ok] cp shared every block: both files map the same device blocks, flagged shared' \
    '[ok] asis freezes the copy'"'"'s shared blocks shared' \
    '[ok] a write into a shared block of the sealed copy is refused with ETXTBSY' \
    '[ok] the original is still writable: its block moved (copy-on-write)' \
    '[ok] the sealed copy'"'"'s map did not move: same extents, same generation' \
    '[ok] unsealed, the copy copies on write too: its block moved'; do
    grep -qF -- "$line" "$CASE_DIR/run.out" || fail "output lacks: $line"
  done
fi
grep -qE '^  \[ok\] size \(16384\) and generation \([0-9]+\) unchanged$' "$CASE_DIR/run.out" \
  || fail "no 'size and generation unchanged' line"
grep -qE '^All [0-9]+ checks behaved as expected\.$' "$CASE_DIR/run.out" \
  || fail "no 'All N checks behaved as expected.' line"
if grep -qF '[UNEXPECTED]' "$CASE_DIR/run.out"; then
  fail "unexpected step: $(grep -F '[UNEXPECTED]' "$CASE_DIR/run.out")"
fi
assert_cleaned_up "$CASE_DIR/run"

step "Ctrl-C in the middle stops the story at once, ends every child, unmounts and deletes"
# Two moments: while step 5 runs its refused commands, and while step 10 has background holders.
for at in 5 10; do
  mkdir -p "$CASE_DIR/int$at"
  # A new session, as a terminal's foreground job would be; SIGINT goes to its whole group.
  "$PYTHON" - "$SEALFS" "$CASE_DIR/int$at" "$CASE_DIR/int$at.out" "$at" <<'PY' \
    || fail "demo interrupted in step $at: see above"
import os, signal, subprocess, sys, time
sealfs, where, log, at = sys.argv[1:5]

def leftovers():
    """Live processes of the demo's group, or whose command line or environment names its dir."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if int(pid) == os.getpid():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if fields[0] in "ZX":
                continue
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                text = f.read()
            with open("/proc/%s/environ" % pid, "rb") as f:
                text += f.read()
        except OSError:
            continue
        if int(fields[2]) == p.pid or where.encode() in text:
            found.append("%s: %s" % (pid, text.split(b"\0")[0].decode(errors="replace")))
    return found

with open(log, "w") as out:
    p = subprocess.Popen([sealfs, "demo", "--dir", where], stdout=out, stderr=subprocess.STDOUT,
                         start_new_session=True)
deadline = time.monotonic() + 120
while "== %s. " % at not in open(log).read():
    if p.poll() is not None or time.monotonic() > deadline:
        sys.exit("demo ended (%s) before step %s:\n%s" % (p.returncode, at, open(log).read()))
    time.sleep(0.05)
os.killpg(p.pid, signal.SIGINT)
rc = p.wait(timeout=90)
left = leftovers()  # at once: every child must be gone before the demo exits
text = open(log).read()
print(text)
marker = "sealfs: demo interrupted; unmounting and deleting"
if marker not in text:
    sys.exit("no interruption message")
after = text.split(marker, 1)[1]
story = [l for l in after.splitlines()
         if l.startswith(("== ", "  [ok]", "  [UNEXPECTED]", "  $ ", "  [java]", "    ("))
         or "checks behaved" in l]
if rc != 130 or left or story:
    sys.exit("after SIGINT: exit %d (want 130), processes left: %r, story went on: %r"
             % (rc, left, story))
PY
  assert_cleaned_up "$CASE_DIR/int$at"
done

step "--keep leaves the filesystem mounted"
mkdir -p "$CASE_DIR/keep"
"$SEALFS" demo --keep --dir "$CASE_DIR/keep" > "$CASE_DIR/keep.out" 2>&1 \
  || fail "demo --keep exited $?: $(tail -5 "$CASE_DIR/keep.out")"
kept=$(sed -n 's/^Left mounted for exploring: .* at \(.*\) (daemon pid [0-9]*)\.$/\1/p' \
  "$CASE_DIR/keep.out")
[[ -n $kept ]] || fail "no 'Left mounted' line: $(tail -5 "$CASE_DIR/keep.out")"
on_exit "fusermount3 -u '$kept' 2>/dev/null"
is_mounted "$kept" || fail "$kept is not mounted after demo --keep"
assert_eq "fuse.sealfs" "$(mount_type "$kept")" "type of the kept mount"
[[ -s $kept/sparse ]] || fail "the demo's files are not on the kept mount"
fusermount3 -u "$kept" || fail "cannot unmount the kept mount"
wait_for 10 eval "! is_mounted '$kept'" || fail "$kept still mounted"
