#!/usr/bin/env python3
"""Reference fixtures for Lathe's tensor-op kernels (Engine/Ops).

Every case is a single-node ONNX model at a given opset, run in onnxruntime;
the inputs and onnxruntime's outputs are written as JSON, one file per op
family, for Tests/LatheCoreTests/Ops to replay against the Swift
kernels. Cases that onnxruntime rejects are recorded as expected errors
(with the words Lathe's message must contain); a case whose outcome differs
from what it declares stops the generator, so fixtures never encode a
surprise.

Run: /tmp/pyvenv/bin/python Tests/LatheCoreTests/Fixtures/tensorops/make_fixtures.py
(numpy, onnx, onnxruntime; the output is deterministic).
"""
import json
import math
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(20240607)
INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min

FAMILIES = {}


def f32(*shape, low=-3.0, high=3.0):
    return RNG.uniform(low, high, size=shape).astype(np.float32)


def i64(*values):
    return np.array(values, dtype=np.int64)


def enc_float(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def enc_tensor(a, dtype_name=None):
    a = np.asarray(a)
    name = dtype_name or {np.dtype(np.bool_): "bool"}.get(a.dtype, a.dtype.name)
    if a.dtype.kind == "f":
        data = [enc_float(v) for v in a.astype(np.float64).ravel()]
    else:
        data = [int(v) for v in a.astype(np.int64).ravel()]
    return {"dtype": name, "shape": list(a.shape), "data": data}


def enc_attr(value):
    if isinstance(value, bool):
        raise TypeError("use ints for ONNX attributes")
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, float):
        return {"type": "float", "value": value}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, np.ndarray):
        return {"type": "tensor", "value": enc_tensor(value)}
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, int) for v in value):
            return {"type": "ints", "value": list(value)}
        return {"type": "floats", "value": [float(v) for v in value]}
    raise TypeError(value)


def onnx_attr(value):
    if isinstance(value, np.ndarray):
        return numpy_helper.from_array(value)
    if isinstance(value, (list, tuple)) and not all(isinstance(v, int) for v in value):
        return [float(v) for v in value]
    return value


def run_onnxruntime(op, inputs, attrs, opset, outputs, extra_nodes=()):
    names = [("" if x is None else f"in{i}") for i, x in enumerate(inputs)]
    out_names = [f"out{i}" for i in range(outputs)]
    node = helper.make_node(op, names, out_names[:1] if extra_nodes else out_names,
                            **{k: onnx_attr(v) for k, v in attrs.items()})
    if extra_nodes:
        node.output[0] = "mid"
    graph_inputs = [
        helper.make_tensor_value_info(n, helper.np_dtype_to_tensor_dtype(x.dtype), list(x.shape))
        for n, x in zip(names, inputs) if x is not None
    ]
    graph_outputs = [onnx.ValueInfoProto(name=n) for n in out_names]
    graph = helper.make_graph([node, *extra_nodes], "case", graph_inputs, graph_outputs)
    opset_id = helper.make_opsetid("", opset)
    model = helper.make_model(graph, opset_imports=[opset_id],
                              ir_version=max(helper.find_min_ir_version_for([opset_id]), 7))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 4
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feeds = {n: x for n, x in zip(names, inputs) if x is not None}
    return session.run(None, feeds)


def case(family, name, op, inputs, attrs=None, opset=17, outputs=1, error=None,
         omit_opset=False, bfloat16_roundtrip=False):
    """Adds a case. `error`: words Lathe's badInput message must contain when
    onnxruntime must reject the case; None when it must succeed."""
    attrs = attrs or {}
    entry = {
        "name": name, "op": op, "opset": opset, "omitOpset": omit_opset,
        "attributes": {k: enc_attr(v) for k, v in attrs.items()},
        "inputs": [None if x is None else enc_tensor(x) for x in inputs],
        "outputs": outputs,
    }
    extra = ()
    if bfloat16_roundtrip:
        # numpy has no bfloat16: cast back to float32 in a second node; the
        # values are exactly the bfloat16 ones.
        extra = (helper.make_node("Cast", ["mid"], ["out0"], to=TensorProto.FLOAT),)
    try:
        results = run_onnxruntime(op, inputs, attrs, opset, outputs, extra)
    except Exception as exc:  # onnxruntime rejected the case
        if error is None:
            raise SystemExit(f"{family}/{name}: onnxruntime failed unexpectedly: {exc}")
        entry["expected"] = None
        entry["errorMentions"] = error
    else:
        if error is not None:
            raise SystemExit(f"{family}/{name}: onnxruntime accepted a case declared as an error")
        entry["expected"] = [enc_tensor(r, "bfloat16" if bfloat16_roundtrip else None) for r in results]
    FAMILIES.setdefault(family, []).append(entry)


# ---------------------------------------------------------------- arithmetic
def arithmetic():
    fam = "arithmetic"
    shapes = [
        ("same", (2, 3, 4), (2, 3, 4)),
        ("scalar_rhs", (2, 3), ()),
        ("scalar_lhs", (), (2, 3)),
        ("row", (2, 3, 4), (4,)),
        ("one_elem", (1,), (2, 3)),
        ("channel", (2, 3, 4, 5), (3, 1, 1)),
        ("both_sides", (3, 1), (1, 4)),
        ("middle", (2, 1, 4), (3, 1)),
        ("rank0_both", (), ()),
        ("empty", (0, 3), (3,)),
        ("empty_bcast", (1, 0), (3, 1)),
        ("empty_mid", (2, 0, 3), (1, 1, 3)),
    ]
    for op in ["Add", "Sub", "Mul", "Div"]:
        for label, sa, sb in shapes:
            b = f32(*sb)
            if op == "Div":
                b = np.where(np.abs(b) < 0.5, 0.5, b).astype(np.float32)
            case(fam, f"{op.lower()}_{label}", op, [f32(*sa), b], opset=14)
        case(fam, f"{op.lower()}_opset7", op, [f32(2, 3), f32(3)], opset=7)
        a = np.array([[-7, 7, -7, 7, 0, 9], [100, -100, 5, -5, 3, -3]], dtype=np.int64)
        b = np.array([2, 2, -2, -2, 3, 4], dtype=np.int64)
        case(fam, f"{op.lower()}_int64", op, [a, b], opset=14)
        case(fam, f"{op.lower()}_int32_scalar", op, [a.astype(np.int32), np.array(3, dtype=np.int32)], opset=14)
        case(fam, f"{op.lower()}_incompatible", op, [f32(2, 3), f32(4)], opset=14, error=["[2, 3]", "[4]"])
    base = f32(3, 4, low=0.1, high=3.0)
    case(fam, "pow_same", "Pow", [base, f32(3, 4, low=-2, high=2)], opset=15)
    case(fam, "pow_square", "Pow", [f32(3, 4), np.array(2, dtype=np.float32)], opset=15)
    case(fam, "pow_cube", "Pow", [f32(3, 4), np.array(3, dtype=np.float32)], opset=15)
    case(fam, "pow_sqrt", "Pow", [base, np.array(0.5, dtype=np.float32)], opset=15)
    case(fam, "pow_negative_base", "Pow", [f32(2, 3), np.array([1, 2, 3], dtype=np.float32)], opset=15)
    case(fam, "pow_int_exponent", "Pow", [f32(2, 3), np.array([0, 1, 3], dtype=np.int64)], opset=15)
    case(fam, "pow_int_base", "Pow", [i64(2, -3, 5, 7), i64(3, 2, 0, 1)], opset=15)
    case(fam, "pow_opset7", "Pow", [base, f32(4, low=-1, high=1)], opset=7)
    for op in ["Min", "Max", "Sum", "Mean"]:
        case(fam, f"{op.lower()}_one", op, [f32(2, 3)], opset=13)
        case(fam, f"{op.lower()}_two", op, [f32(2, 3), f32(2, 3)], opset=13)
        case(fam, f"{op.lower()}_three_bcast", op, [f32(2, 1, 3), f32(4, 1), f32()], opset=13)
        case(fam, f"{op.lower()}_opset8", op, [f32(3, 1), f32(1, 4)], opset=8)
        case(fam, f"{op.lower()}_incompatible", op, [f32(2, 3), f32(2, 3), f32(2)], opset=13,
             error=["[2, 3]", "[2]"])
    for op in ["Min", "Max"]:
        case(fam, f"{op.lower()}_int64", op, [i64(1, -5, 9, 2), i64(3), i64(0, 0, 10, -10)], opset=13)


