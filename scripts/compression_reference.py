#!/usr/bin/env python3
"""Independent numpy implementation of Lathe's compression definitions.

DESIGN.md "Standard definitions" and the procedures documented in
Sources/LatheCore/Compression (each step below names its Swift counterpart).
Arithmetic follows the same precision and order as the Swift code: grids in
float32 exactly as written, statistics (means, L1 norms, errors) accumulated
sequentially in float64, round half to even everywhere. The two therefore
agree bit for bit, except low-rank (different LAPACK builds: agreement within
float32 rounding).

Uses:
  python scripts/compression_reference.py fixtures [--out PATH]
      regenerates the committed XCTest fixtures of random tensors.
  import compression_reference; compress(weight, layer, settings)
      for cross-checks (settings are configuration-file dicts, e.g. {"bits": 4, "prune": 0.5}).
"""
import argparse
import json
import math
import os

import numpy as np

F32 = np.float32
MASK64 = (1 << 64) - 1
KMEANS_SEED = 0x1A7E5EED
MAX_ITERATIONS = 100


# ----------------------------------------------------------------------------- layers

def layer(op, shape, channel_axis, reduction_axis, groups=1, name="w"):
    return {"name": name, "op": op, "shape": list(shape), "channelAxis": channel_axis,
            "reductionAxis": reduction_axis, "groups": groups}


def channel_major(values, axis):
    """[C, rest] with each channel contiguous (ChannelLayout.gather)."""
    return np.ascontiguousarray(np.moveaxis(values, axis, 0)).reshape(values.shape[axis], -1)


def from_channel_major(blocks, shape, axis):
    moved = [shape[axis]] + [d for i, d in enumerate(shape) if i != axis]
    return np.ascontiguousarray(np.moveaxis(blocks.reshape(moved), 0, axis))


def seq_sum(values):
    """Sequential float64 sum, as the Swift loops accumulate."""
    values = np.asarray(values, dtype=np.float64).ravel()
    return float(np.cumsum(values)[-1]) if values.size else 0.0


# ----------------------------------------------------------------------------- grids (QuantizationGrid)

def symmetric_grid(bits, max_magnitude):
    qmax = F32((1 << (bits - 1)) - 1)
    m = F32(max_magnitude)
    scale = m / qmax if m > 0 else F32(1)
    return ("sym", qmax, F32(scale))


def asymmetric_grid(bits, lo, hi):
    levels = F32((1 << bits) - 1)
    low, high = min(F32(lo), F32(0)), max(F32(hi), F32(0))
    scale = F32(F32(high - low) / levels)
    if not scale > 0:
        scale = F32(1)
    zp = F32(min(max(np.round(F32(-low) / scale), F32(0)), levels))
    return ("asym", levels, scale, zp)


def apply_grid(grid, w):
    w = np.asarray(w, dtype=F32)
    if grid[0] == "sym":
        _, qmax, s = grid
        return (np.clip(np.round(w / s), -qmax, qmax) * s).astype(F32)
    _, levels, s, zp = grid
    q = np.clip(np.round(w / s) + zp, F32(0), levels)
    return ((q - zp) * s).astype(F32)


# ----------------------------------------------------------------------------- ranges (UniformQuantizer)

MSE_CANDIDATES = [F32(0.5 + 0.5 * j / 99) for j in range(100)]


def percentile(values, q):
    """numpy 'linear' percentile in float64, rounded to float32."""
    v = np.sort(np.asarray(values, dtype=F32))
    if v.size == 0:
        return F32(0)
    h = (v.size - 1) * q / 100
    lower = max(0, min(v.size - 1, int(math.floor(h))))
    if lower + 1 >= v.size:
        return v[lower]
    a, b = float(v[lower]), float(v[lower + 1])
    return F32(a + (h - lower) * (b - a))


def minmax_grid(w, bits, symmetric, ratio):
    if symmetric:
        m = F32(np.max(np.abs(w))) if w.size else F32(0)
        return symmetric_grid(bits, m if ratio == 1 else F32(m * ratio))
    lo = F32(np.min(w)) if w.size else F32(0)
    hi = F32(np.max(w)) if w.size else F32(0)
    if ratio == 1:
        return asymmetric_grid(bits, lo, hi)
    return asymmetric_grid(bits, F32(min(lo, F32(0)) * ratio), F32(max(hi, F32(0)) * ratio))


