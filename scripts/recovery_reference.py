#!/usr/bin/env python3
"""Accuracy recovery without training, in numpy, from the README's "Recovery methods".

Independent of Lathe's Swift code; written from the papers and the definitions:
  * non-uniform grids (`grid: nf4 | pow2`): symmetric level tables times the block's
    absmax, nearest level with ties to the lower one;
  * layer input statistics: the vectors a weight row is dotted with (a Conv's im2col
    receptive fields per group in (channel, ky, kx) order, a ConvTranspose's per output
    position in (in channel, ky, kx) order, a Gemm's / MatMul's data rows, a recurrent W's X_t,
    a recurrent R's H_{t-1} per direction),
    over the first calibration samples through the uncompressed (BN-folded) model;
  * GPTQ (Frantar et al. 2022): H = (2/n)·Σxxᵀ, dead columns zeroed, 1% damping,
    natural column order, lazy blocks of 128, float64 updates, float32 rounding by each
    row's round-to-nearest grid;
  * SparseGPT (Frantar & Alistarh 2023) in the same pass: unstructured masks chosen at each
    block's start by w²/U_ii² so that floor(p·elements so far) are pruned, 2:4 per group of
    four along the reduction axis (made innermost), joint with integer rounding;
  * empirical bias correction (Nagel et al. 2019): b += (W − Ŵ)·E[x] per output channel; a
    layer without a bias gets one from b = 0 (a Conv's / Gemm's bias input, an Add after a MatMul).
"""

import numpy as np

import compression_reference as ref

F32 = np.float32
BLOCK = 128
DAMP = 0.01
NF4 = np.array([-1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635,
                -0.18477343022823334, -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725,
                0.24611230194568634, 0.33791524171829224, 0.44070982933044434, 0.5626170039176941,
                0.7229568362236023, 1.0], dtype=F32)


def unit_levels(grid, bits):
    if grid == "nf4":
        return NF4
    magnitudes = np.array([2.0 ** -k for k in range(0, (1 << (bits - 1)) - 1)], dtype=F32)
    return np.concatenate([-magnitudes, [F32(0)], magnitudes[::-1]]).astype(F32)


def level_quantizer(survivors, bits, grid):
    absmax = F32(np.max(np.abs(survivors))) if survivors.size else F32(0)
    levels = (unit_levels(grid, bits) * (absmax if absmax > 0 else F32(1))).astype(F32)

    def apply(w):
        w = np.asarray(w, dtype=F32)
        distance = np.abs(w.reshape(-1, 1) - levels.reshape(1, -1))
        return levels[np.argmin(distance, axis=1)].reshape(w.shape)
    return apply


def block_quantizer(survivors, bits, settings):
    """The rounding of one block (channel or tensor), chosen from its surviving weights."""
    survivors = np.asarray(survivors, dtype=F32)
    grid = settings.get("grid", "uniform")
    if grid != "uniform":
        return level_quantizer(survivors, bits, grid)
    if bits == 1 and settings.get("scheme", "symmetric") == "symmetric":
        mean = F32(ref.seq_sum(np.abs(survivors)) / survivors.size) if survivors.size else F32(0)
        return lambda w: np.where(np.asarray(w, F32) < 0, -mean, mean).astype(F32)
    chosen = ref.choose_grid(survivors, bits, settings)
    return lambda w: ref.apply_grid(chosen, w)


def quantize_rtn(values, lay, settings, keep=None):
    """Round-to-nearest with any grid (the uniform one is compression_reference's)."""
    bits = int(settings["bits"])
    rows = ref.channel_major(values.reshape(lay["shape"]), lay["channelAxis"])
    keeps = None if keep is None else ref.channel_major(keep.reshape(lay["shape"]), lay["channelAxis"])
    out = rows.copy()
    quantizers = row_quantizers(rows, keeps, bits, settings)
    for r in range(rows.shape[0]):
        idx = np.arange(rows.shape[1]) if keeps is None else np.nonzero(keeps[r])[0]
        out[r, idx] = quantizers[r](rows[r, idx])
    return ref.from_channel_major(out, lay["shape"], lay["channelAxis"])


