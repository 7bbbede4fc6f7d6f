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

run_one() { # name command...
    name=$1; shift
    log=$(mktemp)
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "ok   $name"
    else
        failed=$((failed + 1))
        failed_names="$failed_names $name"
        echo "FAIL $name"
        sed 's/^/     | /' "$log" | tail -40
    fi
    rm -f "$log"
}

for t in "$bin_dir"/test_*; do
    [ -x "$t" ] || continue
    run_one "unit/$(basename "$t")" "$t"
done

if [ $unit_only = 0 ]; then
    for t in "$root"/tests/cli/test_*.sh; do
        [ -f "$t" ] || continue
        run_one "cli/$(basename "$t" .sh)" env GPT="$gpt" ROOT="$root" sh "$t"
    done
fi

echo
[ $failed -gt 0 ] && echo "failed:$failed_names"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