# ---------------------------------------------------------------- unary math
def unary():
    fam = "unary"
    wide = f32(3, 5, low=-5, high=5)
    positive = f32(3, 5, low=0.01, high=10)
    case(fam, "sqrt", "Sqrt", [positive], opset=13)
    case(fam, "exp", "Exp", [wide], opset=13)
    case(fam, "log", "Log", [positive], opset=13)
    case(fam, "log_zero", "Log", [np.array([0.0, 1.0], dtype=np.float32)], opset=13)
    case(fam, "neg", "Neg", [wide], opset=13)
    case(fam, "neg_int64", "Neg", [i64(-3, 0, 5, INT64_MAX)], opset=13)
    case(fam, "neg_int32", "Neg", [np.array([-3, 0, 5], dtype=np.int32)], opset=13)
    case(fam, "abs", "Abs", [wide], opset=13)
    case(fam, "abs_int64", "Abs", [i64(-3, 0, 5, -INT64_MAX)], opset=13)
    halves = np.array([-2.5, -1.5, -0.5, -0.0, 0.5, 1.5, 2.5, -1.2, 1.7, 3.0], dtype=np.float32)
    case(fam, "floor", "Floor", [np.concatenate([halves, wide.ravel()])], opset=13)
    case(fam, "ceil", "Ceil", [np.concatenate([halves, wide.ravel()])], opset=13)
    case(fam, "reciprocal", "Reciprocal", [np.where(np.abs(wide) < 0.3, 0.3, wide).astype(np.float32)], opset=13)
    case(fam, "erf", "Erf", [np.concatenate([np.linspace(-4, 4, 41, dtype=np.float32), wide.ravel()])], opset=13)
    case(fam, "erf_opset9", "Erf", [wide], opset=9)
    case(fam, "sqrt_opset7", "Sqrt", [positive], opset=7)
    case(fam, "exp_rank0", "Exp", [np.array(1.5, dtype=np.float32)], opset=13)
    case(fam, "exp_empty", "Exp", [np.zeros((0, 3), dtype=np.float32)], opset=13)


# ---------------------------------------------------------------- activations
def activations():
    fam = "activations"
    x = f32(2, 3, 4, 5)
    case(fam, "relu", "Relu", [x], opset=14)
    case(fam, "relu_opset7", "Relu", [x], opset=7)
    case(fam, "relu_int32", "Relu", [np.array([-3, 0, 4, -1], dtype=np.int32)], opset=14)
    case(fam, "leakyrelu_default", "LeakyRelu", [x], opset=16)
    case(fam, "leakyrelu_alpha", "LeakyRelu", [x], {"alpha": 0.2}, opset=7)
    case(fam, "prelu_channel", "PRelu", [x, f32(3, 1, 1)], opset=16)
    case(fam, "prelu_scalar", "PRelu", [x, f32(1)], opset=9)
    case(fam, "prelu_same", "PRelu", [x, f32(2, 3, 4, 5)], opset=16)
    case(fam, "prelu_last_dim", "PRelu", [x, f32(5)], opset=7)
    case(fam, "clip_opset6_attrs", "Clip", [x], {"min": -1.0, "max": 0.5}, opset=6)
    case(fam, "clip_opset6_max_only", "Clip", [x], {"max": 0.5}, opset=6)
    case(fam, "clip_opset6_none", "Clip", [x], opset=6)
    lo, hi = np.array(-0.7, dtype=np.float32), np.array(1.2, dtype=np.float32)
    case(fam, "clip_opset11_both", "Clip", [x, lo, hi], opset=11)
    case(fam, "clip_opset11_min_only", "Clip", [x, lo], opset=11)
    case(fam, "clip_opset11_max_only", "Clip", [x, None, hi], opset=11)
    case(fam, "clip_opset13_none", "Clip", [x], opset=13)
    case(fam, "clip_min_above_max", "Clip", [x, hi, lo], opset=13)
    case(fam, "clip_int32", "Clip", [np.array([-9, -1, 0, 3, 9], dtype=np.int32),
                                     np.array(-2, dtype=np.int32), np.array(4, dtype=np.int32)], opset=13)
    case(fam, "clip_int64_max_only", "Clip", [i64(-9, 3, 9), None, i64(4).reshape(())], opset=13)
    case(fam, "clip_opset6_no_opset", "Clip", [x], {"min": -1.0, "max": 0.5}, opset=6, omit_opset=True)
    case(fam, "clip_opset11_no_opset", "Clip", [x, lo, hi], opset=11, omit_opset=True)
    extreme = np.concatenate([x.ravel(), np.array([-100, -30, 30, 100], dtype=np.float32)])
    case(fam, "sigmoid", "Sigmoid", [extreme], opset=13)
    case(fam, "hardsigmoid_default", "HardSigmoid", [x], opset=6)
    case(fam, "hardsigmoid_custom", "HardSigmoid", [x], {"alpha": 0.3, "beta": 0.4}, opset=6)
    case(fam, "hardswish", "HardSwish", [f32(3, 20, low=-5, high=5)], opset=14)
    case(fam, "tanh", "Tanh", [extreme], opset=13)
    case(fam, "gelu_none", "Gelu", [f32(4, 10, low=-5, high=5)], opset=20)
    case(fam, "gelu_tanh", "Gelu", [f32(4, 10, low=-5, high=5)], {"approximate": "tanh"}, opset=20)


# ---------------------------------------------------------------- softmax
def softmax():
    fam = "softmax"
    x = f32(2, 3, 4, low=-4, high=4)
    big = (f32(2, 5) * 300).astype(np.float32)
    for op in ["Softmax", "LogSoftmax"]:
        low = op.lower()
        case(fam, f"{low}_opset11_default", op, [x], opset=11)
        case(fam, f"{low}_opset11_axis0", op, [x], {"axis": 0}, opset=11)
        case(fam, f"{low}_opset11_axis2", op, [x], {"axis": 2}, opset=11)
        case(fam, f"{low}_opset11_axis_neg2", op, [x], {"axis": -2}, opset=11)
        case(fam, f"{low}_opset7_default", op, [x], opset=7)
        case(fam, f"{low}_opset13_default", op, [x], opset=13)
        case(fam, f"{low}_opset13_axis1", op, [x], {"axis": 1}, opset=13)
        case(fam, f"{low}_opset13_axis_neg3", op, [x], {"axis": -3}, opset=13)
        case(fam, f"{low}_large_logits", op, [big], opset=13)
        case(fam, f"{low}_axis_out_of_range", op, [x], {"axis": 3}, opset=13, error=["axis 3"])
        case(fam, f"{low}_opset11_rank1_default_axis", op, [f32(4)], opset=11, error=["axis 1"])
        case(fam, f"{low}_opset11_rank1_axis0", op, [f32(4)], {"axis": 0}, opset=11)


