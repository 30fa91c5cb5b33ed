#!/usr/bin/env python3
"""Run the ONNX project's own backend node tests against a lathe binary.

The cases come from the installed `onnx` package
(`onnx.backend.test.case.node.collect_testcases()`). A case is applicable when
every op of its model (subgraphs included) is in the supported-op set: `--ops`,
else the list the binary prints (`lathe --help` / `lathe inspect --help`, a line
starting "Supported ops"), else the README's "Supported ops" paragraph.

Each applicable case is adapted to what `lathe eval` runs — one data input:
the first graph input becomes `x` in DATA.npz and every further input becomes an
initializer holding the case's value — and run once per output:

    lathe eval MODEL --data DATA.npz --output NAME --save-outputs OUT.npy

OUT.npy is compared with the expected output: shape, dtype, then values
(rtol = atol = 1e-4; NaNs must match). Cases that cannot be adapted (no tensor
input, sequence/optional values, dtypes npz cannot carry) are skipped with the
reason. A table, then a closing line `N passed, N failed, N skipped`. Exit
status 1 if any case failed.
"""

import argparse
import concurrent.futures
import contextlib
import io
import json
import re
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper

ROOT = Path(__file__).resolve().parents[1]
RTOL = ATOL = 1e-4
TIMEOUT = 120


def collect_cases():
    from onnx.backend.test.case.node import collect_testcases
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            return [c for c in collect_testcases(None) if c.kind == "node"]


def graph_ops(graph, found=None):
    found = set() if found is None else found
    for node in graph.node:
        found.add(node.op_type if node.domain in ("", "ai.onnx") else f"{node.domain}.{node.op_type}")
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                graph_ops(attr.g, found)
            for sub in attr.graphs:
                graph_ops(sub, found)
    return found


def parse_op_list(text):
    """Op names from a "Supported ops: A, B, ... (C, D)" paragraph (words that are ONNX ops)."""
    names = re.findall(r"\b[A-Z][A-Za-z0-9]*\b", text)
    return {n for n in names if onnx.defs.has(n)}


