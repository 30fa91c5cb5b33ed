#include "internal.h"
#include <stdlib.h>

enum { NR = LATHE_CONV_NR };

// Panels read in place from up to three runs of the prepared image: sixteen
// output positions that cross the end of a grid row (a stride-2 layer's rows,
// or a small feature map's) take their taps from two or three rows. Each run
// is one masked load, so such a panel no longer has to be gathered value by
// value into a packed copy, and it runs at the 512-bit kernels' width. Every
// value is the same chain of fused multiply-adds as in the other kernels.

#if defined(__x86_64__) && defined(__GNUC__)
#include "avx512_tile.h"

#define DECLARE_ONE(s, i) __m512 s##i##a = _mm512_setzero_ps();
#define FMA_ONE(s, i) s##i##a = _mm512_fmadd_ps(_mm512_set1_ps(s##_w[i]), x0, s##i##a);
#define STORE_PAIR(s, i)                                                                          \
    if (i < s##_rows) {                                                                           \
        _mm512_mask_storeu_ps(first + (size_t)(s##_base + i) * ldc, store0, s##i##a);             \
        _mm512_mask_storeu_ps(second + (size_t)(s##_base + i) * ldc, store1, s##i##b);            \
    }
#define STORE_ONE(s, i)                                                                           \
    if (i < s##_rows) _mm512_mask_storeu_ps(first + (size_t)(s##_base + i) * ldc, store0, s##i##a);

// The panel's runs in registers: lane masks and bases (a base is where lane 0
// would read, so a run starting at lane j has its base j floats before its data).
#define UNPACK(P, v)                                                                              \
    const float *v##0 = P->base[0], *v##1 = P->base[1], *v##2 = P->base[2];                       \
    const __mmask16 v##m0 = P->mask[0], v##m1 = P->mask[1], v##m2 = P->mask[2];                   \
    (void)v##1, (void)v##2, (void)v##m1, (void)v##m2;
#define LOAD1(v, o) _mm512_maskz_loadu_ps(v##m0, v##0 + (o))
#define LOAD2(v, o) _mm512_mask_loadu_ps(LOAD1(v, o), v##m1, v##1 + (o))
#define LOAD3(v, o) _mm512_mask_loadu_ps(LOAD2(v, o), v##m2, v##2 + (o))

#define SEGMENTED_PAIR12(NAME, LOAD, PREFETCH)                                                    \
    AVX512 static void NAME(int k, const float *c_w, const float *d_w, const lathe_panel *p0,      \
                            const lathe_panel *p1, const int32_t *offsets, float *first,          \
                            float *second, size_t ldc, int d_rows, __mmask16 store0,              \
                            __mmask16 store1) {                                                   \
        const int c_base = 0, c_rows = 6, d_base = 6;                                             \
        UNPACK(p0, u)                                                                             \
        UNPACK(p1, v)                                                                             \
        ROWS6(DECLARE, c)                                                                         \
        ROWS6(DECLARE, d)                                                                         \
        for (int p = 0; p < k; p++, c_w += 6, d_w += 6) {                                         \
            const int32_t o = offsets[p];                                                         \
            PREFETCH(c) PREFETCH(d)                                                               \
            const __m512 x0 = LOAD(u, o), x1 = LOAD(v, o);                                        \
            ROWS6(FMA_ROW, c)                                                                     \
            ROWS6(FMA_ROW, d)                                                                     \
        }                                                                                         \
        ROWS6(STORE_PAIR, c)                                                                      \
        ROWS6(STORE_PAIR, d)                                                                      \
    }

// Two 6-row blocks by one panel: the 12 accumulators a lone panel needs to keep both FMA pipes
// busy (one 6-row block at a time leaves them waiting on the multiply-add latency).
#define SEGMENTED_ONE12(NAME, LOAD, PREFETCH)                                                     \
    AVX512 static void NAME(int k, const float *c_w, const float *d_w, const lathe_panel *p0,      \
                            const int32_t *offsets, float *first, size_t ldc, int d_rows,         \
                            __mmask16 store0) {                                                   \
        const int c_base = 0, c_rows = 6, d_base = 6;                                             \
        UNPACK(p0, u)                                                                             \
        ROWS6(DECLARE_ONE, c)                                                                     \
        ROWS6(DECLARE_ONE, d)                                                                     \
        for (int p = 0; p < k; p++, c_w += 6, d_w += 6) {                                         \
            PREFETCH(c) PREFETCH(d)                                                               \
            const __m512 x0 = LOAD(u, offsets[p]);                                                \
            ROWS6(FMA_ONE, c)                                                                     \
            ROWS6(FMA_ONE, d)                                                                     \
        }                                                                                         \
        ROWS6(STORE_ONE, c)                                                                       \
        ROWS6(STORE_ONE, d)                                                                       \
    }

// Weights streamed once (`lathe_packed_gemm` over one or two panels) come from memory, where the
// hardware prefetcher alone kept a recognizer's 8210x1024 head at 8.7 GB/s and 43 GMAC/s: asking
// for them 2 KB ahead of use lets the loads overlap (14 GB/s, 69 GMAC/s).
#define NO_PREFETCH(s)
#define PREFETCH_AHEAD(s) _mm_prefetch((const char *)(s##_w + 512), _MM_HINT_T0);

#define SEGMENTED_PAIR(NAME, LOAD, HEIGHT, ROWS)                                                  \
    AVX512 static void NAME(int k, const float *c_w, const lathe_panel *p0, const lathe_panel *p1, \
                            const int32_t *offsets, float *first, float *second, size_t ldc,      \
                            int c_rows, __mmask16 store0, __mmask16 store1) {                     \
        const int c_base = 0;                                                                     \
        UNPACK(p0, u)                                                                             \
        UNPACK(p1, v)                                                                             \
        ROWS(DECLARE, c)                                                                          \
        for (int p = 0; p < k; p++, c_w += HEIGHT) {                                              \
            const int32_t o = offsets[p];                                                         \
            const __m512 x0 = LOAD(u, o), x1 = LOAD(v, o);                                        \
            ROWS(FMA_ROW, c)                                                                      \
        }                                                                                         \
        ROWS(STORE_PAIR, c)                                                                       \
    }

#define SEGMENTED_ONE(NAME, LOAD, HEIGHT, ROWS)                                                   \
    AVX512 static void NAME(int k, const float *c_w, const lathe_panel *p0, const int32_t *offsets, \
                            float *first, size_t ldc, int c_rows, __mmask16 store0) {             \
        const int c_base = 0;                                                                     \
        UNPACK(p0, u)                                                                             \
        ROWS(DECLARE_ONE, c)                                                                      \
        for (int p = 0; p < k; p++, c_w += HEIGHT) {                                              \
            const __m512 x0 = LOAD(u, offsets[p]);                                                \
            ROWS(FMA_ONE, c)                                                                      \
        }                                                                                         \
        ROWS(STORE_ONE, c)                                                                        \
    }

// Each kernel in three variants, reading one, two or three runs a panel.
#define WITH_RUNS(MAKE, NAME, ...) \
    MAKE(NAME##_1, LOAD1, ##__VA_ARGS__) MAKE(NAME##_2, LOAD2, ##__VA_ARGS__) MAKE(NAME##_3, LOAD3, ##__VA_ARGS__)

WITH_RUNS(SEGMENTED_PAIR12, pair12, NO_PREFETCH)
WITH_RUNS(SEGMENTED_PAIR12, pair12s, PREFETCH_AHEAD)
WITH_RUNS(SEGMENTED_ONE12, one12, NO_PREFETCH)
WITH_RUNS(SEGMENTED_ONE12, one12s, PREFETCH_AHEAD)
WITH_RUNS(SEGMENTED_PAIR, pair6, 6, ROWS6)
WITH_RUNS(SEGMENTED_PAIR, pair4, 4, ROWS4)
WITH_RUNS(SEGMENTED_ONE, one6, 6, ROWS6)
WITH_RUNS(SEGMENTED_ONE, one4, 4, ROWS4)

/// The runs both panels need: the loads of the variant that reads that many.
static inline int runs_of(const lathe_panel *b0, const lathe_panel *b1) {
    const int a = b0->segments, b = b1 ? b1->segments : 0;
    return a > b ? a : b;
}

void lathe_segmented_pair12(int k, const float *a, const float *a2, const lathe_panel *b0, const lathe_panel *b1,
                            const int32_t *offsets, float *first, float *second, size_t ldc, int rows2,
                            uint16_t store0, uint16_t store1, int stream) {
    switch (runs_of(b0, b1) + (stream ? 3 : 0)) {
    case 1: pair12_1(k, a, a2, b0, b1, offsets, first, second, ldc, rows2, store0, store1); break;
    case 2: pair12_2(k, a, a2, b0, b1, offsets, first, second, ldc, rows2, store0, store1); break;
    case 3: pair12_3(k, a, a2, b0, b1, offsets, first, second, ldc, rows2, store0, store1); break;
    case 4: pair12s_1(k, a, a2, b0, b1, offsets, first, second, ldc, rows2, store0, store1); break;
    case 5: pair12s_2(k, a, a2, b0, b1, offsets, first, second, ldc, rows2, store0, store1); break;
    default: pair12s_3(k, a, a2, b0, b1, offsets, first, second, ldc, rows2, store0, store1); break;
    }
}

void lathe_segmented_single12(int k, const float *a, const float *a2, const lathe_panel *b, const int32_t *offsets,
                              float *c, size_t ldc, int rows2, uint16_t store, int stream) {
    switch (runs_of(b, NULL) + (stream ? 3 : 0)) {
    case 1: one12_1(k, a, a2, b, offsets, c, ldc, rows2, store); break;
    case 2: one12_2(k, a, a2, b, offsets, c, ldc, rows2, store); break;
    case 3: one12_3(k, a, a2, b, offsets, c, ldc, rows2, store); break;
    case 4: one12s_1(k, a, a2, b, offsets, c, ldc, rows2, store); break;
    case 5: one12s_2(k, a, a2, b, offsets, c, ldc, rows2, store); break;
    default: one12s_3(k, a, a2, b, offsets, c, ldc, rows2, store); break;
    }
}

void lathe_segmented_pair(int height, int k, const float *a, const lathe_panel *b0, const lathe_panel *b1,
                          const int32_t *offsets, float *first, float *second, size_t ldc, int rows, uint16_t store0,
                          uint16_t store1) {
    const int runs = runs_of(b0, b1);
    if (height == 6) {
        if (runs == 1) pair6_1(k, a, b0, b1, offsets, first, second, ldc, rows, store0, store1);
        else if (runs == 2) pair6_2(k, a, b0, b1, offsets, first, second, ldc, rows, store0, store1);
        else pair6_3(k, a, b0, b1, offsets, first, second, ldc, rows, store0, store1);
    } else {
        if (runs == 1) pair4_1(k, a, b0, b1, offsets, first, second, ldc, rows, store0, store1);
        else if (runs == 2) pair4_2(k, a, b0, b1, offsets, first, second, ldc, rows, store0, store1);
        else pair4_3(k, a, b0, b1, offsets, first, second, ldc, rows, store0, store1);
    }
}

void lathe_segmented_single(int height, int k, const float *a, const lathe_panel *b, const int32_t *offsets, float *c,
                            size_t ldc, int rows, uint16_t store) {
    const int runs = runs_of(b, NULL);
    if (height == 6) {
        if (runs == 1) one6_1(k, a, b, offsets, c, ldc, rows, store);
        else if (runs == 2) one6_2(k, a, b, offsets, c, ldc, rows, store);
        else one6_3(k, a, b, offsets, c, ldc, rows, store);
    } else {
        if (runs == 1) one4_1(k, a, b, offsets, c, ldc, rows, store);
        else if (runs == 2) one4_2(k, a, b, offsets, c, ldc, rows, store);
        else one4_3(k, a, b, offsets, c, ldc, rows, store);
    }
}
#else
/// Lane j of the panel: the run whose mask holds it.
static inline float lane(const lathe_panel *b, int j, int32_t offset) {
    for (int s = 0; s < b->segments; s++)
        if (b->mask[s] >> j & 1) return b->base[s][j + offset];
    return 0.0f;
}

void lathe_segmented_single(int height, int k, const float *a, const lathe_panel *b, const int32_t *offsets, float *c,
                            size_t ldc, int rows, uint16_t store) {
    float tile[6][NR] = {{0}};
    for (int p = 0; p < k; p++, a += height)
        for (int i = 0; i < height; i++)
            for (int j = 0; j < NR; j++) tile[i][j] = __builtin_fmaf(a[i], lane(b, j, offsets[p]), tile[i][j]);
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < NR; j++)
            if (store >> j & 1) c[(size_t)i * ldc + j] = tile[i][j];
}

void lathe_segmented_pair(int height, int k, const float *a, const lathe_panel *b0, const lathe_panel *b1,
                          const int32_t *offsets, float *first, float *second, size_t ldc, int rows, uint16_t store0,
                          uint16_t store1) {
    lathe_segmented_single(height, k, a, b0, offsets, first, ldc, rows, store0);
    lathe_segmented_single(height, k, a, b1, offsets, second, ldc, rows, store1);
}

void lathe_segmented_pair12(int k, const float *a, const float *a2, const lathe_panel *b0, const lathe_panel *b1,
                            const int32_t *offsets, float *first, float *second, size_t ldc, int rows2,
                            uint16_t store0, uint16_t store1, int stream) {
    (void)stream;
    lathe_segmented_pair(6, k, a, b0, b1, offsets, first, second, ldc, 6, store0, store1);
    lathe_segmented_pair(6, k, a2, b0, b1, offsets, first + 6 * ldc, second + 6 * ldc, ldc, rows2, store0, store1);
}

void lathe_segmented_single12(int k, const float *a, const float *a2, const lathe_panel *b, const int32_t *offsets,
                              float *c, size_t ldc, int rows2, uint16_t store, int stream) {
    (void)stream;
    lathe_segmented_single(6, k, a, b, offsets, c, ldc, 6, store);
    lathe_segmented_single(6, k, a2, b, offsets, c + 6 * ldc, ldc, rows2, store);
}
#endif
