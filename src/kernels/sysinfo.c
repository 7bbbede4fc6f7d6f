/* sysinfo.c — what this build runs on: the BLAS library and core, and the
 * CPU's SIMD level as detected at run time. Strings only; the CLI prints. */
#include <stdio.h>

#include <cblas.h>

#include "gpt.h"
#include "ops.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

const char *gpt_blas_info(void) {
    static char info[256];
    if (!info[0]) {
        const char *config = openblas_get_config();
        const char *core = openblas_get_corename();
        snprintf(info, sizeof info, "%s (core %s)", config ? config : "OpenBLAS", core ? core : "unknown");
    }
    return info;
}

/* F16C from CPUID leaf 1 (ECX bit 29): clang's __builtin_cpu_supports does
 * not know the name "f16c". */
int cpu_avx2_fma_f16c(void) {
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    int f16c = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C);
    return f16c && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

const char *gpt_cpu_features(void) {
#if defined(__x86_64__) || defined(__i386__)
    int avx2 = cpu_avx2_fma_f16c();
    if (avx2 && __builtin_cpu_supports("avx512f")) return "AVX-512";
    if (avx2) return "AVX2+FMA+F16C";
#endif
    return "none";
}
