# test_chat.sh — conversations: gpt template against the chat fixtures, the ids that reach
# the model, --messages and "messages" in --batch, gpt chat through a pipe and a terminal.
. "$(dirname "$0")/lib.sh"

CASES="$ROOT/tests/golden/chat-cli"
CHATML="$ROOT/tests/golden/chat/chatml/chat_template.jinja"
STRICT="$ROOT/tests/golden/chat/chatml-strict/chat_template.jinja"
LLAMA3="$ROOT/tests/golden/tokenizers/llama3"
QWEN3="$ROOT/tests/golden/tokenizers/qwen3"

# ---- gpt template renders every fixture case exactly --------------------------------------
# llama3 and qwen3: the template and special tokens come from the tokenizer directory's own
# tokenizer_config.json; chatml: --chat-template over the bundled model (no special tokens).
render_cases() { # NAME ARGS...: each case of tests/golden/chat-cli/NAME
    name=$1
    shift
    while read -r nn flags; do
        # shellcheck disable=SC2086 # flags are words
        set +e
        "$GPT" template "$@" --messages "$CASES/$name/$nn.json" $flags >"$TMP/got" 2>"$TMP/err"
        status=$?
        set -e
        if [ -f "$CASES/$name/$nn.want" ]; then
            [ "$status" = 0 ] || fail "template $name case $nn: exit $status: $(cat "$TMP/err")"
            expect_file_eq "template $name case $nn" "$TMP/got" "$CASES/$name/$nn.want"
        else
            want="gpt: $CASES/$name/$nn.json: chat template: $(cat "$CASES/$name/$nn.error")"
            expect_eq "template $name case $nn: exit status" "$status" 1
            expect_eq "template $name case $nn: the template's error, one line" "$(cat "$TMP/err")" "$want"
        fi
        n_cases=$((n_cases + 1))
    done <"$CASES/$name/index.txt"
}
n_cases=0
render_cases llama3 -m "$LLAMA3"
render_cases qwen3 -m "$QWEN3"
render_cases chatml -m "$MODEL" --chat-template "$CHATML"
render_cases chatml-strict -m "$MODEL" --chat-template "$STRICT"
expect_eq "fixture cases rendered" "$n_cases" 68

# chat_template.jinja beside tokenizer_config.json wins; a list of templates takes "default".
echo '[{"role": "user", "content": "Hi"}]' >"$TMP/hi.json"
mkdir -p "$TMP/m1" "$TMP/m2" "$TMP/m3"
cp "$QWEN3/tokenizer_config.json" "$TMP/m1/"
cp "$CHATML" "$TMP/m1/chat_template.jinja"
"$GPT" template -m "$TMP/m1" --messages "$CASES/chatml/00.json" >"$TMP/got"
expect_file_eq "chat_template.jinja over tokenizer_config.json" "$TMP/got" "$CASES/chatml/00.want"
cat >"$TMP/m2/tokenizer_config.json" <<'EOF'
{"chat_template": [{"name": "tool_use", "template": "{{ raise_exception('not this one') }}"},
                   {"name": "default", "template": "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}"}]}
EOF
"$GPT" template -m "$TMP/m2" --messages "$TMP/hi.json" >"$TMP/got" 2>"$TMP/err" || fail "template list: $(cat "$TMP/err")"
printf '[user] Hi\n' >"$TMP/want"
expect_file_eq "a list of templates: the one named default" "$TMP/got" "$TMP/want"
printf '{"chat_template": [{"name": "tool_use", "template": "x"}]}' >"$TMP/m3/tokenizer_config.json"
expect_status "a list without default" 1 "$GPT" template -m "$TMP/m3" --messages "$CASES/chatml/00.json"
grep -q 'no template named "default" (it has: tool_use)' "$TMP/err" || fail "list without default: $(cat "$TMP/err")"

