# test_decoders.sh — the Llama-shaped families through the CLI, ids in and
# ids out (the fixtures have no tokenizer): greedy ids equal the float64
# reference's; "one row, one answer" bit for bit across --parallel, -t and
# the requests beside each one; gpt info; --ctx.
. "$(dirname "$0")/lib.sh"

# ref MODEL PROMPT KEY: a field of a prompt of MODEL's reference.json, ids space-separated.
ref() {
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["prompts"][int(sys.argv[2])]
v=r[sys.argv[3]]; print(" ".join(map(str, v)) if isinstance(v, list) else v)' \
        "$ROOT/tests/golden/$1/reference.json" "$2" "$3"
}

# Prompts of 3 to 121 ids: two are longer than a 64-row step, so they run
# as prompt chunks of their own while the others share steps with decoding;
# 121 crosses Mistral's window of 16 many times.
python3 - >"$TMP/prompts.txt" <<'PY'
import random
rng = random.Random(5)
for n in (3, 121, 9, 1, 40, 17, 85, 5, 64, 65):
    print(" ".join(str(rng.randrange(1000)) for _ in range(n)))
PY

for m in dev-llama dev-qwen2 dev-qwen3 dev-mistral; do
    M="$ROOT/tests/golden/$m"
    # Greedy ids through the KV cache, one token at a time, as the reference has them.
    for p in 0 1 2; do
        steps=$(ref $m $p greedy_exact_steps)
        want=$(ref $m $p greedy_ids | cut -d' ' -f1-"$steps")
        got=$("$GPT" generate -m "$M" --ids -p "$(ref $m $p input_ids)" -n "$steps" --temperature 0 --ignore-eos)
        expect_eq "$m prompt $p: greedy ids" "$got" "$want"
    done
    # logits --ids: the reference's top-1 at the last position.
    got=$(ref $m 3 input_ids | "$GPT" logits -m "$M" --ids --top 1 | tail -1 | sed 's/.*"top":\[\[\([0-9]*\),.*/\1/')
    want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["prompts"][3]["top10_ids"][-1][0])' \
        "$M/reference.json")
    expect_eq "$m: logits --ids top-1 of the last position" "$got" "$want"

    # One row, one answer: every token's log-probability, printed in full,
    # the same with --parallel 1, 3, 4 and 10 and -t 1 and 2, sampled by
    # seed (--parallel 1 runs each request alone; 3 and 4 leave batches of
    # 1 and 2 rows at the end, which AVX2 tiles apart from 3 and 4).
    for run in "1 1" "3 2" "4 1" "10 2"; do
        set -- $run
        "$GPT" generate -m "$M" --ids --batch --parallel "$1" -t "$2" -n 20 --seed 7 --ignore-eos --logprobs \
            <"$TMP/prompts.txt" >"$TMP/$m.p$1.t$2.jsonl"
    done
    expect_eq "$m: one line per request" "$(grep -c '"logprobs":\[' "$TMP/$m.p1.t1.jsonl")" 10
    for other in p3.t2 p4.t1 p10.t2; do
        expect_file_eq "$m: --parallel 1 -t 1 vs $other (logprobs bit for bit)" "$TMP/$m.p1.t1.jsonl" \
            "$TMP/$m.$other.jsonl"
    done
    # --mmap: the files mapped instead of read into memory, the same bits
    # (dev-mistral's two shards, each mapped or read).
    "$GPT" generate -m "$M" --mmap --ids --batch --parallel 4 -t 2 -n 20 --seed 7 --ignore-eos --logprobs \
        <"$TMP/prompts.txt" >"$TMP/$m.mmap.jsonl"
    expect_file_eq "$m: --mmap vs the default copy (logprobs bit for bit)" "$TMP/$m.p1.t1.jsonl" "$TMP/$m.mmap.jsonl"
done

# GPT-2's 16-bit Conv1D weights are held in column panels when read into
# memory, and in rows when mapped: the same bits either way (the bundled
# model is F16).
M="$ROOT/models/gpt2-books-30m"
for how in "" --mmap; do
    "$GPT" generate -m "$M" $how --ids --batch --parallel 4 -t 2 -n 20 --seed 7 --ignore-eos --logprobs \
        <"$TMP/prompts.txt" >"$TMP/gpt2$how.jsonl"
