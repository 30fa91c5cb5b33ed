#!/usr/bin/env python3
"""Cross-check the scores of `lathe eval --metric` against numpy + onnxruntime, live.

For every sample folder with a model.onnx and a data.npz (samples/NAME/), on at most
the first 256 samples (a truncated copy of the data in a private temporary directory;
an array with a leading 1 among N-sample arrays, such as samples/stateful's `state`,
is shared by every sample and kept whole):

  * onnxruntime runs the deployed model (scripts/deployed_model.py: the graph Lathe
    runs, BatchNormalization folded) on the data — each graph input from the data array
    of its name, a single input from `x`, a fixed-batch input one chunk at a time — for
    the model's first output; uncompressed, and with every weight layer quantized to
    8, 4 and 2 bits by scripts/compression_reference.py (`defaults: {bits: B}`);
  * outputs are taken batch-first (a sequence-first [T, N, C] output has its batch
    axis moved to the front) and numpy computes, for each configuration:
      top1    fraction of positions where argmax over the class axis == the integer
              labels (labels shaped like the output without its class axis);
      agree   fraction of positions where argmax(compressed) == argmax(uncompressed);
      sqnr    10·log10(Σref² / Σ(out−ref)²) in float64 (infinite → JSON null);
      cosine  Σ out·ref / √(Σout²·Σref²) over the whole output (1 with no config;
              1 if both are all zero, 0 if exactly one is);
      mse/mae against float labels with the output's number of elements per sample;
    argmax takes the first index on ties (numpy); the class axis is 1 for [N, C] and
    [N, C, H, W], the last for [N, T, C], or `--class-axis K` (batch-first);
  * `auto` chooses top1 (integer labels matching the positions, ≥ 2 classes), else mse
    (float labels shaped like the output), else agree ([N, C≥2], [N, T, C≥2],
    [N, C≥2, H, W]), else sqnr;
  * `lathe eval MODEL --data DATA [--config CFG] --metric M --json --batch 64
    --save-outputs OUT.npy` must report the same `metric` {name, value, unit,
    higher_is_better} and the same `samples`, `top1`, `agreement`, `sqnr_db` and
    `cosine` (and `mse`/`mae` when the JSON has them; on a one-unit class axis, where an
    argmax scores nothing, `top1` and `agreement` may be null, noted before the totals):
    SQNR within 0.05 dB (both infinite counts as equal), cosine within 1e-6,
    mse/mae within 1e-6 relative — widened, for SQNR and cosine, by the float noise
    between the two engines when a model amplifies it (a few third-party models do:
    onnxruntime with and without its graph optimisations differs by as much):
    with ρ = ‖lathe − onnxruntime‖ / ‖onnxruntime‖ on the uncompressed outputs and
    r = 10^(−SQNR/20) the compression noise, SQNR within 20·log10((r + 2ρ) / r) dB
    and cosine within 1e-6 + 4ρ (both compressed and uncompressed outputs carry ρ); top1 and agreement exact to the position — a
    difference of at most 1 position per 10,000 passes only when every position whose
    argmax differs between Lathe's saved outputs and onnxruntime's is a float tie
    (onnxruntime's two competing values no further apart than the largest
    |lathe - onnxruntime| over the output, itself at most 1e-4); the detail says so, and
    such differences are listed again before the totals.
    Uncompressed: every applicable metric and `auto` (whose choice, and stderr line
    `metric: NAME (reason)`, must follow the rule above); compressed: `auto` and
    mse/mae where they apply (the other metrics' values are the JSON fields checked in
    every run); `--class-axis`: digits_mlp with its output unsqueezed to [N, 10, 1] and
    labels [N, 1] (written to the temporary directory: auto is sqnr on the default last
    axis, top1 with `--class-axis 1`, with digits_mlp's own values), and the segmenter's
    default axis given explicitly;
  * with 2-bit weights, the auto metric of every sample that is not scored by top1
    does not score as lossless (SQNR finite, agreement below 1, mse above the
    uncompressed model's), in numpy and in Lathe.

Stored expected values: samples/NAME/metrics.json holds these numpy/onnxruntime values so
that Swift's SampleMetricsTests (Tests/LatheCoreTests/Scoring/) checks Lathe's scores
without Python: `samples` (the count scored, the first 256 or all), `auto` (the automatic
metric's name), `positions` (argmax positions, when there is a class axis of >= 2), and
per configuration `none`, `bits4` and `bits2`, its `config` text (null uncompressed, else
`version: 1\ndefaults:\n  bits: B\n`) and `values`, every applicable metric (top1, agree,
sqnr_db, cosine, mse, mae; sqnr_db null is +inf), with sorted keys and floats at repr
precision. `--write-expected` (re)writes them (onnxruntime/numpy only, no lathe needed);
every other run checks that each stored file equals what it recomputes (integers, names
and texts exactly, floats to 1e-9 relative) and fails a missing or stale one, telling to
rerun `--write-expected`.

One line per check (PASS / FAIL / SKIP with the reason), then `N passed, M failed`;
exit 1 on any failure. `--reference-only` runs only the onnxruntime/numpy half (the
lathe checks are listed as skipped) and prints the reference values per sample,
configuration and metric, with the counts of tied maxima; `--self-test` checks the
metric functions on synthetic arrays.
"""

import argparse
import json
import math
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compression_reference as cref  # noqa: E402
import deployed_model  # noqa: E402
from crosscheck_engine import (Report, first_rows, lathe_from_args, load_npz, model_feeds,  # noqa: E402
                               ort_outputs, parse_json, rows, run, shared_inputs, short)

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
MAX_SAMPLES = 256
BATCH = 64
CONFIGS = (("none", None), ("int8", 8), ("int4", 4), ("int2", 2))
METRICS = ("top1", "agree", "sqnr", "cosine", "mse", "mae")
UNITS = {"top1": "fraction", "agree": "fraction", "sqnr": "dB", "cosine": "", "mse": "", "mae": ""}
HIGHER_IS_BETTER = {"top1": True, "agree": True, "sqnr": True, "cosine": True, "mse": False, "mae": False}
FIELD_OF = {"top1": "top1", "agree": "agreement", "sqnr": "sqnr_db", "cosine": "cosine"}
OPTIONAL_FIELD_OF = {"mse": "mse", "mae": "mae"}   # checked when the JSON has them

# samples/NAME/metrics.json: stored configuration label -> the label of CONFIGS it takes its values from.
EXPECTED_FILE = "metrics.json"
EXPECTED_CONFIGS = (("none", "none"), ("bits4", "int4"), ("bits2", "int2"))
EXPECTED_KEY = {"top1": "top1", "agree": "agree", "sqnr": "sqnr_db", "cosine": "cosine", "mse": "mse", "mae": "mae"}
# Relative: what another numpy/onnxruntime build or CPU may move. onnxruntime's MLAS picks kernels by CPU
# (AVX2, AVX-512), so its float32 outputs move by ulps between machines, and an SQNR or cosine computed from
# them in the 7th digit (sigmoid_head's int4 SQNR 29.062235 vs 29.062231 dB on an AVX-512 EPYC); a stale file
# (another model, data or config) moves them in the first few.
EXPECTED_FLOAT_TOLERANCE = 1e-6

