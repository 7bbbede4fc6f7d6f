/* fuzz_tokenize_hub.c — encode and decode arbitrary bytes with the three
 * hub tokenizers of tests/golden/tokenizers (Llama 3, Qwen3, Llama 2),
 * loaded once.
 *
 * Input: one flag byte (bits 0-1: which tokenizer, 3 = Llama 3 again;
 * bit 2: parse special tokens; bit 3: add the post-processor's tokens),
 * then the text.
 *
 * Checks: no crash, leak, hang or undefined behaviour; every id in range;
 * a second encode (through the piece cache) gives the same ids; special
 * ids only when asked for (besides the post-processor's); decoding token
 * by token gives the same bytes as all at once; and Llama 3, which
 * round-trips, gives back the text byte for byte. */
#include "fuzz.h"

#ifndef GPT_FUZZ_HUB_DIR
#define GPT_FUZZ_HUB_DIR "tests/golden/tokenizers"
#endif

static gpt_tokenizer *toks[3];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    static const char *names[3] = {"llama3", "qwen3", "llama2"};
    for (int i = 0; i < 3; i++) {
        char dir[512], err[512];
        snprintf(dir, sizeof dir, "%s/%s", GPT_FUZZ_HUB_DIR, names[i]);
        if (gpt_tokenizer_load(&toks[i], dir, err, sizeof err) != GPT_OK) {
            fprintf(stderr, "fuzz_tokenize_hub: %s\n", err);
            exit(1);
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    gpt_tokenizer *tok = toks[(data[0] & 3) % 3];
    const int flags = (data[0] & 4 ? GPT_ENCODE_SPECIAL : 0) | (data[0] & 8 ? GPT_ENCODE_ADD_SPECIAL : 0);
    const char *text = (const char *)data + 1;
    const size_t len = size - 1;
    int *ids = NULL, *again = NULL, *plain = NULL;
    size_t n = 0, again_n = 0, plain_n = 0;
    char err[256];
    FUZZ_CHECK(gpt_tokenizer_encode_ex(tok, text, len, flags, &ids, &n, err, sizeof err) == GPT_OK);
    FUZZ_CHECK(gpt_tokenizer_encode_ex(tok, text, len, flags, &again, &again_n, err, sizeof err) == GPT_OK);
    FUZZ_CHECK(again_n == n && !memcmp(again, ids, n * sizeof(int)));
    free(again);
    const int V = gpt_tokenizer_vocab_size(tok);
    /* The post-processor's ids are those it adds to an empty text. */
    FUZZ_CHECK(gpt_tokenizer_encode_ex(tok, "", 0, flags, &plain, &plain_n, err, sizeof err) == GPT_OK);
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(ids[i] >= 0 && ids[i] < V);
        if (!(flags & GPT_ENCODE_SPECIAL) && i >= plain_n && gpt_tokenizer_is_special(tok, ids[i])) {
            fprintf(stderr, "special id %d at %zu without --special\n", ids[i], i);
            abort();
        }
    }
    free(plain);
    char *decoded = NULL;
    size_t decoded_len = 0;
    FUZZ_CHECK(gpt_tokenizer_decode(tok, ids, n, &decoded, &decoded_len, err, sizeof err) == GPT_OK);
    gpt_detokenizer d;
    gpt_detokenizer_init(&d);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t piece = 0;
        const char *bytes = gpt_detokenizer_next(tok, &d, ids[i], &piece);
        FUZZ_CHECK(at + piece <= decoded_len && (piece == 0 || !memcmp(decoded + at, bytes, piece)));
        at += piece;
    }
    FUZZ_CHECK(at == decoded_len);
    if (gpt_tokenizer_round_trips(tok) && !(flags & GPT_ENCODE_ADD_SPECIAL) && (decoded_len != len || memcmp(decoded, text, len))) {
        fprintf(stderr, "round trip: %zu bytes in, %zu out\n", len, decoded_len);
        abort();
    }
    free(decoded);
    free(ids);
    return 0;
}
