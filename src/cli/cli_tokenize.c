/* cli_tokenize.c — `gpt tokenize` (text → ids) and `gpt detokenize` (ids → bytes). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "cli.h"
#include "cli_json.h"

static const char *TOKENIZE_USAGE = "gpt tokenize [-m MODEL] [--special] [--add-special] [--format ids|jsonl]";
static const char *TOKENIZE_HELP =
    "Read all of stdin as one text (no newline added or removed) and print its token ids.\n"
    "Only the tokenizer files are read (a directory without weights will do).\n"
    "Any bytes are accepted: invalid UTF-8 is encoded byte by byte.\n"
    "\n"
    "options:\n"
    "  -m, --model DIR   model directory with vocab.json + merges.txt, or tokenizer.json\n"
    "                    (default: $GPT_MODEL, else the bundled model)\n"
    "      --special     special-token text (<|endoftext|>, <|eot_id|>, <s>) becomes its\n"
    "                    token, as HF's encode(text, add_special_tokens=False) does\n"
    "                    (default: plain text)\n"
    "      --add-special also add what the tokenizer's post-processor adds (Llama 2's <s>),\n"
    "                    as HF's add_special_tokens=True\n"
    "      --format F    ids: space-separated ids on one line (default);\n"
    "                    jsonl (or json): {\"ids\":[...],\"tokens\":[...]} with the vocabulary's\n"
    "                    spellings\n"
    "  -h, --help        this help\n"
    "\n"
    "example:\n"
    "  printf 'Hello world' | gpt tokenize        # 15496 995\n";

static const char *DETOKENIZE_USAGE = "gpt detokenize [-m MODEL]";
static const char *DETOKENIZE_HELP =
    "Read token ids on stdin and write the text the tokenizer's decoder gives them,\n"
    "byte for byte (byte tokens that are not UTF-8 alone are written as they are).\n"
    "Each line holds ids separated by whitespace, a JSON array of ids ([15496,995]),\n"
    "or a JSON object with an \"ids\" array (as tokenize writes in jsonl) or a\n"
    "\"tokens\" array (as generate writes). Only the tokenizer files are read.\n"
    "\n"
    "options:\n"
    "  -m, --model DIR   model directory (default: $GPT_MODEL, else the bundled model)\n"
    "  -h, --help        this help\n"
    "\n"
    "example:\n"
    "  echo 15496 995 | gpt detokenize            # Hello world\n"
    "  echo [15496,995] | gpt detokenize\n";

/* All of stdin, then the tokenizer of -m's model (tokenize and detokenize
 * both, in this order). Returns EXIT_OK, or EXIT_RUNTIME after one
 * diagnostic, with nothing left to free. */
