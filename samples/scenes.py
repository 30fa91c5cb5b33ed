"""Synthetic "text scenes" for the fpn_detector sample: numpy only, deterministic per seed.

A scene is a smooth coloured background with noise, distractors (ellipses, thick
strokes, large blocks), coarse noise and text-like lines (rows of small blocks of one height, like
words). The target is a DB-style shrunk text map: 1 inside every text line's box shrunk
by 20% of its height on each side, 0 elsewhere. Used by samples/make_task_samples.py
(training at 96x96, the committed 512x512 images) and scripts/bench.py (more 512x512
images generated at run time).
"""

import numpy as np


def _colour_far_from(rng, base):
    """A colour at least 70 grey levels away from `base` on average."""
    while True:
        c = rng.integers(0, 256, 3)
        if np.abs(c - base).mean() >= 70:
            return c


def scene(size, rng):
    """One scene: uint8 image [3, size, size] and float32 target [1, size, size]."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    base = rng.integers(60, 200, 3).astype(np.float32)
    grad = rng.uniform(-40, 40, (3, 2)).astype(np.float32)
    img = base[:, None, None] + grad[:, 0, None, None] * yy + grad[:, 1, None, None] * xx
    target = np.zeros((size, size), np.float32)
    area = size * size / (96.0 * 96.0)

    for _ in range(rng.poisson(1.5 * area)):  # distractors
        kind = rng.integers(3)
        c = rng.integers(0, 256, 3)[:, None]
        if kind == 0:  # ellipse
            cy, cx = rng.uniform(0, size, 2)
            ry, rx = rng.uniform(6, 30, 2)
            y0, y1 = int(max(cy - ry, 0)), int(min(cy + ry + 1, size))
            x0, x1 = int(max(cx - rx, 0)), int(min(cx + rx + 1, size))
            if y1 <= y0 or x1 <= x0:
                continue
            gy, gx = np.mgrid[y0:y1, x0:x1]
            mask = ((gy - cy) / ry) ** 2 + ((gx - cx) / rx) ** 2 <= 1
            img[:, y0:y1, x0:x1][:, mask] = c
        elif kind == 1:  # thick stroke
            p0, p1 = rng.uniform(0, size, 2), rng.uniform(0, size, 2)
            w = int(rng.integers(2, 5))
            steps = int(np.abs(p1 - p0).max()) + 1
            for t in np.linspace(0, 1, steps):
                py, px = (p0 + t * (p1 - p0)).astype(int)
                img[:, max(py - w // 2, 0):py + w - w // 2, max(px - w // 2, 0):px + w - w // 2] = c[:, :, None]
        else:  # large block, roughly square
            h = int(rng.integers(20, 50))
            w = int(h * rng.uniform(0.7, 1.4))
            y0, x0 = int(rng.integers(0, size)), int(rng.integers(0, size))
            img[:, y0:y0 + h, x0:x0 + w] = c[:, :, None]

    for _ in range(rng.poisson(1.3 * area)):  # text lines
        h = int(rng.integers(8, 20))
        n_chars = int(rng.integers(3, 10))
        y0, x0 = int(rng.integers(0, size - h)), int(rng.integers(0, size - 8))
        bg = img[:, min(y0 + h // 2, size - 1), min(x0, size - 1)]
        c = _colour_far_from(rng, bg)[:, None, None]
        x = x0
        for _ in range(n_chars):
            cw = int(max(2, h * rng.uniform(0.35, 0.7)))
            ch = int(max(3, h * rng.uniform(0.6, 1.0)))
            stroke = max(1, h // 6)
            y_top = y0 + h - ch
            # a glyph-like block: outline with a random bar, not a solid rectangle
            img[:, y_top:y0 + h, x:x + stroke] = c
            img[:, y_top:y0 + h, x + cw - stroke:x + cw] = c
            img[:, y_top:y_top + stroke, x:x + cw] = c
            if rng.random() < 0.6:
                mid = y_top + ch // 2
                img[:, mid:mid + stroke, x:x + cw] = c
            if rng.random() < 0.5:
                img[:, y0 + h - stroke:y0 + h, x:x + cw] = c
            x += cw + max(1, int(h * rng.uniform(0.15, 0.35)))
            if x >= size:
                break
        x1 = min(x, size)
        shrink = max(1, int(round(0.2 * h)))
        if x1 - x0 > 2 * shrink:
            target[y0 + shrink:y0 + h - shrink, x0 + shrink:x1 - shrink] = 1.0

    # blotchy noise on a 4x coarser grid: texture for the detector, and it keeps the
    # committed images compressible
    coarse = rng.normal(0, 6, (3, -(-size // 4), -(-size // 4))).astype(np.float32)
    img += coarse.repeat(4, 1).repeat(4, 2)[:, :size, :size]
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), target[None]


def scenes(n, size, seed):
    """`n` scenes of `size`x`size`: uint8 x [n, 3, size, size], float32 y [n, 1, size, size]."""
    rng = np.random.default_rng(seed)
    pairs = [scene(size, rng) for _ in range(n)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])