# ---------------------------------------------------------------- shape ops
def shape_ops():
    fam = "shape"
    x = f32(2, 3, 4)
    for axis in [0, 1, 2, 3, -1, -3]:
        case(fam, f"flatten_axis{axis}", "Flatten", [x], {"axis": axis}, opset=13)
    case(fam, "flatten_default", "Flatten", [f32(2, 3, 4, 5)], opset=9)
    case(fam, "flatten_int64", "Flatten", [np.arange(24, dtype=np.int64).reshape(2, 3, 4)], {"axis": 2}, opset=13)
    case(fam, "reshape_copy_zero", "Reshape", [x, i64(0, -1)], opset=13)
    case(fam, "reshape_infer", "Reshape", [x, i64(4, -1, 3)], opset=13)
    case(fam, "reshape_flat", "Reshape", [x, i64(-1)], opset=5)
    case(fam, "reshape_rank0", "Reshape", [f32(1, 1), np.zeros((0,), dtype=np.int64)], opset=13)
    case(fam, "reshape_allowzero", "Reshape", [np.zeros((0, 3), dtype=np.float32), i64(3, 0)],
         {"allowzero": 1}, opset=14)
    case(fam, "reshape_zero_copies_without_allowzero", "Reshape", [np.zeros((0, 3), dtype=np.float32), i64(0, 3)],
         opset=14)
    case(fam, "reshape_int64", "Reshape", [np.arange(6, dtype=np.int64), i64(2, 3)], opset=13)
    case(fam, "reshape_count_mismatch", "Reshape", [x, i64(5, 5)], opset=13, error=["[2, 3, 4]", "[5, 5]"])
    case(fam, "reshape_infer_mismatch", "Reshape", [x, i64(5, -1)], opset=13, error=["[2, 3, 4]", "[5, -1]"])
    y = f32(2, 3, 4, 5)
    case(fam, "transpose_default", "Transpose", [y], opset=13)
    case(fam, "transpose_perm", "Transpose", [y], {"perm": [0, 2, 3, 1]}, opset=13)
    case(fam, "transpose_perm2", "Transpose", [y], {"perm": [3, 1, 0, 2]}, opset=7)
    case(fam, "transpose_int64", "Transpose", [np.arange(6, dtype=np.int64).reshape(2, 3)], opset=13)
    case(fam, "transpose_empty", "Transpose", [np.zeros((2, 0, 3), dtype=np.float32)], {"perm": [2, 0, 1]}, opset=13)
    s = f32(1, 3, 1, 4)
    case(fam, "squeeze_opset11_attr", "Squeeze", [s], {"axes": [0, -2]}, opset=11)
    case(fam, "squeeze_opset11_all", "Squeeze", [s], opset=11)
    case(fam, "squeeze_opset13_input", "Squeeze", [s, i64(2)], opset=13)
    case(fam, "squeeze_opset13_negative", "Squeeze", [s, i64(-4, -2)], opset=13)
    case(fam, "squeeze_opset13_all", "Squeeze", [s], opset=13)
    case(fam, "squeeze_opset13_empty_axes", "Squeeze", [s, np.zeros((0,), dtype=np.int64)], opset=13)
    case(fam, "squeeze_opset13_no_opset", "Squeeze", [s, i64(0)], opset=13, omit_opset=True)
    case(fam, "squeeze_opset11_no_opset", "Squeeze", [s], {"axes": [2]}, opset=11, omit_opset=True)
    case(fam, "squeeze_not_one", "Squeeze", [s, i64(1)], opset=13, error=["[1, 3, 1, 4]"])
    u = f32(3, 4)
    case(fam, "unsqueeze_opset11_attr", "Unsqueeze", [u], {"axes": [0, 3]}, opset=11)
    case(fam, "unsqueeze_opset11_negative", "Unsqueeze", [u], {"axes": [-1]}, opset=11)
    case(fam, "unsqueeze_opset13_input", "Unsqueeze", [u, i64(1)], opset=13)
    case(fam, "unsqueeze_opset13_multi", "Unsqueeze", [u, i64(-1, 0, 2)], opset=13)
    case(fam, "unsqueeze_rank0", "Unsqueeze", [np.array(5, dtype=np.int64), i64(0)], opset=13)
    case(fam, "unsqueeze_opset13_no_opset", "Unsqueeze", [u, i64(0)], opset=13, omit_opset=True)
    case(fam, "expand_bidirectional", "Expand", [f32(3, 1), i64(2, 1, 6)], opset=13)
    case(fam, "expand_smaller_shape", "Expand", [f32(2, 3), i64(3)], opset=13)
    case(fam, "expand_ones", "Expand", [f32(2, 1, 4), i64(1, 1, 1, 1)], opset=8)
    case(fam, "expand_scalar", "Expand", [np.array(7, dtype=np.int64), i64(2, 2)], opset=13)
    case(fam, "expand_to_empty", "Expand", [f32(1), i64(0)], opset=13)
    case(fam, "expand_keeps_larger_input", "Expand", [f32(2, 3), i64(1, 1)], opset=13)
    case(fam, "expand_incompatible", "Expand", [f32(2, 3), i64(4, 4)], opset=13, error=["[2, 3]", "[4, 4]"])
    z = f32(2, 3, 4, 5)
    case(fam, "shape_default", "Shape", [z], opset=13)
    case(fam, "shape_rank0", "Shape", [np.array(1.0, dtype=np.float32)], opset=13)
    case(fam, "shape_start", "Shape", [z], {"start": 1}, opset=15)
    case(fam, "shape_start_end", "Shape", [z], {"start": 1, "end": 3}, opset=15)
    case(fam, "shape_negative", "Shape", [z], {"start": -3, "end": -1}, opset=15)
    case(fam, "shape_clamped", "Shape", [z], {"start": -10, "end": 10}, opset=15)
    case(fam, "shape_empty", "Shape", [z], {"start": 3, "end": 1}, opset=15)
    case(fam, "shape_int64_input", "Shape", [np.zeros((0, 7), dtype=np.int64)], opset=13)
    # Size: deterministic inputs, so the random stream of later cases is unchanged.
    case(fam, "size_default", "Size", [np.arange(24, dtype=np.float32).reshape(2, 3, 4)], opset=13)
    case(fam, "size_rank0", "Size", [np.array(1.0, dtype=np.float32)], opset=13)
    case(fam, "size_empty", "Size", [np.zeros((0, 7), dtype=np.int64)], opset=13)
    case(fam, "size_bool", "Size", [np.ones((5,), dtype=np.bool_)], opset=1)


# ---------------------------------------------------------------- concat/split
def concat_split():
    fam = "concat_split"
    a, b, c = f32(2, 3, 4), f32(2, 1, 4), f32(2, 2, 4)
    case(fam, "concat_axis1", "Concat", [a, b, c], {"axis": 1}, opset=13)
    case(fam, "concat_axis_neg2", "Concat", [a, b, c], {"axis": -2}, opset=11)
    case(fam, "concat_axis0", "Concat", [f32(1, 3), f32(2, 3)], {"axis": 0}, opset=7)
    case(fam, "concat_last", "Concat", [f32(2, 3), f32(2, 5)], {"axis": -1}, opset=13)
    case(fam, "concat_int64", "Concat", [i64(1, 2), i64(3), i64(-1, 5, 6)], {"axis": 0}, opset=13)
    case(fam, "concat_int64_empty", "Concat", [np.zeros((0,), dtype=np.int64), i64(3, 4)], {"axis": 0}, opset=13)
    case(fam, "concat_empty_part", "Concat", [f32(2, 3), np.zeros((0, 3), dtype=np.float32)], {"axis": 0}, opset=13)
    case(fam, "concat_single", "Concat", [f32(2, 3)], {"axis": 1}, opset=13)
    case(fam, "concat_mismatch", "Concat", [f32(2, 3), f32(3, 3)], {"axis": 1}, opset=13, error=["[2, 3]", "[3, 3]"])
    x = f32(6, 4)
    case(fam, "split_opset11_attr", "Split", [x], {"split": [1, 2, 3]}, opset=11, outputs=3)
    case(fam, "split_opset11_equal", "Split", [x], opset=11, outputs=3)
    case(fam, "split_opset11_axis1", "Split", [x], {"axis": 1, "split": [3, 1]}, opset=11, outputs=2)
    case(fam, "split_opset13_input", "Split", [x, i64(4, 2)], opset=13, outputs=2)
    case(fam, "split_opset13_equal", "Split", [x], {"axis": -1}, opset=13, outputs=2)
    case(fam, "split_opset13_zero_part", "Split", [x, i64(0, 6)], opset=13, outputs=2)
    case(fam, "split_opset18_num_outputs", "Split", [x], {"num_outputs": 3}, opset=18, outputs=3)
    case(fam, "split_opset18_uneven", "Split", [f32(7, 2)], {"num_outputs": 3}, opset=18, outputs=3)
    case(fam, "split_int64", "Split", [np.arange(12, dtype=np.int64).reshape(3, 4), i64(1, 3)],
         {"axis": 1}, opset=13, outputs=2)
    case(fam, "split_opset13_no_opset", "Split", [x, i64(4, 2)], opset=13, outputs=2, omit_opset=True)
    case(fam, "split_opset11_no_opset", "Split", [x], {"split": [5, 1]}, opset=11, outputs=2, omit_opset=True)
    case(fam, "split_bad_sizes", "Split", [x, i64(4, 3)], opset=13, outputs=2, error=["[4, 3]", "[6, 4]"])


# ---------------------------------------------------------------- slice
def slice_ops():
    fam = "slice"
    x = f32(5, 6, 4)
    case(fam, "opset9_attrs", "Slice", [x], {"starts": [1, 0], "ends": [3, 4]}, opset=9)
    case(fam, "opset9_axes", "Slice", [x], {"starts": [-4], "ends": [1000], "axes": [1]}, opset=9)
    case(fam, "opset9_no_opset", "Slice", [x], {"starts": [1], "ends": [-1], "axes": [2]}, opset=9, omit_opset=True)
    case(fam, "opset10_basic", "Slice", [x, i64(1, 2), i64(4, 5)], opset=10)
    case(fam, "opset10_axes", "Slice", [x, i64(1), i64(3), i64(2)], opset=10)
    case(fam, "opset11_negative_axes", "Slice", [x, i64(-3), i64(-1), i64(-2)], opset=11)
    case(fam, "steps2", "Slice", [x, i64(0, 1), i64(5, 6), i64(0, 1), i64(2, 2)], opset=13)
    case(fam, "steps_without_axes", "Slice", [x, i64(0, 5), i64(5, 0), None, i64(2, -2)], opset=13)
    case(fam, "reverse", "Slice", [x, i64(-1), i64(INT64_MIN), i64(1), i64(-1)], opset=13)
    case(fam, "reverse_step2", "Slice", [x, i64(10), i64(-10), i64(0), i64(-2)], opset=13)
    case(fam, "reverse_partial", "Slice", [x, i64(4), i64(1), i64(1), i64(-1)], opset=13)
    case(fam, "int64_max_end", "Slice", [x, i64(2), i64(INT64_MAX), i64(1)], opset=13)
    case(fam, "out_of_range_start", "Slice", [x, i64(-100, 3), i64(100, 100), i64(0, 2)], opset=13)
    case(fam, "empty_result", "Slice", [x, i64(3), i64(1), i64(0)], opset=13)
    case(fam, "empty_reverse", "Slice", [x, i64(1), i64(3), i64(0), i64(-1)], opset=13)
    case(fam, "big_step", "Slice", [x, i64(1), i64(6), i64(1), i64(INT64_MAX)], opset=13)
    case(fam, "big_negative_step", "Slice", [x, i64(-1), i64(INT64_MIN), i64(1), i64(INT64_MIN)], opset=13)
    case(fam, "int64_data", "Slice", [np.arange(10, dtype=np.int64), i64(-3), i64(INT64_MAX)], opset=13)
    case(fam, "shape_subgraph", "Slice", [i64(1, 3, 224, 224), i64(2), i64(4), i64(0)], opset=13)
    case(fam, "opset13_no_opset", "Slice", [x, i64(0), i64(2), i64(-1), i64(1)], opset=13, omit_opset=True)
    case(fam, "zero_step", "Slice", [x, i64(0), i64(2), i64(0), i64(0)], opset=13, error=["step"])


