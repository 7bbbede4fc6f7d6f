# test_hostile.sh — a table of corrupted or hostile inputs, built here from
# the dev-tiny fixture: each must give its exit status and a one-line message
# naming the problem, never a crash, a hang or a silent answer.
. "$(dirname "$0")/lib.sh"

# model DIR: a fresh copy of dev-tiny in $TMP/DIR (links for files left alone).
model() {
    d="$TMP/$1"
    mkdir -p "$d"
    for f in config.json model.safetensors vocab.json merges.txt; do ln -sf "$TINY/$f" "$d/$f"; done
    echo "$d"
}
# own DIR FILE: replace a link by a private copy, to be changed.
own() { rm -f "$1/$2"; cp "$TINY/$2" "$1/$2"; chmod u+w "$1/$2"; }
# config DIR SED: edit config.json.
config() { own "$1" config.json; sed -i "$2" "$1/config.json"; }

# hostile NAME STATUS NEEDLE COMMAND...: the exit status, one stderr line that
# contains NEEDLE (a fixed string), and no sign of a crash.
n_cases=0
hostile() {
    name=$1 want=$2 needle=$3
    shift 3
    n_cases=$((n_cases + 1))
    if [ "$1" = gen ]; then  # the usual generate call, against model directory $2
        shift
        set -- "$GPT" generate -n 2 --temperature 0 -p Hello -m "$@"
    elif [ "$1" = ids ]; then  # the same with token ids (the Llama-shaped fixtures have no tokenizer)
        shift
        set -- "$GPT" generate --ids -n 2 --temperature 0 -p "1 2 3" -m "$@"
    fi
    set +e
    timeout 60 "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
    got=$?
    set -e
    if [ "$got" != "$want" ]; then
        fail "$name: exit status $got, want $want"
        head -3 "$TMP/err" | sed 's/^/  stderr: /' >&2
        return
    fi
    if [ -n "$needle" ] && ! grep -qF -- "$needle" "$TMP/err"; then
        fail "$name: stderr does not say '$needle': $(cat "$TMP/err")"
    fi
    # One line for a runtime error; a usage error adds the usage text after it.
    if [ "$want" = 1 ] && [ "$(wc -l <"$TMP/err")" != 1 ]; then
        fail "$name: want one line on stderr, got $(wc -l <"$TMP/err"): $(head -3 "$TMP/err")"
    fi
}


# --- config.json ---
hostile "missing directory" 1 "$TMP/nope" gen "$TMP/nope"
d=$(model noconfig); rm "$d/config.json"
hostile "no config.json" 1 "config.json" gen "$d"
d=$(model badjson); own "$d" config.json; echo '{"n_layer": 2,' >"$d/config.json"
hostile "config.json not JSON" 1 "config.json: not a JSON object" gen "$d"
d=$(model nhead); config "$d" 's/"n_head": 4/"n_head": 5/'
hostile "n_head does not divide n_embd" 1 "n_head 5 does not divide n_embd 32" gen "$d"
# n_inner past CONFIG_MAX_N_INNER (4 x 65536, what fuzz_config asserts) is refused
# by config.c itself, with the range, not accepted up to 2^20.
d=$(model inner); config "$d" 's/"n_inner": null/"n_inner": 300000/'
hostile "n_inner past the bound" 1 "n_inner is malformed (want an integer in 1..262144)" gen "$d"
d=$(model act); config "$d" 's/"gelu_new"/"relu"/'
hostile "unsupported activation" 1 'activation_function "relu"' gen "$d"
d=$(model scale); config "$d" 's/"scale_attn_by_inverse_layer_idx": false/"scale_attn_by_inverse_layer_idx": true/'
hostile "scale_attn_by_inverse_layer_idx" 1 "scale_attn_by_inverse_layer_idx" gen "$d"
d=$(model mtype); config "$d" 's/"model_type": "gpt2"/"model_type": "llama"/'
hostile "GPT-2 fields under model_type llama" 1 'config.json: num_hidden_layers is missing' gen "$d"
d=$(model nolayer); config "$d" '/"n_layer"/d'
hostile "n_layer missing" 1 "n_layer is missing" gen "$d"
d=$(model neglayer); config "$d" 's/"n_layer": 2/"n_layer": -1/'
hostile "n_layer negative" 1 "n_layer is malformed" gen "$d"
# 1e-85 is positive as a double and 0 as the float layernorm adds (found by fuzz_config).
d=$(model eps); config "$d" 's/"layer_norm_epsilon": 1e-05/"layer_norm_epsilon": 1e-85/'
hostile "layer_norm_epsilon 0 as a float" 1 "layer_norm_epsilon must be a number in (0, 1), at least" gen "$d"
d=$(model vocab); config "$d" 's/"vocab_size": 50257/"vocab_size": 50300/'
hostile "vocab_size against wte" 1 "transformer.wte.weight has shape [50257,32], config wants [50300,32]" gen "$d"
d=$(model layers); config "$d" 's/"n_layer": 2/"n_layer": 3/'
hostile "more layers than tensors" 1 "no tensor transformer.h.2" gen "$d"
d=$(model embd); config "$d" 's/"n_embd": 32/"n_embd": 64/'
hostile "n_embd against the tensors" 1 "config wants [50257,64]" gen "$d"

