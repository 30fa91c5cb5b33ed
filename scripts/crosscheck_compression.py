#!/usr/bin/env python3
"""Cross-check `lathe eval --config` against numpy + onnxruntime, live.

For the bundled samples lenet5, mobilenet and digits_mlp, and a set of
configuration files (written here as JSON, or as YAML text by hand) covering
2/3/4/8 bits, symmetric and asymmetric, per-channel and per-tensor, mse and
percentile ranges, globs (exact names over globs, later globs over earlier),
unstructured / channel / 2:4 pruning, weight sharing (own and shared
codebooks), low-rank, fp16/bf16 and activation bits:

  * numpy (scripts/compression_reference.py) compresses the deployed weights —
    BatchNormalization folded first, as the engine deploys them
    (scripts/deployed_model.py) — the compressed model is written with the
    `onnx` package and run in onnxruntime (activation bits as explicit
    Div/Round/Add/Clip/Sub/Mul fake quantization, ranges calibrated on the first
    `--calib-samples` samples, as the definitions say);
  * `lathe eval MODEL --data DATA --config CFG --json` must give the same top-1
    within one sample (|Δ correct| ≤ 1) and the same agreement with the
    uncompressed model within one sample;
  * `size_bytes` equals the size model computed here from DESIGN.md, and
    `compression_ratio == baseline_size_bytes / size_bytes`; `lathe inspect
    MODEL --config CFG --json` gives the same per-layer sizes, with a breakdown
    (payload, scales, zero_points, codebook, index) that adds up;
  * ratios are plausible: int8 per-channel 3.3–4.0× on the CNN samples, int4
    5.5–8× on every sample; pruning (unstructured, channel, 2:4) raises the ratio.
Bad configurations (a typo in a layer name, `bits: 0`, `prune: 1.5`, an unknown
key, a glob matching nothing) must exit 2 with `error: FILE:LINE: KEY: ...` and
a suggestion.

One line per check (PASS / FAIL), then `N passed, M failed`; exit 1 on failure.
"""

import argparse
import json
import math
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compression_reference as ref  # noqa: E402
import deployed_model  # noqa: E402
from crosscheck_engine import Report, lathe_from_args, ort_session, run, short  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
CALIBRATION_SAMPLES = 256
CNN_SAMPLES = ("lenet5", "mobilenet")


# --------------------------------------------------------------------------- configurations

def sample_configs(name, layers):
    """(label, config dict or YAML text) for one sample; globs and exact names are model-specific."""
    names = [layer["name"] for layer in layers]
    biggest = max(layers, key=lambda layer: int(np.prod(layer["shape"])))["name"]
    glob = {"lenet5": "conv*", "mobilenet": "*depthwise*", "digits_mlp": "fc[23]*"}[name]
    low_rank = {"lenet5": "fc*", "mobilenet": "*pointwise*", "digits_mlp": "*"}[name]
    configs = [
        ("int8", {"defaults": {"bits": 8}}),
        ("int4", {"defaults": {"bits": 4}}),
        ("int8 asymmetric per-tensor", {"defaults": {"bits": 8, "scheme": "asymmetric", "granularity": "per-tensor"}}),
        ("int4 asymmetric", {"defaults": {"bits": 4, "scheme": "asymmetric"}}),
        ("int8 + int2 asymmetric on the biggest layer",
         {"defaults": {"bits": 8}, "layers": {biggest: {"bits": 2, "scheme": "asymmetric"}}}),
        ("int3 asymmetric", {"defaults": {"bits": 3, "scheme": "asymmetric"}}),
        ("int4 range mse", {"defaults": {"bits": 4, "range": "mse"}}),
        ("int4 range percentile 99.9", {"defaults": {"bits": 4, "range": "percentile", "percentile": 99.9}}),
        ("globs (YAML)", "\n".join([
            "# exact names win over globs, later globs over earlier",
            "version: 1",
            f"model: samples/{name}/model.onnx",
            "defaults: {bits: 8}",
            "layers:",
            '  "*": {bits: 6}',
            f'  "{glob}": {{bits: 4, granularity: per-tensor}}',
            f'  "{names[0]}": {{bits: 8, scheme: asymmetric}}',
            ""])),
        ("prune 0.2 unstructured", {"defaults": {"prune": 0.2}}),
        ("int8 + prune 0.4", {"defaults": {"bits": 8, "prune": 0.4}}),
        ("int8 + channel prune 0.05", {"defaults": {"bits": 8, "prune": 0.05, "structure": "channel"}}),
        ("int8 + 2:4", {"defaults": {"bits": 8, "structure": "2:4"}}),
        ("clusters 16", {"defaults": {"clusters": 16}}),
        ("clusters 32, one shared codebook, prune 0.3",
         {"defaults": {"clusters": 32, "share_group": "all", "prune": 0.3}}),
        ("fp16", {"defaults": {"bits": "fp16"}}),
        ("bf16", {"defaults": {"bits": "bf16"}}),
        ("low-rank 0.5 + int8 on " + low_rank, {"defaults": {"bits": 8}, "layers": {low_rank: {"rank": 0.5, "bits": 8}}}),
        ("int8 weights + 8-bit activations", {"defaults": {"bits": 8, "abits": 8}}),
        ("int4 + 6-bit activations on the glob", {"defaults": {"bits": 4}, "layers": {glob: {"bits": 4, "abits": 6}}}),
    ]
    return configs


