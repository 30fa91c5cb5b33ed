#include "internal.h"
#include <stdlib.h>
#include <string.h>

// Winograd's F(2×2, 3×3) (Lavin & Gray, "Fast Algorithms for Convolutional
// Neural Networks", 2015): a 3×3 stride-1 convolution computes each 2×2 block
// of outputs from the 4×4 input patch under it as Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A.
// Summed over input channels, the 16 products of a tile become 16 GEMMs
// (one per position ξ of the 4×4 transformed tile) of the transformed weights
// [m, c] by the transformed inputs [c, tiles], 16 multiply-adds a tile and
// channel pair where the direct form takes 36: 2.25 times fewer. The GEMMs
// run on `lathe_packed_gemm`; the transforms are additions only.

enum { NR = LATHE_CONV_NR, XI = 16 };

int lathe_winograd_kernels(void) {
    static int cached = -1;
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known < 0) {
        // LATHE_NO_WINOGRAD keeps the direct form (to compare them).
        const char *off = getenv("LATHE_NO_WINOGRAD");
        known = lathe_wide_kernels() && !(off && *off && strcmp(off, "0") != 0);
        __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
    }
    return known;
}

size_t lathe_winograd_packed_count(int m, int c) { return XI * lathe_packed_weights_count(m, c); }

void lathe_winograd_pack(const float *weights, int m, int c, float *packed) {
    const size_t each = (size_t)m * (size_t)c;
    float *u = malloc(sizeof(float) * XI * (each ? each : 1));
    if (!u) return;
    for (size_t rc = 0; rc < each; rc++) {
        const float *g = weights + rc * 9;
        // G g Gᵀ with G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1], in double so each value is g's exact
        // combination rounded once.
        double t[4][3];
        for (int j = 0; j < 3; j++) {
            const double g0 = g[j], g1 = g[3 + j], g2 = g[6 + j];
            t[0][j] = g0;
            t[1][j] = 0.5 * (g0 + g1 + g2);
            t[2][j] = 0.5 * (g0 - g1 + g2);
            t[3][j] = g2;
        }
        for (int i = 0; i < 4; i++) {
            const double row[4] = {t[i][0], 0.5 * (t[i][0] + t[i][1] + t[i][2]), 0.5 * (t[i][0] - t[i][1] + t[i][2]),
                                   t[i][2]};
            for (int j = 0; j < 4; j++) u[(size_t)(i * 4 + j) * each + rc] = (float)row[j];
        }
    }
    const size_t per = lathe_packed_weights_count(m, c);
    for (int xi = 0; xi < XI; xi++) lathe_pack_weights(u + (size_t)xi * each, m, c, packed + (size_t)xi * per);
    free(u);
}

void lathe_winograd_geometry(const lathe_conv2d_window *window, lathe_conv2d_window *padded) {
    *padded = *window;
    // Whole tiles: an odd output row or column is computed one past the edge (from zero
    // padding) and dropped.
    padded->out_h = (window->out_h + 1) / 2 * 2;
    padded->out_w = (window->out_w + 1) / 2 * 2;
}

size_t lathe_winograd_prepared_count(const lathe_conv2d_window *window) {
    lathe_conv2d_window padded;
    lathe_winograd_geometry(window, &padded);
    return lathe_conv2d_prepared_count(&padded) + 2 * NR;
}

void lathe_winograd_prepare(const lathe_conv2d_window *window, const float *image, int first_channel, int channels,
                            float *prepared) {
    lathe_conv2d_window padded;
    lathe_winograd_geometry(window, &padded);
    lathe_conv2d_prepare(&padded, image, first_channel, channels, prepared);
    // The input transform's last loads reach up to 32 floats past a row's last tile.
    if (first_channel + channels == window->channels)
        memset(prepared + lathe_conv2d_prepared_count(&padded), 0, sizeof(float) * 2 * NR);
}

size_t lathe_winograd_buffer_count(int m, int c, int tiles) {
    return (size_t)XI * (size_t)(m > c ? m : c) * (size_t)tiles;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include "avx512_tile.h"

/// Lanes [0, n) set.
static inline __mmask16 lane_mask(int n) { return (__mmask16)((1u << n) - 1u); }

/// v[ξ][ch][t] for the tiles of rows [ty0, ty1) (t counts from ty0's first tile) of channels
/// [0, c): Bᵀ d B of each tile's 4×4 patch d, sixteen tiles of a row at a time.
AVX512 static void input_transform(const float *prepared, size_t row, size_t plane, int c, int tw, int ty0, int ty1,
                                   float *v, size_t tiles) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    for (int ch = 0; ch < c; ch++) {
        const float *base = prepared + (size_t)ch * plane;
        for (int ty = ty0; ty < ty1; ty++) {
            float *dst = v + (size_t)ch * tiles + (size_t)(ty - ty0) * (size_t)tw;
            for (int tx = 0; tx < tw; tx += NR) {
                const int n = tw - tx < NR ? tw - tx : NR;
                const __mmask16 mask = lane_mask(n);
                // Patch columns 0..3 of tile j are floats 2j..2j+3 of each row; loads reach 2n + 1
                // (the prepared plane is 2 tw + 2 wide, and slack follows the last one).
                __m512 t[4][4];
                for (int r = 0; r < 4; r++) {
                    const float *p = base + (size_t)(2 * ty + r) * row + 2 * (size_t)tx;
                    const __m512 a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
                    const __m512 a2 = _mm512_loadu_ps(p + 2), b2 = _mm512_loadu_ps(p + 18);
                    const __m512 d0 = _mm512_permutex2var_ps(a, even, b), d1 = _mm512_permutex2var_ps(a, odd, b);
                    const __m512 d2 = _mm512_permutex2var_ps(a2, even, b2), d3 = _mm512_permutex2var_ps(a2, odd, b2);
                    t[r][0] = _mm512_sub_ps(d0, d2);
                    t[r][1] = _mm512_add_ps(d1, d2);
                    t[r][2] = _mm512_sub_ps(d2, d1);
                    t[r][3] = _mm512_sub_ps(d1, d3);
                }
                for (int j = 0; j < 4; j++) {
                    const __m512 out[4] = {_mm512_sub_ps(t[0][j], t[2][j]), _mm512_add_ps(t[1][j], t[2][j]),
                                           _mm512_sub_ps(t[2][j], t[1][j]), _mm512_sub_ps(t[1][j], t[3][j])};
                    for (int i = 0; i < 4; i++)
                        _mm512_mask_storeu_ps(dst + (size_t)(i * 4 + j) * (size_t)c * tiles + tx, mask, out[i]);
                }
            }
        }
    }
}