def row_quantizers(rows, keeps, bits, settings):
    def survivors(r):
        return rows[r] if keeps is None else rows[r][keeps[r]]
    if settings.get("granularity", "per-channel") == "per-tensor":
        everything = rows.ravel() if keeps is None else rows[keeps]
        one = block_quantizer(everything, bits, settings)
        return [one] * rows.shape[0]
    return [block_quantizer(survivors(r), bits, settings) for r in range(rows.shape[0])]


# ----------------------------------------------------------------------------- input statistics

def conv_vectors(x, weight_shape, attrs, group):
    """im2col receptive fields of x [N, C, H, W] for one group: [N·OH·OW, Cg·kh·kw]."""
    kh, kw = weight_shape[2:]
    sh, sw = attrs.get("strides", [1, 1])
    dh, dw = attrs.get("dilations", [1, 1])
    pads = attrs.get("pads", [0, 0, 0, 0])
    assert attrs.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET", b""), "auto_pad not handled here"
    cg = weight_shape[1]
    xg = x[:, group * cg:(group + 1) * cg]
    xp = np.pad(xg, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    n, _, hp, wp = xp.shape
    oh = (hp - ((kh - 1) * dh + 1)) // sh + 1
    ow = (wp - ((kw - 1) * dw + 1)) // sw + 1
    cols = np.empty((n, cg, kh, kw, oh, ow), dtype=F32)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, cg * kh * kw)


def conv_transpose_vectors(x, weight_shape, attrs):
    """ConvTranspose (group 1, weight [Cin, Cout, kh, kw]) of x [N, Cin, H, W]: one vector per output
    position o, [N·OH·OW, Cin·kh·kw] in (ic, ky, kx) order, holding x[ic, i] with o = i·s + k·d − pad_begin
    on each axis (0 where no whole in-range i exists): what output channel oc's row w[:, oc] is dotted with."""
    assert int(attrs.get("group", 1)) == 1
    assert attrs.get("auto_pad", b"NOTSET") in (b"NOTSET", "NOTSET", b""), "auto_pad not handled here"
    assert not attrs.get("output_shape"), "output_shape not handled here"
    cin, _, kh, kw = weight_shape
    sh, sw = attrs.get("strides", [1, 1])
    dh, dw = attrs.get("dilations", [1, 1])
    pads = attrs.get("pads", [0, 0, 0, 0])
    out_pad = attrs.get("output_padding", [0, 0])
    n, _, h, w = x.shape
    oh = sh * (h - 1) + out_pad[0] + (kh - 1) * dh + 1 - pads[0] - pads[2]
    ow = sw * (w - 1) + out_pad[1] + (kw - 1) * dw + 1 - pads[1] - pads[3]
    cols = np.zeros((n, oh, ow, cin, kh, kw), dtype=F32)
    for ky in range(kh):
        for kx in range(kw):
            for iy in range(h):
                oy = iy * sh + ky * dh - pads[0]
                if not 0 <= oy < oh:
                    continue
                ox = np.arange(w) * sw + kx * dw - pads[1]
                ok = (ox >= 0) & (ox < ow)
                view = cols[:, oy, :, :, ky, kx]  # [n, ow, cin], a view
                view[:, ox[ok], :] = np.transpose(x[:, :, iy, ok], (0, 2, 1))
    return cols.reshape(n * oh * ow, cin * kh * kw)


def previous_hidden_states(node, y, initial_h=None):
    """Per direction, the states H_{t-1} R's rows are dotted with, from Y of the uncompressed run
    ([T, D, N, H] for layout 0, [N, T, D, H] for layout 1): forward, the initial state (0 without
    one) then Y[0 .. T-2]; backward (reverse, or the second of bidirectional), Y[1 .. T-1] then the
    initial state. Returns [D] arrays [T·N, H]."""
    from onnx import helper
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    assert len(node.input) <= 4 or not node.input[4], "sequence_lens not handled here"
    if attrs.get("layout", 0):
        y = np.transpose(y, (1, 2, 0, 3))
        initial_h = None if initial_h is None else np.transpose(initial_h, (1, 0, 2))
    steps, directions, batch, hidden = y.shape
    direction = attrs.get("direction", b"forward")
    direction = direction.decode() if isinstance(direction, bytes) else direction
    out = []
    for d in range(directions):
        h0 = np.zeros((1, batch, hidden), dtype=F32) if initial_h is None else initial_h[d][None].astype(F32)
        backward = direction == "reverse" or d == 1
        states = np.concatenate([y[1:, d], h0]) if backward else np.concatenate([h0, y[:-1, d]])
        out.append(states.reshape(-1, hidden))
    return out


