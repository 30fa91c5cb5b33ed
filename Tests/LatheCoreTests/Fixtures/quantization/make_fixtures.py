#!/usr/bin/env python3
"""Reference fixtures for Lathe's quantization kernels (Engine/Ops/Quantization).

Every case is a single-node ONNX model run in onnxruntime with graph
optimisations off (ORT_DISABLE_ALL), its inputs stored as initializers so
4-bit and 16-bit types need no feeding; 4-bit outputs are read through a
DequantizeLinear with scale 1 (exact) and recorded at their 4-bit type.
Writes quantization.json in the format of Fixtures/tensorops (inputs,
attributes, opset, onnxruntime's outputs, or the words Lathe's error must
contain when onnxruntime rejects the case), which
Tests/LatheCoreTests/Quantization replays against the Swift kernels.

onnxruntime's x86 kernels for uint8 × int8 products (MatMulInteger,
QLinearMatMul, QLinearConv, and the fused kernels of optimised QDQ graphs)
add pairs of products in saturating 16-bit arithmetic (vpmaddubsw) on CPUs
without VNNI, so with full-range uint8 inputs their results are not the
exact int32 sums the specification defines. The uint8 × int8 cases here keep
the uint8 operand below 128 (as onnxruntime's reduce_range does), where
onnxruntime is exact; cases marked `reference="onnx"` use full-range inputs
and take their expected values from the ONNX reference implementation
(onnx.reference), after checking that it agrees with onnxruntime everywhere
except where 16-bit saturation can occur.

Run: .venv/bin/python Tests/LatheCoreTests/Fixtures/quantization/make_fixtures.py
(numpy, onnx, onnxruntime; the output is deterministic).
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = np.random.default_rng(20240611)
CASES = []

# Arrays tagged with a 4-bit ONNX type (numpy has none): (values as int8/uint8, "int4"/"uint4").
class Nibbles:
    def __init__(self, values, kind):
        self.values = np.asarray(values, dtype=np.int8 if kind == "int4" else np.uint8)
        self.kind = kind
        self.shape = self.values.shape


def f32(*shape, low=-3.0, high=3.0):
    return RNG.uniform(low, high, size=shape).astype(np.float32)


def ints(dtype, *shape):
    info = np.iinfo(dtype)
    return RNG.integers(info.min, int(info.max) + 1, size=shape).astype(dtype)


def low(*shape):
    """uint8 values below 128: onnxruntime's uint8 × int8 kernels are exact there."""
    return RNG.integers(0, 128, size=shape).astype(np.uint8)


def saturating(a):
    """Full-range operand with a row (uint8: 255) or column (int8: 127) that makes 16-bit pair sums overflow."""
    a = a.copy()
    if a.dtype == np.uint8:
        a[..., 0, :] = 255
    else:
        a[..., :, 0] = 127
    return a


def int4(*shape):
    return Nibbles(RNG.integers(-8, 8, size=shape), "int4")


def uint4(*shape):
    return Nibbles(RNG.integers(0, 16, size=shape), "uint4")


def enc_float(v):
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(v)


def enc_tensor(a):
    if isinstance(a, Nibbles):
        return {"dtype": a.kind, "shape": list(a.shape), "data": [int(v) for v in a.values.ravel()]}
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return {"dtype": a.dtype.name, "shape": list(a.shape), "data": [enc_float(v) for v in a.astype(np.float64).ravel()]}
    return {"dtype": a.dtype.name, "shape": list(a.shape), "data": [int(v) for v in a.astype(np.int64).ravel()]}


def enc_attr(value):
    if isinstance(value, int):
        return {"type": "int", "value": value}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, (list, tuple)):
        return {"type": "ints", "value": list(value)}
    raise TypeError(value)


def initializer(name, a):
    if isinstance(a, Nibbles):
        code = TensorProto.INT4 if a.kind == "int4" else TensorProto.UINT4
        return helper.make_tensor(name, code, list(a.shape), a.values.astype(np.int64).ravel().tolist())
    return onnx.numpy_helper.from_array(np.asarray(a), name)


