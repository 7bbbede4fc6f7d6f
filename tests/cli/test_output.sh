# test_output.sh — output is never lost without a word: a failed write (a full
# disk: /dev/full) is one line and exit 1 in every subcommand; a reader that
# closes early ends gpt quietly by SIGPIPE under both SIGPIPE dispositions;
# SIGINT/SIGTERM write what finished, mark what was in flight, say so once and
# die by the signal; a failed request in --batch --format text is named on stderr.
. "$(dirname "$0")/lib.sh"

printf 'Once upon a time there was a king.' >"$TMP/text.txt"
i=0
while [ $i -lt 40 ]; do echo "The king said $i"; i=$((i + 1)); done >"$TMP/prompts.txt"

# --- a full disk: /dev/full takes nothing (ENOSPC) ---
# full WHAT STDIN COMMAND...: exit 1 and exactly the write-error line.
full() {
    f_what=$1 f_in=$2
    shift 2
    set +e
    "$@" <"$f_in" >/dev/full 2>"$TMP/err"
    f_rc=$?
    set -e
    expect_eq "$f_what > /dev/full: exit status" "$f_rc" 1
    expect_eq "$f_what > /dev/full: stderr" "$(cat "$TMP/err")" "gpt: write error: No space left on device"
}
full "generate -p" /dev/null "$GPT" generate -p Hello -n 5
full "generate -p --format jsonl" /dev/null "$GPT" generate -p Hello -n 5 --format jsonl
full "generate --batch" "$TMP/prompts.txt" "$GPT" generate --batch -n 2
full "generate --batch --format text" "$TMP/prompts.txt" "$GPT" generate --batch -n 2 --format text
full "info" /dev/null "$GPT" info
full "info --format json" /dev/null "$GPT" info --format json
full "logits" "$TMP/text.txt" "$GPT" logits
full "perplexity" /dev/null "$GPT" perplexity -f "$TMP/text.txt"
full "tokenize" "$TMP/text.txt" "$GPT" tokenize
full "tokenize --format jsonl" "$TMP/text.txt" "$GPT" tokenize --format jsonl
echo 15496 995 >"$TMP/ids.txt"
full "detokenize" "$TMP/ids.txt" "$GPT" detokenize
full "bench" /dev/null "$GPT" bench -p 8 -n 2 -r 1
printf '[{"role":"user","content":"Hello"}]' >"$TMP/conv.json"
echo Hello >"$TMP/turn.txt"
full "template" /dev/null "$GPT" template -m "$ROOT/tests/golden/tokenizers/qwen3" --messages "$TMP/conv.json"
full "template --ids" /dev/null "$GPT" template -m "$ROOT/tests/golden/tokenizers/qwen3" --messages "$TMP/conv.json" --ids
full "generate --messages" /dev/null "$GPT" generate --messages "$TMP/conv.json" -n 3 \
    --chat-template "$ROOT/tests/golden/chat/chatml/chat_template.jinja"
full "chat (piped)" "$TMP/turn.txt" "$GPT" chat -n 3 --chat-template "$ROOT/tests/golden/chat/chatml/chat_template.jinja"
full "--help" /dev/null "$GPT" --help
full "--version" /dev/null "$GPT" --version
full "generate --help" /dev/null "$GPT" generate --help

