#!/usr/bin/env python3
"""Run the ONNX project's own backend node tests against a lathe binary.

The cases come from the installed `onnx` package
(`onnx.backend.test.case.node.collect_testcases()`). A case is applicable when
every op of its model (subgraphs included) is in the supported-op set: `--ops`,
else the list the binary prints (`lathe ops`, a paragraph starting "Supported
ops"), else the README's "Supported ops" paragraph.

Each applicable case is adapted to what `lathe eval` runs — one data input
whose first axis is the batch, read as float32 — and run once per output:

    lathe eval MODEL --data DATA.npz --output NAME --save-outputs OUT.npy

A float32 first input becomes `x` in DATA.npz with a batch axis of 1 in front
(a Squeeze node restores the case's shape); every further input, and a first
input of another type, becomes an initializer holding the case's value (then
`x` is a [1, 1] placeholder the outputs are tied to by an Expand to its
shape; an output computed from initializers alone is tied to `x` by an
Expand to [1]). Each output gets a batch axis of 1 (an Unsqueeze) that is
removed again before comparing.

OUT.npy is compared with the expected output: shape, dtype, then values
(rtol = atol = 1e-4; 2 float16 ulps for float16 outputs and 2 bfloat16 ulps
for bfloat16 ones; NaNs must match; bfloat16 and int4 outputs, which .npy
cannot hold, as lathe widens them).

Statuses: PASS, FAIL; N/A for a case outside what Lathe claims to run (an
opset outside `lathe ops`' range, float8/float4/int2 tensors, training mode,
cubic or antialiased Resize), which passes this script only if lathe refuses
it with exit 2 (or runs it correctly); KNOWN for the listed divergences
(`KNOWN_DIVERGENCES`, each with its reason, also in README.md); SKIP for
cases that cannot be adapted (no tensor input, sequence/optional/string
values). A table (`--quiet`: failures only), the reasons of N/A and KNOWN,
then a closing line `N passed, N failed, ...`. Exit status 1 if any case
failed.
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
    for args in (["ops"], ["--help"], ["inspect", "--help"], ["help"]):
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


def opsets_from_binary(lathe):
    """The opset range `lathe ops` states ("ONNX opsets A–B"), or None."""
    try:
        r = subprocess.run([lathe, "ops"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"opsets (\d+)[–-](\d+)", r.stdout)
    return range(int(m.group(1)), int(m.group(2)) + 1) if m else None


def ops_from_readme(readme):
    text = Path(readme).read_text()
    m = re.search(r"^Supported ops\b[^:]*:(.*?)(?:\n\s*\n)", text, re.S | re.M)
    if not m:
        raise SystemExit(f"error: {readme}: no 'Supported ops:' paragraph")
    return parse_op_list(m.group(1))


# Element types outside what Lathe reads (README "Models"): a case using one is not
# applicable, and Lathe must refuse it (exit 2) rather than compute something.
UNSUPPORTED_TYPES = {getattr(onnx.TensorProto, n) for n in (
    "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ", "FLOAT8E8M0", "FLOAT4E2M1",
    "INT2", "UINT2", "FLOAT6E2M3", "FLOAT6E3M2", "STRING", "COMPLEX64", "COMPLEX128") if hasattr(onnx.TensorProto, n)}

# Cases whose expected output follows a reading of the spec that onnxruntime (which Lathe
# matches, and its fixtures record) does not share. Listed in README.md; reported, not failed.
KNOWN_DIVERGENCES = {
    r"test_resize_downsample_scales_linear_align_corners":
        "align_corners with a fractional output length (4 x 0.6 = 2.4): the ONNX reference divides by "
        "2.4 - 1, onnxruntime and Lathe by the actual length 2 - 1 (the spec's length_resized)",
}


def int4_cast_defined(case, inputs):
    """Cast float -> (u)int4 is defined only for inputs in the target's range (Cast: "fixed point:
    undefined if OOR"); the reference writes 0 for the rest, onnxruntime and Lathe wrap."""
    to = "UINT4" if "_to_UINT4" in case.name else "INT4"
    low, high = (0, 15) if to == "UINT4" else (-8, 7)
    x = np.asarray(as_array(inputs[0])).astype(np.float64)
    return (x >= low) & (x <= high)


# Cases whose outputs the spec defines only in part: the mask of defined elements from the
# inputs; only those are compared.
PARTLY_DEFINED = {
    r"test_cast(like)?_FLOAT(16)?_to_U?INT4(_expanded)?": int4_cast_defined,
}


