/* hugemem.c — anonymous 2 MB-aligned memory with huge pages asked for. */
#include <stdint.h>
#include <sys/mman.h>

#include "hugemem.h"

#define HUGE_PAGE ((size_t)2 << 20)

void *hugemem_alloc(hugemem *r, size_t bytes) {
    r->base = NULL;
    r->size = 0;
    if (bytes == 0 || bytes > SIZE_MAX - 2 * HUGE_PAGE) return NULL;
    const size_t size = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    /* One huge page more than needed, then the unaligned ends unmapped:
     * mmap promises only 4 KB alignment. */
    char *raw = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return NULL;
    char *aligned = (char *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
    if (aligned > raw) munmap(raw, (size_t)(aligned - raw));
    const size_t tail = (size_t)(raw + HUGE_PAGE - aligned);  // what is left past aligned + size
    if (tail) munmap(aligned + size, tail);
#ifdef MADV_HUGEPAGE
    madvise(aligned, size, MADV_HUGEPAGE);  // advice only: 4 KB pages where it is refused
#endif
    r->base = aligned;
    r->size = size;
    return aligned;
}

void hugemem_free(hugemem *r) {
    if (r->base) munmap(r->base, r->size);
    r->base = NULL;
    r->size = 0;
}