# --- a reader that closes early ---
# closed DISPOSITION WHAT STDIN COMMAND...: the reader takes one byte and goes;
# gpt must end by SIGPIPE (status 141 in the shell), silently, with SIGPIPE at
# its default or ignored (as Python's subprocess and `trap '' PIPE` leave it).
closed() {
    c_disp=$1 c_what=$2 c_in=$3
    shift 3
    rm -f "$TMP/status"
    if [ "$c_disp" = ignored ]; then
        (set +e; trap '' PIPE; "$@" <"$c_in" 2>"$TMP/err"; echo $? >"$TMP/status") | head -c 1 >/dev/null
    else
        (set +e; "$@" <"$c_in" 2>"$TMP/err"; echo $? >"$TMP/status") | head -c 1 >/dev/null
    fi
    expect_eq "$c_what | head -c 1, SIGPIPE $c_disp: exit status" "$(cat "$TMP/status")" 141
    expect_eq "$c_what | head -c 1, SIGPIPE $c_disp: stderr" "$(cat "$TMP/err")" ""
}
yes "Once upon a time there was a king who" | head -c 400000 >"$TMP/big.txt"
awk 'BEGIN { for (i = 0; i < 200000; i++) print 15496 }'  >"$TMP/many-ids.txt"
for disp in default ignored; do
    closed $disp "generate -p" /dev/null "$GPT" generate -p "Once upon a time" -n 300 --ignore-eos
    closed $disp "generate --batch" "$TMP/prompts.txt" "$GPT" generate --batch -n 20
    closed $disp "tokenize" "$TMP/big.txt" "$GPT" tokenize
    closed $disp "detokenize" "$TMP/many-ids.txt" "$GPT" detokenize
    closed $disp "logits" "$TMP/text.txt" "$GPT" logits --full
done

# --- a failed request in --batch --format text is named on stderr ---
printf 'Hello\n{"prompt":42}\n' >"$TMP/bad.txt"
expect_status "text batch with a bad request" 3 sh -c "'$GPT' generate --batch --format text -n 2 <'$TMP/bad.txt'"
expect_eq "text batch with a bad request: stderr" "$(cat "$TMP/err")" 'gpt: request 1: "prompt" must be a string'
expect_eq "text batch: two records" "$(tr -cd '\0' <"$TMP/out" | wc -c | tr -d ' ')" 2

# --- signals ---
# A request that finished is written; the one in flight is marked; the message
# comes once; gpt dies by the signal (130 for SIGINT, 143 for SIGTERM), so a
# calling loop stops. The producer keeps stdin open, so gpt is still running.
# signal_test SIG STATUS: request 0 is short, request 1 runs to the context.
signal_test() {
    s_sig=$1 s_want=$2
    rm -f "$TMP/status"
    # The file exists before gpt's redirection makes it: the wait below read
    # a missing file as no number, which ended the wait at once (CI under
    # ASan killed gpt before it had read request 1).
    : >"$TMP/sig.jsonl"
    mkfifo "$TMP/fifo.$s_sig"
    "$GPT" generate --batch --parallel 1 --ignore-eos <"$TMP/fifo.$s_sig" >"$TMP/sig.jsonl" 2>"$TMP/sig.err" &
    pid=$!
    exec 3>"$TMP/fifo.$s_sig"
    printf '%s\n' '{"prompt":"Hello","max_tokens":2}' '{"prompt":"Once","max_tokens":-1}' >&3
    n=0  # wait for the first answer, then for request 1 to be under way
    while [ "$(wc -l <"$TMP/sig.jsonl")" -lt 1 ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
    sleep 0.3
    kill -s "$s_sig" "$pid"
    set +e
    wait "$pid"
    echo $? >"$TMP/status"
    set -e
    exec 3>&-
    expect_eq "SIG$s_sig: exit status" "$(cat "$TMP/status" 2>/dev/null)" "$s_want"
    expect_eq "SIG$s_sig: stderr" "$(cat "$TMP/sig.err")" "gpt: interrupted"
    expect_eq "SIG$s_sig: records" "$(grep -o '"index":[0-9]*,"id":null,"[a-z]*"' "$TMP/sig.jsonl" | tr '\n' ' ')" \
        '"index":0,"id":null,"completion" "index":1,"id":null,"error" '
    grep -q '^{"index":1,"id":null,"error":"interrupted"}$' "$TMP/sig.jsonl" ||
        fail "SIG$s_sig: request 1 not marked interrupted: $(cat "$TMP/sig.jsonl")"
}
signal_test INT 130
signal_test TERM 143

finish