SQNR_TOLERANCE_DB = 0.05
COSINE_TOLERANCE = 1e-6
ERROR_RELATIVE_TOLERANCE = 1e-6
TIE_RATE = 1e-4              # differing positions allowed (1 per 10,000), only when all are float ties
NEAR_TIE = 1e-5              # reported: top two values within this (relative above 1) are a near tie
OUTPUT_TOLERANCE = 1e-4      # Lathe's saved outputs vs onnxruntime (as scripts/crosscheck_engine.py)
TIE_PASSES = []              # top1/agree differences passed as float ties, repeated before the totals
ONE_UNIT_NULLS = {}          # sample -> fields reported null on a one-unit class axis (accepted, repeated)
# --class-axis: digits_mlp with its output unsqueezed to [N, 10, 1] (classes on axis 1, not the
# default last axis of a 3-D output) and labels [N, 1]; and the segmenter's default axis given explicitly.
AXIS_SOURCE = "digits_mlp"
AXIS_SAMPLE = "digits_mlp_as_N_10_1"


# --------------------------------------------------------------------------- metric definitions (numpy)

def default_class_axis(rank):
    """Batch-first class axis: [N, C] → 1, [N, T, C] → 2, [N, C, H, W] → 1 (others: 1; none for [N],
    one value per sample, such as a voice-activity probability)."""
    if rank == 3:
        return 2
    return 1 if rank >= 2 else None


def class_count(shape, class_axis):
    return shape[class_axis] if class_axis is not None and len(shape) > class_axis else 1


def positions_shape(shape, class_axis):
    return tuple(d for i, d in enumerate(shape) if i != class_axis)


def argmax(out, class_axis):
    """numpy's argmax: the first index on ties."""
    return np.argmax(out, axis=class_axis)


def tied_maxima(out, class_axis):
    """Positions whose maximum along the class axis is taken by two or more classes."""
    if class_count(out.shape, class_axis) < 2:
        return 0
    top = np.max(out, axis=class_axis, keepdims=True)
    return int(np.count_nonzero(np.sum(out == top, axis=class_axis) >= 2))


def near_ties(out, class_axis, within=NEAR_TIE):
    """Positions whose two largest values along the class axis are within `within` (relative above 1)."""
    if class_count(out.shape, class_axis) < 2:
        return 0
    part = np.moveaxis(out.astype(np.float64), class_axis, -1)
    two = np.sort(part, axis=-1)[..., -2:]
    gap = two[..., 1] - two[..., 0]
    return int(np.count_nonzero(gap <= within * np.maximum(1.0, np.max(np.abs(two), axis=-1))))


def label_use(y, shape, class_axis):
    """How labels `y` apply to a batch-first output of `shape`: "positions" (integer labels shaped like
    the output without its class axis), "dense" (float labels with the output's elements per sample;
    `shaped` tells whether they are shaped like the output) or None."""
    if y is None:
        return None, False
    if y.dtype.kind in "iu" and tuple(y.shape) == positions_shape(shape, class_axis):
        return "positions", False
    if y.dtype.kind == "f" and len(y) == shape[0] and y.size == int(np.prod(shape)):
        return "dense", tuple(y.shape) == tuple(shape)
    return None, False


def auto_metric(shape, class_axis, y, class_axis_given=False):
    """(metric, reason) the `auto` rule chooses for a batch-first output of `shape`."""
    use, shaped = label_use(y, shape, class_axis)
    classes = class_count(shape, class_axis)
    if use == "positions" and classes >= 2:
        return "top1", "integer labels match the positions, classes >= 2"
    if use == "dense" and shaped:
        return "mse", "float labels shaped like the output"
    rank = len(shape)
    if classes >= 2 and (class_axis_given or (rank == 2 and class_axis == 1) or (rank == 3 and class_axis == 2)
                         or (rank == 4 and class_axis == 1)):
        return "agree", f"{rank}-D output, {classes} classes on axis {class_axis}"
    return "sqnr", "no class axis with >= 2 classes and no usable labels"


def top1(out, y, class_axis):
    return float(np.mean(argmax(out, class_axis) == y))


def agreement(out, ref, class_axis):
    return float(np.mean(argmax(out, class_axis) == argmax(ref, class_axis)))


def sqnr_db(out, ref):
    """float64; +inf when the outputs are identical (JSON null)."""
    ref64 = ref.astype(np.float64)
    noise = float(np.sum((out.astype(np.float64) - ref64) ** 2))
    signal = float(np.sum(ref64 ** 2))
    if noise == 0:
        return math.inf
    if signal == 0:
        return -math.inf
    return 10 * math.log10(signal / noise)


def cosine(out, ref):
    a, b = out.astype(np.float64).ravel(), ref.astype(np.float64).ravel()
    if np.array_equal(a, b):
        return 1.0
    aa, bb = float(np.dot(a, a)), float(np.dot(b, b))
    if aa == 0 and bb == 0:
        return 1.0
    if aa == 0 or bb == 0:
        return 0.0
    return float(np.dot(a, b)) / math.sqrt(aa * bb)


def mse(out, y):
    d = out.astype(np.float64).reshape(len(out), -1) - y.astype(np.float64).reshape(len(y), -1)
    return float(np.mean(d * d))


def mae(out, y):
    d = out.astype(np.float64).reshape(len(out), -1) - y.astype(np.float64).reshape(len(y), -1)
    return float(np.mean(np.abs(d)))


def scores(out, baseline, y, class_axis):
    """Every metric of batch-first `out` (uncompressed: `baseline`); None where it does not apply."""
    use, _ = label_use(y, out.shape, class_axis)
    return {
        "top1": top1(out, y, class_axis) if use == "positions" and class_axis is not None else None,
        "agree": agreement(out, baseline, class_axis) if class_axis is not None else None,
        "sqnr": sqnr_db(out, baseline),
        "cosine": cosine(out, baseline),
        "mse": mse(out, y) if use == "dense" else None,
        "mae": mae(out, y) if use == "dense" else None,
    }


def applicable_metrics(shape, class_axis, y):
    """Metrics `--metric` is asked for on this output: top1 with matching integer labels, agree with
    >= 2 classes, sqnr and cosine always, mse/mae with float labels."""
    use, _ = label_use(y, shape, class_axis)
    classes = class_count(shape, class_axis)
    names = []
    if use == "positions" and classes >= 2:
        names.append("top1")
    if classes >= 2:
        names.append("agree")
    names += ["sqnr", "cosine"]
    if use == "dense":
        names += ["mse", "mae"]
    return names


# --------------------------------------------------------------------------- samples and onnxruntime

