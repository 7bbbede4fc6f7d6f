/* fuzz_tokenize.c — encode and decode arbitrary bytes with the real GPT-2
 * vocabulary (models/gpt2-books-30m, or $GPT_FUZZ_MODEL), loaded once.
 *
 * Input: one flag byte (bit 0: parse <|endoftext|> as the special token),
 * then the text.
 *
 * Checks: no crash, leak or undefined behaviour; every id is in the
 * vocabulary; decode(encode(text)) == text byte for byte; the special id
 * appears only when asked for; a second encode (through the piece cache)
 * gives the same ids as the first. */
#include "fuzz.h"

#ifndef GPT_FUZZ_MODEL_DIR
#define GPT_FUZZ_MODEL_DIR "models/gpt2-books-30m"
#endif

static gpt_tokenizer *tok;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *dir = getenv("GPT_FUZZ_MODEL");
    if (!dir || !*dir) dir = GPT_FUZZ_MODEL_DIR;
    char err[512];
    if (gpt_tokenizer_load(&tok, dir, err, sizeof err) != GPT_OK) {
        fprintf(stderr, "fuzz_tokenize: %s\n", err);
        exit(1);
    }
    return 0;
}

static int *encode(const char *text, size_t len, int special, size_t *n) {
    int *ids = NULL;
    char err[256];
    FUZZ_CHECK(gpt_tokenizer_encode(tok, text, len, special, &ids, n, err, sizeof err) == GPT_OK);
    FUZZ_CHECK(ids != NULL);
    return ids;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const int special = data[0] & 1;
    const char *text = (const char *)data + 1;
    const size_t len = size - 1;
    size_t n = 0, again_n = 0;
    int *ids = encode(text, len, special, &n);

    /* Decode: the tokens' bytes, one after another, must be the text. */
    const int V = gpt_tokenizer_vocab_size(tok), eot = gpt_tokenizer_eot_id(tok);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        FUZZ_CHECK(ids[i] >= 0 && ids[i] < V);
        FUZZ_CHECK(special || ids[i] != eot);
        size_t piece = 0;
        const char *bytes = gpt_tokenizer_token_bytes(tok, ids[i], &piece);
        FUZZ_CHECK(bytes != NULL && piece > 0);
        if (at + piece > len || memcmp(text + at, bytes, piece)) {
            fprintf(stderr, "round trip: token %zu (id %d, %zu bytes) does not match the text at byte %zu of %zu\n",
                    i, ids[i], piece, at, len);
            abort();
        }
        at += piece;
    }
    FUZZ_CHECK(at == len);

    int *again = encode(text, len, special, &again_n);
    FUZZ_CHECK(again_n == n && !memcmp(again, ids, n * sizeof(int)));
    free(again);
    free(ids);
    return 0;
}
