#ifndef LATHE_AVX512_TILE_H
#define LATHE_AVX512_TILE_H
// The accumulator tiles the 512-bit kernels share (micro_kernel_pair.c,
// micro_kernel_segmented.c): one or two panels of sixteen positions as one
// vector each, per row of a 6- or 4-row weight block.
#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f,fma")))
// Accumulator sets are named by a prefix s: s_w holds the block's packed
// weights, rows s_base to s_base + s_rows of the output are written.
#define ROWS6(X, s) X(s, 0) X(s, 1) X(s, 2) X(s, 3) X(s, 4) X(s, 5)
#define ROWS4(X, s) X(s, 0) X(s, 1) X(s, 2) X(s, 3)
#define DECLARE(s, i) __m512 s##i##a = _mm512_setzero_ps(), s##i##b = _mm512_setzero_ps();
// Row i of both panels (x0, x1) times the row's weight: one fused multiply-add each.
#define FMA_ROW(s, i)                                                                             \
    {                                                                                             \
        const __m512 w = _mm512_set1_ps(s##_w[i]);                                                \
        s##i##a = _mm512_fmadd_ps(w, x0, s##i##a);                                                \
        s##i##b = _mm512_fmadd_ps(w, x1, s##i##b);                                                \
    }
#endif
