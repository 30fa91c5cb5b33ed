#!/usr/bin/env python3
"""Cross-check the lathe binary against onnxruntime and numpy, live.

For every bundled sample (samples/<name>/) and third-party-style export
(samples/exports/<name>.onnx):
  * onnxruntime (2 threads) reproduces the stored reference;
  * `lathe eval MODEL --data DATA [--output NAME] --json --save-outputs OUT.npy`
    agrees with onnxruntime to 1e-4, with equal top-1, and its JSON fields
    (top1, agreement, samples, size_bytes, baseline_size_bytes, compression_ratio)
    are present and consistent, with `baseline_size_bytes` equal to the deployed
    model's size (scripts/deployed_model.py: every tensor of the deployed graph for
    the scored output at its stored dtype — dead branches dropped, BatchNormalization
    folded into the weight and a bias, fused Clip bounds dropped, float16 weights
    widened by a Cast at 2 bytes);
  * `lathe inspect MODEL --json` reports, for every layer, the statistics and
    histogram numpy computes on the deployed weights (BatchNormalization folded
    into the preceding Conv/Gemm as w * gamma / sqrt(var + eps) per output channel),
    and the same deployed `size_bytes`.
Models with several inputs are fed as Lathe feeds them: each input from the data array
of its name (a single-input model takes `x`, else the first array other than `y`), an
array with a leading 1 among N-sample arrays shared by every batch, each cast to the
dtype its input declares; an input that declares a fixed batch is run in chunks of it.
samples/crnn's sequence-first output [T, N, C] is evaluated from an x-only data file
(batch axis 1 by shape inference) and compared with onnxruntime; a `--batch` above a
fixed batch must be refused naming the input.
For every op-zoo case (samples/exports/zoo/): onnxruntime reproduces the stored
outputs; cases with one batch input `x` go through `lathe eval`, output by output;
every case goes through `lathe inspect` (without data: a model whose inputs have no
fixed shape must ask for `--data`, exit 2 naming the file).
Malformed inputs (truncated, empty, text-as-.onnx and missing models; data with the
wrong sample shape; a label count mismatch) must exit 2 with stderr starting
`error:` and naming the file.

One line per check (PASS / FAIL / SKIP with the reason), then `N passed, M failed`.
Exit status 1 if any check failed. `--reference-only` runs only the
onnxruntime/numpy half (for use before a lathe binary exists); the lathe checks
are then listed as skipped, not silently left out.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import deployed_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
EXPORTS = SAMPLES / "exports"
ZOO = EXPORTS / "zoo"

OUTPUT_TOLERANCE = 1e-4        # lathe vs onnxruntime, max absolute difference
# live onnxruntime vs the stored reference, relative to the output's magnitude (at least 1): MLAS picks
# kernels by CPU (AVX2, AVX-512), so a regressor's outputs near 40 differ by a few float32 ulps between machines
REFERENCE_TOLERANCE = 1e-5
EDGE_TOLERANCE = 1e-6          # histogram edges, relative to the weights' range
STAT_TOLERANCE = 1e-5          # std, relative (mean: 1e-6 of max |w|)
RECURRENT_OPS = ("LSTM", "GRU", "RNN")
LAYER_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul") + RECURRENT_OPS
TIMEOUT = 900


# --------------------------------------------------------------------------- reporting

class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.skipped = 0

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        print(f"{'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail else ""), flush=True)
        return ok

    def fail(self, name, detail):
        return self.check(name, False, detail)

    def skip(self, name, reason):
        self.skipped += 1
        print(f"SKIP {name}: {reason}", flush=True)

    def finish(self):
        """Prints the totals; the exit status (1 on any failure)."""
        if self.skipped:
            print(f"({self.skipped} skipped, listed above)")
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


# --------------------------------------------------------------------------- targets

@dataclass
class Target:
    name: str
    model: Path
    data: Path
    reference: Path | None
    output: str | None = None


def pending_samples():
    """samples/pending.json: samples Lathe cannot evaluate yet, with the text their error must contain."""
    path = SAMPLES / "pending.json"
    if not path.exists():
        return {}
    return {name: entry["error"] for name, entry in json.loads(path.read_text())["samples"].items()}


def sample_targets():
    targets = []
    pending = pending_samples()
    for folder in sorted(p for p in SAMPLES.iterdir() if p.is_dir() and (p / "model.onnx").exists()):
        if folder.name in pending:
            continue
        targets.append(Target(f"samples/{folder.name}", folder / "model.onnx", folder / "data.npz",
                              folder / "reference.npy"))
    return targets


def export_targets():
    targets = []
    for model in sorted(EXPORTS.glob("*.onnx")):
        stem = model.name[:-len(".onnx")]
        meta = onnx.load(str(model), load_external_data=False)
        outputs = [o.name for o in meta.graph.output]
        output = None
        if len(outputs) > 1:
            # Score the class probabilities (skl2onnx names them so; the label output is int64).
            output = "probabilities" if "probabilities" in outputs else outputs[0]
        targets.append(Target(f"exports/{stem}", model, EXPORTS / f"{stem}.npz", EXPORTS / f"{stem}.reference.npy",
                              output=output))
    return targets


# --------------------------------------------------------------------------- onnxruntime and numpy side

# Ops of an already-quantized model. onnxruntime's graph optimisations fuse them into integer kernels
# that round differently from the ONNX specification (and saturate uint8 x int8 pair sums on CPUs without
# VNNI: samples/mobilenet_qdq/README.md), so such models are run as written, the literal semantics Lathe
# computes and their stored references hold.
QUANTIZED_OPS = {"QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "ConvInteger",
                 "QLinearConv", "QLinearMatMul"}


def is_quantized(model):
    """`model`: a path, or serialized bytes."""
    proto = onnx.load_from_string(model) if isinstance(model, bytes) else onnx.load(str(model), load_external_data=False)
    return any(n.op_type in QUANTIZED_OPS for n in proto.graph.node)


def ort_session(model):
    """`model`: a path, or serialized bytes. A quantized model runs with graph optimisations off."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    if is_quantized(model):
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    opts.intra_op_num_threads = 2
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    source = model if isinstance(model, bytes) else str(model)
    return ort.InferenceSession(source, sess_options=opts, providers=["CPUExecutionProvider"])


