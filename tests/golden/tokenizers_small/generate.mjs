// generate.mjs — builds the small tokenizer.json files in this folder and their
// cases.json, with expected values from tokenizers.js (@huggingface/tokenizers
// 0.2.0, HF's pure-JS port), used as an independent oracle. Not run by the tests.
//   cd /tmp/x && npm install @huggingface/tokenizers@0.2.0
//   NODE_PATH=/tmp/x/node_modules node tests/golden/tokenizers_small/generate.mjs ROOT CORPUS
// ROOT: the repository; CORPUS: tinyshakespeare.txt (for the slices).
import fs from "fs";
import path from "path";
import { createRequire } from "module";
const require = createRequire(process.env.NODE_PATH + "/");
const { Tokenizer } = require("@huggingface/tokenizers");

const root = process.argv[2], corpus = fs.readFileSync(process.argv[3], "utf8");
const out = path.join(root, "tests/golden/tokenizers_small");
const golden = path.join(root, "tests/golden/tokenizers");

// ---- base vocabularies, shrunk from the fixtures ----
function shrink(file, keep) {
    const t = JSON.parse(fs.readFileSync(file, "utf8"));
    const inv = Object.entries(t.model.vocab).sort((a, b) => a[1] - b[1]);
    const vocab = Object.create(null);
    let n = 0;
    for (const [tok, id] of inv) if (keep(tok, id)) vocab[tok] = n++;
    const merges = [];
    for (const m of t.model.merges) {
        const [a, b] = Array.isArray(m) ? m : m.split(" ");
        if (Object.hasOwn(vocab, a) && Object.hasOwn(vocab, b) && Object.hasOwn(vocab, a + b)) merges.push(m);
    }
    return { vocab, merges, n };
}
// Qwen3 (Apache-2.0): byte-level, the first 2,000 ids (the 256 bytes first).
const BL = shrink(path.join(golden, "qwen3/tokenizer.json"), (tok, id) => id < 2000);
// Llama 2: <unk> <s> </s>, the 256 byte tokens, the first merged pieces and every one-character token.
const SP = shrink(path.join(golden, "llama2/tokenizer.json"), (tok, id) => id < 1500 || [...tok].length === 1);

const LLAMA3_RE = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// GPT-4o's (o200k) pattern, as hub tokenizer.json files write it, and DeepSeek-V3's third Split.
const O200K_RE = "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const DEEPSEEK_RE = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const added = (id, content, special, extra = {}) => ({ id, content, single_word: false, lstrip: false, rstrip: false,
                                                       normalized: false, special, ...extra });
const BL_ADDED = [added(BL.n, "<|endoftext|>", true), added(BL.n + 1, "<|im_start|>", true), added(BL.n + 2, "<|im_end|>", true)];
const bl = (over) => ({ version: "1.0", truncation: null, padding: null, added_tokens: BL_ADDED, normalizer: null,
    pre_tokenizer: { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: true },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
             fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab: BL.vocab, merges: BL.merges }, ...over });
const blmodel = (over) => ({ ...bl({}).model, ...over });
const splitThenBL = (split) => ({ type: "Sequence", pretokenizers: [split,
    { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false }] });
const SP_ADDED = [added(0, "<unk>", true), added(1, "<s>", true), added(2, "</s>", true)];
const bos = (tok, id) => ({ type: "TemplateProcessing", single: [{ SpecialToken: { id: tok, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }],
    pair: [{ SpecialToken: { id: tok, type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: tok, type_id: 1 } }, { Sequence: { id: "B", type_id: 1 } }],
    special_tokens: { [tok]: { id: tok, ids: [id], tokens: [tok] } } });
const SP_DECODER = { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }, { type: "Strip", content: " ", start: 1, stop: 0 }] };
const sp = (over) => ({ version: "1.0", truncation: null, padding: null, added_tokens: SP_ADDED,
    normalizer: { type: "Sequence", normalizers: [{ type: "Prepend", prepend: "▁" }, { type: "Replace", pattern: { String: " " }, content: "▁" }] },
    pre_tokenizer: null, post_processor: bos("<s>", 1), decoder: SP_DECODER,
    model: { type: "BPE", dropout: null, unk_token: "<unk>", continuing_subword_prefix: null, end_of_word_suffix: null,
             fuse_unk: true, byte_fallback: true, ignore_merges: false, vocab: SP.vocab, merges: SP.merges }, ...over });
const spmodel = (over) => ({ ...sp({}).model, ...over });
const metaspace = (scheme, split) => ({ type: "Metaspace", replacement: "▁", prepend_scheme: scheme, split });

