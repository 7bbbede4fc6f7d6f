/* safetensors.c — read or map safetensors files and check their headers.
 *
 * The format: 8 bytes of little-endian header length N, N bytes of JSON
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}},
 * then the data; offsets count from the byte after the header. Nothing in a
 * header is trusted until it is checked against the file's real size. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>

#include "safetensors.h"

#define MAX_HEADER (100u << 20)  /* 100 MB of JSON is far beyond any real header */
#define MAX_SHARDS 4096

static int dtype_size(const char *dtype) {
    static const struct { const char *name; int size; } sizes[] = {
        {"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2}, {"I64", 8}, {"I32", 4}, {"I16", 2},
        {"I8", 1},  {"U8", 1},  {"BOOL", 1}, {"U16", 2}, {"U32", 4}, {"U64", 8}, {"F8_E4M3", 1}, {"F8_E5M2", 1},
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        if (!strcmp(dtype, sizes[i].name)) return sizes[i].size;
    return 0;
}

/* qsort: tensors by where their data starts (empty ones first there). */
static int by_data_start(const void *a, const void *b) {
    const st_tensor *x = *(st_tensor *const *)a, *y = *(st_tensor *const *)b;
    const char *xs = x->data, *ys = y->data;
    if (xs != ys) return xs < ys ? -1 : 1;
    return (x->nbytes > 0) - (y->nbytes > 0);
}

/* Reads bytes [0, size) of fd into dst, runs of 32 MB on every thread.
 * Most of a copy's time is the kernel clearing each fresh page at its first
 * touch (75% of loading Llama-3.2-1B's 2.5 GB, one thread: perf), and each
 * thread touches, so clears, its own runs. Returns 0, an errno, or -1 when
 * the file ended early. */
static int read_on_threads(int fd, char *dst, size_t size) {
    const size_t run = (size_t)32 << 20;
    const long n_runs = (long)((size + run - 1) / run);
    int failure = 0;
#pragma omp parallel for schedule(dynamic, 1)
    for (long i = 0; i < n_runs; i++) {
        size_t at = (size_t)i * run;
        const size_t end = size - at < run ? size : at + run;
        while (at < end) {
            ssize_t n = pread(fd, dst + at, end - at, (off_t)at);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) {
                const int why = n < 0 ? errno : -1;
#pragma omp critical(read_on_threads)
                if (!failure) failure = why;
                break;
            }
            at += (size_t)n;
        }
    }
    return failure;
}

/* Reads (or maps) one file and appends its tensors. */
static gpt_status open_file(st_archive *a, const char *dir, const char *file, char *err, size_t err_len) {
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path)
        return gpt_fail(err, err_len, GPT_ERR_IO, "%s/%s: path too long", dir, file);
    int fd = open(path, O_RDONLY);
    if (fd < 0) return gpt_fail(err, err_len, GPT_ERR_IO, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return gpt_fail(err, err_len, GPT_ERR_IO, "%s: not a regular file", path);
    }
    size_t size = (size_t)st.st_size;
    if (size < 8) {
        close(fd);
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %zu bytes, too short for a safetensors header", path, size);
    }
    /* The header's length first: a file that cannot be a safetensors file
     * is refused before its bytes are read into memory (a 10 GB sparse
     * file took 8-55 s of reading to be refused). */
    unsigned char length_bytes[8];
    ssize_t length_read;
    do length_read = pread(fd, length_bytes, sizeof length_bytes, 0);
    while (length_read < 0 && errno == EINTR);
    if (length_read != (ssize_t)sizeof length_bytes) {
        const char *why = length_read < 0 ? strerror(errno) : "the file ended early";
        close(fd);
        return gpt_fail(err, err_len, GPT_ERR_IO, "%s: cannot read: %s", path, why);
    }
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | length_bytes[i];
    if (hlen == 0 || hlen > size - 8 || hlen > MAX_HEADER) {
        close(fd);
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: header length %llu does not fit the file of %zu bytes",
                        file, (unsigned long long)hlen, size);
    }
    int idx = a->n_files;
    void *map = NULL;
    /* The data start 8 + hlen bytes in. HF's writer pads the header so
     * that they start 8-byte aligned; a file that was not padded leaves
     * every F32 and 16-bit tensor misaligned in a mapping, so it is read
     * into memory instead. A copy is placed so that the data start on 64
     * bytes. */
    const size_t data_start = 8 + (size_t)hlen;
    if (a->map_files && data_start % 8 == 0) {
        map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
        close(fd);
        if (map == MAP_FAILED) return gpt_fail(err, err_len, GPT_ERR_IO, "%s: cannot map: %s", path, strerror(errno));
    } else {
        const size_t shift = (64 - data_start % 64) % 64;
        char *base = hugemem_alloc(&a->copies[idx], size + shift);
        if (!base) {
            close(fd);
            return gpt_fail(err, err_len, GPT_ERR_OOM, "%s: out of memory for its %zu bytes", path, size);
        }
        map = base + shift;
        const int failure = read_on_threads(fd, map, size);
        close(fd);
        if (failure) {
            hugemem_free(&a->copies[idx]);
            return gpt_fail(err, err_len, GPT_ERR_IO, "%s: cannot read: %s", path,
                            failure > 0 ? strerror(failure) : "the file ended early");
        }
    }
    a->maps[idx] = map;
    a->map_sizes[idx] = size;
    a->file_names[idx] = strdup(file);
    a->n_files++;
    a->total_bytes += size;
    if (!a->file_names[idx]) return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");

    const unsigned char *bytes = map;
    const char *data = (const char *)bytes + 8 + hlen;
    const size_t data_size = size - 8 - hlen;
    cJSON *root = gpt_json_parse((const char *)bytes + 8, (size_t)hlen, 1);
    if (!root || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: header is not a JSON object", file);
    }
    int count = cJSON_GetArraySize(root);
    st_tensor *grown = realloc(a->tensors, sizeof(st_tensor) * ((size_t)a->n_tensors + count + 1));
    if (!grown) {
        cJSON_Delete(root);
        return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    }
    a->tensors = grown;
    const int first_tensor = a->n_tensors;
    gpt_status status = GPT_OK;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, root) {
        const char *name = entry->string;
        if (!strcmp(name, "__metadata__")) continue;
        const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(entry, "dtype");
        const cJSON *shape = cJSON_GetObjectItemCaseSensitive(entry, "shape");
        const cJSON *offs = cJSON_GetObjectItemCaseSensitive(entry, "data_offsets");
        if (!cJSON_IsObject(entry) || !cJSON_IsString(dtype) || !cJSON_IsArray(shape) || !cJSON_IsArray(offs) ||
            cJSON_GetArraySize(offs) != 2) {
            status = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %s: needs dtype, shape and data_offsets", file, name);
            break;
        }
        int esize = dtype_size(dtype->valuestring);
        if (!esize || strlen(dtype->valuestring) >= sizeof a->tensors[0].dtype) {
            status = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %s: unknown dtype \"%.16s\"", file, name,
                              dtype->valuestring);
            break;
        }
        int ndim = cJSON_GetArraySize(shape);
        if (ndim > 8) {
            status = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %s: %d dimensions", file, name, ndim);
            break;
        }
        st_tensor *t = &a->tensors[a->n_tensors];
        memset(t, 0, sizeof *t);
        snprintf(t->dtype, sizeof t->dtype, "%s", dtype->valuestring);
        t->ndim = ndim;
        t->file = a->file_names[idx];
        /* Elements: the shape's product, checked for overflow at every step. */
        uint64_t elems = 1;
        for (int d = 0; d < ndim && status == GPT_OK; d++) {
            const cJSON *dim = cJSON_GetArrayItem(shape, d);
            double v = cJSON_IsNumber(dim) ? dim->valuedouble : -1;
            if (!(v >= 0 && v <= 9007199254740991.0) || v != (double)(int64_t)v)
                status = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %s: shape dimension %d is not a size", file,
                                  name, d);
            else if (v > 0 && elems > UINT64_MAX / (uint64_t)v / (uint64_t)esize)
                status = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %s: shape overflows", file, name);
            else
                t->shape[d] = (int64_t)v, elems *= (uint64_t)v;
        }
        if (status != GPT_OK) break;
        double begin = cJSON_IsNumber(cJSON_GetArrayItem(offs, 0)) ? cJSON_GetArrayItem(offs, 0)->valuedouble : -1;
        double end = cJSON_IsNumber(cJSON_GetArrayItem(offs, 1)) ? cJSON_GetArrayItem(offs, 1)->valuedouble : -1;
        if (!(begin >= 0 && end >= begin && end <= (double)data_size) || begin != (double)(uint64_t)begin ||
            end != (double)(uint64_t)end) {
            status = gpt_fail(err, err_len, GPT_ERR_FORMAT,
                              "%s: %s: data_offsets [%.0f, %.0f] fall outside the %zu data bytes", file, name, begin,
                              end, data_size);
            break;
        }
        if ((uint64_t)(end - begin) != elems * (uint64_t)esize) {
            status = gpt_fail(err, err_len, GPT_ERR_FORMAT,
                              "%s: %s: data_offsets span %.0f bytes, shape and dtype need %llu", file, name,
                              end - begin, (unsigned long long)(elems * esize));
            break;
        }
        t->data = data + (size_t)begin;
        t->nbytes = (size_t)(end - begin);
        if ((uintptr_t)t->data % (uintptr_t)esize) {  // the data start aligned: the offset is not
            status = gpt_fail(err, err_len, GPT_ERR_FORMAT,
                              "%s: %s: data_offsets start at byte %.0f, not a multiple of its %d-byte elements", file,
                              name, begin, esize);
            break;
        }
        t->name = strdup(name);
        if (!t->name) {
            status = gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
            break;
        }
        a->n_tensors++;
    }
    cJSON_Delete(root);
    /* No two tensors of a file may share bytes (as the safetensors format
     * requires): the loader rewrites matrices in place (column and row
     * panels), which would change the other. Sorted by start, each must
     * start at or after the end of the one before. */
    const int n_file = a->n_tensors - first_tensor;
    st_tensor **by_start = status == GPT_OK && n_file > 1 ? malloc(sizeof *by_start * (size_t)n_file) : NULL;
    if (status == GPT_OK && n_file > 1 && !by_start) status = gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    if (by_start) {
        for (int i = 0; i < n_file; i++) by_start[i] = &a->tensors[first_tensor + i];
        qsort(by_start, (size_t)n_file, sizeof *by_start, by_data_start);
        const st_tensor *last = by_start[0];  // of those before, the one that ends last
        for (int i = 1; i < n_file && status == GPT_OK; i++) {
            const st_tensor *y = by_start[i];
            const char *last_end = (const char *)last->data + last->nbytes;
            if (y->nbytes && (const char *)y->data < last_end)
                status = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %s and %s share data bytes", file, last->name,
                                  y->name);
            if ((const char *)y->data + y->nbytes > last_end) last = y;
        }
        free(by_start);
    }
    return status;
}

