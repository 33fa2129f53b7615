#!/bin/bash
# TIMEOUT: 180
# `sealfs map` on a real mount: a written file, a fallocated (unwritten) one and a sealed one
# show up in the bar with their letters (upper case while sealed), in about as many cells as
# their extents cover; the output is plain when not on a terminal and coloured on one (script);
# --svg writes a well-formed picture; a directory that is not a sealfs mount is refused.
. "$(dirname "$0")/../lib/common.sh"
fs_mkfs -s 64M
fs_mount
head -c 1048576 /dev/urandom > "$SEALFS_MNT/a"
fallocate -l 1M "$SEALFS_MNT/c"
head -c 524288 /dev/urandom > "$SEALFS_MNT/d"
# count CHAR FILE: how many times CHAR occurs in the bar rows (the lines with an offset first)
count() { grep -E '^ +[0-9][0-9.]*( [KMG]iB)? ' "$2" | cut -c11- | tr -cd "$1" | wc -c; }
near() {  # near N LO HI WHAT
  (($1 >= $2 && $1 <= $3)) || fail "$4: $1 cells, expected $2..$3"
}

step "map while /d is sealed (64 MiB in 8 rows of 64 cells: 128 KiB a cell)"
"$SEALFS" seal "$SEALFS_MNT/d" -- "$SEALFS" map --svg "$CASE_DIR/map.svg" "$SEALFS_MNT" \
  > "$CASE_DIR/sealed.txt" || fail "sealfs map exited $?"
cat "$CASE_DIR/sealed.txt"
grep -q $'\033' "$CASE_DIR/sealed.txt" && fail "colour codes although stdout is not a terminal"
assert_eq 8 "$(grep -cE '^ +[0-9][0-9.]*( [KMG]iB)? ' "$CASE_DIR/sealed.txt")" "bar rows"
grep -qx '  a /a  1 MiB in 1 extent' "$CASE_DIR/sealed.txt" || fail "legend line of /a"
grep -qx '  C /d  512 KiB in 1 extent, sealed' "$CASE_DIR/sealed.txt" || fail "legend line of sealed /d"
near "$(count a "$CASE_DIR/sealed.txt")" 7 9 "written /a"
near "$(count : "$CASE_DIR/sealed.txt")" 7 9 "unwritten /c"
near "$(count C "$CASE_DIR/sealed.txt")" 3 5 "sealed /d"
assert_eq 0 "$(count c "$CASE_DIR/sealed.txt")" "cells of /d drawn unsealed while sealed"
python3 - "$CASE_DIR/map.svg" <<'PY' || fail "the SVG is not well-formed or lacks the cells"
import sys, xml.dom.minidom
doc = xml.dom.minidom.parse(sys.argv[1])
rects = doc.getElementsByTagName("rect")
assert len(rects) >= 512, len(rects)
assert any("sealed" in t.firstChild.data for t in doc.getElementsByTagName("text")), "no sealed"
PY

step "after the seal: /d drawn unsealed; FILE arguments choose the files"
"$SEALFS" map -w 32 -r 4 "$SEALFS_MNT" "$SEALFS_MNT/d" > "$CASE_DIR/d.txt" || fail "map d exited $?"
cat "$CASE_DIR/d.txt"
grep -qx '  a /d  512 KiB in 1 extent' "$CASE_DIR/d.txt" || fail "legend of /d alone"
near "$(count a "$CASE_DIR/d.txt")" 1 3 "/d at 2 MiB a cell"

if command -v script > /dev/null; then
  step "on a terminal: colours and blocks; --no-color plain"
  script -qec "$SEALFS map $SEALFS_MNT" /dev/null > "$CASE_DIR/tty.txt" || fail "map on a tty exited $?"
  grep -q $'\033\\[31m█' "$CASE_DIR/tty.txt" || fail "no red block for /a on a terminal"
  script -qec "$SEALFS map --no-color $SEALFS_MNT" /dev/null > "$CASE_DIR/tty-plain.txt" || fail "exit $?"
  grep -q $'\033' "$CASE_DIR/tty-plain.txt" && fail "colour codes with --no-color"
fi

step "not a sealfs mount"
expect_fail_with "not a sealfs mount" "$SEALFS" map "$CASE_DIR"
