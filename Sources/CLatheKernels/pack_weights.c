#include "internal.h"

size_t lathe_packed_weights_count(int m, int k) {
    size_t rows = 0;
    for (int r = 0; r < m; r += lathe_row_block(m - r)) rows += (size_t)lathe_row_block(m - r);
    return rows * (size_t)k;
}

void lathe_pack_weights(const float *weights, int m, int k, float *packed) {
    for (int r = 0; r < m;) {
        const int height = lathe_row_block(m - r);
        for (int p = 0; p < k; p++) {
            for (int i = 0; i < height; i++) *packed++ = r + i < m ? weights[(size_t)(r + i) * k + p] : 0.0f;
        }
        r += height;
    }
}