def model_types(graph, found=None):
    """Every element type a graph (and its subgraphs) declares, stores or casts to."""
    found = set() if found is None else found
    for vi in list(graph.input) + list(graph.output) + list(graph.value_info):
        if vi.type.HasField("tensor_type"):
            found.add(vi.type.tensor_type.elem_type)
    found.update(t.data_type for t in graph.initializer)
    for node in graph.node:
        for attr in node.attribute:
            if attr.name in ("to", "output_dtype") and attr.type == onnx.AttributeProto.INT:
                found.add(attr.i)
            if attr.type == onnx.AttributeProto.TENSOR:
                found.add(attr.t.data_type)
            if attr.type == onnx.AttributeProto.GRAPH:
                model_types(attr.g, found)
    found.discard(0)
    return found


def not_applicable(case, opsets):
    """Why a case exercises something outside what Lathe claims to run, or None."""
    model = case.model
    if opsets is not None and default_opset(model) not in opsets:
        return f"opset {default_opset(model)} is outside Lathe's {opsets.start}-{opsets.stop - 1}"
    bad = model_types(model.graph) & UNSUPPORTED_TYPES
    if bad:
        names = ", ".join(sorted(onnx.TensorProto.DataType.Name(t) for t in bad))
        return f"{names} tensors (Lathe reads float32/16/64, bfloat16, int4-int64, uint4-uint64, bool)"
    inputs = case.data_sets[0][0] if case.data_sets else []
    values = {i.name: v for i, v in zip([i for i in model.graph.input
                                         if i.name not in {t.name for t in model.graph.initializer}], inputs)}
    for node in model.graph.node:
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type == "BatchNormalization" and attrs.get("training_mode", 0):
            return "BatchNormalization training_mode (Lathe runs models for inference)"
        if node.op_type == "Dropout" and len(node.input) > 2 and node.input[2]:
            training = np.asarray(as_array(values.get(node.input[2], False))).any()
            ratio = float(np.asarray(as_array(values.get(node.input[1], 0.5))) if len(node.input) > 1 and node.input[1] else 0.5)
            if training and ratio != 0:
                return "Dropout training_mode (random masks; Lathe runs models for inference)"
        if node.op_type == "Resize" and attrs.get("mode", b"nearest") == b"cubic":
            return "Resize mode 'cubic' (Lathe implements nearest and linear)"
        if node.op_type == "Resize" and attrs.get("antialias", 0):
            return "Resize antialias (Lathe implements plain nearest and linear)"
    return None


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


def default_opset(model):
    return max([o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] or [1])


def axes_node(op, source, target, axes, opset, graph, tag):
    """Squeeze/Unsqueeze `source` -> `target` over `axes`, in the form of the model's opset
    (axes an attribute before opset 13, an input from 13)."""
    if opset >= 13:
        const = f"__lathe_axes_{tag}"
        graph.initializer.append(numpy_helper.from_array(np.asarray(axes, dtype=np.int64), const))
        return onnx.helper.make_node(op, [source, const], [target], name=f"__lathe_{tag}")
    return onnx.helper.make_node(op, [source], [target], axes=list(axes), name=f"__lathe_{tag}")


