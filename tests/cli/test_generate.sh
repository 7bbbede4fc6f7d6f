# test_generate.sh — gpt generate on the bundled model: greedy output from the
# reference, stop strings, determinism, exit statuses.
. "$(dirname "$0")/lib.sh"

# Greedy continuation of "Once upon a time": the reference's first 16 ids
# (11 290 198 1169 ...) decode to this text (tests/golden/gpt2-books-30m/reference.json).
want=$(printf ', and\nthe little girl had been sitting in the middle of the room,')
got=$("$GPT" generate -p "Once upon a time" --temperature 0 -n 16)
expect_eq "greedy -p" "$got" "$want"
got=$(printf 'Once upon a time' | "$GPT" generate --temperature 0 -n 16)
expect_eq "greedy from stdin" "$got" "$want"
printf 'Once upon a time' >"$TMP/prompt.txt"
got=$("$GPT" generate -f "$TMP/prompt.txt" --temperature 0 -n 16)
expect_eq "greedy -f" "$got" "$want"
got=$("$GPT" generate -p "Once upon a time" --temperature 0 -n 16 --echo)
expect_eq "--echo" "$got" "Once upon a time$want"

# Stop strings are cut and end generation.
got=$("$GPT" generate -p "Once upon a time" --temperature 0 -n 40 --stop " room")
expect_eq "--stop" "$got" "$(printf ', and\nthe little girl had been sitting in the middle of the')"
got=$("$GPT" generate -p "Once upon a time" --temperature 0 -n 40 --stop '\n')
expect_eq "--stop with an escape" "$got" ", and"

# jsonl: one object with the reference ids.
got=$("$GPT" generate -p "Once upon a time" --temperature 0 -n 4 --format jsonl)
expect_eq "jsonl" "$got" '{"completion":", and\nthe","tokens":[11,290,198,1169],"finish_reason":"length","usage":{"prompt_tokens":4,"completion_tokens":4}}'

# Same seed, same output, whatever the thread count; another seed differs.
a=$("$GPT" generate -p "The king" -n 30 --seed 7 -t 1)
b=$("$GPT" generate -p "The king" -n 30 --seed 7 -t 2)
c=$("$GPT" generate -p "The king" -n 30 --seed 8 -t 2)
expect_eq "seed 7 with 1 and 2 threads" "$a" "$b"
[ "$a" != "$c" ] || fail "seeds 7 and 8 gave the same 30 tokens: $a"

# The context: a too-long prompt is an error unless --truncate.
yes "word" | head -c 6000 >"$TMP/long.txt"
expect_status "prompt longer than the context" 1 "$GPT" generate -f "$TMP/long.txt" -n 1
grep -q "context holds 512" "$TMP/err" || fail "too-long prompt message: $(cat "$TMP/err")"
expect_status "--truncate" 0 "$GPT" generate -f "$TMP/long.txt" -n 3 --truncate --temperature 0
# Generation that reaches the context ends with a message, not an overflow.
head -c 1000 "$TMP/long.txt" >"$TMP/near.txt"
expect_status "generation up to the context" 0 "$GPT" generate -f "$TMP/near.txt" -n 1000 --ignore-eos
grep -q "context of 512 tokens is full" "$TMP/err" || fail "context-full message: $(cat "$TMP/err")"

# An empty prompt starts from <|endoftext|>.
expect_status "empty prompt" 0 "$GPT" generate -p "" -n 5
[ -s "$TMP/out" ] || fail "empty prompt generated nothing"

# Usage errors exit 2; runtime errors 1, with one line naming the problem.
expect_status "unknown flag" 2 "$GPT" generate --bogus
expect_status "bad -n" 2 "$GPT" generate -n abc
expect_status "bad --top-p" 2 "$GPT" generate --top-p 0
expect_status "negative temperature" 2 "$GPT" generate --temperature -1
expect_status "missing model" 1 "$GPT" generate -m "$TMP/nope" -p hi
[ "$(wc -l <"$TMP/err")" = 1 ] || fail "missing model: want one line on stderr, got: $(cat "$TMP/err")"
grep -q "^gpt: .*nope" "$TMP/err" || fail "missing model message does not name the directory: $(cat "$TMP/err")"
expect_status "missing prompt file" 1 "$GPT" generate -f "$TMP/none.txt"
expect_status "--help" 0 "$GPT" generate --help
grep -q -- "--temperature" "$TMP/out" || fail "--help does not list --temperature"

# --logprobs: the first greedy token's log-probability against the reference
# (tests/golden/gpt2-books-30m/reference.json, prompt 0: top10_logits of the
# last position [0] minus its logsumexp, from HF transformers in float64).
lp=$("$GPT" generate -p "Once upon a time" -n 3 --temperature 0 --format jsonl --logprobs |
    sed 's/.*"logprobs":\[\([^],]*\).*/\1/')
awk -v got="$lp" -v want=-1.6962825940666075 'BEGIN { d = got - want; if (d < 0) d = -d; exit !(d < 1e-4) }' ||
    fail "logprob of the first greedy token: got $lp, reference -1.6962825940666075 (tolerance 1e-4)"
expect_status "--logprobs without jsonl" 2 "$GPT" generate -p hi --logprobs

# A closed pipe ends quietly.
"$GPT" generate -p "Once upon a time" -n 200 2>"$TMP/err" | head -c 1 >/dev/null
[ ! -s "$TMP/err" ] || fail "closed pipe printed: $(cat "$TMP/err")"

# A completion cut inside a UTF-8 character (greedy "-n" for 3 tokens ends with
# the first two bytes of U+201D): text output holds the cut bytes back, whole
# characters only, streaming or batched; jsonl gives one U+FFFD for them.
expect_eq "cut character, text" "$("$GPT" generate -p -n -n 3 --temperature 0 | od -An -c | tr -s ' ')" " e s t ,"
expect_eq "whole character, text" "$("$GPT" generate -p -n -n 4 --temperature 0 | od -An -tx1 | tr -s ' ')" \
    " 65 73 74 2c e2 80 9d"
expect_eq "cut character, batch text" \
    "$(printf -- '-n\n' | "$GPT" generate --batch --format text -n 3 --temperature 0 | od -An -c | tr -s ' ')" " e s t , \\0"
expect_eq "cut character, jsonl" "$("$GPT" generate -p -n -n 3 --temperature 0 --format jsonl | cut -c1-23)" \
    "$(printf '{"completion":"est,\357\277\275"')"

finish
