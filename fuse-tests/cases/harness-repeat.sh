#!/bin/bash
# TIMEOUT: 120
# fuse-tests/run --repeat N PATTERN... runs the chosen cases N times over, reports every failed
# run with its round (and its log tail), and counts runs; a bad count is a usage error (exit 2).
# Runs the harness on three small cases of its own: one passes, one fails every second run,
# one is not chosen.
. "$(dirname "$0")/../lib/common.sh"
dir=$CASE_DIR/cases
mkdir -p "$dir"
printf '#!/bin/bash\nexit 0\n' > "$dir/steady.sh"
printf '#!/bin/bash\nexit 0\n' > "$dir/unchosen.sh"
cat > "$dir/flaky.sh" <<'CASE'
#!/bin/bash
n=$(($(cat "$RUNS_FILE" 2>/dev/null || echo 0) + 1))
echo "$n" > "$RUNS_FILE"
if ((n % 2 == 0)); then echo "flaked on run $n"; exit 1; fi
CASE
chmod +x "$dir"/*.sh

# The inner harness runs with no SEALFS_TRANSPORT: its cases mount nothing, and in io_uring mode
# it would wait for the enable_uring lock that the harness running this case holds.
unset SEALFS_TRANSPORT
rc=0
RUNS_FILE=$CASE_DIR/flaky.runs TMPDIR=$CASE_DIR SEALFS_TESTS_CASES=$dir \
  "$FUSE_TESTS/run" --repeat 3 steady flaky > "$CASE_DIR/out" 2>&1 || rc=$?
cat "$CASE_DIR/out"
assert_eq 1 "$rc" "exit status of a repeated run with a failure"
assert_eq 3 "$(cat "$CASE_DIR/flaky.runs")" "runs of the flaky case"
assert_eq "PASS flaky.r1 PASS steady.r1 FAIL flaky.r2 PASS steady.r2 PASS flaky.r3 PASS steady.r3" \
  "$(grep -oE '^(PASS|FAIL) [a-z.0-9]+' "$CASE_DIR/out" | tr '\n' ' ' | sed 's/ $//')" "runs reported"
grep -q '^  | flaked on run 2$' "$CASE_DIR/out" || fail "the failed run's log tail is not shown"
grep -q '^failed: flaky.r2 ' "$CASE_DIR/out" || fail "the failed run is not named with its round"
assert_eq "5 passed, 1 failed, 0 skipped" "$(tail -n 1 "$CASE_DIR/out")" "last line"
grep -q unchosen "$CASE_DIR/out" && fail "a case that was not chosen ran"

for bad in 0 x; do
  rc=0
  TMPDIR=$CASE_DIR SEALFS_TESTS_CASES=$dir "$FUSE_TESTS/run" --repeat "$bad" steady \
    > "$CASE_DIR/bad.out" 2>&1 || rc=$?
  assert_eq 2 "$rc" "exit status of --repeat $bad"
  grep -q -- '--repeat needs a count' "$CASE_DIR/bad.out" || fail "no usage message for --repeat $bad"
done
