/* safetensors.h — read-only access to safetensors files (single or sharded). */
#ifndef GPT_SAFETENSORS_H
#define GPT_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "hugemem.h"
#include "internal.h"

typedef struct {
    char *name;          // tensor name as stored
    char dtype[8];       // "F32", "F16", "BF16", "I8", ...
    int ndim;
    int64_t shape[8];
    const void *data;    // into the file's bytes (mapped or copied)
    size_t nbytes;
    const char *file;    // the file's name, for messages
} st_tensor;

typedef struct {
    int n_files;
    void **maps;          // (n_files) each file's bytes: a mapping of it, or a copy
    size_t *map_sizes;    // (n_files)
    hugemem *copies;      // (n_files) the copies' memory (base NULL for a mapping)
    int map_files;        // map the files rather than read them into copies
    char **file_names;    // (n_files) names within the model directory
    st_tensor *tensors;   // (n_tensors)
    int n_tensors;
    size_t total_bytes;   // the files' sizes added up
} st_archive;

/* Opens DIR/model.safetensors, or the shards listed by
 * DIR/model.safetensors.index.json. Every header is checked against its
 * file before anything is trusted. Each file is read into memory on huge
 * pages (hugemem.h), or with map_files mapped instead: shared with other
 * processes and paged in on first use, but on 4 KB pages. A file whose
 * header was not padded to 8 bytes is read into memory either way, so that
 * every tensor is aligned to its element size (one that is not is refused). */
gpt_status st_open(st_archive *a, const char *dir, int map_files, char *err, size_t err_len);
void st_close(st_archive *a);
const st_tensor *st_find(const st_archive *a, const char *name);
/* Drops from this process the mapped pages of bytes [data, data + bytes),
 * once they were quantized: the page cache keeps them, and the process's
 * memory (RSS) holds the Q8 copy alone. Nothing for a file read into memory. */
void st_release(const st_archive *a, const void *data, size_t bytes);

#endif