const T = {
    smollm: bl({ pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Digits", individual_digits: true },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true }] } }),
    gpt2_prefix_space: bl({ pre_tokenizer: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true } }),
    llama31_template: bl({ pre_tokenizer: splitThenBL({ type: "Split", pattern: { Regex: LLAMA3_RE }, behavior: "Isolated", invert: false }),
        model: blmodel({ ignore_merges: true }),
        added_tokens: [added(BL.n, "<|begin_of_text|>", true), added(BL.n + 1, "<|end_of_text|>", true), added(BL.n + 2, "<|eot_id|>", true)],
        post_processor: { type: "Sequence", processors: [{ type: "ByteLevel", add_prefix_space: true, trim_offsets: false, use_regex: true },
            bos("<|begin_of_text|>", BL.n)] } }),
    qwen25: bl({ normalizer: { type: "NFC" }, pre_tokenizer: splitThenBL({ type: "Split",
            pattern: { Regex: LLAMA3_RE.replace("\\p{N}{1,3}", "\\p{N}") }, behavior: "Isolated", invert: false }),
        added_tokens: [added(BL.n, "<|endoftext|>", true), added(BL.n + 1, "<|im_start|>", true), added(BL.n + 2, "<|im_end|>", true),
            added(BL.n + 3, "<tool_call>", false), added(BL.n + 4, "</tool_call>", false), added(BL.n + 5, "<|fim_prefix|>", false)] }),
    template_pair: bl({ post_processor: { type: "TemplateProcessing",
        single: [{ SpecialToken: { id: "<|im_start|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "<|im_end|>", type_id: 0 } }],
        pair: [{ SpecialToken: { id: "<|im_start|>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "<|im_end|>", type_id: 0 } },
               { Sequence: { id: "B", type_id: 1 } }, { SpecialToken: { id: "<|im_end|>", type_id: 1 } }],
        special_tokens: { "<|im_start|>": { id: "<|im_start|>", ids: [BL.n + 1], tokens: ["<|im_start|>"] },
                          "<|im_end|>": { id: "<|im_end|>", ids: [BL.n + 2], tokens: ["<|im_end|>"] } } } }),
    // tokenizers.js keeps a String pattern's matches under Removed (a capture group in its split): a Regex here.
    split_removed: bl({ pre_tokenizer: splitThenBL({ type: "Split", pattern: { Regex: " " }, behavior: "Removed", invert: false }) }),
    split_isolated: bl({ pre_tokenizer: splitThenBL({ type: "Split", pattern: { String: "," }, behavior: "Isolated", invert: false }) }),
    split_invert: bl({ pre_tokenizer: splitThenBL({ type: "Split", pattern: { Regex: "\\p{L}+|\\p{N}+" }, behavior: "Removed", invert: true }) }),  // tokenizers.js ignores the behavior under invert
    // Not Punctuation: tokenizers.js keeps runs of punctuation together, HF splits each character.
    whitespace: bl({ pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Whitespace" },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false }] } }),
    nfkc_lower_strip: bl({ normalizer: { type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Lowercase" }, { type: "Strip", strip_left: true, strip_right: true }] } }),
    ignore_merges: bl({ model: blmodel({ ignore_merges: true }) }),
    // Metaspace decoders: HF drops every ▁ of the first token (none under "never"), tokenizers.js one leading
    // space whatever the scheme; and tokenizers.js ignores split. So: the llama2 decoder, split false.
    mistral_v03: sp({ normalizer: null, pre_tokenizer: metaspace("first", false) }),
    metaspace_always: sp({ normalizer: null, pre_tokenizer: metaspace("always", false) }),
    metaspace_never: sp({ normalizer: null, pre_tokenizer: metaspace("never", false) }),
    gemma: sp({ normalizer: { type: "Replace", pattern: { String: " " }, content: "▁" }, post_processor: bos("<bos>", 2),
        decoder: { type: "Sequence", decoders: [{ type: "Replace", pattern: { String: "▁" }, content: " " }, { type: "ByteFallback" }, { type: "Fuse" }] },
        added_tokens: [added(0, "<pad>", true), added(1, "<eos>", true), added(2, "<bos>", true), added(3, "<unk>", true),
            added(SP.n, "<start_of_turn>", true), added(SP.n + 1, "<end_of_turn>", true), added(SP.n + 2, "\n\n\n", false),
            added(SP.n + 3, "\t\t", false), added(SP.n + 4, "<h1>", false), added(SP.n + 5, "<mask>", true, { lstrip: true }),
            added(SP.n + 6, "<sep>", false, { rstrip: true }), added(SP.n + 7, "<word>", false),  // tokenizers.js ignores single_word
            added(SP.n + 8, "▁▁▁", false, { normalized: true })],
        model: spmodel({ unk_token: "<unk>", vocab: Object.fromEntries(Object.entries(SP.vocab).map(([k, v]) =>
            [v < 3 ? ["<eos>", "<bos>", "<unk>"][v] : k, v])) }) }),
    phi3: sp({ added_tokens: [...SP_ADDED, added(SP.n, "<|endoftext|>", true), added(SP.n + 1, "<|assistant|>", true, { rstrip: true }),
        added(SP.n + 2, "<|user|>", true, { rstrip: true }), added(SP.n + 3, "<|end|>", true, { rstrip: true }), added(SP.n + 4, "<|placeholder1|>", true, { rstrip: true })] }),
    unk_fuse: sp({ model: spmodel({ byte_fallback: false, fuse_unk: true }) }),
    unk_nofuse: sp({ model: spmodel({ byte_fallback: false, fuse_unk: false }) }),
    o200k_regex: bl({ pre_tokenizer: splitThenBL({ type: "Split", pattern: { Regex: O200K_RE }, behavior: "Isolated", invert: false }) }),
    deepseek_v3: bl({ pre_tokenizer: { type: "Sequence", pretokenizers: [
        { type: "Split", pattern: { Regex: "\\p{N}{1,3}" }, behavior: "Isolated", invert: false },
        { type: "Split", pattern: { Regex: "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+" }, behavior: "Isolated", invert: false },
        { type: "Split", pattern: { Regex: DEEPSEEK_RE }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false }] } }),
    nfd_wsplit: bl({ normalizer: { type: "Sequence", normalizers: [{ type: "NFD" }, { type: "Strip", strip_left: true, strip_right: false }] },
        pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "WhitespaceSplit" },
            { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false }] } }),
    nfkd_sp: sp({ normalizer: { type: "Sequence", normalizers: [{ type: "NFKD" }, { type: "Prepend", prepend: "▁" },
        { type: "Replace", pattern: { String: " " }, content: "▁" }] } }),
    digits_runs: bl({ pre_tokenizer: { type: "Sequence", pretokenizers: [{ type: "Digits", individual_digits: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true }] } }),
    split_bytelevel_prefix: bl({ pre_tokenizer: { type: "Sequence", pretokenizers: [
        { type: "Split", pattern: { Regex: LLAMA3_RE }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: false }] } }),
    added_normalized: bl({ normalizer: { type: "Sequence", normalizers: [{ type: "NFKC" }, { type: "Lowercase" },
            { type: "Replace", pattern: { Regex: "\\s+" }, content: " " }, { type: "Prepend", prepend: "_" }] },
        added_tokens: [...BL_ADDED, added(BL.n + 3, "<Tag>", false, { normalized: true }), added(BL.n + 4, "Hello World", false, { normalized: true }),
            added(BL.n + 5, "<|im", true), added(BL.n + 6, "<mask>", true, { lstrip: true, rstrip: true }),
            added(BL.n + 7, "ﬁx", false, { normalized: true })] }),
    sp_added_strip: sp({ added_tokens: [...SP_ADDED, added(SP.n, "<mask>", true, { lstrip: true }), added(SP.n + 1, "<sep>", false, { rstrip: true, lstrip: true }),
        added(SP.n + 2, " qz", false, { normalized: true }), added(SP.n + 3, "<q", false)] }),
};
// gemma: id 0 is <pad> there; give it a vocab entry (fixes the mapping above: 0 <pad>, 1 <eos>, 2 <bos>, 3 <unk>... shifted)
{
    const v = {}; let n = 0;
    v["<pad>"] = n++; v["<eos>"] = n++; v["<bos>"] = n++; v["<unk>"] = n++;
    for (const [k, id] of Object.entries(SP.vocab).sort((a, b) => a[1] - b[1])) if (id >= 3) v[k] = n++;
    const g = T.gemma;
    g.model.vocab = v;
    g.added_tokens = g.added_tokens.map((a) => (a.id >= SP.n ? { ...a, id: a.id + 1 } : a));
}

// ---- the strings ----
let seed = 12345;
const rnd = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
const pick = (a) => a[rnd(a.length)];
const fixture = JSON.parse(fs.readFileSync(path.join(golden, "llama3/cases.json"), "utf8")).cases.map((c) => c.text)
    .filter((s) => s.length <= 300);
const atoms = ["a", "Z", "hello", "World", " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n\n", "\u00a0", "\u0085", "\u2028", "\u3000",
    "e\u0301", "\u0301", "ﬁ", "①", "Ⅻ", "２３", "Ｈｅｌｌｏ", "İ", "ß", "ΣΑΣ", "\u{1F469}\u200D\u{1F4BB}", "\u{1F44D}\u{1F3FD}", "\u{1F1EB}\u{1F1F7}",
    "日本語", "中文", "한국어", "مرحبا", "नमस्ते", "12345", "3.14159", "007", "'s", "'LL", "don't", "word", "words", "sword",
    ",", ".", "!?", "...", "()", "{}", "<s>", "</s>", "<bos>", "<eos>", "<mask>", "<sep>", "<h1>", "<|im_start|>", "<|im_end|>",
    "<|endoftext|>", "<|begin_of_text|>", "<|eot_id|>", "<|user|>", "<|assistant|>", "<|end|>", "<start_of_turn>", "<tool_call>",
    "<|fim_prefix|>", "<Tag>", "<tag>", "<TAG>", "Hello World", "hello   world", "<|im", "ﬁx", "fix", " qz", "  qz", "a  qz", "<q", "<q>", "▁", "▁▁▁", "\t\t", "#", "//", "->", "==", "x=1;", "\u200b", "\ufeff", "\u{10400}", "Å", "Ω", "ǅ"];
const texts = [...fixture];  // filtered below
for (let i = 0; i < 60; i++) { const at = rnd(corpus.length - 800); texts.push(corpus.slice(at, at + 20 + rnd(300))); }
for (let i = 0; i < 200; i++) { let s = ""; const n = 1 + rnd(12); for (let k = 0; k < n; k++) s += pick(atoms); texts.push(s); }
for (const lead of ["", " ", "  ", "\n", "\t"]) for (const tail of ["", " ", "  ", "\n"]) texts.push(lead + "word <s> word" + tail);

// U+0085: HF (Oniguruma, Rust) takes it as white space, tokenizers.js's GPT-2 regex and Strip do not;
// U+FEFF: the other way round (JavaScript's \s and trim() take it, Rust's char::is_whitespace and
// Oniguruma's \s do not: Strip, lstrip/rstrip, Whitespace). The fixtures' cases check both against HF.
for (let i = texts.length; i-- > 0;) if (/[\u0085\ufeff]/.test(texts[i])) texts.splice(i, 1);
// ---- reference values ----
const config = { clean_up_tokenization_spaces: false };
function cases(json, skip) {
    const tok = new Tokenizer(json, config);
    const ord = new Tokenizer({ ...json, added_tokens: json.added_tokens.filter((a) => !a.special) }, config);
    const res = [];
    for (const text of texts) {
        if (skip && skip.test(text)) continue;
        const ids = [...tok.encode(text, { add_special_tokens: false }).ids].map(Number);
        const ids_special = [...tok.encode(text, { add_special_tokens: true }).ids].map(Number);
        const c = { text, ids, ids_special };
        // The ordinary ids (special text kept plain) only where they differ; the filtered tokenizer
        // no longer knows the special ids, so it cannot decode them: it only encodes here.
        const ids_ordinary = [...ord.encode(text, { add_special_tokens: false }).ids].map(Number);
        if (JSON.stringify(ids_ordinary) !== JSON.stringify(ids)) c.ids_ordinary = ids_ordinary;
        const dec = (x) => (x.length ? tok.decode(x, { skip_special_tokens: false, clean_up_tokenization_spaces: false }) : "");
        c.decoded = dec(ids);
        c.decoded_special = dec(ids_special);
        res.push(c);
    }
    return res;
}
const only = process.argv[4];
for (const [name, json] of Object.entries(T)) {
    if (only && name !== only) continue;
    const dir = path.join(out, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(json) + "\n");
    const special = json.added_tokens.filter((a) => a.special).map((a) => a.content);
    fs.writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(config) + "\n");
    // U+FEFF: Oniguruma's \s (HF's Whitespace) excludes it, JavaScript's includes it. Final sigma: HF
    // lowercases character by character (Σ -> σ everywhere), JavaScript's toLowerCase gives a final ς.
    // Digits: HF splits every numeric character (char::is_numeric: Nd, Nl, No), tokenizers.js only \d (ASCII).
    const skip = { nfkc_lower_strip: /Σ/, added_normalized: /Σ/, smollm: /[^\P{N}0-9]/u,
                   digits_runs: /[^\P{N}0-9]/u }[name];
    const cs = cases(json, skip);
    fs.writeFileSync(path.join(dir, "cases.json"), "{\n \"tokenizer\": " + JSON.stringify(name) +
        ",\n \"reference\": \"@huggingface/tokenizers 0.2.0 (tokenizers.js), generate.mjs\",\n \"cases\": [\n" +
        cs.map((c) => "  " + JSON.stringify(c)).join(",\n") + "\n ]\n}\n");
    console.log(name, cs.length);
}
