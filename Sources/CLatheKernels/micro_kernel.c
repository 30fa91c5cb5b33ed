#include "internal.h"
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#endif

enum { NR = LATHE_CONV_NR };

/// Copies the rows x cols corner of a full tile into c (a tile at the edge of the product).
static inline void store_corner(const float tile[6][NR], float *c, size_t ldc, int rows, int cols) {
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) c[(size_t)i * ldc + j] = tile[i][j];
}

#if defined(__AVX2__) && defined(__FMA__)
// One accumulator pair per row of the block: each value is a chain of fused
// multiply-adds over p in order, the same chain in every variant (and in the
// portable one below).
#define ROWS6(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define ROWS4(X) X(0) X(1) X(2) X(3)
#define DECLARE(i) __m256 c##i##a = _mm256_setzero_ps(), c##i##b = _mm256_setzero_ps();
#define FMA_ROW(i)                                                                                \
    {                                                                                             \
        const __m256 w = _mm256_broadcast_ss(a + i);                                              \
        c##i##a = _mm256_fmadd_ps(w, b0, c##i##a);                                                \
        c##i##b = _mm256_fmadd_ps(w, b1, c##i##b);                                                \
    }
#define STORE_ROW(i)                                                                              \
    _mm256_storeu_ps(out + (size_t)i * ldo, c##i##a);                                             \
    _mm256_storeu_ps(out + (size_t)i * ldo + 8, c##i##b);

// A kernel per block height and operand form: the loop over p carries no branch.
#define KERNEL(NAME, HEIGHT, ROWS, OPERAND)                                                       \
    static void NAME(int k, const float *a, const float *b, const int32_t *offsets, float *c,     \
                     size_t ldc, int rows, int cols) {                                            \
        (void)offsets;                                                                            \
        ROWS(DECLARE)                                                                             \
        for (int p = 0; p < k; p++, a += HEIGHT) {                                                \
            const float *bp = OPERAND;                                                            \
            const __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);                  \
            ROWS(FMA_ROW)                                                                         \
        }                                                                                         \
        if (rows == HEIGHT && cols == NR) {                                                       \
            float *out = c;                                                                       \
            const size_t ldo = ldc;                                                               \
            ROWS(STORE_ROW)                                                                       \
            return;                                                                               \
        }                                                                                         \
        float tile[6][NR];                                                                        \
        float *out = &tile[0][0];                                                                 \
        const size_t ldo = NR;                                                                    \
        ROWS(STORE_ROW)                                                                           \
        store_corner(tile, c, ldc, rows, cols);                                                   \
    }

KERNEL(packed6, 6, ROWS6, b + (size_t)p * NR)
KERNEL(packed4, 4, ROWS4, b + (size_t)p * NR)
KERNEL(direct6, 6, ROWS6, b + offsets[p])
KERNEL(direct4, 4, ROWS4, b + offsets[p])

void lathe_micro_kernel(int height, int k, const float *a, const float *b, const int32_t *offsets, float *c,
                        size_t ldc, int rows, int cols) {
    if (offsets) {
        if (height == 6) direct6(k, a, b, offsets, c, ldc, rows, cols);
        else direct4(k, a, b, offsets, c, ldc, rows, cols);
    } else {
        if (height == 6) packed6(k, a, b, offsets, c, ldc, rows, cols);
        else packed4(k, a, b, offsets, c, ldc, rows, cols);
    }
}
#else
void lathe_micro_kernel(int height, int k, const float *a, const float *b, const int32_t *offsets, float *c,
                        size_t ldc, int rows, int cols) {
    float tile[6][NR] = {{0}};
    for (int p = 0; p < k; p++, a += height) {
        const float *bp = offsets ? b + offsets[p] : b + (size_t)p * NR;
        for (int i = 0; i < height; i++)
            for (int j = 0; j < NR; j++) tile[i][j] = __builtin_fmaf(a[i], bp[j], tile[i][j]);
    }
    store_corner(tile, c, ldc, rows, cols);
}
#endif