# ---------------------------------------------------------------- gather
def gather():
    fam = "gather"
    data = f32(5, 4, 3)
    case(fam, "axis0", "Gather", [data, i64(0, 4, 2, 2)], opset=13)
    case(fam, "axis1", "Gather", [data, i64(3, 0)], {"axis": 1}, opset=13)
    case(fam, "axis_neg1", "Gather", [data, i64(2, 0, 1, 1)], {"axis": -1}, opset=11)
    case(fam, "negative_indices", "Gather", [data, i64(-1, -5, 0)], opset=13)
    case(fam, "scalar_index", "Gather", [data, np.array(-2, dtype=np.int64)], {"axis": 1}, opset=13)
    case(fam, "matrix_indices", "Gather", [data, np.array([[0, 1], [2, -1]], dtype=np.int64)], {"axis": 1}, opset=13)
    case(fam, "int32_indices", "Gather", [data, np.array([1, 3], dtype=np.int32)], opset=7)
    case(fam, "int64_data", "Gather", [i64(1, 3, 224, 224), np.array(0, dtype=np.int64)], opset=13)
    case(fam, "empty_indices", "Gather", [data, np.zeros((0,), dtype=np.int64)], opset=13)
    case(fam, "empty_data_axis", "Gather", [np.zeros((0, 4), dtype=np.float32), i64(1, 3)], {"axis": 1}, opset=13)
    case(fam, "index_out_of_range", "Gather", [data, i64(0, 5)], opset=13, error=["index 5", "[5, 4, 3]"])
    case(fam, "negative_out_of_range", "Gather", [data, i64(-6)], opset=13, error=["index -6", "[5, 4, 3]"])


# ---------------------------------------------------------------- reductions
def reductions():
    fam = "reduce"
    x = f32(2, 3, 4, 5)
    ints = RNG.integers(-50, 50, size=(3, 4)).astype(np.int64)
    for op, since in [("ReduceSum", 13), ("ReduceMean", 18), ("ReduceMax", 18), ("ReduceMin", 18)]:
        low = op.lower()
        old = 11 if since == 13 else 13
        case(fam, f"{low}_attr_axes", op, [x], {"axes": [2, 3]}, opset=old)
        case(fam, f"{low}_attr_negative", op, [x], {"axes": [-1], "keepdims": 0}, opset=old)
        case(fam, f"{low}_attr_all", op, [x], opset=old)
        case(fam, f"{low}_attr_all_nokeep", op, [x], {"keepdims": 0}, opset=old)
        case(fam, f"{low}_input_axes", op, [x, i64(1)], opset=since)
        case(fam, f"{low}_input_axes_nokeep", op, [x, i64(0, -1)], {"keepdims": 0}, opset=since)
        case(fam, f"{low}_input_none", op, [x], opset=since)
        case(fam, f"{low}_input_empty_axes", op, [x, np.zeros((0,), dtype=np.int64)], opset=since)
        case(fam, f"{low}_noop_empty_axes", op, [x], {"noop_with_empty_axes": 1}, opset=since)
        case(fam, f"{low}_int64", op, [ints, i64(1)], opset=since)
        case(fam, f"{low}_int64_nokeep", op, [ints, i64(0)], {"keepdims": 0}, opset=since)
        case(fam, f"{low}_input_no_opset", op, [x, i64(1, 2)], opset=since, omit_opset=True)
        case(fam, f"{low}_attr_no_opset", op, [x], {"axes": [0]}, opset=old, omit_opset=True)
        case(fam, f"{low}_axis_out_of_range", op, [x, i64(4)], opset=since, error=["axis 4"])
    ties = np.array([[1, 5, 5, 2], [7, 7, 0, 7], [3, 1, 1, 3]], dtype=np.float32)
    for op in ["ArgMax", "ArgMin"]:
        low = op.lower()
        case(fam, f"{low}_default", op, [x], opset=13)
        case(fam, f"{low}_axis_neg1_nokeep", op, [x], {"axis": -1, "keepdims": 0}, opset=13)
        case(fam, f"{low}_axis2", op, [x], {"axis": 2}, opset=11)
        case(fam, f"{low}_ties_first", op, [ties], {"axis": 1}, opset=13)
        case(fam, f"{low}_ties_last", op, [ties], {"axis": 1, "select_last_index": 1}, opset=13)
        case(fam, f"{low}_int64", op, [ints], {"axis": 0, "keepdims": 0}, opset=13)
        case(fam, f"{low}_rank1_nokeep", op, [f32(6)], {"keepdims": 0}, opset=13)


# ---------------------------------------------------------------- cast
def casts():
    fam = "cast"
    values = np.array([-2.7, -1.5, -0.4, 0.0, 0.4, 1.5, 2.7, 100.9, -100.9], dtype=np.float32)
    for name, to in [("int32", TensorProto.INT32), ("int64", TensorProto.INT64), ("int8", TensorProto.INT8),
                     ("int16", TensorProto.INT16), ("bool", TensorProto.BOOL), ("float64", TensorProto.DOUBLE),
                     ("float32", TensorProto.FLOAT)]:
        case(fam, f"float_to_{name}", "Cast", [values], {"to": to}, opset=13)
    case(fam, "float_to_uint8", "Cast", [np.array([0.0, 1.9, 200.5, 255.0], dtype=np.float32)],
         {"to": TensorProto.UINT8}, opset=13)
    halves = np.array([0.1, 1 / 3, 65504.0, 65519.0, 65520.0, 1e-8, -2.5e-5, 3.14159, -7.77], dtype=np.float32)
    case(fam, "float_to_float16", "Cast", [halves], {"to": TensorProto.FLOAT16}, opset=13)
    with np.errstate(over="ignore"):  # 65520 rounds to inf in float16, on purpose
        as_half = halves.astype(np.float16)
    case(fam, "float16_to_float", "Cast", [as_half], {"to": TensorProto.FLOAT}, opset=13)
    bf = np.array([0.1, 1 / 3, 3.14159, -7.77, 1e30, 1.00390625, 1.01171875, 65504.0], dtype=np.float32)
    case(fam, "float_to_bfloat16", "Cast", [bf], {"to": TensorProto.BFLOAT16}, opset=13, bfloat16_roundtrip=True)
    big = i64(-5, 0, 7, 2**31 + 5, -(2**40) - 3, 300, 16777217)
    case(fam, "int64_to_float", "Cast", [big], {"to": TensorProto.FLOAT}, opset=13)
    case(fam, "int64_to_int32", "Cast", [big], {"to": TensorProto.INT32}, opset=13)
    case(fam, "int64_to_uint8", "Cast", [big], {"to": TensorProto.UINT8}, opset=13)
    case(fam, "int64_to_bool", "Cast", [big], {"to": TensorProto.BOOL}, opset=13)
    case(fam, "int32_to_int64", "Cast", [np.array([-1, 5], dtype=np.int32)], {"to": TensorProto.INT64}, opset=13)
    case(fam, "bool_to_float", "Cast", [np.array([True, False, True])], {"to": TensorProto.FLOAT}, opset=13)
    case(fam, "bool_to_int64", "Cast", [np.array([[True, False]])], {"to": TensorProto.INT64}, opset=13)
    case(fam, "float_to_int64_opset6", "Cast", [values], {"to": TensorProto.INT64}, opset=6)
    case(fam, "castlike_int64", "CastLike", [values, i64(0)], opset=15)
    case(fam, "castlike_float16", "CastLike", [halves, np.zeros((1,), dtype=np.float16)], opset=15)


# ---------------------------------------------------------------- generators
def generators():
    fam = "generators"
    case(fam, "constant_tensor", "Constant", [], {"value": f32(2, 3)}, opset=13)
    case(fam, "constant_int_tensor", "Constant", [], {"value": i64(3, -1)}, opset=13)
    case(fam, "constant_value_float", "Constant", [], {"value_float": 2.5}, opset=13)
    case(fam, "constant_value_floats", "Constant", [], {"value_floats": [1.5, -2.0, 0.25]}, opset=13)
    case(fam, "constant_value_int", "Constant", [], {"value_int": -7}, opset=13)
    case(fam, "constant_value_ints", "Constant", [], {"value_ints": [1, 0, -3]}, opset=13)
    case(fam, "constant_opset9", "Constant", [], {"value": f32(3)}, opset=9)
    case(fam, "constantofshape_default", "ConstantOfShape", [i64(2, 3)], opset=9)
    case(fam, "constantofshape_float", "ConstantOfShape", [i64(3, 1, 2)], {"value": np.array([1.5], dtype=np.float32)},
         opset=9)
    case(fam, "constantofshape_int64", "ConstantOfShape", [i64(4)], {"value": i64(-2)}, opset=9)
    case(fam, "constantofshape_int32", "ConstantOfShape", [i64(2, 2)], {"value": np.array([7], dtype=np.int32)},
         opset=9)
    case(fam, "constantofshape_empty_dim", "ConstantOfShape", [i64(2, 0)], opset=9)
    case(fam, "constantofshape_scalar", "ConstantOfShape", [np.zeros((0,), dtype=np.int64)],
         {"value": np.array([3.0], dtype=np.float32)}, opset=9)
    scalar = lambda v, t=np.float32: np.array(v, dtype=t)
    case(fam, "range_float", "Range", [scalar(0), scalar(1), scalar(0.1)], opset=11)
    case(fam, "range_float_negative", "Range", [scalar(3), scalar(-2.2), scalar(-0.7)], opset=11)
    case(fam, "range_float_accumulates", "Range", [scalar(-1.3), scalar(40.0), scalar(0.37)], opset=11)
    case(fam, "range_int64", "Range", [scalar(10, np.int64), scalar(0, np.int64), scalar(-3, np.int64)], opset=11)
    case(fam, "range_int32", "Range", [scalar(-2, np.int32), scalar(9, np.int32), scalar(2, np.int32)], opset=11)
    case(fam, "range_empty", "Range", [scalar(5, np.int64), scalar(1, np.int64), scalar(1, np.int64)], opset=11)


