#!/usr/bin/env python3
"""Whole-process time of `lathe eval` versus onnxruntime on the bundled samples.

For each sample (the CNNs on 2,000 MNIST images, and the digits MLP), times
  lathe:        `lathe eval MODEL --data DATA --batch 32 --json`
  onnxruntime:  `python -c ...` that reads the same npz itself and runs the model
                in batches of 32 with intra_op_num_threads=2
as whole processes (start-up, loading and evaluation included), best of 3 each,
prints a table with the ratio lathe / onnxruntime, and writes bench-results.json
in the current directory. Both report top-1, which must agree.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
MODELS = ["lenet5", "mobilenet", "digits_mlp"]
BATCH = 32
THREADS = 2

ORT_SCRIPT = f"""
import json, sys
import numpy as np
import onnxruntime as ort
opts = ort.SessionOptions()
opts.intra_op_num_threads = {THREADS}
opts.inter_op_num_threads = 1
sess = ort.InferenceSession(sys.argv[1], sess_options=opts, providers=["CPUExecutionProvider"])
name = sess.get_inputs()[0].name
with np.load(sys.argv[2]) as data:
    x = data["x"].astype(np.float32)
    y = data["y"]
out = np.concatenate([sess.run(None, {{name: x[i:i + {BATCH}]}})[0] for i in range(0, len(x), {BATCH})])
print(json.dumps({{"top1": float((out.argmax(1) == y).mean()), "samples": len(x)}}))
"""


def timed(cmd):
    start = time.perf_counter()
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"`{' '.join(map(str, cmd))}` exited {proc.returncode}: {proc.stderr.strip()[:400]}")
    return elapsed, proc.stdout


def best_of(cmd, repeats):
    runs, out = [], ""
    for _ in range(repeats):
        elapsed, out = timed(cmd)
        runs.append(elapsed)
    return min(runs), runs, json.loads(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lathe", required=True, help="path to the lathe binary")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", default="bench-results.json")
    args = parser.parse_args()
    lathe = Path(args.lathe)
    if not (lathe.is_file() and os.access(lathe, os.X_OK)):
        print(f"error: {lathe}: no executable lathe binary there", file=sys.stderr)
        return 2

    results = []
    header = f"{'model':<12} {'samples':>7} {'lathe s':>9} {'ort s':>9} {'lathe/ort':>10} {'top-1 lathe':>12} {'top-1 ort':>10}"
    print(header)
    print("-" * len(header))
    failed = False
    for name in MODELS:
        model = SAMPLES / name / "model.onnx"
        data = SAMPLES / name / "data.npz"
        try:
            lathe_best, lathe_runs, lathe_js = best_of(
                [lathe, "eval", model, "--data", data, "--batch", BATCH, "--json"], args.repeats)
            ort_best, ort_runs, ort_js = best_of([sys.executable, "-c", ORT_SCRIPT, model, data], args.repeats)
        except (RuntimeError, json.JSONDecodeError) as error:
            print(f"{name:<12} error: {error}")
            failed = True
            continue
        ratio = lathe_best / ort_best
        lathe_top1 = lathe_js.get("top1")
        print(f"{name:<12} {ort_js['samples']:>7} {lathe_best:>9.3f} {ort_best:>9.3f} {ratio:>10.2f} "
              f"{lathe_top1 if lathe_top1 is None else format(lathe_top1, '.4f'):>12} {ort_js['top1']:>10.4f}")
        if lathe_top1 is None or abs(lathe_top1 - ort_js["top1"]) > 1e-9:
            failed = True
        results.append({"model": name, "samples": ort_js["samples"], "batch": BATCH, "threads": THREADS,
                        "lathe_seconds": lathe_best, "ort_seconds": ort_best, "ratio_lathe_over_ort": ratio,
                        "lathe_runs": lathe_runs, "ort_runs": ort_runs,
                        "lathe_top1": lathe_top1, "ort_top1": ort_js["top1"]})
    Path(args.output).write_text(json.dumps({"repeats": args.repeats, "results": results}, indent=2) + "\n")
    print(f"wrote {args.output}")
    if failed:
        print("error: a run failed or top-1 differs between lathe and onnxruntime", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
