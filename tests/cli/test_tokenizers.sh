# test_tokenizers.sh — `gpt tokenize` / `detokenize` with the hub tokenizer.json
# files of tests/golden/tokenizers (directories with no weights): the modes
# (--special, --add-special, plain), exact bytes out, and no hang on
# pathological inputs. Expected ids are HF's, from those folders' cases.json.
. "$(dirname "$0")/lib.sh"
TK="$ROOT/tests/golden/tokenizers"

tok() { # NAME FLAGS... <stdin: the ids on one line
    name=$1
    shift
    "$GPT" tokenize -m "$TK/$name" "$@"
}

# Llama 2: special-token text is plain text unless --special; --add-special adds <s>.
expect_eq "llama2 plain" "$(printf 'Hello world' | tok llama2)" "22557 1526"
expect_eq "llama2 --add-special" "$(printf 'Hello world' | tok llama2 --special --add-special)" "1 22557 1526"
expect_eq "llama2 </s> as text" "$(printf 'x</s>y' | tok llama2)" "1318 700 28713 28767 28724"
expect_eq "llama2 --special" "$(printf 'x</s>y' | tok llama2 --special)" "1318 2 337"
expect_eq "llama2 detokenize" "$(echo 1318 2 337 | "$GPT" detokenize -m "$TK/llama2")" "x</s> y"
expect_eq "llama2 detokenize drops one leading space" "$(echo 1 22557 1526 | "$GPT" detokenize -m "$TK/llama2")" "<s> Hello world"
# Byte fallback: <0xE2> alone is written as the byte, not U+FFFD; three of them make a character.
expect_eq "llama2 lone byte token" "$(echo 229 | "$GPT" detokenize -m "$TK/llama2" | od -An -tx1 | tr -d ' ')" "e2"
expect_eq "llama2 byte tokens" "$(echo 229 133 175 | "$GPT" detokenize -m "$TK/llama2")" "$(printf '\342\202\254')"

# Llama 3: specials parsed with --special only; the original file adds no BOS.
expect_eq "llama3 --special" "$(printf '<|begin_of_text|>Hi' | tok llama3 --special)" "128000 13347"
expect_eq "llama3 --add-special adds nothing" "$(printf '<|begin_of_text|>Hi' | tok llama3 --special --add-special)" "128000 13347"
expect_eq "llama3 plain" "$(printf '<|begin_of_text|>Hi' | tok llama3)" "27 91 7413 3659 4424 91 29 13347"
expect_eq "llama3 round trip" "$(printf '<|begin_of_text|>Hi' | tok llama3 --special | "$GPT" detokenize -m "$TK/llama3")" \
    "<|begin_of_text|>Hi"

# Qwen3: <think> is a non-special added token, matched even without --special.
expect_eq "qwen3 <think>" "$(printf '<think>\nhmm\n</think>\n\nok' | tok qwen3)" "151667 198 71 3821 198 151668 271 562"
expect_eq "qwen3 NFC" "$(printf 'cafe\314\201' | tok qwen3 | "$GPT" detokenize -m "$TK/qwen3")" "$(printf 'caf\303\251')"

# jsonl shows the vocabulary's spellings.
expect_eq "llama2 jsonl" "$(printf 'Hello' | tok llama2 --format jsonl)" '{"ids":[22557],"tokens":["▁Hello"]}'