def write_config(tmp, sample, index, config):
    """Writes a config (dict → JSON, str → YAML as given); returns its path and the parsed dict."""
    if isinstance(config, str):
        path = Path(tmp) / f"{sample}_{index:02d}.yaml"
        path.write_text(config)
        return path, parse_flow_yaml(config)
    body = {"version": 1, "model": f"samples/{sample}/model.onnx"}
    body.update(config)
    path = Path(tmp) / f"{sample}_{index:02d}.json"
    path.write_text(json.dumps(body, indent=2) + "\n")
    return path, body


def parse_flow_yaml(text):
    """The tiny YAML subset written above (no PyYAML here): `key: value`, `key: {a: 1, b: x}`,
    and a `layers:` block of `"name": {...}` lines."""
    def scalar(v):
        v = v.strip().strip('"')
        for cast in (int, float):
            try:
                return cast(v)
            except ValueError:
                pass
        return v

    def flow(v):
        v = v.strip()
        if not v.startswith("{"):
            return scalar(v)
        inner = v[1:-1].strip()
        return {k.strip(): scalar(x) for k, x in (item.split(":", 1) for item in inner.split(",") if item.strip())}

    result, layers = {}, None
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line.startswith("  ") and layers is not None:
            key, value = line.strip().split(": ", 1)
            layers[key.strip('"')] = flow(value)
        else:
            key, value = line.split(":", 1)
            if key == "layers" and not value.strip():
                layers = result["layers"] = {}
            else:
                result[key] = flow(value)
    return result


# --------------------------------------------------------------------------- numpy + onnxruntime side

def settings_bits(settings):
    return str(settings.get("bits", 32))


def payload_bits(settings, itemsize):
    if "clusters" in settings:
        return max(0, math.ceil(math.log2(int(settings["clusters"]))))
    bits = settings_bits(settings)
    if bits in ("fp16", "bf16"):
        return 16
    return 8 * itemsize if bits == "32" else int(bits)


def is_integer_quantized(settings):
    return "clusters" not in settings and settings_bits(settings) not in ("32", "fp16", "bf16")


