/* cli_lines.h — lines from a file descriptor, with a way to ask whether a
 * whole line is there without waiting for one: `--batch` polls its input
 * while requests are in flight, so a producer that writes one prompt and
 * waits for its answer is answered. */
#ifndef GPT_CLI_LINES_H
#define GPT_CLI_LINES_H

#include <stddef.h>

typedef struct {
    int fd;
    char *buf;          /* (cap) bytes read, not yet handed out, at buf + start */
    size_t start, len, cap;
    int eof;            /* read() said end of input (or failed) */
} cli_lines;

enum { CLI_LINE_END = 0, CLI_LINE_OK = 1, CLI_LINE_LATER = 2 };

/* Starts reading fd. */
void cli_lines_init(cli_lines *r, int fd);
void cli_lines_free(cli_lines *r);

/* The next line: CLI_LINE_OK with *line (NUL-terminated, the newline cut;
 * valid until the next call) and its length *n, which counts any NUL bytes
 * inside; CLI_LINE_END at the end of input (a last line without a newline
 * is still a line) or on a read error or a signal (errno then says which);
 * with wait == 0, CLI_LINE_LATER when no whole line can be had without
 * blocking. */
int cli_lines_next(cli_lines *r, int wait, char **line, size_t *n);

#endif
