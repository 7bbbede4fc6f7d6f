/* cli_lines.c — lines from a file descriptor, blocking or not (see cli_lines.h). */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli_lines.h"

void cli_lines_init(cli_lines *r, int fd) { *r = (cli_lines){.fd = fd}; }

void cli_lines_free(cli_lines *r) {
    free(r->buf);
    r->buf = NULL;
}

/* Hands out the first len bytes as a line, dropping `drop` more (the newline). */
static int take(cli_lines *r, size_t len, size_t drop, char **line, size_t *n) {
    *line = r->buf + r->start;
    (*line)[len] = '\0';  // the newline's place, or the spare byte kept after the data
    *n = len;
    r->start += len + drop;
    r->len -= len + drop;
    return CLI_LINE_OK;
}

int cli_lines_next(cli_lines *r, int wait, char **line, size_t *n) {
    for (;;) {
        char *nl = r->len ? memchr(r->buf + r->start, '\n', r->len) : NULL;
        if (nl) return take(r, (size_t)(nl - (r->buf + r->start)), 1, line, n);
        if (r->eof) return r->len ? take(r, r->len, 0, line, n) : CLI_LINE_END;
        if (!wait) {
            struct pollfd p = {.fd = r->fd, .events = POLLIN};
            if (poll(&p, 1, 0) <= 0) return CLI_LINE_LATER;  // nothing to read (or a signal): ask again later
        }
        /* Room for at least 4 KB more and the NUL after the last byte. */
        if (r->start > 0) {
            memmove(r->buf, r->buf + r->start, r->len);
            r->start = 0;
        }
        if (r->len + 4096 + 1 > r->cap) {
            size_t cap = r->cap ? r->cap : 65536;
            while (r->len + 4096 + 1 > cap) cap *= 2;
            char *b = realloc(r->buf, cap);
            if (!b) {
                errno = ENOMEM;
                r->eof = 1;
                continue;
            }
            r->buf = b;
            r->cap = cap;
        }
        ssize_t k = read(r->fd, r->buf + r->len, r->cap - r->len - 1);
        if (k > 0) r->len += (size_t)k;
        else if (k == 0 || errno != EINTR) r->eof = 1;
        else return CLI_LINE_END;  // a signal (Ctrl-C): the caller looks at its flag
    }
}
