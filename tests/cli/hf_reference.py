#!/usr/bin/env python3
"""hf_reference.py — random Llama-family checkpoints for the switches the
shared fixtures leave out, and an independent float64 forward pass over them.

The forward pass is written from HF transformers' modeling code (Llama,
Mistral, Qwen2, Qwen3), not from gpt's: RMSNorm x / sqrt(mean(x^2) + eps) * w;
rotary embeddings by rotate_half (dimension i pairs with i + d/2); query head
h reads kv head h // (heads / kv_heads); scores scaled by 1/sqrt(head_dim);
a window of W lets position i see j when i - W < j <= i. Plain Python, so it
needs nothing installed: the test's checkpoints take seconds, SmolLM2-135M's
shape about 40 s a token, Qwen2.5-0.5B's 70 s and 3 GB.

  hf_reference.py write CASE DIR     the checkpoint (config.json, safetensors)
                                     and DIR/reference.json
  hf_reference.py prompt DIR K       prompt K's ids, space-separated
  hf_reference.py greedy DIR K       the leading greedy ids, up to the first
                                     whose margin is 1e-3 or less
  hf_reference.py logits DIR         ids on stdin: gpt logits --top 10 --full's
                                     lines for any checkpoint, in float64
  hf_reference.py agree DIR K        this forward pass against a shared
                                     fixture's reference.json, prompt K: every
                                     position's top 10 and logsumexp within 1e-9
  hf_reference.py check DIR K FILE   FILE (gpt logits --top 10 --full of
                                     prompt K) against the reference: every
                                     position's listed logits and logsumexp,
                                     and the full last logits, within 1e-3

CASE names one of CASES below; `--variant KEY=VALUE` after DIR writes the
reference for a config changed in one field (the tests use it to see a
check fail).
"""
import json
import math
import os
import random
import struct
import sys

TOL = 1e-3

# Each case: the config fields as transformers writes them, and how the
# weights are stored. Sizes are chosen off the kernels' multiples: head sizes
# of 6, 10, 12, 20 and 24, k/v projections of 6 to 96 rows, vocabularies and
# MLP widths that are not multiples of 16.
CASES = {
    # Linear rope scaling, attention and MLP biases on Llama, F32, the
    # transformers 5 `dtype` key, an integer rope_theta.
    "llama-linear-bias": dict(
        config=dict(architectures=["LlamaForCausalLM"], model_type="llama", hidden_size=48, num_hidden_layers=3,
                    num_attention_heads=4, num_key_value_heads=2, intermediate_size=88, vocab_size=500,
                    max_position_embeddings=256, rms_norm_eps=1e-5, rope_theta=10000,
                    rope_scaling={"rope_type": "linear", "factor": 4.0}, attention_bias=True, mlp_bias=True,
                    tie_word_embeddings=False, hidden_act="silu", bos_token_id=1, eos_token_id=2, dtype="float32"),
        dtype="F32", shards=1, seed=11),
    # Qwen2's window from layer max_window_layers on (layers 1 and 2 here),
    # narrower than the prompts; head size 10; BF16; tied.
    "qwen2-window": dict(
        config=dict(architectures=["Qwen2ForCausalLM"], model_type="qwen2", hidden_size=40, num_hidden_layers=3,
                    num_attention_heads=4, num_key_value_heads=2, intermediate_size=72, vocab_size=333,
                    max_position_embeddings=256, rms_norm_eps=1e-6, rope_theta=1000000.0, use_sliding_window=True,
                    sliding_window=7, max_window_layers=1,
                    layer_types=["full_attention", "sliding_attention", "sliding_attention"],
                    tie_word_embeddings=True, hidden_act="silu", bos_token_id=300, eos_token_id=300,
                    torch_dtype="bfloat16"),
        dtype="BF16", shards=1, seed=12),
    # Qwen3 with attention biases (q, k, v and o), a window in every layer
    # (max_window_layers 0), head size 20 wider than hidden / heads (8), one
    # kv head, untied, F16, rope_theta in transformers 5's rope_parameters.
    "qwen3-window-bias": dict(
        config=dict(architectures=["Qwen3ForCausalLM"], model_type="qwen3", hidden_size=32, num_hidden_layers=2,
                    num_attention_heads=4, num_key_value_heads=1, head_dim=20, intermediate_size=56, vocab_size=401,
                    max_position_embeddings=256, rms_norm_eps=1e-6,
                    rope_parameters={"rope_type": "default", "rope_theta": 50000.0}, attention_bias=True,
                    use_sliding_window=True, sliding_window=9, max_window_layers=0, tie_word_embeddings=False,
                    hidden_act="silu", bos_token_id=0, eos_token_id=[0, 5], dtype="float16"),
        dtype="F16", shards=1, seed=13),
    # Mistral without grouping (kv heads = heads), head size 24 != 64 / 4, a
    # window of 5, three shards, BF16.
    "mistral-shards": dict(
        config=dict(architectures=["MistralForCausalLM"], model_type="mistral", hidden_size=64, num_hidden_layers=3,
                    num_attention_heads=4, num_key_value_heads=4, head_dim=24, intermediate_size=100, vocab_size=450,
                    max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=10000.0, sliding_window=5,
                    tie_word_embeddings=False, hidden_act="silu", bos_token_id=1, eos_token_id=2,
                    torch_dtype="bfloat16"),
        dtype="BF16", shards=3, seed=14),
    # Llama-3 rope scaling at other settings (factor 32, original context
    # 32, so the 6-wide heads' 3 frequencies fall in different bands), one
    # kv head for 6, tied with lm_head.weight also stored (equal), F16.
    "llama3-tied-mqa": dict(
        config=dict(architectures=["LlamaForCausalLM"], model_type="llama", hidden_size=36, num_hidden_layers=2,
                    num_attention_heads=6, num_key_value_heads=1, intermediate_size=60, vocab_size=317,
                    max_position_embeddings=131072, rms_norm_eps=1e-5, rope_theta=500000.0,
                    rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                                  "high_freq_factor": 4.0, "original_max_position_embeddings": 32},
                    tie_word_embeddings=True, hidden_act="silu", bos_token_id=1, eos_token_id=[2, 3],
                    torch_dtype="float16"),
        dtype="F16", shards=1, seed=15, store_lm_head=True),
}