done
expect_eq "gpt2: one line per request" "$(grep -c '"logprobs":\[' "$TMP/gpt2.jsonl")" 10
expect_file_eq "gpt2 F16: --mmap (rows) vs the copy (column panels), logprobs bit for bit" "$TMP/gpt2.jsonl" \
    "$TMP/gpt2--mmap.jsonl"

# F32 Conv1D weights too (column panels in a copy, rows mapped), decode and
# prompts alike: a prompt of more than 64 rows runs on BLAS, on the panels
# put back in rows. A random GPT-2 whose every product is whole panels
# (320 wide: 960, 320, 1280 and 320 columns; 320 inputs are more than the
# 256-input blocks 16-bit weights widen in, and not a multiple of them),
# with 160 positions and 1000 ids (0 for begin and end of text).
make -s -C "$ROOT" build/make-random-model >/dev/null
"$ROOT/build/make-random-model" "$TMP/gpt2-f32" --layers 2 --embd 320 --heads 5 --ctx 160 --vocab 1000 --seed 3 \
    >/dev/null
sed -i 's/50256/0/' "$TMP/gpt2-f32/config.json"
for how in "" --mmap; do
    "$GPT" generate -m "$TMP/gpt2-f32" $how --ids --batch --parallel 4 -t 2 -n 20 --seed 7 --ignore-eos --logprobs \
        <"$TMP/prompts.txt" >"$TMP/gpt2-f32$how.jsonl"
    sed -n 2p "$TMP/prompts.txt" | "$GPT" logits -m "$TMP/gpt2-f32" $how --ids --top 5 -t 2 >"$TMP/gpt2-f32$how.logits"
done
expect_eq "gpt2 F32: one line per request" "$(grep -c '"logprobs":\[' "$TMP/gpt2-f32.jsonl")" 10
expect_file_eq "gpt2 F32: --mmap (rows) vs the copy (column panels), logprobs bit for bit" "$TMP/gpt2-f32.jsonl" \
    "$TMP/gpt2-f32--mmap.jsonl"
expect_eq "gpt2 F32: a logits line per position of the 121-id prompt" "$(grep -c '"top":' "$TMP/gpt2-f32.logits")" 121
expect_file_eq "gpt2 F32: --mmap vs the copy, a 121-row prompt's logits bit for bit" "$TMP/gpt2-f32.logits" \
    "$TMP/gpt2-f32--mmap.logits"

# The same with Q8 weights (quantized at load; q/k/v/o and the MLP as nn.Linear rows).
M="$ROOT/tests/golden/dev-llama"
"$GPT" generate -m "$M" --quant q8 --ids --batch --parallel 1 -t 1 -n 12 --seed 7 --ignore-eos --logprobs \
    <"$TMP/prompts.txt" >"$TMP/q8.p1.jsonl"
"$GPT" generate -m "$M" --quant q8 --ids --batch --parallel 10 -t 2 -n 12 --seed 7 --ignore-eos --logprobs \
    <"$TMP/prompts.txt" >"$TMP/q8.p10.jsonl"
expect_eq "dev-llama q8: one line per request" "$(grep -c '"logprobs":\[' "$TMP/q8.p1.jsonl")" 10
expect_file_eq "dev-llama q8: --parallel 1 -t 1 vs --parallel 10 -t 2 (logprobs bit for bit)" "$TMP/q8.p1.jsonl" \
    "$TMP/q8.p10.jsonl"

# One row after 128 positions splits its attention over the threads (the
# scores by position, the softmax by head, the weighted sums by columns of
# the output): the same bits as one thread, and as rows beside others.
# dev-mistral's window widened to 140 runs the split from a window's start.
python3 - >"$TMP/long.txt" <<'PY'
import random
rng = random.Random(9)
for n in (130, 200, 231):
    print(" ".join(str(rng.randrange(1000)) for _ in range(n)))
