/* activation.c — the gated MLP's silu(gate) * up. */
#include <math.h>

#include "layers.h"

#define PAR_MIN 32768

void silu_mul(float *gate, const float *up, size_t n) {
#pragma omp parallel for schedule(static) if (n >= PAR_MIN)
    for (size_t i = 0; i < n; i++) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}
