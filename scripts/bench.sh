#!/bin/sh
# bench.sh — what `make bench` runs: gpt bench on the bundled model and on a
# GPT-2 124M-shaped model with random weights (made once under $BENCH_DIR),
# in F32, F16 and Q8, batched decoding (scripts/bench-batch.sh); on random
# BF16 checkpoints at the real shapes of SmolLM2-135M and Qwen2.5-0.5B
# (PRESETS names others: qwen3-0.6b, llama3.2-1b, tinyllama-1.1b), in BF16
# and Q8, one stream and 16, and one stream after 2,048 cached positions
# (float and F16 cache);
# then the tokenizer throughput when a corpus is at hand.
# Figures and how to read them: BENCHMARKS.md.
set -eu
gpt=${GPT:-./gpt}
dir=${BENCH_DIR:-/tmp/gpt-bench-models}
threads=${THREADS:-$(nproc)}
make -s build/make-random-model
for dtype in F32 F16; do
    m="$dir/gpt2-124m-$dtype"
    if [ ! -f "$m/model.safetensors" ]; then
        echo "making $m" >&2
        build/make-random-model "$m" --dtype "$dtype"
        cp models/gpt2-books-30m/vocab.json models/gpt2-books-30m/merges.txt "$m/"
    fi
done
"$gpt" bench -p 512 -n 128 -t "$threads"
"$gpt" bench -m "$dir/gpt2-124m-F32" -p 512 -n 128 -t "$threads"
"$gpt" bench -m "$dir/gpt2-124m-F16" -p 512 -n 128 -t "$threads"
"$gpt" bench -m "$dir/gpt2-124m-F32" --quant q8 -p 512 -n 128 -t "$threads"
"$gpt" bench -m "$dir/gpt2-124m-F32" -p 0 -n 64 --parallel 16 -t "$threads"
THREADS=$threads sh scripts/bench-batch.sh "$dir/gpt2-124m-F32" "$gpt"
for preset in ${PRESETS:-smollm2-135m qwen2.5-0.5b}; do  # any of make-random-model's presets
    m="$dir/$preset-BF16"
    if [ ! -f "$m/model.safetensors" ]; then
        echo "making $m" >&2
        build/make-random-model "$m" --preset "$preset" --dtype BF16
    fi
    "$gpt" bench -m "$m" -p 512 -n 128 -t "$threads"
    "$gpt" bench -m "$m" --quant q8 -p 512 -n 128 -t "$threads"
    "$gpt" bench -m "$m" -p 0 -n 32 --parallel 16 -t "$threads"
    "$gpt" bench -m "$m" -p 0 -n 32 -d 2048 -t "$threads"  # after 2,048 cached positions
    "$gpt" bench -m "$m" --cache-type f16 -p 0 -n 32 -d 2048 -t "$threads"  # the same from a cache of halves
done
corpus=${CORPUS:-}  # e.g. the fixtures' corpus/tinyshakespeare.txt; not shipped here
if [ -n "$corpus" ] && [ -f "$corpus" ]; then
    sh scripts/bench-tokenizer.sh "$corpus" "$gpt"
else
    echo "set CORPUS=FILE (a text file of a megabyte or more) for the tokenizer figures" >&2
fi