# --- the Llama-shaped families (dev-llama: 4 heads, 2 kv heads, head_dim 16) ---
LLAMA="$ROOT/tests/golden/dev-llama"
# llama DIR SED: a copy of dev-llama in $TMP/DIR with config.json edited by SED.
llama() {
    d="$TMP/$1"
    mkdir -p "$d"
    for f in model.safetensors generation_config.json; do ln -sf "$LLAMA/$f" "$d/$f"; done
    sed "$2" "$LLAMA/config.json" >"$d/config.json"
    echo "$d"
}
d=$(llama kvheads 's/"num_key_value_heads": 2/"num_key_value_heads": 3/')
hostile "kv heads do not divide heads" 1 "config.json: num_key_value_heads 3 does not divide num_attention_heads 4" ids "$d"
d=$(llama headdim 's/"head_dim": 16/"head_dim": 8/')
hostile "head_dim x heads against q_proj" 1 "model.layers.0.self_attn.q_proj.weight has shape [64,64], config wants [32,64]" ids "$d"
d=$(llama layers3 's/"num_hidden_layers": 2/"num_hidden_layers": 3/')
hostile "missing tensor" 1 "the checkpoint has no tensor model.layers.2.input_layernorm.weight" ids "$d"
# A key given twice means its last value, as Python's json (so HF) reads it:
# three layers where the file holds two.
d=$(llama twice 's/^}$/, "num_hidden_layers": 3}/')
hostile "a key given twice (the last counts)" 1 "the checkpoint has no tensor model.layers.2.input_layernorm.weight" ids "$d"
# ... but a vocabulary keeps its own rule, in vocab.json as in tokenizer.json's
# fast scan: a token given twice is refused, even with the same id.
d=$(model dupvocab); own "$d" vocab.json
sed -i 's/}$/, "Hello": 15496}/' "$d/vocab.json"
hostile "a token given twice in vocab.json" 1 "vocab.json: id 15496 is given to two tokens" gen "$d"
d=$(llama theta0 's/"rope_theta": 500000/"rope_theta": 0/')
hostile "rope_theta 0" 1 "config.json: rope_theta must be a number > 0" ids "$d"
d=$(llama thetaneg 's/"rope_theta": 500000/"rope_theta": -1e4/')
hostile "rope_theta negative" 1 "config.json: rope_theta must be a number > 0" ids "$d"
d=$(llama ropewild 's/"rope_type": "llama3"/"rope_type": "wild"/')
hostile "unknown rope_scaling type" 1 'config.json: rope_scaling type "wild" is not supported' ids "$d"
d=$(llama yarn 's/"rope_type": "llama3"/"rope_type": "yarn"/')
hostile "rope_scaling yarn refused" 1 'config.json: rope_scaling type "yarn" is not supported' ids "$d"
d=$(llama dynamic 's/"rope_type": "llama3"/"type": "dynamic"/')
hostile "rope_scaling dynamic (old key) refused" 1 'config.json: rope_scaling type "dynamic" is not supported' ids "$d"
d=$(llama bands 's/"high_freq_factor": 4.0/"high_freq_factor": 1.0/')
hostile "llama3 bands high <= low" 1 "config.json: rope_scaling low_freq_factor and high_freq_factor" ids "$d"
d=$(llama act 's/"hidden_act": "silu"/"hidden_act": "gelu"/')
hostile "hidden_act gelu" 1 'config.json: hidden_act "gelu" is not supported' ids "$d"
d=$(llama phi 's/"model_type": "llama"/"model_type": "phi3"/')
hostile "unknown model_type" 1 'config.json: model_type "phi3" is not supported' ids "$d"
d=$(llama tied 's/"tie_word_embeddings": false/"tie_word_embeddings": true/')
hostile "tied but lm_head differs" 1 "lm_head.weight differs from model.embed_tokens.weight" ids "$d"
d=$(llama eos 's/"eos_token_id": 2/"eos_token_id": [2, 1000]/')
hostile "eos id past the vocabulary" 1 "config.json: bos_token_id/eos_token_id must be ids below vocab_size 1000" ids "$d"
d=$(llama quant 's/"use_cache": true/"use_cache": true, "quantization_config": {"quant_method": "gptq"}/')
hostile "quantization_config refused" 1 "config.json: quantization_config is not supported" ids "$d"

