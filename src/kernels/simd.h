/* simd.h — the x86 vector extensions the kernels are compiled for, function
 * by function (chosen at run time: the build has no -march), and the vector
 * reduction and transpose more than one kernel file uses. */
#ifndef GPT_SIMD_H
#define GPT_SIMD_H

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#define TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#define TARGET_AVX512 __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl")))
#define TARGET_VNNI __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))
/* The portable kernels, with a second copy for CPUs that have FMA (chosen
 * once, at load): there fmaf is one instruction, where the build's baseline
 * (no -march) calls libm for each. The same bits either way: fmaf rounds
 * once, nothing else is contracted (-ffp-contract=off) or reassociated, and
 * integer sums are exact in any order. Such a CPU takes the AVX2 kernels
 * anyway, unless it lacks AVX2 (AMD's Piledriver to Excavator) or a test
 * forces the portable path, as test_ops does for every product: with the
 * copies of dot_portable, matmul_small_cols and in_order_block it ran in
 * 94 s instead of 129 (Zen 2; 78 s with q8_panel_portable's copy and the
 * in-order block's rework). (A string with a comma is two copies, one a
 * feature: "avx2,fma" gave an AVX2 copy that still called libm; and
 * "arch=haswell" asks for that CPU model, so Zen 2 took the default.) */
#define PORTABLE_CLONES __attribute__((target_clones("fma", "default")))

/* The rest of dot_f32's 16-lane tree for 16 dots at once (the decode
 * attention's scores and the head tiles), a[j] the lanes of dot j: lanes
 * l + l+8 (256-bit halves), l + l+4 (128-bit quarters), adjacent pairs,
 * pairs two apart; lane j of the result is dot j. */
TARGET_AVX512 static inline __attribute__((always_inline)) __m512 reduce16x16(const __m512 *a) {
    __m512 t[8], s[4], u[2];
    for (int j = 0; j < 8; j++)  // t[j]: dot 2j's 8 sums, then dot 2j+1's
        t[j] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * j], a[2 * j + 1], 0x44),
                             _mm512_shuffle_f32x4(a[2 * j], a[2 * j + 1], 0xEE));
    for (int j = 0; j < 4; j++)  // s[j]: quarter m holds dot 4j+m's four sums
        s[j] = _mm512_add_ps(_mm512_shuffle_f32x4(t[2 * j], t[2 * j + 1], 0x88),
                             _mm512_shuffle_f32x4(t[2 * j], t[2 * j + 1], 0xDD));
    for (int j = 0; j < 2; j++)  // u[j], quarter m: dot 8j+m's (s0+s1, s2+s3), then dot 8j+4+m's
        u[j] = _mm512_add_ps(_mm512_shuffle_ps(s[2 * j], s[2 * j + 1], _MM_SHUFFLE(2, 0, 2, 0)),
                             _mm512_shuffle_ps(s[2 * j], s[2 * j + 1], _MM_SHUFFLE(3, 1, 3, 1)));
    const __m512 r = _mm512_add_ps(_mm512_shuffle_ps(u[0], u[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                   _mm512_shuffle_ps(u[0], u[1], _MM_SHUFFLE(3, 1, 3, 1)));
    // lane 4m + k of r is dot m + 4k
    return _mm512_permutexvar_ps(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), r);
}

/* r[i] = lane i of each of r[0..7] (an 8 x 8 transpose of 32-bit lanes;
 * shuffles only, so any bits pass unchanged). */
TARGET_AVX2 static inline __attribute__((always_inline)) void transpose8(__m256 r[8]) {
    __m256 t[8], s[8];
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
#pragma GCC unroll 2
    for (int i = 0; i < 2; i++) {
        s[4 * i + 0] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        s[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        s[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        s[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        r[i] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x20);
        r[i + 4] = _mm256_permute2f128_ps(s[i], s[i + 4], 0x31);
    }
}
#else
#define HAVE_X86 0
#define PORTABLE_CLONES
#endif

#endif