def input_statistics(node, lay, data, y=None, initial_h=None):
    """(groups, [(count, mean, hessian)] per group) from the layer's data input values. Recurrent W:
    the X_t of every step (one Hessian, every direction's); R: per direction the states H_{t-1}
    (`previous_hidden_states` of Y, the node's output in the uncompressed run)."""
    from onnx import helper
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    if lay["op"] in ("LSTM", "GRU", "RNN") and node.input[2] == lay["name"]:
        out = []
        for x in previous_hidden_states(node, y, initial_h):
            x = x.astype(np.float64)
            out.append((x.shape[0], x.mean(0), 2.0 / x.shape[0] * (x.T @ x)))
        return out
    if lay["op"] == "Conv":
        groups = int(attrs.get("group", 1))
        out = []
        for g in range(groups):
            x = conv_vectors(data, lay["shape"], attrs, g).astype(np.float64)
            out.append((x.shape[0], x.mean(0), 2.0 / x.shape[0] * (x.T @ x)))
        return out
    if lay["op"] == "ConvTranspose":
        x = conv_transpose_vectors(data, lay["shape"], attrs).astype(np.float64)
        return [(x.shape[0], x.mean(0), 2.0 / x.shape[0] * (x.T @ x))]
    if lay["op"] == "Gemm" and attrs.get("transA", 0):
        x = data.T
    elif lay["op"] == "MatMul" and node.input[0] == lay["name"]:
        x = np.swapaxes(data, -1, -2)
    else:
        x = data
    x = x.reshape(-1, x.shape[-1]).astype(np.float64)
    return [(x.shape[0], x.mean(0), 2.0 / x.shape[0] * (x.T @ x))]


# ----------------------------------------------------------------------------- GPTQ and bias correction

def block_end(start, n, pruning):
    end = min(start + BLOCK, n)
    if pruning is not None and pruning[0] == "2:4":
        line = pruning[1]
        while end < n and (end % line) % 4 != 0:
            end += 1
    return end