def squared_error(w, grid):
    d = apply_grid(grid, w).astype(np.float64) - w.astype(np.float64)
    return seq_sum(d * d)


def choose_grid(w, bits, settings):
    symmetric = settings.get("scheme", "symmetric") == "symmetric"
    method = settings.get("range", "minmax")
    if method == "minmax":
        return minmax_grid(w, bits, symmetric, 1)
    if method == "percentile":
        q = float(settings.get("percentile", 99.99))
        if symmetric:
            return symmetric_grid(bits, percentile(np.abs(w), q))
        return asymmetric_grid(bits, percentile(w, 100 - q), percentile(w, q))
    best = minmax_grid(w, bits, symmetric, 1)
    best_error = squared_error(w, best)
    for ratio in reversed(MSE_CANDIDATES[:-1]):
        grid = minmax_grid(w, bits, symmetric, ratio)
        error = squared_error(w, grid)
        if error < best_error:
            best, best_error = grid, error
    return best


def quantize_block(block, keep, bits, settings):
    """One channel (or the whole tensor): the survivors are quantized, the rest untouched."""
    block = block.copy()
    idx = np.nonzero(keep)[0] if keep is not None else np.arange(block.size)
    w = block[idx]
    if bits == 1 and settings.get("scheme", "symmetric") == "symmetric":
        mean = F32(seq_sum(np.abs(w)) / w.size) if w.size else F32(0)
        block[idx] = np.where(w < 0, -mean, mean).astype(F32)
        return block
    block[idx] = apply_grid(choose_grid(w, bits, settings), w)
    return block


def quantize(values, shape, channel_axis, settings, keep=None):
    bits = int(settings["bits"])
    values = np.asarray(values, dtype=F32).reshape(shape)
    if settings.get("granularity", "per-channel") == "per-tensor":
        flat = quantize_block(values.ravel(), None if keep is None else keep.ravel(), bits, settings)
        return flat.reshape(shape)
    blocks = channel_major(values, channel_axis)
    keeps = None if keep is None else channel_major(keep.reshape(shape), channel_axis)
    out = np.stack([quantize_block(blocks[c], None if keeps is None else keeps[c], bits, settings)
                    for c in range(blocks.shape[0])])
    return from_channel_major(out, list(shape), channel_axis)


# ----------------------------------------------------------------------------- float formats

def round_fp16(values):
    return np.asarray(values, dtype=F32).astype(np.float16).astype(F32)


def round_bf16(values):
    v = np.asarray(values, dtype=F32)
    bits = v.view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32).view(F32)
    return np.where(np.isnan(v), v, rounded).astype(F32)


# ----------------------------------------------------------------------------- pruning (Pruner)

def removed_count(ratio, count):
    return 0 if ratio <= 0 else min(count, int(math.floor(ratio * count)))


def prune_unstructured(values, ratio):
    flat = np.asarray(values, dtype=F32).ravel()
    keep = np.ones(flat.size, dtype=bool)
    k = removed_count(ratio, flat.size)
    keep[np.argsort(np.abs(flat), kind="stable")[:k]] = False
    return keep.reshape(np.shape(values))


def prune_channel(values, channel_axis, ratio):
    blocks = channel_major(np.asarray(values, dtype=F32), channel_axis)
    norms = np.array([seq_sum(np.abs(b)) for b in blocks])
    keep = np.ones(blocks.shape, dtype=bool)
    keep[np.argsort(norms, kind="stable")[:removed_count(ratio, blocks.shape[0])]] = False
    return from_channel_major(keep, list(np.shape(values)), channel_axis)


def prune_two_four(values, reduction_axis):
    values = np.asarray(values, dtype=F32)
    lines = channel_major(values, reduction_axis).T  # [outer*inner, length]
    keep = np.ones(lines.shape, dtype=bool)
    for r in range(lines.shape[0]):
        for start in range(0, lines.shape[1], 4):
            group = list(range(start, min(start + 4, lines.shape[1])))
            ranked = sorted(group, key=lambda i: (-abs(float(lines[r, i])), i))
            for i in ranked[min(len(group), 2):]:
                keep[r, i] = False
    return from_channel_major(keep.T, list(values.shape), reduction_axis)


