# test_bench.sh — `gpt bench`'s figures are possible ones: a decode step reads
# every weight once, so tg can never pass the memory-bandwidth roofline that
# bench measures beside it. (Issue 14: a read loop timed by the adder's
# latency under-measured the bandwidth and reported 99-194% of the roofline.)
# The library's figure is checked against STREAM's triad in
# tests/unit/test_bandwidth.c.
. "$ROOT/tests/cli/lib.sh"

field() { sed -n "s/.*\"$1\":\([0-9.e+-]*\).*/\1/p" "$TMP/bench.jsonl"; }
# The bound is checked on weights no cache holds: a random checkpoint at
# SmolLM2-135M's shape in BF16, 269 MB a token, 135 MB a thread. (It was
# checked on the bundled 60 MB model until an AMD EPYC (Zen 5) in CI read
# 1.29-1.43 of the roofline three runs in a row. Each thread reads the same
# half of every matrix each token, 30 MB a thread, and the likely reason is
# that the two vCPUs' L3s (32 MB each on Zen 5, if they sat on two CCDs) kept
# those halves: the topology was not checked, but a decode that reads DRAM
# cannot pass the probe's figure by 40%.)
# The bound is 1.25, not 1: on Zen 3 the probe read 10-14% short of what a
# decode reaches while it loaded 64 bits at a time (BENCHMARKS.md, tenth and
# fourteenth sessions). A method that under-measures as issue 14's did
# (99-194%) is still caught. On a shared machine the bandwidth pass can meet a
# busy moment that tg does not: up to three runs, the first at or under the
# bound kept.
make -s -C "$ROOT" build/make-random-model >/dev/null
"$ROOT/build/make-random-model" "$TMP/smollm2" --preset smollm2-135m --dtype BF16 >/dev/null ||
    fail "make-random-model --preset smollm2-135m: exit status $?"
for attempt in 1 2 3; do
    "$GPT" bench -m "$TMP/smollm2" -p 0 -n 32 -r 3 -t 2 --format jsonl >"$TMP/bench.jsonl" 2>"$TMP/err" ||
        fail "gpt bench -m smollm2-135m-shaped -p 0 -n 32 -r 3: exit status $?: $(head -1 "$TMP/err")"
    awk -v f="$(field roofline_fraction)" 'BEGIN { exit !(f != "" && f <= 1.25) }' && break
    echo "attempt $attempt: $(cat "$TMP/bench.jsonl")" >&2
done
frac=$(field roofline_fraction)
# Every weight once a token: the BF16 matrices (the tied embedding; per layer
# q and o 576 x 576, k and v 192 x 576, gate, up and down 1536 x 576) and the
# 61 norm vectors of 576, held as floats.
want=$(awk 'BEGIN { printf "%.0f", 2 * (49152 * 576 + 30 * (2 * 576 * 576 + 2 * 192 * 576 + 3 * 1536 * 576)) + 4 * 61 * 576 }')
expect_eq "bench -m smollm2-135m-shaped: weight bytes a token reads" "$(field weight_bytes_per_token)" "$want"
awk -v f="$frac" 'BEGIN { exit !(f > 0 && f <= 1.25) }' ||
    fail "tg32 at $frac of the roofline ($(field tokens_per_s) t/s x $(field weight_bytes_per_token) bytes over $(field bandwidth_gbs) GB/s): want 0 < fraction <= 1.25"
rm -rf "$TMP/smollm2"

"$GPT" bench -p 0 -n 32 -r 3 -t 2 --format jsonl >"$TMP/bench.jsonl" 2>"$TMP/err" ||
    fail "gpt bench -p 0 -n 32 -r 3: exit status $?: $(head -1 "$TMP/err")"
bw=$(field bandwidth_gbs)
frac=$(field roofline_fraction)
tps=$(field tokens_per_s)
bytes=$(field weight_bytes_per_token)
[ -n "$bw" ] && [ -n "$frac" ] && [ -n "$tps" ] && [ -n "$bytes" ] ||
    fail "bench jsonl lacks bandwidth_gbs, roofline_fraction, tokens_per_s or weight_bytes_per_token: $(cat "$TMP/bench.jsonl")"
awk -v b="$bw" 'BEGIN { exit !(b > 1) }' || fail "bandwidth $bw GB/s: want a measured figure above 1 GB/s"
# The fraction is what it says: each repeat's tokens/s x bytes a token reads /
# the bandwidth read just before it (within 2%: the figures are printed
# rounded), and the one reported is the median of the repeats'.
sed 's/.*"repeats":\[//; s/\].*//; s/},{/}\n{/g' "$TMP/bench.jsonl" >"$TMP/repeats"
[ "$(wc -l <"$TMP/repeats")" -eq 3 ] || fail "want 3 repeats in the bench jsonl: $(cat "$TMP/bench.jsonl")"
while read -r line; do
    t=$(echo "$line" | sed -n 's/.*"tokens_per_s":\([0-9.e+-]*\).*/\1/p')
    b=$(echo "$line" | sed -n 's/.*"bandwidth_gbs":\([0-9.e+-]*\).*/\1/p')
    f=$(echo "$line" | sed -n 's/.*"roofline_fraction":\([0-9.e+-]*\).*/\1/p')
    awk -v f="$f" -v t="$t" -v n="$bytes" -v b="$b" 'BEGIN { r = t * n / (b * 1e9); d = r / f - 1; if (d < 0) d = -d; exit !(d < 0.02) }' ||
        fail "a repeat's roofline_fraction $f, but $t t/s x $bytes bytes / $b GB/s = $(awk -v t="$t" -v n="$bytes" -v b="$b" 'BEGIN { print t * n / (b * 1e9) }')"