def solve(w, hessian, quantizers, keep, pruning=None, state=None):
    """GPTQ / SparseGPT on rows [out, columns] with one Hessian; returns the rounded float32 rows.
    pruning: None, ("unstructured", ratio) or ("2:4", line length); state carries the layer's
    elements and pruned counts across groups."""
    w = w.astype(np.float64).copy()
    h = hessian.copy()
    rows, n = w.shape
    dead = np.diag(h) == 0
    h[dead, dead] = 1
    w[:, dead] = 0
    h[np.arange(n), np.arange(n)] += DAMP * np.mean(np.diag(h))
    inverse = np.linalg.inv(np.linalg.cholesky(h))
    u = np.linalg.cholesky(inverse.T @ inverse).T  # upper factor of H⁻¹
    q = np.zeros(w.shape, dtype=F32)
    removed = np.zeros(w.shape, dtype=bool)
    pruned = 0
    start = 0
    while start < n:
        end = block_end(start, n, pruning)
        if pruning is not None and pruning[0] == "unstructured":
            through = state["elements"] + rows * end
            target = int(np.floor(pruning[1] * through)) - state["pruned"] - pruned
            if target > 0:
                score = (w[:, start:end] ** 2 / np.diag(u)[start:end].reshape(1, -1) ** 2).ravel()
                index = (np.arange(rows).reshape(-1, 1) * n + np.arange(start, end).reshape(1, -1)).ravel()
                chosen = index[np.lexsort((index, score))[:target]]
                removed.ravel()[chosen] = True
                pruned += len(chosen)
        errors = np.zeros((rows, end - start))
        for i in range(start, end):
            if pruning is not None and pruning[0] == "2:4" and (i % pruning[1]) % 4 == 0:
                line = pruning[1]
                group = list(range(i, min(i + 4, (i // line + 1) * line)))
                for r in range(rows):
                    score = {c: w[r, c] ** 2 / u[c, c] ** 2 for c in group}
                    ranked = sorted(group, key=lambda c: (-score[c], c))
                    for c in ranked[min(len(group), 2):]:
                        removed[r, c] = True
                        pruned += 1
            column = w[:, i]
            if quantizers is None:
                rounded = column.astype(F32)
            else:
                rounded = np.array([quantizers[r](F32(column[r]))[()] for r in range(rows)], dtype=F32)
            rounded[removed[:, i]] = 0
            if keep is not None:
                rounded[~keep[:, i]] = 0
            q[:, i] = rounded
            error = (column - rounded.astype(np.float64)) / u[i, i]
            w[:, i + 1:end] -= np.outer(error, u[i, i + 1:end])
            errors[:, i - start] = error
        w[:, end:] -= errors @ u[start:end, end:]
        start = end
    if state is not None:
        state["elements"] += rows * n
        state["pruned"] += pruned
    return q


def column_order(lay, columns, reduction_innermost):
    """New position -> old position of a weight row's columns (None: identity), and the line length."""
    per_row = {"Conv": lay["shape"][1], "ConvTranspose": lay["shape"][0]}.get(lay["op"], columns)
    taps = max(1, columns // max(per_row, 1))
    if not reduction_innermost or lay["op"] not in ("Conv", "ConvTranspose") or taps == 1:
        return None, (per_row if reduction_innermost else columns)
    return np.array([(p % per_row) * taps + p // per_row for p in range(columns)]), per_row


def weight_layout(out, lay, bits):
    """Channel-major rows back in the weight's own layout, at its storage precision."""
    out = ref.from_channel_major(out, lay["shape"], lay["channelAxis"])
    if bits == "fp16":
        return ref.round_fp16(out)
    if bits == "bf16":
        return ref.round_bf16(out)
    return out


def recurrent_pass(values, keep, lay, settings, stats):
    """GPTQ / SparseGPT on a recurrent W [D, G·H, I] or R [D, G·H, H]: rows are the G·H gate rows with
    both directions' columns (so the grids are round-to-nearest's, per row over every direction); each
    direction's columns are solved on their own with that direction's Hessian (W: the one X Hessian)."""
    bits = settings.get("bits", 32)
    sparse = settings.get("prune_method") == "sparsegpt"
    directions, _, n = lay["shape"]
    rows = ref.channel_major(values.reshape(lay["shape"]), lay["channelAxis"])
    keeps = None if keep is None else ref.channel_major(keep.reshape(lay["shape"]), lay["channelAxis"])
    integer = str(bits) not in ("32", "fp16", "bf16")
    quantizers = row_quantizers(rows, keeps, int(bits), settings) if integer else None
    pruning = None
    if sparse:
        pruning = ("2:4", n) if settings.get("structure") == "2:4" else ("unstructured", float(settings["prune"]))
    state = {"elements": 0, "pruned": 0}
    out = np.empty(rows.shape, dtype=F32)
    for d in range(directions):
        span = slice(d * n, (d + 1) * n)
        out[:, span] = solve(rows[:, span], stats[min(d, len(stats) - 1)][2], quantizers,
                             None if keeps is None else keeps[:, span], pruning, state)
    return weight_layout(out, lay, bits)


def hessian_pass(values, keep, lay, settings, stats):
    """GPTQ (integer bits, method gptq) and/or SparseGPT (prune_method sparsegpt) over the layer's groups."""
    if lay["op"] in ("LSTM", "GRU", "RNN"):
        return recurrent_pass(values, keep, lay, settings, stats)
    bits = settings.get("bits", 32)
    sparse = settings.get("prune_method") == "sparsegpt"
    two_four = settings.get("structure") == "2:4"
    rows = ref.channel_major(values.reshape(lay["shape"]), lay["channelAxis"])
    keeps = None if keep is None else ref.channel_major(keep.reshape(lay["shape"]), lay["channelAxis"])
    source, line = column_order(lay, rows.shape[1], sparse and two_four)
    if source is not None:
        rows = rows[:, source]
        keeps = None if keeps is None else keeps[:, source]
    integer = str(bits) not in ("32", "fp16", "bf16")
    quantizers = row_quantizers(rows, keeps, int(bits), settings) if integer else None
    pruning = None
    if sparse:
        pruning = ("2:4", line) if two_four else ("unstructured", float(settings["prune"]))
    state = {"elements": 0, "pruned": 0}
    per = rows.shape[0] // len(stats)
    parts = []
    for g in range(len(stats)):
        h = stats[g][2]
        if source is not None:
            h = h[np.ix_(source, source)]
        parts.append(solve(rows[g * per:(g + 1) * per], h,
                           None if quantizers is None else quantizers[g * per:(g + 1) * per],
                           None if keeps is None else keeps[g * per:(g + 1) * per], pruning, state))
    out = np.concatenate(parts)
    if source is not None:
        back = np.empty_like(out)
        back[:, source] = out
        out = back
    return weight_layout(out, lay, bits)


def bias_corrected(bias, original, compressed, lay, stats):
    rows = ref.channel_major(original.reshape(lay["shape"]), lay["channelAxis"]).astype(np.float64)
    rounded = ref.channel_major(compressed.reshape(lay["shape"]), lay["channelAxis"]).astype(np.float64)
    per = rows.shape[0] // len(stats)
    delta = np.concatenate([(rows[g * per:(g + 1) * per] - rounded[g * per:(g + 1) * per]) @ stats[g][1]
                            for g in range(len(stats))])
    return (bias.astype(np.float64) + delta).astype(F32)


def added_bias(original, compressed, lay, stats):
    """Bias correction of a layer whose node adds no bias: the bias starts from zero (float32, one per
    output channel)."""
    channels = lay["shape"][lay["channelAxis"]]
    return bias_corrected(np.zeros(channels, dtype=F32), original, compressed, lay, stats)


def attach_bias(model, node, lay, bias):
    """Gives `node` (in `model`) the added bias: a Conv's / ConvTranspose's / Gemm's bias input (Gemm beta 1),
    or an Add after a MatMul ([C] for X·W, [C, 1] for W·X)."""
    from onnx import helper, numpy_helper
    name = lay["name"] + "_numpy_bias"
    if node.op_type in ("Conv", "ConvTranspose", "Gemm"):
        model.graph.initializer.append(numpy_helper.from_array(bias.astype(F32), name))
        while len(node.input) < 3:
            node.input.append("")
        node.input[2] = name
        if node.op_type == "Gemm":
            kept = [a for a in node.attribute if a.name != "beta"]
            del node.attribute[:]
            node.attribute.extend(kept + [helper.make_attribute("beta", 1.0)])
        return
    assert node.op_type == "MatMul", node.op_type
    left = node.input[0] == lay["name"]
    model.graph.initializer.append(numpy_helper.from_array(
        bias.astype(F32).reshape(-1, 1) if left else bias.astype(F32), name))
    output = node.output[0]
    node.output[0] = output + "_numpy_unbiased"
    index = list(model.graph.node).index(node)
    model.graph.node.insert(index + 1, helper.make_node("Add", [node.output[0], name], [output]))


def compress(weight, lay, settings, stats):
    """One layer under settings that may hold grid / method / prune_method / bias_correction keys."""
    sparse = settings.get("prune_method") == "sparsegpt"
    unpruned = {k: v for k, v in settings.items() if k not in ("prune", "structure")} if sparse else settings
    values, keep, encoded = ref.prepare(weight, lay, unpruned)
    bits = settings.get("bits", 32)
    integer = str(bits) not in ("32", "fp16", "bf16") and "clusters" not in settings
    if not encoded and (sparse or (integer and settings.get("method", "rtn") == "gptq")):
        out = hessian_pass(values, keep, lay, settings, stats)
    elif encoded or not integer:
        return ref.compress(weight, lay, settings)
    else:
        out = quantize_rtn(values, lay, settings, keep)
    if keep is not None:
        out[~keep] = 0
    return out.astype(F32)
