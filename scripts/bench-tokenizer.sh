#!/bin/sh
# bench-tokenizer.sh CORPUS [GPT] — tokenizer throughput of `gpt tokenize`.
# Prints, for CORPUS, a 10 MB file of CORPUS repeated, and three pathological
# 100 kB inputs: the median wall time of 7 runs and MB/s, whole process
# (vocabulary load included) and with the load (an empty input) subtracted.
set -eu
corpus=${1:?usage: bench-tokenizer.sh CORPUS [GPT]}
gpt=${2:-./gpt}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/10mb.txt"
while [ "$(wc -c <"$tmp/10mb.txt")" -lt 10000000 ]; do cat "$corpus" >>"$tmp/10mb.txt"; done
head -c 10000000 "$tmp/10mb.txt" >"$tmp/x" && mv "$tmp/x" "$tmp/10mb.txt"
head -c 100000 /dev/zero | tr '\0' a >"$tmp/letters.txt"
head -c 100000 /dev/zero | tr '\0' ' ' >"$tmp/spaces.txt"
i=0; : >"$tmp/emoji.txt"
while [ $i -lt 25000 ]; do printf '\360\237\230\200' >>"$tmp/emoji.txt"; i=$((i + 1)); done
: >"$tmp/empty.txt"

median_seconds() { # FILE: median wall seconds of 7 runs of gpt tokenize
    for _ in 1 2 3 4 5 6 7; do
        s=$(date +%s.%N)
        "$gpt" tokenize <"$1" >/dev/null
        e=$(date +%s.%N)
        echo "$e - $s" | bc -l
    done | sort -n | sed -n 4p
}
"$gpt" tokenize <"$corpus" >/dev/null  # warm the page cache
load=$(median_seconds "$tmp/empty.txt")
printf '%-22s %10s %9s %12s %12s\n' input bytes seconds "MB/s" "MB/s no-load"
for f in "$corpus" "$tmp/10mb.txt" "$tmp/letters.txt" "$tmp/spaces.txt" "$tmp/emoji.txt"; do
    bytes=$(wc -c <"$f")
    t=$(median_seconds "$f")
    noload=-  # below 1 MB the load dominates and the difference is noise
    [ "$bytes" -ge 1000000 ] && noload=$(printf '%.1f' "$(echo "$bytes / ($t - $load) / 1000000" | bc -l)")
    printf '%-22s %10d %9.3f %12.1f %12s\n' "$(basename "$f")" "$bytes" "$t" \
        "$(echo "$bytes / $t / 1000000" | bc -l)" "$noload"
done
echo "load (empty input): ${load} s"
