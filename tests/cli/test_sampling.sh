# test_sampling.sh — the sampling and scoring controls of gpt generate on the
# bundled model, each against an independent computation: penalties and bans
# from the raw logits that `gpt logits --full` prints (an awk implementation
# of the HF/OpenAI definitions), top_logprobs against `gpt logits`,
# prompt_logprobs against `gpt perplexity`, n samples against separate runs,
# and every control independent of --parallel.
. "$(dirname "$0")/lib.sh"

prompt_ids="464 5822 531 284 262 5822 290 262"   # "The king said to the king and the"
as_json_array() { printf '[%s]' "$(echo "$*" | tr -s ' ' ',')"; }
json_ids() { sed 's/.*"tokens":\[\([0-9,]*\)\].*/\1/' | tr ',' ' '; }  # the "tokens" of a record

# The raw logits after the token ids in $1 (one per line, id order).
last_logits() {
    echo "$1" | "$GPT" logits --ids --full --top 1 | sed -n '$p' | sed 's/.*"logits":\[//; s/\].*//' | tr ',' '\n'
}

# ---- penalties: greedy ids against the reference, step by step ----------
# reference_next IDS N_PROMPT R PRESENCE FREQUENCY: the greedy id after
# applying, to the raw logits, the repetition penalty R over each distinct id
# of IDS once (HF: x>0: x/R, else x*R), then x -= count*FREQUENCY +
# (count>0)*PRESENCE over the ids after the first N_PROMPT (OpenAI).
reference_next() {
    last_logits "$1" | awk -v ids="$1" -v np="$2" -v R="$3" -v pres="$4" -v freq="$5" '
        BEGIN { n = split(ids, t, " "); for (i = 1; i <= n; i++) { seen[t[i]] = 1; if (i > np) gen[t[i]]++ } }
        { id = NR - 1; x = $1 + 0
          if (id in seen) x = x > 0 ? x / R : x * R
          if (id in gen) x -= gen[id] * freq + pres
          if (NR == 1 || x > best) { best = x; arg = id } }
        END { print arg }'
}
R=1.8 PRES=0.7 FREQ=0.9
ids=$prompt_ids
n_prompt=8
for step in 1 2 3 4 5 6; do
    ids="$ids $(reference_next "$ids" $n_prompt $R $PRES $FREQ)"
done
want=$(echo "$ids" | cut -d' ' -f9-)
got=$(echo "$prompt_ids" | "$GPT" detokenize | "$GPT" generate -n 6 --temperature 0 --repetition-penalty $R \
      --presence-penalty $PRES --frequency-penalty $FREQ --format jsonl | json_ids)
expect_eq "penalised greedy ids vs the awk reference over gpt logits --full" "$got" "$want"
plain=$(echo "$prompt_ids" | "$GPT" detokenize | "$GPT" generate -n 6 --temperature 0 --format jsonl | json_ids)
[ "$plain" != "$want" ] || fail "the penalties changed nothing on this prompt (got $plain both ways): the check is vacuous"

# A window of 2 tokens (prompt and generated together): the reference sees
# only the last 2 ids.
ids=$prompt_ids
for step in 1 2 3 4; do
    window=$(echo "$ids" | tr ' ' '\n' | tail -2 | tr '\n' ' ')
    ids="$ids $(last_logits "$ids" | awk -v ids="$window" -v R=$R '
        BEGIN { n = split(ids, t, " "); for (i = 1; i <= n; i++) seen[t[i]] = 1 }
        { id = NR - 1; x = $1 + 0; if (id in seen) x = x > 0 ? x / R : x * R
          if (NR == 1 || x > best) { best = x; arg = id } }
        END { print arg }')"
done
want=$(echo "$ids" | cut -d' ' -f9-)
got=$(echo "$prompt_ids" | "$GPT" detokenize | "$GPT" generate -n 4 --temperature 0 --repetition-penalty $R \
      --penalty-last-n 2 --format jsonl | json_ids)
expect_eq "repetition penalty over the last 2 tokens vs the reference" "$got" "$want"
all=$(echo "$prompt_ids" | "$GPT" detokenize | "$GPT" generate -n 4 --temperature 0 --repetition-penalty $R \
      --format jsonl | json_ids)
