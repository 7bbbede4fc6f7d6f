/* fuzz_tokenizer_load.c — loading vocab.json + merges.txt, or
 * tokenizer.json (gpt_tokenizer_load), from arbitrary bytes.
 *
 * Input: with a NUL byte, the bytes before the first NUL are vocab.json and
 * the rest merges.txt; without one, the input is tokenizer.json alone (its
 * structure: normalizers, pre-tokenizers, regexes, added tokens, decoders).
 *
 * Checks: no crash, leak, hang or undefined behaviour; a failure says why;
 * a tokenizer that loads encodes a fixed text plus the input's first bytes
 * (or says that a character has no token and there is no unk_token) into
 * ids in range, twice the same; those decode, token by token the same as
 * all at once, within max_token_bytes each; and where the tokenizer says it
 * round-trips, back to the text byte for byte. */
#include "fuzz.h"

static void check_round_trip(gpt_tokenizer *tok, const char *text, size_t len, int flags) {
    int *ids = NULL, *again = NULL;
    size_t n = 0, again_n = 0;
    char err[256];
    gpt_status st = gpt_tokenizer_encode_ex(tok, text, len, flags, &ids, &n, err, sizeof err);
    FUZZ_CHECK(st == GPT_OK || st == GPT_ERR_FORMAT);  // FORMAT: no token for a character, no unk_token
    if (st != GPT_OK) {
        FUZZ_CHECK(ids == NULL && err[0]);
        return;
    }
    FUZZ_CHECK(gpt_tokenizer_encode_ex(tok, text, len, flags, &again, &again_n, err, sizeof err) == GPT_OK);
    FUZZ_CHECK(again_n == n && !memcmp(again, ids, n * sizeof(int)));
    free(again);
    const int V = gpt_tokenizer_vocab_size(tok);
    for (size_t i = 0; i < n; i++) FUZZ_CHECK(ids[i] >= 0 && ids[i] < V);
    char *decoded = NULL;
    size_t decoded_len = 0;
    FUZZ_CHECK(gpt_tokenizer_decode(tok, ids, n, &decoded, &decoded_len, err, sizeof err) == GPT_OK);
    gpt_detokenizer d;
    gpt_detokenizer_init(&d);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        size_t piece = 0;
        const char *bytes = gpt_detokenizer_next(tok, &d, ids[i], &piece);
        FUZZ_CHECK(piece <= (size_t)gpt_tokenizer_max_token_bytes(tok));
        FUZZ_CHECK(at + piece <= decoded_len && (piece == 0 || !memcmp(decoded + at, bytes, piece)));
        at += piece;
    }
    FUZZ_CHECK(at == decoded_len);
    if (gpt_tokenizer_round_trips(tok) && !(flags & GPT_ENCODE_ADD_SPECIAL))
        FUZZ_CHECK(decoded_len == len && !memcmp(decoded, text, len));
    free(decoded);
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
    FUZZ_CHECK(gpt_tokenizer_vocab_size(tok) >= 1);
    static const char text[] = "the then in an on, <|endoftext|> <s> 'll 42\n\n \xff\xc3 caf\xc3\xa9 e\xcc\x81 \xe2\x96\x81x";
    check_round_trip(tok, text, sizeof text - 1, GPT_ENCODE_SPECIAL);
    check_round_trip(tok, text, sizeof text - 1, GPT_ENCODE_ADD_SPECIAL);
    check_round_trip(tok, (const char *)data, size < 256 ? size : 256, GPT_ENCODE_SPECIAL);
    gpt_tokenizer_free(tok);
    return 0;
}
