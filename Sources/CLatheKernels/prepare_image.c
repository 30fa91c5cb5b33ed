#include "internal.h"
#include <string.h>
#if defined(__AVX2__)
#include <immintrin.h>
#endif

/// out[j] = in[2 * j] for j < n, never reading in[2 * n - 1] or beyond.
static void gather_even(const float *in, float *out, size_t n) {
    size_t j = 0;
#if defined(__AVX2__)
    // Eight values from sixteen floats: per 128-bit lane a0 a2 b0 b2 | a4 a6 b4 b6, then the pairs reorder.
    for (; j + 8 < n; j += 8) {
        const __m256 lo = _mm256_loadu_ps(in + 2 * j), hi = _mm256_loadu_ps(in + 2 * j + 8);
        const __m256 evens = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
        _mm256_storeu_ps(out + j, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(evens),
                                                                          _MM_SHUFFLE(3, 1, 2, 0))));
    }
#endif
    for (; j < n; j++) out[j] = in[2 * j];
}

lathe_prepared_layout lathe_prepared_layout_of(const lathe_conv2d_window *g) {
    // The last window of a row reaches column (out_w - 1) * stride + (kernel - 1) * dilation of the padded row.
    const size_t width = (size_t)(g->out_w - 1) * (size_t)g->stride_w + (size_t)(g->kernel_w - 1) * (size_t)g->dilation_w + 1;
    const size_t height = (size_t)(g->out_h - 1) * (size_t)g->stride_h + (size_t)(g->kernel_h - 1) * (size_t)g->dilation_h + 1;
    lathe_prepared_layout layout;
    layout.phase_w = (width + (size_t)g->stride_w - 1) / (size_t)g->stride_w;
    layout.row = layout.phase_w * (size_t)g->stride_w;
    layout.rows = height;
    layout.plane = layout.row * height;
    return layout;
}

/// Zeros after the last plane: the last panels of `lathe_conv2d_rows` read up
/// to (kernel_w - 1) * dilation_w floats past it for columns they drop.
static size_t slack(const lathe_conv2d_window *g) {
    return (size_t)g->kernel_w * (size_t)g->dilation_w + LATHE_CONV_NR;
}

size_t lathe_conv2d_prepared_count(const lathe_conv2d_window *g) {
    return lathe_prepared_layout_of(g).plane * (size_t)g->channels + slack(g);
}

void lathe_conv2d_prepare(const lathe_conv2d_window *g, const float *image, int first_channel, int channels,
                          float *prepared) {
    const lathe_prepared_layout layout = lathe_prepared_layout_of(g);
    const int s = g->stride_w;
    if (first_channel + channels == g->channels)
        memset(prepared + layout.plane * (size_t)g->channels, 0, sizeof(float) * slack(g));
    for (int c = first_channel; c < first_channel + channels; c++) {
        const float *source = image + (size_t)c * (size_t)g->in_h * (size_t)g->in_w;
        float *plane = prepared + (size_t)c * layout.plane;
        for (size_t r = 0; r < layout.rows; r++) {
            float *row = plane + r * layout.row;
            const long ih = (long)r - g->pad_top;
            if (ih < 0 || ih >= g->in_h) {
                memset(row, 0, sizeof(float) * layout.row);
                continue;
            }
            const float *in = source + (size_t)ih * (size_t)g->in_w;
            for (int phase = 0; phase < s; phase++) {
                float *out = row + (size_t)phase * layout.phase_w;
                // Column j of this phase is padded column j * s + phase, input column j * s + phase - pad_left.
                long iw = (long)phase - g->pad_left;
                size_t j = 0;
                for (; j < layout.phase_w && iw < 0; j++, iw += s) out[j] = 0.0f;
                if (s == 1) {
                    const size_t inside = iw < g->in_w ? (size_t)(g->in_w - iw) : 0;
                    const size_t n = inside < layout.phase_w - j ? inside : layout.phase_w - j;
                    memcpy(out + j, in + iw, sizeof(float) * n);
                    j += n;
                } else if (s == 2) {
                    // Columns iw, iw + 2, ... up to the row's end: (in_w - iw + 1) / 2 of them.
                    const size_t inside = iw < g->in_w ? (size_t)(g->in_w - iw + 1) / 2 : 0;
                    const size_t n = inside < layout.phase_w - j ? inside : layout.phase_w - j;
                    gather_even(in + iw, out + j, n);
                    j += n;
                } else {
                    for (; j < layout.phase_w && iw < g->in_w; j++, iw += s) out[j] = in[iw];
                }
                for (; j < layout.phase_w; j++) out[j] = 0.0f;
            }
        }
    }
}