[ "$got" != "$all" ] || fail "the window changed nothing ($got both ways): the check is vacuous"

# --ban the greedy first token: the second-best comes instead.
first=$(echo "$plain" | cut -d' ' -f1)
second=$(echo "$prompt_ids" | "$GPT" logits --ids --top 2 | sed -n '$p' | sed 's/.*"top":\[\[[0-9]*,[^]]*\],\[\([0-9]*\),.*/\1/')
got=$(echo "$prompt_ids" | "$GPT" detokenize | "$GPT" generate -n 1 --temperature 0 --ban "$first" --format jsonl | json_ids)
expect_eq "--ban $first gives the runner-up" "$got" "$second"
got=$(echo "$prompt_ids" | "$GPT" detokenize | "$GPT" generate -n 1 --temperature 0 --logit-bias "$second=50" --format jsonl | json_ids)
expect_eq "--logit-bias $second=50" "$got" "$second"

# ---- min-p: every sampled token keeps p >= min_p * p_max at temperature T ----
T=1.5 MINP=0.3
sampled=$(echo "$prompt_ids" | "$GPT" detokenize | "$GPT" generate -n 6 --temperature $T --top-k 0 --top-p 1 \
          --min-p $MINP --seed 3 --format jsonl | json_ids)
ids=$prompt_ids
for id in $sampled; do
    ok=$(last_logits "$ids" | awk -v id="$id" -v T=$T -v m=$MINP '
        { x[NR - 1] = $1 + 0; if (NR == 1 || $1 + 0 > mx) mx = $1 + 0 }
        END { print (exp((x[id] - mx) / T) >= m) ? "yes" : "no:" exp((x[id] - mx) / T) }')
    expect_eq "min-p $MINP: token $id after [$ids] has p/p_max >= $MINP" "$ok" yes
    ids="$ids $id"
done

# ---- top_logprobs against gpt logits on the same prefix ----
rec=$(echo "$prompt_ids" | "$GPT" detokenize | "$GPT" generate -n 3 --temperature 0 --top-logprobs 3 --format jsonl)
gen=$(printf '%s\n' "$rec" | json_ids)
tops=$(printf '%s\n' "$rec" | sed 's/.*"top_logprobs":\[\(.*\)\],"finish_reason".*/\1/')
ids=$prompt_ids
step=1
for id in $gen; do
    # gpt logits: the top 3 ids with logit - logsumexp at the prefix's last position
    want=$(echo "$ids" | "$GPT" logits --ids --top 3 | sed -n '$p' | awk '{
        lse = $0; sub(/.*"logsumexp":/, "", lse); sub(/,.*/, "", lse)
        top = $0; sub(/.*"top":\[\[/, "", top); sub(/\]\]\}.*/, "", top)
        n = split(top, pairs, /\],\[/)
        for (i = 1; i <= n; i++) { split(pairs[i], f, ","); printf "%s %.5f\n", f[1], f[2] - lse } }')
    got=$(echo "$tops" | sed 's/\]\],\[\[/\n/g' | sed -n "${step}p" | sed 's/^\[*//; s/\]*$//' | sed 's/\],\[/\n/g' |
          awk -F, '{ printf "%s %.5f\n", $1, $2 }')
    expect_eq "top_logprobs at generated token $step" "$got" "$want"
    ids="$ids $id"
    step=$((step + 1))
done

# ---- prompt_logprobs against gpt perplexity ----
printf 'The king said to the king and the queen went away.' >"$TMP/text.txt"
ppl_rec=$("$GPT" perplexity -f "$TMP/text.txt")
ppl=$(echo "$ppl_rec" | sed 's/.*"mean_nll":\([^,]*\),.*/\1/')
scored=$(echo "$ppl_rec" | sed 's/.*"tokens":\([0-9]*\),.*/\1/')
rec=$("$GPT" generate -f "$TMP/text.txt" -n 0 --echo --logprobs --format jsonl)
mean=$(printf '%s\n' "$rec" | sed 's/.*"prompt_logprobs":\[\([^]]*\)\].*/\1/' | tr ',' '\n' |
       awk '{ s -= $1; n++ } END { printf "%.6f %d", s / n, n }')