# A model without a template: an error that says so and names --chat-template, never ChatML.
expect_status "template, no chat template" 1 "$GPT" template --messages "$CASES/chatml/00.json"
expect_eq "no template: the message" "$(cat "$TMP/err")" \
    "gpt: $MODEL: the model has no chat template (no chat_template.jinja, no chat_template in tokenizer_config.json); give one with --chat-template FILE"
expect_status "generate --messages, no chat template" 1 "$GPT" generate --messages "$CASES/chatml/00.json" -n 2
expect_eq "generate, no template: one line" "$(wc -l <"$TMP/err" | tr -d ' ')" 1
grep -q -- "--chat-template" "$TMP/err" || fail "no template: $(cat "$TMP/err")"

# ---- the ids that reach the model ------------------------------------------------------------
# Llama 3, one user turn "Hi": HF's apply_chat_template(tokenize=True) ids (read off
# tokenizer.json's vocabulary: user 882, Hi 13347, \n\n 271, assistant 78191): one BOS, the
# template's, never a second from the tokenizer's post-processor.
expect_eq "llama3 ids of Hi" "$("$GPT" template -m "$LLAMA3" --messages "$TMP/hi.json" --ids)" \
    "128000 128006 882 128007 271 13347 128009 128006 78191 128007 271"
expect_eq "qwen3 ids of Hi" "$("$GPT" template -m "$QWEN3" --messages "$TMP/hi.json" --ids)" \
    "151644 872 198 13048 151645 198 151644 77091 198"
# Fixture cases (unicode, special-token text in content, multi-turn, no generation prompt,
# a system message alone): --ids is the rendered text tokenized with specials parsed (gpt
# tokenize --special adds no BOS either), and Llama 3's BOS appears once.
for name in llama3 qwen3; do
    dir=$LLAMA3
    [ "$name" = qwen3 ] && dir=$QWEN3
    while read -r nn flags; do
        # shellcheck disable=SC2086
        "$GPT" template -m "$dir" --messages "$CASES/$name/$nn.json" $flags --ids >"$TMP/ids"
        want=$("$GPT" tokenize -m "$dir" --special <"$CASES/$name/$nn.want")
        expect_eq "$name case $nn: --ids vs tokenize --special" "$(cat "$TMP/ids")" "$want"
        if [ "$name" = llama3 ]; then
            expect_eq "$name case $nn: BOS count" "$(tr ' ' '\n' <"$TMP/ids" | grep -c '^128000$')" 1
        fi
    done <<EOF
$(grep -E '^(01|03|05|07|09|14) ' "$CASES/$name/index.txt")
EOF
done
# Llama 2's tokenizer adds a BOS of its own (add_bos_token); its template writes bos_token
# too: the ids hold one BOS, as apply_chat_template's add_special_tokens=False gives.
mkdir -p "$TMP/l2"
cp "$ROOT/tests/golden/tokenizers/llama2/tokenizer.json" "$ROOT/tests/golden/tokenizers/llama2/tokenizer_config.json" "$TMP/l2/"
printf '{{ bos_token }}{%% for m in messages %%}[INST] {{ m.content }} [/INST]{%% endfor %%}' >"$TMP/l2/chat_template.jinja"
"$GPT" template -m "$TMP/l2" --messages "$TMP/hi.json" --ids >"$TMP/ids"
expect_eq "llama2: ids vs tokenize --special" "$(cat "$TMP/ids")" \
    "$("$GPT" template -m "$TMP/l2" --messages "$TMP/hi.json" | "$GPT" tokenize -m "$TMP/l2" --special)"
expect_eq "llama2: one BOS, the template's" "$(tr ' ' '\n' <"$TMP/ids" | grep -c '^1$')" 1
# The end-of-turn token is found from the template: <|eot_id|> and <|end_of_text|> for Llama 3,
# <|im_end|> for Qwen3.
"$GPT" -v template -m "$LLAMA3" --messages "$TMP/hi.json" --ids 2>"$TMP/err" >/dev/null
expect_eq "llama3 end of turn" "$(grep 'end of turn' "$TMP/err")" "gpt: end of turn: 128009 128001"
"$GPT" -v template -m "$QWEN3" --messages "$TMP/hi.json" --ids 2>"$TMP/err" >/dev/null
expect_eq "qwen3 end of turn" "$(grep 'end of turn' "$TMP/err")" "gpt: end of turn: 151645"