# generate adds what the post-processor adds: dev-tiny with a tokenizer.json whose template puts
# <|endoftext|> first gets the same answer as the vocab.json model given that token itself.
d="$TMP/tiny-template"
mkdir -p "$d"
ln -s "$TINY/config.json" "$TINY/model.safetensors" "$d/"
{
    printf '{"model":{"type":"BPE","vocab":'
    cat "$TINY/vocab.json"
    printf ',"merges":['
    sed '1d; /^$/d; s/\\/\\\\/g; s/"/\\"/g; s/^/"/; s/$/"/' "$TINY/merges.txt" | paste -sd, -
    printf '%s' '],"ignore_merges":false},"pre_tokenizer":{"type":"ByteLevel","add_prefix_space":false,"use_regex":true},'
    printf '%s' '"decoder":{"type":"ByteLevel"},"added_tokens":[{"id":50256,"content":"<|endoftext|>","special":true}],'
    printf '%s' '"post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<|endoftext|>","type_id":0}},'
    printf '%s' '{"Sequence":{"id":"A","type_id":0}}],"special_tokens":{"<|endoftext|>":{"id":"<|endoftext|>","ids":[50256],"tokens":["<|endoftext|>"]}}}}'
} >"$d/tokenizer.json"
expect_eq "template: tokenize --add-special" "$(printf 'Hello world' | "$GPT" tokenize -m "$d" --add-special)" "50256 15496 995"
expect_eq "template: tokenize" "$(printf 'Hello world' | "$GPT" tokenize -m "$d")" "15496 995"
got=$("$GPT" generate -m "$d" -p 'Hello world' -n 4 --temperature 0 --format jsonl)
want=$("$GPT" generate -m "$TINY" -p '<|endoftext|>Hello world' --special -n 4 --temperature 0 --format jsonl)
expect_eq "generate adds the template's BOS" "$got" "$want"
case $got in *'"prompt_tokens":3,'*) ;; *) fail "generate with a template: want 3 prompt tokens, got $got" ;; esac
# logits and perplexity add it the same way (perplexity once, at the start of the file); --ids
# takes the ids as given.
got=$(printf 'Hello world' | "$GPT" logits -m "$d" --top 3)
want=$(printf '<|endoftext|>Hello world' | "$GPT" logits -m "$TINY" --special --top 3)
expect_eq "logits adds the template's BOS" "$got" "$want"
expect_eq "logits: 3 positions" "$(printf '%s\n' "$got" | wc -l)" 3
expect_eq "logits --ids: as given" "$(echo 15496 995 | "$GPT" logits -m "$d" --ids --top 3 | head -1 | cut -c1-20)" '{"pos":0,"id":15496,'
printf 'Hello world, once more.\nAnd again.' >"$TMP/ppl.txt"
printf '<|endoftext|>Hello world, once more.\nAnd again.' >"$TMP/ppl-bos.txt"
got=$("$GPT" perplexity -m "$d" -f "$TMP/ppl.txt" --window 4)
want=$("$GPT" perplexity -m "$TINY" -f "$TMP/ppl-bos.txt" --special --window 4)
expect_eq "perplexity adds the template's BOS once" "$got" "$want"
case $got in '{"tokens":10,'*) ;; *) fail "perplexity with a template: want 10 scored tokens (11 with the BOS), got $got" ;; esac

# generation_config.json's eos_token_id list ends generation at any of its ids: dev-tiny's
# greedy first token after "Hello world" is 6720; listed, it ends the answer at once.
d="$TMP/tiny-eos"
mkdir -p "$d"
ln -s "$TINY/config.json" "$TINY/model.safetensors" "$TINY/vocab.json" "$TINY/merges.txt" "$d/"
printf '{"eos_token_id": [50256, 6720]}' >"$d/generation_config.json"
got=$("$GPT" generate -m "$d" -p 'Hello world' -n 4 --temperature 0 --format jsonl)
expect_eq "eos_token_id list" "$got" '{"completion":"","tokens":[],"finish_reason":"eos","usage":{"prompt_tokens":2,"completion_tokens":0}}'

# 100 kB of one letter, of spaces, of one emoji: linear, not a hang (10 s is a generous bound).
head -c 100000 /dev/zero | tr '\0' a >"$TMP/letters.txt"
head -c 100000 /dev/zero | tr '\0' ' ' >"$TMP/spaces.txt"
i=0; : >"$TMP/emoji.txt"
while [ $i -lt 250 ]; do printf '\360\237\230\200%.0s' $(seq 100) >>"$TMP/emoji.txt"; i=$((i + 1)); done
for name in llama3 qwen3 llama2; do
    for f in letters spaces emoji; do
        expect_status "$name on 100 kB of $f" 0 timeout 10 "$GPT" tokenize -m "$TK/$name" <"$TMP/$f.txt"
        n=$(wc -w <"$TMP/out")
        [ "$n" -ge 1 ] || fail "$name on 100 kB of $f: no ids"
    done
done
# Their round trip is exact where the tokenizer adds nothing (Llama 3).
for f in letters spaces emoji; do
    tok llama3 <"$TMP/$f.txt" | "$GPT" detokenize -m "$TK/llama3" >"$TMP/back"
    expect_file_eq "llama3 round trip of $f" "$TMP/back" "$TMP/$f.txt"
done
finish
