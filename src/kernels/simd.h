/* simd.h — the x86 vector extensions the kernels are compiled for, function
 * by function (chosen at run time: the build has no -march). */
#ifndef GPT_SIMD_H
#define GPT_SIMD_H

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#define TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#define TARGET_AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl")))
#define TARGET_VNNI __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
#else
#define HAVE_X86 0
#endif

#endif