# --template-var reaches the template; "messages" cannot be one.
"$GPT" template -m "$QWEN3" --messages "$TMP/hi.json" --template-var enable_thinking=false >"$TMP/got"
expect_eq "enable_thinking=false" "$(tail -c 20 "$TMP/got" | od -An -c | tr -s ' ')" "$(printf 'assistant\n<think>\n\n</think>\n\n' | tail -c 20 | od -An -c | tr -s ' ')"
expect_status "--template-var messages" 2 "$GPT" template -m "$QWEN3" --messages "$TMP/hi.json" --template-var 'messages=[]'
expect_status "--template-var not JSON" 2 "$GPT" template -m "$QWEN3" --messages "$TMP/hi.json" --template-var x=yes
grep -q "not JSON" "$TMP/err" || fail "--template-var x=yes: $(cat "$TMP/err")"

# ---- gpt generate --messages ---------------------------------------------------------------
# The conversation reaches the model as its rendered text would: the same tokens as -f of
# gpt template's output, and prompt_tokens as many as gpt template --ids gives.
"$GPT" template -m "$MODEL" --chat-template "$CHATML" --messages "$TMP/hi.json" >"$TMP/hi.txt"
"$GPT" generate --messages "$TMP/hi.json" --chat-template "$CHATML" -n 6 --temperature 0 --format jsonl >"$TMP/m.jsonl"
"$GPT" generate -f "$TMP/hi.txt" --special -n 6 --temperature 0 --format jsonl >"$TMP/p.jsonl"
expect_file_eq "--messages vs the rendered prompt" "$TMP/m.jsonl" "$TMP/p.jsonl"
n_ids=$("$GPT" template -m "$MODEL" --chat-template "$CHATML" --messages "$TMP/hi.json" --ids | wc -w | tr -d ' ')
grep -q "\"prompt_tokens\":$n_ids," "$TMP/m.jsonl" || fail "prompt_tokens: $(cat "$TMP/m.jsonl"), want $n_ids"
# {"messages": [...]} and stdin.
printf '{"messages": %s}' "$(cat "$TMP/hi.json")" |
    "$GPT" generate --messages - --chat-template "$CHATML" -n 6 --temperature 0 --format jsonl >"$TMP/m2.jsonl"
expect_file_eq "--messages - with {\"messages\"}" "$TMP/m2.jsonl" "$TMP/m.jsonl"
# Bad conversations: one line naming the file and the fault, exit 1.
bad() { # WHAT JSON WANT_MESSAGE
    printf '%s' "$2" >"$TMP/bad.json"
    expect_status "generate --messages: $1" 1 "$GPT" generate --messages "$TMP/bad.json" --chat-template "$CHATML" -n 2
    expect_eq "generate --messages: $1: message" "$(cat "$TMP/err")" "gpt: $TMP/bad.json: $3"
}
bad "not a list" '{"role": "user", "content": "Hi"}' 'not a conversation: a list of messages, or {"messages": [...]}'
bad "content a number" '[{"role": "user", "content": 5}]' 'messages[0]: "content" must be a string'
bad "content a list" '[{"role": "user", "content": [{"type": "text"}]}]' 'messages[0]: "content" must be a string'
bad "no role" '[{"content": "Hi"}]' 'messages[0]: "role" must be a string'
bad "not JSON" '[{"role": "user",' 'not JSON'
printf '[{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]' >"$TMP/bad.json"
expect_status "strict template rejects a role" 1 "$GPT" generate --messages "$TMP/bad.json" --chat-template "$STRICT" -n 2
expect_eq "strict: the template's message" "$(cat "$TMP/err")" \
    "gpt: $TMP/bad.json: chat template: Conversation roles must alternate user/assistant/user/... after an optional system message"
