/* fuzz_safetensors.c — the safetensors header parser, the sharded index
 * parser and the model binder (st_open, gpt_model_load) on arbitrary files.
 *
 * Input: one mode byte, then a file. Mode bit 0 clear: the file is
 * model.safetensors; set: it is model.safetensors.index.json, beside two
 * valid shards (a.safetensors: embeddings and ln_f; b.safetensors: layer 0)
 * of a tiny model. Bit 1 asks the loader for Q8, bit 2 for --check, bit 3
 * maps the files (--mmap) where they are otherwise read into memory.
 * config.json always describes that tiny model (1 layer, n_embd 4,
 * n_inner 16, 4 positions, 8 tokens), so a well-formed file gets bound.
 *
 * Checks: no crash, leak or undefined behaviour; every tensor st_open
 * accepts lies inside its own file's mapping, after the header, and is
 * found by name. */
#include "fuzz.h"

#include "safetensors.h"

static const char TINY_CONFIG[] =
    "{\"model_type\": \"gpt2\", \"n_layer\": 1, \"n_head\": 1, \"n_embd\": 4, \"n_inner\": 16,"
    " \"n_positions\": 4, \"vocab_size\": 8}";

/* The tiny model's tensors: name and shape (a second dimension of 0: a vector). */
static const struct { const char *name; int rows, cols; } TINY[] = {
    {"wte.weight", 8, 4},         {"wpe.weight", 4, 4},          {"ln_f.weight", 4, 0},
    {"ln_f.bias", 4, 0},          {"h.0.ln_1.weight", 4, 0},     {"h.0.ln_1.bias", 4, 0},
    {"h.0.attn.c_attn.weight", 4, 12}, {"h.0.attn.c_attn.bias", 12, 0}, {"h.0.attn.c_proj.weight", 4, 4},
    {"h.0.attn.c_proj.bias", 4, 0}, {"h.0.ln_2.weight", 4, 0},   {"h.0.ln_2.bias", 4, 0},
    {"h.0.mlp.c_fc.weight", 4, 16}, {"h.0.mlp.c_fc.bias", 16, 0}, {"h.0.mlp.c_proj.weight", 16, 4},
    {"h.0.mlp.c_proj.bias", 4, 0},
};

/* Writes a valid F32 safetensors file holding TINY[first..last). */
static void write_shard(const char *file, int first, int last) {
    char header[2048];
    size_t hlen = 0, offset = 0;
    hlen += (size_t)snprintf(header, sizeof header, "{");
    for (int i = first; i < last; i++) {
        size_t n = (size_t)TINY[i].rows * (TINY[i].cols ? (size_t)TINY[i].cols : 1) * 4;
        char shape[32];
        if (TINY[i].cols) snprintf(shape, sizeof shape, "[%d,%d]", TINY[i].rows, TINY[i].cols);
        else snprintf(shape, sizeof shape, "[%d]", TINY[i].rows);
        hlen += (size_t)snprintf(header + hlen, sizeof header - hlen,
                                 "%s\"%s\":{\"dtype\":\"F32\",\"shape\":%s,\"data_offsets\":[%zu,%zu]}",
                                 i > first ? "," : "", TINY[i].name, shape, offset, offset + n);
        offset += n;
    }
    hlen += (size_t)snprintf(header + hlen, sizeof header - hlen, "}");
    FUZZ_CHECK(hlen < sizeof header);
    size_t size = 8 + hlen + offset;
    unsigned char *file_bytes = calloc(1, size);
    FUZZ_CHECK(file_bytes != NULL);
    for (int i = 0; i < 8; i++) file_bytes[i] = (unsigned char)((uint64_t)hlen >> (8 * i));
    memcpy(file_bytes + 8, header, hlen);
    float one = 1.0f;  // any finite weights will do
    for (size_t at = 8 + hlen; at < size; at += 4) memcpy(file_bytes + at, &one, 4);
    fuzz_write(file, file_bytes, size);
    free(file_bytes);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_write("config.json", TINY_CONFIG, sizeof TINY_CONFIG - 1);
    write_shard("a.safetensors", 0, 4);
    write_shard("b.safetensors", 4, (int)(sizeof TINY / sizeof TINY[0]));
    return 0;
}

/* Every tensor lies within its file's data section and is found by name. */
static void check_archive(const st_archive *a) {
    for (int i = 0; i < a->n_tensors; i++) {
        const st_tensor *t = &a->tensors[i];
        int f = 0;
        while (f < a->n_files && a->file_names[f] != t->file) f++;
        FUZZ_CHECK(f < a->n_files);
        const char *map = a->maps[f], *data = t->data;
        FUZZ_CHECK(data >= map + 8 && data <= map + a->map_sizes[f]);
        FUZZ_CHECK(t->nbytes <= (size_t)(map + a->map_sizes[f] - data));
        FUZZ_CHECK(t->ndim >= 0 && t->ndim <= 8);
        const st_tensor *found = st_find(a, t->name);
        FUZZ_CHECK(found != NULL && !strcmp(found->name, t->name));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const int mode = data[0];
    const char *as = mode & 1 ? "model.safetensors.index.json" : "model.safetensors";
    fuzz_remove(mode & 1 ? "model.safetensors" : "model.safetensors.index.json");
    fuzz_write(as, data + 1, size - 1);

    char err[512] = "";
    st_archive a;
    if (st_open(&a, fuzz_dir(), (mode >> 3) & 1, err, sizeof err) == GPT_OK) {
        check_archive(&a);
        st_close(&a);
    } else {
        FUZZ_CHECK(err[0] != '\0');
    }

    gpt_load_options opts = {.quantize_q8 = (mode >> 1) & 1, .check_finite = (mode >> 2) & 1,
                             .map_files = (mode >> 3) & 1};
    gpt_model *model = NULL;
    err[0] = '\0';
    if (gpt_model_load(&model, fuzz_dir(), &opts, err, sizeof err) == GPT_OK) {
        FUZZ_CHECK(gpt_model_n_params(model) > 0);
        gpt_model_free(model);
    } else {
        FUZZ_CHECK(model == NULL && err[0] != '\0');
    }
    return 0;
}