def data_input_names(model_proto):
    inits = {t.name for t in model_proto.graph.initializer}
    return [i.name for i in model_proto.graph.input if i.name not in inits]


def rows(array):
    """The leading dimension (1 for a scalar)."""
    return array.shape[0] if array.ndim else 1


def shared_inputs(feeds):
    """Names of the arrays fed unchanged to every batch: a leading 1 while others hold N samples, or a scalar."""
    count = max(rows(v) for v in feeds.values())
    return {k for k, v in feeds.items() if v.ndim == 0 or (len(v) == 1 and count > 1)}


def declared_dims(value_info):
    """An input's dims: an int when fixed, else its symbolic name ('' when unnamed)."""
    return [d.dim_value if d.HasField("dim_value") and d.dim_value > 0 else d.dim_param
            for d in value_info.type.tensor_type.shape.dim]


def input_batch_axis(dims, array, batch_names):
    """Where the model takes the samples of a samples-first `array` (Lathe's rule, ModelBinding.batchAxis):
    the one dim named like another input's batch dim, else — with a fixed first dim — the one symbolic
    dim, when the array fits the rest of the declaration; else 0."""
    if len(dims) < 2:
        return 0
    named = [i for i, d in enumerate(dims) if isinstance(d, str) and d in batch_names]
    if len(named) == 1:
        return named[0]
    if not isinstance(dims[0], int) or array.ndim != len(dims):
        return 0
    symbolic = [i for i, d in enumerate(dims) if isinstance(d, str)]
    if len(symbolic) != 1:
        return 0
    rest = [d for i, d in enumerate(dims) if i != symbolic[0]]
    fits = all(not isinstance(d, int) or d == n for d, n in zip(rest, array.shape[1:]))
    return symbolic[0] if fits else 0


def ort_outputs(model, feeds, output_names=None, batch_axis=0):
    """Outputs for `feeds` (one batch-first array per input, or a leading-1 array shared by every
    batch). When a per-sample input declares a fixed batch (e.g. 1), the samples are fed in chunks
    of that size, shared arrays whole each time, and the outputs concatenated along `batch_axis`,
    as Lathe runs it."""
    sess = ort_session(model)
    names = output_names or [o.name for o in sess.get_outputs()]
    # A deployed copy may have dropped an input only a folded branch read.
    wanted = {i.name for i in sess.get_inputs()}
    feeds = {k: v for k, v in feeds.items() if k in wanted}
    shared = shared_inputs(feeds)
    fixed = [i.shape[0] for i in sess.get_inputs()
             if i.name in feeds and i.name not in shared and i.shape and isinstance(i.shape[0], int)]
    count = max(rows(v) for v in feeds.values())
    chunk = min(fixed) if fixed else count
    # Arrays that do not share one sample count are not batches (the op zoo's two-input cases): fed whole.
    if chunk >= count or any(len(v) != count for k, v in feeds.items() if k not in shared):
        return dict(zip(names, sess.run(names, feeds)))
    parts = [sess.run(names, {k: v if k in shared else v[s:s + chunk] for k, v in feeds.items()})
             for s in range(0, count, chunk)]
    return {name: np.concatenate([p[i] for p in parts], axis=batch_axis) for i, name in enumerate(names)}


def model_feeds(model_proto, data):
    """The arrays Lathe feeds each data input: the array of its name; a model needing one input takes
    `x`, else the first array other than `y`. Each is cast to the dtype the input declares.
    Returns (feeds, missing input names)."""
    inits = {t.name for t in model_proto.graph.initializer}
    inputs = [i for i in model_proto.graph.input if i.name not in inits]
    batch_names = {dims[0] for dims in map(declared_dims, inputs) if dims and isinstance(dims[0], str) and dims[0]}
    samples = max((rows(v) for k, v in data.items() if k != "y"), default=1)
    feeds, missing = {}, []
    for i in inputs:
        key = i.name if i.name in data else None
        if key is None and len(inputs) == 1:
            key = "x" if "x" in data else next((k for k in data if k != "y"), None)
        if key is None:
            missing.append(i.name)
            continue
        dtype = ONNX_TO_NP.get(i.type.tensor_type.elem_type, np.float32)
        array = data[key].astype(dtype)
        # Samples first in the data; a state input such as [2, batch, 128] takes them on its own axis.
        if array.ndim and rows(array) == samples and not (rows(array) == 1 and samples > 1):
            axis = input_batch_axis(declared_dims(i), array, batch_names)
            if axis:
                array = np.moveaxis(array, 0, axis)
        feeds[i.name] = array
    return feeds, missing


def first_rows(feeds, n):
    shared = shared_inputs(feeds)
    return {k: v if k in shared else v[:n] for k, v in feeds.items()}