/// Output rows [2 ty0, min(2 ty1, out_h)) of channels [0, m) from the products prod[ξ][r][t]:
/// Aᵀ M A of each tile, its 2×2 values stored where they fall inside the output.
AVX512 static void output_transform(const float *prod, int m, int tw, int ty0, int ty1, int out_h, int out_w,
                                    float *out, size_t ldo, size_t tiles) {
    const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i high = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    for (int r = 0; r < m; r++) {
        float *channel = out + (size_t)r * ldo;
        for (int ty = ty0; ty < ty1; ty++) {
            const float *src = prod + (size_t)r * tiles + (size_t)(ty - ty0) * (size_t)tw;
            for (int tx = 0; tx < tw; tx += NR) {
                const int n = tw - tx < NR ? tw - tx : NR;
                const __mmask16 mask = lane_mask(n);
                __m512 s0[4], s1[4];
                for (int i = 0; i < 4; i++) {
                    const float *q = src + (size_t)(i * 4) * (size_t)m * tiles + tx;
                    const size_t step = (size_t)m * tiles;
                    const __m512 m0 = _mm512_maskz_loadu_ps(mask, q), m1 = _mm512_maskz_loadu_ps(mask, q + step);
                    const __m512 m2 = _mm512_maskz_loadu_ps(mask, q + 2 * step);
                    const __m512 m3 = _mm512_maskz_loadu_ps(mask, q + 3 * step);
                    s0[i] = _mm512_add_ps(_mm512_add_ps(m0, m1), m2);
                    s1[i] = _mm512_sub_ps(_mm512_sub_ps(m1, m2), m3);
                }
                const __m512 y00 = _mm512_add_ps(_mm512_add_ps(s0[0], s0[1]), s0[2]);
                const __m512 y01 = _mm512_add_ps(_mm512_add_ps(s1[0], s1[1]), s1[2]);
                const __m512 y10 = _mm512_sub_ps(_mm512_sub_ps(s0[1], s0[2]), s0[3]);
                const __m512 y11 = _mm512_sub_ps(_mm512_sub_ps(s1[1], s1[2]), s1[3]);
                // Columns 2 tx .. 2 tx + 31, the two of each tile side by side, up to out_w.
                const int x0 = 2 * tx;
                const int left = out_w - x0 < 16 ? out_w - x0 : 16;
                const int right = out_w - x0 - 16 < 0 ? 0 : (out_w - x0 - 16 < 16 ? out_w - x0 - 16 : 16);
                for (int dy = 0; dy < 2; dy++) {
                    const int oy = 2 * ty + dy;
                    if (oy >= out_h) break;
                    const __m512 a = dy ? y10 : y00, b = dy ? y11 : y01;
                    float *dst = channel + (size_t)oy * (size_t)out_w + x0;
                    _mm512_mask_storeu_ps(dst, lane_mask(left), _mm512_permutex2var_ps(a, low, b));
                    if (right > 0) _mm512_mask_storeu_ps(dst + 16, lane_mask(right), _mm512_permutex2var_ps(a, high, b));
                }
            }
        }
    }
}

void lathe_winograd_rows(const float *packed, int m, const lathe_conv2d_window *window, const float *prepared,
                         int first_tile_row, int tile_rows, float *out, size_t ldo, float *transformed,
                         float *products, float *scratch) {
    lathe_conv2d_window padded;
    lathe_winograd_geometry(window, &padded);
    const lathe_prepared_layout layout = lathe_prepared_layout_of(&padded);
    const int c = window->channels, tw = padded.out_w / 2;
    const int ty0 = first_tile_row, ty1 = first_tile_row + tile_rows;
    const size_t tiles = (size_t)tile_rows * (size_t)tw;
    input_transform(prepared, layout.row, layout.plane, c, tw, ty0, ty1, transformed, tiles);
    const size_t per = lathe_packed_weights_count(m, c);
    for (int xi = 0; xi < XI; xi++)
        lathe_packed_gemm(packed + (size_t)xi * per, m, c, transformed + (size_t)xi * (size_t)c * tiles, (int)tiles,
                          (int)tiles, products + (size_t)xi * (size_t)m * tiles, tiles, scratch);
    output_transform(products, m, tw, ty0, ty1, window->out_h, window->out_w, out, ldo, tiles);
}
#else
void lathe_winograd_rows(const float *packed, int m, const lathe_conv2d_window *window, const float *prepared,
                         int first_tile_row, int tile_rows, float *out, size_t ldo, float *transformed,
                         float *products, float *scratch) {
    (void)packed, (void)m, (void)window, (void)prepared, (void)first_tile_row, (void)tile_rows, (void)out, (void)ldo,
        (void)transformed, (void)products, (void)scratch;
}
#endif
