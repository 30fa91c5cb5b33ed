#include "internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

// Every product and sum below is its own rounding, as in the Swift loop it
// stands in for: a fused multiply-add would change the last bit.
#pragma clang fp contract(off)

#define AVX512 __attribute__((target("avx512f")))

// FastExp.exp on sixteen lanes: clamp (a NaN fails both tests and passes
// through), round x / ln 2 by the 1.5 * 2^23 trick, Cephes' polynomial, then
// the exponent built from the rounded value's low mantissa bits.
AVX512 static inline __m512 fast_exp16(__m512 value) {
    const __m512 high = _mm512_set1_ps(88.3f), low = _mm512_set1_ps(-87.3f);
    __m512 x = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(value, high, _CMP_GT_OQ), value, high);
    x = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(value, low, _CMP_LT_OQ), x, low);
    const __m512 magic = _mm512_set1_ps(12582912.0f);
    const __m512 shifted = _mm512_add_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)), magic);
    const __m512 n = _mm512_sub_ps(shifted, magic);
    const __m512 r = _mm512_add_ps(_mm512_sub_ps(x, _mm512_mul_ps(n, _mm512_set1_ps(0.693359375f))),
                                   _mm512_mul_ps(n, _mm512_set1_ps(2.1219444e-4f)));
    __m512 p = _mm512_set1_ps(1.98756915e-4f);
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.39819995e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(8.3334519e-3f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(4.16657959e-2f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(1.66666655e-1f));
    p = _mm512_add_ps(_mm512_mul_ps(p, r), _mm512_set1_ps(5.0000001e-1f));
    const __m512 one = _mm512_set1_ps(1.0f);
    const __m512 y = _mm512_add_ps(_mm512_add_ps(_mm512_mul_ps(_mm512_mul_ps(p, r), r), r), one);
    const __m512i bits = _mm512_castps_si512(shifted);
    const __m512i exponent = _mm512_slli_epi32(
        _mm512_add_epi32(_mm512_sub_epi32(bits, _mm512_set1_epi32(0x4B400000)), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(y, _mm512_castsi512_ps(exponent));
}

AVX512 static size_t silu_store16(const float *src, float *dst, size_t count, float bias) {
    const __m512 b = _mm512_set1_ps(bias), one = _mm512_set1_ps(1.0f);
    const __m512 sign = _mm512_castsi512_ps(_mm512_set1_epi32((int)0x80000000u));
    size_t i = 0;
    for (; i + 16 <= count; i += 16) {
        const __m512 v = _mm512_add_ps(_mm512_loadu_ps(src + i), b);
        const __m512 e = fast_exp16(_mm512_castsi512_ps(
            _mm512_xor_si512(_mm512_castps_si512(v), _mm512_castps_si512(sign))));  // -v
        _mm512_storeu_ps(dst + i, _mm512_mul_ps(v, _mm512_div_ps(one, _mm512_add_ps(one, e))));
    }
    return i;
}

size_t lathe_silu_store16(const float *src, float *dst, size_t count, float bias) {
    return lathe_has_pair_kernel() ? silu_store16(src, dst, count, bias) : 0;
}

#else
size_t lathe_silu_store16(const float *src, float *dst, size_t count, float bias) {
    (void)src, (void)dst, (void)count, (void)bias;
    return 0;
}
#endif