def sample_folders(only):
    folders = sorted(p for p in SAMPLES.iterdir()
                     if p.is_dir() and (p / "model.onnx").exists() and (p / "data.npz").exists())
    if only:
        unknown = sorted(set(only) - {p.name for p in folders})
        if unknown:
            raise SystemExit(f"error: no sample folder with model.onnx and data.npz named {', '.join(unknown)}")
        folders = [p for p in folders if p.name in only]
    return folders


def truncated(data, limit):
    """The first `limit` samples of every per-sample array; shared (leading-1) arrays whole."""
    count = max(rows(v) for k, v in data.items() if k != "y") if any(k != "y" for k in data) else 0
    if count <= limit:
        return data, count, False
    shared = shared_inputs({k: v for k, v in data.items() if k != "y"})
    return {k: v if k in shared or rows(v) != count else v[:limit] for k, v in data.items()}, limit, True


def output_batch_axis(proto, output, samples, shape):
    """The axis of `output` that holds the samples: the one declared with the batch dimension's symbol
    of a per-sample input, else the only axis of length `samples`, else 0."""
    inits = {t.name for t in proto.graph.initializer}
    symbols = set()
    for i in proto.graph.input:
        dims = i.type.tensor_type.shape.dim
        if i.name not in inits and dims and dims[0].dim_param:
            symbols.add(dims[0].dim_param)
    for o in proto.graph.output:
        if o.name == output:
            declared = [d.dim_param for d in o.type.tensor_type.shape.dim]
            hits = [axis for axis, p in enumerate(declared) if p and p in symbols]
            if len(hits) == 1:
                return hits[0]
    hits = [axis for axis, d in enumerate(shape) if d == samples]
    return hits[0] if len(hits) == 1 else 0


def fixed_batch(proto, feeds):
    """The smallest fixed batch a per-sample input declares (None: any batch)."""
    shared = shared_inputs(feeds)
    count = max(rows(v) for v in feeds.values())
    # Inputs that take the samples on axis 0 (a state [2, batch, 128] holds them on axis 1).
    sizes = [i.type.tensor_type.shape.dim[0].dim_value for i in proto.graph.input
             if i.name in feeds and i.name not in shared and rows(feeds[i.name]) == count
             and i.type.tensor_type.shape.dim and i.type.tensor_type.shape.dim[0].dim_value > 0]
    return min(sizes) if sizes else None


@dataclass
class SampleReference:
    name: str
    model: Path
    data: Path                    # what lathe reads: the sample's data.npz or the truncated copy
    samples: int
    total: int                    # samples in the sample's data.npz
    output: str
    batch_axis: int
    class_axis: int               # batch-first
    shape: tuple                  # batch-first output shape
    y: np.ndarray | None
    fixed_batch: int | None
    deployed: object
    feeds: dict
    outputs: dict = field(default_factory=dict)   # config label -> batch-first float32 output
    values: dict = field(default_factory=dict)    # config label -> {metric: value}
    runnable_delta: float = 0.0
    # onnxruntime's own float spread on this model (with vs without graph optimisations), when measured:
    # a model that amplifies rounding may differ from its BatchNorm-folded copy by as much.
    ort_spread: float = 0.0
    # onnxruntime on model.onnx itself, in the model's layout (its output batch axis where the model has it).
    model_output: object = None

    @property
    def positions(self):
        return int(np.prod(positions_shape(self.shape, self.class_axis)))


def prepare(folder, tmp):
    """Loads a sample, truncates its data, and runs onnxruntime uncompressed. Raises on failure."""
    name = folder.name
    proto = onnx.load(str(folder / "model.onnx"))
    output = proto.graph.output[0].name
    full = load_npz(folder / "data.npz")
    data, samples, cut = truncated(full, MAX_SAMPLES)
    total = max(rows(v) for k, v in full.items() if k != "y")
    data_path = folder / "data.npz"
    if cut:
        data_path = Path(tmp) / f"{name}_first{samples}.npz"
        np.savez(data_path, **data)
    feeds, missing = model_feeds(proto, {k: v for k, v in data.items() if k != "y"})
    if missing:
        raise ValueError(f"data.npz holds no array for inputs {missing}")
    deployed = deployed_model.deploy(proto, output)
    # The first output of the original model tells the batch axis; the runnable must agree with it.
    probe = ort_outputs(folder / "model.onnx", feeds, [output])[output]
    batch_axis = output_batch_axis(proto, output, samples, probe.shape)
    fixed = fixed_batch(proto, feeds)
    if fixed is not None and fixed < samples:
        # Run in chunks, the outputs were joined on axis 0: one chunk's output shows the batch axis
        # (the one axis as long as the chunk, e.g. a sequence-first [T, 1, C]).
        one = ort_outputs(folder / "model.onnx", first_rows(feeds, fixed), [output])[output]
        hits = [axis for axis, size in enumerate(one.shape) if size == fixed]
        if len(hits) == 1:
            batch_axis = hits[0]
    if batch_axis:
        probe = ort_outputs(folder / "model.onnx", feeds, [output], batch_axis=batch_axis)[output]
    y = data.get("y")
    base = ort_outputs(deployed.runnable.SerializeToString(), feeds, [output], batch_axis=batch_axis)[output]
    if base.shape != probe.shape:
        raise ValueError(f"deployed model output {list(base.shape)} != model output {list(probe.shape)}")
    first = np.moveaxis(base, batch_axis, 0).astype(np.float32)
    if first.shape[0] != samples:
        raise ValueError(f"output {list(base.shape)} has no batch axis of {samples} samples")
    ref = SampleReference(name=name, model=folder / "model.onnx", data=data_path, samples=samples, total=total,
                          output=output, batch_axis=batch_axis, class_axis=default_class_axis(first.ndim),
                          shape=first.shape, y=y, fixed_batch=fixed_batch(proto, feeds), deployed=deployed,
                          feeds=feeds)
    ref.runnable_delta = float(np.max(np.abs(base.astype(np.float64) - probe))) if base.size else 0.0
    ref.model_output = probe
    ref.outputs["none"] = first
    return ref


def compressed_output(ref, bits=None, config=None):
    """onnxruntime on the deployed model with every weight layer quantized to `bits` (numpy), or compressed
    as the configuration dict `config` says (batch-first)."""
    layers = ref.deployed.layers
    weights = {layer["name"]: ref.deployed.tensors[layer["name"]].astype(np.float32) for layer in layers}
    plan = cref.resolve_plan([layer["name"] for layer in layers], config or {"defaults": {"bits": bits}})
    compressed = cref.compress_model(weights, layers, plan)
    model = onnx.ModelProto()
    model.CopyFrom(ref.deployed.runnable)
    for tensor in model.graph.initializer:
        if tensor.name in compressed:
            tensor.CopyFrom(numpy_helper.from_array(compressed[tensor.name].astype(np.float32), tensor.name))
    out = ort_outputs(model.SerializeToString(), ref.feeds, [ref.output], batch_axis=ref.batch_axis)[ref.output]
    return np.moveaxis(out, ref.batch_axis, 0).astype(np.float32)


def compute_reference(ref):
    for label, bits in CONFIGS:
        if bits is not None and label not in ref.outputs:
            ref.outputs[label] = compressed_output(ref, bits)
        ref.values[label] = scores(ref.outputs[label], ref.outputs["none"], ref.y, ref.class_axis)


