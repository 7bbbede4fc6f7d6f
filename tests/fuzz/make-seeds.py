#!/usr/bin/env python3
"""make-seeds.py — writes the committed seed corpus, tests/fuzz/corpus/<target>/,
from small hand-made inputs and the repository's fixtures (never their big
files). Run from the repository root; the same run gives the same bytes.
Seeds found by fuzzing (regressions) are added by hand as regress-*."""
import json
import os
import struct

ROOT = "tests/fuzz/corpus"


def put(target, name, data):
    os.makedirs(os.path.join(ROOT, target), exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


# ---- safetensors: the tiny model fuzz_safetensors.c configures ----------
TINY = [("wte.weight", [8, 4]), ("wpe.weight", [4, 4]), ("ln_f.weight", [4]), ("ln_f.bias", [4]),
        ("h.0.ln_1.weight", [4]), ("h.0.ln_1.bias", [4]), ("h.0.attn.c_attn.weight", [4, 12]),
        ("h.0.attn.c_attn.bias", [12]), ("h.0.attn.c_proj.weight", [4, 4]), ("h.0.attn.c_proj.bias", [4]),
        ("h.0.ln_2.weight", [4]), ("h.0.ln_2.bias", [4]), ("h.0.mlp.c_fc.weight", [4, 16]),
        ("h.0.mlp.c_fc.bias", [16]), ("h.0.mlp.c_proj.weight", [16, 4]), ("h.0.mlp.c_proj.bias", [4])]


def safetensors(tensors, dtype="F32", prefix="", metadata=True):
    size = {"F32": 4, "F16": 2, "BF16": 2}[dtype]
    header, offset = {}, 0
    if metadata:
        header["__metadata__"] = {"format": "pt"}
    for name, shape in tensors:
        n = size
        for d in shape:
            n *= d
        full = name if name == "lm_head.weight" else prefix + name
        header[full] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    text = json.dumps(header, separators=(",", ":")).encode()
    one = {"F32": struct.pack("<f", 1.0), "F16": b"\x00\x3c", "BF16": b"\x80\x3f"}[dtype]
    return struct.pack("<Q", len(text)) + text + one * (offset // size)


# Mode byte: bit 0 index file, bit 1 Q8, bit 2 --check (see fuzz_safetensors.c).
put("fuzz_safetensors", "tiny-f32", b"\x00" + safetensors(TINY))
put("fuzz_safetensors", "tiny-f16-check", b"\x04" + safetensors(TINY, "F16"))
put("fuzz_safetensors", "tiny-bf16-prefix", b"\x00" + safetensors(TINY, "BF16", "transformer."))
put("fuzz_safetensors", "tiny-untied-q8", b"\x02" + safetensors(TINY + [("lm_head.weight", [8, 4])]))
put("fuzz_safetensors", "one-tensor-no-metadata", b"\x00" + safetensors(TINY[:1], metadata=False))
index = {"metadata": {"total_size": 1},
         "weight_map": {name: ("a" if i < 4 else "b") + ".safetensors" for i, (name, _) in enumerate(TINY)}}
put("fuzz_safetensors", "index", b"\x01" + json.dumps(index).encode())
put("fuzz_safetensors", "index-one-shard", b"\x05" + b'{"weight_map": {"wte.weight": "a.safetensors"}}')

# ---- config.json ----------------------------------------------------------
put("fuzz_config", "dev-tiny", open("tests/golden/dev-tiny/config.json", "rb").read())
put("fuzz_config", "books-30m", open("models/gpt2-books-30m/config.json", "rb").read())
put("fuzz_config", "minimal", '{"n_layer":1,"n_head":1,"n_embd":4,"n_positions":4,"vocab_size":8}')
put("fuzz_config", "n_ctx-gelu", '{"n_layer":2,"n_head":2,"n_embd":8,"n_ctx":16,"vocab_size":300,'
    '"n_inner":null,"activation_function":"gelu","layer_norm_epsilon":0.001,"bos_token_id":0,"eos_token_id":299}')
put("fuzz_config", "unsupported", '{"model_type":"gpt2","n_layer":1,"n_head":1,"n_embd":4,"n_positions":4,'
    '"vocab_size":8,"scale_attn_by_inverse_layer_idx":true,"scale_attn_weights":false,"add_cross_attention":true}')
# The Llama-shaped families: the four fixtures' configs, and small ones
# that reach every switch (rope scaling types, windows, layer_types, eos lists).
for m in ("dev-llama", "dev-qwen2", "dev-qwen3", "dev-mistral"):
    put("fuzz_config", m, open("tests/golden/%s/config.json" % m, "rb").read())
LLAMA_MIN = ('"num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"hidden_size":8,'
             '"intermediate_size":16,"max_position_embeddings":32,"vocab_size":10')
put("fuzz_config", "llama-linear", '{"model_type":"llama",%s,"rope_theta":10000,'
    '"rope_scaling":{"type":"linear","factor":2.0},"eos_token_id":[1,2,3],"attention_bias":true,"mlp_bias":true}'
    % LLAMA_MIN)
put("fuzz_config", "llama-yarn", '{"architectures":["LlamaForCausalLM"],%s,'
    '"rope_scaling":{"rope_type":"yarn","factor":4.0}}' % LLAMA_MIN)
put("fuzz_config", "qwen2-window", '{"model_type":"qwen2",%s,"use_sliding_window":true,"sliding_window":4,'
    '"max_window_layers":1,"layer_types":["full_attention","sliding_attention"],"rms_norm_eps":1e-6}' % LLAMA_MIN)
put("fuzz_config", "qwen3-head-dim", '{"model_type":"qwen3",%s,"head_dim":6,"tie_word_embeddings":true,'
    '"rope_parameters":{"rope_type":"default","rope_theta":1e6}}' % LLAMA_MIN)
put("fuzz_config", "mistral-window", '{"model_type":"mistral",%s,"sliding_window":3,"rope_theta":0}' % LLAMA_MIN)

# ---- tokenizer files: 256 byte tokens, <|endoftext|>, a few merges ---------
def byte_spelling():
    printable = [b for b in range(256) if 0x21 <= b <= 0x7E or 0xA1 <= b <= 0xAC or 0xAE <= b <= 0xFF]
    out, n = {}, 0
    for b in range(256):
        if b in printable:
            out[b] = chr(b)
        else:
            out[b] = chr(256 + n)
            n += 1
    return out


SPELL = byte_spelling()
MERGES = [("\u0120", "t"), ("h", "e"), ("\u0120t", "he"), ("i", "n"), ("\u0120", "a"), ("e", "r"),
          ("\u0120a", "n"), ("o", "n")]
vocab = {SPELL[b]: b for b in range(256)}
for left, right in MERGES:
    vocab.setdefault(left + right, len(vocab))
vocab["<|endoftext|>"] = len(vocab)
merges_txt = "#version: 0.2\n" + "".join(f"{l} {r}\n" for l, r in MERGES)
vocab_json = json.dumps(vocab, ensure_ascii=False)
# fuzz_tokenizer_load: vocab.json NUL merges.txt, or tokenizer.json alone.
put("fuzz_tokenizer_load", "vocab-merges", vocab_json.encode() + b"\0" + merges_txt.encode())
put("fuzz_tokenizer_load", "vocab-merges-crlf", vocab_json.encode() + b"\0" + merges_txt.replace("\n", "\r\n").encode())
BYTELEVEL = {"pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True},
             "decoder": {"type": "ByteLevel"}}
ADDED = [{"id": vocab["<|endoftext|>"], "content": "<|endoftext|>", "special": True}]
put("fuzz_tokenizer_load", "tokenizer-json-strings",
    json.dumps({"model": {"vocab": vocab, "merges": [f"{l} {r}" for l, r in MERGES]}, **BYTELEVEL}, ensure_ascii=False))
put("fuzz_tokenizer_load", "tokenizer-json-pairs",
    json.dumps({"model": {"vocab": vocab, "merges": [[l, r] for l, r in MERGES]}, **BYTELEVEL}, ensure_ascii=False))
# The hub's shapes, small: a Split regex (Llama 3's), normalizers, added tokens, a template.
LLAMA3 = ("(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*"
          "|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+").replace("\\\\", "\\")
put("fuzz_tokenizer_load", "tokenizer-json-split",
    json.dumps({"model": {"type": "BPE", "vocab": vocab, "merges": [[l, r] for l, r in MERGES], "ignore_merges": True},
                "added_tokens": ADDED, "normalizer": {"type": "NFC"},
                "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                    {"type": "Split", "pattern": {"Regex": LLAMA3}, "behavior": "Isolated", "invert": False},
                    {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False}]},
                "post_processor": {"type": "ByteLevel"}, "decoder": {"type": "ByteLevel"}}, ensure_ascii=False))