def adapt(case, inputs):
    """(model, data array, data input name) in the shape `lathe eval` runs, or (None, reason).

    `lathe eval` treats the first axis of its one data input as the batch and
    reads its data as float32. A float32 first input becomes `x` with a batch
    axis of 1 in front (a Squeeze restores the case's shape); any other first
    input becomes an initializer like every further input, and `x` is a
    placeholder [1, 1]. Each output gets a leading batch axis of 1 (an
    Unsqueeze; two for a scalar, as scores are at least [samples, classes]),
    which `unbatch` removes again before comparing."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    graph = model.graph
    inits = {t.name for t in graph.initializer}
    graph_inputs = [i for i in graph.input if i.name not in inits]
    if len(inputs) != len(graph_inputs):
        return None, f"{len(inputs)} input values for {len(graph_inputs)} graph inputs"
    inputs = [as_array(v, i.type.tensor_type.elem_type if i.type.HasField("tensor_type") else None)
              for i, v in zip(graph_inputs, inputs)]
    for inp, value in zip(graph_inputs, inputs):
        if not inp.type.HasField("tensor_type"):
            return None, f"input {inp.name!r} is not a tensor ({inp.type.WhichOneof('value')})"
        if not is_tensor(value):
            return None, f"input {inp.name!r} value is {type(value).__name__}"
    opset = default_opset(model)
    data_first = bool(graph_inputs) and np.asarray(inputs[0]).dtype == np.float32
    as_initializers = list(zip(graph_inputs, inputs))[1 if data_first else 0:]
    for inp, value in as_initializers:
        graph.input.remove(inp)
        graph.initializer.append(numpy_helper.from_array(np.asarray(value), inp.name))
    prologue = []
    data_name = "__lathe_x"
    if data_first:
        first, value = graph_inputs[0], np.asarray(inputs[0])
        graph.input.remove(first)
        data = value[np.newaxis]
        prologue.append(axes_node("Squeeze", data_name, first.name, [0], opset, graph, "in"))
    else:
        data = np.zeros((1, 1), dtype=np.float32)
        prologue.append(onnx.helper.make_node("Shape", [data_name], ["__lathe_x_shape"], name="__lathe_shape"))
    graph.input.insert(0, onnx.helper.make_tensor_value_info(data_name, onnx.TensorProto.FLOAT, list(data.shape)))
    for node in reversed(prologue):
        graph.node.insert(0, node)
    outputs = list(graph.output)
    del graph.output[:]
    reachable = reachable_from(graph, data_name)
    for i, out in enumerate(outputs):
        rank = len(out.type.tensor_type.shape.dim) if out.type.tensor_type.HasField("shape") else None
        batched = f"__lathe_out{i}"
        axes = [0, 1] if rank == 0 else [0]
        graph.node.append(axes_node("Unsqueeze", out.name, batched, axes, opset, graph, f"out{i}"))
        if not data_first:
            # The output must read the data input; expanding to the placeholder's shape [1, 1] changes nothing.
            tied = f"__lathe_tied{i}"
            graph.node.append(onnx.helper.make_node("Expand", [batched, f"__lathe_x_shape"], [tied],
                                                    name=f"__lathe_tie{i}"))
            batched = tied
        elif out.name not in reachable and opset >= 10:
            # An output computed from initializers alone (a cache built from past values) must read the data
            # input too: expanding to [1], the data's batch dim as a shape, changes nothing.
            tied, ones = f"__lathe_tied{i}", f"__lathe_x_batch{i}"
            graph.initializer.extend([numpy_helper.from_array(np.array([v], dtype=np.int64), f"{ones}_{v}")
                                      for v in (0, 1)])
            graph.node.extend([
                onnx.helper.make_node("Shape", [data_name], [f"{ones}_shape"], name=f"__lathe_batch_shape{i}"),
                onnx.helper.make_node("Slice", [f"{ones}_shape", f"{ones}_0", f"{ones}_1"], [ones],
                                      name=f"__lathe_batch{i}"),
                onnx.helper.make_node("Expand", [batched, ones], [tied], name=f"__lathe_tie{i}"),
            ])
            batched = tied
        graph.output.append(onnx.helper.make_tensor_value_info(batched, out.type.tensor_type.elem_type, None))
    return model, data, data_name


def reachable_from(graph, name):
    """Names of the values of `graph` computed from the value `name` (its top-level nodes, in order)."""
    found = {name}
    for node in graph.node:
        if any(i in found for i in node.input):
            found.update(node.output)
    return found


def unbatch(got, expected):
    """The case's output from the batched one `adapt` made lathe score."""
    if expected.ndim == 0 and got.shape == (1, 1):
        return got.reshape(())
    if got.ndim >= 1 and got.shape[0] == 1:
        return got.reshape(got.shape[1:])
    return got


def run_case(case, lathe, tmp, opsets=None):
    """One record per output: {case, op, output, status, detail}. A case outside Lathe's
    claims ("n/a") must be refused with exit 2; known divergences are reported as "known"."""
    records = run_outputs(case, lathe, tmp)
    reason = not_applicable(case, opsets)
    if reason:
        for r in records:
            if r["status"] == "pass" or r["detail"].startswith("exit 2:") or r["status"] == "skip":
                refusal = r["detail"].removeprefix("exit 2: ")
                r["status"], r["detail"] = "n/a", reason + (f"; lathe: {refusal}" if r["status"] != "pass" else "")
            else:
                r["detail"] = f"{reason}, but lathe neither ran it correctly nor refused it: {r['detail']}"
    else:
        known = [reason for pattern, reason in KNOWN_DIVERGENCES.items() if re.fullmatch(pattern, case.name)]
        for r in records:
            if known and r["status"] == "fail" and not r["detail"].startswith("exit"):
                r["status"], r["detail"] = "known", known[0]
    return records


def run_outputs(case, lathe, tmp):
    inputs, outputs = case.data_sets[0] if case.data_sets else ([], [])
    names = [o.name for o in case.model.graph.output]
    ops = ",".join(sorted(graph_ops(case.model.graph)))
    base = {"case": case.name, "ops": ops}
    adapted = adapt(case, inputs)
    if adapted[0] is None:
        return [{**base, "output": "*", "status": "skip", "detail": adapted[1]}]
    model, data, input_name = adapted
    graph_outputs = [o.name for o in model.graph.output]
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
        cmd = [lathe, "eval", str(model_path), "--data", str(data_path), "--output", graph_outputs[i],
               "--save-outputs", str(out)]
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
        expected = np.asarray(expected)
        got = unbatch(np.load(out), expected)
        masks = [f(case, inputs) for pattern, f in PARTLY_DEFINED.items() if re.fullmatch(pattern, case.name)]
        records.append({**rec, **compare(got, expected, masks[0] if masks else None)})
    return records