def write_config(tmp, label, bits):
    path = Path(tmp) / f"{label}.yaml"
    path.write_text(f"# every weight layer at {bits} bits\nversion: 1\ndefaults:\n  bits: {bits}\n")
    return path


def write_axis_sample(tmp):
    """samples/digits_mlp with its output unsqueezed to [N, 10, 1] and labels [N, 1], in `tmp`: the default
    class axis (2, of size 1) gives sqnr; `--class-axis 1` gives top1 over the 10 classes."""
    from onnx import helper
    proto = onnx.load(str(SAMPLES / AXIS_SOURCE / "model.onnx"))
    graph = proto.graph
    old = graph.output[0]
    name = old.name + "_n10x1"
    graph.initializer.append(numpy_helper.from_array(np.array([2], np.int64), "unsqueeze_axes"))
    opset = next(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx"))
    node = (helper.make_node("Unsqueeze", [old.name, "unsqueeze_axes"], [name]) if opset >= 13
            else helper.make_node("Unsqueeze", [old.name], [name], axes=[2]))
    graph.node.append(node)
    dims = [d.dim_param or d.dim_value for d in old.type.tensor_type.shape.dim]
    new = helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, dims + [1])
    del graph.output[:]
    graph.output.append(new)
    onnx.checker.check_model(proto)
    folder = Path(tmp) / AXIS_SAMPLE
    folder.mkdir()
    onnx.save(proto, str(folder / "model.onnx"))
    data = load_npz(SAMPLES / AXIS_SOURCE / "data.npz")
    data["y"] = data["y"][:, None]
    np.savez(folder / "data.npz", **data)
    return folder


# --------------------------------------------------------------------------- reference checks

def describe(ref):
    dims = "x".join(map(str, ref.shape))
    first = "" if ref.batch_axis == 0 else f" (batch axis {ref.batch_axis} moved to the front)"
    cut = f"first {ref.samples} of {ref.total} samples" if ref.samples < ref.total else f"{ref.samples} samples"
    labels = "no labels" if ref.y is None else f"y {ref.y.dtype}{list(ref.y.shape)}"
    return f"{cut}, output {ref.output} [{dims}]{first}, class axis {ref.class_axis}, {labels}"


def check_reference(report, ref):
    """Onnxruntime-side sanity: the deployed graph reproduces the model, values are finite, and the
    2-bit configuration is not lossless on samples not scored by top1."""
    base = ref.outputs["none"]
    # Folding BatchNorm rescales every weight, which moves rounding more than onnxruntime's own fusions.
    limit = max(OUTPUT_TOLERANCE, 4 * ref.ort_spread)
    spread = f" (limit {limit:.3g}: 4x onnxruntime's own spread)" if limit > OUTPUT_TOLERANCE else ""
    report.check(f"{ref.name} reference", ref.runnable_delta <= limit and np.all(np.isfinite(base)),
                 f"{describe(ref)}; deployed graph vs model.onnx max |Δ| = {ref.runnable_delta:.3g}{spread}; "
                 f"{tied_maxima(base, ref.class_axis)} of {ref.positions} positions with tied maxima, "
                 f"{near_ties(base, ref.class_axis)} within {NEAR_TIE:g}")
    auto, _ = auto_metric(ref.shape, ref.class_axis, ref.y)
    if auto == "top1":
        return
    lossless = not_lossless_problem(auto, ref.values["int2"], ref.values["none"])
    report.check(f"{ref.name} [int2] numpy {auto} is not lossless", lossless is None,
                 lossless or f"{auto} {fmt(auto, ref.values['int2'][auto])} (uncompressed "
                 f"{fmt(auto, ref.values['none'][auto])})")


def not_lossless_problem(metric, values, uncompressed):
    value = values.get(metric)
    if metric == "sqnr":
        return None if value is not None and math.isfinite(value) else f"sqnr {value} is not finite"
    if metric == "agree":
        return None if value is not None and value < 1 else f"agreement {value} is not below 1"
    if metric in ("mse", "mae"):
        base = uncompressed.get(metric)
        return None if value is not None and base is not None and value > base else \
            f"{metric} {value} is not above the uncompressed {base}"
    return f"no lossless rule for {metric}"


def fmt(metric, value):
    if value is None:
        return "n/a"
    if metric == "sqnr":
        return "inf" if value == math.inf else ("-inf" if value == -math.inf else f"{value:.3f} dB")
    if metric in ("top1", "agree"):
        return f"{value:.6f}"
    if metric == "cosine":
        return f"{value:.8f}"
    return f"{value:.6g}"


def print_table(refs):
    print("\nreference values (numpy on onnxruntime outputs; n/a: the metric does not apply; "
          "auto marked *)")
    print(f"{'sample':<22}{'config':<7}" + "".join(f"{m:>14}" for m in METRICS) + f"{'ties':>8}{'near':>7}"
          f"{'positions':>11}")
    for ref in refs:
        auto, _ = auto_metric(ref.shape, ref.class_axis, ref.y)
        for label, _ in CONFIGS:
            values = ref.values.get(label)
            if values is None:
                continue
            cells = "".join(f"{fmt(m, values[m]) + ('*' if m == auto else ' '):>14}" for m in METRICS)
            out = ref.outputs[label]
            print(f"{ref.name:<22}{label:<7}{cells}{tied_maxima(out, ref.class_axis):>8}"
                  f"{near_ties(out, ref.class_axis):>7}{ref.positions:>11}")


# --------------------------------------------------------------------------- stored expected values

def config_text(bits):
    """The configuration `lathe eval --config` reads for every weight layer at `bits` (None: no config)."""
    return None if bits is None else f"version: 1\ndefaults:\n  bits: {bits}\n"


def expected_document(ref):
    """What samples/NAME/metrics.json holds for a computed reference (see the module docstring)."""
    auto, _ = auto_metric(ref.shape, ref.class_axis, ref.y)
    applicable = applicable_metrics(ref.shape, ref.class_axis, ref.y)
    bits_of = dict(CONFIGS)
    configs = {}
    for stored, label in EXPECTED_CONFIGS:
        values = {}
        for metric in applicable:
            value = ref.values[label][metric]
            if metric == "sqnr" and value == math.inf:
                value = None
            elif value is None or not math.isfinite(value):
                raise ValueError(f"[{label}] {metric} is {value}: not storable")
            values[EXPECTED_KEY[metric]] = float(value) if value is not None else None
        configs[stored] = {"config": config_text(bits_of[label]), "values": values}
    document = {"samples": ref.samples, "auto": auto, "configs": configs}
    if "agree" in applicable:
        document["positions"] = ref.positions
    return document


def expected_text(document):
    return json.dumps(document, sort_keys=True, indent=1, allow_nan=False) + "\n"


