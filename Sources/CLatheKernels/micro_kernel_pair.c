#include "internal.h"
#include <stdlib.h>
#include <string.h>

enum { NR = LATHE_CONV_NR };

#if defined(__x86_64__) && defined(__GNUC__)
// Two panels of sixteen positions, read in place, as one 512-bit vector each:
// twice the multiply-adds per instruction of the 256-bit kernel, and per value
// the same chain of fused multiply-adds (so the same bits whichever runs).
#include "avx512_tile.h"

#define STORE_ROW(s, i)                                                                           \
    if (i < s##_rows) {                                                                           \
        _mm512_storeu_ps(first + (size_t)(s##_base + i) * ldc, s##i##a);                          \
        _mm512_storeu_ps(second + (size_t)(s##_base + i) * ldc, s##i##b);                         \
    }

#define PAIR_KERNEL(NAME, HEIGHT, ROWS)                                                           \
    AVX512 static void NAME(int k, const float *c_w, const float *b0, const float *b1,            \
                            const int32_t *offsets, float *first, float *second, size_t ldc,      \
                            int c_rows) {                                                         \
        const int c_base = 0;                                                                     \
        ROWS(DECLARE, c)                                                                          \
        for (int p = 0; p < k; p++, c_w += HEIGHT) {                                              \
            const __m512 x0 = _mm512_loadu_ps(b0 + offsets[p]);                                   \
            const __m512 x1 = _mm512_loadu_ps(b1 + offsets[p]);                                   \
            ROWS(FMA_ROW, c)                                                                      \
        }                                                                                         \
        ROWS(STORE_ROW, c)                                                                        \
    }

PAIR_KERNEL(pair6, 6, ROWS6)
PAIR_KERNEL(pair4, 4, ROWS4)

// Two 6-row blocks of weights (c_w, then d_w for rows 6 on) by the two panels:
// 24 accumulators of the 32 registers, so each operand vector loaded serves
// 12 multiply-adds.
AVX512 static void pair12(int k, const float *c_w, const float *d_w, const float *b0, const float *b1,
                          const int32_t *offsets, float *first, float *second, size_t ldc, int d_rows) {
    const int c_base = 0, c_rows = 6, d_base = 6;
    ROWS6(DECLARE, c)
    ROWS6(DECLARE, d)
    for (int p = 0; p < k; p++, c_w += 6, d_w += 6) {
        const __m512 x0 = _mm512_loadu_ps(b0 + offsets[p]);
        const __m512 x1 = _mm512_loadu_ps(b1 + offsets[p]);
        ROWS6(FMA_ROW, c)
        ROWS6(FMA_ROW, d)
    }
    ROWS6(STORE_ROW, c)
    ROWS6(STORE_ROW, d)
}

int lathe_has_pair_kernel(void) {
    static int cached = -1;
    int known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma") ? 1 : 0;
        // LATHE_NO_AVX512 keeps the 256-bit kernels (to compare them; the values are the same).
        const char *off = getenv("LATHE_NO_AVX512");
        if (off && *off && strcmp(off, "0") != 0) known = 0;
        __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
    }
    return known;
}

int lathe_wide_kernels(void) { return lathe_has_pair_kernel(); }

void lathe_micro_kernel_pair(int height, int k, const float *a, const float *b0, const float *b1,
                             const int32_t *offsets, float *first, float *second, size_t ldc, int rows) {
    if (height == 6) pair6(k, a, b0, b1, offsets, first, second, ldc, rows);
    else pair4(k, a, b0, b1, offsets, first, second, ldc, rows);
}

void lathe_micro_kernel_pair12(int k, const float *a, const float *a2, const float *b0, const float *b1,
                               const int32_t *offsets, float *first, float *second, size_t ldc, int rows2) {
    pair12(k, a, a2, b0, b1, offsets, first, second, ldc, rows2);
}
#else
int lathe_has_pair_kernel(void) { return 0; }

int lathe_wide_kernels(void) { return 0; }

void lathe_micro_kernel_pair12(int k, const float *a, const float *a2, const float *b0, const float *b1,
                               const int32_t *offsets, float *first, float *second, size_t ldc, int rows2) {
    lathe_micro_kernel_pair(6, k, a, b0, b1, offsets, first, second, ldc, 6);
    lathe_micro_kernel_pair(6, k, a2, b0, b1, offsets, first + 6 * ldc, second + 6 * ldc, ldc, rows2);
}

void lathe_micro_kernel_pair(int height, int k, const float *a, const float *b0, const float *b1,
                             const int32_t *offsets, float *first, float *second, size_t ldc, int rows) {
    lathe_micro_kernel(height, k, a, b0, offsets, first, ldc, rows, NR);
    lathe_micro_kernel(height, k, a, b1, offsets, second, ldc, rows, NR);
}
#endif