/* A shard name from an index file: a plain file name in the model directory. */
static int safe_file_name(const char *name) {
    return *name && !strchr(name, '/') && strcmp(name, ".") && strcmp(name, "..") && strlen(name) < 256;
}

static gpt_status open_index(st_archive *a, const char *dir, char *err, size_t err_len) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        /* Older hub checkpoints hold only PyTorch's pickles, which run code
         * when read: say what to do rather than only what is missing. */
        static const char *pickles[] = {"pytorch_model.bin", "pytorch_model.bin.index.json"};
        for (int i = 0; i < 2; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, pickles[i]);
            if (access(path, F_OK) == 0)
                return gpt_fail(err, err_len, GPT_ERR_UNSUPPORTED,
                                "%s: no model.safetensors or model.safetensors.index.json (%s is PyTorch's pickle "
                                "format, which gpt does not read: convert it to safetensors)",
                                dir, pickles[i]);
        }
        return gpt_fail(err, err_len, GPT_ERR_IO, "%s: no model.safetensors or model.safetensors.index.json", dir);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (n < 0 || n > (long)MAX_HEADER) {
        fclose(f);
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: unreasonable size", path);
    }
    char *text = malloc((size_t)n + 1);
    size_t got = text ? fread(text, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!text || got != (size_t)n) {
        free(text);
        return gpt_fail(err, err_len, GPT_ERR_IO, "%s: cannot read", path);
    }
    cJSON *root = gpt_json_parse(text, (size_t)n, 1);
    free(text);
    const cJSON *map = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    if (!cJSON_IsObject(map)) {
        cJSON_Delete(root);
        return gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: no \"weight_map\" object", path);
    }
    /* Each distinct shard once, in order of first mention. */
    gpt_status status = GPT_OK;
    const cJSON *e;
    cJSON_ArrayForEach(e, map) {
        if (!cJSON_IsString(e) || !safe_file_name(e->valuestring)) {
            status = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: %s: shard name must be a file in %s", path,
                              e->string, dir);
            break;
        }
        int seen = 0;
        for (int i = 0; i < a->n_files && !seen; i++) seen = !strcmp(a->file_names[i], e->valuestring);
        if (seen) continue;
        if (a->n_files >= MAX_SHARDS) {
            status = gpt_fail(err, err_len, GPT_ERR_FORMAT, "%s: more than %d shards", path, MAX_SHARDS);
            break;
        }
        status = open_file(a, dir, e->valuestring, err, err_len);
        if (status != GPT_OK) break;
    }
    cJSON_Delete(root);
    return status;
}