def expected_differences(stored, want, path=""):
    """Where a stored document differs from the recomputed one (floats to EXPECTED_FLOAT_TOLERANCE)."""
    if isinstance(want, dict) and isinstance(stored, dict):
        problems = [f"{path}{key}: missing" for key in sorted(set(want) - set(stored))]
        problems += [f"{path}{key}: not expected" for key in sorted(set(stored) - set(want))]
        for key in sorted(set(want) & set(stored)):
            problems += expected_differences(stored[key], want[key], f"{path}{key}.")
        return problems
    if isinstance(want, float) and is_number(stored) and not isinstance(stored, bool):
        if abs(stored - want) <= EXPECTED_FLOAT_TOLERANCE * max(1.0, abs(want)):
            return []
    elif type(stored) is type(want) and stored == want:
        return []
    return [f"{path.rstrip('.')}: stored {stored!r}, recomputed {want!r}"]


def check_expected(report, ref, folder):
    """samples/NAME/metrics.json equals what this run computes."""
    path = folder / EXPECTED_FILE
    label = f"{ref.name} {EXPECTED_FILE} is current"
    want = expected_document(ref)
    rerun = "rerun `scripts/crosscheck_metrics.py --write-expected`"
    if not path.exists():
        report.fail(label, f"no {path.relative_to(ROOT)}: {rerun}")
        return
    try:
        stored = json.loads(path.read_text())
    except ValueError as error:
        report.fail(label, f"unreadable ({error}): {rerun}")
        return
    problems = expected_differences(stored, want)
    if problems:
        report.fail(label, f"stale ({'; '.join(problems[:4])}{'; ...' if len(problems) > 4 else ''}): {rerun}")
    else:
        exact = path.read_text() == expected_text(want)
        report.check(label, True, f"{ref.samples} samples, auto {want['auto']}"
                     + ("" if exact else f" (floats equal to {EXPECTED_FLOAT_TOLERANCE:g} relative, not to the digit)"))


def write_expected(report, ref, folder):
    path = folder / EXPECTED_FILE
    text = expected_text(expected_document(ref))
    old = path.read_text() if path.exists() else None
    path.write_text(text)
    state = "unchanged" if old == text else ("written" if old is None else "updated")
    report.check(f"{ref.name} {EXPECTED_FILE} {state}", True, f"{path.relative_to(ROOT)}, {len(text)} bytes")


# --------------------------------------------------------------------------- lathe side

@dataclass
class LatheRun:
    js: dict | None
    err: str
    problem: str | None
    saved: np.ndarray | None      # batch-first


def lathe_eval(lathe, ref, config, metric, tmp, class_axis=None):
    saved_path = Path(tmp) / "outputs.npy"
    if saved_path.exists():
        saved_path.unlink()
    cmd = [lathe, "eval", ref.model, "--data", ref.data, "--json", "--metric", metric,
           "--batch", str(min(BATCH, ref.fixed_batch or BATCH)), "--save-outputs", saved_path]
    if config is not None:
        cmd += ["--config", config]
    if class_axis is not None:
        cmd += ["--class-axis", str(class_axis)]
    code, out, err = run(cmd)
    if code != 0:
        return LatheRun(None, err or "", f"exit {code}: {short(err or out)}", None)
    js, problem = parse_json(out)
    if problem is None and not isinstance(js, dict):
        js, problem = None, f"stdout is not a JSON object: {short(out)}"
    saved = None
    if saved_path.exists():
        try:
            raw = np.load(saved_path)
            saved = np.moveaxis(raw, ref.batch_axis, 0) if raw.ndim > ref.batch_axis else raw
        except Exception:  # noqa: BLE001 - reported where the outputs are needed
            saved = None
    return LatheRun(js, err, problem, saved)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def flips(lathe_out, ort_out, class_axis):
    """Positions where Lathe's argmax differs from onnxruntime's, and how many are float ties: onnxruntime's
    values of the two competing classes differ by no more than the float noise of the whole output
    (max |lathe - onnxruntime|, itself within OUTPUT_TOLERANCE). Returns (flips, ties, gaps, noise)."""
    noise = float(np.max(np.abs(lathe_out.astype(np.float64) - ort_out))) if ort_out.size else 0.0
    a, b = argmax(lathe_out, class_axis), argmax(ort_out, class_axis)
    where = np.argwhere(a != b)
    moved = np.moveaxis(ort_out.astype(np.float64), class_axis, -1)
    gaps = [abs(moved[index][a[index]] - moved[index][b[index]]) for index in map(tuple, where)]
    ties = sum(gap <= noise for gap in gaps) if noise <= OUTPUT_TOLERANCE else 0
    return len(where), ties, gaps, noise


def count_problem(metric, got, want, positions, ref, lathe_run, config_label, class_axis, lathe_uncompressed):
    """(None, False) when Lathe's top1/agree fraction equals numpy's to the position; (note, False) when
    the difference is within TIE_RATE and every flipped argmax is a float tie; else (problem, True)."""
    got_count, want_count = round(got * positions), round(want * positions)
    if abs(got * positions - got_count) > 1e-6:
        return f"{got} is not a whole number of the {positions} positions", True
    if got_count == want_count:
        return None, False
    diff = abs(got_count - want_count)
    head = f"lathe {got_count}/{positions}, numpy {want_count}/{positions} ({diff} position(s) apart)"
    if lathe_run.saved is None or lathe_run.saved.shape != ref.shape:
        return f"{head}; no saved outputs of the shape {list(ref.shape)} to look for float ties", True
    ort_out = ref.outputs[config_label]
    notes, total, tied = [], 0, 0
    sides = [("scored", lathe_run.saved, ort_out)]
    if metric == "agree" and lathe_uncompressed is not None:
        sides.append(("uncompressed", lathe_uncompressed, ref.outputs["none"]))
    for side, lathe_out, want_out in sides:
        n, t, gaps, noise = flips(lathe_out, want_out, class_axis)
        total, tied = total + n, tied + t
        notes.append(f"{side} outputs: max |lathe - onnxruntime| {noise:.3g}, {n} argmax flip(s), {t} at float ties"
                     + (f" (gaps {', '.join(f'{g:.3g}' for g in gaps[:5])})" if gaps else ""))
    own = None
    if metric == "top1":
        own = top1(lathe_run.saved, ref.y, class_axis)
    elif lathe_uncompressed is not None:
        own = agreement(lathe_run.saved, lathe_uncompressed, class_axis)
    if own is not None and round(own * positions) != got_count:
        notes.append(f"lathe's JSON disagrees with its own saved outputs ({round(own * positions)}/{positions})")
        return f"{head}; " + "; ".join(notes), True
    allowed = diff <= TIE_RATE * positions and total == tied and total >= diff
    if allowed:
        TIE_PASSES.append(f"{ref.name} [{config_label}] {metric}: {head}")
        return f"{head}, allowed as float ties; " + "; ".join(notes), False
    return f"{head}; " + "; ".join(notes), True


