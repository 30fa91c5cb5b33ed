#include "internal.h"
#include <string.h>

enum { NR = LATHE_CONV_NR };

size_t lathe_conv2d_scratch_count(const lathe_conv2d_window *g) {
    const size_t k = (size_t)g->channels * (size_t)g->kernel_h * (size_t)g->kernel_w;
    return k * NR + k;  // a panel, then the offsets (int32, one float each)
}

/// Positions p of a grid `width` wide whose rows lie `row` floats apart in the
/// prepared image: the real output grid, or a virtual one as wide as a
/// prepared row (`lathe_conv2d_rows`).
typedef struct {
    int width;
    size_t row;
} grid;

static inline size_t grid_base(grid gr, int p) { return (size_t)(p / gr.width) * gr.row + (size_t)(p % gr.width); }

/// The operand of the panel at position p when it can be read in place (n
/// full positions of one grid row, or of any rows when they follow one
/// another in the prepared image: every tap is NR consecutive floats from it
/// plus the tap's offset), else NULL.
static inline const float *direct_operand(grid gr, const float *prepared, int p, int n) {
    if (n < NR) return NULL;
    if (gr.row == (size_t)gr.width) return prepared + p;
    if (p % gr.width + NR > gr.width) return NULL;
    return prepared + grid_base(gr, p);
}

/// Describes positions [p, p + n) (n <= NR) as a panel read in place through its runs of
/// consecutive floats, or returns 0 when they span more than three grid rows (a grid under
/// eight positions wide).
static int describe_panel(grid gr, const float *prepared, int p, int n, lathe_panel *panel) {
    int runs = 0;
    for (int j = 0; j < n;) {
        if (runs == 3) return 0;
        // Rows that follow one another in the prepared image are one run.
        int length = gr.row == (size_t)gr.width ? n - j : gr.width - (p + j) % gr.width;
        if (length > n - j) length = n - j;
        // The base is where lane 0 would read: j floats before this run's first value (only the
        // run's lanes are ever loaded from it).
        panel->base[runs] = (const float *)((uintptr_t)(prepared + grid_base(gr, p + j)) - (uintptr_t)j * sizeof(float));
        panel->mask[runs] = (uint16_t)(((1u << length) - 1u) << j);
        runs++;
        j += length;
    }
    panel->segments = runs;
    for (int s = runs; s < 3; s++) {
        panel->base[s] = panel->base[0];
        panel->mask[s] = 0;
    }
    return 1;
}

static inline uint16_t lanes(int n) { return (uint16_t)((1u << n) - 1u); }

/// Whether the panel is sixteen floats in a row, as the plain in-place kernels read it.
static inline int contiguous(const lathe_panel *panel) {
    return panel->segments == 1 && panel->mask[0] == lanes(NR);
}

static void run_panels(const float *packed_weights, int m, int k, grid gr, const int32_t *offsets,
                       const float *prepared, int start, int end, float *out, size_t ldo, float *panel);

/// Rows r onwards of the weights (one 6- or 4-row block, or two 6-row blocks at once) by panel b0
/// (n0 lanes) and b1 (n1 lanes; 0: no second panel), into c (row r of the output); returns the
/// rows done. `a` is block r of the packed weights; with `stream` they are prefetched ahead of use.
static int run_row_block(int m, int k, int r, const float *a, const lathe_panel *b0, int n0, const lathe_panel *b1,
                         int n1, const int32_t *offsets, float *c, size_t ldo, int stream) {
    const int height = lathe_row_block(m - r);
    const int rows = m - r < height ? m - r : height;
    const int twelve = height == 6 && rows == 6 && r + 6 < m && lathe_row_block(m - r - 6) == 6;
    const int rows2 = twelve ? (m - r - 6 < 6 ? m - r - 6 : 6) : 0;
    const float *a2 = a + 6 * (size_t)k;
    const int plain = n1 && contiguous(b0) && contiguous(b1);
    if (!n1) {
        if (twelve)
            lathe_segmented_single12(k, a, a2, b0, offsets, c, ldo, rows2, lanes(n0), stream);
        else
            lathe_segmented_single(height, k, a, b0, offsets, c, ldo, rows, lanes(n0));
    } else if (twelve) {
        if (plain && !stream)
            lathe_micro_kernel_pair12(k, a, a2, b0->base[0], b1->base[0], offsets, c, c + NR, ldo, rows2);
        else
            lathe_segmented_pair12(k, a, a2, b0, b1, offsets, c, c + NR, ldo, rows2, lanes(n0), lanes(n1), stream);
    } else if (plain) {
        lathe_micro_kernel_pair(height, k, a, b0->base[0], b1->base[0], offsets, c, c + NR, ldo, rows);
    } else {
        lathe_segmented_pair(height, k, a, b0, b1, offsets, c, c + NR, ldo, rows, lanes(n0), lanes(n1));
    }
    return twelve ? 12 : height;
}

