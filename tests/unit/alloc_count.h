/* alloc_count.h — counts allocations while counting_allocs is set, for the
 * tests that show a loop allocates nothing. Include it in one test program
 * only: it replaces malloc, calloc, realloc and the aligned allocators for
 * the whole binary (glibc lets a program do so, and its own functions,
 * qsort among them, then call ours). Under AddressSanitizer, which owns
 * malloc, its allocation hook counts instead. Call install_alloc_counter()
 * first thing in main.
 *
 * Allocations made by libgomp (the OpenMP runtime: it allocates a team for
 * a parallel region that runs on one thread) are counted apart, in
 * n_gomp_allocs: the caller is found from the stack. */
#ifndef GPT_ALLOC_COUNT_H
#define GPT_ALLOC_COUNT_H

#include <dlfcn.h>
#include <execinfo.h>
#include <stddef.h>
#include <string.h>

static volatile int counting_allocs = 0;
static volatile long n_allocs = 0;       // made by anything but libgomp
static volatile long n_gomp_allocs = 0;  // made by libgomp
static __thread int in_counter = 0;

/* The shared object holding addr ("" when unknown). */
static const char *object_of(void *addr) {
    Dl_info info;
    return dladdr(addr, &info) && info.dli_fname ? info.dli_fname : "";
}

/* The object of the code that asked for the allocation. Without ASan the
 * stack is [this function][the malloc above][caller]; with ASan it is
 * [ASan's backtrace][this function][the hook][ASan's allocator...][caller]. */
__attribute__((noinline)) static void count_alloc(void) {
    if (!counting_allocs || in_counter) return;
    in_counter = 1;
    void *frames[16];
    int n = backtrace(frames, 16);
#if defined(__SANITIZE_ADDRESS__)
    const char *self = object_of((void *)count_alloc);
    int i = 1;
    while (i < n && !strcmp(object_of(frames[i]), self)) i++;       // this function and the hook
    while (i < n && strstr(object_of(frames[i]), "libasan")) i++;   // ASan's allocator
#else
    int i = 2;
#endif
    const char *caller = i < n ? object_of(frames[i]) : "";
    if (strstr(caller, "libgomp")) n_gomp_allocs++;
    else n_allocs++;
    in_counter = 0;
}

#if defined(__SANITIZE_ADDRESS__)
/* From compiler-rt's sanitizer/allocator_interface.h, which gcc does not install. */
int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void *, size_t),
                                              void (*free_hook)(const volatile void *));
static void on_malloc(const volatile void *ptr, size_t size) {
    (void)ptr, (void)size;
    count_alloc();
}
static void on_free(const volatile void *ptr) { (void)ptr; }
static void install_alloc_counter(void) {
    void *frames[2];
    backtrace(frames, 2);  // its first call loads libgcc_s: not while counting
    __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free);
}
#else
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t align, size_t size);
void *malloc(size_t size) {
    count_alloc();
    return __libc_malloc(size);
}
void *calloc(size_t n, size_t size) {
    count_alloc();
    return __libc_calloc(n, size);
}
void *realloc(void *ptr, size_t size) {
    count_alloc();
    return __libc_realloc(ptr, size);
}
void *memalign(size_t align, size_t size) {
    count_alloc();
    return __libc_memalign(align, size);
}
void *aligned_alloc(size_t align, size_t size) {
    count_alloc();
    return __libc_memalign(align, size);
}
int posix_memalign(void **out, size_t align, size_t size) {
    count_alloc();
    void *p = __libc_memalign(align, size);
    if (!p) return 12;  // ENOMEM
    *out = p;
    return 0;
}
static void install_alloc_counter(void) {
    void *frames[2];
    backtrace(frames, 2);  // its first call loads libgcc_s: not while counting
}
#endif

#endif