def prune_mask(values, lay, settings):
    structure = settings.get("structure", "unstructured")
    if structure == "2:4":
        return prune_two_four(values, lay["reductionAxis"])
    ratio = float(settings.get("prune", 0))
    if structure == "channel":
        return prune_channel(values, lay["channelAxis"], ratio)
    return prune_unstructured(values, ratio)


# ----------------------------------------------------------------------------- k-means (WeightSharing)

class SplitMix64:
    def __init__(self, seed):
        self.state = seed & MASK64

    def next(self):
        self.state = (self.state + 0x9E3779B97F4A7C15) & MASK64
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        return z ^ (z >> 31)

    def unit(self):
        return (self.next() >> 11) * 2.0 ** -53


def kmeans_codebook(values, k, seed=KMEANS_SEED):
    x = np.sort(np.asarray(values, dtype=F32))
    if x.size == 0:
        return np.zeros(0, dtype=F32)
    distinct = np.unique(x)
    if distinct.size <= k:
        return distinct.astype(F32)
    xd = x.astype(np.float64)
    n = xd.size
    rng = SplitMix64(seed)
    first = xd[min(n - 1, int(rng.unit() * n))]
    centres = [first]
    d2 = (xd - first) * (xd - first)
    while len(centres) < k:
        running = np.cumsum(d2)
        target = rng.unit() * running[-1]
        i = min(n - 1, int(np.searchsorted(running, target, side="right")))
        centres.append(xd[i])
        d2 = np.minimum(d2, (xd - xd[i]) * (xd - xd[i]))
    centres = np.sort(np.array(centres))
    prefix = np.concatenate([[0.0], np.cumsum(xd)])
    previous = None
    for _ in range(MAX_ITERATIONS):
        mids = (centres[:-1] + centres[1:]) / 2
        ends = list(np.searchsorted(xd, mids, side="right")) + [n]
        if ends == previous:
            break
        start = 0
        for j, end in enumerate(ends):
            if end > start:
                centres[j] = (prefix[end] - prefix[start]) / (end - start)
            start = end
        centres = np.sort(centres)
        previous = ends
    return np.sort(centres.astype(F32))


def apply_codebook(codebook, values, keep=None):
    values = np.asarray(values, dtype=F32)
    out = values.copy()
    if codebook.size == 0:
        return out
    cb = codebook.astype(np.float64)
    mids = (cb[:-1] + cb[1:]) / 2
    sel = values != 0
    if keep is not None:
        sel &= keep
    out[sel] = codebook[np.searchsorted(mids, values[sel].astype(np.float64), side="left")]
    return out


def clustered_values(values, keep):
    sel = values != 0
    if keep is not None:
        sel &= keep
    return values[sel]


# ----------------------------------------------------------------------------- low rank (LowRank)

def kept_rank(fraction, rows, columns):
    full = min(rows, columns)
    return min(full, max(1, int(round(fraction * full))))  # Python's round is half to even


def low_rank_factors(matrix, k):
    u, s, vt = np.linalg.svd(matrix.astype(np.float64), full_matrices=False)
    root = np.sqrt(s[:k])
    return (u[:, :k] * root).astype(F32), (root[:, None] * vt[:k]).astype(F32)


def encode_dense(values, settings):
    bits = settings.get("bits", 32)
    if bits == "fp16":
        return round_fp16(values)
    if bits == "bf16":
        return round_bf16(values)
    if int(bits) == 32:
        return values
    return quantize(values, list(values.shape), 0, settings)


# ----------------------------------------------------------------------------- pipeline (Compressor)

def is_pruned(settings):
    return settings.get("structure") == "2:4" or float(settings.get("prune", 0)) > 0


