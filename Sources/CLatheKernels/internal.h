#ifndef LATHE_KERNELS_INTERNAL_H
#define LATHE_KERNELS_INTERNAL_H
#include <stdint.h>
#include "lathe_kernels.h"

/// Height of the row block starting `remaining` rows before the end of the
/// weights: 6 rows fill the micro-kernel best, but a tail of 8 goes as 4 + 4
/// and a tail of 4 or fewer as one 4-row block, so the usual channel counts
/// (multiples of 4) waste no lanes.
static inline int lathe_row_block(int remaining) {
    if (remaining == 8 || remaining <= 4) return 4;
    return 6;
}

/// The prepared image's layout (see `lathe_conv2d_prepared_count`).
typedef struct {
    size_t phase_w;  // floats of one phase of a row
    size_t row;      // floats of a row: stride_w phases
    size_t rows;     // rows of a channel
    size_t plane;    // floats of a channel
} lathe_prepared_layout;

lathe_prepared_layout lathe_prepared_layout_of(const lathe_conv2d_window *window);

/// c[i, j] = sum over p < k of a[p * height + i] * b_p[j] for i < rows, j < cols
/// (height is 6 or 4: the packed block's rows). b_p is b + p * LATHE_CONV_NR
/// when offsets is NULL (a packed panel), else b + offsets[p] (the image read
/// in place).
void lathe_micro_kernel(int height, int k, const float *a, const float *b, const int32_t *offsets, float *c,
                        size_t ldc, int rows, int cols);

/// Whether `lathe_micro_kernel_pair` has its own (AVX-512) code on this CPU.
int lathe_has_pair_kernel(void);

/// Two in-place panels at once (b0 and b1 each plus offsets[p]), full width,
/// into `first` and `second`: the values `lathe_micro_kernel` gives for each.
void lathe_micro_kernel_pair(int height, int k, const float *a, const float *b0, const float *b1,
                             const int32_t *offsets, float *first, float *second, size_t ldc, int rows);

/// Two full 6-row blocks (a, then a2 for rows 6 to 6 + rows2) by two panels at once.
void lathe_micro_kernel_pair12(int k, const float *a, const float *a2, const float *b0, const float *b1,
                               const int32_t *offsets, float *first, float *second, size_t ldc, int rows2);
/// Sixteen output positions' operand read in place from up to three runs of
/// the prepared image (positions that cross grid-row ends): lane j of run s
/// (the lanes of mask[s]) reads base[s] + j + the tap's offset. Unused runs
/// have an empty mask.
typedef struct {
    const float *base[3];
    uint16_t mask[3];
    int segments;
} lathe_panel;

/// The values of `lathe_micro_kernel_pair12` for two panels read through their
/// runs, storing only the lanes of `store0` and `store1` (AVX-512 code, where
/// `lathe_has_pair_kernel`; portable C otherwise). With `stream`, the weights are
/// prefetched ahead of use (weights read once, from memory).
void lathe_segmented_pair12(int k, const float *a, const float *a2, const lathe_panel *b0, const lathe_panel *b1,
                            const int32_t *offsets, float *first, float *second, size_t ldc, int rows2,
                            uint16_t store0, uint16_t store1, int stream);

/// The values of `lathe_micro_kernel_pair` for two panels read through their runs.
void lathe_segmented_pair(int height, int k, const float *a, const lathe_panel *b0, const lathe_panel *b1,
                          const int32_t *offsets, float *first, float *second, size_t ldc, int rows, uint16_t store0,
                          uint16_t store1);

/// Two full 6-row blocks (a, then a2 for rows 6 to 6 + rows2) by one panel read through its runs, the lanes of
/// `store` stored.
void lathe_segmented_single12(int k, const float *a, const float *a2, const lathe_panel *b, const int32_t *offsets,
                              float *c, size_t ldc, int rows2, uint16_t store, int stream);

/// One panel read through its runs, the lanes of `store` stored.
void lathe_segmented_single(int height, int k, const float *a, const lathe_panel *b, const int32_t *offsets, float *c,
                            size_t ldc, int rows, uint16_t store);
#endif