def run_onnxruntime(op, inputs, attrs, opset, outputs, nibble_outputs):
    names = [("" if x is None else f"in{i}") for i, x in enumerate(inputs)]
    out_names = [f"out{i}" for i in range(outputs)]
    node_outputs = [f"raw{i}" if i in nibble_outputs else n for i, n in enumerate(out_names)]
    nodes = [helper.make_node(op, names, node_outputs, **attrs)]
    inits = [initializer(n, x) for n, x in zip(names, inputs) if x is not None]
    for i, kind in nibble_outputs.items():
        code = TensorProto.INT4 if kind == "int4" else TensorProto.UINT4
        inits += [onnx.numpy_helper.from_array(np.array(1, np.float32), f"one{i}"),
                  helper.make_tensor(f"zero{i}", code, [], [0])]
        nodes.append(helper.make_node("DequantizeLinear", [f"raw{i}", f"one{i}", f"zero{i}"], [out_names[i]]))
    graph = helper.make_graph(nodes, "case", [], [onnx.ValueInfoProto(name=n) for n in out_names], inits)
    opset_id = helper.make_opsetid("", opset)
    model = helper.make_model(graph, opset_imports=[opset_id],
                              ir_version=max(helper.find_min_ir_version_for([opset_id]), 7))
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    options.log_severity_level = 4
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(None, {}), model


def run_reference(model):
    return ReferenceEvaluator(model).run(None, {})


def case(name, op, inputs, attrs=None, opset=21, outputs=1, error=None, nibble_outputs=None, reference="onnxruntime"):
    """`error`: words Lathe's message must contain when onnxruntime must reject the case.
    `reference="onnx"`: expected values from the ONNX reference implementation (see the module doc)."""
    attrs = attrs or {}
    nibble_outputs = nibble_outputs or {}
    entry = {"name": name, "op": op, "opset": opset, "omitOpset": False, "reference": reference,
             "attributes": {k: enc_attr(v) for k, v in attrs.items()},
             "inputs": [None if x is None else enc_tensor(x) for x in inputs], "outputs": outputs}
    try:
        results, model = run_onnxruntime(op, inputs, attrs, opset, outputs, nibble_outputs)
    except Exception as exc:
        if error is None:
            raise SystemExit(f"{name}: onnxruntime failed unexpectedly: {exc}")
        entry["expected"] = None
        entry["errorMentions"] = error
    else:
        if error is not None:
            raise SystemExit(f"{name}: onnxruntime accepted a case declared as an error")
        if reference == "onnx":
            exact = run_reference(model)
            differs = sum(int((np.asarray(a) != np.asarray(b)).sum()) for a, b in zip(results, exact))
            if differs == 0:
                raise SystemExit(f"{name}: onnxruntime already exact; no need for the reference")
            print(f"{name}: onnxruntime differs from the ONNX reference in {differs} elements (16-bit saturation)")
            results = exact
        elif op in ("MatMulInteger", "ConvInteger", "QLinearMatMul", "QLinearConv"):
            check = run_reference(model)
            for a, b in zip(results, check):
                if np.asarray(a).dtype.kind in "iu" and not np.array_equal(a, b):
                    raise SystemExit(f"{name}: onnxruntime and the ONNX reference disagree")
        expected = []
        for i, r in enumerate(results):
            if i in nibble_outputs:
                expected.append(enc_tensor(Nibbles(r.astype(np.int64), nibble_outputs[i])))
            else:
                expected.append(enc_tensor(r))
        entry["expected"] = expected
    CASES.append(entry)


def scalar(value, dtype=np.float32):
    return np.array(value, dtype=dtype)