/// Lanes of the panel at p and of the one after it (0 when there is none: p's is short or last).
static inline void panel_lanes(int p, int end, int *n0, int *n1) {
    *n0 = end - p < NR ? end - p : NR;
    *n1 = *n0 < NR || p + NR >= end ? 0 : (end - p - NR < NR ? end - p - NR : NR);
}

/// `run_panels` with the 512-bit kernels: panels two by two, each read in place even where it
/// crosses grid rows (`lathe_panel`), a last odd or short one alone with its lanes masked.
static void run_panels_wide(const float *packed_weights, int m, int k, grid gr, const int32_t *offsets,
                            const float *prepared, int start, int end, float *out, size_t ldo, float *panel) {
    for (int p = start; p < end;) {
        int n0, n1;
        panel_lanes(p, end, &n0, &n1);
        lathe_panel b0, b1;
        if (!describe_panel(gr, prepared, p, n0, &b0) || (n1 && !describe_panel(gr, prepared, p + NR, n1, &b1))) {
            // A grid too narrow for three runs a panel: packed value by value.
            run_panels(packed_weights, m, k, gr, offsets, prepared, p, p + n0, out + (p - start), ldo, panel);
            p += n0;
            continue;
        }
        const float *a = packed_weights;
        for (int r = 0; r < m;) {
            const int done = run_row_block(m, k, r, a, &b0, n0, &b1, n1, offsets, out + (size_t)(p - start) + (size_t)r * ldo,
                                           ldo, 0);
            a += (size_t)done * (size_t)k;
            r += done;
        }
        p += n0 + n1;
    }
}

/// Positions [start, end) of the grid, position p written at out + (p - start) (row r of the
/// weights ldo floats further).
static void run_panels(const float *packed_weights, int m, int k, grid gr, const int32_t *offsets,
                       const float *prepared, int start, int end, float *out, size_t ldo, float *panel) {
    const int pairs = lathe_has_pair_kernel();
    for (int p = start; p < end;) {
        const int n = end - p < NR ? end - p : NR;
        const float *b = direct_operand(gr, prepared, p, n);
        const float *next = pairs && b && p + NR < end ? direct_operand(gr, prepared, p + NR, end - p - NR) : NULL;
        const int32_t *taps = offsets;
        if (!b) {
            // Positions across a row end or a short last panel: packed value by value.
            size_t base[NR];
            for (int j = 0; j < NR; j++) base[j] = grid_base(gr, p + (j < n ? j : 0));
            for (int t = 0; t < k; t++)
                for (int j = 0; j < NR; j++) panel[(size_t)t * NR + j] = j < n ? prepared[base[j] + offsets[t]] : 0.0f;
            b = panel;
            taps = NULL;
        }
        const float *a = packed_weights;
        for (int r = 0; r < m;) {
            const int height = lathe_row_block(m - r);
            const int rows = m - r < height ? m - r : height;
            float *c = out + (size_t)(p - start) + (size_t)r * ldo;
            int done = height;
            if (!next) {
                lathe_micro_kernel(height, k, a, b, taps, c, ldo, rows, n);
            } else if (height == 6 && rows == 6 && r + 6 < m && lathe_row_block(m - r - 6) == 6) {
                const int rows2 = m - r - 6 < 6 ? m - r - 6 : 6;
                lathe_micro_kernel_pair12(k, a, a + 6 * (size_t)k, b, next, offsets, c, c + NR, ldo, rows2);
                done = 12;
            } else {
                lathe_micro_kernel_pair(height, k, a, b, next, offsets, c, c + NR, ldo, rows);
            }
            a += (size_t)done * (size_t)k;
            r += done;
        }
        p += next ? 2 * NR : NR;
    }
}