PY
mkdir -p "$TMP/wide-window"
cp "$ROOT"/tests/golden/dev-mistral/*.safetensors* "$TMP/wide-window/"
sed 's/"sliding_window": 16/"sliding_window": 140/' "$ROOT/tests/golden/dev-mistral/config.json" \
    >"$TMP/wide-window/config.json"
grep -q '"sliding_window": 140' "$TMP/wide-window/config.json" || fail "wide-window: config.json not rewritten"
# The same with --cache-type f16 (keys and values cached as halves, read
# through the kernels' F16 loads): one row, one answer again, and answers
# that differ from the float cache's (the flag is not ignored).
for m in golden/dev-llama golden/dev-qwen2 golden/dev-qwen3 wide-window; do
    case $m in golden/*) M="$ROOT/tests/$m" ;; *) M="$TMP/$m" ;; esac
    for cache in f32 f16; do
        for run in "1 1" "1 2" "3 2"; do
            set -- $run
            "$GPT" generate -m "$M" --cache-type $cache --ids --batch --parallel "$1" -t "$2" -n 24 --seed 7 \
                --ignore-eos --logprobs <"$TMP/long.txt" >"$TMP/long.$cache.p$1.t$2.jsonl"
        done
        expect_eq "$m $cache long prompts: one line per request" \
            "$(grep -c '"logprobs":\[' "$TMP/long.$cache.p1.t1.jsonl")" 3
        for other in p1.t2 p3.t2; do
            expect_file_eq "$m $cache long prompts: --parallel 1 -t 1 vs $other (logprobs bit for bit)" \
                "$TMP/long.$cache.p1.t1.jsonl" "$TMP/long.$cache.$other.jsonl"
        done
    done
    cmp -s "$TMP/long.f32.p1.t1.jsonl" "$TMP/long.f16.p1.t1.jsonl" &&
        fail "$m: --cache-type f16 gave the float cache's logprobs bit for bit (the flag did nothing)"
done

# make-random-model's other families, as its presets write them at the real
# shapes (scripts/bench.sh): a Qwen3 whose heads of 40 are wider than hidden /
# heads (64 / 4) with q/k norms, and a Llama with Llama-3.2's rope scaling.
# One row, one answer across --parallel, -t and --mmap, in BF16 and Q8.
"$ROOT/build/make-random-model" "$TMP/qwen3" --arch qwen3 --layers 2 --embd 64 --heads 4 --kv-heads 2 \
    --head-dim 40 --inner 96 --ctx 160 --vocab 1000 --dtype BF16 --seed 4 >/dev/null
"$ROOT/build/make-random-model" "$TMP/llama3" --arch llama --rope-llama3 --layers 2 --embd 64 --heads 4 \
    --kv-heads 1 --inner 96 --ctx 160 --vocab 1000 --dtype BF16 --seed 4 >/dev/null
"$GPT" info -m "$TMP/qwen3" >"$TMP/info" 2>&1 || true
grep -q '^family: *qwen3 (RMSNorm, rotary positions, gated SiLU MLP, q/k norms)$' "$TMP/info" &&
    grep -q '^heads: *4 query, 2 kv (groups of 2; head size 40)$' "$TMP/info" || fail "random qwen3 info: $(cat "$TMP/info")"
"$GPT" info -m "$TMP/llama3" | grep -q '^rope: *theta 500000, llama3 scaling (factor 32, low 1, high 4, original 8192)$' ||
    fail "random llama3 info: $("$GPT" info -m "$TMP/llama3")"
for m in qwen3 llama3; do
    for q in "" "--quant q8"; do
        "$GPT" generate -m "$TMP/$m" $q --ids --batch --parallel 1 -t 1 -n 12 --seed 7 --ignore-eos --logprobs \
            <"$TMP/prompts.txt" >"$TMP/r.p1.jsonl"
        "$GPT" generate -m "$TMP/$m" $q --ids --batch --parallel 10 -t 2 -n 12 --seed 7 --ignore-eos --logprobs \
            <"$TMP/prompts.txt" >"$TMP/r.p10.jsonl"
        "$GPT" generate -m "$TMP/$m" $q --mmap --ids --batch --parallel 4 -t 2 -n 12 --seed 7 --ignore-eos --logprobs \
            <"$TMP/prompts.txt" >"$TMP/r.mmap.jsonl"
        expect_eq "random $m $q: one line per request" "$(grep -c '"logprobs":\[' "$TMP/r.p1.jsonl")" 10
        expect_file_eq "random $m $q: --parallel 1 -t 1 vs --parallel 10 -t 2 (logprobs bit for bit)" \
            "$TMP/r.p1.jsonl" "$TMP/r.p10.jsonl"
        expect_file_eq "random $m $q: --mmap vs the copy (logprobs bit for bit)" "$TMP/r.p1.jsonl" "$TMP/r.mmap.jsonl"
    done
done

# A request the library refuses once the flags have passed (top_logprobs 60
# of a 50-token vocabulary; the flag allows up to 100): in jsonl its error
# record on stdout, the same line on stderr (stderr said nothing before),
# exit status 1.
"$ROOT/build/make-random-model" "$TMP/vocab50" --arch llama --layers 1 --embd 64 --heads 4 --inner 96 --ctx 64 \
    --vocab 50 >/dev/null
set +e
"$GPT" generate -m "$TMP/vocab50" --ids -p "1 2 3" -n 2 --format jsonl --top-logprobs 60 >"$TMP/out" 2>"$TMP/err"
status=$?
set -e
expect_eq "a request the library refuses, jsonl: exit status" "$status" 1
expect_eq "a request the library refuses, jsonl: stdout" "$(cat "$TMP/out")" '{"error":"top_logprobs 60 is outside 0..50"}'
expect_eq "a request the library refuses, jsonl: stderr" "$(cat "$TMP/err")" "gpt: top_logprobs 60 is outside 0..50"

# End of text: any id of eos_token_id, as an int or a list, from config.json
# or generation_config.json. dev-llama's greedy run from 999 is 230 404 490 ...:
# with eos [2, 404] in generation_config.json it stops after 230.
E="$TMP/eos-list"
mkdir -p "$E"
ln -s "$ROOT/tests/golden/dev-llama/model.safetensors" "$E/model.safetensors"
cp "$ROOT/tests/golden/dev-llama/config.json" "$E/config.json"
printf '{"bos_token_id": 1, "eos_token_id": [2, 404]}\n' >"$E/generation_config.json"
"$GPT" generate -m "$E" --ids -p 999 -n 8 --temperature 0 --format jsonl >"$TMP/eos.jsonl"
grep -q '"tokens":\[230\],"finish_reason":"eos"' "$TMP/eos.jsonl" || fail "eos list in generation_config.json: $(cat "$TMP/eos.jsonl")"
sed -i 's/"eos_token_id": 2,/"eos_token_id": [2, 490],/' "$E/config.json"
printf '{"bos_token_id": 1}\n' >"$E/generation_config.json"
"$GPT" generate -m "$E" --ids -p 999 -n 8 --temperature 0 --format jsonl >"$TMP/eos.jsonl"
grep -q '"tokens":\[230,404\],"finish_reason":"eos"' "$TMP/eos.jsonl" || fail "eos list in config.json: $(cat "$TMP/eos.jsonl")"
"$GPT" generate -m "$E" --ids -p 999 -n 8 --temperature 0 --format jsonl --ignore-eos >"$TMP/eos.jsonl"
grep -q '"tokens":\[230,404,490,968,276,867,230,800\],"finish_reason":"length"' "$TMP/eos.jsonl" ||
    fail "--ignore-eos past an eos list: $(cat "$TMP/eos.jsonl")"

# gpt info names the family and its switches, and sizes the cache for --ctx.
"$GPT" info -m "$ROOT/tests/golden/dev-llama" --ctx 100 >"$TMP/info"
grep -q '^family: *llama (RMSNorm, rotary positions, gated SiLU MLP)$' "$TMP/info" || fail "info family: $(cat "$TMP/info")"
grep -q '^heads: *4 query, 2 kv (groups of 2; head size 16)$' "$TMP/info" || fail "info heads: $(cat "$TMP/info")"
grep -q '^rope: *theta 500000, llama3 scaling (factor 8, low 1, high 4, original 64)$' "$TMP/info" ||
    fail "info rope: $(cat "$TMP/info")"
# 2 (k, v) x 2 layers x 100 positions x 2 kv heads x 16 x 4 bytes = 51200
"$GPT" info -m "$ROOT/tests/golden/dev-llama" --ctx 100 --format json | grep -q '"ctx":100,"kv_cache_bytes":51200[,}]' ||
    fail "info kv_cache_bytes for --ctx 100: $("$GPT" info -m "$ROOT/tests/golden/dev-llama" --ctx 100 --format json)"
# --cache-type f16: half the bytes (2 bytes where 4 were)
"$GPT" info -m "$ROOT/tests/golden/dev-llama" --ctx 100 --cache-type f16 --format json |
    grep -q '"ctx":100,"kv_cache_bytes":25600,"cache_type":"f16"[,}]' ||
    fail "info kv_cache_bytes for --ctx 100 --cache-type f16: $("$GPT" info -m "$ROOT/tests/golden/dev-llama" --ctx 100 --cache-type f16 --format json)"
# -v says what cache was made: 3 sequences x 100 positions x 25600 / 100 bytes
"$GPT" -v generate -m "$ROOT/tests/golden/dev-llama" --ctx 100 --cache-type f16 --ids --batch --parallel 3 -n 1 \
    </dev/null >/dev/null 2>"$TMP/v.err"
grep -q '^gpt: KV cache: 0.1 MB (3 sequences x 100 positions, F16)$' "$TMP/v.err" ||
    fail "-v KV cache line: $(grep 'KV' "$TMP/v.err")"
"$GPT" info -m "$ROOT/tests/golden/dev-mistral" | grep -q '^window: *16 positions (layers 0..1)$' ||
    fail "info window: $("$GPT" info -m "$ROOT/tests/golden/dev-mistral")"
"$GPT" info -m "$ROOT/tests/golden/dev-qwen2" | grep -q '^head: *tied to the embeddings$' ||
    fail "info tied: $("$GPT" info -m "$ROOT/tests/golden/dev-qwen2")"

# --ctx: the context allocated; beyond it, the usual context errors.
Q="$ROOT/tests/golden/dev-qwen2"
expect_status "--ctx past the model's context" 1 "$GPT" generate -m "$Q" --ids -p 5 --ctx 257
grep -q "ctx 257 exceeds the model's context of 256" "$TMP/err" || fail "--ctx 257: $(cat "$TMP/err")"
expect_status "prompt longer than --ctx" 1 "$GPT" generate -m "$Q" --ids -p "1 2 3 4 5 6 7 8 9" --ctx 8
grep -q "prompt has 9 tokens, the context holds 8" "$TMP/err" || fail "prompt past --ctx: $(cat "$TMP/err")"
echo "1 2 3 4 5" | "$GPT" generate -m "$Q" --ids --batch --ctx 8 -n 10 --ignore-eos >"$TMP/ctx.jsonl"
grep -q '"finish_reason":"context","usage":{"prompt_tokens":5,"completion_tokens":4}' "$TMP/ctx.jsonl" ||
    fail "finish_reason context at --ctx 8: $(cat "$TMP/ctx.jsonl")"
expect_status "--ids with --stop" 2 "$GPT" generate -m "$Q" --ids -p 5 --stop x
expect_status "--ids with a word" 1 "$GPT" generate -m "$Q" --ids -p "5 six"
grep -q "prompt: 'six' is not a token id in 0..999" "$TMP/err" || fail "--ids word: $(cat "$TMP/err")"
# -v with --ids: no text streams out, so no first-token time (it used to be
# the end of generation, and the decode rate a million tokens/s).
"$GPT" -v generate -m "$Q" --ids -p "5 6 7" -n 4 --ignore-eos --seed 1 >/dev/null 2>"$TMP/v.err"
grep -q '^gpt: prompt 3 tokens; generated 4 tokens; total .* s (with --ids the first token.s time is not seen)$' \
    "$TMP/v.err" || fail "-v summary with --ids: $(tail -1 "$TMP/v.err")"
# Tensors config.json leaves unread load as HF loads them, with a warning
# naming the first: layers past num_hidden_layers, or a name nothing binds.
# Buffers HF skips too (rotary_emb.inv_freq) are not counted.
U="$TMP/unused"
mkdir -p "$U"
cp "$ROOT/tests/golden/dev-llama/"*.json "$U/"
sed -i 's/"num_hidden_layers": 2,/"num_hidden_layers": 1,/' "$U/config.json"
cp "$ROOT/tests/golden/dev-llama/model.safetensors" "$U/"
expect_status "a checkpoint with a layer past num_hidden_layers" 0 "$GPT" generate -m "$U" --ids -p "5 6" -n 2
expect_eq "the unused layer's warning" "$(cat "$TMP/err")" \
    "gpt: warning: $U: config.json leaves 9 of the checkpoint's tensors unused (the first: model.layers.1.input_layernorm.weight)"
"$GPT" info -m "$U" --format json 2>/dev/null | grep -q '"unused_tensors":9[,}]' ||
    fail "info unused_tensors: $("$GPT" info -m "$U" --format json 2>&1)"
# with_tensors DIR NAME...: DIR/model.safetensors gains an F32 tensor [4] per NAME.
with_tensors() {
    python3 - "$@" <<'PY'
import json, struct, sys
path = sys.argv[1] + "/model.safetensors"
raw = open(path, "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
for name in sys.argv[2:]:
    header[name] = {"dtype": "F32", "shape": [4], "data_offsets": [len(data), len(data) + 16]}
    data += struct.pack("<4f", 1, 2, 3, 4)
text = json.dumps(header).encode()
text += b" " * (-(8 + len(text)) % 8)  # padded as HF's writer pads it
open(path, "wb").write(struct.pack("<Q", len(text)) + text + data)
PY
}
cp "$ROOT/tests/golden/dev-llama/config.json" "$U/"
cp "$ROOT/tests/golden/dev-llama/model.safetensors" "$U/"
with_tensors "$U" model.layers.0.self_attn.rotary_emb.inv_freq model.layers.1.self_attn.rotary_emb.inv_freq
expect_status "a checkpoint with rotary_emb.inv_freq" 0 "$GPT" generate -m "$U" --ids -p "5 6" -n 2
expect_eq "rotary_emb.inv_freq: no warning" "$(cat "$TMP/err")" ""
with_tensors "$U" model.layers.0.mlp.gate_proj.bias
expect_status "a checkpoint with a bias mlp_bias leaves off" 0 "$GPT" generate -m "$U" --ids -p "5 6" -n 2
expect_eq "the unused bias's warning" "$(cat "$TMP/err")" \
    "gpt: warning: $U: config.json leaves 1 of the checkpoint's tensors unused (the first: model.layers.0.mlp.gate_proj.bias)"
# A header not padded to 8 bytes (the data start at 1 mod 8: every F32
# tensor misaligned in a mapping) loads, read into memory, with the same
# output mapped, copied and quantized; a tensor whose offset is not a
# multiple of its element size is refused by name.
A="$TMP/unpadded"
mkdir -p "$A"
cp "$ROOT/tests/golden/dev-llama/"*.json "$A/"
# rewrite SRC DST PAD [NAME]: DST is SRC with its header padded so that the
# data start at PAD mod 8, and NAME's bytes moved to the end, 2 bytes past a
# multiple of 4.
rewrite() {
    python3 - "$@" <<'PY'
import json, struct, sys
raw = open(sys.argv[1], "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header, data = json.loads(raw[8:8 + n]), raw[8 + n:]
if len(sys.argv) > 4:
    t = header[sys.argv[4]]
    b0, b1 = t["data_offsets"]
    data += b"\0" * (-len(data) % 4 + 2)
    t["data_offsets"] = [len(data), len(data) + b1 - b0]
    data += raw[8 + n + b0:8 + n + b1]
text = json.dumps(header).encode()
text += b" " * ((int(sys.argv[3]) - (8 + len(text))) % 8)
open(sys.argv[2], "wb").write(struct.pack("<Q", len(text)) + text + data)
PY
}
rewrite "$ROOT/tests/golden/dev-llama/model.safetensors" "$A/model.safetensors" 1
for how in "" --mmap "--quant q8"; do
    want=$("$GPT" generate -m "$ROOT/tests/golden/dev-llama" --ids -p "5 6 7" -n 4 --temperature 0 $how 2>&1)
    got=$("$GPT" generate -m "$A" --ids -p "5 6 7" -n 4 --temperature 0 $how 2>&1)
    expect_eq "a header not padded to 8 bytes (${how:-copied})" "$got" "$want"
done
rewrite "$ROOT/tests/golden/dev-llama/model.safetensors" "$A/model.safetensors" 0 model.norm.weight
for how in "" --mmap; do
    expect_status "a misaligned tensor (${how:-copied})" 1 "$GPT" generate -m "$A" --ids -p "5 6" -n 1 $how
    grep -q "model.safetensors: model.norm.weight: data_offsets start at byte [0-9]*, not a multiple of its 4-byte elements" \
        "$TMP/err" || fail "a misaligned tensor (${how:-copied}): $(cat "$TMP/err")"
done

# GPT-2's causal-mask buffers, as the hub's gpt2 checkpoints carry them.
G="$TMP/gpt2-buffers"
cp -r "$TINY" "$G"
with_tensors "$G" transformer.h.0.attn.bias transformer.h.0.attn.masked_bias transformer.h.1.attn.bias
expect_status "GPT-2 with attn.bias buffers" 0 "$GPT" generate -m "$G" --ids -p "5 6" -n 2
expect_eq "GPT-2 attn.bias buffers: no warning" "$(cat "$TMP/err")" ""
finish
