#!/bin/sh
# bench-sampling.sh MODEL [GPT] — what the sampling and scoring controls cost:
#  1. build/bench-sampler: microseconds per sampling step on a 50257 vocabulary;
#  2. the CPU time (user + system, one thread) of generate -n 128
#     --ignore-eos, plain and with --repetition-penalty 1.3
#     --presence-penalty 0.5 --frequency-penalty 0.5 --min-p 0.05, RUNS
#     (default 5) runs of each, alternated; medians;
#  3. the CPU time of scoring PROMPTS (default 1000) prompts of 64 tokens in
#     one --batch ("max_tokens": 0, echo + logprobs) against reading the same
#     prompts with max_tokens 1 and no scoring (prefill and one token), and
#     against gpt perplexity over the same text in windows of 64.
# CPU time, one thread: figures that hold on a machine others share.
# Figures: BENCHMARKS.md.
set -eu
model=${1:?usage: bench-sampling.sh MODEL [GPT]}
gpt=${2:-./gpt}
runs=${RUNS:-5} n=${PROMPTS:-1000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
make -s build/bench-sampler
build/bench-sampler

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
cpu() { # COMMAND...: user + system seconds
    /usr/bin/time -f '%U %S' -o "$tmp/time" "$@" >/dev/null 2>&1 </dev/null
    awk '{ print $1 + $2 }' "$tmp/time"
}
"$gpt" generate -m "$model" -p hi -n 1 >/dev/null  # warm the page cache
i=0
while [ $i -lt "$runs" ]; do
    cpu "$gpt" generate -m "$model" -p "Once upon a time" -n 128 --ignore-eos --seed 1 -t 1 >>"$tmp/plain"
    cpu "$gpt" generate -m "$model" -p "Once upon a time" -n 128 --ignore-eos --seed 1 -t 1 \
        --repetition-penalty 1.3 --presence-penalty 0.5 --frequency-penalty 0.5 --min-p 0.05 >>"$tmp/pen"
    i=$((i + 1))
done
p=$(median <"$tmp/plain") q=$(median <"$tmp/pen")
echo "generate -n 128 CPU s, plain:     $(tr '\n' ' ' <"$tmp/plain")-> median $p"
echo "generate -n 128 CPU s, penalties: $(tr '\n' ' ' <"$tmp/pen")-> median $q"
awk -v p="$p" -v q="$q" 'BEGIN { printf "penalties + min-p: %+.2f%% of the CPU time\n", (q / p - 1) * 100 }'

# 64-token prompts: " w" + 63 x " the" (one token each), a different w per line.
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) { s = " " i; for (k = 0; k < 63; k++) s = s " the"
    printf "{\"prompt\": \"%s\", \"max_tokens\": 0, \"echo\": true, \"logprobs\": true}\n", s } }' >"$tmp/score.jsonl"
sed 's/"max_tokens": 0, "echo": true, "logprobs": true/"max_tokens": 1/' "$tmp/score.jsonl" >"$tmp/read.jsonl"
batch_cpu() { # FILE: CPU seconds of the batch, prompt tokens/s of CPU
    /usr/bin/time -f '%U %S' -o "$tmp/time" "$gpt" generate -m "$model" --batch -t 1 <"$1" >"$tmp/out"
    tokens=$(sed 's/.*"prompt_tokens":\([0-9]*\).*/\1/' "$tmp/out" | awk '{ s += $1 } END { print s }')
    awk -v t="$tokens" '{ c = $1 + $2; printf "%d prompt tokens in %.1f CPU s: %.1f t/s\n", t, c, t / c }' "$tmp/time"
}
echo "scoring $n x 64 tokens (max_tokens 0, echo, logprobs): $(batch_cpu "$tmp/score.jsonl")"
echo "reading $n x 64 tokens (max_tokens 1, no scoring):     $(batch_cpu "$tmp/read.jsonl")"
# gpt perplexity over the same prompts, one after another, in windows of 64:
# the same logits for every row, and the same log-softmax.
sed 's/.*"prompt": "\([^"]*\)".*/\1/' "$tmp/score.jsonl" | tr -d '\n' >"$tmp/all.txt"
/usr/bin/time -f '%U %S' -o "$tmp/time" "$gpt" perplexity -m "$model" -f "$tmp/all.txt" --window 64 -t 1 >"$tmp/out"
tokens=$(sed 's/.*"tokens":\([0-9]*\),.*/\1/' "$tmp/out")
echo "perplexity --window 64 over the same text:            $(awk -v t="$tokens" '{ c = $1 + $2; printf "%d tokens in %.1f CPU s: %.1f t/s", t, c, t / c }' "$tmp/time")"
