/* hugemem.h — memory for the weights a decode step streams: anonymous,
 * 2 MB-aligned, with transparent huge pages asked for (madvise), so a
 * sequential read crosses a page boundary every 2 MB instead of every 4 KB.
 * On the SmolLM2 shape in BF16 decoding ran 1.23-1.55x as fast from such
 * memory as from the 4 KB pages of a file mapping (paired; BENCHMARKS.md). */
#ifndef GPT_HUGEMEM_H
#define GPT_HUGEMEM_H

#include <stddef.h>

typedef struct {
    void *base;   // the mapping, 2 MB-aligned; NULL when none
    size_t size;  // its length, whole 2 MB pages
} hugemem;

/* At least bytes of zeroed memory at a 2 MB boundary, recorded in *r for
 * hugemem_free; NULL when the system has none to give. Where huge pages
 * are off or short, the kernel backs it with 4 KB pages instead. */
void *hugemem_alloc(hugemem *r, size_t bytes);
void hugemem_free(hugemem *r);

#endif