def float_noise(lathe_uncompressed, ort_uncompressed):
    """ρ: the relative norm of the difference between the engines' uncompressed outputs (0 unknown)."""
    if lathe_uncompressed is None or lathe_uncompressed.shape != ort_uncompressed.shape:
        return 0.0
    ref = ort_uncompressed.astype(np.float64)
    norm = float(np.linalg.norm(ref))
    return float(np.linalg.norm(lathe_uncompressed.astype(np.float64) - ref)) / norm if norm > 0 else 0.0


def compare_value(metric, got, want, ref, lathe_run, config_label, class_axis, lathe_uncompressed):
    """(problem or note, failed) comparing a Lathe value with numpy's `want` for `metric`."""
    if want is None:
        return (None, False) if got is None else (f"{got} where numpy has none", True)
    rho = float_noise(lathe_uncompressed, ref.outputs["none"])
    if metric == "sqnr":
        if got is None:
            return (None, False) if math.isinf(want) else (f"null, numpy {fmt('sqnr', want)}", True)
        if not is_number(got):
            return f"{got!r} is not a number", True
        if math.isinf(want):
            return f"{got} dB, numpy infinite (expected null)", True
        noise = 10 ** (-want / 20)
        tolerance = max(SQNR_TOLERANCE_DB, 20 * math.log10((noise + 2 * rho) / noise))
        ok = abs(got - want) <= tolerance
        widened = f"within {tolerance:.3g} dB for float noise ρ = {rho:.3g}" if tolerance > SQNR_TOLERANCE_DB else None
        if ok:
            return (widened, False) if widened and abs(got - want) > SQNR_TOLERANCE_DB else (None, False)
        return f"{got:.4f} dB, numpy {want:.4f} dB (Δ {got - want:+.4f}{'; ' + widened if widened else ''})", True
    if not is_number(got):
        return f"{got!r} is not a number, numpy {fmt(metric, want)}", True
    if metric == "cosine":
        tolerance = COSINE_TOLERANCE + 4 * rho
        ok = abs(got - want) <= tolerance
        if ok:
            return ((f"within {tolerance:.3g} for float noise ρ = {rho:.3g}", False)
                    if abs(got - want) > COSINE_TOLERANCE else (None, False))
        return f"{got!r}, numpy {want!r} (Δ {got - want:+.3g}, tolerance {tolerance:.3g})", True
    if metric in ("mse", "mae"):
        ok = abs(got - want) <= ERROR_RELATIVE_TOLERANCE * max(abs(got), abs(want)) + 1e-300
        relative = abs(got - want) / max(abs(want), 1e-300)
        return (None, False) if ok else (f"{got!r}, numpy {want!r} (relative Δ {relative:.3g})", True)
    positions = int(np.prod(positions_shape(ref.shape, class_axis)))
    return count_problem(metric, got, want, positions, ref, lathe_run, config_label, class_axis, lathe_uncompressed)


def check_run(report, ref, label, config_label, metric, lathe_run, lathe_uncompressed, class_axis=None,
              expected_name=None):
    """Checks one `lathe eval` run: the `metric` object, then the common JSON fields."""
    if lathe_run.problem:
        report.fail(f"{label} eval", lathe_run.problem)
        return None
    js = lathe_run.js
    axis = ref.class_axis if class_axis is None else class_axis
    shape = ref.shape
    values = scores(ref.outputs[config_label], ref.outputs["none"], ref.y, axis) if class_axis is not None \
        else ref.values[config_label]
    name = expected_name or metric
    problems, notes = [], []
    block = js.get("metric")
    if not isinstance(block, dict):
        report.fail(f"{label} metric", f"no `metric` object in the JSON (keys {sorted(js)})")
    else:
        if block.get("name") != name:
            problems.append(f"name {block.get('name')!r}, expected {name!r}")
        if block.get("unit") != UNITS.get(name):
            problems.append(f"unit {block.get('unit')!r}, expected {UNITS.get(name)!r}")
        if block.get("higher_is_better") is not HIGHER_IS_BETTER.get(name):
            problems.append(f"higher_is_better {block.get('higher_is_better')!r}, "
                            f"expected {HIGHER_IS_BETTER.get(name)}")
        got = block.get("value")
        if name in values:
            problem, failed = compare_value(name, got, values[name], ref, lathe_run, config_label, axis,
                                            lathe_uncompressed)
            if problem:
                (problems if failed else notes).append(f"value {problem}")
        shown = "null (infinite)" if got is None and name == "sqnr" else fmt(name, got)
        report.check(f"{label} metric", not problems,
                     "; ".join(problems) or f"{name} {shown}, numpy {fmt(name, values.get(name))}"
                     + (f" ({'; '.join(notes)})" if notes else ""))
    # The fields every run reports.
    problems, notes = [], []
    if js.get("samples") != ref.samples:
        problems.append(f"samples {js.get('samples')} != {ref.samples}")
    for metric_name, key in list(FIELD_OF.items()) + list(OPTIONAL_FIELD_OF.items()):
        if key not in js:
            if metric_name in FIELD_OF:
                problems.append(f"no `{key}`")
            continue
        want = values[metric_name]
        if metric_name in ("top1", "agree") and want is not None and class_count(shape, axis) < 2 \
                and js[key] is None:
            # An argmax over one unit scores nothing; null is accepted in place of the definition's
            # value (agreement 1, top1 the share of label 0), and said again before the totals.
            notes.append(f"{key} null for a one-unit class axis (the argmax definition gives {fmt(metric_name, want)})")
            ONE_UNIT_NULLS.setdefault(ref.name, set()).add(key)
            continue
        problem, failed = compare_value(metric_name, js[key], want, ref, lathe_run, config_label, axis,
                                        lathe_uncompressed)
        if problem:
            (problems if failed else notes).append(f"{key} {problem}")
    summary = (f"samples {ref.samples}, top1 {fmt('top1', values['top1'])}, agreement {fmt('agree', values['agree'])}, "
               f"sqnr_db {fmt('sqnr', values['sqnr'])}, cosine {fmt('cosine', values['cosine'])}")
    report.check(f"{label} fields", not problems,
                 "; ".join(problems) or summary + (f" ({'; '.join(notes)})" if notes else ""))
    return block.get("value") if isinstance(block, dict) else None


