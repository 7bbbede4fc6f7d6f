/* fuzz_tokenizer_load.c — loading vocab.json + merges.txt, or
 * tokenizer.json (gpt_tokenizer_load), from arbitrary bytes.
 *
 * Input: with a NUL byte, the bytes before the first NUL are vocab.json and
 * the rest merges.txt; without one, the input is tokenizer.json alone.
 *
 * Checks: no crash, leak or undefined behaviour; a failure says why; a
 * tokenizer that loads has every byte, and encoding a fixed text plus the
 * input's first bytes gives ids in range that decode to the same bytes,
 * whatever merges it was given. */
#include "fuzz.h"

static void check_round_trip(gpt_tokenizer *tok, const char *text, size_t len) {
    int *ids = NULL;
    size_t n = 0;
    char err[256];
    FUZZ_CHECK(gpt_tokenizer_encode(tok, text, len, 1, &ids, &n, err, sizeof err) == GPT_OK);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t piece = 0;
        const char *bytes = gpt_tokenizer_token_bytes(tok, ids[i], &piece);
        FUZZ_CHECK(bytes != NULL);
        FUZZ_CHECK(piece <= (size_t)gpt_tokenizer_max_token_bytes(tok));
        FUZZ_CHECK(at + piece <= len && !memcmp(text + at, bytes, piece));
        at += piece;
    }
    FUZZ_CHECK(at == len);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *nul = memchr(data, '\0', size);
    if (nul) {
        fuzz_remove("tokenizer.json");
        fuzz_write("vocab.json", data, (size_t)(nul - data));
        fuzz_write("merges.txt", nul + 1, size - (size_t)(nul - data) - 1);
    } else {
        fuzz_remove("vocab.json");
        fuzz_remove("merges.txt");
        fuzz_write("tokenizer.json", data, size);
    }
    gpt_tokenizer *tok = NULL;
    char err[512] = "";
    if (gpt_tokenizer_load(&tok, fuzz_dir(), err, sizeof err) != GPT_OK) {
        FUZZ_CHECK(tok == NULL && err[0] != '\0');
        return 0;
    }
    FUZZ_CHECK(gpt_tokenizer_vocab_size(tok) >= 256);
    static const char text[] = "the then in an on, <|endoftext|> 'll 42\n\n \xff\xc3 caf\xc3\xa9";
    check_round_trip(tok, text, sizeof text - 1);
    check_round_trip(tok, (const char *)data, size < 256 ? size : 256);
    gpt_tokenizer_free(tok);
    return 0;
}
