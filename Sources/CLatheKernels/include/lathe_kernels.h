#ifndef LATHE_KERNELS_H
#define LATHE_KERNELS_H
// Hand-vectorised kernels of the engine, in C because they need the CPU's FMA
// and shuffle instructions, which Swift's SIMD types do not reach. LatheCore
// calls them; everything else (shapes, validation, threads) stays in Swift.
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Output positions per packed image panel: a micro-tile of the product is a
/// block of output channels (see `lathe_packed_weights_count`) by this many
/// positions.
enum { LATHE_CONV_NR = 16 };

/// A 2-D convolution's window over one group of input channels.
typedef struct {
    int channels;
    int in_h, in_w;
    int out_h, out_w;
    int kernel_h, kernel_w;
    int stride_h, stride_w;
    int pad_top, pad_left;
    int dilation_h, dilation_w;
} lathe_conv2d_window;

/// Floats `lathe_pack_weights` writes for an [m, k] weight matrix: rows go in
/// blocks of 6 or 4 (chosen from m alone), a block zero-padded when m leaves
/// it short.
size_t lathe_packed_weights_count(int m, int k);

/// Packs row-major weights [m, k] into row blocks, each stored k-major.
void lathe_pack_weights(const float *weights, int m, int k, float *packed);

/// Floats of the prepared image `lathe_conv2d_prepare` writes: each channel
/// zero-padded to exactly the rows and columns the windows reach, and each
/// row split into stride_w phases (columns q, q + stride_w, ...), so that
/// every tap of sixteen neighbouring output positions reads sixteen
/// consecutive floats, whatever the stride and padding.
size_t lathe_conv2d_prepared_count(const lathe_conv2d_window *window);

/// Prepares channels [first_channel, first_channel + channels) of `image`
/// (window->channels planes of in_h x in_w) into `prepared`.
void lathe_conv2d_prepare(const lathe_conv2d_window *window, const float *image, int first_channel, int channels,
                          float *prepared);

/// Floats of scratch `lathe_conv2d_positions` needs: a panel and a table of
/// tap offsets.
size_t lathe_conv2d_scratch_count(const lathe_conv2d_window *window);

/// out[r, p] = sum over (c, kh, kw) of W[r, (c, kh, kw)] * image[c, ih, iw]
/// for the output positions p in [first, first + count) of the flattened
/// out_h x out_w grid and every r < m (zero where the window falls on
/// padding), from the prepared image: the convolution as a GEMM whose im2col
/// operand is read in place (sixteen positions of one output row) or packed
/// a panel at a time (positions across a row end). Row r of `out` starts at
/// out + r * ldo. Each value is one chain of fused multiply-adds in the order
/// of its terms, whatever `first` and `count`, so any split of the positions
/// gives the same bits.
void lathe_conv2d_positions(const float *packed_weights, int m, const lathe_conv2d_window *window,
                            const float *prepared, int first, int count, float *out, size_t ldo, float *scratch);

/// Whether `lathe_conv2d_rows` serves this window: stride 1 and an output
/// width that leaves panels across row ends, at most half the width again
/// for the columns it computes and drops.
int lathe_conv2d_rows_apply(const lathe_conv2d_window *window);

/// Floats of the `wide` scratch of `lathe_conv2d_rows` for m channels and `rows` output rows.
size_t lathe_conv2d_wide_count(const lathe_conv2d_window *window, int m, int rows);

/// Output rows [first_row, first_row + rows) of every channel r < m, into
/// out + r * ldo: the values of `lathe_conv2d_positions`, computed on a grid
/// as wide as a prepared row so that every panel reads in place, then copied
/// out without the extra columns.
void lathe_conv2d_rows(const float *packed_weights, int m, const lathe_conv2d_window *window, const float *prepared,
                       int first_row, int rows, float *out, size_t ldo, float *scratch, float *wide);

/// Floats of scratch `lathe_packed_gemm` needs (a table of row offsets).
size_t lathe_packed_gemm_scratch_count(int k);