def check_lathe(report, lathe, ref, tmp):
    auto, reason = auto_metric(ref.shape, ref.class_axis, ref.y)
    applicable = applicable_metrics(ref.shape, ref.class_axis, ref.y)
    lathe_uncompressed = None
    auto_values = {}
    for config_label, bits in CONFIGS:
        config = None if bits is None else write_config(tmp, config_label, bits)
        if bits is None:
            requests = ["auto"] + applicable
        else:
            requests = ["auto"] + [m for m in applicable if m in ("mse", "mae")]
        for metric in requests:
            label = f"{ref.name} [{config_label}] --metric {metric}"
            run_ = lathe_eval(lathe, ref, config, metric, tmp)
            if metric == "auto" and bits is None and run_.saved is not None and run_.saved.shape == ref.shape:
                lathe_uncompressed = run_.saved
            value = check_run(report, ref, label, config_label, metric, run_, lathe_uncompressed,
                              expected_name=auto if metric == "auto" else None)
            if metric == "auto" and not run_.problem:
                auto_values[config_label] = value
                lines = [line for line in run_.err.splitlines() if line.startswith("metric:")]
                want = f"metric: {auto} ("
                report.check(f"{label} stderr", len(lines) == 1 and lines[0].startswith(want),
                             f"{lines[0] if lines else 'no `metric:` line'} (numpy rule: {auto}, {reason})")
    if ref.name == "segmenter":
        label = f"{ref.name} [int4] --metric top1 --class-axis 1"
        run_ = lathe_eval(lathe, ref, write_config(tmp, "int4", 4), "top1", tmp, class_axis=1)
        check_run(report, ref, label, "int4", "top1", run_, lathe_uncompressed, class_axis=1)
    if auto != "top1":
        label = f"{ref.name} [int2] lathe {auto} is not lossless"
        if "int2" not in auto_values or "none" not in auto_values:
            report.fail(label, "the auto runs failed")
        else:
            got = {auto: auto_values["int2"]}
            if auto == "sqnr" and got[auto] is None:
                got[auto] = math.inf
            problem = not_lossless_problem(auto, got, {auto: auto_values["none"]})
            report.check(label, problem is None, problem or f"{auto} {fmt(auto, got[auto])} "
                         f"(uncompressed {fmt(auto, auto_values['none'] if auto != 'sqnr' else math.inf)})")


def check_axis_sample(report, lathe, ref, tmp):
    """The derived [N, 10, 1] model: auto is sqnr on the default axis and top1 with --class-axis 1; the
    values along axis 1 are digits_mlp's own."""
    lathe_uncompressed = None
    requests = [("none", "auto", None, "sqnr"), ("none", "auto", 1, "top1"), ("int4", "auto", 1, "top1"),
                ("int4", "agree", 1, "agree"), ("int4", "auto", None, "sqnr")]
    for config_label, metric, axis, expected in requests:
        bits = dict(CONFIGS)[config_label]
        config = None if bits is None else write_config(tmp, config_label, bits)
        flag = "" if axis is None else f" --class-axis {axis}"
        label = f"{ref.name} [{config_label}] --metric {metric}{flag}"
        run_ = lathe_eval(lathe, ref, config, metric, tmp, class_axis=axis)
        if config_label == "none" and run_.saved is not None and run_.saved.shape == ref.shape:
            lathe_uncompressed = run_.saved
        check_run(report, ref, label, config_label, metric, run_, lathe_uncompressed, class_axis=axis,
                  expected_name=expected)
        if metric == "auto" and not run_.problem:
            lines = [line for line in run_.err.splitlines() if line.startswith("metric:")]
            report.check(f"{label} stderr", len(lines) == 1 and lines[0].startswith(f"metric: {expected} ("),
                         lines[0] if lines else "no `metric:` line")


def check_axis_reference(report, ref, source):
    """The derived model's scores along axis 1 are the source sample's."""
    problems = []
    auto_default, _ = auto_metric(ref.shape, ref.class_axis, ref.y)
    auto_axis, _ = auto_metric(ref.shape, 1, ref.y, class_axis_given=True)
    if (auto_default, auto_axis) != ("sqnr", "top1"):
        problems.append(f"auto {auto_default} on the default axis, {auto_axis} on axis 1")
    for label, _ in CONFIGS:
        along = scores(ref.outputs[label], ref.outputs["none"], ref.y, 1)
        if source is not None and (along["top1"], along["agree"]) != (source.values[label]["top1"],
                                                                        source.values[label]["agree"]):
            problems.append(f"[{label}] top1/agree along axis 1 {along['top1']}/{along['agree']} != "
                            f"{AXIS_SOURCE}'s {source.values[label]['top1']}/{source.values[label]['agree']}")
    report.check(f"{ref.name} reference", not problems, "; ".join(problems) or
                 f"{describe(ref)}; auto sqnr, with --class-axis 1 top1 ({AXIS_SOURCE}'s values)")


# --------------------------------------------------------------------------- self test