# ---------------------------------------------------------------- pass-through
def pass_through():
    fam = "passthrough"
    x = f32(2, 3)
    case(fam, "identity", "Identity", [x], opset=13)
    case(fam, "identity_int64", "Identity", [i64(4, 5)], opset=13)
    case(fam, "dropout_opset13", "Dropout", [x], opset=13)
    case(fam, "dropout_opset13_mask", "Dropout", [x], opset=13, outputs=2)
    case(fam, "dropout_opset12_ratio", "Dropout", [x, np.array(0.3, dtype=np.float32)], opset=12, outputs=2)
    # Before opset 12 onnxruntime returns an all-zero mask at inference (an
    # artifact: nothing is dropped); Lathe returns ones, tested in Swift.
    case(fam, "dropout_opset10", "Dropout", [x], {"ratio": 0.2}, opset=10)
    case(fam, "dropout_opset7", "Dropout", [x], {"ratio": 0.2}, opset=7)


# ---------------------------------------------------------------- comparison and logic
def comparison():
    fam = "comparison"
    a = np.array([[1.0, 2.0, 3.0], [4.0, 2.0, -1.0]], dtype=np.float32)
    b = np.array([2.0, 2.0, -1.0], dtype=np.float32)
    ia, ib = i64(3, -1, 4, 4), i64(4)
    for op, opset in [("Equal", 13), ("Less", 13), ("Greater", 13), ("LessOrEqual", 16), ("GreaterOrEqual", 16)]:
        low = op.lower()
        case(fam, f"{low}_float_bcast", op, [a, b], opset=opset)
        case(fam, f"{low}_int64", op, [ia, ib], opset=opset)
        case(fam, f"{low}_scalar", op, [a, np.array(2.0, dtype=np.float32)], opset=opset)
        case(fam, f"{low}_incompatible", op, [a, f32(2)], opset=opset, error=["[2, 3]", "[2]"])
    case(fam, "equal_opset7_int", "Equal", [ia, i64(3, 3, 4, 4)], opset=7)
    case(fam, "less_opset7", "Less", [f32(3, 1), f32(1, 4)], opset=7)
    p = np.array([[True, False, True, False]])
    q = np.array([[True], [False]])
    case(fam, "equal_bool", "Equal", [p, q], opset=11)
    for op in ["And", "Or", "Xor"]:
        case(fam, f"{op.lower()}_bcast", op, [p, q], opset=7)
    case(fam, "not", "Not", [np.array([[True, False], [False, False]])], opset=7)
    cond = np.array([[True, False, True]])
    case(fam, "where_bcast", "Where", [cond, f32(2, 1), f32(3)], opset=16)
    case(fam, "where_same", "Where", [RNG.integers(0, 2, (2, 3)).astype(bool), f32(2, 3), f32(2, 3)], opset=9)
    case(fam, "where_int64", "Where", [cond.reshape(3, 1), i64(1, 2, 3), np.array(-1, dtype=np.int64)], opset=16)
    case(fam, "where_scalar_condition", "Where", [np.array(False), f32(2, 2), f32(2, 1)], opset=16)
    case(fam, "where_empty", "Where", [np.zeros((0, 1), dtype=bool), f32(1, 3), f32(3)], opset=16)
    case(fam, "where_incompatible", "Where", [cond, f32(2, 2), f32(3)], opset=16, error=["[1, 3]", "[2, 2]"])

# ---------------------------------------------------------------- indexing
def indexing():
    """Tile, OneHot, GatherElements, ScatterElements (and opset 9's Scatter), from a generator of their own so
    the families above keep their draws."""
    fam = "indexing"
    rng = np.random.default_rng(20261204)

    def g32(*shape):
        return rng.uniform(-3, 3, size=shape).astype(np.float32)

    x = g32(2, 3, 4)
    case(fam, "tile_each_axis", "Tile", [x, i64(2, 1, 3)], opset=13)
    case(fam, "tile_ones", "Tile", [x, i64(1, 1, 1)], opset=13)
    case(fam, "tile_zero", "Tile", [x, i64(1, 0, 2)], opset=13)
    case(fam, "tile_int64", "Tile", [i64(1, 2, 3), i64(3)], opset=6)
    case(fam, "tile_rank1_float", "Tile", [g32(5), i64(4)], opset=13)
    case(fam, "tile_4d", "Tile", [g32(1, 2, 1, 3), i64(2, 1, 3, 2)], opset=13)
    case(fam, "tile_wrong_count", "Tile", [x, i64(2, 2)], opset=13, error=["repeats has 2 values", "rank 3"])
    case(fam, "tile_negative", "Tile", [x, i64(1, -1, 1)], opset=13, error=["negative"])

    on_off = np.array([0, 1], dtype=np.float32)
    case(fam, "onehot_last_axis", "OneHot", [i64(0, 2, -1, 5, -3, -4), i64(3), on_off], opset=11)
    case(fam, "onehot_axis0", "OneHot", [np.array([[0, 2], [1, -1]], dtype=np.int64), np.array(4, dtype=np.int64),
                                         np.array([-1, 7], dtype=np.float32)], {"axis": 0}, opset=11)
    case(fam, "onehot_axis1", "OneHot", [np.array([[0, 2, 1], [1, -1, 3]], dtype=np.int64), i64(3),
                                         np.array([2, 5], dtype=np.float32)], {"axis": 1}, opset=11)
    case(fam, "onehot_negative_axis", "OneHot", [np.array([[1], [0]], dtype=np.int64), i64(2), on_off],
         {"axis": -2}, opset=11)
    case(fam, "onehot_float_indices", "OneHot", [np.array([0.7, 2.2, -1.5, 1.0], dtype=np.float32),
                                                 np.array(3.9, dtype=np.float32), on_off], opset=11)
    case(fam, "onehot_int64_values", "OneHot", [i64(1, 0, 2), i64(3), i64(4, 9)], opset=11)
    case(fam, "onehot_int32_indices", "OneHot", [np.array([1, 0, 2], dtype=np.int32), np.array(3, dtype=np.int32),
                                                 on_off], opset=11)
    case(fam, "onehot_opset9", "OneHot", [i64(1, 0), np.array([2.0], dtype=np.float32), on_off], opset=9)
    case(fam, "onehot_depth_zero", "OneHot", [i64(0, 1), i64(0), on_off], opset=11, error=["depth"])

    data = g32(3, 4, 5)
    index = rng.integers(-4, 4, size=(3, 2, 5)).astype(np.int64)
    case(fam, "gather_elements_axis1", "GatherElements", [data, index], {"axis": 1}, opset=13)
    case(fam, "gather_elements_axis0_smaller", "GatherElements",
         [data, rng.integers(0, 3, size=(2, 4, 1)).astype(np.int64)], opset=13)
    case(fam, "gather_elements_longer_axis", "GatherElements",
         [data, rng.integers(-5, 5, size=(2, 3, 7)).astype(np.int64)], {"axis": -1}, opset=11)
    case(fam, "gather_elements_int32", "GatherElements",
         [i64(10, 20, 30, 40).reshape(2, 2), np.array([[1, 0], [0, 0]], dtype=np.int32)], {"axis": 1}, opset=13)
    case(fam, "gather_elements_out_of_range", "GatherElements", [data, np.full((1, 1, 1), 4, dtype=np.int64)],
         {"axis": 1}, opset=13, error=["index 4", "[3, 4, 5]"])

    updates = g32(3, 2, 5)
    unique = np.stack([np.stack([rng.permutation(4)[:2] for _ in range(5)], axis=1) for _ in range(3)]).astype(np.int64)
    case(fam, "scatter_elements_axis1", "ScatterElements", [data, unique, updates], {"axis": 1}, opset=13)
    case(fam, "scatter_elements_negative", "ScatterElements", [data, unique - 4, updates], {"axis": -2}, opset=13)
    repeated = np.zeros((3, 2, 5), dtype=np.int64)
    for reduction in ("add", "mul"):
        case(fam, f"scatter_elements_{reduction}", "ScatterElements", [data, repeated, updates],
             {"axis": 1, "reduction": reduction}, opset=16)
    for reduction in ("max", "min"):
        case(fam, f"scatter_elements_{reduction}", "ScatterElements", [data, repeated, updates],
             {"axis": 1, "reduction": reduction}, opset=18)
    case(fam, "scatter_elements_int64", "ScatterElements",
         [i64(1, 2, 3, 4, 5), i64(4, 0), i64(50, 10)], opset=11)
    case(fam, "scatter_elements_add_int64", "ScatterElements",
         [i64(1, 2, 3, 4, 5), i64(1, 1, 3), i64(5, 6, 7)], {"reduction": "add"}, opset=16)
    case(fam, "scatter_opset9", "Scatter", [data, unique, updates], {"axis": 1}, opset=9)
    case(fam, "scatter_elements_shape_mismatch", "ScatterElements", [data, unique, g32(3, 2, 4)], {"axis": 1},
         opset=13, error=["updates have shape"])
    case(fam, "scatter_elements_out_of_range", "ScatterElements", [data, unique + 4, updates], {"axis": 1},
         opset=13, error=["out of range"])


