#include "internal.h"
#include <stdlib.h>
#include <string.h>

enum { NR = LATHE_CONV_NR };

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

// Two panels of sixteen positions, read in place, as one 512-bit vector each:
// twice the multiply-adds per instruction of the 256-bit kernel, and per value
// the same chain of fused multiply-adds (so the same bits whichever runs).
#define AVX512 __attribute__((target("avx512f,fma")))
#define ROWS6(X) X(0) X(1) X(2) X(3) X(4) X(5)
#define ROWS4(X) X(0) X(1) X(2) X(3)
#define DECLARE(i) __m512 c##i##a = _mm512_setzero_ps(), c##i##b = _mm512_setzero_ps();
#define FMA_ROW(i)                                                                                \
    {                                                                                             \
        const __m512 w = _mm512_set1_ps(a[i]);                                                    \
        c##i##a = _mm512_fmadd_ps(w, x0, c##i##a);                                                \
        c##i##b = _mm512_fmadd_ps(w, x1, c##i##b);                                                \
    }
#define STORE_ROW(i)                                                                              \
    if (i < rows) {                                                                               \
        _mm512_storeu_ps(first + (size_t)i * ldc, c##i##a);                                       \
        _mm512_storeu_ps(second + (size_t)i * ldc, c##i##b);                                      \
    }

#define PAIR_KERNEL(NAME, HEIGHT, ROWS)                                                           \
    AVX512 static void NAME(int k, const float *a, const float *b0, const float *b1,              \
                            const int32_t *offsets, float *first, float *second, size_t ldc,      \
                            int rows) {                                                           \
        ROWS(DECLARE)                                                                             \
        for (int p = 0; p < k; p++, a += HEIGHT) {                                                \
            const __m512 x0 = _mm512_loadu_ps(b0 + offsets[p]);                                   \
            const __m512 x1 = _mm512_loadu_ps(b1 + offsets[p]);                                   \
            ROWS(FMA_ROW)                                                                         \
        }                                                                                         \
        ROWS(STORE_ROW)                                                                           \
    }

PAIR_KERNEL(pair6, 6, ROWS6)
PAIR_KERNEL(pair4, 4, ROWS4)

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

void lathe_micro_kernel_pair(int height, int k, const float *a, const float *b0, const float *b1,
                             const int32_t *offsets, float *first, float *second, size_t ldc, int rows) {
    if (height == 6) pair6(k, a, b0, b1, offsets, first, second, ldc, rows);
    else pair4(k, a, b0, b1, offsets, first, second, ldc, rows);
}
#else
int lathe_has_pair_kernel(void) { return 0; }

void lathe_micro_kernel_pair(int height, int k, const float *a, const float *b0, const float *b1,
                             const int32_t *offsets, float *first, float *second, size_t ldc, int rows) {
    lathe_micro_kernel(height, k, a, b0, offsets, first, ldc, rows, NR);
    lathe_micro_kernel(height, k, a, b1, offsets, second, ldc, rows, NR);
}
#endif
