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
Bad combinations (nf4 at 3 bits, gptq with clusters, bias correction of a MatMul that adds
no bias) exit 2 naming the key. Prints the recovery table (round-to-nearest against
GPTQ, bias correction and both) from the Lathe runs.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compression_reference as ref  # noqa: E402
import recovery_reference as recovery  # noqa: E402
from crosscheck_compression import Reference, lathe_json  # noqa: E402
from crosscheck_engine import Report, lathe_from_args, run, short  # noqa: E402

CALIBRATION = 256
SAMPLES = ("mobilenet", "lenet5", "mobilenetv3", "digits_mlp")


def configs(sample):
    """(label, defaults) per configuration; digits_mlp's MatMuls add no bias, so no bias correction there."""
    bias = sample != "digits_mlp"
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
    if bias:
        out += [("int4 bias", {"bits": 4, "bias_correction": True}),
                ("int4 gptq+bias", {"bits": 4, "method": "gptq", "bias_correction": True}),
                ("int3 gptq+bias", {"bits": 3, "method": "gptq", "bias_correction": True}),
                ("int4 prune 0.5 bias", {"bits": 4, "prune": 0.5, "structure": "unstructured",
                                         "bias_correction": True})]
    return out


class RecoveryReference(Reference):
    def __init__(self, name):
        super().__init__(name)
        self.stats = self.layer_statistics()

    def layer_statistics(self):
        model = self.deployed.runnable
        nodes = {lay["name"]: self.layer_node(model, lay["name"]) for lay in self.layers}
        seen = self.layer_inputs(model, nodes, self.x[:CALIBRATION])
        return {lay["name"]: (nodes[lay["name"]],
                              recovery.input_statistics(nodes[lay["name"]], lay,
                                                        seen[self.data_input(nodes[lay["name"]], lay["name"])]))
                for lay in self.layers}

    def bias_name(self, node):
        return node.input[2] if node.op_type in ("Conv", "Gemm") and len(node.input) > 2 else None

    def evaluate_settings(self, settings, path):
        return self.evaluate_plan({lay["name"]: settings for lay in self.layers}, path)

    def evaluate_plan(self, plan, path):
        """Predictions with each layer compressed by its own settings (a layer absent from `plan` stays float)."""
        compressed = {}
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
        onnx.save(self.model_with(compressed), str(path))
        return self.predictions(onnx.load(str(path)))


def lathe_eval(lathe, sample, config_path, outputs):
    folder = Path("samples") / sample
    return lathe_json(lathe, ["eval", str(folder / "model.onnx"), "--data", str(folder / "data.npz"),
                              "--config", str(config_path), "--json", "--save-outputs", str(outputs)])


def check_bad(report, lathe, tmp):
    cases = [("mobilenet", {"bits": 3, "grid": "nf4"}, "grid"),
             ("mobilenet", {"clusters": 16, "method": "gptq"}, "method"),
             ("mobilenet", {"bits": 4, "grid": "pow2", "scheme": "asymmetric"}, "grid"),
             ("digits_mlp", {"bits": 4, "bias_correction": True}, "bias_correction"),
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
        check_search(report, lathe, tmp)
    print("\nrecovery table (top-1, lathe / numpy):")
    for sample, label, ours, theirs in table:
        print(f"  {sample:12s} {label:28s} {ours:.4f} / {theirs:.4f}")
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