def self_test(report):
    """The metric functions on synthetic arrays whose scores are known by hand."""
    def check(label, ok, detail=""):
        report.check(f"self-test {label}", bool(ok), detail)

    out = np.array([[0.1, 0.7, 0.2], [0.5, 0.5, 0.0], [0.3, 0.3, 0.3]], np.float32)
    check("argmax takes the first index on ties", argmax(out, 1).tolist() == [1, 0, 0])
    check("tied maxima counted", tied_maxima(out, 1) == 2, f"{tied_maxima(out, 1)}")
    check("near ties counted", near_ties(out + np.array([0, 1e-7, 0], np.float32), 1) == 2)
    check("top1", top1(out, np.array([1, 1, 0]), 1) == 2 / 3)
    check("agreement", agreement(out, out[::-1], 1) == 1 / 3, f"{agreement(out, out[::-1], 1)}")
    ref = np.array([1.0, -2.0, 3.0], np.float32)
    noisy = ref + np.array([0.1, 0.0, -0.1], np.float32)
    want = 10 * math.log10(14 / float(np.sum((noisy.astype(np.float64) - ref) ** 2)))
    check("sqnr", abs(sqnr_db(noisy, ref) - want) < 1e-12 and abs(want - 28.45098) < 1e-4, f"{sqnr_db(noisy, ref)}")
    check("sqnr of identical outputs is infinite", sqnr_db(ref, ref.copy()) == math.inf)
    check("cosine of identical outputs is 1", cosine(ref, ref.copy()) == 1.0)
    check("cosine", abs(cosine(np.array([1.0, 0]), np.array([1.0, 1.0])) - 1 / math.sqrt(2)) < 1e-15)
    check("cosine of opposite outputs is -1", abs(cosine(-ref, ref) + 1) < 1e-15)
    check("cosine all-zero pair is 1, one all-zero is 0",
          cosine(np.zeros(3), np.zeros(3)) == 1.0 and cosine(np.zeros(3), ref) == 0.0
          and cosine(ref, np.zeros(3)) == 0.0)
    y = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]], np.float32)
    o = np.array([[0.5, 1.0, 1.0], [1.0, 3.0, 1.0]], np.float32)
    check("mse", abs(mse(o, y) - (0.25 + 1 + 4) / 6) < 1e-15 and abs(mae(o, y) - 3.5 / 6) < 1e-15)
    check("mse over elements per sample", mse(o.reshape(2, 3, 1), y) == mse(o, y))
    seg = np.zeros((2, 3, 4, 5), np.float32)
    check("class axis defaults", (default_class_axis(1), default_class_axis(2), default_class_axis(3),
                                  default_class_axis(4)) == (None, 1, 2, 1))
    check("positions of a segmentation map", positions_shape(seg.shape, 1) == (2, 4, 5))
    i64 = np.int64
    cases = [
        ((8, 10), np.zeros(8, i64), "top1"), ((8, 10), None, "agree"), ((8, 1), np.zeros(8, i64), "sqnr"),
        ((8, 3, 4, 5), np.zeros((8, 4, 5), i64), "top1"), ((8, 1, 4, 5), np.zeros((8, 1, 4, 5), np.float32), "mse"),
        ((8, 3), np.zeros((8, 3), np.float32), "mse"), ((8, 28, 11), np.zeros((8, 4), i64), "agree"),
        ((8, 3, 12, 12), None, "agree"), ((8, 64), np.zeros((8, 64), np.float32), "mse"),
        ((8, 1, 4, 5), None, "sqnr"), ((8, 3), np.zeros(8, np.float32), "agree"), ((8, 16, 2, 2, 2), None, "sqnr"),
        ((8, 1), None, "sqnr"), ((8, 3), np.zeros(8, i64), "top1"), ((8, 28, 1), None, "sqnr"),
    ]
    for shape, labels, want in cases:
        got, _ = auto_metric(shape, default_class_axis(len(shape)), labels)
        what = "no labels" if labels is None else f"y {labels.dtype}{list(labels.shape)}"
        check(f"auto on [{', '.join(map(str, shape))}] with {what} is {want}", got == want, f"chose {got}")
    got, _ = auto_metric((8, 28, 11), 1, None, class_axis_given=True)
    check("auto with --class-axis 1 on [8, 28, 11] is agree", got == "agree", f"chose {got}")
    data = {"x": np.zeros((300, 2)), "state": np.ones((1, 4)), "y": np.zeros(300, i64)}
    cut, count, was_cut = truncated(data, 256)
    check("truncation keeps shared arrays whole", was_cut and count == 256 and cut["x"].shape == (256, 2)
          and cut["state"].shape == (1, 4) and cut["y"].shape == (256,))
    check("no truncation below the limit", truncated(data, 300)[2] is False)

    tie_out = np.array([[0.5, 0.5 + 1e-7, 0.0], [0.9, 0.1, 0.0], [0.2, 0.5, 0.50004]], np.float32)
    near = np.array([[0.5 + 1e-7, 0.5, 0.0], [0.9, 0.1, 0.0], [0.2, 0.5, 0.50004]], np.float32)
    a, t, _, noise = flips(near, tie_out, 1)
    check("an argmax flip at a float tie is recognised", (a, t) == (1, 1), f"{a} flips, {t} ties, noise {noise:.3g}")
    far = near.copy()
    far[2] = [0.2, 0.50002, 0.50002]  # flips a gap of 4e-5 with a noise of 2e-5
    a, t, _, noise = flips(far, tie_out, 1)
    check("an argmax flip beyond the float noise is not", (a, t) == (2, 1), f"{a} flips, {t} ties, noise {noise:.3g}")
    far[1] = [0.1, 0.9, 0.0]
    a, t, _, noise = flips(far, tie_out, 1)
    check("no float ties when the outputs differ beyond 1e-4", (a, t) == (3, 0), f"{a} flips, {t} ties")
    from types import SimpleNamespace
    rng = np.random.default_rng(0)
    for count, allowed in ((10000, True), (9999, False)):
        want = rng.random((count, 3)).astype(np.float32)
        want[0] = [0.25, 0.5, np.nextafter(np.float32(0.5), np.float32(1))]  # a float tie at position 0
        got = want.copy()
        got[0] = [0.25, np.nextafter(np.float32(0.5), np.float32(1)), 0.5]  # flipped within the noise
        labels = argmax(want, 1)
        fake = SimpleNamespace(name="synthetic", shape=want.shape, y=labels, outputs={"none": want})
        problem, failed = count_problem("top1", top1(got, labels, 1), 1.0, count, fake,
                                        SimpleNamespace(saved=got), "none", 1, None)
        check(f"one flip at a float tie in {count} positions {'passes' if allowed else 'fails'}",
              failed is not allowed and problem is not None, problem)
    TIE_PASSES.clear()


# --------------------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lathe", help="path to the lathe binary")
    parser.add_argument("--samples", nargs="+", default=[], metavar="NAME",
                        help="only these sample folders (default: every samples/NAME with model.onnx and data.npz)")
    parser.add_argument("--reference-only", action="store_true",
                        help="run only the onnxruntime/numpy half and print its values (lathe checks skipped)")
    parser.add_argument("--table", action="store_true", help="end with the table of reference values")
    parser.add_argument("--self-test", action="store_true", help="check the metric functions on synthetic arrays")
    parser.add_argument("--write-expected", action="store_true",
                        help=f"write samples/NAME/{EXPECTED_FILE} (the reference values the Swift tests check) "
                             "and run only the onnxruntime/numpy half")
    args = parser.parse_args()
    if args.write_expected:
        args.reference_only = True
    report = Report()
    if args.self_test:
        self_test(report)
        return report.finish()
    lathe = lathe_from_args(parser, args)
    refs = []
    with tempfile.TemporaryDirectory(prefix="lathe-metrics-") as tmp:
        for folder in sample_folders(args.samples):
            try:
                ref = prepare(folder, tmp)
            except Exception as error:  # noqa: BLE001 - a sample onnxruntime cannot run is skipped
                what = f"{type(error).__name__}: {short(str(error), 200)}"
                if type(error).__module__.startswith("onnxruntime"):
                    report.skip(folder.name, f"onnxruntime cannot run it: {what}")
                else:
                    report.fail(f"{folder.name} reference", f"crashed: {what}")
                continue
            try:
                compute_reference(ref)
                check_reference(report, ref)
                if args.write_expected:
                    write_expected(report, ref, folder)
                else:
                    check_expected(report, ref, folder)
            except Exception as error:  # noqa: BLE001 - a crashed check is a failed check
                report.fail(f"{ref.name} reference", f"crashed: {type(error).__name__}: {error}")
                continue
            refs.append(ref)
            if lathe is None:
                report.skip(f"{ref.name} lathe eval --metric", "--write-expected" if args.write_expected
                            else "--reference-only")
                continue
            try:
                check_lathe(report, lathe, ref, tmp)
            except Exception as error:  # noqa: BLE001
                report.fail(f"{ref.name} lathe", f"check crashed: {type(error).__name__}: {error}")
        if not args.samples or AXIS_SOURCE in args.samples:
            try:
                ref = prepare(write_axis_sample(tmp), tmp)
                compute_reference(ref)
                check_axis_reference(report, ref, next((r for r in refs if r.name == AXIS_SOURCE), None))
                refs.append(ref)
                if lathe is None:
                    report.skip(f"{ref.name} lathe eval --class-axis", "--reference-only")
                else:
                    check_axis_sample(report, lathe, ref, tmp)
            except Exception as error:  # noqa: BLE001
                report.fail(AXIS_SAMPLE, f"check crashed: {type(error).__name__}: {error}")
    if args.table or args.reference_only:
        print_table(refs)
    for note in TIE_PASSES:
        print(f"note: passed as float ties: {note}")
    for sample, keys in ONE_UNIT_NULLS.items():
        print(f"note: {sample}: {' and '.join(sorted(keys))} null on a one-unit class axis (accepted in place of "
              "the argmax definition's value)")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
