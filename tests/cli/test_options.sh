# test_options.sh — options as people type them (getopt_long): --opt=value,
# -n4, prefixes, --, a positional prompt, any order; usage errors are one line
# and "Try 'gpt SUBCOMMAND --help'.", exit 2, nothing on stdout.
. "$(dirname "$0")/lib.sh"

# usage_error WHAT WANT_FIRST_LINE SUBCOMMAND ARGS...: exit 2, exactly that line
# then the Try line on stderr, nothing on stdout.
usage_error() {
    ue_what=$1 ue_line=$2 ue_sub=$3  # expect_status sets what and want
    shift 3
    expect_status "$ue_what" 2 "$GPT" "$ue_sub" "$@"
    expect_eq "$ue_what: stderr" "$(cat "$TMP/err")" "$(printf "%s\nTry 'gpt %s --help'." "$ue_line" "$ue_sub")"
    [ ! -s "$TMP/out" ] || fail "$ue_what: wrote to stdout: $(cat "$TMP/out")"
}

want=$(printf ', and\nthe')  # greedy "Once upon a time", 4 tokens (tests/golden reference)
expect_eq "-p" "$("$GPT" generate -p "Once upon a time" -n 4 --temperature 0)" "$want"
# A positional prompt, before or after the options.
expect_eq "positional prompt last" "$("$GPT" generate -n 4 --temperature 0 "Once upon a time")" "$want"
expect_eq "positional prompt first" "$("$GPT" generate "Once upon a time" -n 4 --temperature 0)" "$want"
# Values joined to their option, and unambiguous prefixes of long names.
expect_eq "--opt=value" "$("$GPT" generate --prompt="Once upon a time" --max-tokens=4 --temperature=0)" "$want"
expect_eq "-n4 -pTEXT" "$("$GPT" generate -n4 "-pOnce upon a time" --temperature 0)" "$want"
expect_eq "--temp prefix" "$("$GPT" generate -p "Once upon a time" -n 4 --temp 0)" "$want"
# -- ends the options: a prompt that starts with '-'.
expect_eq "-- then a prompt starting with -" "$("$GPT" generate -n 3 --temperature 0 -- -n | od -An -tx1)" \
    "$("$GPT" generate -n 3 --temperature 0 -p -n | od -An -tx1)"
# A value that starts with '-' is still the option's value.
expect_eq "-p -n" "$("$GPT" generate -p -n -n 1 --temperature 0 --format jsonl | grep -c '"prompt_tokens":2')" 1

usage_error "-p and a positional prompt" "gpt: give the prompt once: -p 'a' or the argument 'b', not both" \
    generate -p a b
usage_error "two positional words" \
    "gpt: one prompt argument, not 2 (quote the prompt: gpt generate \"Once upon ...\")" generate Once upon
usage_error "-f and a positional prompt" "gpt: give -f or a prompt argument, not both" generate -f /dev/null hi
usage_error "--batch and a positional prompt" \
    "gpt: --batch reads requests from stdin; a prompt argument does not apply" generate --batch hi
usage_error "unknown long option" "gpt: unknown option '--frob'" generate --frob=3 -p hi
usage_error "unknown short option in a bundle" "gpt: unknown option '-z'" generate --echo -zq hi
usage_error "missing value, short" "gpt: option -n needs a value" generate -p hi -n
usage_error "missing value, long" "gpt: option --seed needs a value" generate -p hi --seed
usage_error "value for a flag that takes none" "gpt: option --echo takes no value" generate --echo=yes -p hi
usage_error "ambiguous prefix" "gpt: option '--top' is ambiguous: --top-k, --top-p, --top-logprobs" generate --top 3 -p hi
usage_error "bad value after =" "gpt: --top-k wants an integer in 0..1000000000 (0: all), not 'x'" generate --top-k=x -p hi
usage_error "-t shared by every subcommand" "gpt: -t wants an integer in 1..1024, not '0'" logits -t0
usage_error "--quant shared" "gpt: --quant wants q8 or none, not 'q4'" info --quant=q4
usage_error "--cache-type shared" "gpt: --cache-type wants f32 or f16, not 'bf16'" generate --cache-type bf16 -p hi