put("fuzz_tokenizer_load", "tokenizer-json-digits",
    json.dumps({"model": {"vocab": vocab, "merges": [f"{l} {r}" for l, r in MERGES]},
                "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"},
                                                                   {"type": "Strip", "strip_left": True, "strip_right": False}]},
                "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                    {"type": "Digits", "individual_digits": True}, {"type": "Punctuation", "behavior": "MergedWithNext"},
                    {"type": "Split", "pattern": {"String": "e"}, "behavior": "Contiguous", "invert": True},
                    {"type": "ByteLevel", "add_prefix_space": True, "use_regex": True}]},
                "decoder": {"type": "ByteLevel"}}, ensure_ascii=False))
# SentencePiece-style: characters, byte fallback, Prepend + Replace, a template, Llama 2's decoder.
SP = {"<unk>": 0, "<s>": 1, "</s>": 2}
for b in range(256):
    SP[f"<0x{b:02X}>"] = len(SP)
for piece in ["\u2581", "a", "b", "c", "t", "h", "e", "\u2581t", "he", "\u2581the", "\u2581a"]:
    SP.setdefault(piece, len(SP))
SP_MERGES = ["\u2581 t", "h e", "\u2581t he", "\u2581 a"]
SP_DECODER = {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
                                               {"type": "ByteFallback"}, {"type": "Fuse"},
                                               {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
SP_ADDED = [{"id": i, "content": c, "special": True} for c, i in [("<unk>", 0), ("<s>", 1), ("</s>", 2)]]
put("fuzz_tokenizer_load", "tokenizer-json-sentencepiece",
    json.dumps({"model": {"type": "BPE", "vocab": SP, "merges": SP_MERGES, "byte_fallback": True, "unk_token": "<unk>",
                          "fuse_unk": True, "dropout": None},
                "added_tokens": SP_ADDED,
                "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "\u2581"},
                               {"type": "Replace", "pattern": {"String": " "}, "content": "\u2581"}]},
                "post_processor": {"type": "TemplateProcessing",
                                   "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                                   "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
                "decoder": SP_DECODER}, ensure_ascii=False))
put("fuzz_tokenizer_load", "tokenizer-json-metaspace",
    json.dumps({"model": {"type": "BPE", "vocab": SP, "merges": SP_MERGES, "unk_token": "<unk>"},
                "added_tokens": [{"id": 2, "content": "</s>", "special": True, "lstrip": True, "rstrip": True,
                                  "single_word": True, "normalized": False}],
                "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                    {"type": "WhitespaceSplit"},
                    {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "first", "split": True}]},
                "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always"}}, ensure_ascii=False))