def ops_from_binary(lathe):
    for args in (["--help"], ["inspect", "--help"], ["help"]):
        try:
            r = subprocess.run([lathe] + args, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            continue
        text = r.stdout + "\n" + r.stderr
        m = re.search(r"^\s*Supported ops:?(.*?)(?:\n\s*\n|\Z)", text, re.S | re.M)
        if m:
            ops = parse_op_list(m.group(1))
            if ops:
                return ops, f"`{' '.join(['lathe'] + args)}`"
    # No help text lists them: `lathe inspect` of a model with an op it lacks names the op and lists the supported.
    probe = onnx.helper.make_model(onnx.helper.make_graph(
        [onnx.helper.make_node("Det", ["x"], ["y"], name="probe")], "probe",
        [onnx.helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1, 2, 2])],
        [onnx.helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])]),
        opset_imports=[onnx.helper.make_opsetid("", 13)], ir_version=8)
    with tempfile.TemporaryDirectory(prefix="lathe-ops-probe-") as tmp:
        path = Path(tmp) / "probe.onnx"
        onnx.save_model(probe, str(path))
        try:
            r = subprocess.run([lathe, "inspect", str(path)], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            return None, None
        m = re.search(r"Supported ops:(.*)", r.stderr, re.S)
        if m:
            ops = parse_op_list(m.group(1)) - {"Det"}
            if ops:
                return ops, "`lathe inspect` error for an unsupported op (Det)"
    return None, None


def ops_from_readme(readme):
    text = Path(readme).read_text()
    m = re.search(r"^Supported ops:(.*?)(?:\n\s*\n)", text, re.S | re.M)
    if not m:
        raise SystemExit(f"error: {readme}: no 'Supported ops:' paragraph")
    return parse_op_list(m.group(1))


def is_tensor(value):
    return isinstance(value, np.ndarray) and value.dtype != object


def as_array(value, elem_type=None):
    """Case values come as ndarrays, TensorProtos (bfloat16, float8, ...) or Python scalars."""
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    if isinstance(value, (bool, int, float, np.generic)):
        dtype = onnx.helper.tensor_dtype_to_np_dtype(elem_type) if elem_type else None
        return np.asarray(value, dtype=dtype)
    return value


def adapt(case, inputs):
    """(model, data array) with the first input as `x` data and the rest as initializers,
    or (None, reason) when the case cannot be expressed that way."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    graph = model.graph
    inits = {t.name for t in graph.initializer}
    graph_inputs = [i for i in graph.input if i.name not in inits]
    if not graph_inputs:
        return None, "no graph inputs (lathe needs a data input)"
    if len(inputs) != len(graph_inputs):
        return None, f"{len(inputs)} input values for {len(graph_inputs)} graph inputs"
    inputs = [as_array(v, i.type.tensor_type.elem_type if i.type.HasField("tensor_type") else None)
              for i, v in zip(graph_inputs, inputs)]
    for inp, value in zip(graph_inputs, inputs):
        if not inp.type.HasField("tensor_type"):
            return None, f"input {inp.name!r} is not a tensor ({inp.type.WhichOneof('value')})"
        if not is_tensor(value):
            return None, f"input {inp.name!r} value is {type(value).__name__}"
    first = graph_inputs[0]
    for inp, value in zip(graph_inputs[1:], inputs[1:]):
        graph.input.remove(inp)
        graph.initializer.append(numpy_helper.from_array(np.asarray(value), inp.name))
    return model, np.asarray(inputs[0]), first.name


def run_case(case, lathe, tmp):
    """One record per output: {case, op, output, status, detail}."""
    inputs, outputs = case.data_sets[0] if case.data_sets else ([], [])
    names = [o.name for o in case.model.graph.output]
    ops = ",".join(sorted(graph_ops(case.model.graph)))
    base = {"case": case.name, "ops": ops}
    adapted = adapt(case, inputs)
    if adapted[0] is None:
        return [{**base, "output": "*", "status": "skip", "detail": adapted[1]}]
    model, data, input_name = adapted
    outputs = [as_array(v) for v in outputs]
    bad = [n for n, v in zip(names, outputs) if not is_tensor(v)]
    if bad:
        return [{**base, "output": "*", "status": "skip", "detail": f"output {bad[0]!r} is not a tensor"}]
    folder = Path(tmp) / case.name
    folder.mkdir()
    model_path, data_path = folder / "model.onnx", folder / "data.npz"
    onnx.save_model(model, str(model_path))
    np.savez(data_path, x=data)
    records = []
    for i, (name, expected) in enumerate(zip(names, outputs)):
        out = folder / f"out{i}.npy"
        cmd = [lathe, "eval", str(model_path), "--data", str(data_path), "--output", name, "--save-outputs", str(out)]
        rec = {**base, "output": name, "input": input_name}
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            records.append({**rec, "status": "fail", "detail": f"timeout after {TIMEOUT} s"})
            continue
        if r.returncode != 0:
            msg = (r.stderr.strip().splitlines() or [""])[-1] if r.stderr.strip() else r.stdout.strip()[-200:]
            msg = msg.replace(str(folder) + "/", "")
            records.append({**rec, "status": "fail", "detail": f"exit {r.returncode}: {msg}"})
            continue
        if not out.exists():
            records.append({**rec, "status": "fail", "detail": "no --save-outputs file written"})
            continue
        got = np.load(out)
        expected = np.asarray(expected)
        records.append({**rec, **compare(got, expected)})
    return records


def compare(got, expected):
    if got.shape != expected.shape:
        return {"status": "fail", "detail": f"shape {list(got.shape)} != expected {list(expected.shape)}"}
    if got.dtype != expected.dtype:
        return {"status": "fail", "detail": f"dtype {got.dtype} != expected {expected.dtype}"}
    if expected.dtype.kind in "fc":
        g, e = got.astype(np.float64), expected.astype(np.float64)
        if not np.array_equal(np.isnan(g), np.isnan(e)):
            return {"status": "fail", "detail": "NaN positions differ"}
        ok = np.isclose(g, e, rtol=RTOL, atol=ATOL, equal_nan=True)
        if not ok.all():
            err = np.abs(np.nan_to_num(g - e, nan=0, posinf=np.inf, neginf=np.inf))
            return {"status": "fail", "detail": f"{int((~ok).sum())}/{ok.size} values differ, max |diff| {err.max():.3g}"}
    elif not np.array_equal(got, expected):
        return {"status": "fail", "detail": f"{int((got != expected).sum())}/{expected.size} values differ"}
    return {"status": "pass", "detail": ""}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lathe", required=True, help="path of the lathe binary")
    parser.add_argument("--ops", help="comma list of supported ops (default: ask the binary, else the README)")
    parser.add_argument("--readme", default=str(ROOT / "README.md"), help="README with the 'Supported ops' paragraph")
    parser.add_argument("--filter", help="only cases whose name contains this")
    parser.add_argument("--jobs", type=int, default=1, help="cases run in parallel (default 1)")
    parser.add_argument("--list-failures", action="store_true", help="list every failure with its full reason")
    parser.add_argument("--json", metavar="OUT", help="write every record to this JSON file")
    args = parser.parse_args()

    if args.ops:
        ops, source = {o.strip() for o in args.ops.split(",") if o.strip()}, "--ops"
    else:
        ops, source = (None, None)
        if Path(args.lathe).exists():
            ops, source = ops_from_binary(args.lathe)
        if not ops:
            ops, source = ops_from_readme(args.readme), f"{args.readme} ('Supported ops')"
    print(f"supported ops ({len(ops)}, from {source}): {', '.join(sorted(ops))}")

    cases = collect_cases()
    if args.filter:
        cases = [c for c in cases if args.filter in c.name]
    applicable = [c for c in cases if graph_ops(c.model.graph) <= ops]
    print(f"{len(cases)} node test cases in onnx {onnx.__version__}; {len(applicable)} use only supported ops")
    if not Path(args.lathe).is_file():
        raise SystemExit(f"error: {args.lathe}: no lathe binary there (build it with `make build`)")

    started = time.time()
    records = []
    with tempfile.TemporaryDirectory(prefix="lathe-node-tests-") as tmp:
        with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
            for recs in pool.map(lambda c: run_case(c, args.lathe, tmp), applicable):
                records.extend(recs)

    width = max([len(r["case"]) for r in records] + [4])
    print(f"{'case':<{width}}  {'output':<12} result  detail")
    for r in records:
        print(f"{r['case']:<{width}}  {r['output'][:12]:<12} {r['status'].upper():<6}  {r['detail'][:100]}")
    counts = {s: sum(r["status"] == s for r in records) for s in ("pass", "fail", "skip")}
    if args.list_failures and counts["fail"]:
        print("\nfailures:")
        for r in records:
            if r["status"] == "fail":
                print(f"- {r['case']} [{r['ops']}] output {r['output']}: {r['detail']}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "onnx_version": onnx.__version__, "ops_source": source, "ops": sorted(ops),
            "cases_total": len(cases), "cases_applicable": len(applicable), "counts": counts,
            "seconds": round(time.time() - started, 1), "records": records}, indent=2) + "\n")
    print(f"({len(applicable)} applicable cases, {len(records)} checks, one per output; "
          f"{len(cases) - len(applicable)} cases use unsupported ops; {time.time() - started:.0f} s)")
    line = f"{counts['pass']} passed, {counts['fail']} failed"
    if counts["skip"]:
        line += f", {counts['skip']} skipped"
    print(line)
    sys.exit(1 if counts["fail"] else 0)


if __name__ == "__main__":
    main()
