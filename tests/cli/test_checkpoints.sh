# test_checkpoints.sh — checkpoints in the other layouts people download:
# BF16 and F16, untied heads, hub names without "transformer.", and shards.
. "$(dirname "$0")/lib.sh"
make -s -C "$ROOT" build/make-random-model >/dev/null
mk() { # DIR ARGS...: a small random GPT-2 with the bundled tokenizer
    d=$1; shift
    "$ROOT/build/make-random-model" "$d" --layers 2 --embd 64 --heads 4 --ctx 64 "$@"
    cp "$MODEL/vocab.json" "$MODEL/merges.txt" "$d/"
}

mk "$TMP/f32" --seed 5
mk "$TMP/bf16" --seed 5 --dtype BF16
mk "$TMP/f16" --seed 5 --dtype F16 --prefix
mk "$TMP/untied" --seed 5 --untied

"$GPT" info -m "$TMP/bf16" >"$TMP/info"
grep -q "^dtype: *BF16$" "$TMP/info" || fail "BF16 model: $(cat "$TMP/info")"
"$GPT" info -m "$TMP/untied" --format json >"$TMP/info"
# 2 layers of 64: the tied count plus the untied head's 50257 x 64.
tied=$("$GPT" info -m "$TMP/f32" --format json | sed 's/.*"params":\([0-9]*\).*/\1/')
untied=$(sed 's/.*"params":\([0-9]*\).*/\1/' "$TMP/info")
expect_eq "untied head parameters" "$((untied - tied))" $((50257 * 64))

# Every layout generates; the same weights in 16 bits give nearly the same logits.
for m in f32 bf16 f16 untied; do
    expect_status "generate with $m" 0 "$GPT" generate -m "$TMP/$m" -p "Hello there" -n 5
done
printf 'Hello there' | "$GPT" logits -m "$TMP/f32" --top 1 | tail -1 >"$TMP/l32"
printf 'Hello there' | "$GPT" logits -m "$TMP/bf16" --top 1 | tail -1 >"$TMP/lbf"
lse32=$(sed 's/.*"logsumexp":\([-0-9.e]*\).*/\1/' "$TMP/l32")
lsebf=$(sed 's/.*"logsumexp":\([-0-9.e]*\).*/\1/' "$TMP/lbf")
awk -v a="$lse32" -v b="$lsebf" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d < 0.05) }' ||
    fail "F32 vs BF16 logsumexp: $lse32 vs $lsebf"

# 16-bit weights against F32 math on the same rounded weights (--round: an F32
# file holding exactly the 16-bit values): every logit of the last position
# within 1e-3, prompt and decode paths alike (--full: 5 tokens, one row each).
mk "$TMP/f16r" --seed 5 --round F16
mk "$TMP/bf16r" --seed 5 --round BF16
full_logits() { # MODEL: the last position's logits, one per line
    printf 'Hello there, how are you' | "$GPT" logits -m "$1" --top 1 --full | tail -1 |
        sed 's/.*"logits":\[\([^]]*\)\].*/\1/' | tr ',' '\n'
}
for pair in "f16 f16r" "bf16 bf16r"; do
    set -- $pair
    full_logits "$TMP/$1" >"$TMP/a.txt"
    full_logits "$TMP/$2" >"$TMP/b.txt"
    worst=$(paste "$TMP/a.txt" "$TMP/b.txt" | awk '{ d = $1 - $2; if (d < 0) d = -d; if (d > m) m = d } END { printf "%d %g", NR, m }')
    expect_eq "$1: logits compared (vocab size)" "${worst% *}" 50257
    awk -v w="${worst#* }" 'BEGIN { exit !(w < 1e-3) }' ||
        fail "$1 weights vs F32 math on the same rounded weights: largest logit difference ${worst#* } (want < 1e-3)"
done

# Shards: the same file under a shard name with an index gives the same bytes out.
mkdir -p "$TMP/sharded"
cp "$TMP/f32/config.json" "$TMP/f32/vocab.json" "$TMP/f32/merges.txt" "$TMP/sharded/"
cp "$TMP/f32/model.safetensors" "$TMP/sharded/model-00001-of-00001.safetensors"
printf '{"metadata": {}, "weight_map": {"wte.weight": "model-00001-of-00001.safetensors", "h.0.ln_1.weight": "model-00001-of-00001.safetensors"}}\n' \
    >"$TMP/sharded/model.safetensors.index.json"
printf 'Hello there' | "$GPT" logits -m "$TMP/sharded" --top 1 | tail -1 >"$TMP/lsh"
expect_file_eq "sharded vs single file" "$TMP/lsh" "$TMP/l32"

finish