/// out[r, p] = sum over t < k of W[r, t] * operand[t, p] for r < m and p < n,
/// with W packed by `lathe_pack_weights` and operand row t at operand + t * ld;
/// row r of `out` starts at out + r * ldo. The weights are read once, row block after
/// row block, each against every panel of positions: the shape of a fully
/// connected layer over a short sequence (a recognizer's 8210-class head over
/// 40 steps), where streaming large weights once per panel would cost more
/// than the multiply-adds. Each value is one chain of fused multiply-adds in
/// the order of t, as in `lathe_conv2d_positions`. Needs the 512-bit kernels
/// (`lathe_wide_kernels`); ld * k must fit in 32 bits.
void lathe_packed_gemm(const float *packed_weights, int m, int k, const float *operand, int ld, int n, float *out,
                       size_t ldo, float *scratch);

/// Whether `lathe_winograd_rows` runs here: with the 512-bit kernels, unless LATHE_NO_WINOGRAD is
/// set (to something other than 0).
int lathe_winograd_kernels(void);

/// Floats of the F(2×2, 3×3) Winograd weights of an [m, c, 3, 3] convolution: the 16 transformed
/// [m, c] matrices G g Gᵀ, each packed by `lathe_pack_weights`.
size_t lathe_winograd_packed_count(int m, int c);

/// Transforms and packs [m, c, 3, 3] weights for `lathe_winograd_rows`.
void lathe_winograd_pack(const float *weights, int m, int c, float *packed);

/// `window` with its output grown to whole 2×2 tiles (even height and width).
void lathe_winograd_geometry(const lathe_conv2d_window *window, lathe_conv2d_window *padded);

/// Floats of the prepared image `lathe_winograd_prepare` writes.
size_t lathe_winograd_prepared_count(const lathe_conv2d_window *window);

/// `lathe_conv2d_prepare` for the tiled geometry (`lathe_winograd_geometry`) of a 3×3 stride-1
/// undilated window, with the slack the input transform reads.
void lathe_winograd_prepare(const lathe_conv2d_window *window, const float *image, int first_channel, int channels,
                            float *prepared);

/// Floats of each of the two buffers `lathe_winograd_rows` needs for `tiles` tiles (tile rows × tiles a row).
size_t lathe_winograd_buffer_count(int m, int c, int tiles);

/// Output rows [2 first_tile_row, min(2 (first_tile_row + tile_rows), out_h)) of every channel
/// r < m, into out + r * ldo, of a 3×3 stride-1 undilated convolution by Winograd's F(2×2, 3×3):
/// the input tiles transformed, 16 GEMMs on `lathe_packed_gemm`, and the products transformed
/// back (no bias). The values differ from the direct form's by rounding (the transforms add and
/// subtract), and do not depend on how tile rows are split. `transformed` and `products` hold
/// `lathe_winograd_buffer_count(m, c, tile_rows * tiles a row)` floats each; `scratch`
/// `lathe_packed_gemm_scratch_count(c)`. Needs the 512-bit kernels (`lathe_wide_kernels`).
void lathe_winograd_rows(const float *packed, int m, const lathe_conv2d_window *window, const float *prepared,
                         int first_tile_row, int tile_rows, float *out, size_t ldo, float *transformed,
                         float *products, float *scratch);

/// Whether the 512-bit (AVX-512) convolution kernels run on this CPU (and
/// LATHE_NO_AVX512 is not set): about twice the multiply-adds per cycle of the
/// 256-bit ones, and of OpenBLAS's AVX2 kernels.
int lathe_wide_kernels(void);

/// dst[i] = SiLU(src[i] + bias) for the leading multiple of sixteen of `count`
/// values, sixteen at a time in 512-bit registers, with the operations of
/// LatheCore's `Lanes.SiLU` and `FastExp.exp` in the same order and no fused
/// multiply-add, so the bits are those of the Swift loop. Returns how many
/// values it wrote: 0 without AVX-512 (or with LATHE_NO_AVX512 set).
/// `src` may be `dst`.
size_t lathe_silu_store16(const float *src, float *dst, size_t count, float bias);

#ifdef __cplusplus
}
#endif
#endif
