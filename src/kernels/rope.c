/* rope.c — rotary position embeddings: the angle tables, filled as a
 * context's positions are first used, and the rotation of one row's heads. */
#include <math.h>

#include "layers.h"

/* The frequency of pair i, as transformers' rope init functions give it
 * (default, linear, llama3), in double. */
static double pair_frequency(const gpt_config *c, int i) {
    const int HD = c->head_dim;
    double f = 1.0 / pow(c->rope_theta, (double)(2 * i) / HD);
    if (c->rope == GPT_ROPE_LINEAR) return f / c->rope_factor;
    if (c->rope != GPT_ROPE_LLAMA3) return f;
    /* Llama 3.1: wavelengths longer than original/low are slowed by the
     * factor, shorter than original/high are kept, and those between are
     * blended by where they fall. */
    const double pi = 3.14159265358979323846;
    const double orig = c->rope_original_ctx, lo = c->rope_low_freq_factor, hi = c->rope_high_freq_factor;
    const double wavelen = 2 * pi / f;
    if (wavelen > orig / lo) return f / c->rope_factor;
    if (wavelen < orig / hi) return f;
    double smooth = (orig / wavelen - lo) / (hi - lo);
    return (1 - smooth) * f / c->rope_factor + smooth * f;
}

void rope_frequencies(double *freq, const gpt_config *cfg) {
    for (int i = 0; i < cfg->head_dim / 2; i++) freq[i] = pair_frequency(cfg, i);
}

void rope_rows(float *cos_table, float *sin_table, const double *freq, int half, int p0, int p1) {
    for (int p = p0; p < p1; p++)
        for (int i = 0; i < half; i++) {
            double angle = p * freq[i];
            cos_table[(size_t)p * half + i] = (float)cos(angle);
            sin_table[(size_t)p * half + i] = (float)sin(angle);
        }
}

void rope_apply(float *x, const float *cos_row, const float *sin_row, int n_heads, int HD) {
    const int half = HD / 2;
    for (int h = 0; h < n_heads; h++) {
        float *v = x + (size_t)h * HD;  // (HD)
        for (int i = 0; i < half; i++) {
            float a = v[i], b = v[i + half];
            v[i] = a * cos_row[i] - b * sin_row[i];
            v[i + half] = b * cos_row[i] + a * sin_row[i];
        }
    }
}