# --- model.safetensors ---
d=$(model noweights); rm "$d/model.safetensors"
hostile "no weights" 1 "no model.safetensors or model.safetensors.index.json" gen "$d"
d=$(model pickles); rm "$d/model.safetensors"; printf 'PK' >"$d/pytorch_model.bin"
hostile "only pytorch_model.bin" 1 "(pytorch_model.bin is PyTorch's pickle format, which gpt does not read: convert it to safetensors)" gen "$d"
d=$(model short); rm "$d/model.safetensors"; printf 'abcd' >"$d/model.safetensors"
hostile "4-byte safetensors" 1 "too short" gen "$d"
d=$(model hugeheader); own "$d" model.safetensors
printf '\377\377\377\377\377\377\377\177' | dd of="$d/model.safetensors" conv=notrunc 2>/dev/null
hostile "header length past the file" 1 "header length" gen "$d"
d=$(model zeroheader); own "$d" model.safetensors
printf '\000\000\000\000\000\000\000\000' | dd of="$d/model.safetensors" conv=notrunc 2>/dev/null
hostile "header length 0" 1 "header length 0" gen "$d"
d=$(model garbage); own "$d" model.safetensors
printf 'not json at all' | dd of="$d/model.safetensors" bs=1 seek=8 conv=notrunc 2>/dev/null
hostile "header not JSON" 1 "header is not a JSON object" gen "$d"
d=$(model truncated); rm "$d/model.safetensors"; head -c 3000000 "$TINY/model.safetensors" >"$d/model.safetensors"
hostile "truncated file" 1 "fall outside" gen "$d"
# 64 GB (sparse: no disk) is more than the machine's memory, so a loader that
# read the file before its header's length would refuse it for memory, not
# for the header (as it did, after 8-55 s of reading at 10 GB).
d=$(model sparse); rm "$d/model.safetensors"; truncate -s 64G "$d/model.safetensors"
hostile "64 GB sparse file" 1 "header length 0" gen "$d"
# dtype and shape lies, same length so the header still fits.
d=$(model dtype); own "$d" model.safetensors
sed -i '0,/"transformer.ln_f.weight":{"dtype":"F32"/s//"transformer.ln_f.weight":{"dtype":"I32"/' "$d/model.safetensors"
hostile "bound tensor of dtype I32" 1 "transformer.ln_f.weight" gen "$d"
d=$(model shape); own "$d" model.safetensors
sed -i '0,/"transformer.ln_f.weight":{"dtype":"F32","shape":\[32\]/s//"transformer.ln_f.weight":{"dtype":"F32","shape":[64]/' "$d/model.safetensors"
hostile "shape against offsets" 1 "data_offsets span" gen "$d"
# A vector stored as a [32,1] matrix (two characters of the metadata give
# way, so the header keeps its length): the message prints both dimensions.
d=$(model rank2); own "$d" model.safetensors
sed -i -e '0,/"format":"pt"/s//"format":""/' \
    -e '0,/"transformer.ln_f.weight":{"dtype":"F32","shape":\[32\]/s//"transformer.ln_f.weight":{"dtype":"F32","shape":[32,1]/' \
    "$d/model.safetensors"
