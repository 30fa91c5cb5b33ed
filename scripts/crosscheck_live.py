#!/usr/bin/env python3
"""Cross-check `lathe sensitivity` and `lathe search` against onnxruntime, live.

On the MobileNet sample (BatchNormalization folded in numpy as the engine
deploys it, weights quantized by scripts/compression_reference.py, the model
run by onnxruntime):
  * sensitivity sweep entries (bits 2, 4 and 8, every third layer) give the top-1
    onnxruntime gives for the model with only that layer quantized, within
    one sample; a level that stopped early (it certainly loses the stop
    loss) loses at least that much on all samples by onnxruntime, its value
    is onnxruntime's top-1 on the samples it ran (the first in the sweep's
    order: ascending margin between the fp32 model's top two classes), and
    its bound is what those samples leave reachable; levels that ran only the
    least certain samples (every sample left keeps its prediction by the
    margin stop) are among those checked against all samples, some level does
    so, and each equals the value `--stop-at none` gives by running every
    sample;
  * `lathe search --max-drop 0.01` chooses a configuration whose size is at most
    0.75x uniform int8 and whose onnxruntime top-1 is within one point of fp32
    and within one sample of lathe's own measurement;
  * when `lathe eval` accepts --config, it reports exactly the search's top-1
    for the written configuration.
On a dense model (samples/heatmap, a [N, 1, H, W] map, first 256 samples), `lathe
sensitivity --metric sqnr --bits 2,4 --stop-at none` gives for every layer the SQNR numpy computes on
onnxruntime's outputs with only that layer quantized (within 0.05 dB), and ranks the
layers (by its score) in the order of their measured SQNR drop at 2 bits.

One line per check (PASS / FAIL / SKIP), then `N passed, M failed`; exit 1 on
any failure. Results go to a private XDG cache so nothing of the user's is read.
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
from onnx import numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compression_reference as cr  # noqa: E402
import crosscheck_engine as ce  # noqa: E402
import deployed_model  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "mobilenet"
BATCH = 64


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, label, detail=""):
        print(f"{'PASS' if ok else 'FAIL'} {label}{': ' + detail if detail else ''}")
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def skip(self, label, reason):
        print(f"SKIP {label}: {reason}")


def layer_dict(layer, node_op, trans_b):
    axis = 0 if node_op == "Conv" else (0 if trans_b else 1)
    reduction = 1 if node_op == "Conv" else (1 if trans_b else 0)
    return {"name": layer.name, "op": node_op, "shape": list(layer.weight.shape), "channelAxis": axis,
            "reductionAxis": reduction, "groups": 1}


class Reference:
    """The sample with BN folded; top-1 of any plan of per-layer settings, by onnxruntime."""

    def __init__(self):
        self.proto = onnx.load(str(SAMPLE / "model.onnx"))
        self.layers, _ = ce.expected_layers(self.proto)
        self.folded = ce.folded_model(self.proto, self.layers)
        trans = {}
        for node in self.proto.graph.node:
            if node.op_type in ("Conv", "Gemm") and len(node.input) > 1:
                trans[node.input[1]] = (node.op_type, deployed_model.attribute(node, "transB", 0))
        self.dicts = {l.name: layer_dict(l, *trans[l.name]) for l in self.layers}
        data = ce.load_npz(SAMPLE / "data.npz")
        self.x = data["x"].astype(np.float32)
        self.y = data["y"]
        self.input = ce.data_input_names(self.proto)[0]

    def visited(self, count):
        """The first `count` sample indices in a sweep's order: lathe's evaluation order (round-robin over
        the classes, each class's samples in dataset order, as EvaluationSchedule.interleaved orders them)
        sorted stably by the fp32 model's margin between its two largest logits (MarginStop.order)."""
        queues = [np.flatnonzero(self.y == c) for c in sorted(set(self.y.tolist()))]
        order = np.array([int(q[r]) for r in range(max(len(q) for q in queues)) for q in queues if r < len(q)])
        top2 = np.sort(self.logits({}).astype(np.float64), axis=1)[:, -2:]
        margins = top2[:, 1] - top2[:, 0]
        return order[np.argsort(margins[order], kind="stable")][:count]

    def top1(self, plan, samples=None):
        """Top-1 of `plan` on the first `samples` samples in a sweep's order (all by default)."""
        chosen = np.arange(len(self.x)) if samples is None else self.visited(samples)
        return float((self.logits(plan)[chosen].argmax(1) == self.y[chosen]).mean())

    def logits(self, plan):
        """The model's outputs under `plan` on every sample, by onnxruntime."""
        model = onnx.ModelProto()
        model.CopyFrom(self.folded)
        by_name = {t.name: t for t in model.graph.initializer}
        for layer in self.layers:
            settings = plan.get(layer.name)
            if not settings:
                continue
            stored = f"{layer.name}__folded" if layer.folded else layer.name
            weight = cr.compress(layer.weight, self.dicts[layer.name], settings)
            by_name[stored].CopyFrom(numpy_helper.from_array(weight.astype(np.float32), stored))
        session = ce.ort_session(model.SerializeToString())
        name = session.get_outputs()[0].name
        return np.concatenate([session.run([name], {self.input: self.x[i:i + BATCH]})[0]
                               for i in range(0, len(self.x), BATCH)])


def lathe(binary, *args, env=None):
    proc = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        raise RuntimeError(f"lathe {' '.join(map(str, args))} exited {proc.returncode}: {proc.stderr.strip()[:400]}")
    return proc.stdout


def parse_settings(text):
    """"bits: 5, prune: 0.5, structure: unstructured" → dict (numbers converted)."""
    settings = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, value = (s.strip().strip('"') for s in part.split(":", 1))
        try:
            settings[key] = int(value)
        except ValueError:
            try:
                settings[key] = float(value)
            except ValueError:
                settings[key] = value
    return settings


def check_dense_sweep(report, binary, tmp, env):
    """The sweep of a dense model, scored by SQNR, against numpy on onnxruntime outputs."""
    import crosscheck_metrics as cm
    ref = cm.prepare(ROOT / "samples" / "heatmap", tmp)
    base = ref.outputs["none"]
    sweep = json.loads(lathe(binary, "sensitivity", ref.model, "--data", ref.data, "--metric", "sqnr",
                             "--bits", "2,4", "--stop-at", "none", "--json", env=env))
    measured = {}
    for entry in sweep["layers"]:
        for bits, value in entry["bits"].items():
            out = cm.compressed_output(ref, config={"layers": {entry["name"]: {"bits": int(bits)}}})
            want = cm.sqnr_db(out, base)
            if bits == "2":
                measured[entry["name"]] = want
            ok = value is not None and abs(value - want) <= cm.SQNR_TOLERANCE_DB
            report.check(ok, f"heatmap sweep {entry['name']} bits {bits} (SQNR)",
                         f"lathe {value if value is None else f'{value:.3f}'} dB, numpy {want:.3f} dB")
    by_score = [e["name"] for e in sorted(sweep["layers"], key=lambda e: -(e["score"] or 0))]
    by_drop = sorted(measured, key=lambda name: measured[name])
    report.check(by_score == by_drop, "heatmap sweep ranks layers by their measured SQNR drop at 2 bits",
                 f"lathe {by_score}, numpy {[f'{n} {measured[n]:.2f} dB' for n in by_drop]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lathe", required=True, help="path to the lathe binary")
    args = parser.parse_args()
    report = Report()
    reference = Reference()
    samples = len(reference.y)
    one_sample = 1.0 / samples + 1e-12
    model, data = SAMPLE / "model.onnx", SAMPLE / "data.npz"

    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, XDG_CACHE_HOME=tmp)

        sweep = json.loads(lathe(args.lathe, "sensitivity", model, "--data", data, "--bits", "2,4,8",
                                 "--shard", "1/3", "--json", env=env))
        fp32_ort = reference.top1({})
        report.check(abs(sweep["baseline"]["value"] - fp32_ort) <= one_sample, "sensitivity baseline vs onnxruntime",
                     f"lathe {sweep['baseline']['value']:.4f}, onnxruntime {fp32_ort:.4f}")
        stop_loss = sweep["baseline"]["stop_loss"]
        exact = json.loads(lathe(args.lathe, "sensitivity", model, "--data", data, "--bits", "2,4,8",
                                 "--shard", "1/3", "--stop-at", "none", "--json", env=env))
        exact_values = {entry["name"]: entry["bits"] for entry in exact["layers"]}
        stopped = settled = 0
        for entry in sweep["layers"]:
            for key, ran in entry.get("margin_settled", {}).items():
                settled += 1
                bits = key.split()[1]
                report.check(0 < ran < samples and entry["bits"][bits] == exact_values[entry["name"]][bits],
                             f"sweep {entry['name']} {key} ran its {ran} least certain samples",
                             f"{entry['bits'][bits]:.4f}, every sample {exact_values[entry['name']][bits]:.4f}")
        for entry in sweep["layers"]:
            for bits, value in entry["bits"].items():
                plan = {entry["name"]: {"bits": int(bits)}}
                ort_top1 = reference.top1(plan)
                partial = entry["partial"].get(f"bits {bits}")
                if partial is None:
                    report.check(abs(value - ort_top1) <= one_sample, f"sweep {entry['name']} bits {bits}",
                                 f"lathe {value:.4f}, onnxruntime {ort_top1:.4f}")
                    continue
                # Stopped early: certain to lose the stop loss on every sample, which onnxruntime's whole-set
                # top-1 confirms; its value is top-1 on the samples it ran, its bound what they leave reachable.
                stopped += 1
                k = partial["samples"]
                ort_prefix = reference.top1(plan, samples=k)
                reachable = (ort_prefix * k + samples - k) / samples
                report.check(fp32_ort - ort_top1 >= stop_loss - one_sample,
                             f"sweep {entry['name']} bits {bits} stopped: loses >= {stop_loss} on all samples",
                             f"onnxruntime {ort_top1:.4f} vs fp32 {fp32_ort:.4f}")
                report.check(abs(value - ort_prefix) <= 1.0 / k + 1e-12,
                             f"sweep {entry['name']} bits {bits} on its first {k} samples",
                             f"lathe {value:.4f}, onnxruntime {ort_prefix:.4f}")
                report.check(abs(partial["bound"] - reachable) <= one_sample and partial["bound"] >= ort_top1 - 1e-12,
                             f"sweep {entry['name']} bits {bits} bound",
                             f"lathe {partial['bound']:.4f}, reachable {reachable:.4f}, all samples {ort_top1:.4f}")
        report.check(stopped > 0, "the sweep stops some 2-bit levels early (they lose far more than the stop loss)")
        report.check(settled > 0, "the sweep runs some levels on their least certain samples only (margin stop)")

        out = Path(tmp) / "best.yaml"
        # Round-to-nearest candidates only: this reference quantizes by rtn (GPTQ candidates, and the
        # 0.6x goal they reach, are checked against numpy's GPTQ in crosscheck_recovery.py).
        result = json.loads(lathe(args.lathe, "search", model, "--data", data, "--max-drop", "0.01", "--methods", "rtn",
                                  "--out", out, "--json", env=env))
        chosen = result["result"]
        plan = {name: parse_settings(text) for name, text in chosen["layers"].items()}
        ort_top1 = reference.top1(plan)
        report.check(chosen["satisfied"], "search meets --max-drop 0.01 (lathe's measurement)")
        report.check(chosen["size_vs_int8"] <= 0.75, "search size <= 0.75x uniform int8",
                     f"{chosen['size_bytes']} vs {chosen['int8_size_bytes']} bytes ({chosen['size_vs_int8']:.3f})")
        report.check(abs(chosen["value"] - ort_top1) <= one_sample, "search top-1 vs onnxruntime",
                     f"lathe {chosen['value']:.4f}, onnxruntime {ort_top1:.4f}")
        report.check(ort_top1 >= fp32_ort - 0.01 - 1e-12, "search top-1 within 1 point of fp32 (onnxruntime)",
                     f"{ort_top1:.4f} vs fp32 {fp32_ort:.4f}")
        report.check(out.exists() and "measured:" in out.read_text(), "search wrote the config with measured numbers")

        check_dense_sweep(report, args.lathe, tmp, env)

        help_text = subprocess.run([str(args.lathe), "eval", "--help"], capture_output=True, text=True).stdout
        if "--config" in help_text:
            evaluated = json.loads(lathe(args.lathe, "eval", model, "--data", data, "--config", out, "--json", env=env))
            report.check(evaluated["top1"] == chosen["value"], "lathe eval --config equals the search's top-1",
                         f"eval {evaluated['top1']}, search {chosen['value']}")
        else:
            report.skip("lathe eval --config equals the search's top-1", "this lathe eval has no --config")

    print(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