static int read_stdin_and_tokenizer(const char *model_flag, char **text, size_t *len, gpt_tokenizer **tok) {
    if (cli_read_input(NULL, text, len) != EXIT_OK) return EXIT_RUNTIME;
    if (cli_open(cli_model_dir(model_flag), NULL, tok, NULL) != EXIT_OK) {
        free(*text);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}

int cli_tokenize(int argc, char **argv) {
    enum { OPT_SPECIAL = CLI_OPT_OWN, OPT_ADD_SPECIAL, OPT_FORMAT };
    static const struct option rows[] = {
        CLI_ROW_MODEL, CLI_ROW_HELP,
        {"special", no_argument, NULL, OPT_SPECIAL},
        {"add-special", no_argument, NULL, OPT_ADD_SPECIAL},
        {"format", required_argument, NULL, OPT_FORMAT},
        CLI_ROW_END,
    };
    const cli_command cmd = {"tokenize", TOKENIZE_USAGE, TOKENIZE_HELP, rows, 0};
    int flags = 0, jsonl = 0;
    cli_parse p = {0};
    for (int c; (c = cli_next_option(&cmd, argc, argv, &p)) != -1;) {
        switch (c) {
        case CLI_OPT_STOP: return p.status;
        case OPT_SPECIAL: flags |= GPT_ENCODE_SPECIAL; break;
        case OPT_ADD_SPECIAL: flags |= GPT_ENCODE_ADD_SPECIAL; break;
        case OPT_FORMAT:
            if (!strcmp(optarg, "jsonl") || !strcmp(optarg, "json")) jsonl = 1;
            else if (!strcmp(optarg, "ids")) jsonl = 0;
            else return cli_usage_fail(&cmd, "--format wants ids or jsonl, not '%s'", optarg);
            break;
        }
    }
    if (p.n_args) return cli_usage_fail(&cmd, "unexpected argument '%s' (the text comes on stdin)", p.args[0]);
    char *text;
    size_t len;
    gpt_tokenizer *tok;
    if (read_stdin_and_tokenizer(p.model_dir, &text, &len, &tok) != EXIT_OK) return EXIT_RUNTIME;
    int *ids = NULL;
    size_t n = 0;
    char err[512];
    int rc = EXIT_OK;
    if (gpt_tokenizer_encode_ex(tok, text, len, flags, &ids, &n, err, sizeof err) != GPT_OK) {
        cli_error("%s", err);
        rc = EXIT_RUNTIME;
    } else if (jsonl) {
        cJSON *obj = cJSON_CreateObject();
        cJSON *jids = cJSON_AddArrayToObject(obj, "ids"), *jtoks = cJSON_AddArrayToObject(obj, "tokens");
        for (size_t i = 0; i < n; i++) {
            cJSON_AddItemToArray(jids, cJSON_CreateNumber(ids[i]));
            cJSON_AddItemToArray(jtoks, cJSON_CreateString(gpt_tokenizer_token_string(tok, ids[i])));
        }
        char *s = cJSON_PrintUnformatted(obj);
        if (!s) {
            cli_error("out of memory");
            rc = EXIT_RUNTIME;
        } else {
            cli_printf("%s\n", s);
        }
        free(s);
        cJSON_Delete(obj);
    } else {
        /* One line, formatted by hand: printf per id cost more than the
         * tokenizing itself. */
        char buf[1 << 16];
        size_t used = 0;
        for (size_t i = 0; i < n; i++) {
            if (used > sizeof buf - 16) {
                if (cli_write(buf, used) != 0) break;
                used = 0;
            }
            char digits[12];
            int k = 0;
            unsigned v = (unsigned)ids[i];
            do digits[k++] = (char)('0' + v % 10); while ((v /= 10) != 0);
            if (i) buf[used++] = ' ';
            while (k) buf[used++] = digits[--k];
        }
        buf[used++] = '\n';
        cli_write(buf, used);
    }
    free(ids);
    free(text);
    gpt_tokenizer_free(tok);
    return rc;  // main's cli_finish checks the output
}

int cli_detokenize(int argc, char **argv) {
    static const struct option rows[] = {CLI_ROW_MODEL, CLI_ROW_HELP, CLI_ROW_END};
    const cli_command cmd = {"detokenize", DETOKENIZE_USAGE, DETOKENIZE_HELP, rows, 0};
    cli_parse p = {0};
    for (int c; (c = cli_next_option(&cmd, argc, argv, &p)) != -1;)
        if (c == CLI_OPT_STOP) return p.status;
    if (p.n_args) return cli_usage_fail(&cmd, "unexpected argument '%s' (the ids come on stdin)", p.args[0]);
    char *text;
    size_t len;
    gpt_tokenizer *tok;
    if (read_stdin_and_tokenizer(p.model_dir, &text, &len, &tok) != EXIT_OK) return EXIT_RUNTIME;
    /* Every id is checked before any byte is written: no partial output. */
    int rc = EXIT_OK;
    const int V = gpt_tokenizer_vocab_size(tok);
    size_t n_ids = 0;
    int *ids = malloc(sizeof(int) * (len / 2 + 1));  // ids are at least one digit and a separator apart
    long line_no = 0;
    for (char *line = text, *next; ids && rc == EXIT_OK && line < text + len; line = next) {
        char *end = memchr(line, '\n', (size_t)(text + len - line));
        next = end ? end + 1 : text + len;
        if (end) *end = '\0';
        line_no++;
        const char *start = line;
        while (*start == ' ' || *start == '\t' || *start == '\r') start++;
        if (*start == '{' || *start == '[') {
            /* JSON: an array of ids, or an object's "ids" or "tokens" array. */
            cJSON *root = cJSON_Parse(start);
            const cJSON *arr = cJSON_IsArray(root) ? root : NULL;
            if (cJSON_IsObject(root)) {
                arr = cJSON_GetObjectItemCaseSensitive(root, "ids");
                if (!cJSON_IsArray(arr)) arr = cJSON_GetObjectItemCaseSensitive(root, "tokens");
                if (!cJSON_IsArray(arr)) arr = NULL;
            }
            if (!arr) {
                cli_error("stdin line %ld: not a JSON array of ids, nor an object with an \"ids\" or "
                          "\"tokens\" array", line_no);
                rc = EXIT_RUNTIME;
            }
            const cJSON *e;
            if (arr) cJSON_ArrayForEach(e, arr) {
                long id;
                if (!cli_json_int(e, 0, V - 1, &id)) {
                    cli_error("stdin line %ld: an element of the array is not a token id in 0..%d", line_no, V - 1);
                    rc = EXIT_RUNTIME;
                    break;
                }
                ids[n_ids++] = (int)id;  // each id takes at least two bytes of the line ("1,")
            }
            cJSON_Delete(root);
            continue;
        }
        char *save = NULL;
        for (char *word = strtok_r(line, " \t\r", &save); word; word = strtok_r(NULL, " \t\r", &save)) {
            long id;
            if (cli_parse_int(word, 0, V - 1, &id) != 0) {
                cli_error("stdin: '%.40s' is not a token id in 0..%d", word, V - 1);
                rc = EXIT_RUNTIME;
                break;
            }
            ids[n_ids++] = (int)id;
        }
    }
    if (!ids) {
        cli_error("out of memory");
        rc = EXIT_RUNTIME;
    }
    /* Through the decoder chain, token by token (Llama 2's first token loses its space). */
    gpt_detokenizer d;
    gpt_detokenizer_init(&d);
    for (size_t i = 0; i < n_ids && rc == EXIT_OK; i++) {
        size_t n = 0;
        const char *bytes = gpt_detokenizer_next(tok, &d, ids[i], &n);
        if (bytes && cli_write(bytes, n) != 0) break;  // the reader went away
    }
    free(ids);
    free(text);
    gpt_tokenizer_free(tok);
    return rc;  // main's cli_finish checks the output
}