expect_status "--messages with -p" 2 "$GPT" generate --messages "$TMP/hi.json" -p hi
expect_status "--chat-template without --messages" 2 "$GPT" generate --chat-template "$CHATML" -p hi

# ---- "messages" in --batch, mixed with plain prompts -------------------------------------------
printf '{%% for i in range(100000) %%}{%% for j in range(100000) %%}{%% endfor %%}{%% endfor %%}' >"$TMP/forever.jinja"
printf '{{ greeting }}{%% for m in messages %%}{{ m.role }}: {{ m.content }}\n{%% endfor %%}' >"$TMP/greet.jinja"
cat >"$TMP/batch.txt" <<EOF
Once upon a time
{"messages": [{"role": "user", "content": "Hi"}], "id": "m", "max_tokens": 6, "temperature": 0}
{"prompt": "The king", "max_tokens": 3, "temperature": 0}
{"messages": {"role": "user", "content": "Hi"}}
{"messages": [{"role": "user", "content": 7}]}
{"messages": [{"role": "user", "content": "a"}], "prompt": "b"}
{"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}
{"prompt": "x", "template_vars": {"a": 1}}
{"messages": [{"role": "user", "content": "Hi"}], "template_vars": {"messages": 1}}
EOF
expect_status "batch with messages" 3 sh -c "'$GPT' generate --batch -n 4 --chat-template '$STRICT' <'$TMP/batch.txt'"
cp "$TMP/out" "$TMP/batch.jsonl"
expect_eq "batch: one line per input line" "$(wc -l <"$TMP/batch.jsonl" | tr -d ' ')" 9
# Line 2 is what --messages gives alone (same template text for a one-turn conversation).
"$GPT" generate --messages "$TMP/hi.json" --chat-template "$STRICT" -n 6 --temperature 0 --format jsonl >"$TMP/alone.jsonl"
expect_eq "batch messages line = --messages alone" "$(sed -n 2p "$TMP/batch.jsonl")" \
    "$(sed 's/^{/{"index":1,"id":"m",/' "$TMP/alone.jsonl")"
"$GPT" generate -p "Once upon a time" -n 4 --seed 0 --format jsonl >"$TMP/plain.jsonl"
expect_eq "batch plain line 1 = alone" "$(sed -n 1p "$TMP/batch.jsonl")" "$(sed 's/^{/{"index":0,"id":null,/' "$TMP/plain.jsonl")"
sed -n 3p "$TMP/batch.jsonl" | grep -q '"finish_reason":"length"' || fail "batch line 3: $(sed -n 3p "$TMP/batch.jsonl")"
expect_eq "batch: messages not a list" "$(sed -n 4p "$TMP/batch.jsonl")" \
    '{"index":3,"id":null,"error":"\"messages\" must be a list of {\"role\", \"content\"} objects"}'
expect_eq "batch: content not a string" "$(sed -n 5p "$TMP/batch.jsonl")" \
    '{"index":4,"id":null,"error":"messages[0]: \"content\" must be a string"}'
expect_eq "batch: prompt and messages" "$(sed -n 6p "$TMP/batch.jsonl")" \
    '{"index":5,"id":null,"error":"give \"prompt\" or \"messages\", not both"}'
expect_eq "batch: role rejected" "$(sed -n 7p "$TMP/batch.jsonl")" \
    '{"index":6,"id":null,"error":"chat template: Conversation roles must alternate user/assistant/user/... after an optional system message"}'
expect_eq "batch: template_vars without messages" "$(sed -n 8p "$TMP/batch.jsonl")" \
    '{"index":7,"id":null,"error":"\"template_vars\" applies only with \"messages\""}'
expect_eq "batch: template_vars messages" "$(sed -n 9p "$TMP/batch.jsonl")" \
    '{"index":8,"id":null,"error":"\"template_vars\": \"messages\" is set by gpt (the conversation), not a template variable"}'
# template_vars reach the template, over --template-var; a template that never ends is
# stopped by its step bound, one error record, and the batch goes on.
cat >"$TMP/vars.txt" <<EOF
{"messages": [{"role": "user", "content": "Hi"}], "template_vars": {"greeting": "Dear reader. "}, "max_tokens": 3, "temperature": 0}
{"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 3, "temperature": 0}
EOF
"$GPT" generate --batch --chat-template "$TMP/greet.jinja" --template-var 'greeting="Hello. "' <"$TMP/vars.txt" >"$TMP/vars.jsonl"
printf '[{"role": "user", "content": "Hi"}]' >"$TMP/hi2.json"
for k in 1 2; do
    g='"Dear reader. "'
    [ $k = 2 ] && g='"Hello. "'
    "$GPT" generate --messages "$TMP/hi2.json" --chat-template "$TMP/greet.jinja" --template-var "greeting=$g" \
        -n 3 --temperature 0 --format jsonl >"$TMP/v$k.jsonl"
    expect_eq "batch template_vars line $k" "$(sed -n ${k}p "$TMP/vars.jsonl")" \
        "$(sed "s/^{/{\"index\":$((k - 1)),\"id\":null,/" "$TMP/v$k.jsonl")"
done
[ "$(sed -n 1p "$TMP/vars.jsonl" | grep -o '"prompt_tokens":[0-9]*')" != "$(sed -n 2p "$TMP/vars.jsonl" | grep -o '"prompt_tokens":[0-9]*')" ] ||
    fail "template_vars changed nothing: $(cat "$TMP/vars.jsonl")"
printf '%s\n' '{"messages": [{"role": "user", "content": "Hi"}]}' 'The end' >"$TMP/forever.txt"
expect_status "a template that loops forever" 3 sh -c "'$GPT' generate --batch -n 2 --chat-template '$TMP/forever.jinja' <'$TMP/forever.txt'"
sed -n 1p "$TMP/out" | grep -q '"error":"chat template: .*rendering exceeds' || fail "loop bound: $(sed -n 1p "$TMP/out")"
sed -n 2p "$TMP/out" | grep -q '"completion"' || fail "after the loop bound: $(sed -n 2p "$TMP/out")"

# ---- gpt chat through a pipe -------------------------------------------------------------------
# Each line is a turn; each reply is followed by the separator. Reply 1 is --messages of the
# first turn; reply 2 is --messages of the conversation so far (greedy: the kept cache gives
# what a fresh read gives).
printf 'Hi\nAnd then?\n/save %s\n' "$TMP/saved.json" |
    "$GPT" chat --chat-template "$CHATML" -n 4 --temperature 0 --separator '<END>\n' >"$TMP/chat.out" 2>"$TMP/chat.err" ||
    fail "chat through a pipe: $(cat "$TMP/chat.err")"
"$GPT" generate --messages "$TMP/hi.json" --chat-template "$CHATML" -n 4 --temperature 0 >"$TMP/r1"
"$GPT" template -m "$MODEL" --chat-template "$CHATML" --messages "$TMP/saved.json" --no-generation-prompt >"$TMP/saved.txt"
{ printf '<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n'; cat "$TMP/r1"
  printf '<|im_end|>\n<|im_start|>user\nAnd then?<|im_end|>\n<|im_start|>assistant\n'; } >"$TMP/want-saved-head"
head -c "$(wc -c <"$TMP/want-saved-head")" "$TMP/saved.txt" >"$TMP/saved-head"
expect_file_eq "/save: the conversation, reply 1 as generate --messages gives it" "$TMP/saved-head" "$TMP/want-saved-head"
# Reply 2 is the saved assistant message; generate --messages of the first three messages agrees.
printf '[{"role":"user","content":"Hi"},{"role":"assistant","content":"%s"},{"role":"user","content":"And then?"}]' \
    "$(sed 's/\\/\\\\/g; s/"/\\"/g' "$TMP/r1" | awk '{printf "%s\\n", $0}' | sed 's/\\n$//')" >"$TMP/three.json"
"$GPT" generate --messages "$TMP/three.json" --chat-template "$CHATML" -n 4 --temperature 0 >"$TMP/r2"
{ cat "$TMP/r1"; printf '<END>\n'; cat "$TMP/r2"; printf '<END>\n'; } >"$TMP/want-chat"
expect_file_eq "chat: the replies, each followed by --separator" "$TMP/chat.out" "$TMP/want-chat"
grep -q "saved 4 messages" "$TMP/chat.err" || fail "/save: $(cat "$TMP/chat.err")"
# --messages reads /save's file back: the conversation goes on from it.
printf 'More?\n/save %s\n' "$TMP/saved2.json" |
    "$GPT" chat --messages "$TMP/saved.json" --chat-template "$CHATML" -n 2 --temperature 0 >/dev/null 2>"$TMP/chat2.err" ||
    fail "chat --messages: $(cat "$TMP/chat2.err")"
grep -q "saved 6 messages" "$TMP/chat2.err" || fail "chat --messages then /save: $(cat "$TMP/chat2.err")"
expect_status "chat --messages -" 2 sh -c "echo hi | '$GPT' chat --messages - --chat-template '$CHATML'"
# chat takes generate's sampling flags (one shared table): with penalties, min-p, a bias and a
# ban, reply 1 is what generate --messages draws with the same flags and seed; without them
# the reply differs, so the flags did reach the sampler.
PENALTIES="-n 8 --seed 3 --temperature 0.9 --min-p 0.05 --repetition-penalty 1.5 --frequency-penalty 0.5
    --presence-penalty 0.3 --penalty-last-n 16 --logit-bias 13=2 --ban 11"
# shellcheck disable=SC2086 # flags are words
echo Hi | "$GPT" chat --chat-template "$CHATML" $PENALTIES --separator '' >"$TMP/pen-chat" 2>"$TMP/pen.err" ||
    fail "chat with the sampling flags: $(cat "$TMP/pen.err")"
# shellcheck disable=SC2086
"$GPT" generate --messages "$TMP/hi.json" --chat-template "$CHATML" $PENALTIES >"$TMP/pen-gen"
"$GPT" generate --messages "$TMP/hi.json" --chat-template "$CHATML" -n 8 --seed 3 --temperature 0.9 >"$TMP/pen-none"
expect_file_eq "chat = generate --messages with the same sampling flags" "$TMP/pen-chat" "$TMP/pen-gen"
! cmp -s "$TMP/pen-gen" "$TMP/pen-none" || fail "the sampling flags changed nothing: $(cat "$TMP/pen-gen")"
expect_status "chat --ban x" 2 "$GPT" chat --ban x

# Commands: /system, /reset, an unknown command, //text.
printf '/system Be brief.\n/nonsense\n//slash\n/save %s\n/reset\n/save %s\n' "$TMP/s1.json" "$TMP/s2.json" |
    "$GPT" chat --chat-template "$CHATML" -n 2 --temperature 0 >/dev/null 2>"$TMP/cmd.err" || fail "chat commands: $(cat "$TMP/cmd.err")"
"$GPT" template -m "$MODEL" --chat-template "$CHATML" --messages "$TMP/s1.json" --no-generation-prompt >"$TMP/s1.txt"
head -c 80 "$TMP/s1.txt" | grep -q "^<|im_start|>system" || fail "/system: $(cat "$TMP/s1.txt")"
grep -q "<|im_start|>user$" "$TMP/s1.txt" && grep -q "^/slash<|im_end|>" "$TMP/s1.txt" || fail "//slash: $(cat "$TMP/s1.txt")"
expect_eq "/reset: an empty conversation" "$(tr -d ' \n' <"$TMP/s2.json")" "[]"
grep -q "unknown command '/nonsense'" "$TMP/cmd.err" || fail "unknown command: $(cat "$TMP/cmd.err")"

# Only the new turn is read: with -v each turn reports its prompt tokens and how many came
# from the cache. From turn 2 on, everything of the previous turn's prompt stays cached (but
# its last token, when the reply's first token merges with it), so the tokens read are the
# new ones: the end of the last reply and the new turn, never the history again.
printf 'Hi\nWhat then?\nAnd after that?\nWhere did he go?\nWho was there?\nThe end.\n' |
    "$GPT" -v chat --chat-template "$CHATML" -n 3 --temperature 0 >/dev/null 2>"$TMP/v.err"
grep 'gpt: turn ' "$TMP/v.err" | sed 's/.*prompt \([0-9]*\) tokens, \([0-9]*\) from the cache, \([0-9]*\) read.*/\1 \2 \3/' >"$TMP/turns"
expect_eq "chat -v: a line per turn" "$(wc -l <"$TMP/turns" | tr -d ' ')" 6
prev=0
total_read=0
while read -r prompt cached read; do
    expect_eq "turn: cached + read = prompt" "$((cached + read))" "$prompt"
    if [ "$prev" -gt 0 ] && [ "$cached" -lt $((prev - 1)) ]; then
        fail "turn with a $prompt-token prompt: only $cached cached, the previous prompt had $prev"
    fi
    prev=$prompt
    total_read=$((total_read + read))
done <"$TMP/turns"
last_prompt=$(tail -1 "$TMP/turns" | cut -d' ' -f1)
[ "$total_read" -le $((last_prompt + 12)) ] ||
    fail "chat read $total_read tokens over 6 turns; the last prompt has $last_prompt (history read again?)"

# Outgrowing --ctx says so, offers /reset, and the chat goes on.
printf 'Tell me the whole story of the king and the queen and the little prince\n/reset\nHi\n' |
    "$GPT" chat --chat-template "$CHATML" --ctx 40 -n 3 --temperature 0 --separator '<END>' >"$TMP/ctx.out" 2>"$TMP/ctx.err" ||
    fail "chat --ctx 40: $(cat "$TMP/ctx.err")"
grep -q "context holds 40: /reset starts over" "$TMP/ctx.err" || fail "outgrowing --ctx: $(cat "$TMP/ctx.err")"
expect_eq "after /reset the chat goes on: one reply" "$(grep -o '<END>' "$TMP/ctx.out" | wc -l | tr -d ' ')" 1

expect_status "chat without a template" 1 sh -c "echo hi | '$GPT' chat"
grep -q -- "--chat-template" "$TMP/err" || fail "chat without a template: $(cat "$TMP/err")"

# ---- gpt chat at a terminal (script(1) gives it a pseudo-terminal) ---------------------------------
# Ctrl-C during a reply stops the reply, not the program: the reply so far is kept, /save
# works after it, and Ctrl-D ends with status 0.
if command -v script >/dev/null 2>&1; then
    mkfifo "$TMP/tty.in"
    script -qfec "'$GPT' chat --chat-template '$CHATML' --temperature 0 --ctx 256" /dev/null \
        <"$TMP/tty.in" >"$TMP/tty.out" 2>&1 &
    pid=$!
    exec 3>"$TMP/tty.in"
    wait_for() { # PATTERN: up to 60 s for the terminal's output to hold it
        i=0
        while ! grep -q -- "$1" "$TMP/tty.out" 2>/dev/null && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
        grep -q -- "$1" "$TMP/tty.out" || fail "terminal: no '$1' in: $(cat "$TMP/tty.out")"
    }
    wait_for "> "
    printf 'Hi\n' >&3
    wait_for "ILLUSTRATED"  # the reply is streaming
    printf '\003' >&3
    wait_for "gpt: interrupted"
    printf '/save %s\n' "$TMP/tty.json" >&3
    wait_for "saved 2 messages"
    printf '\004' >&3
    exec 3>&-
    set +e
    wait "$pid"
    status=$?
    set -e
    expect_eq "terminal: Ctrl-D ends with status" "$status" 0
    grep -q '"role":[[:space:]]*"assistant"' "$TMP/tty.json" || fail "terminal: no reply kept: $(cat "$TMP/tty.json")"
    grep -q "chatting with" "$TMP/tty.out" || fail "terminal: no greeting on stderr: $(cat "$TMP/tty.out")"
else
    fail "script(1) not found (bsdutils): the terminal test cannot run"
fi

# ---- generation_config.json's sampling defaults -----------------------------------------------
# A copy of the bundled model whose generation_config.json asks for greedy decoding gives what
# --temperature 0 gives; a flag still wins; gpt info shows the settings; a bad value is one line.
mkdir -p "$TMP/gc"
for f in config.json model.safetensors vocab.json merges.txt; do ln -s "$MODEL/$f" "$TMP/gc/$f"; done
printf '{"eos_token_id": 50256, "temperature": 0}' >"$TMP/gc/generation_config.json"
"$GPT" generate -m "$TMP/gc" -p "The king" -n 12 --seed 5 --format jsonl >"$TMP/gc1"
"$GPT" generate -p "The king" -n 12 --seed 5 --temperature 0 --format jsonl >"$TMP/gc2"
"$GPT" generate -p "The king" -n 12 --seed 5 --format jsonl >"$TMP/gc3"
expect_file_eq "generation_config.json's temperature 0 = --temperature 0" "$TMP/gc1" "$TMP/gc2"
cmp -s "$TMP/gc1" "$TMP/gc3" && fail "generation_config.json changed nothing: $(cat "$TMP/gc1")"
printf '{"temperature": 0.5, "top_k": 3, "top_p": 0.5, "repetition_penalty": 1.0}' >"$TMP/gc/generation_config.json"
"$GPT" generate -m "$TMP/gc" -p "The king" -n 12 --seed 5 --format jsonl >"$TMP/gc6"
"$GPT" generate -p "The king" -n 12 --seed 5 --temperature 0.5 --top-k 3 --top-p 0.5 --format jsonl >"$TMP/gc7"
expect_file_eq "generation_config.json's temperature, top_k, top_p = the flags" "$TMP/gc6" "$TMP/gc7"
"$GPT" generate -m "$TMP/gc" -p "The king" -n 12 --seed 5 --temperature 0.8 --top-k 40 --top-p 0.95 --format jsonl >"$TMP/gc4"
expect_file_eq "flags win over generation_config.json" "$TMP/gc4" "$TMP/gc3"
"$GPT" info -m "$TMP/gc" >"$TMP/gc-info"
expect_eq "info: sampling" "$(grep '^sampling:' "$TMP/gc-info")" \
    "sampling:     temperature 0.5, top_k 3, top_p 0.5, repetition_penalty 1"
"$GPT" info -m "$TMP/gc" --format json | grep -q '"generation_defaults":{"temperature":0.5,"top_k":3,"top_p":0.5,"repetition_penalty":1}' ||
    fail "info json: $("$GPT" info -m "$TMP/gc" --format json)"
printf '{"do_sample": false}' >"$TMP/gc/generation_config.json"
"$GPT" generate -m "$TMP/gc" -p "The king" -n 12 --seed 5 --format jsonl >"$TMP/gc5"
expect_file_eq "do_sample false: greedy" "$TMP/gc5" "$TMP/gc2"
printf '{"top_p": 2}' >"$TMP/gc/generation_config.json"
expect_status "generation_config.json top_p 2" 1 "$GPT" generate -m "$TMP/gc" -p "The king" -n 2
expect_eq "bad generation_config.json: one line" "$(cat "$TMP/err")" \
    "gpt: $TMP/gc/generation_config.json: top_p must be a number in (0, 1]"

finish
