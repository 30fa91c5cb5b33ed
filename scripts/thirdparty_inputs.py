"""Deterministic, realistic inputs for the third-party models of crosscheck_thirdparty.py.

No image or audio library is needed: text is drawn from a 5x7 bitmap font, pages are
laid out from text lines, and audio is voiced speech-like sound (a glottal pulse train
through moving formants) mixed with pauses and background noise. Every generator takes
a numpy Generator, so the same seed gives the same bytes.
"""

import numpy as np

# 5x7 glyphs, one string of 7 rows per character ('#' = ink).
FONT = {
    "0": ".###.#...##..###.#.###..##...#.###.", "1": "..#...##....#....#....#....#...###.",
    "2": ".###.#...#....#...#...#...#....#####", "3": "#####...#...#.....#....##...#.###.",
    "4": "...#...##..#.#.#..#.#####...#....#.", "5": "#####.#....####.....#....##...#.###.",
    "6": "..##..#...#....####.#...##...#.###.", "7": "#####....#...#...#...#....#....#..",
    "8": ".###.#...##...#.###.#...##...#.###.", "9": ".###.#...##...#.####....#...#..##..",
    "A": ".###.#...##...#######...##...##...#", "B": "####.#...##...#####.#...##...#####.",
    "C": ".###.#...##....#....#....#...#.###.", "D": "####.#...##...##...##...##...#####.",
    "E": "######....#....####.#....#....#####", "H": "#...##...##...#######...##...##...#",
    "L": "#....#....#....#....#....#....#####", "N": "#...###..##.#.##..###...##...##...#",
    "O": ".###.#...##...##...##...##...#.###.", "R": "####.#...##...#####.#.#..#..#.#...#",
    "S": ".####.....#.....###.....#....#####.", "T": "#####..#....#....#....#....#....#..",
    "-": "...............###...............",  ".": "..............................##..",
    " ": "." * 35,
}
ALPHABET = "0123456789ABCDEHLNORST-. "


def glyph(ch):
    rows = FONT[ch].ljust(35, ".")[:35]
    return np.array([[c == "#" for c in rows[r * 5:(r + 1) * 5]] for r in range(7)], dtype=np.float32)


def text_line(rng, height, width, chars=None):
    """A grey-level image [height, width] in [0, 255] of dark text on a light, slightly uneven background."""
    length = int(rng.integers(4, 12)) if chars is None else len(chars)
    chars = chars or "".join(rng.choice(list(ALPHABET[:-1]), size=length))
    scale = max(1, int(height * 0.55) // 7)
    ink = np.concatenate([np.pad(np.kron(glyph(c), np.ones((scale, scale))), ((0, 0), (0, scale)))
                          for c in chars], axis=1)
    ink = ink[:, :width]
    page = np.full((height, width), 235.0) + rng.normal(0, 4, (height, width))
    page += np.linspace(-10, 10, width)[None, :] * rng.uniform(-1, 1)
    top = (height - ink.shape[0]) // 2 + int(rng.integers(-2, 3))
    left = int(rng.integers(2, 8))
    span = min(ink.shape[1], width - left)
    region = page[max(top, 0):top + ink.shape[0], left:left + span]
    region -= ink[:region.shape[0], :span] * rng.uniform(150, 200)
    return np.clip(page, 0, 255)


def page(rng, height, width):
    """A document page [height, width]: text lines in two columns, a title band and a ruled table."""
    img = np.full((height, width), 240.0) + rng.normal(0, 3, (height, width))
    y = int(rng.integers(10, 30))
    title = text_line(rng, 40, width // 2)
    img[y:y + 40, width // 4:width // 4 + width // 2] = title
    y += 60
    line_h = 24
    while y + line_h < height * 0.6:
        for col in (0, 1):
            x0 = 20 + col * width // 2
            img[y:y + line_h, x0:x0 + width // 2 - 40] = text_line(rng, line_h, width // 2 - 40)
        y += line_h + int(rng.integers(4, 10))
    top = y + 20
    rows, cols = 5, 4
    cell_h, cell_w = 28, (width - 80) // cols
    for r in range(rows):
        for c in range(cols):
            y0, x0 = top + r * cell_h, 40 + c * cell_w
            if y0 + cell_h >= height:
                continue
            img[y0:y0 + cell_h - 4, x0 + 4:x0 + cell_w - 4] = text_line(rng, cell_h - 4, cell_w - 8)
            img[y0, 40:40 + cols * cell_w] = 60
    return np.clip(img, 0, 255)


def rgb(grey, rng):
    """[3, H, W] from a grey image, with a slight colour cast."""
    cast = rng.uniform(0.9, 1.05, size=3)
    return np.clip(grey[None] * cast[:, None, None], 0, 255)


def normalise(images, mean, std):
    """(x / 255 - mean) / std per channel, float32."""
    m = np.array(mean, dtype=np.float32)[None, :, None, None]
    s = np.array(std, dtype=np.float32)[None, :, None, None]
    return ((images / 255.0 - m) / s).astype(np.float32)


def speech(rng, samples, rate=16000):
    """int16-scaled audio: voiced segments (pulse train at 90-220 Hz through two moving formants),
    pauses and background noise."""
    t = np.arange(samples) / rate
    out = rng.normal(0, 60, samples)
    start = 0
    while start < samples:
        length = int(rng.integers(rate // 8, rate // 2))
        if rng.random() < 0.65:
            f0 = rng.uniform(90, 220) * (1 + 0.08 * np.sin(2 * np.pi * rng.uniform(2, 5) * t[start:start + length]))
            phase = np.cumsum(f0 / rate)
            pulses = (np.diff(np.floor(phase), prepend=0) > 0).astype(np.float64)
            voiced = np.zeros_like(pulses)
            for formant in (rng.uniform(300, 900), rng.uniform(1000, 2500)):
                n = np.arange(160)
                kernel = np.exp(-n / 25.0) * np.sin(2 * np.pi * formant * n / rate)
                voiced += np.convolve(pulses, kernel)[:len(pulses)]
            envelope = np.sin(np.linspace(0, np.pi, len(voiced))) ** 0.5
            out[start:start + length] += voiced * envelope * rng.uniform(2000, 6000)
        start += length
    return np.clip(out, -32768, 32767).astype(np.float32)
