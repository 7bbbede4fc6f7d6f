# test_model_cmds.sh — gpt logits, gpt perplexity and gpt info against the reference.
. "$(dirname "$0")/lib.sh"

# logits: one line per position; the last line's best id is the reference's
# first greedy id (11), and the first line's top ids match the reference.
printf 'Once upon a time' | "$GPT" logits --top 3 >"$TMP/logits.jsonl"
expect_eq "logits lines" "$(wc -l <"$TMP/logits.jsonl")" 4
sed -n 4p "$TMP/logits.jsonl" | grep -q '^{"pos":3,"id":640,"logsumexp":[-0-9.e]*,"top":\[\[11,' ||
    fail "last position: $(sed -n 4p "$TMP/logits.jsonl")"
printf '7454 2402 257 640' | "$GPT" logits --ids --top 3 >"$TMP/ids.jsonl"
expect_file_eq "--ids gives the same lines as the text" "$TMP/ids.jsonl" "$TMP/logits.jsonl"
printf 'Once upon a time' | "$GPT" logits --top 1 --full | tail -1 | tr ',' '\n' | grep -c . >"$TMP/n"
[ "$(cat "$TMP/n")" -gt 50257 ] || fail "--full: $(cat "$TMP/n") fields, want the whole vocabulary"
expect_status "bad id" 1 sh -c "printf '7454 99999' | '$GPT' logits --ids"
grep -q "99999" "$TMP/err" || fail "bad id message: $(cat "$TMP/err")"

# perplexity: the reference's 34.6229 (8192 tokens, windows of 512) within 0.1%.
"$GPT" perplexity -f "$ROOT/tests/golden/gpt2-books-30m/val_sample.txt" --window 512 --special >"$TMP/ppl.json"
tokens=$(sed 's/.*"tokens":\([0-9]*\).*/\1/' "$TMP/ppl.json")
ppl=$(sed 's/.*"perplexity":\([0-9.e+-]*\).*/\1/' "$TMP/ppl.json")
expect_eq "perplexity tokens" "$tokens" 8192
awk -v p="$ppl" 'BEGIN { r = 34.622862458337615; d = (p - r) / r; if (d < 0) d = -d; exit !(d <= 0.001) }' ||
    fail "perplexity $ppl, reference 34.622862458337615 (more than 0.1% off)"
# --quant q8 keeps the perplexity within 1% of the unquantized figure (the
# 16-bit weights as stored), on the same 8192 tokens.
"$GPT" perplexity --quant q8 -f "$ROOT/tests/golden/gpt2-books-30m/val_sample.txt" --window 512 --special >"$TMP/q8.json"
q8=$(sed 's/.*"perplexity":\([0-9.e+-]*\).*/\1/' "$TMP/q8.json")
awk -v a="$q8" -v b="$ppl" 'BEGIN { r = a / b - 1; if (r < 0) r = -r; exit !(r < 0.01) }' ||
    fail "q8 perplexity $q8 against $ppl unquantized: more than 1% apart"
expect_status "perplexity without -f" 2 "$GPT" perplexity
expect_status "perplexity of a missing file" 1 "$GPT" perplexity -f "$TMP/missing.txt"
expect_status "window past the context" 1 "$GPT" perplexity -f "$ROOT/tests/golden/gpt2-books-30m/val_sample.txt" --window 4096

# info: the bundled model's shape and size.
"$GPT" info >"$TMP/info.txt"
grep -q "^layers: *6$" "$TMP/info.txt" || fail "info layers: $(cat "$TMP/info.txt")"
grep -q "^parameters: *30" "$TMP/info.txt" || fail "info parameters: $(cat "$TMP/info.txt")"
grep -q "^dtype: *F16$" "$TMP/info.txt" || fail "info dtype: $(cat "$TMP/info.txt")"
"$GPT" info -m "$TINY" --format json >"$TMP/info.json"
grep -q '"n_layer":2,"n_head":4,"n_embd":32' "$TMP/info.json" || fail "info json: $(cat "$TMP/info.json")"
expect_status "info of a missing model" 1 "$GPT" info -m "$TMP/nope"

finish
