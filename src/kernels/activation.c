/* activation.c — the gated MLP's silu(gate) * up. */
#include <math.h>

#include "layers.h"

#define PAR_MIN 32768

static inline float silu_mul_one(float g, float u) { return g / (1.0f + expf(-g)) * u; }

/* A plain branch, not an `if` clause: libgomp allocates a one-thread team
 * for a region whose clause is false, and the per-token loop must not. */
void silu_mul(float *gate, const float *up, size_t n) {
    if (n < PAR_MIN) {
        for (size_t i = 0; i < n; i++) gate[i] = silu_mul_one(gate[i], up[i]);
        return;
    }
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++) gate[i] = silu_mul_one(gate[i], up[i]);
}