def load_npz(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


ONNX_TO_NP = {onnx.TensorProto.FLOAT: np.float32, onnx.TensorProto.FLOAT16: np.float16,
              onnx.TensorProto.DOUBLE: np.float64, onnx.TensorProto.INT64: np.int64,
              onnx.TensorProto.INT32: np.int32, onnx.TensorProto.INT8: np.int8, onnx.TensorProto.UINT8: np.uint8,
              onnx.TensorProto.BOOL: np.bool_}


@dataclass
class ExpectedLayer:
    name: str            # the tensor the layer op consumes
    aliases: list        # that name and the stored tensors it comes from through Identity / Cast
    op: str
    weight: np.ndarray   # deployed (BN-folded) float32
    bias: np.ndarray | None
    source_dtype: np.dtype
    folded: bool


class ModelConstants:
    """Every constant of a model: initializers, Constant nodes, and Identity/Cast of constants."""

    def __init__(self, model_proto):
        self.values, self.origin, self.stored = {}, {}, {}
        for t in model_proto.graph.initializer:
            value = numpy_helper.to_array(t)
            self.values[t.name] = value
            self.stored[t.name] = value
            self.origin[t.name] = [t.name]
        for node in model_proto.graph.node:
            if node.op_type == "Constant" and node.domain in ("", "ai.onnx"):
                value = deployed_model.constant_value(node)
                self.values[node.output[0]] = value
                self.stored[node.output[0]] = value
                self.origin[node.output[0]] = [node.output[0]]
            elif (node.op_type == "DequantizeLinear" and len(node.input) >= 2
                  and all(i in self.values for i in node.input if i)
                  and self.values[node.input[0]].ndim >= 2 and self.values[node.input[0]].dtype.kind in "iu"):
                # An integer weight behind DequantizeLinear: the layer holds the dequantized values and
                # is named by the integer tensor (scripts/deployed_model.py, dequantize_weights).
                zero = self.values[node.input[2]] if len(node.input) > 2 and node.input[2] else None
                value = deployed_model.dequantize(self.values[node.input[0]], self.values[node.input[1]], zero,
                                                  deployed_model.attribute(node, "axis", 1),
                                                  deployed_model.attribute(node, "block_size", 0))
                self.values[node.output[0]] = value
                self.stored[node.output[0]] = value
                self.origin[node.output[0]] = [node.output[0]] + self.origin[node.input[0]]
            elif node.op_type in ("Identity", "Cast") and node.input and node.input[0] in self.values:
                value = self.values[node.input[0]]
                if node.op_type == "Cast":
                    to = next(a.i for a in node.attribute if a.name == "to")
                    value = value.astype(ONNX_TO_NP[to])
                self.values[node.output[0]] = value
                self.origin[node.output[0]] = [node.output[0]] + self.origin[node.input[0]]

    def source_dtype(self, name):
        return self.stored[self.origin[name][-1]].dtype


def nodes_needed_for(graph, output):
    """Indices of the nodes `output` depends on: Lathe runs (and lists layers of) only those."""
    nodes = list(graph.node)
    producer = {name: index for index, node in enumerate(nodes) for name in node.output}
    needed, stack = set(), [output]
    while stack:
        index = producer.get(stack.pop())
        if index is not None and index not in needed:
            needed.add(index)
            stack.extend(nodes[index].input)
    return needed


def expected_layers(model_proto, output=None):
    """The layers the engine must report (those the scored `output` depends on, default the first),
    with deployed weights computed in numpy."""
    graph = model_proto.graph
    needed = nodes_needed_for(graph, output or graph.output[0].name)
    consts = ModelConstants(model_proto)
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    graph_outputs = {o.name for o in graph.output}
    layers = []
    # (node, weight name): input 1, and for LSTM/GRU/RNN also R (input 2).
    weight_inputs = [(node, name) for index, node in enumerate(graph.node)
                     if node.op_type in LAYER_OPS and node.domain in ("", "ai.onnx") and len(node.input) >= 2
                     and index in needed
                     for name in (node.input[1:3] if node.op_type in RECURRENT_OPS else node.input[1:2])]
    for node, wname in weight_inputs:
        if wname not in consts.values or consts.values[wname].ndim < 2:
            continue
        weight = consts.values[wname].astype(np.float32)
        bias = None
        if node.op_type in ("Conv", "ConvTranspose", "Gemm") and len(node.input) > 2 and node.input[2] in consts.values:
            bias = consts.values[node.input[2]].astype(np.float32)
        folded = False
        users = consumers.get(node.output[0], [])
        if (node.op_type in ("Conv", "Gemm") and len(users) == 1 and users[0].op_type == "BatchNormalization"
                and node.output[0] not in graph_outputs
                and all(n in consts.values for n in users[0].input[1:5])):
            bn = users[0]
            gamma, beta, mean, var = (consts.values[n].astype(np.float32) for n in bn.input[1:5])
            eps = np.float32(deployed_model.attribute(bn, "epsilon", 1e-5))
            axis = 0 if node.op_type == "Conv" else (0 if deployed_model.attribute(node, "transB", 0) else 1)
            shape = [1] * weight.ndim
            shape[axis] = -1
            # Exactly as the deployed model folds it: w * gamma / sqrt(var + eps), in float32.
            weight = weight * gamma.reshape(shape) / np.sqrt(var + eps).reshape(shape)
            b = bias if bias is not None else np.zeros_like(mean)
            bias = (b - mean) * gamma / np.sqrt(var + eps) + beta
            folded = True
        layers.append(ExpectedLayer(wname, consts.origin[wname], node.op_type, weight.astype(np.float32), bias,
                                    consts.source_dtype(wname), folded))
    return layers, consts


def folded_model(model_proto, layers):
    """The model with each BatchNormalization replaced by the numpy fold (for an onnxruntime check
    that the fold is the deployed model): the Conv/Gemm takes the folded weight and bias and
    produces the BatchNormalization's output."""
    model = onnx.ModelProto()
    model.CopyFrom(model_proto)
    graph = model.graph
    by_weight = {layer.name: layer for layer in layers if layer.folded}
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    removed = []
    for node in graph.node:
        if node.op_type not in ("Conv", "Gemm") or len(node.input) < 2 or node.input[1] not in by_weight:
            continue
        layer = by_weight[node.input[1]]
        bn = consumers[node.output[0]][0]
        wname, bname = f"{layer.name}__folded", f"{layer.name}__folded_bias"
        graph.initializer.extend([numpy_helper.from_array(layer.weight, wname),
                                  numpy_helper.from_array(layer.bias.astype(np.float32), bname)])
        del node.input[1:]
        node.input.extend([wname, bname])
        node.output[0] = bn.output[0]
        removed.append(bn)
    for bn in removed:
        graph.node.remove(bn)
    return model


def deployed_baseline(model_proto, output=None):
    """DESIGN.md "Size model" for the uncompressed model: every tensor of the deployed graph for
    the scored output at its stored dtype (scripts/deployed_model.py: dead branches dropped,
    BatchNormalization folded into the layer's weight and a bias, fused Clip bounds dropped,
    Cast-widened float16 weights at 2 bytes)."""
    deployed = deployed_model.deploy(model_proto, output)
    detail = (f"{len(deployed.tensors)} deployed tensors ({deployed.folded_batchnorms} BN folded, "
              f"{deployed.fused_activations} activations fused)")
    return deployed.baseline_bytes, detail


# --------------------------------------------------------------------------- lathe side

def run(cmd):
    try:
        proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, "", f"timed out after {TIMEOUT} s"
    except OSError as error:
        return None, "", f"could not start: {error}"
    return proc.returncode, proc.stdout, proc.stderr


def short(text, limit=300):
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def parse_json(stdout):
    try:
        return json.loads(stdout), None
    except json.JSONDecodeError as error:
        return None, f"stdout is not JSON ({error}): {short(stdout)}"


def lathe_binary(path):
    """The lathe executable at `path`, resolved; None (after saying why on stderr) when there is none."""
    lathe = Path(path)
    if not (lathe.is_file() and os.access(lathe, os.X_OK)):
        print(f"error: {lathe}: no executable lathe binary there", file=sys.stderr)
        return None
    return lathe.resolve()


def lathe_from_args(parser, args):
    """The binary `--lathe` names; None with `--reference-only` (when the script has it). A missing
    `--lathe` is a usage error; a path that is no executable exits 2 after saying why."""
    if getattr(args, "reference_only", False):
        return None
    if not args.lathe:
        parser.error("--lathe PATH is required (or --reference-only)")
    lathe = lathe_binary(args.lathe)
    if lathe is None:
        sys.exit(2)
    return lathe


def top1(scores, labels):
    scores = np.asarray(scores)
    return float((scores.reshape(len(scores), -1).argmax(1) == labels).mean())


def close(a, b, rel=1e-9, abs_=1e-12):
    return abs(a - b) <= max(abs_, rel * max(abs(a), abs(b)))


def is_classifier(scores, labels):
    """Integer labels, one per sample, and class scores [N, C>=2] (trailing 1s allowed): the shape Lathe scores
    with top-1 per sample. Other tasks' metrics are checked by scripts/crosscheck_metrics.py."""
    if labels is None or labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        return False
    scores = np.asarray(scores)
    return scores.ndim >= 2 and scores.shape[1] >= 2 and all(d == 1 for d in scores.shape[2:])


def check_eval_json(report, name, js, n, ort_top1, baseline, has_labels):
    problems = []
    required = ["agreement", "samples", "size_bytes", "baseline_size_bytes", "compression_ratio", "metric",
                "sqnr_db", "cosine"]
    required += ["top1"] if has_labels else []
    missing = [k for k in required if k not in js]
    if missing:
        return report.fail(f"{name} eval JSON fields", f"missing {missing} in {sorted(js)}")
    if js["samples"] != n:
        problems.append(f"samples {js['samples']} != {n}")
    if has_labels:
        if not isinstance(js["top1"], (int, float)) or not close(float(js["top1"]), ort_top1, abs_=1e-9):
            problems.append(f"top1 {js['top1']} != onnxruntime {ort_top1}")
    # Other labels (per pixel, per time step, float targets): scripts/crosscheck_metrics.py checks them.
    # Agreement is null for an output without a class axis; otherwise the model agrees with itself.
    agreement = js["agreement"]
    if agreement is not None and (not isinstance(agreement, (int, float)) or not close(float(agreement), 1.0)):
        problems.append(f"agreement {agreement} != 1 for the uncompressed model")
    if js["sqnr_db"] is not None or js["cosine"] != 1:
        problems.append(f"sqnr_db {js['sqnr_db']}, cosine {js['cosine']} for the uncompressed model "
                        "(expected null, i.e. infinite, and 1)")
    size, base, ratio = js["size_bytes"], js["baseline_size_bytes"], js["compression_ratio"]
    if not all(isinstance(v, (int, float)) for v in (size, base, ratio)) or size <= 0 or base <= 0:
        problems.append(f"sizes not positive numbers: size {size}, baseline {base}, ratio {ratio}")
    else:
        if size != base:
            problems.append(f"uncompressed size_bytes {size} != baseline_size_bytes {base}")
        if not close(float(ratio), base / size, rel=1e-3):
            problems.append(f"compression_ratio {ratio} != baseline/size {base / size:.6g}")
        expected, how = baseline
        if base != expected:
            problems.append(f"baseline_size_bytes {base} != {expected}, the deployed model's tensors ({how})")
    detail = "; ".join(problems) if problems else (
        f"samples {n}, top1 {js.get('top1')}, agreement {agreement}, size {size} B, ratio {ratio}")
    return report.check(f"{name} eval JSON fields", not problems, detail)


def output_allowances():
    """samples/tolerances.json: samples whose outputs may differ from onnxruntime's by more than
    OUTPUT_TOLERANCE, each with `max_abs` (no element further) and `elements` (at most this many beyond
    OUTPUT_TOLERANCE); their argmax must still agree for every sample."""
    path = SAMPLES / "tolerances.json"
    if not path.exists():
        return {}
    return {f"samples/{k}": v for k, v in json.loads(path.read_text())["samples"].items()}


def check_outputs(report, name, saved_path, expected, labels=None):
    if not saved_path.exists():
        return report.fail(f"{name} outputs", "--save-outputs wrote no file")
    try:
        got = np.load(saved_path)
    except Exception as error:  # noqa: BLE001 - report any unreadable file
        return report.fail(f"{name} outputs", f"saved outputs unreadable: {error}")
    if got.shape != expected.shape:
        return report.fail(f"{name} outputs", f"shape {list(got.shape)} != onnxruntime {list(expected.shape)}")
    if not np.all(np.isfinite(got.astype(np.float64))):
        return report.fail(f"{name} outputs", "non-finite values")
    delta = np.abs(got.astype(np.float64) - expected.astype(np.float64))
    diff = float(np.max(delta)) if got.size else 0.0
    allowance = output_allowances().get(name)
    if allowance is None:
        ok = report.check(f"{name} outputs", diff <= OUTPUT_TOLERANCE,
                          f"max |lathe - onnxruntime| = {diff:.3g} (tolerance {OUTPUT_TOLERANCE:g})")
    else:
        beyond = int((delta > OUTPUT_TOLERANCE).sum())
        same_argmax = got.ndim != 2 or bool(np.array_equal(got.argmax(1), expected.argmax(1)))
        ok = report.check(f"{name} outputs", diff <= allowance["max_abs"] and beyond <= allowance["elements"]
                          and same_argmax,
                          f"max |lathe - onnxruntime| = {diff:.3g}, {beyond} elements beyond {OUTPUT_TOLERANCE:g} "
                          f"(samples/tolerances.json allows {allowance['elements']} up to {allowance['max_abs']:g}), "
                          f"argmax {'equal' if same_argmax else 'DIFFERS'}")
    if labels is not None:
        a, b = top1(got, labels), top1(expected, labels)
        ok = report.check(f"{name} top-1", a == b, f"lathe {a:.4f}, onnxruntime {b:.4f}") and ok
    return ok


def lathe_eval(lathe, model, data, output, tmp):
    saved = Path(tmp) / "outputs.npy"
    if saved.exists():
        saved.unlink()
    cmd = [lathe, "eval", model, "--data", data] + (["--output", output] if output else []) + [
        "--json", "--save-outputs", saved]
    code, out, err = run(cmd)
    return code, out, err, saved, " ".join(str(c) for c in cmd)


def histogram_check(values, hist):
    counts = hist.get("counts")
    if not isinstance(counts, list) or not counts:
        return f"histogram has no counts ({sorted(hist)})"
    # Lathe bins in double precision, so the reference does too (numpy 2 would bin float32
    # weights against float32 edges, which moves a weight lying on an edge by one bin).
    np_counts, np_edges = np.histogram(values.astype(np.float64), bins=len(counts))
    edges = hist.get("edges", hist.get("bin_edges"))
    problems = []
    if edges is None:
        problems.append(f"histogram has no edges ({sorted(hist)})")
    elif len(edges) != len(counts) + 1:
        problems.append(f"{len(edges)} edges for {len(counts)} bins")
    else:
        scale = max(float(np.max(np.abs(values))), np.finfo(np.float32).tiny)
        worst = float(np.max(np.abs(np.asarray(edges, np.float64) - np_edges.astype(np.float64)))) / scale
        if worst > EDGE_TOLERANCE:
            problems.append(f"edges differ by {worst:.3g} of the range (numpy {np_edges[:3]}…, lathe {edges[:3]}…)")
    if list(map(int, counts)) != np_counts.tolist():
        bad = [i for i, (a, b) in enumerate(zip(counts, np_counts)) if a != b]
        problems.append(f"counts differ in bins {bad[:8]} (lathe {[counts[i] for i in bad[:4]]}, "
                        f"numpy {[int(np_counts[i]) for i in bad[:4]]})")
    return "; ".join(problems)


def stats_check(values, stats):
    v64 = values.astype(np.float64)
    expected = {"min": float(values.min()), "max": float(values.max()), "mean": float(v64.mean()),
                "std": float(v64.std(ddof=0)), "sparsity": float(np.count_nonzero(values == 0) / values.size)}
    scale = max(abs(expected["min"]), abs(expected["max"]), 1e-30)
    problems = []
    for key, want in expected.items():
        got = stats.get(key)
        if not isinstance(got, (int, float)):
            problems.append(f"{key} missing")
            continue
        if key in ("min", "max"):  # as precise as the histogram edges they define
            ok = abs(got - want) <= EDGE_TOLERANCE * scale
        elif key == "sparsity":
            ok = abs(got - want) <= 1e-9
        elif key == "mean":
            ok = abs(got - want) <= 1e-6 * scale
        else:
            ok = abs(got - want) <= STAT_TOLERANCE * want + 1e-7 * scale
        if not ok:
            problems.append(f"{key} {got} != numpy {want}")
    return "; ".join(problems)


def check_inspect(report, lathe, name, model, layers, proto, data=None):
    code, out, err = run([lathe, "inspect", model, "--json"] + (["--data", data] if data else []))
    inputs = deployed_model.data_inputs(proto)
    if len(inputs) > 1 and data is None and code != 0:
        # Without data, inputs whose shapes are not all fixed leave nothing to inspect with: say to pass data.
        problems = [] if code == 2 else [f"exit {code}, expected 0, or 2 asking for --data"]
        if not err.startswith("error:") or err.startswith("error: internal"):
            problems.append(f"stderr does not start with `error:` (bad input): {short(err, 160)!r}")
        if str(model) not in err or "--data" not in err:
            problems.append(f"stderr does not name {model} and ask for --data")
        return report.check(f"{name} inspect without data asks for --data ({', '.join(inputs)})", not problems,
                            "; ".join(problems) or short(err, 200))
    if code != 0:
        return report.fail(f"{name} inspect", f"exit {code}: {short(err)}")
    js, problem = parse_json(out)
    if problem:
        return report.fail(f"{name} inspect", problem)
    expected, how = deployed_baseline(proto)
    report.check(f"{name} inspect size_bytes", js.get("size_bytes") == expected,
                 f"lathe {js.get('size_bytes')}, deployed model {expected} ({how})")
    reported = js.get("layers") if isinstance(js, dict) else js
    if not isinstance(reported, list):
        return report.fail(f"{name} inspect", f"no `layers` list in the JSON (keys {sorted(js) if isinstance(js, dict) else type(js)})")
    by_name = {}
    for entry in reported:
        if not (isinstance(entry, dict) and isinstance(entry.get("name"), str)):
            return report.fail(f"{name} inspect", f"a layer entry without a name: {short(json.dumps(entry), 160)}")
        by_name.setdefault(entry["name"], []).append(entry)
    matched, ok = set(), True
    for layer in layers:
        hits = [a for a in layer.aliases if a in by_name]
        label = f"{name} layer {layer.name}"
        if len(hits) != 1 or len(by_name[hits[0]]) != 1:
            ok = report.fail(label, f"expected one entry named one of {layer.aliases}, found {hits}") and ok
            continue
        matched.add(hits[0])
        entry = by_name[hits[0]][0]
        problems = []
        if "shape" in entry and list(entry["shape"]) != list(layer.weight.shape):
            problems.append(f"shape {entry['shape']} != {list(layer.weight.shape)}")
        stats = entry.get("stats")
        problems.append(stats_check(layer.weight, stats) if isinstance(stats, dict) else "no `stats` object")
        hist = entry.get("histogram")
        problems.append(histogram_check(layer.weight, hist) if isinstance(hist, dict) else "no `histogram` object")
        problems = [p for p in problems if p]
        what = "BN-folded " if layer.folded else ""
        ok = report.check(label, not problems, "; ".join(problems) if problems else
                          f"{what}stats and {len(hist['counts'])}-bin histogram match numpy") and ok
    extra = sorted(set(by_name) - matched)
    found_all = len(matched) == len(layers)
    report.check(f"{name} inspect layers", found_all and not extra,
                 f"{len(layers)} expected, {len(reported)} reported"
                 + (f"; unexpected {extra}" if extra else "") + ("" if found_all else "; some expected layers missing"))
    return ok and found_all and not extra


# --------------------------------------------------------------------------- the checks

def check_target(report, target, lathe, tmp):
    name = target.name
    proto = onnx.load(str(target.model))
    data = load_npz(target.data)
    feeds, missing = model_feeds(proto, data)
    if missing or not feeds:
        return report.fail(f"{name} data", f"{target.data} holds no arrays for inputs {missing or 'any'}")
    samples = max(len(v) for v in feeds.values())
    labels = data.get("y")
    output = target.output or proto.graph.output[0].name
    live = ort_outputs(target.model, feeds, [output])[output]
    classifier = is_classifier(live, labels)
    ref_top1 = top1(live, labels) if classifier else None
    if target.reference is not None:
        stored = np.load(target.reference)
        diff = float(np.max(np.abs(stored.astype(np.float64) - live))) if stored.shape == live.shape else None
        bound = REFERENCE_TOLERANCE * max(1.0, float(np.max(np.abs(stored)))) if stored.size else REFERENCE_TOLERANCE
        report.check(f"{name} reference", diff is not None and diff <= bound,
                     f"stored {target.reference.name} vs live onnxruntime: "
                     + (f"max |Δ| = {diff:.3g}" if diff is not None else f"shape {stored.shape} != {live.shape}")
                     + (f", top-1 {ref_top1:.4f}" if ref_top1 is not None else ""))
    layers, _ = expected_layers(proto, output)
    report.check(f"{name} numpy layers", len(layers) > 0,
                 f"{len(layers)} layers ({sum(l.folded for l in layers)} BN-folded): "
                 + ", ".join(l.name for l in layers))
    if any(layer.folded for layer in layers):
        folded = folded_model(proto, layers).SerializeToString()
        few = first_rows(feeds, 200)
        a = ort_outputs(folded, few, [output])[output]
        b = ort_outputs(target.model, few, [output])[output]
        diff = float(np.max(np.abs(a.astype(np.float64) - b)))
        report.check(f"{name} numpy BN fold", diff <= OUTPUT_TOLERANCE,
                     f"onnxruntime on the numpy-folded model vs the original: max |Δ| = {diff:.3g} on "
                     f"{min(samples, 200)} samples")
    if lathe is None:
        report.skip(f"{name} lathe eval/inspect", "--reference-only")
        return
    code, out, err, saved, cmd = lathe_eval(lathe, target.model, target.data, target.output, tmp)
    if code != 0:
        report.fail(f"{name} eval", f"`{cmd}` exit {code}: {short(err)}")
    else:
        js, problem = parse_json(out)
        if problem:
            report.fail(f"{name} eval JSON fields", problem)
        else:
            check_eval_json(report, name, js, samples, ref_top1, deployed_baseline(proto, output), classifier)
        check_outputs(report, name, saved, live, labels if classifier else None)
    # A model with several inputs is inspected with its data (its inputs' shapes may not be fixed).
    several = len(data_input_names(proto)) > 1
    check_inspect(report, lathe, name, target.model, layers, proto, data=target.data if several else None)


def check_zoo(report, lathe, tmp, only=""):
    index_path = ZOO / "index.json"
    if not index_path.exists():
        return report.fail("zoo", f"{index_path} missing")
    index = json.loads(index_path.read_text())
    for case in index["cases"]:
        name = f"zoo/{case['name']}"
        if only not in name:
            continue
        try:
            check_zoo_case(report, lathe, tmp, case, name)
        except Exception as error:  # noqa: BLE001 - a crashed check is a failed check
            report.fail(name, f"check crashed: {type(error).__name__}: {error}")


def check_zoo_case(report, lathe, tmp, case, name):
    model = ZOO / f"{case['name']}.onnx"
    data = load_npz(ZOO / f"{case['name']}.npz")
    feeds = {i["name"]: data[i["name"]] for i in case["inputs"]}
    outputs = [o["name"] for o in case["outputs"]]
    live = ort_outputs(model, feeds, outputs)
    worst, problems = 0.0, []
    for o in outputs:
        want = data[f"expected_{o}"]
        if want.shape != live[o].shape or want.dtype != live[o].dtype:
            problems.append(f"{o}: {want.dtype}{list(want.shape)} vs live {live[o].dtype}{list(live[o].shape)}")
            continue
        scale = max(1.0, float(np.max(np.abs(want.astype(np.float64))))) if want.size else 1.0
        worst = max(worst, float(np.max(np.abs(want.astype(np.float64) - live[o].astype(np.float64)))) / scale)
    report.check(f"{name} reference", not problems and worst <= REFERENCE_TOLERANCE,
                 "; ".join(problems) or f"{len(outputs)} outputs reproduce, max |Δ| / max(1, |ref|) = {worst:.3g}")
    proto = onnx.load(str(model))
    layers, _ = expected_layers(proto)
    if lathe is None:
        report.skip(f"{name} lathe eval/inspect", "--reference-only")
        return
    if case["eval"]:
        x = feeds["x"]
        data_path = Path(tmp) / f"{case['name']}.npz"
        np.savez(data_path, x=x)  # the inputs alone: zoo cases have no labels
        for o in outputs:
            label = f"{name} [{o}]"
            code, out, err, saved, cmd = lathe_eval(lathe, model, data_path, o, tmp)
            if code != 0:
                report.fail(f"{label} eval", f"`{cmd}` exit {code}: {short(err)}")
                continue
            js, problem = parse_json(out)
            if problem:
                report.fail(f"{label} eval JSON", problem)
            elif not isinstance(js, dict) or js.get("samples") != len(x):
                report.fail(f"{label} eval JSON", f"samples {js.get('samples') if isinstance(js, dict) else js} != {len(x)}")
            else:
                report.check(f"{label} eval JSON", True, f"samples {len(x)}")
            check_outputs(report, label, saved, live[o])
    else:
        report.skip(f"{name} lathe eval", f"not runnable through `lathe eval` ({case.get('eval_note', '')}); "
                    "its reference outputs are checked above")
    check_inspect(report, lathe, name, model, layers, proto)


def expect_input_error(report, label, lathe, cmd, named_file):
    code, out, err = run([lathe] + cmd)
    problems = []
    if code != 2:
        problems.append(f"exit {code}, expected 2")
    if not err.startswith("error:"):
        problems.append(f"stderr does not start with `error:`: {short(err, 160)!r}")
    if Path(named_file).name not in err:
        problems.append(f"stderr does not name {Path(named_file).name}")
    report.check(label, not problems, "; ".join(problems) or short(err.splitlines()[0] if err else "", 160))


def check_pending(report, lathe, only):
    """A pending sample fails cleanly (exit 2, `error:` naming its file and the listed problem); once it
    evaluates, this fails so that it moves to the exact comparison."""
    for name, expected in sorted(pending_samples().items()):
        label = f"samples/{name} (pending)"
        if only not in label:
            continue
        if lathe is None:
            report.skip(label, "--reference-only")
            continue
        folder = SAMPLES / name
        code, _, err = run([lathe, "eval", folder / "model.onnx", "--data", folder / "data.npz", "--json"])
        problems = []
        if code != 2:
            problems.append(f"exit {code}, expected 2 (if it now evaluates, remove it from samples/pending.json)")
        if not err.startswith("error:") or "samples/" + name not in err:
            problems.append(f"stderr does not start with `error:` naming the sample's file: {short(err, 160)!r}")
        if expected not in err:
            problems.append(f"stderr does not say {expected!r}")
        report.check(label, not problems, "; ".join(problems) or short(err.splitlines()[0] if err else "", 160))


def check_sequence_first(report, lathe, tmp):
    """samples/crnn from an x-only data file: its output [T, N, C] has batch axis 1 (shape inference);
    the saved outputs keep that layout and match onnxruntime, and agreement is 1."""
    name = "samples/crnn (x only)"
    folder = SAMPLES / "crnn"
    if not (folder / "model.onnx").exists():
        return report.skip(name, "sample missing")
    if lathe is None:
        return report.skip(name, "--reference-only")
    x = load_npz(folder / "data.npz")["x"]
    data_path = Path(tmp) / "crnn_x.npz"
    np.savez(data_path, x=x)
    live = ort_outputs(folder / "model.onnx", {"x": x.astype(np.float32)}, ["log_probs"], batch_axis=1)["log_probs"]
    code, out, err, saved, cmd = lathe_eval(lathe, folder / "model.onnx", data_path, None, tmp)
    if code != 0:
        return report.fail(f"{name} eval", f"`{cmd}` exit {code}: {short(err)}")
    js, problem = parse_json(out)
    if problem:
        return report.fail(f"{name} eval JSON", problem)
    ok = js.get("samples") == len(x) and js.get("agreement") == 1 and js.get("top1") is None
    report.check(f"{name} eval JSON", ok, f"samples {js.get('samples')} (expected {len(x)}), agreement "
                 f"{js.get('agreement')}, top1 {js.get('top1')}")
    check_outputs(report, name, saved, live)


def check_fixed_batch(report, lathe):
    """samples/detector_b1 declares `image` [1, 3, 96, 96]: a larger --batch is refused naming the input."""
    model = SAMPLES / "detector_b1" / "model.onnx"
    if not model.exists():
        return report.skip("fixed batch", "sample missing")
    if lathe is None:
        return report.skip("fixed batch", "--reference-only")
    code, out, err = run([lathe, "eval", model, "--data", SAMPLES / "detector_b1" / "data.npz", "--batch", "8"])
    problems = [] if code == 2 else [f"exit {code}, expected 2"]
    if not err.startswith("error:") or "'image'" not in err or "--batch" not in err:
        problems.append(f"stderr does not name input 'image' and --batch: {short(err, 160)!r}")
    report.check("samples/detector_b1 --batch 8 above its fixed batch of 1", not problems,
                 "; ".join(problems) or short(err, 200))


def check_malformed(report, lathe, tmp):
    if lathe is None:
        report.skip("malformed inputs", "--reference-only")
        return
    tmp = Path(tmp)
    good_model = SAMPLES / "lenet5" / "model.onnx"
    good_data = SAMPLES / "lenet5" / "data.npz"
    raw = good_model.read_bytes()
    truncated = tmp / "truncated.onnx"
    truncated.write_bytes(raw[: int(len(raw) * 0.6)])
    empty = tmp / "empty.onnx"
    empty.write_bytes(b"")
    text = tmp / "notes.onnx"
    text.write_text("This is a text file, not an ONNX model.\nconv1.weight = [1, 2, 3]\n")
    missing = tmp / "does_not_exist.onnx"
    for path, what in ((truncated, "truncated model"), (empty, "empty file"), (text, "text file named .onnx"),
                       (missing, "missing model")):
        expect_input_error(report, f"malformed eval: {what}", lathe, ["eval", path, "--data", good_data, "--json"], path)
        expect_input_error(report, f"malformed inspect: {what}", lathe, ["inspect", path, "--json"], path)
    x = load_npz(good_data)["x"]
    wrong_shape = tmp / "wrong_sample_shape.npz"
    np.savez(wrong_shape, x=np.zeros((8, 1, 20, 20), np.float32), y=np.zeros(8, np.int64))
    expect_input_error(report, "malformed data: sample shape [1,20,20] for a [1,28,28] model", lathe,
                       ["eval", good_model, "--data", wrong_shape, "--json"], wrong_shape)
    mlp_shape = tmp / "wrong_features.npz"
    np.savez(mlp_shape, x=np.zeros((8, 50), np.float32), y=np.zeros(8, np.int64))
    expect_input_error(report, "malformed data: 50 features for a 64-feature MLP", lathe,
                       ["eval", SAMPLES / "digits_mlp" / "model.onnx", "--data", mlp_shape, "--json"], mlp_shape)
    wrong_labels = tmp / "label_count.npz"
    np.savez(wrong_labels, x=x[:8], y=np.zeros(7, np.int64))
    expect_input_error(report, "malformed data: 8 samples, 7 labels", lathe,
                       ["eval", good_model, "--data", wrong_labels, "--json"], wrong_labels)
    missing_data = tmp / "no_such_data.npz"
    expect_input_error(report, "malformed data: missing data file", lathe,
                       ["eval", good_model, "--data", missing_data, "--json"], missing_data)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lathe", help="path to the lathe binary")
    parser.add_argument("--reference-only", action="store_true",
                        help="run only the onnxruntime/numpy half (lathe checks listed as skipped)")
    parser.add_argument("--only", default="", help="run only targets whose name contains this text")
    args = parser.parse_args()
    report = Report()
    lathe = lathe_from_args(parser, args)
    with tempfile.TemporaryDirectory(prefix="lathe-crosscheck-") as tmp:
        for target in sample_targets() + export_targets():
            if args.only in target.name:
                try:
                    check_target(report, target, lathe, tmp)
                except Exception as error:  # noqa: BLE001 - a crashed check is a failed check
                    report.fail(target.name, f"check crashed: {type(error).__name__}: {error}")
        check_pending(report, lathe, args.only)
        if args.only in "samples/crnn (x only)":
            check_sequence_first(report, lathe, tmp)
        if args.only in "samples/detector_b1 fixed batch":
            check_fixed_batch(report, lathe)
        if args.only in "zoo/" or args.only.startswith("zoo/"):
            check_zoo(report, lathe, tmp, args.only)
        if args.only in "malformed":
            check_malformed(report, lathe, tmp)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
