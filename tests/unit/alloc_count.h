/* alloc_count.h — counts allocations while counting_allocs is set, for the
 * tests that show a loop allocates nothing. Include it in one test program
 * only: it replaces malloc, calloc and realloc for the whole binary (glibc
 * lets a program do so, and its own functions, qsort among them, then call
 * ours). Under AddressSanitizer, which owns malloc, its allocation hook
 * counts instead. Call install_alloc_counter() first thing in main. */
#ifndef GPT_ALLOC_COUNT_H
#define GPT_ALLOC_COUNT_H

#include <stddef.h>

static volatile int counting_allocs = 0;
static volatile long n_allocs = 0;

#if defined(__SANITIZE_ADDRESS__)
/* From compiler-rt's sanitizer/allocator_interface.h, which gcc does not install. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
static void on_malloc(const volatile void *ptr, size_t size) {
    (void)ptr, (void)size;
    if (counting_allocs) n_allocs++;
}
static void on_free(const volatile void *ptr) { (void)ptr; }
static void install_alloc_counter(void) { __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free); }
#else
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
void *malloc(size_t size) {
    if (counting_allocs) n_allocs++;
    return __libc_malloc(size);
}
void *calloc(size_t n, size_t size) {
    if (counting_allocs) n_allocs++;
    return __libc_calloc(n, size);
}
void *realloc(void *ptr, size_t size) {
    if (counting_allocs) n_allocs++;
    return __libc_realloc(ptr, size);
}
static void install_alloc_counter(void) {}
#endif

#endif
