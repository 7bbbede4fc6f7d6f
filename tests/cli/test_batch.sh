# test_batch.sh — gpt generate --batch: one output line per input line, in
# order; per-request overrides; bad lines; sharding; batch equals alone.
. "$(dirname "$0")/lib.sh"

# Mixed plain and JSON lines; a malformed line among good ones.
cat >"$TMP/in.txt" <<'IN'
Once upon a time
{"prompt": "Once upon a time", "id": "j1", "max_tokens": 4, "temperature": 0}
{"prompt": "The king", "max_tokens": 2
{"prompt": "ROMEO:", "id": 7, "max_tokens": 3, "temperature": 0, "stop": ["ROMEO"]}
Line one\nline two
{"max_tokens": 3}
{"prompt": "x", "max_tokens": "three"}
{"prompt": "x", "colour": "red"}
IN
"$GPT" generate --batch -n 5 --temperature 0 <"$TMP/in.txt" >"$TMP/out.jsonl" 2>"$TMP/err" && rc=0 || rc=$?
expect_eq "batch exit status" "$rc" 3
expect_eq "one output line per input line" "$(wc -l <"$TMP/out.jsonl")" 8
expect_eq "indices in input order" "$(grep -o '"index":[0-9]*' "$TMP/out.jsonl" | tr '\n' ' ')" \
    '"index":0 "index":1 "index":2 "index":3 "index":4 "index":5 "index":6 "index":7 '
# Line 2: the per-request overrides; the ids are the reference's first four.
line2=$(sed -n 2p "$TMP/out.jsonl")
expect_eq "JSON request" "$line2" '{"index":1,"id":"j1","completion":", and\nthe","tokens":[11,290,198,1169],"finish_reason":"length","usage":{"prompt_tokens":4,"completion_tokens":4}}'
# Line 1: a plain line takes the command line's defaults and is the same request.
sed -n 1p "$TMP/out.jsonl" | grep -q '"tokens":\[11,290,198,1169,1310\]' || fail "plain line: $(sed -n 1p "$TMP/out.jsonl")"
sed -n 3p "$TMP/out.jsonl" | grep -q '"error":"line 3: not a JSON object"' || fail "malformed line: $(sed -n 3p "$TMP/out.jsonl")"
sed -n 4p "$TMP/out.jsonl" | grep -q '"id":7' || fail "numeric id: $(sed -n 4p "$TMP/out.jsonl")"
sed -n 5p "$TMP/out.jsonl" | grep -q '"prompt_tokens":5' || fail "escaped newline prompt (Line one\\nline two = 5 tokens): $(sed -n 5p "$TMP/out.jsonl")"
sed -n 6p "$TMP/out.jsonl" | grep -q '"error":"missing \\"prompt\\""' || fail "missing prompt: $(sed -n 6p "$TMP/out.jsonl")"
sed -n 7p "$TMP/out.jsonl" | grep -q '"error":"\\"max_tokens\\" must be' || fail "wrong type: $(sed -n 7p "$TMP/out.jsonl")"
sed -n 8p "$TMP/out.jsonl" | grep -q '"error":"unknown field \\"colour\\""' || fail "unknown field: $(sed -n 8p "$TMP/out.jsonl")"

# "logprobs" per request: true adds them, absent leaves them out, 1 is an error.
printf '%s\n' '{"prompt": "Once upon a time", "max_tokens": 2, "logprobs": true}' \
    '{"prompt": "Once upon a time", "max_tokens": 2}' '{"prompt": "x", "logprobs": 1}' |
    "$GPT" generate --batch --temperature 0 >"$TMP/lp.jsonl" && rc=0 || rc=$?
expect_eq "logprobs lines: exit status" "$rc" 3
expect_eq "logprobs only where asked" "$(grep -c '"logprobs":\[' "$TMP/lp.jsonl")" 1
sed -n 1p "$TMP/lp.jsonl" | grep -q '"tokens":\[11,290\],"logprobs":\[-1.69628' ||
    fail "per-request logprobs: $(sed -n 1p "$TMP/lp.jsonl")"
sed -n 3p "$TMP/lp.jsonl" | grep -q '"error":"\\"logprobs\\" must be true or false"' ||
    fail "logprobs of the wrong type: $(sed -n 3p "$TMP/lp.jsonl")"

# Empty input: no output, success. Input without a final newline: still answered.
expect_status "empty input" 0 sh -c "'$GPT' generate --batch </dev/null"
[ ! -s "$TMP/out" ] || fail "empty input printed: $(cat "$TMP/out")"
printf 'Once upon a time\nThe king' | "$GPT" generate --batch -n 3 >"$TMP/nofinal.jsonl"
expect_eq "input without a final newline" "$(wc -l <"$TMP/nofinal.jsonl")" 2

# At temperature 0 a request in a batch gives what it gives alone.
# Two prompts are longer than a row-by-row step (64 rows), so they run as
# prompt chunks of their own, while the short ones share steps with decoding.
long1=$(for i in 1 2 3 4 5 6 7 8 9 10 11 12; do printf 'The cat sat on the mat by the door. '; done)
long2=$(for i in 1 2 3 4 5 6 7; do printf 'And the old man said to his son, go home. '; done)
printf '%s\n' "Once upon a time" "$long1" "The little girl" "ROMEO:" "It was a dark and stormy night" \
    "Alice was beginning" "$long2" "The king said" "In the morning" "She looked at" >"$TMP/prompts.txt"
"$GPT" generate --batch --parallel 8 -n 24 --temperature 0 --format text --separator '\n--\n' \
    <"$TMP/prompts.txt" >"$TMP/batched.txt"
: >"$TMP/alone.txt"
while IFS= read -r p; do
    "$GPT" generate -p "$p" -n 24 --temperature 0 >>"$TMP/alone.txt"
    printf '\n--\n' >>"$TMP/alone.txt"
done <"$TMP/prompts.txt"
expect_file_eq "batch of 10 vs each alone (temperature 0)" "$TMP/batched.txt" "$TMP/alone.txt"
# The same to the bit: every token's log-probability, printed in full.
"$GPT" generate --batch --parallel 8 -n 24 --temperature 0 --logprobs <"$TMP/prompts.txt" |
    grep -o '"logprobs":\[[^]]*\]' >"$TMP/batched.lp"
: >"$TMP/alone.lp"
while IFS= read -r p; do
    "$GPT" generate -p "$p" -n 24 --temperature 0 --format jsonl --logprobs | grep -o '"logprobs":\[[^]]*\]' >>"$TMP/alone.lp"
done <"$TMP/prompts.txt"
expect_eq "logprobs lines, one per request" "$(wc -l <"$TMP/batched.lp")" 10
expect_file_eq "logprobs, batch of 10 vs each alone (temperature 0)" "$TMP/batched.lp" "$TMP/alone.lp"

# Sampled requests depend on their own seed, not on the batch size.
"$GPT" generate --batch --parallel 1 -n 12 --seed 3 --logprobs <"$TMP/prompts.txt" >"$TMP/p1.jsonl"
"$GPT" generate --batch --parallel 5 -n 12 --seed 3 --logprobs <"$TMP/prompts.txt" >"$TMP/p5.jsonl"
expect_file_eq "sampled batch, parallel 1 vs 5" "$TMP/p1.jsonl" "$TMP/p5.jsonl"
expect_eq "prompt tokens of the long prompts (more than one 64-row step)" \
    "$(sed -n '2p;7p' "$TMP/p1.jsonl" | grep -o '"prompt_tokens":[0-9]*' | tr '\n' ' ')" '"prompt_tokens":121 "prompt_tokens":85 '
"$GPT" generate --batch --parallel 10 -n 12 --seed 3 -t 1 --logprobs <"$TMP/prompts.txt" >"$TMP/p10.jsonl"
expect_file_eq "sampled batch, parallel 1 vs 10 with one thread" "$TMP/p1.jsonl" "$TMP/p10.jsonl"

# Shards: two processes, merged by index, equal one run.
"$GPT" generate --batch --shard 0/2 -n 6 <"$TMP/prompts.txt" >"$TMP/s0.jsonl"
"$GPT" generate --batch --shard 1/2 -n 6 <"$TMP/prompts.txt" >"$TMP/s1.jsonl"
expect_eq "shard 0 takes even indices" "$(grep -o '"index":[0-9]*' "$TMP/s0.jsonl" | tr '\n' ' ')" \
    '"index":0 "index":2 "index":4 "index":6 "index":8 '
"$GPT" generate --batch -n 6 <"$TMP/prompts.txt" >"$TMP/whole.jsonl"
cat "$TMP/s0.jsonl" "$TMP/s1.jsonl" | sort -t: -k2 -n >"$TMP/merged.jsonl"
sort -t: -k2 -n "$TMP/whole.jsonl" >"$TMP/whole.sorted"
expect_file_eq "merged shards vs one run" "$TMP/merged.jsonl" "$TMP/whole.sorted"
expect_status "bad shard" 2 "$GPT" generate --batch --shard 2/2

# An interactive producer: it writes one request, waits for its answer, then
# writes the next. With --parallel 8 gpt must answer while it waits for more
# input (the timeout turns a hang into a failure).
mkfifo "$TMP/req" "$TMP/ans"
cat >"$TMP/producer.sh" <<'SH'
"$1" generate --batch --parallel 8 -n 3 --temperature 0 <"$2/req" >"$2/ans" &
exec 3>"$2/req" 4<"$2/ans"
echo "Once upon a time" >&3
read -r first <&4
echo "The king said" >&3
read -r second <&4
exec 3>&-
wait
printf '%s\n%s\n' "$first" "$second" >"$2/dialogue.jsonl"
SH
set +e
timeout 120 sh "$TMP/producer.sh" "$GPT" "$TMP"
rc=$?
set -e
expect_eq "interactive producer (exit status; 124 is a hang)" "$rc" 0
expect_eq "interactive producer: answers in order" \
    "$(grep -o '"index":[0-9]*' "$TMP/dialogue.jsonl" 2>/dev/null | tr '\n' ' ')" '"index":0 "index":1 '

# A reader that stops after one line ends gpt quietly.
"$GPT" generate --batch -n 20 <"$TMP/prompts.txt" 2>"$TMP/err" | head -1 >"$TMP/first.jsonl"
expect_eq "head -1" "$(wc -l <"$TMP/first.jsonl")" 1
[ ! -s "$TMP/err" ] || fail "head -1 printed on stderr: $(cat "$TMP/err")"

# A JSON line with blanks before the '{' is still JSON (issue #14 item 9); a
# range error gives the range (item 6); an empty stop string is refused (item 7).
printf '%s\n' '  {"prompt":"Hi","id":"sp","max_tokens":1}' '	{"prompt":"Hi","max_tokens":1e11}' \
    '{"prompt":"Hi","stop":["a",""]}' '{"prompt":"Hi","seed":9007199254740992}' >"$TMP/edges.jsonl"
expect_status "edge lines" 3 sh -c "'$GPT' generate --batch <'$TMP/edges.jsonl'"
expect_eq "leading blanks: JSON" "$(sed -n 1p "$TMP/out" | grep -o '"index":0,"id":"sp","completion"')" '"index":0,"id":"sp","completion"'
expect_eq "max_tokens 1e11" "$(sed -n 2p "$TMP/out")" \
    '{"index":1,"id":null,"error":"\"max_tokens\" must be an integer in -1..1000000000 (-1: no limit)"}'
expect_eq "empty stop" "$(sed -n 3p "$TMP/out")" '{"index":2,"id":null,"error":"\"stop\" strings must not be empty"}'
expect_eq "seed 2^53" "$(sed -n 4p "$TMP/out")" \
    '{"index":3,"id":null,"error":"\"seed\" must be an integer in 0..9007199254740991 (2^53-1)"}'

finish