done <"$TMP/repeats"
mid=$(sed -n 's/.*"roofline_fraction":\([0-9.e+-]*\).*/\1/p' "$TMP/repeats" | sort -g | sed -n 2p)
[ "$mid" = "$frac" ] || fail "roofline_fraction $frac is not the median of the repeats' ($(sed -n 's/.*"roofline_fraction":\([0-9.e+-]*\).*/\1/p' "$TMP/repeats" | tr '\n' ' '))"

# -d N: tg after N cached positions. The keys and values a token reads at its
# mean position, 2 x 4 bytes x layers x kv heads x head_dim x (N + (n + 1) / 2)
# from gpt info's shape, are counted beside the weights, in the fraction too.
"$GPT" bench -p 0 -n 4 -d 40 -r 1 -t 2 --format jsonl >"$TMP/bench.jsonl" 2>"$TMP/err" ||
    fail "gpt bench -p 0 -n 4 -d 40: exit status $?: $(head -1 "$TMP/err")"
grep -q '"test":"tg4@d40",.*"depth":40,' "$TMP/bench.jsonl" || fail "bench -d 40: test or depth: $(cat "$TMP/bench.jsonl")"
want=$("$GPT" info --format json |
    sed 's/.*"n_layer":\([0-9]*\),.*"n_kv_head":\([0-9]*\),"head_dim":\([0-9]*\),.*/\1 \2 \3/' |
    awk '{ printf "%.0f", 2 * 4 * $1 * $2 * $3 * (40 + 2.5) }')
expect_eq "bench -d 40: cache bytes a token reads" "$(field cache_bytes_per_token)" "$want"
awk -v f="$(field roofline_fraction)" -v t="$(field tokens_per_s)" -v w="$(field weight_bytes_per_token)" \
    -v c="$(field cache_bytes_per_token)" -v b="$(field bandwidth_gbs)" \
    'BEGIN { r = t * (w + c) / (b * 1e9); d = r / f - 1; if (d < 0) d = -d; exit !(d < 0.02) }' ||
    fail "bench -d 40: roofline_fraction is not t/s x (weights + cache) / bandwidth: $(cat "$TMP/bench.jsonl")"
# With --parallel P a step reads the weights once and each sequence's cache:
# the fraction is steps/s x (weights + P x cache) / bandwidth.
"$GPT" bench -p 0 -n 4 -d 40 --parallel 3 -r 1 -t 2 --format jsonl >"$TMP/bench.jsonl" 2>"$TMP/err" ||
    fail "gpt bench -p 0 -n 4 -d 40 --parallel 3: exit status $?: $(head -1 "$TMP/err")"
expect_eq "bench -d 40 --parallel 3: cache bytes a token reads" "$(field cache_bytes_per_token)" "$want"
awk -v f="$(field roofline_fraction)" -v t="$(field tokens_per_s)" -v w="$(field weight_bytes_per_token)" \
    -v c="$(field cache_bytes_per_token)" -v b="$(field bandwidth_gbs)" \
    'BEGIN { r = t / 3 * (w + 3 * c) / (b * 1e9); d = r / f - 1; if (d < 0) d = -d; exit !(d < 0.02) }' ||
    fail "bench -d 40 --parallel 3: roofline_fraction is not t/s / 3 x (weights + 3 x cache) / bandwidth: $(cat "$TMP/bench.jsonl")"
# --cache-type f16: halves of 2 bytes, half the cache bytes a token reads.
"$GPT" bench --cache-type f16 -p 0 -n 4 -d 40 -r 1 -t 2 --format jsonl >"$TMP/bench.jsonl" 2>"$TMP/err" ||
    fail "gpt bench --cache-type f16 -d 40: exit status $?: $(head -1 "$TMP/err")"
expect_eq "bench --cache-type f16 -d 40: cache bytes a token reads" "$(field cache_bytes_per_token)" \
    "$(awk -v w="$want" 'BEGIN { printf "%.0f", w / 2 }')"
expect_eq "bench --cache-type f16: cache_type" "$(sed -n 's/.*"cache_type":"\([a-z0-9]*\)".*/\1/p' "$TMP/bench.jsonl")" f16
# Lists, as llama-bench takes them: every pp test, then tg for each depth,
# length and --parallel, in the order given.
"$GPT" bench -p 16,8 -n 2,3 -d 0,20 --parallel 1,2 -r 1 -t 2 --format jsonl >"$TMP/bench.jsonl" 2>"$TMP/err" ||
    fail "gpt bench with lists: exit status $?: $(head -1 "$TMP/err")"
expect_eq "bench lists: the tests in order" "$(sed 's/^{"test":"\([^"]*\)".*/\1/' "$TMP/bench.jsonl" | tr '\n' ' ')" \
    "pp16 pp8 tg2 tg2x2 tg3 tg3x2 tg2@d20 tg2x2@d20 tg3@d20 tg3x2@d20 "
for bad in 16,,8 16, ,16 16,x; do
    expect_status "bench -p $bad" 2 "$GPT" bench -p "$bad" -n 0 -r 1
    grep -q "^gpt: -p wants integers in 0..1048576, commas between (at most 16), not '$bad'$" "$TMP/err" ||
        fail "bench -p $bad: $(cat "$TMP/err")"
done
expect_status "bench -d past the context" 1 "$GPT" bench -p 0 -n 4 -d 510
grep -q "must fit the context of 512" "$TMP/err" || fail "bench -d 510 -n 4: $(cat "$TMP/err")"

finish