want=$(awk -v m="$ppl" 'BEGIN { printf "%.6f", m }')
expect_eq "prompt_logprobs: mean -logprob and count vs perplexity's mean_nll" "$mean" "$want $scored"
printf '%s\n' "$rec" | grep -q '"completion":"","tokens":\[\],' || fail "-n 0 generated something: $rec"

# ---- n samples: bit for bit the separate runs with seeds S+j ----
"$GPT" generate -p "Once upon a time" -n 8 -N 3 --seed 5 --format jsonl >"$TMP/n.jsonl"
for j in 0 1 2; do
    "$GPT" generate -p "Once upon a time" -n 8 --seed $((5 + j)) --format jsonl
done >"$TMP/sep.jsonl"
sed 's/"sample":[0-9]*,//' "$TMP/n.jsonl" >"$TMP/n-stripped.jsonl"
expect_file_eq "-N 3 --seed 5 vs seeds 5, 6, 7 alone" "$TMP/n-stripped.jsonl" "$TMP/sep.jsonl"
expect_eq "sample indices" "$(grep -o '"sample":[0-9]*' "$TMP/n.jsonl" | tr '\n' ' ')" '"sample":0 "sample":1 "sample":2 '

# ---- every control per request, independent of --parallel ----
cat >"$TMP/req.jsonl" <<'IN'
{"prompt": "Once upon a time", "n": 3, "seed": 11, "max_tokens": 6, "top_logprobs": 2, "logprobs": true}
{"prompt": "The king said to the king", "max_tokens": 6, "temperature": 0, "repetition_penalty": 1.8, "presence_penalty": 0.7, "frequency_penalty": 0.9, "penalty_last_n": 5}
{"prompt": "The king said", "max_tokens": 6, "min_p": 0.2, "temperature": 1.2, "seed": 4, "logit_bias": {"11": -100, "290": 2}}
{"prompt": "The king said to the king and the queen went away.", "max_tokens": 0, "echo": true, "logprobs": true}
{"prompt": "Hello", "max_tokens": 4, "ignore_eos": true, "truncate": true, "echo": false}
{"prompt": "x", "n": 0}
{"prompt": "x", "penalty": 1}
IN
"$GPT" generate --batch --parallel 3 <"$TMP/req.jsonl" >"$TMP/p3.jsonl" || true
"$GPT" generate --batch --parallel 8 -t 1 <"$TMP/req.jsonl" >"$TMP/p8.jsonl" || true
expect_file_eq "batch with every control: --parallel 3 vs --parallel 8 -t 1" "$TMP/p3.jsonl" "$TMP/p8.jsonl"
expect_eq "records: 3 samples + 6 others" "$(wc -l <"$TMP/p3.jsonl")" 9
# Without the 3-sample request, --parallel 1 (one request at a time) too.
sed 1d "$TMP/req.jsonl" >"$TMP/req1.jsonl"
"$GPT" generate --batch --parallel 1 <"$TMP/req1.jsonl" >"$TMP/q1.jsonl" || true
"$GPT" generate --batch --parallel 8 <"$TMP/req1.jsonl" >"$TMP/q8.jsonl" || true
expect_file_eq "batch with every control: --parallel 1 vs --parallel 8" "$TMP/q1.jsonl" "$TMP/q8.jsonl"
grep -q '"index":5,"id":null,"error":"\\"n\\" must be an integer in 1..64"' "$TMP/p3.jsonl" || fail "n 0 accepted: $(sed -n 8p "$TMP/p3.jsonl")"
grep -q '"error":"unknown field \\"penalty\\""' "$TMP/p3.jsonl" || fail "unknown field accepted: $(sed -n 9p "$TMP/p3.jsonl")"
sed -n 6p "$TMP/p3.jsonl" | grep -q '"tokens":\[\],"logprobs":\[\],"prompt_logprobs":\[' || fail "scoring request: $(sed -n 6p "$TMP/p3.jsonl")"
sed -n 5p "$TMP/p3.jsonl" | grep -q '"tokens":\[[0-9,]*\]' || fail "logit_bias request: $(sed -n 5p "$TMP/p3.jsonl")"
sed -n 5p "$TMP/p3.jsonl" | grep -Eq '"tokens":\[([0-9,]*,)?11[],]' && fail "logit_bias -100 on 11 was drawn: $(sed -n 5p "$TMP/p3.jsonl")"
# The batch's n request equals -N on the command line.
"$GPT" generate -p "Once upon a time" -n 6 -N 3 --seed 11 --top-logprobs 2 --logprobs --format jsonl |
    sed 's/^{/{"index":0,"id":null,/' >"$TMP/cmd-n.jsonl"
