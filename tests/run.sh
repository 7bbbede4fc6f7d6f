#!/bin/sh
# tests/run.sh — runs every unit test binary, then every CLI shell test, and
# ends with one line "N passed, N failed". Exit status 1 when any failed.
#   sh tests/run.sh [--unit-only] BIN_DIR GPT
unit_only=0
if [ "$1" = "--unit-only" ]; then unit_only=1; shift; fi
bin_dir=$1
gpt=$2
case "$gpt" in /*) ;; *) gpt="$(pwd)/$gpt" ;; esac
root=$(pwd)
# Tests share the machine with whatever else runs: without this, OpenMP threads
# spin-wait for descheduled siblings and a loaded machine slows them tenfold.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
passed=0
failed=0
failed_names=""

# Each line ends with the test's wall time, so that a slow one shows.
run_one() { # name command...
    name=$1; shift
    log=$(mktemp)
    start=$(date +%s)
    "$@" >"$log" 2>&1
    rc=$?
    took="($(($(date +%s) - start)) s)"
    if [ $rc -eq 0 ]; then
        passed=$((passed + 1))
        echo "ok   $name $took"
    else
        failed=$((failed + 1))
        failed_names="$failed_names $name"
        echo "FAIL $name $took"
        sed 's/^/     | /' "$log" | tail -40
    fi
    rm -f "$log"
}

# missing NAME WHY: a test that cannot run is a failure, never a skip.
missing() {
    failed=$((failed + 1))
    failed_names="$failed_names $1"
    echo "FAIL $1"
    echo "     | $2"
}

# One program per tests/unit/test_*.c: each must be in BIN_DIR (a wrong
# BIN_DIR, or a test that did not build, fails here).
n_unit=0
for src in "$root"/tests/unit/test_*.c; do
    [ -f "$src" ] || continue
    n_unit=$((n_unit + 1))
    name=$(basename "$src" .c)
    if [ -x "$bin_dir/$name" ]; then
        run_one "unit/$name" "$bin_dir/$name"
    else
        missing "unit/$name" "no test program $bin_dir/$name"
    fi
done
[ $n_unit -gt 0 ] || missing "unit" "no tests/unit/test_*.c under $root (run from the repository root)"

if [ $unit_only = 0 ]; then
    n_cli=0
    for t in "$root"/tests/cli/test_*.sh; do
        [ -f "$t" ] || continue
        n_cli=$((n_cli + 1))
        if [ -x "$gpt" ]; then
            run_one "cli/$(basename "$t" .sh)" env GPT="$gpt" ROOT="$root" BIN_DIR="$bin_dir" sh "$t"
        else
            missing "cli/$(basename "$t" .sh)" "no gpt program at $gpt"
        fi
    done
    [ $n_cli -gt 0 ] || missing "cli" "no tests/cli/test_*.sh under $root (run from the repository root)"
fi

echo
[ $failed -gt 0 ] && echo "failed:$failed_names"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
