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
usage_error "bad value after =" "gpt: --top-k wants an integer >= 0, not 'x'" generate --top-k=x -p hi
usage_error "-t shared by every subcommand" "gpt: -t wants an integer in 1..1024, not '0'" logits -t0
usage_error "--quant shared" "gpt: --quant wants q8 or none, not 'q4'" info --quant=q4

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

finish