# ---------------------------------------------------------------- topk
# The families below were added after the others: they draw from RNG after
# every earlier case, so the earlier fixtures stay as they were.
def topk():
    fam = "topk"
    x = f32(3, 5)
    y = f32(2, 6, 3)
    case(fam, "opset1_attr_k", "TopK", [x], {"k": 2}, opset=1, outputs=2)
    case(fam, "opset1_axis0", "TopK", [x], {"k": 3, "axis": 0}, opset=1, outputs=2)
    case(fam, "opset1_no_opset", "TopK", [x], {"k": 1}, opset=1, outputs=2, omit_opset=True)
    case(fam, "opset10_input_k", "TopK", [y, i64(4)], {"axis": 1}, opset=10, outputs=2)
    case(fam, "opset10_no_opset", "TopK", [y, i64(2)], opset=10, outputs=2, omit_opset=True)
    case(fam, "opset11_default", "TopK", [y, i64(2)], opset=11, outputs=2)
    case(fam, "smallest", "TopK", [y, i64(3)], {"axis": -2, "largest": 0}, opset=11, outputs=2)
    case(fam, "largest_sorted", "TopK", [y, i64(2)], {"axis": 0, "largest": 1, "sorted": 1}, opset=11, outputs=2)
    case(fam, "unsorted_k1", "TopK", [y, i64(1)], {"axis": 1, "sorted": 0}, opset=11, outputs=2)
    case(fam, "unsorted_smallest_k1", "TopK", [y, i64(1)], {"largest": 0, "sorted": 0}, opset=11, outputs=2)
    ties = np.array([[1, 5, 5, 2, 5], [7, 7, 0, 7, 7], [3, 3, 3, 3, 3]], dtype=np.float32)
    case(fam, "ties_largest", "TopK", [ties, i64(3)], opset=11, outputs=2)
    case(fam, "ties_smallest", "TopK", [ties, i64(3)], {"largest": 0}, opset=11, outputs=2)
    case(fam, "ties_axis0", "TopK", [ties, i64(2)], {"axis": 0}, opset=11, outputs=2)
    nans = np.array([[3, 1, np.nan, 5, 5, -1, np.nan, 2, -np.inf, np.inf]], dtype=np.float32)
    case(fam, "nan_largest", "TopK", [nans, i64(5)], opset=11, outputs=2)
    case(fam, "nan_smallest", "TopK", [nans, i64(9)], {"largest": 0}, opset=11, outputs=2)
    case(fam, "k_equals_length", "TopK", [x, i64(5)], opset=11, outputs=2)
    case(fam, "k_zero", "TopK", [x, i64(0)], opset=11, outputs=2)
    case(fam, "rank1", "TopK", [f32(40), i64(7)], opset=11, outputs=2)
    case(fam, "long_axis", "TopK", [f32(2, 300), i64(20)], {"largest": 0}, opset=11, outputs=2)
    ints = RNG.integers(-20, 20, size=(4, 7)).astype(np.int64)
    case(fam, "int64", "TopK", [ints, i64(3)], opset=11, outputs=2)
    case(fam, "int64_smallest_axis0", "TopK", [ints, i64(2)], {"axis": 0, "largest": 0}, opset=11, outputs=2)
    case(fam, "int32", "TopK", [ints.astype(np.int32), i64(4)], opset=11, outputs=2)
    case(fam, "k_too_large", "TopK", [x, i64(6)], opset=11, outputs=2, error=["k = 6", "[3, 5]"])
    case(fam, "k_negative", "TopK", [x, i64(-1)], opset=11, outputs=2, error=["k = -1"])
    case(fam, "axis_out_of_range", "TopK", [x, i64(1)], {"axis": 2}, opset=11, outputs=2, error=["axis 2"])


# ---------------------------------------------------------------- cumsum
def cumsum():
    fam = "cumsum"
    x = f32(2, 3, 4)
    for axis in [0, 1, 2, -1, -3]:
        case(fam, f"axis{axis}", "CumSum", [x, i64(axis)], opset=14)
    for exclusive in [0, 1]:
        for reverse in [0, 1]:
            case(fam, f"exclusive{exclusive}_reverse{reverse}", "CumSum", [x, i64(1)],
                 {"exclusive": exclusive, "reverse": reverse}, opset=14)
    case(fam, "axis_scalar", "CumSum", [x, np.array(2, dtype=np.int64)], opset=14)
    case(fam, "axis_int32", "CumSum", [x, np.array([-2], dtype=np.int32)], opset=14)
    case(fam, "opset11", "CumSum", [x, i64(0)], {"reverse": 1}, opset=11)
    case(fam, "rank1", "CumSum", [f32(50), i64(0)], {"exclusive": 1}, opset=14)
    ints = RNG.integers(-100, 100, size=(3, 5)).astype(np.int64)
    case(fam, "int64", "CumSum", [ints, i64(1)], opset=14)
    case(fam, "int64_reverse_exclusive", "CumSum", [ints, i64(0)], {"exclusive": 1, "reverse": 1}, opset=14)
    case(fam, "int32", "CumSum", [ints.astype(np.int32), i64(-1)], opset=14)
    case(fam, "empty", "CumSum", [np.zeros((0, 3), dtype=np.float32), i64(0)], opset=14)
    case(fam, "axis_out_of_range", "CumSum", [x, i64(3)], opset=14, error=["axis 3"])
    case(fam, "axis_two_values", "CumSum", [x, i64(0, 1)], opset=14, error=["axis"])


# ---------------------------------------------------------------- depth/space
def depth_space():
    fam = "depth_space"
    x = f32(2, 8, 3, 2)
    case(fam, "d2s_default", "DepthToSpace", [x], {"blocksize": 2}, opset=13)
    case(fam, "d2s_dcr", "DepthToSpace", [x], {"blocksize": 2, "mode": "DCR"}, opset=11)
    case(fam, "d2s_crd", "DepthToSpace", [x], {"blocksize": 2, "mode": "CRD"}, opset=13)
    case(fam, "d2s_opset1", "DepthToSpace", [x], {"blocksize": 2}, opset=1)
    z = f32(1, 18, 2, 3)
    case(fam, "d2s_block3_crd", "DepthToSpace", [z], {"blocksize": 3, "mode": "CRD"}, opset=13)
    case(fam, "d2s_block3_dcr", "DepthToSpace", [z], {"blocksize": 3}, opset=13)
    case(fam, "d2s_block1", "DepthToSpace", [x], {"blocksize": 1}, opset=13)
    case(fam, "d2s_uint8", "DepthToSpace", [np.arange(16, dtype=np.uint8).reshape(1, 4, 2, 2)], {"blocksize": 2},
         opset=13)
    case(fam, "d2s_channels_not_divisible", "DepthToSpace", [f32(1, 6, 2, 2)], {"blocksize": 2}, opset=13,
         error=["6", "blocksize"])
    case(fam, "d2s_rank3", "DepthToSpace", [f32(4, 2, 2)], {"blocksize": 2}, opset=13, error=["rank 4"])
    y = f32(2, 3, 4, 6)
    case(fam, "s2d_block2", "SpaceToDepth", [y], {"blocksize": 2}, opset=13)
    case(fam, "s2d_opset1", "SpaceToDepth", [y], {"blocksize": 2}, opset=1)
    case(fam, "s2d_block3", "SpaceToDepth", [f32(1, 2, 6, 3)], {"blocksize": 3}, opset=13)
    case(fam, "s2d_uint8", "SpaceToDepth", [np.arange(32, dtype=np.uint8).reshape(1, 2, 4, 4)], {"blocksize": 2},
         opset=13)
    case(fam, "s2d_not_divisible", "SpaceToDepth", [y], {"blocksize": 3}, opset=13, error=["blocksize 3"])