/// Where tap (c, kh, kw) of position (0, 0) lies in the prepared image: a table
/// in the scratch after the panel.
static int32_t *tap_table(const lathe_conv2d_window *g, const lathe_prepared_layout *layout, float *scratch, int k) {
    int32_t *offsets = (int32_t *)(scratch + (size_t)k * NR);
    for (int c = 0, p = 0; c < g->channels; c++)
        for (int kh = 0; kh < g->kernel_h; kh++)
            for (int kw = 0; kw < g->kernel_w; kw++, p++) {
                const size_t column = (size_t)kw * (size_t)g->dilation_w;
                offsets[p] = (int32_t)((size_t)c * layout->plane + (size_t)kh * (size_t)g->dilation_h * layout->row
                                       + (column % (size_t)g->stride_w) * layout->phase_w + column / (size_t)g->stride_w);
            }
    return offsets;
}

void lathe_conv2d_positions(const float *packed_weights, int m, const lathe_conv2d_window *g, const float *prepared,
                            int first, int count, float *out, size_t ldo, float *scratch) {
    const int k = g->channels * g->kernel_h * g->kernel_w;
    const lathe_prepared_layout layout = lathe_prepared_layout_of(g);
    const int32_t *offsets = tap_table(g, &layout, scratch, k);
    const grid gr = {g->out_w, (size_t)g->stride_h * layout.row};
    if (lathe_has_pair_kernel())
        run_panels_wide(packed_weights, m, k, gr, offsets, prepared, first, first + count, out + first, ldo, scratch);
    else
        run_panels(packed_weights, m, k, gr, offsets, prepared, first, first + count, out + first, ldo, scratch);
}

int lathe_conv2d_rows_apply(const lathe_conv2d_window *g) {
    const lathe_prepared_layout layout = lathe_prepared_layout_of(g);
    // (A prepared row exactly out_w wide is read in place by `lathe_conv2d_positions` already.)
    return g->stride_h == 1 && g->stride_w == 1 && g->out_w % NR != 0 && layout.row != (size_t)g->out_w
        && layout.row <= 2 * (size_t)g->out_w;
}

size_t lathe_conv2d_wide_count(const lathe_conv2d_window *g, int m, int rows) {
    return (size_t)m * (size_t)rows * lathe_prepared_layout_of(g).row;
}

void lathe_conv2d_rows(const float *packed_weights, int m, const lathe_conv2d_window *g, const float *prepared,
                       int first_row, int rows, float *out, size_t ldo, float *scratch, float *wide) {
    const int k = g->channels * g->kernel_h * g->kernel_w;
    const lathe_prepared_layout layout = lathe_prepared_layout_of(g);
    const int32_t *offsets = tap_table(g, &layout, scratch, k);
    // Stride 1: output row oh starts prepared row oh, so on a grid as wide as a prepared row every
    // position is the next float and each panel reads in place; the columns past out_w are dropped.
    const int width = (int)layout.row;
    const grid gr = {width, layout.row};
    const size_t span = (size_t)rows * (size_t)width;
    (lathe_has_pair_kernel() ? run_panels_wide : run_panels)(packed_weights, m, k, gr, offsets, prepared,
                                                              first_row * width, (first_row + rows) * width, wide, span,
                                                              scratch);
    for (int r = 0; r < m; r++)
        for (int t = 0; t < rows; t++)
            memcpy(out + (size_t)r * ldo + (size_t)(first_row + t) * (size_t)g->out_w,
                   wide + (size_t)r * span + (size_t)t * (size_t)width, sizeof(float) * (size_t)g->out_w);
}

size_t lathe_packed_gemm_scratch_count(int k) { return (size_t)k; }

void lathe_packed_gemm(const float *packed_weights, int m, int k, const float *operand, int ld, int n, float *out,
                       size_t ldo, float *scratch) {
    int32_t *offsets = (int32_t *)scratch;
    for (int t = 0; t < k; t++) offsets[t] = t * ld;
    // Positions p < n of one operand row: every panel is one run (rows apart by the tap offsets).
    const grid gr = {n, (size_t)n};
    if (n <= 0) return;
    // Each row block of weights comes from memory or L3 for its first pair of panels (once in all
    // for a layer over one or two panels): prefetched, that pass no longer waits on it.
    const int stream = 1;
    const float *a = packed_weights;
    for (int r = 0; r < m;) {
        int done = 0;
        for (int p = 0; p < n;) {
            int n0, n1;
            panel_lanes(p, n, &n0, &n1);
            lathe_panel b0, b1;
            describe_panel(gr, operand, p, n0, &b0);
            if (n1) describe_panel(gr, operand, p + NR, n1, &b1);
            done = run_row_block(m, k, r, a, &b0, n0, &b1, n1, offsets, out + (size_t)r * ldo + p, ldo, stream);
            p += n0 + n1;
        }
        a += (size_t)done * (size_t)k;
        r += done;
    }
}