def prepare(weight, lay, settings):
    """Low-rank (factors encoded) or pruning. Returns (values, keep, encoded)."""
    values = np.asarray(weight, dtype=F32).reshape(lay["shape"]).copy()
    rank = float(settings.get("rank", 1))
    if rank < 1:
        rows = lay["shape"][lay["channelAxis"]]
        columns = values.size // rows
        k = kept_rank(rank, rows, columns)
        if k < min(rows, columns):
            a, b = low_rank_factors(channel_major(values, lay["channelAxis"]), k)
            a, b = encode_dense(a, settings), encode_dense(b, settings)
            product = (a.astype(np.float64) @ b.astype(np.float64)).astype(F32)
            return from_channel_major(product, lay["shape"], lay["channelAxis"]), None, True
    if not is_pruned(settings):
        return values, None, False
    keep = prune_mask(values, lay, settings)
    values[~keep] = 0
    return values, keep, False


def finish(values, keep, encoded, lay, settings):
    out = values.copy()
    if not encoded and "clusters" not in settings:
        bits = settings.get("bits", 32)
        if bits == "fp16":
            out = round_fp16(out)
        elif bits == "bf16":
            out = round_bf16(out)
        elif int(bits) != 32:
            out = quantize(out, lay["shape"], lay["channelAxis"], settings, keep)
    if keep is not None:
        out[~keep] = 0
    return out.astype(F32)


def compress(weight, lay, settings):
    """One layer with its own codebook when shared."""
    values, keep, encoded = prepare(weight, lay, settings)
    if "clusters" in settings:
        codebook = kmeans_codebook(clustered_values(values, keep), int(settings["clusters"]))
        values = apply_codebook(codebook, values, keep)
    return finish(values, keep, encoded, lay, settings)


def compress_group(members):
    """Layers of one share group: [(weight, layer, settings)] -> [compressed]."""
    prepared = [prepare(w, lay, s) for w, lay, s in members]
    pooled = np.concatenate([clustered_values(v, keep) for v, keep, _ in prepared])
    codebook = kmeans_codebook(pooled, int(members[0][2]["clusters"]))
    return [finish(apply_codebook(codebook, v, keep), keep, enc, lay, s)
            for (v, keep, enc), (_, lay, s) in zip(prepared, members)]


# ----------------------------------------------------------------------------- plans (CompressionPlan.resolve)

def resolve_plan(layer_names, config):
    """Settings dict per layer from a parsed configuration (dict with defaults/layers):
    an entry replaces the defaults whole; exact names win over globs, later globs over earlier."""
    import fnmatch
    defaults = dict(config.get("defaults") or {})
    rules = list((config.get("layers") or {}).items())
    plan = {}
    for name in layer_names:
        chosen = defaults
        exact = [s for pattern, s in rules if pattern == name]
        globs = [s for pattern, s in rules if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(name, pattern)]
        if exact:
            chosen = exact[-1]
        elif globs:
            chosen = globs[-1]
        plan[name] = dict(chosen or {})
    return plan


def compress_model(weights, layers, plan):
    """Compressed weights for every layer whose settings change them, share groups included.
    weights: {name: array}; layers: [layer dicts]; plan: {name: settings}."""
    out, groups = {}, {}
    for lay in layers:
        settings = plan.get(lay["name"], {})
        changes = any(k in settings for k in ("clusters", "prune", "structure")) or \
            float(settings.get("rank", 1)) < 1 or str(settings.get("bits", 32)) != "32"
        if not changes:
            continue
        if "clusters" in settings and "share_group" in settings:
            groups.setdefault(settings["share_group"], []).append((weights[lay["name"]], lay, settings))
        else:
            out[lay["name"]] = compress(weights[lay["name"]], lay, settings)
    for members in groups.values():
        for (_, lay, _), result in zip(members, compress_group(members)):
            out[lay["name"]] = result
    return out


# ----------------------------------------------------------------------------- fixtures

def hexfloats(values):
    return "".join("%08x" % int(b) for b in np.asarray(values, dtype=F32).ravel().view(np.uint32))


FIXTURE_LAYERS = {
    "conv": layer("Conv", [6, 4, 3, 3], 0, 1),
    "conv1x1": layer("Conv", [8, 6, 1, 1], 0, 1),
    "depthwise": layer("Conv", [6, 1, 3, 3], 0, 1, groups=6),
    "convT": layer("ConvTranspose", [4, 6, 3, 3], 1, 0),
    "gemmT": layer("Gemm", [5, 7], 0, 1),
    "matmul": layer("MatMul", [7, 5], 1, 0),
}