# ---------------------------------------------------------------- exp-based activations
def exp_activations():
    fam = "exp_activations"
    x = np.concatenate([f32(30, low=-6, high=6), np.array([-100, -20, -1e-3, 0, 1e-3, 20, 100], dtype=np.float32)])
    case(fam, "softplus", "Softplus", [x], opset=1)
    case(fam, "softplus_rank3", "Softplus", [f32(2, 3, 4)], opset=1)
    case(fam, "softsign", "Softsign", [x], opset=1)
    case(fam, "elu_default", "Elu", [x], opset=6)
    case(fam, "elu_alpha", "Elu", [x], {"alpha": 0.5}, opset=6)
    case(fam, "selu_default", "Selu", [x], opset=6)
    case(fam, "selu_custom", "Selu", [x], {"alpha": 2.0, "gamma": 3.0}, opset=6)
    case(fam, "celu_default", "Celu", [x], opset=12)
    case(fam, "celu_alpha", "Celu", [x], {"alpha": 2.5}, opset=12)
    case(fam, "thresholdedrelu_default", "ThresholdedRelu", [x], opset=10)
    case(fam, "thresholdedrelu_alpha", "ThresholdedRelu", [x], {"alpha": -0.5}, opset=10)
    case(fam, "mish", "Mish", [x], opset=18)
    case(fam, "mish_rank4", "Mish", [f32(1, 2, 3, 4)], opset=18)
    case(fam, "softplus_empty", "Softplus", [np.zeros((0, 2), dtype=np.float32)], opset=1)
    case(fam, "elu_int_refused", "Elu", [i64(1, -2)], opset=6, error=["int64"])


# ---------------------------------------------------------------- sin, cos, sign
def trig_sign():
    fam = "trig_sign"
    x = np.concatenate([f32(20, low=-10, high=10), np.array([0, -0.0, 3.1415927, 100], dtype=np.float32)])
    case(fam, "sin", "Sin", [x], opset=7)
    case(fam, "cos", "Cos", [x], opset=7)
    case(fam, "sin_rank2", "Sin", [f32(3, 4)], opset=7)
    case(fam, "sign_float", "Sign", [np.array([-2.5, -0.0, 0.0, 1e-30, 7, np.nan, np.inf, -np.inf], dtype=np.float32)],
         opset=13)
    case(fam, "sign_opset9", "Sign", [f32(2, 3)], opset=9)
    case(fam, "sign_int64", "Sign", [i64(-5, 0, 3, INT64_MIN, INT64_MAX)], opset=13)
    case(fam, "sign_int32", "Sign", [np.array([-5, 0, 3], dtype=np.int32)], opset=13)
    case(fam, "sign_uint64", "Sign", [np.array([0, 3, 2**63 + 5], dtype=np.uint64)], opset=13)
    case(fam, "sin_int_refused", "Sin", [i64(1)], opset=7, error=["int64"])


# ---------------------------------------------------------------- instance normalization
def instance_norm():
    fam = "instance_norm"
    x = f32(2, 3, 4, 5)
    scale, bias = f32(3), f32(3)
    case(fam, "rank4", "InstanceNormalization", [x, scale, bias], opset=6)
    case(fam, "rank3", "InstanceNormalization", [f32(2, 3, 7), scale, bias], opset=6)
    case(fam, "rank5", "InstanceNormalization", [f32(1, 3, 2, 3, 4), scale, bias], {"epsilon": 0.01}, opset=6)
    case(fam, "epsilon", "InstanceNormalization", [x, scale, bias], {"epsilon": 0.5}, opset=6)
    case(fam, "constant_plane", "InstanceNormalization",
         [np.ones((1, 3, 2, 2), dtype=np.float32), scale, bias], opset=6)
    # A moderate offset: at +1000 onnxruntime's Float mean is off by more than the fixtures' tolerance.
    case(fam, "offset_values", "InstanceNormalization", [(x + 10).astype(np.float32), scale, bias], opset=6)
    case(fam, "spatial_one", "InstanceNormalization", [f32(2, 3, 1), scale, bias], opset=6)
    case(fam, "scale_wrong_size", "InstanceNormalization", [x, f32(4), f32(4)], opset=6, error=["scale", "[4]"])


# ---------------------------------------------------------------- mod, isnan, isinf
def mod_and_classes():
    fam = "mod_classes"
    a = np.array([-7, 7, -7, 7, 0, 9, 5, -5, 13, -13], dtype=np.int64)
    b = np.array([2, 2, -2, -2, 3, 4, 7, 7, -3, -3], dtype=np.int64)
    case(fam, "mod_int64_numpy", "Mod", [a, b], opset=13)
    case(fam, "mod_int64_fmod", "Mod", [a, b], {"fmod": 1}, opset=13)
    case(fam, "mod_int32_numpy", "Mod", [a.astype(np.int32), b.astype(np.int32)], opset=13)
    case(fam, "mod_int32_fmod", "Mod", [a.astype(np.int32), b.astype(np.int32)], {"fmod": 1}, opset=10)
    case(fam, "mod_int64_bcast", "Mod", [a.reshape(2, 5), i64(3, -3).reshape(2, 1)], opset=13)
    case(fam, "mod_int64_scalar", "Mod", [a, np.array(-4, dtype=np.int64)], opset=13)
    case(fam, "mod_int64_extremes", "Mod", [i64(INT64_MIN, INT64_MAX, INT64_MIN), i64(-1, 2, 3)], opset=13)
    case(fam, "mod_uint64", "Mod", [np.array([2**63 + 7, 9], dtype=np.uint64), np.array([10, 4], dtype=np.uint64)],
         opset=13)
    case(fam, "mod_uint8", "Mod", [np.array([250, 9, 0], dtype=np.uint8), np.array([7, 4, 3], dtype=np.uint8)],
         opset=13)
    fa = f32(3, 4, low=-10, high=10)
    fb = np.where(np.abs(fb := f32(4, low=-4, high=4)) < 0.5, 0.5, fb).astype(np.float32)
    case(fam, "mod_float_fmod", "Mod", [fa, fb], {"fmod": 1}, opset=13)
    case(fam, "mod_float_specials", "Mod", [np.array([5.5, -5.5, np.inf, 3, np.nan], dtype=np.float32),
                                            np.array([2, 2, 2, np.inf, 1], dtype=np.float32)], {"fmod": 1}, opset=13)
    # fmod = 0 on floats (A - floor(A / B) * B in today's ONNX spec) is refused by onnxruntime 1.32; Lathe
    # runs it, and the ONNX backend node tests (test_mod_float*_fmod_0) check it.
    case(fam, "mod_incompatible", "Mod", [a, i64(1, 2, 3)], opset=13, error=["[10]", "[3]"])
    specials = np.array([[1.0, np.nan, np.inf], [-np.inf, 0.0, -3.5]], dtype=np.float32)
    case(fam, "isnan", "IsNaN", [specials], opset=13)
    case(fam, "isnan_opset9", "IsNaN", [specials], opset=9)
    case(fam, "isinf_default", "IsInf", [specials], opset=10)
    case(fam, "isinf_positive", "IsInf", [specials], {"detect_negative": 0}, opset=10)
    case(fam, "isinf_negative", "IsInf", [specials], {"detect_positive": 0}, opset=10)
    case(fam, "isinf_neither", "IsInf", [specials], {"detect_positive": 0, "detect_negative": 0}, opset=10)
    case(fam, "isnan_empty", "IsNaN", [np.zeros((0, 2), dtype=np.float32)], opset=13)
    case(fam, "isnan_float64", "IsNaN", [np.array([np.nan, 1.0], dtype=np.float64)], opset=13)


# ---------------------------------------------------------------- more reductions
def more_reductions():
    fam = "reduce_more"
    x = f32(2, 3, 4, 5)
    positive = f32(2, 3, 4, low=0.1, high=2.0)
    ints = RNG.integers(-9, 10, size=(3, 4)).astype(np.int64)
    for op in ["ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"]:
        low = op.lower()
        data = positive if op == "ReduceLogSum" else x
        small = (positive if op == "ReduceLogSum" else f32(2, 3, 4, low=-1.5, high=1.5))
        case(fam, f"{low}_attr_axes", op, [data], {"axes": [1, 2]}, opset=13)
        case(fam, f"{low}_attr_negative", op, [data], {"axes": [-1], "keepdims": 0}, opset=13)
        case(fam, f"{low}_attr_all", op, [small], opset=13)
        case(fam, f"{low}_attr_all_nokeep", op, [small], {"keepdims": 0}, opset=11)
        case(fam, f"{low}_input_axes", op, [data, i64(1)], opset=18)
        case(fam, f"{low}_input_axes_nokeep", op, [data, i64(0, -1)], {"keepdims": 0}, opset=18)
        case(fam, f"{low}_input_none", op, [small], opset=18)
        case(fam, f"{low}_input_empty_axes", op, [small, np.zeros((0,), dtype=np.int64)], opset=18)
        case(fam, f"{low}_noop_empty_axes", op, [data], {"noop_with_empty_axes": 1}, opset=18)
        case(fam, f"{low}_input_no_opset", op, [data, i64(1, 2)], opset=18, omit_opset=True)
        case(fam, f"{low}_attr_no_opset", op, [data], {"axes": [0]}, opset=13, omit_opset=True)
        case(fam, f"{low}_empty_axis", op, [np.zeros((2, 0, 3), dtype=np.float32), i64(1)], opset=18)
        case(fam, f"{low}_axis_out_of_range", op, [data, i64(4)], opset=18, error=["axis 4"])
        if op in ("ReduceProd", "ReduceL1", "ReduceSumSquare"):
            case(fam, f"{low}_int64", op, [ints, i64(1)], opset=18)
            case(fam, f"{low}_int32", op, [ints.astype(np.int32)], {"axes": [0], "keepdims": 0}, opset=13)
    big = np.array([[100, 101, 99], [-100, -101, -np.inf], [-np.inf, -np.inf, -np.inf]], dtype=np.float32)
    case(fam, "reducelogsumexp_large", "ReduceLogSumExp", [big, i64(1)], opset=18)
    case(fam, "reducelogsum_zero", "ReduceLogSum", [np.array([[0, 0], [1, 2]], dtype=np.float32), i64(1)], opset=18)
    # Integer inputs of the float-valued reductions: computed in floating point, truncated toward zero, and
    # log 0 = -inf saturated to the type's least value (deterministic data: later families' draws are unchanged).
    sums = np.array([[3, 4, 1], [1, 1, 2], [0, 0, 0]], dtype=np.int64)
    for op in ["ReduceL2", "ReduceLogSum", "ReduceLogSumExp"]:
        case(fam, f"{op.lower()}_int64", op, [sums, i64(1)], opset=18)
        case(fam, f"{op.lower()}_int32", op, [sums.astype(np.int32)], {"axes": [1], "keepdims": 0}, opset=13)


