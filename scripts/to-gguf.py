#!/usr/bin/env python3
"""scripts/to-gguf.py — a Llama- or Qwen2-shaped model directory (config.json and
one model.safetensors, as build/make-random-model writes them) as a GGUF file,
so llama.cpp can be timed on the very checkpoint gpt is (BENCHMARKS.md).

A benchmark aid, not a converter for use: no tokenizer (tokenizer.ggml.model
"none", so llama-bench draws random ids), matrices as stored (BF16 stays BF16;
llama-quantize makes Q8_0 from it), 1-D tensors widened to F32 as ggml wants
them, and q/k left unpermuted (the numbers are random; the speed is the same).
Plain Python 3: no numpy.

usage: python3 scripts/to-gguf.py MODEL_DIR OUT.gguf"""
import json, struct, sys, os

model_dir, out_path = sys.argv[1], sys.argv[2]
cfg = json.load(open(os.path.join(model_dir, "config.json")))
arch = cfg["model_type"]
assert arch in ("llama", "qwen2"), arch

st_path = os.path.join(model_dir, "model.safetensors")
f = open(st_path, "rb")
hlen = struct.unpack("<Q", f.read(8))[0]
header = json.loads(f.read(hlen))
header.pop("__metadata__", None)
data_base = 8 + hlen

GGML = {"F32": 0, "F16": 1, "BF16": 30}

def hub_to_gguf(name):
    if name == "model.embed_tokens.weight": return "token_embd.weight"
    if name == "model.norm.weight": return "output_norm.weight"
    if name == "lm_head.weight": return "output.weight"
    p = name.split(".")
    assert p[0] == "model" and p[1] == "layers", name
    n, rest = p[2], ".".join(p[3:])
    m = {"input_layernorm.weight": "attn_norm.weight",
         "post_attention_layernorm.weight": "ffn_norm.weight",
         "self_attn.q_proj.weight": "attn_q.weight", "self_attn.q_proj.bias": "attn_q.bias",
         "self_attn.k_proj.weight": "attn_k.weight", "self_attn.k_proj.bias": "attn_k.bias",
         "self_attn.v_proj.weight": "attn_v.weight", "self_attn.v_proj.bias": "attn_v.bias",
         "self_attn.o_proj.weight": "attn_output.weight",
         "mlp.gate_proj.weight": "ffn_gate.weight", "mlp.up_proj.weight": "ffn_up.weight",
         "mlp.down_proj.weight": "ffn_down.weight"}[rest]
    return "blk.%s.%s" % (n, m)

def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b

kv = []
def put(key, vtype, payload): kv.append(gstr(key) + struct.pack("<I", vtype) + payload)
def put_u32(k, v): put(k, 4, struct.pack("<I", v))
def put_f32(k, v): put(k, 6, struct.pack("<f", v))
def put_str(k, v): put(k, 8, gstr(v))

put_str("general.architecture", arch)
put_str("general.name", os.path.basename(model_dir.rstrip("/")))
put_u32("general.alignment", 32)
put_u32(arch + ".vocab_size", cfg["vocab_size"])
put_u32(arch + ".context_length", cfg["max_position_embeddings"])
put_u32(arch + ".embedding_length", cfg["hidden_size"])
put_u32(arch + ".block_count", cfg["num_hidden_layers"])
put_u32(arch + ".feed_forward_length", cfg["intermediate_size"])
put_u32(arch + ".attention.head_count", cfg["num_attention_heads"])
put_u32(arch + ".attention.head_count_kv", cfg.get("num_key_value_heads", cfg["num_attention_heads"]))
put_f32(arch + ".rope.freq_base", float(cfg.get("rope_theta", 10000)))
put_f32(arch + ".attention.layer_norm_rms_epsilon", float(cfg.get("rms_norm_eps", 1e-6)))
put_u32("general.file_type", 32 if all(v["dtype"] == "BF16" for v in header.values()) else 0)
put_str("tokenizer.ggml.model", "none")

names = sorted(header, key=lambda k: header[k]["data_offsets"][0])
infos, offset = [], 0
for name in names:
    t = header[name]
    shape = t["shape"]
    dims = list(reversed(shape))  # ggml: ne[0] is the contiguous row
    nbytes = t["data_offsets"][1] - t["data_offsets"][0]
    widen = len(shape) == 1 and t["dtype"] == "BF16"  # ggml wants 1-D tensors in F32
    if widen: nbytes *= 2
    infos.append((hub_to_gguf(name), dims, 0 if widen else GGML[t["dtype"]], offset, name, nbytes))
    offset += (nbytes + 31) // 32 * 32

with open(out_path, "wb") as out:
    out.write(b"GGUF" + struct.pack("<IQQ", 3, len(infos), len(kv)))
    for k in kv: out.write(k)
    for gname, dims, gtype, off, _, _ in infos:
        out.write(gstr(gname) + struct.pack("<I", len(dims)) +
                  b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", gtype, off))
    pad = (-out.tell()) % 32
    out.write(b"\0" * pad)
    start = out.tell()
    for gname, dims, gtype, off, name, nbytes in infos:
        out.write(b"\0" * (start + off - out.tell()))
        f.seek(data_base + header[name]["data_offsets"][0])
        if gtype == 0 and header[name]["dtype"] == "BF16":
            raw = f.read(nbytes // 2)
            wide = bytearray(nbytes)
            wide[2::4] = raw[0::2]
            wide[3::4] = raw[1::2]
            out.write(wide)
            continue
        left = nbytes
        while left:
            chunk = f.read(min(left, 1 << 24))
            out.write(chunk)
            left -= len(chunk)
print("wrote", out_path, len(infos), "tensors")