PROMPT_LENGTHS = (1, 23, 70)  # 70 crosses a 64-row prompt chunk and every window here
GREEDY_STEPS = 12


def head_dim_of(c):
    return c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]


def rope_of(c):
    """theta and the scaling dict, from transformers 4's or 5's fields."""
    params = c.get("rope_parameters") or {}
    theta = float(params.get("rope_theta", c.get("rope_theta", 10000.0)))
    scaling = c.get("rope_scaling") or (params if params.get("rope_type", "default") != "default" else None)
    return theta, scaling


def window_of(c, layer):
    """The layer's window (0: none), as transformers decides it."""
    t = c["model_type"]
    if t == "mistral":
        return c.get("sliding_window") or 0
    if t in ("qwen2", "qwen3") and c.get("use_sliding_window") and c.get("sliding_window"):
        return c["sliding_window"] if layer >= c.get("max_window_layers", 0) else 0
    return 0


def biases_of(c):
    """q/k/v, o and MLP biases, as transformers reads them: Qwen2's q/k/v
    always; attention_bias (q, k, v and o) for Llama and Qwen3; mlp_bias for
    Llama. Tensors the config does not name are not read."""
    t = c["model_type"]
    attention_bias = bool(c.get("attention_bias")) and t in ("llama", "qwen3")
    return t == "qwen2" or attention_bias, attention_bias, bool(c.get("mlp_bias")) and t == "llama"


# ---- storage: float32 values rounded to the stored width ----

def round_to(x, dtype):
    """x rounded to dtype, as a Python float, and its little-endian bytes."""
    if dtype == "F32":
        b = struct.pack("<f", x)
        return struct.unpack("<f", b)[0], b
    if dtype == "F16":
        b = struct.pack("<e", x)
        return struct.unpack("<e", b)[0], b
    bits = struct.unpack("<I", struct.pack("<f", x))[0]
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # round to nearest even
    return struct.unpack("<f", struct.pack("<I", bits << 16))[0], struct.pack("<H", bits)


