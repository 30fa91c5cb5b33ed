#!/usr/bin/env python3
"""Cross-check Lathe's recovery methods (method: gptq, bias_correction, grid: nf4 | pow2)
against the numpy definitions in scripts/recovery_reference.py, run by onnxruntime.

For the CNN and MLP samples and configurations at 4, 3 and 2 bits:
  * numpy takes each layer's input statistics from the deployed (BN-folded) model run by
    onnxruntime on the first 256 samples, compresses the weights (GPTQ, bias correction,
    non-uniform grids), writes the model with the onnx package and onnxruntime runs it;
  * `lathe eval --config CFG --json --save-outputs` must give the same top-1 within one
    sample, and per-sample predictions that agree with numpy's on ≥ 99.5% of samples.
The numpy results are stored in samples/NAME/recovery.json (`--write-expected`; a stale file
fails the check) so the Swift tests (RecoveryTests) check the same configurations without Python.
Bad combinations (nf4 at 3 bits, gptq with clusters, ...) exit 2 naming the key. A layer
without a bias (digits_mlp's MatMuls) gets one from bias correction: numpy adds it after the
MatMul. Prints the recovery table (round-to-nearest against
GPTQ, bias correction and both) from the Lathe runs.
ConvTranspose (fpn_detector's two layers, the rest float; GPTQ at 4/3/2 bits, with bias correction,
SparseGPT 2:4): Lathe's compressed weights (`lathe export --format fake`) on numpy's codes for ≥ 99.9%
of the weights, the corrected biases equal, `lathe eval`'s MSE equal to numpy/onnxruntime's within 1e-3
relative. Bias correction of bias-less MatMuls (digits_mlp, int3 GPTQ): numpy's codes (≥ 99.9%) and an
added bias equal to numpy's in the fake export. Recurrent (crnn's bidirectional LSTM W and R, the rest
float; GPTQ at 4/3/2 bits, SparseGPT): numpy's codes for ≥ 99.9% of the weights, greedy-CTC string accuracy
within one sample, per-step argmax agreement ≥ 99.5%.
The search: `lathe search --max-drop 0.01 --pareto --json` on the MobileNet sample must
choose at most 0.6x uniform int8 within the drop; numpy (GPTQ included) run by onnxruntime
must reproduce every point of its front within one sample; the front must dominate the
uniform int8, int4 and fp16 plans it measured.

One line per check (PASS / FAIL), then `N passed, M failed`; exit 1 on failure.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compression_reference as ref  # noqa: E402
import recovery_reference as recovery  # noqa: E402
from crosscheck_compression import Reference, lathe_json  # noqa: E402
from crosscheck_engine import Report, lathe_from_args, run, short  # noqa: E402

CALIBRATION = 256
SAMPLES = ("mobilenet", "lenet5", "mobilenetv3", "digits_mlp")


def configs(sample):
    """(label, defaults) per configuration (digits_mlp's MatMuls add no bias: bias correction gives them one)."""
    out = [("int4 rtn", {"bits": 4}), ("int3 rtn", {"bits": 3}), ("int2 rtn", {"bits": 2}),
           ("int4 gptq", {"bits": 4, "method": "gptq"}),
           ("int3 gptq", {"bits": 3, "method": "gptq"}), ("int2 gptq", {"bits": 2, "method": "gptq"}),
           ("int4 nf4", {"bits": 4, "grid": "nf4"}), ("int4 pow2", {"bits": 4, "grid": "pow2"}),
           ("int4 nf4 gptq", {"bits": 4, "grid": "nf4", "method": "gptq"}),
           ("int4 asym per-tensor gptq", {"bits": 4, "scheme": "asymmetric", "granularity": "per-tensor",
                                          "method": "gptq"}),
           ("int4 gptq 2:4", {"bits": 4, "method": "gptq", "structure": "2:4"}),
           ("sparsegpt 0.8", {"prune": 0.8, "structure": "unstructured", "prune_method": "sparsegpt"}),
           ("magnitude 0.8", {"prune": 0.8, "structure": "unstructured"}),
           ("sparsegpt 2:4", {"structure": "2:4", "prune_method": "sparsegpt"}),
           ("magnitude 2:4", {"structure": "2:4"}),
           ("int4 sparsegpt 0.5", {"bits": 4, "prune": 0.5, "structure": "unstructured",
                                   "prune_method": "sparsegpt"})]
    out += [("int4 bias", {"bits": 4, "bias_correction": True}),
            ("int4 gptq+bias", {"bits": 4, "method": "gptq", "bias_correction": True}),
            ("int3 gptq+bias", {"bits": 3, "method": "gptq", "bias_correction": True}),
            ("int4 prune 0.5 bias", {"bits": 4, "prune": 0.5, "structure": "unstructured",
                                     "bias_correction": True})]
    return out


class RecoveryReference(Reference):
    def __init__(self, name, ops=None):
        super().__init__(name)
        if ops is not None:
            self.layers = [lay for lay in self.layers if lay["op"] in ops]
        self.stats = self.layer_statistics()

    def layer_statistics(self):
        model = onnx.ModelProto()
        model.CopyFrom(self.deployed.runnable)
        nodes = {lay["name"]: self.layer_node(model, lay["name"]) for lay in self.layers}
        # A recurrent R needs the node's Y (named here when the model leaves it out) and initial_h.
        extra = {}
        for lay in self.layers:
            node = nodes[lay["name"]]
            if node.op_type in ("LSTM", "GRU", "RNN") and node.input[2] == lay["name"]:
                if not node.output[0]:
                    node.output[0] = node.name + "_Y_for_statistics"
                initial = node.input[5] if len(node.input) > 5 and node.input[5] else None
                extra[lay["name"]] = (node.output[0], initial)
        wanted = {name: node for name, node in nodes.items()}
        seen = self.layer_inputs(model, wanted, self.x[:CALIBRATION])
        more = sorted({v for y, h in extra.values() for v in (y, h) if v and v not in seen
                       and v not in self.deployed.tensors})
        if more:
            probe = onnx.ModelProto()
            probe.CopyFrom(model)
            for value in more:
                probe.graph.output.append(onnx.helper.make_tensor_value_info(value, onnx.TensorProto.FLOAT, None))
            seen.update(dict(zip(more, self.run(probe, more, self.x[:CALIBRATION]))))

        def value(name):
            return None if name is None else seen.get(name, self.deployed.tensors.get(name))
        return {lay["name"]: (nodes[lay["name"]],
                              recovery.input_statistics(nodes[lay["name"]], lay,
                                                        seen[self.data_input(nodes[lay["name"]], lay["name"])],
                                                        *([value(extra[lay["name"]][0]), value(extra[lay["name"]][1])]
                                                          if lay["name"] in extra else [])))
                for lay in self.layers}

    def layer_node(self, model, layer_name):
        # A recurrent node reads W as input 1 and R as input 2.
        for node in model.graph.node:
            if node.op_type in ("LSTM", "GRU", "RNN") and layer_name in node.input[1:3]:
                return node
        return super().layer_node(model, layer_name)

    def bias_name(self, node):
        return node.input[2] if node.op_type in ("Conv", "ConvTranspose", "Gemm") and len(node.input) > 2 else None

    def evaluate_settings(self, settings, path):
        return self.evaluate_plan({lay["name"]: settings for lay in self.layers}, path)

    def evaluate_plan(self, plan, path):
        """Predictions with each layer compressed by its own settings (a layer absent from `plan` stays float)."""
        compressed, added = {}, {}
        for lay in self.layers:
            settings = plan.get(lay["name"])
            if not settings:
                continue
            node, stats = self.stats[lay["name"]]
            weight = self.weights[lay["name"]]
            compressed[lay["name"]] = recovery.compress(weight, lay, settings, stats)
            bias = self.bias_name(node)
            if settings.get("bias_correction") and bias:
                compressed[bias] = recovery.bias_corrected(self.deployed.tensors[bias], weight,
                                                           compressed[lay["name"]], lay, stats)
            elif settings.get("bias_correction"):
                added[lay["name"]] = recovery.added_bias(weight, compressed[lay["name"]], lay, stats)
        model = self.model_with(compressed)
        for lay in self.layers:
            if lay["name"] in added:
                recovery.attach_bias(model, self.layer_node(model, lay["name"]), lay, added[lay["name"]])
        onnx.save(model, str(path))
        return self.predictions(onnx.load(str(path)))


def lathe_eval(lathe, sample, config_path, outputs):
    folder = Path("samples") / sample
    return lathe_json(lathe, ["eval", str(folder / "model.onnx"), "--data", str(folder / "data.npz"),
                              "--config", str(config_path), "--json", "--save-outputs", str(outputs)])


def fake_export(lathe, sample, config_path, out):
    """`lathe export --format fake` of a configuration: its float initializers are Lathe's compressed weights."""
    folder = Path("samples") / sample
    code, _, err = run([lathe, "export", str(folder / "model.onnx"), "--data", str(folder / "data.npz"),
                        "--config", str(config_path), "--format", "fake", "--out", str(out)])
    if code != 0:
        return None, f"exit {code}: {short(err)}"
    model = onnx.load(str(out))
    return {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}, None


def check_codes(report, name, lay, ours, theirs, verbose=True):
    """The check every recovery configuration makes per layer: Lathe's weights on numpy's codes."""
    agreement = same_codes(ours, theirs, lay)
    report.check(f"{name}: {lay['name']} on numpy's codes for ≥ 99.9% of weights", agreement >= 0.999,
                 f"{agreement:.5f}")
    if verbose:
        print(f"  {name}: {lay['name']} codes agree {agreement * 100:.3f}%")


def same_codes(ours, theirs, lay):
    """Fraction of weights on the same grid level: per output channel, equal within 1e-5 of the channel's
    largest magnitude (two levels of a ≤ 8-bit grid lie at least absmax/127 apart)."""
    a = ref.channel_major(ours.reshape(lay["shape"]), lay["channelAxis"]).astype(np.float64)
    b = ref.channel_major(theirs.reshape(lay["shape"]), lay["channelAxis"]).astype(np.float64)
    scale = np.maximum(np.abs(b).max(1, keepdims=True), 1e-30)
    return float((np.abs(a - b) <= 1e-5 * scale).mean())


CONV_TRANSPOSE_SAMPLE = "fpn_detector"
CONV_TRANSPOSE_CONFIGS = [("int4 rtn", {"bits": 4}), ("int4 gptq", {"bits": 4, "method": "gptq"}),
                          ("int3 rtn", {"bits": 3}), ("int3 gptq", {"bits": 3, "method": "gptq"}),
                          ("int2 rtn", {"bits": 2}), ("int2 gptq", {"bits": 2, "method": "gptq"}),
                          ("int3 gptq+bias", {"bits": 3, "method": "gptq", "bias_correction": True}),
                          ("int4 sparsegpt 2:4", {"bits": 4, "structure": "2:4", "prune_method": "sparsegpt"})]


def check_conv_transpose(report, lathe, tmp, table):
    """GPTQ, SparseGPT and bias correction on the ConvTranspose layers of fpn_detector (the rest float):
    Lathe's compressed weights (its fake export) on the same codes as numpy's for ≥ 99.9% of the weights,
    the corrected biases equal, and `lathe eval`'s MSE equal to numpy/onnxruntime's within 1e-3 relative."""
    sample = CONV_TRANSPOSE_SAMPLE
    reference = RecoveryReference(sample, ops=("ConvTranspose",))
    names = [lay["name"] for lay in reference.layers]
    report.check(f"{sample}: two ConvTranspose layers", len(names) == 2, f"{names}")
    labels = reference.y.astype(np.float32)
    fp32 = float(np.mean((reference.run(reference.deployed.runnable)[0] - labels) ** 2))
    table.append((sample, "fp32 (mse)", fp32, fp32))
    for index, (label, settings) in enumerate(CONV_TRANSPOSE_CONFIGS):
        name = f"{sample} ConvTranspose [{label}]"
        config = {"version": 1, "layers": {n: settings for n in names}}
        config_path = Path(tmp) / f"convt_{index}.json"
        config_path.write_text(json.dumps(config))
        theirs = {}
        for lay in reference.layers:
            node, stats = reference.stats[lay["name"]]
            theirs[lay["name"]] = recovery.compress(reference.weights[lay["name"]], lay, dict(settings), stats)
            bias = reference.bias_name(node)
            if settings.get("bias_correction") and bias:
                theirs[bias] = recovery.bias_corrected(reference.deployed.tensors[bias], reference.weights[lay["name"]],
                                                       theirs[lay["name"]], lay, stats)
        model = reference.model_with(theirs)
        numpy_mse = float(np.mean((reference.run(model)[0] - labels) ** 2))
        ours, error = fake_export(lathe, sample, config_path, Path(tmp) / f"convt_{index}.onnx")
        if ours is None:
            report.fail(f"{name}: lathe export --format fake", error)
            continue
        for lay in reference.layers:
            check_codes(report, name, lay, ours[lay["name"]], theirs[lay["name"]])
            bias = reference.bias_name(reference.stats[lay["name"]][0])
            if settings.get("bias_correction") and bias:
                close = np.allclose(ours[bias], theirs[bias], rtol=1e-5, atol=1e-6)
                report.check(f"{name}: {lay['name']}'s corrected bias equals numpy's", close,
                             f"max diff {np.abs(ours[bias] - theirs[bias]).max():.3g}")
        result, error = lathe_eval(lathe, sample, config_path, Path(tmp) / f"convt_{index}.npy")
        if result is None:
            report.fail(f"{name}: lathe eval", error)
            continue
        ours_mse = float(np.mean((np.load(Path(tmp) / f"convt_{index}.npy") - labels) ** 2))
        report.check(f"{name}: MSE equals numpy/onnxruntime's within 1e-3 relative",
                     abs(ours_mse - numpy_mse) <= 1e-3 * numpy_mse, f"lathe {ours_mse:.6f}, numpy {numpy_mse:.6f}")
        table.append((sample, f"ConvT {label} (mse)", ours_mse, numpy_mse))


RECURRENT_SAMPLE = "crnn"
RECURRENT_CONFIGS = [("int4 rtn", {"bits": 4}), ("int4 gptq", {"bits": 4, "method": "gptq"}),
                     ("int3 rtn", {"bits": 3}), ("int3 gptq", {"bits": 3, "method": "gptq"}),
                     ("int2 rtn", {"bits": 2}), ("int2 gptq", {"bits": 2, "method": "gptq"}),
                     ("int4 sparsegpt 0.5", {"bits": 4, "prune": 0.5, "structure": "unstructured",
                                             "prune_method": "sparsegpt"})]


def ctc_strings(out):
    """Greedy CTC decoding of [T, N, classes] log-probabilities: argmax per step, repeats merged, blanks (0) dropped."""
    best = out.argmax(-1).T
    strings = []
    for row in best:
        merged = [c for i, c in enumerate(row) if c != 0 and (i == 0 or c != row[i - 1])]
        strings.append(tuple(int(c) - 1 for c in merged))
    return strings


def check_recurrent(report, lathe, tmp, table):
    """GPTQ on crnn's bidirectional LSTM W and R (the rest float): Lathe's compressed weights (fake export) on
    numpy's codes for ≥ 99.9% of the weights; greedy-CTC string accuracy equal to numpy/onnxruntime's within one
    sample and per-step argmax agreeing on ≥ 99.5% of the steps."""
    sample = RECURRENT_SAMPLE
    reference = RecoveryReference(sample, ops=("LSTM", "GRU", "RNN"))
    names = [lay["name"] for lay in reference.layers]
    report.check(f"{sample}: the LSTM's W and R are layers", len(names) == 2, f"{names}")
    labels = [tuple(int(c) for c in row) for row in reference.y]
    n = len(labels)

    def correct(out):
        return sum(a == b for a, b in zip(ctc_strings(out), labels))
    fp32 = correct(reference.run(reference.deployed.runnable)[0])
    table.append((sample, "fp32 (CTC strings)", fp32 / n, fp32 / n))
    for index, (label, settings) in enumerate(RECURRENT_CONFIGS):
        name = f"{sample} LSTM [{label}]"
        config_path = Path(tmp) / f"lstm_{index}.json"
        config_path.write_text(json.dumps({"version": 1, "layers": {k: settings for k in names}}))
        theirs = {}
        for lay in reference.layers:
            _, stats = reference.stats[lay["name"]]
            theirs[lay["name"]] = recovery.compress(reference.weights[lay["name"]], lay, dict(settings), stats)
        numpy_out = reference.run(reference.model_with(theirs))[0]
        ours, error = fake_export(lathe, sample, config_path, Path(tmp) / f"lstm_{index}.onnx")
        if ours is None:
            report.fail(f"{name}: lathe export --format fake", error)
            continue
        for lay in reference.layers:
            check_codes(report, name, lay, ours[lay["name"]], theirs[lay["name"]])
        outputs = Path(tmp) / f"lstm_{index}.npy"
        result, error = lathe_eval(lathe, sample, config_path, outputs)
        if result is None:
            report.fail(f"{name}: lathe eval", error)
            continue
        ours_out = np.load(outputs)
        if ours_out.shape != numpy_out.shape and ours_out.shape == (numpy_out.shape[1], numpy_out.shape[0]) + numpy_out.shape[2:]:
            ours_out = np.swapaxes(ours_out, 0, 1)
        ours_correct, numpy_correct = correct(ours_out), correct(numpy_out)
        report.check(f"{name}: CTC string accuracy equals numpy's within one sample",
                     abs(ours_correct - numpy_correct) <= 1, f"lathe {ours_correct}/{n}, numpy {numpy_correct}/{n}")
        steps = float((ours_out.argmax(-1) == numpy_out.argmax(-1)).mean())
        report.check(f"{name}: per-step argmax agrees with numpy's on ≥ 99.5% of steps", steps >= 0.995,
                     f"{steps:.4f}")
        table.append((sample, f"LSTM {label} (CTC strings)", ours_correct / n, numpy_correct / n))


def check_added_bias_codes(report, lathe, tmp):
    """digits_mlp (MatMuls without a bias) at int3 GPTQ + bias correction: Lathe's fake export holds numpy's codes
    (≥ 99.9%) and, per layer, an added bias equal to numpy's (W − Ŵ)·E[x]."""
    sample = "digits_mlp"
    reference = RecoveryReference(sample)
    settings = {"bits": 3, "method": "gptq", "bias_correction": True}
    config_path = Path(tmp) / "added_bias.json"
    config_path.write_text(json.dumps({"version": 1, "defaults": settings}))
    ours, error = fake_export(lathe, sample, config_path, Path(tmp) / "added_bias.onnx")
    if ours is None:
        report.fail(f"{sample}: lathe export --format fake of {settings}", error)
        return
    for lay in reference.layers:
        _, stats = reference.stats[lay["name"]]
        weight = reference.weights[lay["name"]]
        theirs = recovery.compress(weight, lay, dict(settings), stats)
        check_codes(report, f"{sample} [int3 gptq+bias]", lay, ours[lay["name"]], theirs, verbose=False)
        added = recovery.added_bias(weight, theirs, lay, stats)
        written = [v for k, v in ours.items() if k.startswith(lay["name"] + "_lathe_bias")]
        close = len(written) == 1 and np.allclose(written[0].reshape(-1), added, rtol=1e-4, atol=1e-6)
        report.check(f"{sample} [int3 gptq+bias]: {lay['name']}'s added bias equals numpy's", close,
                     f"{len(written)} written" + (f", max diff {np.abs(written[0].reshape(-1) - added).max():.3g}"
                                                   if written else ""))


def check_bad(report, lathe, tmp):
    cases = [("mobilenet", {"bits": 3, "grid": "nf4"}, "grid"),
             ("mobilenet", {"clusters": 16, "method": "gptq"}, "method"),
             ("mobilenet", {"bits": 4, "grid": "pow2", "scheme": "asymmetric"}, "grid"),
             ("mobilenet", {"bits": 4, "method": "obq"}, "method"),
             ("mobilenet", {"prune": 0.5, "structure": "channel", "prune_method": "sparsegpt"}, "prune_method"),
             ("mobilenet", {"bits": 4, "prune_method": "sparsegpt"}, "prune_method")]
    for i, (sample, defaults, key) in enumerate(cases):
        path = Path(tmp) / f"bad_{i}.json"
        path.write_text(json.dumps({"version": 1, "defaults": defaults}))
        folder = Path("samples") / sample
        code, _, err = run([lathe, "eval", str(folder / "model.onnx"), "--data", str(folder / "data.npz"),
                            "--config", str(path)])
        report.check(f"bad config {defaults} on {sample} exits 2 naming '{key}'",
                     code == 2 and key in err and "error" in err, f"exit {code}: {short(err)}")


def config_plan(config):
    """A v1 config as JSON (`lathe search --pareto --json` points) → {layer: settings}; the search writes
    one rule per layer, by exact name."""
    plan = {}
    for name, settings in config.get("layers", {}).items():
        plan[name] = {k: v for k, v in settings.items()}
    return plan


def check_search(report, lathe, tmp, sample="mobilenet"):
    """`lathe search --max-drop 0.01 --pareto` on the MobileNet-style sample: numpy (GPTQ included) and
    onnxruntime reproduce every point of the front within one sample; the chosen point holds the drop and is
    at most 0.6x uniform int8; the front dominates uniform int8, int4 and fp16."""
    reference = RecoveryReference(sample)
    n = len(reference.y)
    folder = Path("samples") / sample
    env = dict(os.environ, XDG_CACHE_HOME=str(Path(tmp) / "search-cache"))
    proc = subprocess.run([str(lathe), "search", str(folder / "model.onnx"), "--data", str(folder / "data.npz"),
                           "--max-drop", "0.01", "--pareto", "--json"], capture_output=True, text=True, env=env,
                          timeout=1800)
    if proc.returncode != 0:
        report.fail(f"{sample}: lathe search --pareto", f"exit {proc.returncode}: {short(proc.stderr)}")
        return
    result = json.loads(proc.stdout)
    chosen = result["result"]
    fp32 = result["baseline"]["value"]
    report.check(f"{sample}: search meets --max-drop 0.01", chosen["satisfied"] and chosen["value"] >= fp32 - 0.01,
                 f"{chosen['value']:.4f} vs fp32 {fp32:.4f}")
    report.check(f"{sample}: search size <= 0.6x uniform int8 at a 1-point drop", chosen["size_vs_int8"] <= 0.6,
                 f"{chosen['size_bytes']} vs {chosen['int8_size_bytes']} bytes ({chosen['size_vs_int8']:.3f})")
    points = result["points"]
    sizes = [p["size_bytes"] for p in points]
    values = [p["metric"]["value"] for p in points]
    report.check(f"{sample}: front sizes strictly increasing, values strictly increasing",
                 all(a < b for a, b in zip(sizes, sizes[1:])) and all(a < b for a, b in zip(values, values[1:])),
                 f"{list(zip(sizes, values))}")
    for index, point in enumerate(points):
        predictions = reference.evaluate_plan(config_plan(point["config"]), Path(tmp) / f"front_{index}.onnx")
        correct = int((predictions == reference.y).sum())
        ours = int(round(point["metric"]["value"] * n))
        report.check(f"{sample}: front point {index} ({point['label']}) top-1 equals numpy/onnxruntime's within one sample",
                     abs(ours - correct) <= 1, f"lathe {ours}/{n}, numpy {correct}/{n}")
    for reference_point in result["references"]:
        dominated = any(p["size_bytes"] <= reference_point["size_bytes"]
                        and p["metric"]["value"] >= reference_point["metric"]["value"] for p in points)
        report.check(f"{sample}: the front dominates {reference_point['label']}", dominated,
                     f"{reference_point['size_bytes']} B at {reference_point['metric']['value']:.4f}")
    report.check(f"{sample}: uniform int8, int4 and fp16 were measured",
                 {p["label"] for p in result["references"]} == {"uniform int8", "uniform int4", "uniform fp16"})
    print(f"search on {sample}: {len(points)} front points, chosen {chosen['size_bytes']} B "
          f"({chosen['size_vs_int8']:.3f} of int8) at top-1 {chosen['value']:.4f} (fp32 {fp32:.4f}), "
          f"{result['evaluations']} evaluations")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lathe", help="path to the lathe binary")
    parser.add_argument("--samples", nargs="*", default=list(SAMPLES))
    parser.add_argument("--skip-extra", action="store_true",
                        help="only the per-sample configurations (no ConvTranspose, added-bias or search checks)")
    parser.add_argument("--write-expected", action="store_true",
                        help="write samples/NAME/recovery.json from the numpy results")
    args = parser.parse_args()
    lathe = lathe_from_args(parser, args)
    report = Report()
    table = []
    with tempfile.TemporaryDirectory() as tmp:
        for sample in args.samples:
            reference = RecoveryReference(sample)
            n = len(reference.y)
            expected_path = Path("samples") / sample / "recovery.json"
            stored = json.loads(expected_path.read_text()) if expected_path.exists() else None
            expected = {"samples": n, "calibration_samples": CALIBRATION, "configs": {}}
            for index, (label, defaults) in enumerate(configs(sample)):
                name = f"{sample} [{label}]"
                config_path = Path(tmp) / f"{sample}_{index}.json"
                config_path.write_text(json.dumps({"version": 1, "defaults": defaults}))
                predictions = reference.evaluate_settings(dict(defaults), Path(tmp) / f"{sample}_{index}.onnx")
                correct = int((predictions == reference.y).sum())
                expected["configs"][label] = {"defaults": defaults, "correct": correct}
                outputs = Path(tmp) / f"{sample}_{index}.npy"
                result, error = lathe_eval(lathe, sample, config_path, outputs)
                if result is None:
                    report.fail(name, error)
                    continue
                lathe_correct = int(round(result["sets"][0]["top1"] * n)) if "sets" in result \
                    else int(round(result["top1"] * n))
                ours = np.load(outputs)
                ours = ours.reshape(len(ours), -1).argmax(1)
                agreement = float((ours == predictions).mean())
                report.check(f"{name}: top-1 equals numpy's within one sample",
                             abs(lathe_correct - correct) <= 1, f"lathe {lathe_correct}/{n}, numpy {correct}/{n}")
                report.check(f"{name}: predictions agree with numpy's on ≥ 99.5% of samples",
                             agreement >= 0.995, f"{agreement:.4f}")
                table.append((sample, label, lathe_correct / n, correct / n))
            if args.write_expected:
                expected_path.write_text(json.dumps(expected, indent=1) + "\n")
                print(f"wrote {expected_path}")
            else:
                report.check(f"{expected_path} holds these numpy results (else rerun with --write-expected)",
                             stored == expected, "stale or missing")
        check_bad(report, lathe, tmp)
        if not args.skip_extra:
            check_added_bias_codes(report, lathe, tmp)
            check_conv_transpose(report, lathe, tmp, table)
            check_recurrent(report, lathe, tmp, table)
            check_search(report, lathe, tmp)
    print("\nrecovery table (top-1, or MSE where marked; lathe / numpy):")
    for sample, label, ours, theirs in table:
        print(f"  {sample:12s} {label:28s} {ours:.4f} / {theirs:.4f}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