def quantize_cases():
    x = f32(2, 3, 4, low=-4, high=4)
    s = scalar(0.05)
    # Ties: x / scale lands exactly on .5, so round-half-to-even decides.
    ties = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 100.0, -100.0, 0.0, 0.26, -0.74], np.float32)
    for opset in [10, 13, 19, 21]:
        case(f"quantize_uint8_default_opset{opset}", "QuantizeLinear", [x, s], opset=opset)
        case(f"quantize_uint8_zp_opset{opset}", "QuantizeLinear", [x, s, scalar(128, np.uint8)], opset=opset)
        case(f"quantize_int8_zp_opset{opset}", "QuantizeLinear", [x, s, scalar(-3, np.int8)], opset=opset)
    case("quantize_ties_uint8", "QuantizeLinear", [ties, scalar(1.0), scalar(10, np.uint8)], opset=13)
    case("quantize_ties_int8", "QuantizeLinear", [ties, scalar(0.5), scalar(0, np.int8)], opset=13)
    case("quantize_saturate_int8", "QuantizeLinear", [x * 100, scalar(0.1), scalar(0, np.int8)], opset=13)
    case("quantize_one_element_scale", "QuantizeLinear", [x, np.array([0.1], np.float32), np.array([3], np.uint8)], opset=13)
    for axis in [0, 1, 2, -1]:
        n = x.shape[axis]
        case(f"quantize_per_axis_{axis}", "QuantizeLinear",
             [x, f32(n, low=0.01, high=0.1), ints(np.int8, n)], {"axis": axis}, opset=13)
    case("quantize_per_axis_default_axis_no_zp", "QuantizeLinear", [x, f32(3, low=0.01, high=0.1)], opset=13)
    w = f32(6, 5, low=-2, high=2)
    case("quantize_blocked_axis0", "QuantizeLinear",
         [w, f32(2, 5, low=0.01, high=0.1), ints(np.int8, 2, 5)], {"axis": 0, "block_size": 3})
    case("quantize_blocked_axis1_remainder", "QuantizeLinear",
         [w, f32(6, 3, low=0.01, high=0.1), ints(np.uint8, 6, 3)], {"axis": 1, "block_size": 2})
    case("quantize_int16", "QuantizeLinear", [x, scalar(0.0005), scalar(-7, np.int16)])
    case("quantize_uint16", "QuantizeLinear", [x, scalar(0.0005), scalar(30000, np.uint16)])
    case("quantize_output_dtype_int8", "QuantizeLinear", [x, scalar(0.05)], {"output_dtype": TensorProto.INT8})
    case("quantize_output_dtype_uint16", "QuantizeLinear", [x, scalar(0.001)], {"output_dtype": TensorProto.UINT16})
    case("quantize_int4", "QuantizeLinear", [x, scalar(0.5), Nibbles(np.array(1), "int4")], nibble_outputs={0: "int4"})
    case("quantize_uint4_per_axis", "QuantizeLinear", [x, f32(3, low=0.2, high=0.6), Nibbles([8, 7, 9], "uint4")],
         {"axis": 1}, nibble_outputs={0: "uint4"})
    case("quantize_int4_blocked", "QuantizeLinear", [w, f32(6, 3, low=0.2, high=0.5), Nibbles(np.zeros((6, 3)), "int4")],
         {"axis": 1, "block_size": 2}, nibble_outputs={0: "int4"})
    case("quantize_float16", "QuantizeLinear", [x.astype(np.float16), scalar(0.05, np.float16), scalar(5, np.int8)], opset=19)
    case("quantize_bad_axis_scale", "QuantizeLinear", [x, f32(5, low=0.1, high=0.2)], {"axis": 1}, opset=13,
         error=["scale", "[5]"])
    case("quantize_bad_block_scale", "QuantizeLinear", [w, f32(6, 2, low=0.1, high=0.2)], {"axis": 1, "block_size": 2},
         error=["block_size", "[6, 3]"])


