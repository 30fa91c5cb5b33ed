#include "internal.h"

enum { NR = LATHE_CONV_NR };

size_t lathe_conv2d_scratch_count(const lathe_conv2d_window *g) {
    const size_t k = (size_t)g->channels * (size_t)g->kernel_h * (size_t)g->kernel_w;
    return k * NR + k;  // a panel, then the offsets (int32, one float each)
}

/// The operand of the panel at position p when it can be read in place (n
/// full positions of one output row, or of any rows when they follow one
/// another in the prepared image: every tap is NR consecutive floats from it
/// plus the tap's offset), else NULL.
static inline const float *direct_operand(const lathe_conv2d_window *g, const lathe_prepared_layout *layout,
                                          const float *prepared, int p, int n) {
    if (n < NR) return NULL;
    // Consecutive rows of the output read consecutive prepared rows (1x1, stride 1): any positions are in place.
    if (g->stride_h == 1 && layout->row == (size_t)g->out_w) return prepared + p;
    const int oh = p / g->out_w, ow = p % g->out_w;
    if (ow + NR > g->out_w) return NULL;
    return prepared + (size_t)oh * (size_t)g->stride_h * layout->row + (size_t)ow;
}

void lathe_conv2d_positions(const float *packed_weights, int m, const lathe_conv2d_window *g, const float *prepared,
                            int first, int count, float *out, size_t ldo, float *scratch) {
    const int k = g->channels * g->kernel_h * g->kernel_w;
    const lathe_prepared_layout layout = lathe_prepared_layout_of(g);
    float *panel = scratch;
    int32_t *offsets = (int32_t *)(scratch + (size_t)k * NR);
    // Where tap (c, kh, kw) of output (0, 0) lies; position (oh, ow) adds oh * stride_h rows and ow floats.
    for (int c = 0, p = 0; c < g->channels; c++)
        for (int kh = 0; kh < g->kernel_h; kh++)
            for (int kw = 0; kw < g->kernel_w; kw++, p++) {
                const size_t column = (size_t)kw * (size_t)g->dilation_w;
                offsets[p] = (int32_t)((size_t)c * layout.plane + (size_t)kh * (size_t)g->dilation_h * layout.row
                                       + (column % (size_t)g->stride_w) * layout.phase_w + column / (size_t)g->stride_w);
            }
    const int end = first + count;
    const int pairs = lathe_has_pair_kernel();
    for (int p = first; p < end;) {
        const int n = end - p < NR ? end - p : NR;
        const float *b = direct_operand(g, &layout, prepared, p, n);
        const float *next = pairs && b && p + NR < end ? direct_operand(g, &layout, prepared, p + NR, end - p - NR) : NULL;
        if (next) {
            const float *a = packed_weights;
            for (int r = 0; r < m;) {
                const int height = lathe_row_block(m - r);
                const int rows = m - r < height ? m - r : height;
                float *c = out + (size_t)r * ldo + (size_t)p;
                lathe_micro_kernel_pair(height, k, a, b, next, offsets, c, c + NR, ldo, rows);
                a += (size_t)height * (size_t)k;
                r += height;
            }
            p += 2 * NR;
            continue;
        }
        const int32_t *taps = offsets;
        if (!b) {
            // Positions across a row end (narrow outputs) or a short last panel: packed value by value.
            int32_t base[NR];
            for (int j = 0; j < NR; j++) {
                const int q = p + (j < n ? j : 0);
                base[j] = (int32_t)((size_t)(q / g->out_w) * (size_t)g->stride_h * layout.row + (size_t)(q % g->out_w));
            }
            for (int t = 0; t < k; t++)
                for (int j = 0; j < NR; j++) panel[(size_t)t * NR + j] = j < n ? prepared[base[j] + offsets[t]] : 0.0f;
            b = panel;
            taps = NULL;
        }
        const float *a = packed_weights;
        for (int r = 0; r < m;) {
            const int height = lathe_row_block(m - r);
            const int rows = m - r < height ? m - r : height;
            lathe_micro_kernel(height, k, a, b, taps, out + (size_t)r * ldo + (size_t)p, ldo, rows, n);
            a += (size_t)height * (size_t)k;
            r += height;
        }
        p += NR;
    }
}
