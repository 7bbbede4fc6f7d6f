#!/bin/sh
# bench-batch.sh MODEL [GPT] — batched decoding: N prompts ("Prompt number i:
# once upon a time") x 64 new tokens, greedy, with --parallel 1 and then
# --parallel P. Prints each run's wall time and aggregate generated tokens/s,
# their ratio, and whether the two outputs are identical (they must be).
# PROMPTS (default 64), TOKENS (64), PARALLEL (16), THREADS (all cores).
set -eu
model=${1:?usage: bench-batch.sh MODEL [GPT]}
gpt=${2:-./gpt}
n=${PROMPTS:-64} tokens=${TOKENS:-64} parallel=${PARALLEL:-16} threads=${THREADS:-$(nproc)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
while [ $i -lt "$n" ]; do echo "Prompt number $i: once upon a time"; i=$((i + 1)); done >"$tmp/prompts.txt"
run() { # P: wall seconds of one run, output in $tmp/out.P
    s=$(date +%s.%N)
    "$gpt" generate -m "$model" --batch --parallel "$1" -n "$tokens" --ignore-eos --temperature 0 -t "$threads" \
        <"$tmp/prompts.txt" >"$tmp/out.$1"
    e=$(date +%s.%N)
    awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f\n", e - s }'
}
"$gpt" generate -m "$model" -p hi -n 1 >/dev/null  # warm the page cache
t1=$(run 1)
tp=$(run "$parallel")
total=$((n * tokens))
printf '%d prompts x %d tokens, %d threads, %s\n' "$n" "$tokens" "$threads" "$model"
rate() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
printf -- '--parallel %-3d %8.2f s %8.1f t/s\n' 1 "$t1" "$(rate "$total" "$t1")"
printf -- '--parallel %-3d %8.2f s %8.1f t/s\n' "$parallel" "$tp" "$(rate "$total" "$tp")"
printf 'ratio %.2fx, outputs %s\n' "$(rate "$t1" "$tp")" \
    "$(cmp -s "$tmp/out.1" "$tmp/out.$parallel" && echo identical || echo DIFFERENT)"