def two_four_kept(shape, axis):
    length = shape[axis]
    lines = int(np.prod(shape)) // length if length else 0
    return lines * ((length // 4) * 2 + min(length % 4, 2))


def layer_size(layer, settings, itemsize, include_codebook):
    """DESIGN.md "Size model" for one layer: {payload, scales, zero_points, codebook, index}."""
    n = int(np.prod(layer["shape"]))
    size = {"payload": 0, "scales": 0, "zero_points": 0, "codebook": 0, "index": 0}
    changes = ("clusters" in settings or ref.is_pruned(settings) or float(settings.get("rank", 1)) < 1
               or settings_bits(settings) != "32")
    if not changes:
        size["payload"] = n * itemsize
        return size
    bits = payload_bits(settings, itemsize)
    asymmetric = settings.get("scheme", "symmetric") == "asymmetric"
    per_channel = settings.get("granularity", "per-channel") == "per-channel"
    rows = layer["shape"][layer["channelAxis"]]
    if float(settings.get("rank", 1)) < 1:
        columns = n // rows
        k = ref.kept_rank(float(settings["rank"]), rows, columns)
        if k < min(rows, columns):
            stored = k * (rows + columns)
            size["payload"] = (stored * bits + 7) // 8
            if is_integer_quantized(settings):
                scales = rows + k if per_channel else 2
                size["scales"] = 4 * scales
                size["zero_points"] = scales if asymmetric else 0
            return size
    kept_channels, stored = rows, n
    if ref.is_pruned(settings):
        structure = settings.get("structure", "unstructured")
        if structure == "2:4":
            stored = two_four_kept(layer["shape"], layer["reductionAxis"])
            size["index"] = (2 * stored + 7) // 8
        elif structure == "channel":
            kept_channels = rows - ref.removed_count(float(settings["prune"]), rows)
            stored = n // rows * kept_channels
        else:
            removed = ref.removed_count(float(settings["prune"]), n)
            stored = n - removed
            if removed:
                size["index"] = (min(n, 32 * stored) + 7) // 8
    size["payload"] = (stored * bits + 7) // 8
    if "clusters" in settings:
        size["codebook"] = 4 * int(settings["clusters"]) if include_codebook else 0
    elif is_integer_quantized(settings):
        scales = kept_channels if per_channel else 1
        size["scales"] = 4 * scales
        size["zero_points"] = scales if asymmetric else 0
    return size


def expected_sizes(deployed, plan):
    """Per-layer breakdowns and the model total under `plan`."""
    layer_names = {layer["name"] for layer in deployed.layers}
    per_layer, groups = {}, set()
    for layer in deployed.layers:
        settings = plan[layer["name"]]
        first_of_group = True
        if "clusters" in settings and "share_group" in settings:
            first_of_group = settings["share_group"] not in groups
            groups.add(settings["share_group"])
        itemsize = np.dtype(deployed.stored_dtype[layer["name"]]).itemsize
        per_layer[layer["name"]] = layer_size(layer, settings, itemsize, first_of_group)
    other = sum(deployed.tensor_bytes(name) for name in deployed.tensors if name not in layer_names)
    total = other + sum(sum(s.values()) for s in per_layer.values())
    return per_layer, other, total


class Reference:
    """onnxruntime on the deployed (BN-folded) sample, with weights and activations replaced."""

    def __init__(self, name):
        folder = SAMPLES / name
        self.proto = onnx.load(str(folder / "model.onnx"))
        self.deployed = deployed_model.deploy(self.proto)
        with np.load(folder / "data.npz") as f:
            self.x = f["x"].astype(np.float32)
            self.y = f["y"].astype(np.int64)
        self.input = deployed_model.data_inputs(self.proto)[0]
        self.layers = self.deployed.layers
        self.weights = {layer["name"]: self.deployed.tensors[layer["name"]].astype(np.float32)
                        for layer in self.layers}
        self.baseline = self.predictions(self.deployed.runnable)

    def model_with(self, compressed):
        model = onnx.ModelProto()
        model.CopyFrom(self.deployed.runnable)
        for tensor in model.graph.initializer:
            if tensor.name in compressed:
                tensor.CopyFrom(numpy_helper.from_array(compressed[tensor.name].astype(np.float32), tensor.name))
        return model

    def layer_node(self, model, layer_name):
        for node in model.graph.node:
            if node.op_type in deployed_model.LAYER_OPS and layer_name in node.input[:2]:
                return node
        raise KeyError(layer_name)

    def data_input(self, node, layer_name):
        return node.input[1] if node.op_type == "MatMul" and node.input[0] == layer_name else node.input[0]

    def run(self, model, outputs=None, x=None):
        sess = ort_session(model.SerializeToString())
        names = outputs or [sess.get_outputs()[0].name]
        return sess.run(names, {self.input: self.x if x is None else x})

    def predictions(self, model):
        out = self.run(model)[0]
        return out.reshape(len(out), -1).argmax(1)

    def layer_inputs(self, model, nodes, x):
        """{data input name: its value on x} for the layers' nodes ({layer name: node}), read by
        onnxruntime from `model` with those values added as outputs."""
        values = sorted({self.data_input(node, name) for name, node in nodes.items()})
        probe = onnx.ModelProto()
        probe.CopyFrom(model)
        known = {o.name for o in probe.graph.output}
        for value in values:
            if value not in known:
                probe.graph.output.append(helper.make_tensor_value_info(value, onnx.TensorProto.FLOAT, None))
        return dict(zip(values, self.run(probe, values, x)))

    def with_activation_bits(self, model, plan, calibration):
        """Fake-quantizes each `abits` layer's input: asymmetric per tensor, range = min/max of that
        input over the first `calibration` samples with the compressed weights and float activations."""
        wanted = [layer["name"] for layer in self.layers if plan[layer["name"]].get("abits") not in (None, 32)]
        if not wanted:
            return model
        nodes = {name: self.layer_node(model, name) for name in wanted}
        seen = self.layer_inputs(model, nodes, self.x[:calibration])
        for name in wanted:
            node = nodes[name]
            value = self.data_input(node, name)
            observed = seen[value]
            grid = ref.asymmetric_grid(int(plan[name]["abits"]), np.float32(observed.min()), np.float32(observed.max()))
            _, levels, scale, zp = grid
            prefix = f"{name}__abits"
            consts = {f"{prefix}_scale": scale, f"{prefix}_zp": zp, f"{prefix}_zero": np.float32(0),
                      f"{prefix}_levels": levels}
            model.graph.initializer.extend(numpy_helper.from_array(np.array(v, np.float32), k) for k, v in consts.items())
            steps = [
                helper.make_node("Div", [value, f"{prefix}_scale"], [f"{prefix}_q"]),
                helper.make_node("Round", [f"{prefix}_q"], [f"{prefix}_r"]),
                helper.make_node("Add", [f"{prefix}_r", f"{prefix}_zp"], [f"{prefix}_s"]),
                helper.make_node("Clip", [f"{prefix}_s", f"{prefix}_zero", f"{prefix}_levels"], [f"{prefix}_c"]),
                helper.make_node("Sub", [f"{prefix}_c", f"{prefix}_zp"], [f"{prefix}_d"]),
                helper.make_node("Mul", [f"{prefix}_d", f"{prefix}_scale"], [f"{prefix}_out"]),
            ]
            position = list(node.input).index(value)
            node.input[position] = f"{prefix}_out"
            index = list(model.graph.node).index(node)
            for offset, step in enumerate(steps):
                model.graph.node.insert(index + offset, step)
        return model

    def evaluate(self, config, calibration, onnx_path):
        """Compresses in numpy, writes the compressed ONNX with the onnx package and runs that file
        in onnxruntime: (plan, correct predictions, predictions agreeing with the uncompressed model)."""
        names = [layer["name"] for layer in self.layers]
        plan = ref.resolve_plan(names, config)
        compressed = ref.compress_model(self.weights, self.layers, plan)
        model = self.with_activation_bits(self.model_with(compressed), plan, calibration)
        onnx.save(model, str(onnx_path))
        predictions = self.predictions(onnx.load(str(onnx_path)))
        return plan, int((predictions == self.y).sum()), int((predictions == self.baseline).sum())


# --------------------------------------------------------------------------- lathe side

def lathe_json(lathe, args):
    code, out, err = run([lathe] + args)
    if code != 0:
        return None, f"exit {code}: {short(err)}"
    try:
        return json.loads(out), None
    except json.JSONDecodeError as error:
        return None, f"stdout is not JSON ({error}): {short(out)}"


def check_config(report, lathe, tmp, sample, reference, label, config_path, config, ratios, table, calibration):
    name = f"{sample} [{label}]"
    plan, correct, agreeing = reference.evaluate(config, calibration, Path(tmp) / f"{config_path.stem}.onnx")
    n = len(reference.y)
    args = ["eval", SAMPLES / sample / "model.onnx", "--data", SAMPLES / sample / "data.npz", "--config", config_path,
            "--json"]
    if calibration != CALIBRATION_SAMPLES:
        args += ["--calib-samples", str(calibration)]
    js, problem = lathe_json(lathe, args)
    if problem:
        report.fail(f"{name} eval", problem)
        return
    lathe_correct = round(js["top1"] * n)
    lathe_agreeing = round(js["agreement"] * n)
    report.check(f"{name} top-1", abs(lathe_correct - correct) <= 1,
                 f"lathe {lathe_correct}/{n}, onnxruntime {correct}/{n}")
    report.check(f"{name} agreement", abs(lathe_agreeing - agreeing) <= 1,
                 f"lathe {lathe_agreeing}/{n}, onnxruntime {agreeing}/{n} with the uncompressed model")
    per_layer, other, total = expected_sizes(reference.deployed, plan)
    base, size, ratio = js["baseline_size_bytes"], js["size_bytes"], js["compression_ratio"]
    problems = []
    if base != reference.deployed.baseline_bytes:
        problems.append(f"baseline_size_bytes {base} != deployed {reference.deployed.baseline_bytes}")
    if size != total:
        problems.append(f"size_bytes {size} != size model {total}")
    if ratio != base / size:
        problems.append(f"compression_ratio {ratio!r} != baseline/size {base / size!r}")
    report.check(f"{name} size", not problems, "; ".join(problems) or f"{size} B of {base} B, ratio {ratio:.4f}")
    ratios[label] = ratio
    table.append((sample, label, correct, lathe_correct, agreeing, lathe_agreeing, size, ratio))

    inspected, problem = lathe_json(lathe, ["inspect", SAMPLES / sample / "model.onnx", "--config", config_path,
                                            "--json"])
    if problem:
        report.fail(f"{name} inspect --config", problem)
        return
    problems = []
    for entry in inspected.get("layers", []):
        want = per_layer.get(entry.get("name"))
        got = entry.get("size_breakdown")
        if want is None or got != want:
            problems.append(f"{entry.get('name')}: {got} != size model {want}")
        elif entry.get("size_bytes") != sum(want.values()):
            problems.append(f"{entry.get('name')}: size_bytes {entry.get('size_bytes')} != sum of its breakdown")
    if len(inspected.get("layers", [])) != len(per_layer):
        problems.append(f"{len(inspected.get('layers', []))} layers, expected {len(per_layer)}")
    for key, want in (("size_bytes", size), ("baseline_size_bytes", base), ("compression_ratio", ratio),
                      ("other_bytes", other)):
        if inspected.get(key) != want:
            problems.append(f"{key} {inspected.get(key)} != {want}")
    report.check(f"{name} inspect --config", not problems,
                 "; ".join(problems[:4]) or f"{len(per_layer)} layers' breakdowns match the size model and eval")


def check_ratios(report, sample, ratios):
    def within(label, lo, hi):
        value = ratios.get(label)
        report.check(f"{sample} ratio {label} in {lo}–{hi}x", value is not None and lo <= value <= hi,
                     f"{value:.3f}x" if value is not None else "not measured")

    if sample in CNN_SAMPLES:
        within("int8", 3.3, 4.0)
    within("int4", 5.5, 8.0)
    for pruned, base in (("int8 + prune 0.4", "int8"), ("int8 + channel prune 0.05", "int8"),
                         ("int8 + 2:4", "int8"), ("prune 0.2 unstructured", None)):
        a, b = ratios.get(pruned), ratios.get(base, 1.0) if base else 1.0
        report.check(f"{sample} pruning raises the ratio: {pruned} > {base or 'uncompressed'}",
                     a is not None and b is not None and a > b,
                     f"{a:.3f}x vs {b:.3f}x" if a is not None and b is not None else "not measured")


# --------------------------------------------------------------------------- bad configurations

BAD_CONFIGS = [
    ("typo in a layer name", "version: 1\ndefaults: {bits: 8}\nlayers:\n  conv1.wieght: {bits: 4}\n",
     4, "conv1.wieght", "did you mean 'conv1.weight'"),
    ("bits: 0", "version: 1\ndefaults:\n  bits: 0\n", 3, "bits", "use 1–16"),
    ("prune: 1.5", "version: 1\nlayers:\n  fc1.weight:\n    bits: 8\n    prune: 1.5\n", 5, "prune", "use a ratio"),
    ("unknown key", "version: 1\ndefaults: {bits: 8}\nlayers:\n  conv2.weight: {bitz: 4}\n",
     4, "bitz", "did you mean 'bits'"),
    ("glob matching nothing", "version: 1\nlayers:\n  \"*depthwise*\": {bits: 4}\n", 3, "*depthwise*", "matches no layer"),
    ("JSON: unknown key", '{\n  "version": 1,\n  "defaults": {"bits": 8, "sheme": "asymmetric"}\n}\n',
     3, "sheme", "did you mean 'scheme'"),
]


def check_bad_configs(report, lathe, tmp):
    model, data = SAMPLES / "lenet5" / "model.onnx", SAMPLES / "lenet5" / "data.npz"
    for index, (label, text, line, key, hint) in enumerate(BAD_CONFIGS):
        path = Path(tmp) / f"bad_{index}.{'json' if label.startswith('JSON') else 'yaml'}"
        path.write_text(text)
        for command in (["eval", model, "--data", data, "--config", path], ["inspect", model, "--config", path]):
            code, out, err = run([lathe] + command)
            expected = f"error: {path}:{line}: {key}:"
            problems = []
            if code != 2:
                problems.append(f"exit {code}, expected 2")
            if not err.startswith(expected):
                problems.append(f"stderr does not start with {expected!r}")
            if hint not in err:
                problems.append(f"no suggestion {hint!r}")
            if out:
                problems.append(f"stdout not empty: {short(out, 80)}")
            report.check(f"bad config ({command[0]}): {label}", not problems,
                         "; ".join(problems) + (f" — stderr: {short(err, 200)}" if problems else short(err, 200)))


# --------------------------------------------------------------------------- main

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lathe", required=True, help="path to the lathe binary")
    parser.add_argument("--only", default="", help="run only samples whose name contains this text")
    parser.add_argument("--table", action="store_true", help="end with a table of top-1 and ratios per config")
    args = parser.parse_args()
    lathe = lathe_from_args(parser, args)
    report, table = Report(), []
    with tempfile.TemporaryDirectory(prefix="lathe-compression-") as tmp:
        for sample in ("lenet5", "mobilenet", "digits_mlp"):
            if args.only not in sample:
                continue
            try:
                reference = Reference(sample)
            except Exception as error:  # noqa: BLE001 - a crashed check is a failed check
                report.fail(sample, f"reference crashed: {type(error).__name__}: {error}")
                continue
            ratios = {}
            for index, (label, config) in enumerate(sample_configs(sample, reference.layers)):
                path, parsed = write_config(tmp, sample, index, config)
                runs = [(label, CALIBRATION_SAMPLES)]
                if "activations" in label and sample == "digits_mlp":
                    runs.append((f"{label}, --calib-samples 32", 32))  # the flag reaches the calibration
                for run_label, calibration in runs:
                    try:
                        check_config(report, lathe, tmp, sample, reference, run_label, path, parsed, ratios, table,
                                     calibration)
                    except Exception as error:  # noqa: BLE001
                        report.fail(f"{sample} [{run_label}]", f"check crashed: {type(error).__name__}: {error}")
            check_ratios(report, sample, ratios)
        if args.only in "bad configs":
            check_bad_configs(report, lathe, tmp)
    if args.table and table:
        print("\nsample      config                                                     top-1 ort  lathe   agree ort  lathe"
              "      size B   ratio")
        for sample, label, correct, lathe_correct, agreeing, lathe_agreeing, size, ratio in table:
            print(f"{sample:<11} {label:<58} {correct:>9} {lathe_correct:>6} {agreeing:>9} {lathe_agreeing:>6}"
                  f" {size:>11} {ratio:>7.3f}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