# Every subcommand takes --opt=value; the ones without arguments refuse one.
expect_status "info --model= --format=" 0 "$GPT" info --model="$TINY" --format=json
grep -q '"n_layer":2,' "$TMP/out" || fail "info --model=TINY --format=json: $(cat "$TMP/out")"
expect_eq "tokenize --format=jsonl" "$(printf 'Hello' | "$GPT" tokenize --format=jsonl)" '{"ids":[15496],"tokens":["Hello"]}'
expect_eq "detokenize --model=" "$(echo 15496 | "$GPT" detokenize --model="$MODEL")" "Hello"
expect_eq "logits --top=1" "$(printf 'Hello' | "$GPT" logits --top=1 -t1 | grep -o '"top":\[\[[0-9]*,')" '"top":[[11,'
printf 'Once upon a time there was a king.' >"$TMP/text.txt"
a=$("$GPT" perplexity --file="$TMP/text.txt" --window=4)
b=$("$GPT" perplexity -f "$TMP/text.txt" --window 4)
expect_eq "perplexity --file= --window=" "$a" "$b"
expect_status "bench -p8 -n2 -r1 --format=jsonl" 0 "$GPT" bench -p8 -n2 -r1 --format=jsonl
expect_eq "bench lines" "$(grep -c '"test":"\(pp8\|tg2\)"' "$TMP/out")" 2
expect_status "bench long names" 0 "$GPT" bench --prompt-tokens 8 --gen-tokens 0 --repeats=1
grep -q " pp8 " "$TMP/out" || fail "bench --prompt-tokens 8: $(cat "$TMP/out")"
usage_error "tokenize with an argument" "gpt: unexpected argument 'hi' (the text comes on stdin)" tokenize hi
usage_error "info with an argument" "gpt: unexpected argument 'x' (the model comes with -m)" info x
usage_error "tokenize does not load weights" "gpt: unknown option '--quant'" tokenize --quant q8

# gpt's own flags stop at the subcommand: -q after it belongs to the subcommand.
expect_status "gpt -qv info" 0 "$GPT" -qv info
[ ! -s "$TMP/err" ] || fail "gpt -qv info wrote to stderr: $(cat "$TMP/err")"
usage_error "a global flag after the subcommand" "gpt: unknown option '-q'" info -q
expect_status "unknown global flag" 2 "$GPT" --frob info
expect_eq "unknown global flag: stderr" "$(cat "$TMP/err")" "$(printf "gpt: unknown option '--frob'\nTry 'gpt --help'.")"

# Range errors give the range (issue #14 item 6); --seed takes all of 0..2^53-1.
usage_error "-n past the range" "gpt: -n wants an integer in -1..1000000000 (-1: no limit), not '2147483647'" \
    generate -n 2147483647 -p hi
usage_error "--seed past 2^53-1" "gpt: --seed wants an integer in 0..9007199254740991 (2^53-1), or 'random', not '9007199254740992'" \
    generate --seed 9007199254740992 -p hi
usage_error "--top-k past the range" "gpt: --top-k wants an integer in 0..1000000000 (0: all), not '-1'" \
    generate --top-k -1 -p hi
expect_status "--seed 2^53-1" 0 "$GPT" generate --seed 9007199254740991 -n 1 -p hi
# Flags that would be ignored are refused with the reason (item 7).
usage_error "--parallel without --batch" "gpt: --parallel applies only to --batch (one prompt is one request)" \
    generate --parallel 4 -p hi
usage_error "--shard without --batch" "gpt: --shard applies only to --batch (one prompt is one request)" \
    generate --shard 0/2 -p hi
usage_error "--separator without --batch" "gpt: --separator applies only to --batch (one prompt is one request)" \
    generate --separator '\n' -p hi
usage_error "--stop ''" "gpt: --stop wants a non-empty string (an empty one would stop at once)" generate --stop '' -p hi
# --echo with jsonl: the prompt in a "prompt" field, the completion unchanged.
expect_eq "--echo --format jsonl" "$("$GPT" generate -p "Once upon a time" -n 4 --temperature 0 --format jsonl --echo)" \
    '{"prompt":"Once upon a time","completion":", and\nthe","tokens":[11,290,198,1169],"finish_reason":"length","usage":{"prompt_tokens":4,"completion_tokens":4}}'
# One spelling each, the other accepted (item 8).
expect_eq "generate --format json = jsonl" "$("$GPT" generate -p hi -n 2 --seed 1 --format json)" \
    "$("$GPT" generate -p hi -n 2 --seed 1 --format jsonl)"
expect_eq "info --format jsonl = json" "$("$GPT" info --format jsonl)" "$("$GPT" info --format json)"
expect_eq "tokenize --format json = jsonl" "$(printf hi | "$GPT" tokenize --format json)" \
    "$(printf hi | "$GPT" tokenize --format jsonl)"

finish
