# test_reference.sh — random checkpoints of the switches the shared fixtures
# leave out, against an independent float64 forward pass (hf_reference.py,
# plain Python written from HF transformers' modeling code):
#   linear rope scaling, attention and MLP biases on Llama, F32, `dtype`;
#   Qwen2's window from max_window_layers on, head size 10, BF16, tied;
#   Qwen3 with attention biases and a window in every layer, head size 20,
#     one kv head, untied, F16, rope_parameters;
#   Mistral without grouping, head size 24 != hidden / heads, three shards;
#   Llama-3 rope scaling at other settings, 6 query heads on 1 kv head, a
#     tied head also stored as lm_head.weight, F16.
# The reference is checked first against the four shared fixtures' own.
# Each prompt (1, 23 and 70 ids: 70 crosses a 64-row chunk and every
# window): every position's top-10 logits and logsumexp and the last full
# logits within 1e-3 (gpt logits), and the greedy ids through the KV cache
# while the reference's margin is above 1e-3 (gpt generate); a batch of ten
# requests the same bits alone and side by side. Then each case
# once against a reference of a config changed in one field, which must fail:
# the checks see the switch.
. "$(dirname "$0")/lib.sh"
REF="$ROOT/tests/cli/hf_reference.py"

# The reference itself first: on the four shared fixtures (40-id prompts)
# it gives their own float64 references (numpy, made elsewhere) within 1e-9.
for m in dev-llama dev-qwen2 dev-qwen3 dev-mistral; do
    python3 "$REF" agree "$ROOT/tests/golden/$m" 2 >"$TMP/check" ||
        { fail "$m: hf_reference.py against the fixture's reference"; sed 's/^/  /' "$TMP/check" >&2; }
done

# case, and a one-field change whose reference the case's output must miss
# (a case's first line runs its checks)
prev=
while read -r case variant; do
    M="$TMP/$case"
    [ "$case" = "$prev" ] || python3 "$REF" write "$case" "$M"
    for k in 0 1 2; do
        [ "$case" != "$prev" ] || break
        python3 "$REF" prompt "$M" $k | "$GPT" logits -m "$M" --ids --top 10 --full >"$TMP/logits.$k" ||
            fail "$case prompt $k: gpt logits exited $?"
        python3 "$REF" check "$M" $k "$TMP/logits.$k" >"$TMP/check" ||
            { fail "$case prompt $k: logits against the float64 reference"; sed 's/^/  /' "$TMP/check" >&2; }
        want=$(python3 "$REF" greedy "$M" $k)
        steps=$(echo "$want" | wc -w)
        # a reference whose first margin is a near-tie would leave nothing to compare
        [ "$steps" -gt 0 ] || fail "$case prompt $k: the reference has no greedy step above the margin"
        got=$("$GPT" generate -m "$M" --ids -p "$(python3 "$REF" prompt "$M" $k)" -n "$steps" --temperature 0 \
            --ignore-eos)
        expect_eq "$case prompt $k: greedy ids ($steps steps)" "$got" "$want"
    done
    # One row, one answer for these switches too: every request's sampled
    # tokens and log-probabilities the same bits alone (--parallel 1 -t 1)
    # and beside others (--parallel 4 -t 2: batches of 4, 4 and 2 rows).
    if [ "$case" != "$prev" ]; then
        for k in 0 1 2 1 0 2 2 1 0 1; do python3 "$REF" prompt "$M" $k; done >"$TMP/batch.txt"
        for run in "1 1" "4 2"; do
            set -- $run
            "$GPT" generate -m "$M" --ids --batch --parallel "$1" -t "$2" -n 12 --seed 3 --ignore-eos --logprobs \
                <"$TMP/batch.txt" >"$TMP/batch.p$1"
        done
        expect_eq "$case: one line per request" "$(grep -c '"logprobs":\[' "$TMP/batch.p1")" 10
        expect_file_eq "$case: --parallel 1 -t 1 vs --parallel 4 -t 2 (logprobs bit for bit)" "$TMP/batch.p1" \
            "$TMP/batch.p4"
    fi
    # The same output against the changed config's reference: a check that
    # passed it would not see the switch.
    python3 "$REF" write "$case" "$TMP/variant" --variant "$variant"
    if python3 "$REF" check "$TMP/variant" 2 "$TMP/logits.2" >"$TMP/check"; then
        fail "$case: the 70-id prompt's logits also pass a reference with $variant"
    fi
    rm -rf "$TMP/variant"
    prev=$case
done <<'CASES'
llama-linear-bias rope_scaling=null
llama-linear-bias mlp_bias=false
qwen2-window max_window_layers=2
qwen2-window sliding_window=8
qwen3-window-bias sliding_window=10
qwen3-window-bias attention_bias=false
mistral-shards sliding_window=6
llama3-tied-mqa rope_scaling={"rope_type":"llama3","factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":32}
CASES

finish