def dequantize_cases():
    q8 = ints(np.uint8, 2, 3, 4)
    for opset in [10, 13, 19, 21]:
        case(f"dequantize_uint8_opset{opset}", "DequantizeLinear", [q8, scalar(0.05), scalar(128, np.uint8)], opset=opset)
        case(f"dequantize_int8_no_zp_opset{opset}", "DequantizeLinear", [ints(np.int8, 3, 4), scalar(0.1)], opset=opset)
    case("dequantize_int32_bias", "DequantizeLinear", [ints(np.int32, 7), scalar(0.0003)], opset=13)
    for axis in [0, 1, -1]:
        n = q8.shape[axis]
        case(f"dequantize_per_axis_{axis}", "DequantizeLinear",
             [q8, f32(n, low=0.01, high=0.1), ints(np.uint8, n)], {"axis": axis}, opset=13)
    w8 = ints(np.int8, 6, 5)
    case("dequantize_blocked_axis0", "DequantizeLinear", [w8, f32(2, 5, low=0.01, high=0.1), ints(np.int8, 2, 5)],
         {"axis": 0, "block_size": 3})
    case("dequantize_blocked_axis1_remainder", "DequantizeLinear", [w8, f32(6, 3, low=0.01, high=0.1)],
         {"axis": 1, "block_size": 2})
    case("dequantize_int16", "DequantizeLinear", [ints(np.int16, 3, 4), scalar(0.001), scalar(-100, np.int16)])
    case("dequantize_uint16", "DequantizeLinear", [ints(np.uint16, 3, 4), scalar(0.001), scalar(32768, np.uint16)])
    case("dequantize_int4", "DequantizeLinear", [int4(3, 5), scalar(0.3), Nibbles(np.array(-2), "int4")])
    case("dequantize_uint4_per_axis", "DequantizeLinear", [uint4(4, 3), f32(4, low=0.1, high=0.4),
                                                           Nibbles([8, 0, 15, 3], "uint4")], {"axis": 0})
    case("dequantize_int4_blocked", "DequantizeLinear", [int4(4, 7), f32(4, 2, low=0.1, high=0.4)],
         {"axis": 1, "block_size": 4})
    case("dequantize_float16_scale", "DequantizeLinear", [ints(np.int8, 3, 4), scalar(0.0123, np.float16),
                                                          scalar(3, np.int8)], opset=19)
    case("dequantize_zp_type_mismatch", "DequantizeLinear", [q8, scalar(0.1), scalar(3, np.int8)], opset=13,
         error=["zero point", "int8"])
    case("dequantize_bad_block_scale", "DequantizeLinear", [w8, f32(6, 2, low=0.1, high=0.2)],
         {"axis": 1, "block_size": 2}, error=["block_size", "[6, 3]"])


def dynamic_cases():
    case("dynamic_random", "DynamicQuantizeLinear", [f32(3, 7, low=-2, high=5)], opset=11, outputs=3)
    case("dynamic_positive", "DynamicQuantizeLinear", [f32(4, 4, low=0.5, high=3)], opset=11, outputs=3)
    case("dynamic_negative", "DynamicQuantizeLinear", [f32(4, 4, low=-3, high=-0.5)], opset=11, outputs=3)
    case("dynamic_zeros", "DynamicQuantizeLinear", [np.zeros((2, 3), np.float32)], opset=11, outputs=3)
    case("dynamic_wide", "DynamicQuantizeLinear", [f32(2, 50, low=-1000, high=30)], opset=11, outputs=3)


def matmul_integer_cases():
    case("matmulinteger_uint8_zps", "MatMulInteger", [ints(np.uint8, 4, 5), ints(np.uint8, 5, 3),
                                                      scalar(12, np.uint8), scalar(200, np.uint8)], opset=10)
    case("matmulinteger_no_zps", "MatMulInteger", [ints(np.uint8, 4, 5), ints(np.uint8, 5, 3)], opset=10)
    case("matmulinteger_uint8_int8", "MatMulInteger", [low(4, 6), ints(np.int8, 6, 3),
                                                       scalar(100, np.uint8), scalar(-5, np.int8)], opset=10)
    case("matmulinteger_uint8_int8_full_range", "MatMulInteger", [saturating(ints(np.uint8, 4, 6)),
                                                                  saturating(ints(np.int8, 6, 3)),
                                                                  scalar(100, np.uint8), scalar(-5, np.int8)],
         opset=10, reference="onnx")
    case("matmulinteger_int8_int8", "MatMulInteger", [ints(np.int8, 3, 6), ints(np.int8, 6, 2),
                                                      scalar(1, np.int8), scalar(-1, np.int8)], opset=10)
    case("matmulinteger_b_per_column", "MatMulInteger", [low(4, 5), ints(np.int8, 5, 3),
                                                         scalar(7, np.uint8), ints(np.int8, 3)], opset=10)
    case("matmulinteger_batched", "MatMulInteger", [ints(np.uint8, 2, 3, 4, 5), ints(np.uint8, 5, 6),
                                                    scalar(3, np.uint8), scalar(9, np.uint8)], opset=10)
    case("matmulinteger_batch_broadcast", "MatMulInteger", [low(2, 1, 4, 5), ints(np.int8, 3, 5, 2)],
         opset=10)
    case("matmulinteger_vector_left", "MatMulInteger", [ints(np.uint8, 5), ints(np.uint8, 5, 3)], opset=10)
    case("matmulinteger_large_k", "MatMulInteger", [ints(np.uint8, 3, 700), ints(np.uint8, 700, 4),
                                                    scalar(0, np.uint8), scalar(0, np.uint8)], opset=10)
    case("matmulinteger_inner_mismatch", "MatMulInteger", [ints(np.uint8, 4, 5), ints(np.uint8, 4, 3)], opset=10,
         error=["[4, 5]", "[4, 3]"])