hostile "a vector of rank 2" 1 "transformer.ln_f.weight has shape [32,1], config wants [32]" gen "$d"
# JSON that cJSON alone would take and HF's readers refuse: a NUL between
# members (cJSON skips every control character as whitespace), and bytes
# after the header's object (its padding's first space made an x).
d=$(model nulheader); own "$d" model.safetensors
sed -i '0,/"format":"pt"}/s//"format":"p"}\x00/' "$d/model.safetensors"
hostile "a NUL in the header" 1 "model.safetensors: header is not a JSON object" gen "$d"
d=$(model tailheader); own "$d" model.safetensors
hlen=$(od -An -tu8 -N8 "$d/model.safetensors" | tr -d ' ')
printf 'x' | dd of="$d/model.safetensors" bs=1 seek=$((8 + hlen - 3)) conv=notrunc 2>/dev/null
hostile "bytes after the header's object" 1 "model.safetensors: header is not a JSON object" gen "$d"
# Two tensors sharing bytes: ln_f.weight moved 4 bytes back into the tensor
# before it (the loader rewrites matrices in place, which would change the
# other). Spaces keep the header's length.
d=$(model overlap); own "$d" model.safetensors
hlen=$(od -An -tu8 -N8 "$d/model.safetensors" | tr -d ' ')
offs=$(head -c $((8 + hlen)) "$d/model.safetensors" | tail -c "$hlen" |
    sed 's/.*"transformer.ln_f.weight":{[^}]*"data_offsets":\[\([0-9]*\),\([0-9]*\)\].*/\1 \2/')