def compare(got, expected, defined=None):
    rtol, atol = RTOL, ATOL
    if expected.dtype.name == "bfloat16" and got.dtype == np.float32:
        # .npy has no bfloat16: lathe writes those values widened to float32, exactly. As for float16
        # below, each op rounds its float32 result to bfloat16 once, so 2 bfloat16 ulps (2^-6 relative) can differ.
        expected = expected.astype(np.float32)
        rtol, atol = 2.0 ** -6, 2.0 ** -7
    if expected.dtype.name in ("int4", "uint4") and got.dtype == (np.int8 if expected.dtype.name == "int4" else np.uint8):
        # Nor 4-bit integers: lathe writes them one per int8 / uint8.
        expected = expected.astype(got.dtype)
    note = ""
    if defined is not None and defined.shape == expected.shape == got.shape:
        note = f"{int(defined.sum())} of {defined.size} values defined by the spec compared"
        got, expected = got[defined], expected[defined]
    if expected.dtype == np.float16:
        # The reference rounds every intermediate to float16; Lathe computes float16 ops in
        # float32 and rounds each op's result once, so 2 float16 ulps (2^-9 relative) can differ.
        rtol, atol = 2.0 ** -9, 1e-3
    if got.shape != expected.shape:
        return {"status": "fail", "detail": f"shape {list(got.shape)} != expected {list(expected.shape)}"}
    if got.dtype != expected.dtype:
        return {"status": "fail", "detail": f"dtype {got.dtype} != expected {expected.dtype}"}
    if expected.dtype.kind in "fc":
        g, e = got.astype(np.float64), expected.astype(np.float64)
        if not np.array_equal(np.isnan(g), np.isnan(e)):
            return {"status": "fail", "detail": "NaN positions differ"}
        ok = np.isclose(g, e, rtol=rtol, atol=atol, equal_nan=True)
        if not ok.all():
            err = np.abs(np.nan_to_num(g - e, nan=0, posinf=np.inf, neginf=np.inf))
            return {"status": "fail", "detail": f"{int((~ok).sum())}/{ok.size} values differ, max |diff| {err.max():.3g}"}
    elif not np.array_equal(got, expected):
        return {"status": "fail", "detail": f"{int((got != expected).sum())}/{expected.size} values differ"}
    return {"status": "pass", "detail": note}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lathe", required=True, help="path of the lathe binary")
    parser.add_argument("--ops", help="comma list of supported ops (default: ask the binary, else the README)")
    parser.add_argument("--readme", default=str(ROOT / "README.md"), help="README with the 'Supported ops' paragraph")
    parser.add_argument("--filter", help="only cases whose name contains this")
    parser.add_argument("--jobs", type=int, default=1, help="cases run in parallel (default 1)")
    parser.add_argument("--list-failures", action="store_true", help="list every failure with its full reason")
    parser.add_argument("--quiet", action="store_true", help="table rows for failures only")
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

    opsets = opsets_from_binary(args.lathe) if Path(args.lathe).is_file() else None
    if opsets:
        print(f"supported opsets (from `lathe ops`): {opsets.start}-{opsets.stop - 1}")
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
            for recs in pool.map(lambda c: run_case(c, args.lathe, tmp, opsets), applicable):
                records.extend(recs)

    width = max([len(r["case"]) for r in records] + [4])
    print(f"{'case':<{width}}  {'output':<12} result  detail")
    for r in records:
        if args.quiet and r["status"] != "fail":
            continue
        print(f"{r['case']:<{width}}  {r['output'][:12]:<12} {r['status'].upper():<6}  {r['detail'][:100]}")
    counts = {s: sum(r["status"] == s for r in records) for s in ("pass", "fail", "known", "n/a", "skip")}
    groups = {}
    for r in records:
        if r["status"] in ("n/a", "known"):
            groups.setdefault((r["status"], r["detail"].split("; lathe:")[0]), set()).add(r["case"])
    if groups:
        print("\nnot run as applicable cases (each refused by lathe with exit 2, or a listed divergence):")
        for (status, reason), names in sorted(groups.items()):
            print(f"- [{status}] {reason}: {len(names)} case(s)" + (f" ({', '.join(sorted(names))})" if len(names) <= 3 else ""))
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
    ran = counts["pass"] + counts["fail"] + counts["known"]
    line = f"{counts['pass']} passed, {counts['fail']} failed"
    if counts["known"]:
        line += f", {counts['known']} known divergences"
    if counts["n/a"]:
        line += f", {counts['n/a']} not applicable (refused)"
    if counts["skip"]:
        line += f", {counts['skip']} skipped"
    if ran:
        line += f" ({100 * counts['pass'] / ran:.1f}% of applicable checks pass)"
    print(line)
    sys.exit(1 if counts["fail"] else 0)


if __name__ == "__main__":
    main()