def conv_integer_cases():
    x = ints(np.uint8, 2, 4, 7, 6)
    w = ints(np.uint8, 6, 4, 3, 3)
    zx, zw = scalar(120, np.uint8), scalar(130, np.uint8)
    case("convinteger_basic", "ConvInteger", [x, w, zx, zw], opset=10)
    case("convinteger_no_zps", "ConvInteger", [x, w], opset=10)
    case("convinteger_pads_strides", "ConvInteger", [x, w, zx, zw], {"pads": [1, 2, 0, 1], "strides": [2, 1]}, opset=10)
    case("convinteger_dilations", "ConvInteger", [x, w, zx, zw], {"dilations": [2, 1], "pads": [1, 1, 1, 1]}, opset=10)
    case("convinteger_group", "ConvInteger", [x, ints(np.uint8, 4, 2, 3, 3), zx, zw], {"group": 2}, opset=10)
    case("convinteger_auto_pad_same", "ConvInteger", [x, w, zx, zw], {"auto_pad": "SAME_UPPER", "strides": [2, 2]},
         opset=10)
    case("convinteger_int8_weights", "ConvInteger", [x, ints(np.int8, 6, 4, 3, 3), zx, scalar(-3, np.int8)], opset=10)
    case("convinteger_1d", "ConvInteger", [ints(np.uint8, 2, 3, 9), ints(np.uint8, 4, 3, 2), scalar(5, np.uint8)],
         {"pads": [1, 0]}, opset=10)
    case("convinteger_channel_mismatch", "ConvInteger", [x, ints(np.uint8, 6, 3, 3, 3)], opset=10,
         error=["[6, 3, 3, 3]"])


def qlinear_conv_cases():
    full = ints(np.uint8, 2, 4, 6, 5)
    x = low(2, 4, 6, 5)
    w8 = ints(np.int8, 6, 4, 3, 3)
    xs, xz = scalar(0.02), scalar(110, np.uint8)
    ys, yz = scalar(0.15), scalar(120, np.uint8)
    bias = RNG.integers(-2000, 2000, size=6).astype(np.int32)
    case("qlinearconv_u8s8_per_tensor", "QLinearConv", [x, xs, xz, w8, scalar(0.01), scalar(0, np.int8), ys, yz],
         opset=10)
    case("qlinearconv_u8s8_per_channel_bias", "QLinearConv",
         [x, xs, xz, w8, f32(6, low=0.003, high=0.02), np.zeros(6, np.int8), ys, yz, bias],
         {"pads": [1, 1, 1, 1]}, opset=10)
    case("qlinearconv_u8s8_full_range", "QLinearConv", [full, xs, xz, w8, scalar(0.01), scalar(0, np.int8), ys, yz],
         opset=10, reference="onnx")
    case("qlinearconv_u8u8", "QLinearConv",
         [full, xs, xz, ints(np.uint8, 6, 4, 3, 3), scalar(0.01), scalar(128, np.uint8), ys, yz, bias],
         {"strides": [2, 2], "pads": [0, 1, 0, 1]}, opset=10)
    case("qlinearconv_s8s8", "QLinearConv",
         [ints(np.int8, 2, 4, 6, 5), xs, scalar(-3, np.int8), w8, f32(6, low=0.003, high=0.02), np.zeros(6, np.int8),
          ys, scalar(5, np.int8), bias], {"pads": [1, 1, 1, 1]}, opset=10)
    case("qlinearconv_depthwise", "QLinearConv",
         [x, xs, xz, ints(np.int8, 4, 1, 3, 3), f32(4, low=0.003, high=0.02), np.zeros(4, np.int8), ys, yz,
          bias[:4]], {"group": 4, "pads": [1, 1, 1, 1]}, opset=10)
    case("qlinearconv_saturating", "QLinearConv", [x, xs, xz, w8, scalar(0.05), scalar(0, np.int8), scalar(0.001), yz],
         opset=10)
    case("qlinearconv_1x1_dilated", "QLinearConv",
         [x, xs, xz, ints(np.int8, 3, 4, 1, 1), scalar(0.01), scalar(0, np.int8), ys, yz], {"dilations": [2, 2]},
         opset=10)


