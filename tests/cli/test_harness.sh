# test_harness.sh — tests/run.sh itself: a test that cannot run is a failure,
# never a silent pass (a wrong binary directory, a missing gpt).
. "$(dirname "$0")/lib.sh"
# Run inside the run.sh below, this script would start it again, and so on.
if [ -n "${GPT_HARNESS_TEST:-}" ]; then
    echo "FAIL: run.sh ran the CLI tests without a gpt program" >&2
    exit 1
fi
export GPT_HARNESS_TEST=1

mkdir -p "$TMP/empty-bin"
set +e
(cd "$ROOT" && sh tests/run.sh "$TMP/empty-bin" "$TMP/no-gpt") >"$TMP/run.log" 2>&1
rc=$?
set -e
expect_eq "run.sh with no test programs and no gpt: exit status" "$rc" 1
n_unit=$(ls "$ROOT"/tests/unit/test_*.c | wc -l | tr -d ' ')
n_cli=$(ls "$ROOT"/tests/cli/test_*.sh | wc -l | tr -d ' ')
expect_eq "run.sh: one failure per unit test program missing" \
    "$(grep -c "^     | no test program $TMP/empty-bin/test_" "$TMP/run.log")" "$n_unit"
expect_eq "run.sh: one failure per CLI test without gpt" "$(grep -c "^     | no gpt program at $TMP/no-gpt" "$TMP/run.log")" "$n_cli"
expect_eq "run.sh: the summary" "$(tail -1 "$TMP/run.log")" "0 passed, $((n_unit + n_cli)) failed"

# From outside the repository it finds no tests at all: that fails too.
set +e
(cd "$TMP" && sh "$ROOT/tests/run.sh" --unit-only "$TMP/empty-bin" "$GPT") >"$TMP/run2.log" 2>&1
rc=$?
set -e
expect_eq "run.sh outside the repository: exit status" "$rc" 1
grep -q "no tests/unit/test_\*.c under" "$TMP/run2.log" || fail "run.sh outside the repository: $(cat "$TMP/run2.log")"

# test_golden: a reference that fails to parse, or has no prompts, fails
# (before, it ran zero prompts and passed). BIN_DIR comes from run.sh.
golden="${BIN_DIR:-$ROOT/build/tests}/test_golden"
case $golden in /*) ;; *) golden="$ROOT/$golden" ;; esac
if [ -x "$golden" ]; then
    mkdir -p "$TMP/ref-broken" "$TMP/ref-empty" "$TMP/ref-none"
    printf '{"prompts": [' >"$TMP/ref-broken/reference.json"
    printf '{"prompts": []}' >"$TMP/ref-empty/reference.json"
    printf '{"model": "dev-tiny"}' >"$TMP/ref-none/reference.json"
    for r in broken empty none; do
        set +e
        (cd "$ROOT" && "$golden" tests/golden/dev-tiny "$TMP/ref-$r") >"$TMP/golden.log" 2>&1
        rc=$?
        set -e
        expect_eq "test_golden with a $r reference: exit status" "$rc" 1
    done
    grep -q "ref-none/reference.json: no \"prompts\" to check" "$TMP/golden.log" ||
        fail "test_golden, no prompts: $(cat "$TMP/golden.log")"
    set +e
    (cd "$ROOT" && "$golden" tests/golden/dev-tiny tests/golden/dev-tiny) >"$TMP/golden.log" 2>&1
    rc=$?
    set -e
    expect_eq "test_golden with dev-tiny's own reference: exit status" "$rc" 0
else
    fail "no test_golden program at $golden"
fi

finish