def tensor_specs(c):
    """(name, shape, std, offset) in model order: each value offset + std N(0,1)
    (the shared fixtures' recipe; a tied model's final norm 10 (1 + 0.1 N))."""
    H, L, nh, nkv = c["hidden_size"], c["num_hidden_layers"], c["num_attention_heads"], c["num_key_value_heads"]
    hd, inner, V = head_dim_of(c), c["intermediate_size"], c["vocab_size"]
    t = c["model_type"]
    tied = c.get("tie_word_embeddings", False)
    qkv_bias, o_bias, mlp_bias = biases_of(c)
    specs = [("model.embed_tokens.weight", (V, H), 0.3 / math.sqrt(H) if tied else 1.0, 0.0)]
    for l in range(L):
        p = "model.layers.%d." % l
        specs.append((p + "input_layernorm.weight", (H,), 0.1, 1.0))
        for name, rows in (("q", nh * hd), ("k", nkv * hd), ("v", nkv * hd)):
            specs.append((p + "self_attn.%s_proj.weight" % name, (rows, H), 1 / math.sqrt(H), 0.0))
            if qkv_bias:
                specs.append((p + "self_attn.%s_proj.bias" % name, (rows,), 0.1 if name == "v" else 0.3, 0.0))
        specs.append((p + "self_attn.o_proj.weight", (H, nh * hd), 1 / math.sqrt(nh * hd), 0.0))
        if o_bias:
            specs.append((p + "self_attn.o_proj.bias", (H,), 0.1, 0.0))
        if t == "qwen3":
            specs.append((p + "self_attn.q_norm.weight", (hd,), 0.1, 1.0))
            specs.append((p + "self_attn.k_norm.weight", (hd,), 0.1, 1.0))
        specs.append((p + "post_attention_layernorm.weight", (H,), 0.1, 1.0))
        for name, shape in (("gate", (inner, H)), ("up", (inner, H)), ("down", (H, inner))):
            std = 1.25 / math.sqrt(inner) if name == "down" else 1 / math.sqrt(H)
            specs.append((p + "mlp.%s_proj.weight" % name, shape, std, 0.0))
            if mlp_bias:
                specs.append((p + "mlp.%s_proj.bias" % name, shape[:1], 0.1, 0.0))
    specs.append(("model.norm.weight", (H,), 1.0 if tied else 0.1, 10.0 if tied else 1.0))
    if not tied:
        specs.append(("lm_head.weight", (V, H), 3 / math.sqrt(H), 0.0))
    return specs


def write_checkpoint(case, d):
    spec = CASES[case]
    c, dtype = spec["config"], spec["dtype"]
    rng = random.Random(spec["seed"])
    values, blobs = {}, {}
    for name, shape, std, offset in tensor_specs(c):
        n = 1
        for s in shape:
            n *= s
        rounded = [round_to(offset + std * rng.gauss(0, 1), dtype) for _ in range(n)]
        values[name] = (shape, [v for v, _ in rounded])
        blobs[name] = (shape, b"".join(b for _, b in rounded))
    if spec.get("store_lm_head"):  # a tied checkpoint that also stores the head, equal to the embeddings
        blobs["lm_head.weight"] = blobs["model.embed_tokens.weight"]
    os.makedirs(d, exist_ok=True)
    names = sorted(blobs)
    shards = [names[i::spec["shards"]] for i in range(spec["shards"])] if spec["shards"] > 1 else [names]
    weight_map = {}
    for i, part in enumerate(shards):
        fname = ("model-%05d-of-%05d.safetensors" % (i + 1, len(shards))) if len(shards) > 1 else "model.safetensors"
        write_safetensors(os.path.join(d, fname), [(n, blobs[n][0], blobs[n][1]) for n in sorted(part)], dtype)
        for n in part:
            weight_map[n] = fname
    if len(shards) > 1:
        with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": sum(len(b) for _, b in blobs.values())}, "weight_map": weight_map},
                      f, indent=2, sort_keys=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(c, f, indent=2, sort_keys=True)
    return values


