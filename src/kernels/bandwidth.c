/* bandwidth.c — the machine's memory read bandwidth, the roofline of a
 * decode step (which reads every weight once). Measured the way STREAM
 * measures: a buffer far larger than the last-level cache, one contiguous
 * part per thread, written first by the thread that later reads it (the
 * kernel places a page where it is first touched), each part read with
 * eight independent accumulators, the best of several passes.
 *
 * Why eight accumulators: one chain of dependent additions (sum += x[i])
 * runs at the adder's latency, one add per 4 cycles, and on a fast memory
 * system that, not memory, is what it measures (12-16 GB/s reported where
 * vector reads reach 21-27 GB/s, gpt issue 14). Integer adds on eight
 * independent chains retire several loads a cycle, far above any DRAM.
 *
 * The buffer is on 2 MB pages, as the weights are (hugemem.h): the same read
 * over 4 KB pages ran at 0.72-0.8x (1 GiB, 1 and 2 threads, Zen 4), and a
 * roofline measured there would flatter every decode figure beside it.
 *
 * Where the CPU has AVX2 the loads are 32 bytes wide, as the decode
 * kernels' are: with 64-bit loads, eight to a cache line, Zen 3 read 0.8x
 * as fast (medians of 10 rounds, 2 threads: 22.5 against 27.6 GB/s), and
 * its decodes ran at 110-117% of that roofline. */
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <omp.h>

#include "hugemem.h"
#include "internal.h"

static double seconds_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The sum of part [i0, i1) of buf, eight independent chains. */
static uint64_t read_part(const uint64_t *buf, size_t i0, size_t i1) {
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
    size_t i = i0;
    for (; i + 8 <= i1; i += 8) {
        s0 += buf[i], s1 += buf[i + 1], s2 += buf[i + 2], s3 += buf[i + 3];
        s4 += buf[i + 4], s5 += buf[i + 5], s6 += buf[i + 6], s7 += buf[i + 7];
    }
    for (; i < i1; i++) s0 += buf[i];
    return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
/* read_part with 32-byte loads: four vectors of four 64-bit lanes, sixteen
 * independent chains; integer adds, so the same sum. */
__attribute__((target("avx2"))) static uint64_t read_part_avx2(const uint64_t *buf, size_t i0, size_t i1) {
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
    size_t i = i0;
    for (; i + 16 <= i1; i += 16) {
        s0 = _mm256_add_epi64(s0, _mm256_loadu_si256((const __m256i *)(buf + i)));
        s1 = _mm256_add_epi64(s1, _mm256_loadu_si256((const __m256i *)(buf + i + 4)));
        s2 = _mm256_add_epi64(s2, _mm256_loadu_si256((const __m256i *)(buf + i + 8)));
        s3 = _mm256_add_epi64(s3, _mm256_loadu_si256((const __m256i *)(buf + i + 12)));
    }
    uint64_t lanes[4];
    _mm256_storeu_si256((__m256i *)lanes, _mm256_add_epi64(_mm256_add_epi64(s0, s1), _mm256_add_epi64(s2, s3)));
    uint64_t sum = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    for (; i < i1; i++) sum += buf[i];
    return sum;
}
static int wide_loads(void) { return __builtin_cpu_supports("avx2"); }
#else
static uint64_t read_part_avx2(const uint64_t *buf, size_t i0, size_t i1) { return read_part(buf, i0, i1); }
static int wide_loads(void) { return 0; }
#endif

size_t gpt_bandwidth_default_bytes(void) {
    size_t bytes = (size_t)1 << 30;  // 1 GiB
    long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
    if (l3 > 0 && (size_t)l3 * 8 > bytes) bytes = (size_t)l3 * 8;
    return bytes;
}

struct gpt_bandwidth_probe {
    hugemem mem;
    uint64_t *buf;  // (n) buf[i] = i, each thread's part first written by that thread
    size_t n;
};

gpt_status gpt_bandwidth_probe_new(gpt_bandwidth_probe **out, size_t bytes, char *err, size_t err_len) {
    *out = NULL;
    if (bytes == 0) bytes = gpt_bandwidth_default_bytes();
    const size_t n = bytes / sizeof(uint64_t);
    if (n < 8) return gpt_fail(err, err_len, GPT_ERR_ARG, "bandwidth: a buffer of %zu bytes is too small", bytes);
    gpt_bandwidth_probe *p = calloc(1, sizeof *p);
    if (p) p->buf = hugemem_alloc(&p->mem, n * sizeof(uint64_t));  // never touched before the threads write their parts
    if (!p || !p->buf) {
        free(p);
        return gpt_fail(err, err_len, GPT_ERR_OOM, "bandwidth: out of memory for a %zu-byte buffer", bytes);
    }
    p->n = n;
    /* The same static split for the first touch and for every pass. */
#pragma omp parallel
    {
        const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
        const size_t i0 = n * t / nt, i1 = n * (t + 1) / nt;
        for (size_t i = i0; i < i1; i++) p->buf[i] = i;
    }
    *out = p;
    return GPT_OK;
}

gpt_status gpt_bandwidth_probe_read(gpt_bandwidth_probe *p, int passes, double *gbs, char *err, size_t err_len) {
    *gbs = 0;
    if (passes < 1) return gpt_fail(err, err_len, GPT_ERR_ARG, "bandwidth: passes must be >= 1, not %d", passes);
    const size_t n = p->n;
    const uint64_t *buf = p->buf;
    double best = 0;
    uint64_t sink = 0;
    const int wide = wide_loads();
    for (int pass = 0; pass < passes; pass++) {
        uint64_t sum = 0;
        double t0 = seconds_now();
#pragma omp parallel reduction(+ : sum)
        {
            const size_t t = (size_t)omp_get_thread_num(), nt = (size_t)omp_get_num_threads();
            sum += (wide ? read_part_avx2 : read_part)(buf, n * t / nt, n * (t + 1) / nt);
        }
        double dt = seconds_now() - t0;
        sink += sum;
        double rate = (double)(n * sizeof(uint64_t)) / dt / 1e9;
        if (rate > best) best = rate;
    }
    /* The sums of 0..n-1, one per pass: checking them keeps every read alive
     * (an unused sum could be optimized away with its loads). */
    const uint64_t want = (uint64_t)passes * (n % 2 ? (uint64_t)n * ((n - 1) / 2) : (uint64_t)(n / 2) * (n - 1));
    if (sink != want)
        return gpt_fail(err, err_len, GPT_ERR_NUMERIC, "bandwidth: the read sums %llu, not %llu",
                        (unsigned long long)sink, (unsigned long long)want);
    *gbs = best;
    return GPT_OK;
}

void gpt_bandwidth_probe_free(gpt_bandwidth_probe *p) {
    if (!p) return;
    hugemem_free(&p->mem);
    free(p);
}

gpt_status gpt_memory_bandwidth(double *gbs, size_t bytes, int passes, char *err, size_t err_len) {
    *gbs = 0;
    if (passes < 1) return gpt_fail(err, err_len, GPT_ERR_ARG, "bandwidth: passes must be >= 1, not %d", passes);
    gpt_bandwidth_probe *p;
    gpt_status st = gpt_bandwidth_probe_new(&p, bytes, err, err_len);
    if (st != GPT_OK) return st;
    st = gpt_bandwidth_probe_read(p, passes, gbs, err, err_len);
    gpt_bandwidth_probe_free(p);
    return st;
}
