# lib.sh — shared by the CLI tests: a temp dir, and checks that say what they compared.
set -eu
: "${GPT:?GPT must name the gpt binary}"
: "${ROOT:?ROOT must name the repository root}"
MODEL="$ROOT/models/gpt2-books-30m"
TINY="$ROOT/tests/golden/dev-tiny"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
unset GPT_MODEL GPT_THREADS
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

# skip WHAT WHY: a check that cannot run here says so. With
# GPT_TEST_NO_SKIP=1 (.ci/run sets it, having installed everything) a skip
# is a failure, so CI never passes by skipping.
skip() {
    if [ "${GPT_TEST_NO_SKIP:-0}" = 1 ]; then
        fail "$1 cannot run: $2 (GPT_TEST_NO_SKIP=1)"
    else
        echo "SKIP: $1: $2" >&2
    fi
}

# expect_eq WHAT GOT WANT
expect_eq() {
    if [ "$2" != "$3" ]; then
        fail "$1"
        printf '  got:  %s\n  want: %s\n' "$2" "$3" >&2
    fi
}

# expect_status WHAT WANT COMMAND...: runs COMMAND, checks its exit status.
expect_status() {
    what=$1 want=$2
    shift 2
    set +e
    "$@" >"$TMP/out" 2>"$TMP/err"
    got=$?
    set -e
    if [ "$got" != "$want" ]; then
        fail "$what: exit status $got, want $want"
        sed 's/^/  stderr: /' "$TMP/err" | head -5 >&2
    fi
}

# expect_file_eq WHAT GOT_FILE WANT_FILE
expect_file_eq() {
    if ! cmp -s "$2" "$3"; then
        fail "$1: $2 and $3 differ"
        cmp "$2" "$3" >&2 || true
    fi
}

finish() {
    if [ "$failures" -gt 0 ]; then
        echo "$failures check(s) failed" >&2
        exit 1
    fi
    echo "all checks passed"
}