# ---- text for the hub tokenizers (first byte: tokenizer 0-2, bit 2 special, bit 3 add special) ----
for i, text in enumerate([
        "Hello world! It's 2024, isn't it? 1234567",
        "<|begin_of_text|><|eot_id|><s></s><|im_start|>user\nhi<|im_end|><think></think>",
        "Ünïcödé: naïve café e\u0301, 東京, 😀👍🏽, ١٢٣ \u0085\ufeff\u180e digits ½ Ⅻ",
        b"\xff\xfe invalid \xc3 utf-8 \xed\xa0\x80 surrogate",
        "   \t\t\n\r\n  \u3000 x  ",
        "DON'T we'LL I\u2019m \u2581\u2581 ▁hello",
]):
    data = text if isinstance(text, bytes) else text.encode()
    for flags in (0, 4, 12):
        put("fuzz_tokenize_hub", f"text-{i}-{flags}", bytes([i % 3 | flags]) + data)

# ---- text to tokenize (first byte: bit 0 parses <|endoftext|>) ------------
for i, text in enumerate([
        "Hello world! It's 2024, isn't it?",
        "  leading and trailing spaces   \n\n\ttabs\r\n",
        "<|endoftext|>The end.<|endoftext|>",
        "Ünïcödé: naïve café, 東京, 😀👍, ١٢٣ digits",
        b"\xff\xfe invalid \xc3 utf-8 \xed\xa0\x80 surrogate",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "I'll we've they're she'd he's 'LL 'S",
]):
    data = text if isinstance(text, bytes) else text.encode()
    put("fuzz_tokenize", f"text-{i}", bytes([i % 2]) + data)

# ---- --batch lines -----------------------------------------------------------
for i, line in enumerate([
        "Once upon a time",
        '{"prompt": "Once upon a time", "id": "j1", "max_tokens": 4, "temperature": 0}',
        '{"prompt": "The king", "max_tokens": 2',
        '{"prompt": "ROMEO:", "id": 7, "max_tokens": 3, "temperature": 0, "stop": ["ROMEO"]}',
        "Line one\\nline two\\\\ and a tab\\t\\0",
        '{"max_tokens": 3}',
        '{"prompt": "x", "max_tokens": "three"}',
        '{"prompt": "x", "colour": "red"}',
        '{"prompt": "x", "top_k": 5, "top_p": 0.5, "seed": 12, "stop": null, "id": {"a": [1, 2]}}',
        '{"prompt": "x", "stop": "\\n"}',
]):
    put("fuzz_batch_line", f"line-{i}", line)


# ---- chat templates: the fixtures' templates and the unit cases' ---------
for name in ["chatml", "chatml-strict", "llama3", "qwen3"]:
    put("fuzz_template", "fixture-" + name, open("tests/golden/chat/%s/chat_template.jinja" % name, "rb").read())
template_cases = json.load(open("tests/golden/template/cases.json", encoding="utf-8"))["cases"]
for i, case in enumerate(template_cases):
    slug = "".join(ch if ch.isalnum() else "-" for ch in case["name"])[:40]
    put("fuzz_template", "case-%03d-%s" % (i, slug), case["template"])
put("fuzz_template", "with-context", b"{{ messages[0].content|tojson }}{{ x * 2 }}\0" +
    b'{"messages": [{"role": "user", "content": "a\\u00e9"}], "x": 1.5}')