# ---------------------------------------------------------------- trilu, hardmax
def trilu_hardmax():
    fam = "trilu_hardmax"
    x = f32(2, 4, 5)
    for upper in [1, 0]:
        for k in [None, 0, 1, -1, 3, -3, 10, -10]:
            inputs = [x] if k is None else [x, np.array(k, dtype=np.int64)]
            label = "none" if k is None else (f"m{-k}" if k < 0 else str(k))
            case(fam, f"trilu_upper{upper}_k{label}", "Trilu", inputs, {"upper": upper}, opset=14)
    case(fam, "trilu_default", "Trilu", [f32(5, 3)], opset=14)
    case(fam, "trilu_lower_tall", "Trilu", [f32(5, 3), np.array(-1, dtype=np.int64)], {"upper": 0}, opset=14)
    case(fam, "trilu_int64", "Trilu", [np.arange(1, 13, dtype=np.int64).reshape(3, 4), np.array(1, dtype=np.int64)],
         opset=14)
    case(fam, "trilu_empty", "Trilu", [np.zeros((0, 3, 3), dtype=np.float32)], opset=14)
    case(fam, "trilu_huge_k", "Trilu", [f32(3, 3), np.array(INT64_MAX, dtype=np.int64)], {"upper": 0}, opset=14)
    case(fam, "trilu_rank1", "Trilu", [f32(4)], opset=14, error=["rank 2"])
    y = f32(2, 3, 4)
    ties = np.array([[1, 5, 5, 2], [7, 7, 0, 7], [3, 3, 3, 3]], dtype=np.float32)
    case(fam, "hardmax_opset13_default", "Hardmax", [y], opset=13)
    case(fam, "hardmax_opset13_axis0", "Hardmax", [y], {"axis": 0}, opset=13)
    case(fam, "hardmax_opset13_axis_neg2", "Hardmax", [y], {"axis": -2}, opset=13)
    case(fam, "hardmax_opset11_default", "Hardmax", [y], opset=11)
    case(fam, "hardmax_opset11_axis2", "Hardmax", [y], {"axis": 2}, opset=11)
    case(fam, "hardmax_opset11_axis0", "Hardmax", [y], {"axis": 0}, opset=11)
    case(fam, "hardmax_ties", "Hardmax", [ties], opset=13)
    case(fam, "hardmax_ties_opset1", "Hardmax", [ties], opset=1)
    case(fam, "hardmax_axis_out_of_range", "Hardmax", [y], {"axis": 3}, opset=13, error=["axis 3"])


# ---------------------------------------------------------------- gathernd, scatternd
def gather_scatter_nd():
    fam = "gather_scatter_nd"
    data = f32(3, 4, 5)
    case(fam, "gathernd_full_tuples", "GatherND", [data, np.array([[0, 1, 2], [2, 3, 4], [1, 0, 0]], dtype=np.int64)],
         opset=13)
    case(fam, "gathernd_rows", "GatherND", [data, np.array([[0, 1], [2, -1]], dtype=np.int64)], opset=13)
    case(fam, "gathernd_planes", "GatherND", [data, np.array([[[2]], [[0]]], dtype=np.int64)], opset=11)
    case(fam, "gathernd_negative", "GatherND", [data, np.array([[-1, -4, -5]], dtype=np.int64)], opset=13)
    case(fam, "gathernd_batch1", "GatherND", [data, np.array([[1], [3], [0]], dtype=np.int64)],
         {"batch_dims": 1}, opset=12)
    case(fam, "gathernd_batch1_pairs", "GatherND",
         [data, np.array([[[1, 2], [0, 0]], [[3, 4], [2, 1]], [[0, 1], [1, 0]]], dtype=np.int64)],
         {"batch_dims": 1}, opset=13)
    case(fam, "gathernd_batch2", "GatherND", [data, RNG.integers(0, 5, size=(3, 4, 2, 1)).astype(np.int64)],
         {"batch_dims": 2}, opset=13)
    case(fam, "gathernd_int64_data", "GatherND", [np.arange(12, dtype=np.int64).reshape(3, 4),
                                                  np.array([[2, 3], [0, 1]], dtype=np.int64)], opset=13)
    case(fam, "gathernd_empty_indices", "GatherND", [data, np.zeros((0, 2), dtype=np.int64)], opset=13)
    case(fam, "gathernd_out_of_range", "GatherND", [data, np.array([[3, 0]], dtype=np.int64)], opset=13,
         error=["index 3"])
    case(fam, "gathernd_tuple_too_long", "GatherND", [data, np.zeros((1, 4), dtype=np.int64)], opset=13,
         error=["length 4"])
    case(fam, "gathernd_batch_mismatch", "GatherND", [data, np.zeros((2, 1), dtype=np.int64)], {"batch_dims": 1},
         opset=13, error=["batch_dims", "[3, 4, 5]"])
    base = f32(4, 3, 2)
    rows = np.array([[2], [0]], dtype=np.int64)
    case(fam, "scatternd_rows", "ScatterND", [base, rows, f32(2, 3, 2)], opset=11)
    case(fam, "scatternd_elements", "ScatterND",
         [base, np.array([[0, 0, 0], [3, 2, 1], [1, 1, 0]], dtype=np.int64), f32(3)], opset=13)
    case(fam, "scatternd_pairs", "ScatterND", [base, np.array([[[1, 2]], [[3, 0]]], dtype=np.int64), f32(2, 1, 2)],
         opset=13)
    case(fam, "scatternd_negative", "ScatterND", [base, np.array([[-1], [-4]], dtype=np.int64), f32(2, 3, 2)],
         opset=13)
    dup = np.array([[1], [1], [3]], dtype=np.int64)
    for reduction in ["add", "mul"]:
        case(fam, f"scatternd_{reduction}", "ScatterND", [base, dup, f32(3, 3, 2)], {"reduction": reduction}, opset=16)
    for reduction in ["max", "min", "none"]:
        case(fam, f"scatternd_{reduction}", "ScatterND", [base, dup[1:], f32(2, 3, 2)], {"reduction": reduction},
             opset=18)
    case(fam, "scatternd_int64", "ScatterND", [np.arange(8, dtype=np.int64), np.array([[4], [3], [1], [7]], dtype=np.int64),
                                               i64(9, 10, 11, 12)], opset=13)
    case(fam, "scatternd_int64_add", "ScatterND", [np.arange(8, dtype=np.int64), np.array([[4], [4]], dtype=np.int64),
                                                   i64(9, 10)], {"reduction": "add"}, opset=16)
    case(fam, "scatternd_empty_updates", "ScatterND", [base, np.zeros((0, 1), dtype=np.int64), f32(0, 3, 2)], opset=13)
    case(fam, "scatternd_out_of_range", "ScatterND", [base, np.array([[4]], dtype=np.int64), f32(1, 3, 2)], opset=13,
         error=["index 4"])
    case(fam, "scatternd_bad_updates", "ScatterND", [base, rows, f32(2, 3)], opset=13, error=["[2, 3]", "[2, 3, 2]"])


def main():
    arithmetic()
    unary()
    activations()
    softmax()
    shape_ops()
    concat_split()
    slice_ops()
    gather()
    reductions()
    casts()
    generators()
    pass_through()
    comparison()
    topk()
    cumsum()
    depth_space()
    exp_activations()
    trig_sign()
    instance_norm()
    mod_and_classes()
    more_reductions()
    trilu_hardmax()
    gather_scatter_nd()
    indexing()
    for family, cases in FAMILIES.items():
        path = os.path.join(HERE, f"{family}.json")
        with open(path, "w") as f:
            json.dump({"generator": "make_fixtures.py", "onnxruntime": ort.__version__, "cases": cases}, f,
                      separators=(",", ":"))
            f.write("\n")
        print(f"{path}: {len(cases)} cases")


if __name__ == "__main__":
    sys.exit(main())
