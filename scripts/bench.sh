#!/bin/sh
# bench.sh — what `make bench` runs: gpt bench on the bundled model and on a
# GPT-2 124M-shaped model with random weights (made once under $BENCH_DIR),
# in F32, F16 and Q8, batched decoding (scripts/bench-batch.sh), then the
# tokenizer throughput when a corpus is at hand.
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
corpus=${CORPUS:-}  # e.g. the fixtures' corpus/tinyshakespeare.txt; not shipped here
if [ -n "$corpus" ] && [ -f "$corpus" ]; then
    sh scripts/bench-tokenizer.sh "$corpus" "$gpt"
else
    echo "set CORPUS=FILE (a text file of a megabyte or more) for the tokenizer figures" >&2
fi