def write_safetensors(path, tensors, dtype):
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for _, _, data in tensors:
            f.write(data)


def read_checkpoint(d):
    """Every tensor of DIR's safetensors files as float32 (4 bytes a value,
    so a checkpoint of the real shapes fits in memory), read as floats."""
    values = {}
    for fname in sorted(f for f in os.listdir(d) if f.endswith(".safetensors")):
        with open(os.path.join(d, fname), "rb") as f:
            n = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(n))
            data = f.read()
        for name, t in header.items():
            if name == "__metadata__":
                continue
            raw = data[t["data_offsets"][0]:t["data_offsets"][1]]
            if t["dtype"] == "F32":
                wide = raw
            elif t["dtype"] == "F16":
                wide = struct.pack("<%df" % (len(raw) // 2), *struct.unpack("<%de" % (len(raw) // 2), raw))
            elif t["dtype"] == "BF16":  # the 16 bits on top of a float32 (little-endian: bytes 2 and 3)
                wide = bytearray(2 * len(raw))
                wide[2::4], wide[3::4] = raw[0::2], raw[1::2]
            else:
                raise SystemExit("%s: %s is %s, not in this reference" % (fname, name, t["dtype"]))
            if sys.byteorder != "little":
                raise SystemExit("this reference reads safetensors on little-endian machines only")
            values[name] = (tuple(t["shape"]), memoryview(bytes(wide)).cast("f"))
    return values


# ---- the forward pass, float64, one position at a time through a cache ----

def rows_of(values, name):
    shape, flat = values[name]
    if len(shape) == 1:
        return flat
    return [flat[r * shape[1]:(r + 1) * shape[1]] for r in range(shape[0])]


def linear(rows, x, bias=None):
    out = [sum(map(float.__mul__, row, x)) for row in rows]
    return [o + b for o, b in zip(out, bias)] if bias else out


def rmsnorm(x, w, eps):
    s = 1 / math.sqrt(sum(v * v for v in x) / len(x) + eps)
    return [v * s * g for v, g in zip(x, w)]


def inv_freqs(c):
    hd = head_dim_of(c)
    theta, scaling = rope_of(c)
    inv = [1 / theta ** (2 * i / hd) for i in range(hd // 2)]
    kind = (scaling or {}).get("rope_type", (scaling or {}).get("type", "default"))
    if kind == "linear":
        inv = [f / scaling["factor"] for f in inv]
    elif kind == "llama3":
        factor, lo, hi = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        lo_wavelen, hi_wavelen = old / lo, old / hi
        out = []
        for f in inv:
            wavelen = 2 * math.pi / f
            if wavelen < hi_wavelen:
                out.append(f)
            elif wavelen > lo_wavelen:
                out.append(f / factor)
            else:
                smooth = (old / wavelen - lo) / (hi - lo)
                out.append((1 - smooth) * f / factor + smooth * f)
        inv = out
    elif kind != "default":
        raise SystemExit("rope type %s is not in this reference" % kind)
    return inv


def rotate(x, pos, inv):
    half = len(x) // 2
    out = list(x)
    for i in range(half):
        cos, sin = math.cos(pos * inv[i]), math.sin(pos * inv[i])
        out[i] = x[i] * cos - x[i + half] * sin
        out[i + half] = x[i + half] * cos + x[i] * sin
    return out


class Model:
    def __init__(self, c, values):
        self.c = c
        self.hd, self.inv = head_dim_of(c), inv_freqs(c)
        self.eps = c.get("rms_norm_eps", 1e-6)
        self.W = {n: rows_of(values, n) for n in values}
        tied = c.get("tie_word_embeddings", False)
        self.head = self.W["model.embed_tokens.weight" if tied else "lm_head.weight"]
        self.cache = [([], []) for _ in range(c["num_hidden_layers"])]  # per layer: keys, values [pos][kv head][hd]
        self.qkv_bias, self.o_bias, self.mlp_bias = biases_of(c)

    def bias(self, name, used):
        return self.W[name] if used else None

    def step(self, token):
        c, hd, W = self.c, self.hd, self.W
        nh, nkv = c["num_attention_heads"], c["num_key_value_heads"]
        h = list(W["model.embed_tokens.weight"][token])
        for l in range(c["num_hidden_layers"]):
            p = "model.layers.%d." % l
            x = rmsnorm(h, W[p + "input_layernorm.weight"], self.eps)
            q, k, v = (linear(W[p + "self_attn.%s_proj.weight" % n], x, self.bias(p + "self_attn.%s_proj.bias" % n, self.qkv_bias))
                       for n in "qkv")
            q = [q[i * hd:(i + 1) * hd] for i in range(nh)]
            k = [k[i * hd:(i + 1) * hd] for i in range(nkv)]
            v = [v[i * hd:(i + 1) * hd] for i in range(nkv)]
            if c["model_type"] == "qwen3":
                q = [rmsnorm(e, W[p + "self_attn.q_norm.weight"], self.eps) for e in q]
                k = [rmsnorm(e, W[p + "self_attn.k_norm.weight"], self.eps) for e in k]
            keys, vals = self.cache[l]
            pos = len(keys)
            q = [rotate(e, pos, self.inv) for e in q]
            keys.append([rotate(e, pos, self.inv) for e in k])
            vals.append(v)
            window = window_of(c, l)
            first = pos - window + 1 if window and pos - window + 1 > 0 else 0
            attn = []
            for i in range(nh):
                g = i // (nh // nkv)
                scores = [sum(map(float.__mul__, q[i], keys[j][g])) / math.sqrt(hd) for j in range(first, pos + 1)]
                top = max(scores)
                e = [math.exp(s - top) for s in scores]
                total = sum(e)
                attn += [sum(e[j - first] * vals[j][g][d] for j in range(first, pos + 1)) / total for d in range(hd)]
            o = linear(W[p + "self_attn.o_proj.weight"], attn, self.bias(p + "self_attn.o_proj.bias", self.o_bias))
            h = [a + b for a, b in zip(h, o)]
            x = rmsnorm(h, W[p + "post_attention_layernorm.weight"], self.eps)
            gate = linear(W[p + "mlp.gate_proj.weight"], x, self.bias(p + "mlp.gate_proj.bias", self.mlp_bias))
            up = linear(W[p + "mlp.up_proj.weight"], x, self.bias(p + "mlp.up_proj.bias", self.mlp_bias))
            act = [gv / (1 + math.exp(-gv)) * uv for gv, uv in zip(gate, up)]
            down = linear(W[p + "mlp.down_proj.weight"], act, self.bias(p + "mlp.down_proj.bias", self.mlp_bias))
            h = [a + b for a, b in zip(h, down)]
        return linear(self.head, rmsnorm(h, W["model.norm.weight"], self.eps))


def logsumexp(xs):
    top = max(xs)
    return top + math.log(sum(math.exp(x - top) for x in xs))


def reference(c, values, seed):
    rng = random.Random(seed)
    prompts = []
    for n in PROMPT_LENGTHS:
        ids = [rng.randrange(c["vocab_size"]) for _ in range(n)]
        m = Model(c, values)
        logits = [m.step(t) for t in ids]
        greedy, margins, last = [], [], logits[-1]
        for _ in range(GREEDY_STEPS):
            order = sorted(range(len(last)), key=lambda i: -last[i])
            greedy.append(order[0])
            margins.append(last[order[0]] - last[order[1]])
            last = m.step(order[0])
        exact = next((i for i, mg in enumerate(margins) if mg <= TOL), GREEDY_STEPS)
        prompts.append(dict(input_ids=ids, logsumexp=[logsumexp(x) for x in logits], logits=logits,
                            greedy_ids=greedy, greedy_margins=margins, greedy_exact_steps=exact))
    return prompts


def check(ref, lines):
    """Failures of gpt logits' lines against one prompt's reference."""
    bad, worst = [], 0.0
    if len(lines) != len(ref["input_ids"]):
        return ["%d lines for a prompt of %d ids" % (len(lines), len(ref["input_ids"]))]
    for pos, (line, want) in enumerate(zip(lines, ref["logits"])):
        got = json.loads(line)
        if abs(got["logsumexp"] - ref["logsumexp"][pos]) > TOL:
            bad.append("pos %d: logsumexp %.6f, reference %.6f" % (pos, got["logsumexp"], ref["logsumexp"][pos]))
        listed = {i for i, _ in got["top"]}
        worst = max([worst, abs(got["logsumexp"] - ref["logsumexp"][pos])] + [abs(x - want[i]) for i, x in got["top"]])
        for i, x in got["top"]:
            if abs(x - want[i]) > TOL:
                bad.append("pos %d: id %d logit %.6f, reference %.6f" % (pos, i, x, want[i]))
        lowest = min(x for _, x in got["top"])
        missed = [i for i in range(len(want)) if i not in listed and want[i] > lowest + TOL]
        if len(got["top"]) != 10 or missed:
            bad.append("pos %d: %d listed; reference ids above the lowest listed but left out: %s"
                       % (pos, len(got["top"]), missed[:5]))
        if pos == len(lines) - 1:
            full = got.get("logits", [])
            if len(full) != len(want):
                bad.append("last position: %d logits, reference %d" % (len(full), len(want)))
            off = max((abs(a - b), i) for i, (a, b) in enumerate(zip(full, want))) if full else (0, 0)
            worst = max(worst, off[0])
            if off[0] > TOL:
                bad.append("last position: logit %d off by %.6f" % (off[1], off[0]))
    return bad, worst


def main(argv):
    if len(argv) >= 3 and argv[0] == "write":
        case, d = argv[1], argv[2]
        c = json.loads(json.dumps(CASES[case]["config"]))
        values = write_checkpoint(case, d)
        for kv in argv[4:] if len(argv) > 3 and argv[3] == "--variant" else []:
            key, val = kv.split("=", 1)
            c[key] = json.loads(val)
        with open(os.path.join(d, "reference.json"), "w") as f:
            json.dump(dict(case=case, prompts=reference(c, values, CASES[case]["seed"])), f)
        return 0
    if argv[0] == "logits":  # DIR, ids on stdin: gpt logits --top 10 --full's lines, in float64
        c = json.load(open(os.path.join(argv[1], "config.json")))
        m = Model(c, read_checkpoint(argv[1]))
        ids = [int(t) for t in sys.stdin.read().replace(",", " ").split()]
        for pos, t in enumerate(ids):
            x = m.step(t)
            top = sorted(range(len(x)), key=lambda i: -x[i])[:10]
            line = dict(pos=pos, id=t, logsumexp=logsumexp(x), top=[[i, x[i]] for i in top])
            if pos == len(ids) - 1:
                line["logits"] = x
            print(json.dumps(line), flush=True)
        return 0
    if argv[0] == "agree":  # DIR K: this forward pass against a shared fixture's own reference
        ref = json.load(open(os.path.join(argv[1], "reference.json")))["prompts"][int(argv[2])]
        m = Model(json.load(open(os.path.join(argv[1], "config.json"))), read_checkpoint(argv[1]))
        worst = 0.0
        for pos, t in enumerate(ref["input_ids"]):
            x = m.step(t)
            worst = max([worst, abs(logsumexp(x) - ref["logsumexp"][pos])] +
                        [abs(x[i] - v) for i, v in zip(ref["top10_ids"][pos], ref["top10_logits"][pos])])
        print("largest difference from %s's reference: %.2e" % (argv[1], worst))
        return 0 if worst < 1e-9 else 1
    ref = json.load(open(os.path.join(argv[1], "reference.json")))["prompts"][int(argv[2])]
    if argv[0] == "prompt":
        print(" ".join(map(str, ref["input_ids"])))
    elif argv[0] == "greedy":
        print(" ".join(map(str, ref["greedy_ids"][:ref["greedy_exact_steps"]])))
    elif argv[0] == "check":
        bad, worst = check(ref, open(argv[3]).read().splitlines())
        for b in bad[:10]:
            print(b)
        print("largest difference from the reference: %.2e" % worst)
        return 1 if bad else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