gpt_status st_open(st_archive *a, const char *dir, int map_files, char *err, size_t err_len) {
    memset(a, 0, sizeof *a);
    a->map_files = map_files != 0;
    a->maps = calloc(MAX_SHARDS, sizeof(void *));
    a->map_sizes = calloc(MAX_SHARDS, sizeof(size_t));
    a->copies = calloc(MAX_SHARDS, sizeof(hugemem));
    a->file_names = calloc(MAX_SHARDS, sizeof(char *));
    if (!a->maps || !a->map_sizes || !a->copies || !a->file_names) {
        st_close(a);
        return gpt_fail(err, err_len, GPT_ERR_OOM, "out of memory");
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    gpt_status status = access(path, F_OK) == 0 ? open_file(a, dir, "model.safetensors", err, err_len)
                                                : open_index(a, dir, err, err_len);
    if (status != GPT_OK) st_close(a);
    return status;
}

void st_close(st_archive *a) {
    for (int i = 0; i < a->n_tensors; i++) free(a->tensors[i].name);
    for (int i = 0; i < a->n_files; i++) {
        if (a->copies[i].base) hugemem_free(&a->copies[i]);
        else if (a->maps[i]) munmap(a->maps[i], a->map_sizes[i]);
        free(a->file_names[i]);
    }
    free(a->tensors);
    free(a->maps);
    free(a->map_sizes);
    free(a->copies);
    free(a->file_names);
    memset(a, 0, sizeof *a);
}

const st_tensor *st_find(const st_archive *a, const char *name) {
    for (int i = 0; i < a->n_tensors; i++)
        if (!strcmp(a->tensors[i].name, name)) return &a->tensors[i];
    return NULL;
}

void st_release(const st_archive *a, const void *data, size_t bytes) {
    if (!data || !bytes) return;
    for (int i = 0; i < a->n_files; i++) {
        const char *file = a->maps[i];
        if ((const char *)data < file || (const char *)data >= file + a->map_sizes[i]) continue;
        if (a->copies[i].base) return;  // our own memory (a copy): dropped, it would read back as zeros
        /* Whole pages inside [data, data + bytes) only. A page read again
         * is read again from the file: the mapping is private and never
         * written. */
        const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        const uintptr_t from = ((uintptr_t)data + page - 1) / page * page, to = ((uintptr_t)data + bytes) / page * page;
        if (to > from) madvise((void *)from, to - from, MADV_DONTNEED);
        return;
    }
}