set -- $offs
old="[$1,$2]" new="[$(($1 - 4)),$(($2 - 4))]"
while [ ${#new} -lt ${#old} ]; do new="[ ${new#[}"; done
sed -i "0,/\"transformer.ln_f.weight\":{\([^}]*\)\"data_offsets\":\[$1,$2\]/s//\"transformer.ln_f.weight\":{\1\"data_offsets\":$new/" \
    "$d/model.safetensors"
hostile "tensors sharing bytes" 1 "share data bytes" gen "$d"

# --- sharded index ---
d=$(model escape); rm "$d/model.safetensors"
printf '{"weight_map": {"transformer.wte.weight": "../evil.safetensors"}}' >"$d/model.safetensors.index.json"
hostile "shard path escape" 1 "shard name must be a file in" gen "$d"
d=$(model badindex); rm "$d/model.safetensors"; printf '[1, 2' >"$d/model.safetensors.index.json"
hostile "index not JSON" 1 "weight_map" gen "$d"
d=$(model noshard); rm "$d/model.safetensors"
printf '{"weight_map": {"transformer.wte.weight": "model-00001-of-00002.safetensors"}}' >"$d/model.safetensors.index.json"
hostile "missing shard" 1 "model-00001-of-00002.safetensors" gen "$d"

# --- tokenizer files ---
d=$(model emptyvocab); rm "$d/vocab.json"; : >"$d/vocab.json"
hostile "empty vocab.json" 1 "vocab.json" gen "$d"
d=$(model badmerges); rm "$d/merges.txt"; printf '#version: 0.2\n\304\240 t\nthree token line\n' >"$d/merges.txt"
hostile "merges.txt bad line" 1 "merges.txt: line 3" gen "$d"
d=$(model nomerges); rm "$d/merges.txt"
hostile "vocab.json without merges.txt" 1 "merges.txt" gen "$d"

# --- tokenizer.json (tokenize reads only the tokenizer files) ---
# tj NAME JSON: a directory holding only that tokenizer.json.
tj() { mkdir -p "$TMP/$1"; printf '%s' "$2" >"$TMP/$1/tokenizer.json"; echo "$TMP/$1"; }
BPE='"type":"BPE","vocab":{"a":0,"b":1,"ab":2},"merges":["a b"]'
hostile "tokenizer.json not JSON" 1 "tokenizer.json: not a JSON object" "$GPT" tokenize -m "$(tj tjbad '{"model": {')"
hostile "merge of unknown tokens" 1 'model.merges[0]: "a c" names a token not in the vocabulary' \
    "$GPT" tokenize -m "$(tj tjmerge '{"model":{"type":"BPE","vocab":{"a":0,"b":1},"merges":["a c"]}}')"
hostile "an id given twice" 1 "id 0 is given to two tokens" \
    "$GPT" tokenize -m "$(tj tjtwice '{"model":{"type":"BPE","vocab":{"a":0,"b":0},"merges":[]}}')"
hostile "added token clashing with the vocabulary" 1 'added_tokens[0]: id 1 is "b" in model.vocab but "<s>" here' \
    "$GPT" tokenize -m "$(tj tjadded "{\"model\":{$BPE},\"added_tokens\":[{\"id\":1,\"content\":\"<s>\"}]}")"
hostile "regex that does not compile" 1 "pre_tokenizer Split.pattern.Regex: does not compile" \
    "$GPT" tokenize -m "$(tj tjregex "{\"model\":{$BPE},\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"Regex\":\"(a\"},\"behavior\":\"Isolated\"}}")"
hostile "byte fallback without its byte tokens" 1 "model.vocab has no token <0x00> (byte fallback needs all 256)" \
    "$GPT" tokenize -m "$(tj tjfallback '{"model":{"type":"BPE","vocab":{"a":0},"merges":[],"byte_fallback":true}}')"
hostile "ByteLevel without its byte tokens" 1 "no token for byte 0x00 (ByteLevel needs all 256)" \
    "$GPT" tokenize -m "$(tj tjbytes "{\"model\":{$BPE},\"pre_tokenizer\":{\"type\":\"ByteLevel\"}}")"
hostile "unknown pre_tokenizer" 1 'pre_tokenizer type "UnicodeScripts" is not supported' \
    "$GPT" tokenize -m "$(tj tjpre "{\"model\":{$BPE},\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"UnicodeScripts\"}]}}")"
hostile "unknown normalizer" 1 'normalizer type "Precompiled" is not supported' \
    "$GPT" tokenize -m "$(tj tjnorm "{\"model\":{$BPE},\"normalizer\":{\"type\":\"Precompiled\"}}")"
hostile "unknown decoder" 1 'decoder type "WordPiece" is not supported' \
    "$GPT" tokenize -m "$(tj tjdec "{\"model\":{$BPE},\"decoder\":{\"type\":\"WordPiece\"}}")"
hostile "unknown post_processor" 1 'post_processor type "RobertaProcessing" is not supported' \
    "$GPT" tokenize -m "$(tj tjpost "{\"model\":{$BPE},\"post_processor\":{\"type\":\"RobertaProcessing\"}}")"
# A post-processor id that no token has (ids 0-2 and 4, not 3): encode would
# give 3, which nothing decodes (a fuzz finding).
hostile "post_processor id that is no token" 1 'special token "<s>" has id 3, which is no token' \
    "$GPT" tokenize -m "$(tj tjhole '{"model":{"type":"BPE","vocab":{"a":0,"b":1,"ab":2,"c":4},"merges":["a b"]},"post_processor":{"type":"TemplateProcessing","single":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}}],"special_tokens":{"<s>":{"id":"<s>","ids":[3],"tokens":["<s>"]}}}}')"
hostile "unknown model" 1 'model type "Unigram" is not supported' \
    "$GPT" tokenize -m "$(tj tjmodel '{"model":{"type":"Unigram","vocab":[]}}')"
hostile "BPE dropout" 1 "model.dropout is not supported" \
    "$GPT" tokenize -m "$(tj tjdrop '{"model":{"type":"BPE","vocab":{"a":0},"merges":[],"dropout":0.1}}')"
hostile "Split without a behavior" 1 "pre_tokenizer Split.behavior" \
    "$GPT" tokenize -m "$(tj tjbeh "{\"model\":{$BPE},\"pre_tokenizer\":{\"type\":\"Split\",\"pattern\":{\"String\":\"a\"},\"behavior\":\"Sideways\"}}")"
d=$(tj tjcfg "{\"model\":{$BPE}}"); printf '{"eos_token": "</s>"}' >"$d/tokenizer_config.json"
hostile "eos_token not a token" 1 'tokenizer_config.json: eos_token "</s>" is not a token' "$GPT" tokenize -m "$d"
d=$(tj tjgen "{\"model\":{$BPE}}"); printf '{"eos_token_id": [1, 7]}' >"$d/generation_config.json"
hostile "eos_token_id past the vocabulary" 1 "generation_config.json: eos_token_id[1] is not a token id in 0..2" "$GPT" tokenize -m "$d"

# --- numbers ---
# NaN in ln_f.weight: --check refuses the model; without it the sampler
# reports the NaN logits instead of looping on garbage.
d=$(model nan); own "$d" model.safetensors
hlen=$(od -An -tu8 -N8 "$d/model.safetensors" | tr -d ' ')
off=$(head -c $((8 + hlen)) "$d/model.safetensors" | tail -c "$hlen" |
    sed 's/.*"transformer.ln_f.weight":{[^}]*"data_offsets":\[\([0-9]*\),.*/\1/')
printf '\377\377\377\177' | dd of="$d/model.safetensors" bs=1 seek=$((8 + hlen + off)) conv=notrunc 2>/dev/null
hostile "NaN weight with --check" 1 "NaN" "$GPT" generate --check -p Hello -n 2 -m "$d"
hostile "NaN logits while sampling" 1 "NaN" gen "$d"

# --- flags and resources ---
hostile "-n past the limit" 2 "-n wants" "$GPT" generate -n 99999999999 -p hi
hostile "--top-k above the vocabulary" 0 "" "$GPT" generate --top-k 100000 -n 3 -p hi
hostile "--top-p 0" 2 "--top-p" "$GPT" generate --top-p 0 -p hi
hostile "--top-p 1.5" 2 "--top-p" "$GPT" generate --top-p 1.5 -p hi
hostile "negative temperature" 2 "--temperature" "$GPT" generate --temperature -0.5 -p hi
hostile "NaN temperature" 2 "--temperature" "$GPT" generate --temperature nan -p hi
hostile "id past the vocabulary" 1 "50257" sh -c "echo 50257 | '$GPT' detokenize"
hostile "negative id for logits" 1 "-5" sh -c "echo 1 -5 | '$GPT' logits --ids"
head -c 100000000 /dev/zero | tr '\0' 'a' >"$TMP/huge.txt"
hostile "100 MB prompt" 1 "longer than the context of 512 tokens" "$GPT" generate -f "$TMP/huge.txt" -n 1

# --- --batch lines (found by tests/fuzz/fuzz_batch_line) ---
# A repeated key: the last one wins and the value it replaces is freed (a
# leak before, which make test-asan's LeakSanitizer turns into a failure).
printf '%s\n' '{"prompt":"Hi","id":1,"id":2,"stop":"a","stop":["b"],"max_tokens":1}' >"$TMP/repeat.jsonl"
hostile "repeated keys in a batch line" 0 "" sh -c "'$GPT' generate --batch <'$TMP/repeat.jsonl'"
grep -q '"index":0,"id":2,' "$TMP/out" || fail "repeated \"id\": want the last one, got: $(cat "$TMP/out")"

[ "$n_cases" -ge 25 ] || fail "only $n_cases hostile cases"
echo "$n_cases hostile inputs checked"
finish
