#!/usr/bin/env python3
"""scripts/to-gguf.py — a GPT-2-, Llama- or Qwen2-shaped model directory (config.json
and one model.safetensors, as build/make-random-model writes them) as a GGUF file,
so llama.cpp can be timed on the very checkpoint gpt is (BENCHMARKS.md).

A benchmark aid, not a converter for use: no tokenizer (tokenizer.ggml.model
"none", so llama-bench draws random ids), matrices as stored (BF16 stays BF16;
llama-quantize makes Q8_0 from it), 1-D tensors widened to F32 as ggml wants
them, q/k left unpermuted (the numbers are random; the speed is the same), GPT-2's
Conv1D matrices ([in, out]) transposed to the [out, in] rows ggml reads, and
its tied head written out as output.weight, which llama.cpp's gpt2 wants.
Plain Python 3: no numpy.

usage: python3 scripts/to-gguf.py MODEL_DIR OUT.gguf"""
import array, json, struct, sys, os

model_dir, out_path = sys.argv[1], sys.argv[2]
cfg = json.load(open(os.path.join(model_dir, "config.json")))
arch = cfg["model_type"]
assert arch in ("gpt2", "llama", "qwen2"), arch

st_path = os.path.join(model_dir, "model.safetensors")
f = open(st_path, "rb")
hlen = struct.unpack("<Q", f.read(8))[0]
header = json.loads(f.read(hlen))
header.pop("__metadata__", None)
data_base = 8 + hlen

GGML = {"F32": 0, "F16": 1, "BF16": 30}

GPT2_NAMES = {"ln_1": "attn_norm", "ln_2": "ffn_norm", "attn.c_attn": "attn_qkv",
              "attn.c_proj": "attn_output", "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down"}

def gpt2_to_gguf(name):
    if name.startswith("transformer."): name = name[len("transformer."):]
    top = {"wte.weight": "token_embd.weight", "wpe.weight": "position_embd.weight",
           "ln_f.weight": "output_norm.weight", "ln_f.bias": "output_norm.bias"}
    if name in top: return top[name]
    p = name.split(".")
    assert p[0] == "h", name
    return "blk.%s.%s.%s" % (p[1], GPT2_NAMES[".".join(p[2:-1])], p[-1])

def hub_to_gguf(name):
    if arch == "gpt2": return gpt2_to_gguf(name)
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
if arch == "gpt2":
    put_u32("gpt2.vocab_size", cfg["vocab_size"])
    put_u32("gpt2.context_length", cfg["n_positions"])
    put_u32("gpt2.embedding_length", cfg["n_embd"])
    put_u32("gpt2.block_count", cfg["n_layer"])
    put_u32("gpt2.feed_forward_length", cfg.get("n_inner") or 4 * cfg["n_embd"])
    put_u32("gpt2.attention.head_count", cfg["n_head"])
    put_f32("gpt2.attention.layer_norm_epsilon", float(cfg.get("layer_norm_epsilon", 1e-5)))
else:
    put_u32(arch + ".vocab_size", cfg["vocab_size"])
    put_u32(arch + ".context_length", cfg["max_position_embeddings"])
    put_u32(arch + ".embedding_length", cfg["hidden_size"])
    put_u32(arch + ".block_count", cfg["num_hidden_layers"])
    put_u32(arch + ".feed_forward_length", cfg["intermediate_size"])
    put_u32(arch + ".attention.head_count", cfg["num_attention_heads"])
    put_u32(arch + ".attention.head_count_kv", cfg.get("num_key_value_heads", cfg["num_attention_heads"]))
    put_f32(arch + ".rope.freq_base", float(cfg.get("rope_theta", 10000)))
    put_f32(arch + ".attention.layer_norm_rms_epsilon", float(cfg.get("rms_norm_eps", 1e-6)))
dtypes = set(v["dtype"] for v in header.values())
put_u32("general.file_type", {"F32": 0, "F16": 1, "BF16": 32}[dtypes.pop()] if len(dtypes) == 1 else 0)
put_str("tokenizer.ggml.model", "none")

ELEMENT = {"F32": "f", "F16": "H", "BF16": "H"}  # array typecodes of each width

def stored(name):
    t = header[name]
    f.seek(data_base + t["data_offsets"][0])
    return f.read(t["data_offsets"][1] - t["data_offsets"][0])

def transposed(name):
    """A Conv1D matrix [in, out] as [out, in]: column o is every out-th element."""
    t = header[name]
    n_in, n_out = t["shape"]
    a = array.array(ELEMENT[t["dtype"]], stored(name))
    return b"".join(a[o::n_out].tobytes() for o in range(n_out))

def widened(name):
    """A 1-D BF16 tensor as F32: the 16 bits become a float's upper half."""
    raw = stored(name)
    wide = bytearray(2 * len(raw))
    wide[2::4] = raw[0::2]
    wide[3::4] = raw[1::2]
    return bytes(wide)

# (gguf name, dims with ne[0] the contiguous row, ggml type, bytes, the bytes'
# maker): each tensor is read when it is written, one at a time in memory.
tensors = []
for name in sorted(header, key=lambda k: header[k]["data_offsets"][0]):
    t = header[name]
    shape, dtype = t["shape"], t["dtype"]
    gname = hub_to_gguf(name)
    nbytes = t["data_offsets"][1] - t["data_offsets"][0]
    if len(shape) == 1 and dtype == "BF16":  # ggml wants 1-D tensors in F32
        tensors.append((gname, shape, 0, 2 * nbytes, lambda n=name: widened(n)))
    elif arch == "gpt2" and len(shape) == 2 and gname.startswith("blk."):
        tensors.append((gname, shape, GGML[dtype], nbytes, lambda n=name: transposed(n)))
    else:
        tensors.append((gname, list(reversed(shape)), GGML[dtype], nbytes, lambda n=name: stored(n)))
    if arch == "gpt2" and gname == "token_embd.weight":  # the tied head
        tensors.append(("output.weight",) + tensors[-1][1:])

with open(out_path, "wb") as out:
    out.write(b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv)))
    for k in kv: out.write(k)
    offset = 0
    for gname, dims, gtype, nbytes, _ in tensors:
        out.write(gstr(gname) + struct.pack("<I", len(dims)) +
                  b"".join(struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", gtype, offset))
        offset += (nbytes + 31) // 32 * 32
    out.write(b"\0" * ((-out.tell()) % 32))
    for gname, dims, gtype, nbytes, make in tensors:
        data = make()
        assert len(data) == nbytes, gname
        out.write(data)
        out.write(b"\0" * ((-nbytes) % 32))
print("wrote", out_path, len(tensors), "tensors")