head -3 "$TMP/p3.jsonl" >"$TMP/batch-n.jsonl"
expect_file_eq "batch \"n\":3 vs -N 3" "$TMP/batch-n.jsonl" "$TMP/cmd-n.jsonl"
# n larger than --parallel: an error record, not a hang.
echo '{"prompt": "x", "n": 4}' | "$GPT" generate --batch --parallel 2 >"$TMP/big-n.jsonl" && rc=0 || rc=$?
expect_eq "n > --parallel exit status" "$rc" 3
grep -q 'need --parallel 4 or more' "$TMP/big-n.jsonl" || fail "n > --parallel: $(cat "$TMP/big-n.jsonl")"

# ---- --batch -f FILE reads the same requests as stdin ----
head -5 "$TMP/req.jsonl" >"$TMP/good.jsonl"
"$GPT" generate --batch -f "$TMP/good.jsonl" --parallel 3 >"$TMP/f.jsonl"
head -7 "$TMP/p3.jsonl" >"$TMP/p3-good.jsonl"
expect_file_eq "--batch -f FILE vs stdin" "$TMP/f.jsonl" "$TMP/p3-good.jsonl"

# ---- --seed random: reported, and the report repeats the run ----
"$GPT" generate -p "Once upon a time" -n 6 --seed random --format jsonl >"$TMP/r.jsonl"
seed=$(sed 's/.*"seed":\([0-9]*\),.*/\1/' "$TMP/r.jsonl")
case "$seed" in ''|*[!0-9]*) fail "no seed reported: $(cat "$TMP/r.jsonl")" ;; esac
"$GPT" generate -p "Once upon a time" -n 6 --seed "$seed" --format jsonl >"$TMP/r2.jsonl"
expect_eq "--seed random repeated with its reported seed" "$(sed 's/"seed":[0-9]*,//' "$TMP/r.jsonl")" "$(cat "$TMP/r2.jsonl")"
"$GPT" -v generate -p "Once upon a time" -n 3 --seed -1 >/dev/null 2>"$TMP/v.err"
grep -q '^gpt: seed [0-9]* (drawn at random)$' "$TMP/v.err" || fail "-v does not report the random seed: $(cat "$TMP/v.err")"
grep -q '^gpt: prompt 4 tokens, .* t/s; generated 3 tokens, .* t/s; first token after .* s' "$TMP/v.err" ||
    fail "-v summary line: $(tail -1 "$TMP/v.err")"

# ---- detokenize reads what tokenize and generate write ----
got=$(printf 'Hello world' | "$GPT" tokenize --format jsonl | "$GPT" detokenize)
expect_eq "detokenize of tokenize --format jsonl" "$got" "Hello world"
got=$(as_json_array 15496 995 | "$GPT" detokenize)
expect_eq "detokenize of a JSON array" "$got" "Hello world"
rec=$("$GPT" generate -p Hello -n 3 --temperature 0 --format jsonl)
want=$("$GPT" generate -p Hello -n 3 --temperature 0)
expect_eq "detokenize of a generate record" "$(printf '%s\n' "$rec" | "$GPT" detokenize)" "$want"

# ---- usage errors ----
expect_status "--min-p 2" 2 "$GPT" generate --min-p 2 -p x
expect_status "--repetition-penalty 0" 2 "$GPT" generate --repetition-penalty 0 -p x
expect_status "--logit-bias without =" 2 "$GPT" generate --logit-bias 5 -p x
expect_status "-N 2 as text" 2 "$GPT" generate -N 2 -p x
expect_status "--top-logprobs as text" 2 "$GPT" generate --top-logprobs 2 -p x
expect_status "--ban past the vocabulary" 1 "$GPT" generate --ban 60000 -p x -n 2
finish