FIXTURE_SETTINGS = [
    {"bits": 8}, {"bits": 4}, {"bits": 2}, {"bits": 1}, {"bits": 16}, {"bits": 3},
    {"bits": 8, "granularity": "per-tensor"}, {"bits": 1, "granularity": "per-tensor"},
    {"bits": 8, "scheme": "asymmetric"}, {"bits": 4, "scheme": "asymmetric"},
    {"bits": 2, "scheme": "asymmetric", "granularity": "per-tensor"}, {"bits": 1, "scheme": "asymmetric"},
    {"bits": 4, "range": "mse"}, {"bits": 3, "scheme": "asymmetric", "range": "mse"},
    {"bits": 4, "range": "percentile", "percentile": 90},
    {"bits": 4, "scheme": "asymmetric", "range": "percentile", "percentile": 95},
    {"bits": "fp16"}, {"bits": "bf16"},
    {"prune": 0.5}, {"prune": 0.99}, {"prune": 0.5, "bits": 4}, {"prune": 0.3, "bits": 1},
    {"prune": 0.5, "structure": "channel"}, {"prune": 0.34, "structure": "channel", "bits": 8, "scheme": "asymmetric"},
    {"structure": "2:4"}, {"structure": "2:4", "bits": 4}, {"prune": 0.6, "bits": 4, "range": "mse"},
    {"clusters": 4}, {"clusters": 16}, {"clusters": 8, "prune": 0.5}, {"clusters": 3, "structure": "2:4"},
    {"prune": 0.5, "bits": "fp16"},
]

LOW_RANK_SETTINGS = [{"rank": 0.5}, {"rank": 0.25}, {"rank": 0.5, "bits": 8}, {"rank": 0.7, "bits": "bf16"}]


def random_weight(rng, shape, style):
    if style == "normal":
        return rng.standard_normal(shape).astype(F32)
    if style == "ties":  # many exact duplicates and halves: exercises ties in rounding, sorting, k-means
        return (rng.integers(-8, 9, size=shape) / 4).astype(F32)
    w = (rng.standard_normal(shape) * np.exp(rng.standard_normal(shape))).astype(F32)  # heavy tails
    w.reshape(-1)[::7] = 0  # some exact zeros
    return w


def make_fixtures():
    rng = np.random.default_rng(20240607)
    cases = []
    for lname, lay in FIXTURE_LAYERS.items():
        for style in ("normal", "ties", "heavy"):
            weight = random_weight(rng, lay["shape"], style)
            settings_list = FIXTURE_SETTINGS + (LOW_RANK_SETTINGS if lname in ("conv1x1", "gemmT", "matmul") else [])
            for settings in settings_list:
                expected = compress(weight, lay, settings)
                cases.append({"name": f"{lname}/{style}/{json.dumps(settings, sort_keys=True)}",
                              "layer": lay, "settings": settings, "lowRank": "rank" in settings,
                              "input": hexfloats(weight), "expected": hexfloats(expected)})
    groups = []
    for clusters, prune in ((8, 0.0), (5, 0.5)):
        members = []
        for i, key in enumerate(("conv", "gemmT", "matmul")):
            lay = dict(FIXTURE_LAYERS[key], name=f"{key}.weight")
            settings = {"clusters": clusters, "share_group": "g"}
            if prune and i != 1:
                settings["prune"] = prune
            members.append((random_weight(rng, lay["shape"], "normal"), lay, settings))
        outputs = compress_group(members)
        groups.append({"name": f"group k={clusters} prune={prune}",
                       "layers": [{"layer": lay, "settings": s, "input": hexfloats(w), "expected": hexfloats(o)}
                                  for (w, lay, s), o in zip(members, outputs)]})
    return {"generator": "scripts/compression_reference.py fixtures", "cases": cases, "groups": groups}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    fixtures = sub.add_parser("fixtures", help="regenerate the XCTest fixtures")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    fixtures.add_argument("--out", default=os.path.join(
        root, "Tests/LatheCoreTests/Fixtures/compression/compression_reference.json"))
    args = parser.parse_args()
    if args.command == "fixtures":
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(make_fixtures(), f, sort_keys=True)
            f.write("\n")
        print("wrote", args.out)


if __name__ == "__main__":
    main()