def qlinear_matmul_cases():
    a = low(3, 4, 6)
    case("qlinearmatmul_u8u8", "QLinearMatMul",
         [a, scalar(0.03), scalar(100, np.uint8), ints(np.uint8, 6, 5), scalar(0.02), scalar(130, np.uint8),
          scalar(0.2), scalar(125, np.uint8)], opset=10)
    case("qlinearmatmul_u8s8", "QLinearMatMul",
         [a, scalar(0.03), scalar(100, np.uint8), ints(np.int8, 6, 5), scalar(0.02), scalar(0, np.int8),
          scalar(0.2), scalar(125, np.uint8)], opset=10)
    case("qlinearmatmul_u8s8_full_range", "QLinearMatMul",
         [ints(np.uint8, 3, 4, 6), scalar(0.03), scalar(100, np.uint8), ints(np.int8, 6, 5), scalar(0.02),
          scalar(0, np.int8), scalar(0.2), scalar(125, np.uint8)], opset=10, reference="onnx")
    case("qlinearmatmul_s8s8_int8_out", "QLinearMatMul",
         [ints(np.int8, 4, 6), scalar(0.03), scalar(-2, np.int8), ints(np.int8, 6, 5), scalar(0.02),
          scalar(0, np.int8), scalar(0.3), scalar(4, np.int8)], opset=10)
    case("qlinearmatmul_b_per_column", "QLinearMatMul",
         [a, scalar(0.03), scalar(100, np.uint8), ints(np.int8, 6, 5), f32(5, low=0.005, high=0.03),
          np.zeros(5, np.int8), scalar(0.2), scalar(125, np.uint8)], opset=10)
    case("qlinearmatmul_batch_both", "QLinearMatMul",
         [a, scalar(0.03), scalar(100, np.uint8), ints(np.uint8, 3, 6, 2), scalar(0.02), scalar(130, np.uint8),
          scalar(0.2), scalar(125, np.uint8)], opset=21)


def round_cases():
    # Round (half to even) is in the expanded DynamicQuantizeLinear of the ONNX node tests.
    halves = np.array([-2.5, -1.5, -0.5, -0.0, 0.5, 1.5, 2.5, 3.5, -1.2, 1.7, 1e10, np.inf, -np.inf], np.float32)
    case("round_half_to_even", "Round", [np.concatenate([halves, f32(20, low=-10, high=10)])], opset=11)


def main():
    round_cases()
    quantize_cases()
    dequantize_cases()
    dynamic_cases()
    matmul_integer_cases()
    conv_integer_cases()
    qlinear_conv_cases()
    qlinear_matmul_cases()
    path = os.path.join(HERE, "quantization.json")
    with open(path, "w") as f:
        json.dump({"generator": "make_fixtures.py", "onnxruntime": ort.__version__, "cases": CASES}, f)
        f.write("\n")
    print(f"{len(CASES)} cases -> {path}")


if __name__ == "__main__":
    main()
