/* sysinfo.c — what this build runs on: the BLAS library and core, and the
 * CPU's SIMD level as detected at run time. Strings only; the CLI prints. */
#include <stdio.h>

#include <cblas.h>

#include "gpt.h"

const char *gpt_blas_info(void) {
    static char info[256];
    if (!info[0]) {
        const char *config = openblas_get_config();
        const char *core = openblas_get_corename();
        snprintf(info, sizeof info, "%s (core %s)", config ? config : "OpenBLAS", core ? core : "unknown");
    }
    return info;
}

const char *gpt_cpu_features(void) {
#if defined(__x86_64__) || defined(__i386__)
    int avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
    if (avx2 && __builtin_cpu_supports("avx512f")) return "AVX-512";
    if (avx2) return "AVX2+FMA+F16C";
#endif
    return "none";
}
