#!/usr/bin/env python3
"""Generate the compute-kernel fixtures: one JSON file per op family, each case a
single-node ONNX model (optionally followed by an activation node, for the fused
activation tests) run by onnxruntime on seeded random inputs.

Run with the project's Python (numpy, onnx, onnxruntime):
    python Tests/LatheCoreTests/Fixtures/kernels/make_fixtures.py
The Swift tests (Tests/LatheCoreTests/Kernels) rebuild each node, run Lathe's
kernel and compare with the recorded outputs.
"""
import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20240607)


def reseed(family):
    """Each op family draws from its own stream, so adding a case to one
    family leaves the other files unchanged."""
    global rng
    rng = np.random.default_rng([20240607, sum(map(ord, family))])


def rand(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, size=shape).astype(np.float32)


def f32(values):
    return np.asarray(values, dtype=np.float32)


def i64(values):
    return np.asarray(values, dtype=np.int64)


def attr_json(value):
    if isinstance(value, bool) or isinstance(value, (int, np.integer)):
        return {"type": "int", "value": int(value)}
    if isinstance(value, float):
        return {"type": "float", "value": value}
    if isinstance(value, str):
        return {"type": "string", "value": value}
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (int, np.integer)) for v in value):
            return {"type": "ints", "value": [int(v) for v in value]}
        return {"type": "floats", "value": [float(v) for v in value]}
    raise TypeError(value)


def tensor_json(array):
    if array is None:
        return None
    array = np.asarray(array)
    if array.dtype == np.float32:
        data = [float(str(v)) for v in array.reshape(-1)]
        dtype = "float32"
    elif array.dtype == np.int64:
        data = [int(v) for v in array.reshape(-1)]
        dtype = "int64"
    else:
        raise TypeError(array.dtype)
    return {"shape": list(array.shape), "dtype": dtype, "data": data}


ELEM = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64}

# ONNX activation node (op, attributes, extra constant inputs) for each fused activation.
def activation_node(kind, params, src, dst, opset):
    extra = []
    attrs = {}
    if kind == "LeakyRelu":
        attrs["alpha"] = params.get("lathe.alpha", 0.01)
    elif kind == "HardSigmoid":
        attrs["alpha"] = params.get("lathe.alpha", 0.2)
        attrs["beta"] = params.get("lathe.beta", 0.5)
    elif kind == "Clip":
        lo = params.get("lathe.min")
        hi = params.get("lathe.max")
        extra = [("clip_min", lo), ("clip_max", hi)]
    node_inputs = [src]
    inits = []
    for name, value in extra:
        if value is None:
            node_inputs.append("")
        else:
            node_inputs.append(name)
            inits.append(helper.make_tensor(name, TensorProto.FLOAT, [], [value]))
    return helper.make_node(kind, node_inputs, [dst], **attrs), inits


def run_case(name, op, inputs, attrs=None, opset=13, n_outputs=1, fused=None):
    attrs = attrs or {}
    input_names = []
    graph_inputs = []
    feeds = {}
    for index, array in enumerate(inputs):
        if array is None:
            input_names.append("")
            continue
        in_name = f"in{index}"
        input_names.append(in_name)
        graph_inputs.append(helper.make_tensor_value_info(in_name, ELEM[array.dtype], list(array.shape)))
        feeds[in_name] = array
    while input_names and input_names[-1] == "":
        input_names.pop()
    out_names = [f"out{i}" for i in range(n_outputs)]
    node_out = list(out_names)
    nodes = []
    inits = []
    if fused:
        node_out[0] = "pre_activation"
    nodes.append(helper.make_node(op, input_names, node_out, **attrs))
    if fused:
        act, act_inits = activation_node(fused["lathe.activation"], fused, "pre_activation", out_names[0], opset)
        nodes.append(act)
        inits += act_inits
    # Only MaxPool's second output (Indices) is an integer tensor.
    out_types = [TensorProto.INT64 if (op == "MaxPool" and i == 1) else TensorProto.FLOAT for i in range(n_outputs)]
    graph_outputs = [helper.make_tensor_value_info(n, t, None) for n, t in zip(out_names, out_types)]
    graph = helper.make_graph(nodes, name, graph_inputs, graph_outputs, initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    outputs = session.run(out_names, feeds)
    case = {
        "name": name,
        "op": op,
        "opset": opset,
        "attributes": {k: attr_json(v) for k, v in attrs.items()},
        "inputs": [tensor_json(a) for a in inputs],
        "outputs": [tensor_json(o) for o in outputs],
    }
    if fused:
        case["fused"] = {k: attr_json(v) for k, v in fused.items()}
    return case


def write(filename, cases):
    names = [c["name"] for c in cases]
    assert len(names) == len(set(names)), "duplicate case names in " + filename
    with open(os.path.join(HERE, filename), "w") as handle:
        json.dump({"cases": cases}, handle, separators=(",", ":"))
        handle.write("\n")
    print(f"{filename}: {len(cases)} cases")


# --------------------------------------------------------------------------- Conv
def conv_cases():
    reseed("conv")
    c = []
    c.append(run_case("conv2d_batch1_nonsquare_bias", "Conv",
                      [rand(1, 3, 7, 6), rand(4, 3, 3, 3), rand(4)], {"pads": [1, 1, 1, 1]}, opset=11))
    c.append(run_case("conv2d_stride2_pad_one_side_nobias", "Conv",
                      [rand(2, 3, 9, 8), rand(5, 3, 3, 3)], {"strides": [2, 2], "pads": [1, 0, 0, 1]}, opset=11))
    c.append(run_case("conv2d_dilation_rect_kernel", "Conv",
                      [rand(2, 2, 10, 9), rand(3, 2, 3, 2), rand(3)],
                      {"dilations": [2, 2], "strides": [1, 2], "pads": [2, 1, 1, 0]}, opset=13))
    c.append(run_case("conv2d_group2", "Conv",
                      [rand(2, 4, 6, 7), rand(6, 2, 3, 3), rand(6)], {"group": 2, "pads": [1, 1, 1, 1]}, opset=11))
    c.append(run_case("conv2d_group3_stride2", "Conv",
                      [rand(1, 6, 7, 7), rand(3, 2, 2, 2)], {"group": 3, "strides": [2, 2]}, opset=11))
    c.append(run_case("conv2d_depthwise", "Conv",
                      [rand(2, 5, 8, 7), rand(5, 1, 3, 3), rand(5)], {"group": 5, "pads": [1, 1, 1, 1]}, opset=11))
    c.append(run_case("conv2d_depthwise_multiplier2_stride2", "Conv",
                      [rand(2, 3, 9, 8), rand(6, 1, 3, 3), rand(6)],
                      {"group": 3, "strides": [2, 2], "pads": [1, 1, 1, 1]}, opset=11))
    c.append(run_case("conv2d_depthwise_k5_dilated_asym_pad", "Conv",
                      [rand(1, 4, 12, 11), rand(4, 1, 5, 5)],
                      {"group": 4, "strides": [2, 1], "dilations": [2, 1], "pads": [3, 0, 1, 2]}, opset=13))
    c.append(run_case("conv2d_depthwise_kernel_wider_than_input", "Conv",
                      [rand(1, 2, 3, 2), rand(2, 1, 5, 5), rand(2)], {"group": 2, "pads": [2, 2, 2, 2]}, opset=11))
    c.append(run_case("conv2d_depthwise_stride3_no_pad", "Conv",
                      [rand(2, 3, 10, 13), rand(3, 1, 3, 3)], {"group": 3, "strides": [3, 3]}, opset=11))
    c.append(run_case("conv2d_pointwise_gemm_path", "Conv",
                      [rand(3, 8, 5, 4), rand(6, 8, 1, 1), rand(6)], {}, opset=11))
    c.append(run_case("conv2d_pointwise_stride2", "Conv",
                      [rand(2, 4, 5, 6), rand(3, 4, 1, 1)], {"strides": [2, 2]}, opset=11))
    c.append(run_case("conv2d_pointwise_group2", "Conv",
                      [rand(2, 4, 3, 3), rand(6, 2, 1, 1), rand(6)], {"group": 2}, opset=11))
    c.append(run_case("conv2d_same_upper_stride2_k4", "Conv",
                      [rand(1, 2, 7, 7), rand(3, 2, 4, 4)], {"auto_pad": "SAME_UPPER", "strides": [2, 2]}, opset=11))
    c.append(run_case("conv2d_same_lower_stride2_k4", "Conv",
                      [rand(1, 2, 7, 7), rand(3, 2, 4, 4)], {"auto_pad": "SAME_LOWER", "strides": [2, 2]}, opset=11))
    c.append(run_case("conv2d_same_upper_k2_stride1", "Conv",
                      [rand(1, 2, 5, 6), rand(2, 2, 2, 2)], {"auto_pad": "SAME_UPPER"}, opset=11))
    c.append(run_case("conv2d_valid_stride2", "Conv",
                      [rand(2, 2, 8, 7), rand(3, 2, 3, 3)], {"auto_pad": "VALID", "strides": [2, 2]}, opset=11))
    c.append(run_case("conv2d_depthwise_same_upper", "Conv",
                      [rand(1, 3, 8, 8), rand(3, 1, 3, 3)], {"auto_pad": "SAME_UPPER", "group": 3, "strides": [2, 2]}, opset=11))
    c.append(run_case("conv2d_explicit_kernel_shape_opset7", "Conv",
                      [rand(1, 2, 5, 5), rand(2, 2, 3, 3), rand(2)], {"kernel_shape": [3, 3]}, opset=7))
    c.append(run_case("conv2d_kernel_larger_than_input_padded", "Conv",
                      [rand(1, 2, 2, 2), rand(3, 2, 3, 3)], {"pads": [1, 1, 1, 1]}, opset=21))
    c.append(run_case("conv1d_stride2_asym_pad", "Conv",
                      [rand(2, 3, 11), rand(4, 3, 3), rand(4)], {"strides": [2], "pads": [1, 2]}, opset=11))
    c.append(run_case("conv1d_dilated", "Conv",
                      [rand(1, 2, 12), rand(3, 2, 4)], {"dilations": [3]}, opset=11))
    c.append(run_case("conv1d_depthwise", "Conv",
                      [rand(2, 4, 10), rand(4, 1, 3), rand(4)], {"group": 4, "pads": [1, 1]}, opset=11))
    c.append(run_case("conv3d_basic", "Conv",
                      [rand(1, 2, 4, 5, 4), rand(3, 2, 2, 3, 2), rand(3)],
                      {"pads": [1, 0, 1, 0, 1, 1], "strides": [1, 2, 1]}, opset=11))
    c.append(run_case("conv3d_depthwise", "Conv",
                      [rand(1, 2, 4, 4, 4), rand(4, 1, 3, 3, 3)], {"group": 2, "pads": [1] * 6}, opset=11))
    # Fused activations: the model applies the activation as a second node.
    acts = [
        ({"lathe.activation": "Relu"}, "relu"),
        ({"lathe.activation": "LeakyRelu", "lathe.alpha": 0.2}, "leakyrelu"),
        ({"lathe.activation": "LeakyRelu"}, "leakyrelu_default"),
        ({"lathe.activation": "Clip", "lathe.min": 0.0, "lathe.max": 0.6}, "clip"),
        ({"lathe.activation": "Clip", "lathe.max": 0.3}, "clip_max_only"),
        ({"lathe.activation": "Sigmoid"}, "sigmoid"),
        ({"lathe.activation": "HardSigmoid", "lathe.alpha": 0.3, "lathe.beta": 0.4}, "hardsigmoid"),
        ({"lathe.activation": "HardSigmoid"}, "hardsigmoid_default"),
        ({"lathe.activation": "HardSwish"}, "hardswish"),
        ({"lathe.activation": "Tanh"}, "tanh"),
    ]
    for fused, label in acts:
        c.append(run_case("conv2d_fused_" + label, "Conv",
                          [rand(2, 3, 6, 5, low=-3, high=3), rand(4, 3, 3, 3), rand(4)],
                          {"pads": [1, 1, 1, 1]}, opset=14, fused=fused))
    c.append(run_case("conv2d_depthwise_fused_clip6", "Conv",
                      [rand(2, 4, 7, 7, low=-4, high=8), rand(4, 1, 3, 3), rand(4)],
                      {"group": 4, "pads": [1, 1, 1, 1]}, opset=14,
                      fused={"lathe.activation": "Clip", "lathe.min": 0.0, "lathe.max": 6.0}))
    c.append(run_case("conv2d_pointwise_fused_hardswish", "Conv",
                      [rand(2, 4, 5, 5, low=-4, high=4), rand(6, 4, 1, 1), rand(6)], {}, opset=14,
                      fused={"lathe.activation": "HardSwish"}))
    c.append(run_case("conv1d_fused_tanh", "Conv",
                      [rand(2, 3, 9), rand(2, 3, 3), rand(2)], {"pads": [1, 1]}, opset=14,
                      fused={"lathe.activation": "Tanh"}))
    # Rows wide enough for the depthwise SIMD blocks (eight outputs at a time,
    # last block shifted back), at strides 1 and 2, dilated, with multiplier.
    c.append(run_case("conv2d_depthwise_wide_rows_stride1", "Conv",
                      [rand(2, 3, 5, 29), rand(3, 1, 3, 3), rand(3)], {"group": 3, "pads": [1, 1, 1, 1]}, opset=13))
    c.append(run_case("conv2d_depthwise_wide_rows_stride2", "Conv",
                      [rand(1, 2, 6, 41), rand(2, 1, 3, 3), rand(2)],
                      {"group": 2, "pads": [1, 1, 1, 1], "strides": [2, 2]}, opset=13))
    c.append(run_case("conv2d_depthwise_wide_rows_stride2_even_width", "Conv",
                      [rand(1, 2, 4, 32), rand(2, 1, 3, 3)], {"group": 2, "pads": [0, 0, 1, 1], "strides": [2, 2]}, opset=13))
    c.append(run_case("conv2d_depthwise_wide_dilated_k5_multiplier2", "Conv",
                      [rand(1, 2, 9, 37), rand(4, 1, 5, 5), rand(4)],
                      {"group": 2, "pads": [4, 3, 4, 5], "dilations": [2, 2]}, opset=13,
                      fused={"lathe.activation": "Clip", "lathe.min": 0.0, "lathe.max": 6.0}))
    c.append(run_case("conv1d_depthwise_wide_stride2", "Conv",
                      [rand(2, 3, 50), rand(3, 1, 4), rand(3)], {"group": 3, "pads": [1, 2], "strides": [2]}, opset=13))
    c.append(run_case("conv2d_depthwise_stride3_wide", "Conv",
                      [rand(1, 2, 7, 40), rand(2, 1, 3, 3)], {"group": 2, "pads": [1, 1, 1, 1], "strides": [3, 3]}, opset=13))
    c.append(run_case("conv2d_depthwise_very_wide_stride1", "Conv",
                      [rand(1, 2, 3, 75), rand(2, 1, 3, 3), rand(2)], {"group": 2, "pads": [1, 1, 1, 1]}, opset=13))
    c.append(run_case("conv2d_depthwise_very_wide_stride2", "Conv",
                      [rand(1, 2, 4, 90), rand(2, 1, 3, 3), rand(2)],
                      {"group": 2, "pads": [1, 1, 1, 1], "strides": [2, 2]}, opset=14,
                      fused={"lathe.activation": "HardSwish"}))
    # Feature maps of at least 2048 positions take one GEMM per image; smaller
    # ones fold several images into one GEMM (here 2 + 1 for a batch of 3).
    c.append(run_case("conv2d_large_map_gemm_per_image", "Conv",
                      [rand(2, 1, 46, 46), rand(2, 1, 3, 3), rand(2)], {"pads": [1, 1, 1, 1]}, opset=13,
                      fused={"lathe.activation": "Relu"}))
    c.append(run_case("conv2d_pointwise_large_map_per_image", "Conv",
                      [rand(1, 2, 46, 46), rand(1, 2, 1, 1), rand(1)], {}, opset=13))
    c.append(run_case("conv2d_folded_batch_with_remainder", "Conv",
                      [rand(3, 1, 30, 30), rand(1, 1, 3, 3), rand(1)], {"pads": [1, 1, 1, 1]}, opset=13))
    c.append(run_case("conv2d_pointwise_folded_group2_remainder", "Conv",
                      [rand(3, 2, 30, 30), rand(2, 1, 1, 1), rand(2)], {"group": 2}, opset=14,
                      fused={"lathe.activation": "LeakyRelu", "lathe.alpha": 0.1}))
    return c


# ------------------------------------------------------------------ ConvTranspose
def conv_transpose_cases():
    reseed("conv_transpose")
    c = []
    c.append(run_case("convT_basic_bias", "ConvTranspose",
                      [rand(1, 3, 4, 5), rand(3, 2, 3, 3), rand(2)], {}, opset=11))
    c.append(run_case("convT_stride2_pads_output_padding", "ConvTranspose",
                      [rand(2, 2, 3, 4), rand(2, 3, 3, 3), rand(3)],
                      {"strides": [2, 2], "pads": [1, 1, 1, 1], "output_padding": [1, 1]}, opset=11))
    c.append(run_case("convT_asym_pads", "ConvTranspose",
                      [rand(1, 2, 4, 3), rand(2, 2, 3, 2)], {"pads": [0, 1, 1, 0], "strides": [2, 1]}, opset=11))
    c.append(run_case("convT_output_shape_even", "ConvTranspose",
                      [rand(1, 2, 3, 3), rand(2, 2, 3, 3)], {"strides": [2, 2], "output_shape": [6, 6]}, opset=11))
    c.append(run_case("convT_output_shape_odd_total_pad", "ConvTranspose",
                      [rand(1, 2, 3, 3), rand(2, 2, 3, 3)], {"strides": [2, 2], "output_shape": [6, 5]}, opset=11))
    c.append(run_case("convT_same_upper_stride2", "ConvTranspose",
                      [rand(1, 2, 3, 4), rand(2, 3, 3, 3)], {"strides": [2, 2], "auto_pad": "SAME_UPPER"}, opset=11))
    c.append(run_case("convT_same_lower_stride2", "ConvTranspose",
                      [rand(1, 2, 3, 4), rand(2, 3, 3, 3)], {"strides": [2, 2], "auto_pad": "SAME_LOWER"}, opset=11))
    c.append(run_case("convT_same_upper_k4", "ConvTranspose",
                      [rand(1, 2, 3, 3), rand(2, 1, 4, 4)], {"strides": [2, 2], "auto_pad": "SAME_UPPER"}, opset=11))
    c.append(run_case("convT_valid", "ConvTranspose",
                      [rand(1, 2, 3, 3), rand(2, 2, 3, 3)], {"strides": [2, 2], "auto_pad": "VALID"}, opset=11))
    c.append(run_case("convT_group2", "ConvTranspose",
                      [rand(1, 4, 3, 3), rand(4, 3, 2, 2), rand(6)], {"group": 2, "strides": [2, 2]}, opset=11))
    c.append(run_case("convT_depthwise", "ConvTranspose",
                      [rand(2, 3, 4, 4), rand(3, 1, 3, 3)], {"group": 3, "strides": [2, 2], "pads": [1, 1, 1, 1]}, opset=11))
    c.append(run_case("convT_dilated", "ConvTranspose",
                      [rand(1, 2, 4, 4), rand(2, 2, 3, 3)], {"dilations": [2, 2], "pads": [1, 0, 1, 2]}, opset=11))
    c.append(run_case("convT_1d_stride3", "ConvTranspose",
                      [rand(2, 3, 5), rand(3, 2, 4), rand(2)], {"strides": [3]}, opset=11))
    c.append(run_case("convT_1d_output_padding", "ConvTranspose",
                      [rand(1, 2, 4), rand(2, 2, 3)], {"strides": [2], "output_padding": [1], "pads": [1, 0]}, opset=11))
    c.append(run_case("convT_fused_relu", "ConvTranspose",
                      [rand(1, 2, 3, 3), rand(2, 3, 3, 3), rand(3)], {"strides": [2, 2]}, opset=14,
                      fused={"lathe.activation": "Relu"}))
    c.append(run_case("convT_fused_sigmoid", "ConvTranspose",
                      [rand(1, 2, 3, 3), rand(2, 3, 3, 3), rand(3)], {"strides": [2, 2]}, opset=14,
                      fused={"lathe.activation": "Sigmoid"}))
    c.append(run_case("convT_3d", "ConvTranspose",
                      [rand(1, 2, 3, 3, 2), rand(2, 2, 2, 3, 2), rand(4)],
                      {"strides": [2, 1, 2], "pads": [1, 0, 0, 0, 1, 1], "group": 2}, opset=11))
    return c


# --------------------------------------------------------------------------- Gemm
def gemm_cases():
    reseed("gemm")
    c = []
    c.append(run_case("gemm_basic_bias_vector", "Gemm", [rand(3, 4), rand(4, 5), rand(5)], {}, opset=13))
    c.append(run_case("gemm_trans_alpha_beta_full_c", "Gemm", [rand(4, 3), rand(5, 4), rand(3, 5)],
                      {"transA": 1, "transB": 1, "alpha": 0.5, "beta": 2.0}, opset=13))
    c.append(run_case("gemm_c_column", "Gemm", [rand(3, 4), rand(4, 5), rand(3, 1)], {"beta": 0.7}, opset=13))
    c.append(run_case("gemm_c_row", "Gemm", [rand(3, 4), rand(4, 5), rand(1, 5)], {}, opset=13))
    c.append(run_case("gemm_c_scalar", "Gemm", [rand(3, 4), rand(4, 5), f32(0.25)], {}, opset=13))
    c.append(run_case("gemm_c_one_element", "Gemm", [rand(3, 4), rand(4, 5), rand(1)], {}, opset=13))
    c.append(run_case("gemm_no_c", "Gemm", [rand(3, 4), rand(5, 4)], {"transB": 1}, opset=13))
    c.append(run_case("gemm_opset7_required_c", "Gemm", [rand(2, 3), rand(3, 4), rand(2, 4)], {"beta": 0.5}, opset=7))
    c.append(run_case("gemm_transA_only_m1", "Gemm", [rand(6, 1), rand(6, 3), rand(3)], {"transA": 1}, opset=11))
    c.append(run_case("gemm_beta_zero_ignores_c", "Gemm", [rand(2, 3), rand(3, 4), rand(4)], {"beta": 0.0}, opset=13))
    c.append(run_case("gemm_fused_leakyrelu", "Gemm", [rand(3, 4, low=-2, high=2), rand(5, 4), rand(5)],
                      {"transB": 1}, opset=14, fused={"lathe.activation": "LeakyRelu", "lathe.alpha": 0.1}))
    c.append(run_case("gemm_fused_hardsigmoid", "Gemm", [rand(3, 4, low=-3, high=3), rand(4, 5), rand(5)],
                      {}, opset=14, fused={"lathe.activation": "HardSigmoid", "lathe.alpha": 0.25, "lathe.beta": 0.45}))
    c.append(run_case("gemm_fused_clip", "Gemm", [rand(3, 4, low=-3, high=3), rand(4, 5), rand(5)],
                      {}, opset=14, fused={"lathe.activation": "Clip", "lathe.min": -0.5, "lathe.max": 0.5}))
    # transB with few rows (m < n) runs as (B·Aᵀ)ᵀ; more rows than columns does not.
    c.append(run_case("gemm_transB_wide_alpha_c_column", "Gemm", [rand(2, 7), rand(9, 7), rand(2, 1)],
                      {"transB": 1, "alpha": 1.5, "beta": 0.5}, opset=13))
    c.append(run_case("gemm_transB_tall", "Gemm", [rand(6, 4), rand(3, 4), rand(3)], {"transB": 1}, opset=13))
    return c


# ------------------------------------------------------------------------- MatMul
def matmul_cases():
    reseed("matmul")
    c = []
    c.append(run_case("matmul_2d", "MatMul", [rand(3, 4), rand(4, 5)], opset=13))
    c.append(run_case("matmul_1d_2d", "MatMul", [rand(4), rand(4, 3)], opset=13))
    c.append(run_case("matmul_2d_1d", "MatMul", [rand(3, 4), rand(4)], opset=13))
    c.append(run_case("matmul_1d_1d", "MatMul", [rand(5), rand(5)], opset=13))
    c.append(run_case("matmul_batched_2d_weight", "MatMul", [rand(2, 3, 4, 5), rand(5, 6)], opset=13))
    c.append(run_case("matmul_2d_times_batched", "MatMul", [rand(4, 5), rand(2, 5, 3)], opset=13))
    c.append(run_case("matmul_broadcast_batch", "MatMul", [rand(2, 1, 3, 4), rand(1, 3, 4, 2)], opset=13))
    c.append(run_case("matmul_same_batch", "MatMul", [rand(3, 2, 4), rand(3, 4, 5)], opset=9))
    c.append(run_case("matmul_3d_1d", "MatMul", [rand(2, 3, 4), rand(4)], opset=13))
    c.append(run_case("matmul_1d_3d", "MatMul", [rand(4), rand(2, 4, 3)], opset=13))
    c.append(run_case("matmul_rank_mismatch_batch", "MatMul", [rand(3, 1, 2, 4), rand(2, 4, 3)], opset=13))
    return c


# -------------------------------------------------------------------------- Pools
def pool_cases():
    reseed("pool")
    c = []
    c.append(run_case("maxpool_2x2_s2", "MaxPool", [rand(2, 3, 6, 7)], {"kernel_shape": [2, 2], "strides": [2, 2]}, opset=12))
    c.append(run_case("maxpool_3x3_s2_pad1", "MaxPool", [rand(1, 2, 7, 8)],
                      {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}, opset=12))
    c.append(run_case("maxpool_ceil_mode", "MaxPool", [rand(1, 2, 6, 7)],
                      {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}, opset=12))
    c.append(run_case("maxpool_ceil_mode_window_in_pad", "MaxPool", [rand(1, 1, 6, 6)],
                      {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1}, opset=12))
    c.append(run_case("maxpool_ceil_mode_window_in_pad_opset21", "MaxPool", [rand(1, 1, 6, 6)],
                      {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1}, opset=21))
    c.append(run_case("maxpool_ceil_mode_drops_window_in_end_pad", "MaxPool", [rand(1, 2, 5, 5)],
                      {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1}, opset=12))
    c.append(run_case("maxpool_ceil_mode_same_upper", "MaxPool", [rand(1, 1, 7, 6)],
                      {"kernel_shape": [3, 3], "strides": [2, 2], "auto_pad": "SAME_UPPER", "ceil_mode": 1}, opset=12))
    c.append(run_case("maxpool_stride_larger_than_kernel", "MaxPool", [rand(1, 2, 8, 9)],
                      {"kernel_shape": [2, 2], "strides": [3, 3]}, opset=12))
    c.append(run_case("maxpool_dilated", "MaxPool", [rand(1, 2, 8, 8)],
                      {"kernel_shape": [2, 3], "dilations": [2, 2], "pads": [1, 0, 0, 1]}, opset=12))
    c.append(run_case("maxpool_same_upper", "MaxPool", [rand(1, 2, 7, 6)],
                      {"kernel_shape": [3, 2], "strides": [2, 2], "auto_pad": "SAME_UPPER"}, opset=12))
    c.append(run_case("maxpool_same_lower", "MaxPool", [rand(1, 2, 7, 6)],
                      {"kernel_shape": [3, 2], "strides": [2, 2], "auto_pad": "SAME_LOWER"}, opset=12))
    c.append(run_case("maxpool_valid", "MaxPool", [rand(1, 2, 7, 6)],
                      {"kernel_shape": [3, 3], "strides": [2, 1], "auto_pad": "VALID"}, opset=12))
    c.append(run_case("maxpool_1d", "MaxPool", [rand(2, 3, 11)], {"kernel_shape": [3], "strides": [2], "pads": [1, 0]}, opset=12))
    c.append(run_case("maxpool_3d", "MaxPool", [rand(1, 2, 4, 5, 6)], {"kernel_shape": [2, 2, 3], "strides": [2, 2, 2]}, opset=12))
    c.append(run_case("maxpool_opset8", "MaxPool", [rand(1, 2, 5, 5)], {"kernel_shape": [2, 2]}, opset=8))
    c.append(run_case("maxpool_indices", "MaxPool", [rand(2, 2, 5, 6)],
                      {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [1, 0, 0, 1]}, opset=12, n_outputs=2))
    c.append(run_case("maxpool_indices_column_major", "MaxPool", [rand(2, 2, 5, 6)],
                      {"kernel_shape": [3, 2], "strides": [1, 2], "storage_order": 1}, opset=12, n_outputs=2))
    c.append(run_case("avgpool_2x2_s2", "AveragePool", [rand(2, 3, 6, 7)], {"kernel_shape": [2, 2], "strides": [2, 2]}, opset=11))
    c.append(run_case("avgpool_pad_exclude", "AveragePool", [rand(1, 2, 5, 6)],
                      {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}, opset=11))
    c.append(run_case("avgpool_pad_include", "AveragePool", [rand(1, 2, 5, 6)],
                      {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1], "count_include_pad": 1}, opset=11))
    c.append(run_case("avgpool_ceil_include_pad", "AveragePool", [rand(1, 2, 6, 7)],
                      {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 0, 0], "count_include_pad": 1,
                       "ceil_mode": 1}, opset=11))
    c.append(run_case("avgpool_ceil_exclude_pad", "AveragePool", [rand(1, 2, 6, 7)],
                      {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 0, 0], "ceil_mode": 1}, opset=11))
    c.append(run_case("avgpool_ceil_opset19", "AveragePool", [rand(1, 1, 6, 6)],
                      {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1,
                       "count_include_pad": 1}, opset=19))
    c.append(run_case("avgpool_ceil_drops_window_include_pad", "AveragePool", [rand(1, 2, 5, 5)],
                      {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1,
                       "count_include_pad": 1}, opset=11))
    c.append(run_case("avgpool_ceil_window_past_pad_include", "AveragePool", [rand(1, 1, 6, 6)],
                      {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [0, 0, 0, 0], "ceil_mode": 1,
                       "count_include_pad": 1}, opset=11))
    c.append(run_case("avgpool_dilated_include_pad_opset19", "AveragePool", [rand(1, 1, 7, 7)],
                      {"kernel_shape": [3, 2], "dilations": [2, 3], "pads": [2, 1, 1, 1], "count_include_pad": 1}, opset=19))
    c.append(run_case("avgpool_same_upper", "AveragePool", [rand(1, 2, 7, 6)],
                      {"kernel_shape": [3, 2], "strides": [2, 2], "auto_pad": "SAME_UPPER"}, opset=11))
    c.append(run_case("avgpool_same_lower_include", "AveragePool", [rand(1, 2, 7, 6)],
                      {"kernel_shape": [3, 2], "strides": [2, 2], "auto_pad": "SAME_LOWER", "count_include_pad": 1}, opset=11))
    c.append(run_case("avgpool_1d", "AveragePool", [rand(2, 3, 9)], {"kernel_shape": [4], "strides": [2], "pads": [2, 1]}, opset=11))
    c.append(run_case("avgpool_3d", "AveragePool", [rand(1, 2, 4, 4, 5)], {"kernel_shape": [2, 2, 2]}, opset=11))
    c.append(run_case("avgpool_dilated_opset19", "AveragePool", [rand(1, 2, 7, 7)],
                      {"kernel_shape": [2, 2], "dilations": [2, 2], "pads": [1, 1, 0, 0]}, opset=19))
    c.append(run_case("avgpool_opset7", "AveragePool", [rand(1, 2, 5, 5)], {"kernel_shape": [3, 3], "strides": [2, 2]}, opset=7))
    c.append(run_case("global_avgpool_4d", "GlobalAveragePool", [rand(2, 3, 5, 4)], opset=13))
    c.append(run_case("global_avgpool_3d", "GlobalAveragePool", [rand(2, 3, 7)], opset=13))
    c.append(run_case("global_avgpool_5d", "GlobalAveragePool", [rand(1, 2, 3, 4, 2)], opset=13))
    c.append(run_case("global_maxpool_4d", "GlobalMaxPool", [rand(2, 3, 5, 4)], opset=13))
    c.append(run_case("global_maxpool_3d", "GlobalMaxPool", [rand(2, 3, 7)], opset=13))
    # Rows wide enough for the SIMD blocks of eight windows (strides 1 and 2).
    c.append(run_case("maxpool_wide_rows_stride1", "MaxPool", [rand(1, 2, 4, 40)],
                      {"kernel_shape": [3, 3], "pads": [1, 1, 1, 1]}, opset=12))
    c.append(run_case("maxpool_wide_rows_stride2", "MaxPool", [rand(1, 2, 5, 50)],
                      {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1]}, opset=12))
    c.append(run_case("avgpool_wide_rows_stride2_ceil_include_pad", "AveragePool", [rand(1, 2, 5, 45)],
                      {"kernel_shape": [3, 3], "strides": [2, 2], "pads": [1, 1, 1, 1], "ceil_mode": 1,
                       "count_include_pad": 1}, opset=11))
    c.append(run_case("avgpool_wide_rows_dilated_exclude_pad", "AveragePool", [rand(1, 1, 6, 30)],
                      {"kernel_shape": [2, 3], "dilations": [1, 2], "pads": [1, 2, 0, 2]}, opset=19))
    c.append(run_case("maxpool_1d_wide_stride2", "MaxPool", [rand(2, 2, 41)],
                      {"kernel_shape": [4], "strides": [2], "pads": [2, 1]}, opset=12))
    return c


# ------------------------------------------------------------------ Normalisation
def norm_cases():
    reseed("norm")
    c = []
    def bn_inputs(shape):
        ch = shape[1]
        return [rand(*shape), rand(ch), rand(ch), rand(ch), rand(ch, low=0.1, high=2.0)]
    c.append(run_case("batchnorm_4d", "BatchNormalization", bn_inputs((2, 3, 4, 5)), {"epsilon": 1e-3}, opset=15))
    c.append(run_case("batchnorm_2d_input", "BatchNormalization", bn_inputs((4, 3)), {}, opset=15))
    c.append(run_case("batchnorm_3d_input", "BatchNormalization", bn_inputs((2, 4, 6)), {}, opset=14))
    c.append(run_case("batchnorm_opset9", "BatchNormalization", bn_inputs((1, 3, 3, 3)), {"epsilon": 1e-2}, opset=9))
    c.append(run_case("batchnorm_opset7", "BatchNormalization", bn_inputs((1, 2, 3, 3)), {}, opset=7))
    c.append(run_case("batchnorm_opset7_spatial0", "BatchNormalization",
                      [rand(2, 3, 2, 2), rand(3, 2, 2), rand(3, 2, 2), rand(3, 2, 2), rand(3, 2, 2, low=0.1, high=1.0)],
                      {"spatial": 0}, opset=7))
    c.append(run_case("layernorm_last_axis", "LayerNormalization", [rand(2, 3, 8), rand(8), rand(8)], {}, opset=17))
    c.append(run_case("layernorm_axis1_all_outputs", "LayerNormalization", [rand(2, 3, 4, 5), rand(3, 4, 5), rand(3, 4, 5)],
                      {"axis": 1, "epsilon": 1e-3}, opset=17, n_outputs=3))
    c.append(run_case("layernorm_no_bias", "LayerNormalization", [rand(4, 6), rand(6)], {}, opset=17))
    c.append(run_case("layernorm_axis_minus2_outputs", "LayerNormalization", [rand(2, 3, 4), rand(3, 4), rand(3, 4)],
                      {"axis": -2}, opset=17, n_outputs=3))
    c.append(run_case("layernorm_broadcast_scale", "LayerNormalization", [rand(2, 3, 4), rand(1, 4), rand(4)],
                      {"axis": -2}, opset=17))
    return c


# ------------------------------------------------------------------------- Resize
def resize_cases():
    reseed("resize")
    c = []
    x = rand(1, 2, 3, 4)
    c.append(run_case("resize10_nearest_up", "Resize", [x, f32([1, 1, 2, 2])], {"mode": "nearest"}, opset=10))
    c.append(run_case("resize10_nearest_down", "Resize", [rand(1, 1, 5, 6), f32([1, 1, 0.5, 0.6])], {"mode": "nearest"}, opset=10))
    c.append(run_case("resize10_nearest_up_fraction", "Resize", [x, f32([1, 1, 1.5, 1.7])], {"mode": "nearest"}, opset=10))
    c.append(run_case("resize10_linear_up", "Resize", [x, f32([1, 1, 2, 1.5])], {"mode": "linear"}, opset=10))
    c.append(run_case("resize10_linear_down", "Resize", [rand(1, 2, 6, 8), f32([1, 1, 0.5, 0.75])], {"mode": "linear"}, opset=10))
    for ctm in ["half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"]:
        c.append(run_case(f"resize11_linear_{ctm}_up", "Resize", [x, f32([]), f32([1, 1, 2.5, 1.5])],
                          {"mode": "linear", "coordinate_transformation_mode": ctm}, opset=11))
        c.append(run_case(f"resize13_linear_{ctm}_sizes_down", "Resize", [rand(2, 1, 7, 9), None, None, i64([2, 1, 3, 4])],
                          {"mode": "linear", "coordinate_transformation_mode": ctm}, opset=13))
    c.append(run_case("resize13_linear_pytorch_half_pixel_to_one", "Resize", [rand(1, 1, 4, 5), None, None, i64([1, 1, 1, 3])],
                      {"mode": "linear", "coordinate_transformation_mode": "pytorch_half_pixel"}, opset=13))
    for nm in ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]:
        for ctm in ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"]:  # onnxruntime dropped tf_half_pixel_for_nearest
            c.append(run_case(f"resize11_nearest_{nm}_{ctm}", "Resize",
                              [rand(1, 1, 4, 6), f32([]), f32([1, 1, 1.5, 0.75])],
                              {"mode": "nearest", "nearest_mode": nm, "coordinate_transformation_mode": ctm}, opset=11))
    c.append(run_case("resize11_nearest_sizes_default", "Resize", [rand(1, 2, 3, 3), f32([]), f32([]), i64([1, 2, 7, 5])],
                      {}, opset=11))
    c.append(run_case("resize11_nearest_roi_given_unused", "Resize", [rand(1, 1, 3, 3), f32([0, 0, 0, 0, 1, 1, 1, 1]), f32([1, 1, 2, 2])],
                      {"mode": "nearest"}, opset=11))
    c.append(run_case("resize11_tf_crop_and_resize_linear", "Resize",
                      [rand(1, 1, 4, 5), f32([0, 0, 0.2, 0.1, 1, 1, 0.9, 1.2]), f32([]), i64([1, 1, 3, 4])],
                      {"mode": "linear", "coordinate_transformation_mode": "tf_crop_and_resize", "extrapolation_value": 2.0},
                      opset=11))
    c.append(run_case("resize11_tf_crop_and_resize_nearest", "Resize",
                      [rand(1, 1, 4, 5), f32([0, 0, 0.1, -0.2, 1, 1, 0.8, 0.9]), f32([]), i64([1, 1, 3, 4])],
                      {"mode": "nearest", "coordinate_transformation_mode": "tf_crop_and_resize"}, opset=11))
    c.append(run_case("resize13_linear_3d_trilinear", "Resize", [rand(1, 1, 3, 4, 5), None, f32([1, 1, 2, 1.5, 0.8])],
                      {"mode": "linear"}, opset=13))
    c.append(run_case("resize13_nearest_channels_too", "Resize", [rand(1, 2, 3, 3), None, f32([1, 2, 1, 2])],
                      {"mode": "nearest"}, opset=13))
    c.append(run_case("resize13_linear_rank2", "Resize", [rand(3, 4), None, f32([2, 1.5])],
                      {"mode": "linear", "coordinate_transformation_mode": "align_corners"}, opset=13))
    c.append(run_case("resize18_axes_scales", "Resize", [rand(1, 2, 3, 4), None, f32([2, 1.5])],
                      {"mode": "linear", "axes": [2, 3]}, opset=18))
    c.append(run_case("resize18_axes_sizes_negative", "Resize", [rand(1, 2, 3, 4), None, None, i64([5])],
                      {"mode": "nearest", "axes": [-1]}, opset=18))
    c.append(run_case("resize18_keep_aspect_not_larger", "Resize", [rand(1, 1, 4, 6), None, None, i64([8, 9])],
                      {"mode": "nearest", "axes": [2, 3], "keep_aspect_ratio_policy": "not_larger"}, opset=18))
    c.append(run_case("resize18_keep_aspect_not_smaller", "Resize", [rand(1, 1, 4, 6), None, None, i64([8, 9])],
                      {"mode": "linear", "axes": [2, 3], "keep_aspect_ratio_policy": "not_smaller"}, opset=18))
    c.append(run_case("resize19_half_pixel_symmetric", "Resize", [rand(1, 1, 4, 5), None, f32([1, 1, 1.5, 0.7])],
                      {"mode": "linear", "coordinate_transformation_mode": "half_pixel_symmetric"}, opset=19))
    return c


# ---------------------------------------------------------------------------- Pad
def pad_cases():
    reseed("pad")
    c = []
    x = rand(2, 3, 4)
    c.append(run_case("pad7_constant_value", "Pad", [x], {"pads": [0, 1, 2, 0, 2, 1], "value": 1.5}, opset=7))
    c.append(run_case("pad7_reflect", "Pad", [rand(1, 2, 4, 5)], {"pads": [0, 0, 2, 1, 0, 0, 1, 3], "mode": "reflect"}, opset=10))
    c.append(run_case("pad7_edge", "Pad", [rand(1, 2, 3, 3)], {"pads": [0, 0, 2, 1, 0, 0, 1, 3], "mode": "edge"}, opset=7))
    c.append(run_case("pad11_constant_input", "Pad", [x, i64([0, 0, 1, 0, 0, 2]), f32(-0.5)], {}, opset=11))
    c.append(run_case("pad11_constant_default_zero", "Pad", [rand(3, 4), i64([1, 2, 0, 1])], {}, opset=11))
    c.append(run_case("pad11_negative_crop", "Pad", [rand(2, 5, 6), i64([0, -1, 2, 0, 1, -2])], {}, opset=11))
    c.append(run_case("pad13_reflect", "Pad", [rand(1, 2, 5, 4), i64([0, 0, 3, 2, 0, 0, 1, 3])], {"mode": "reflect"}, opset=13))
    c.append(run_case("pad13_edge_1d", "Pad", [rand(5), i64([3, 2])], {"mode": "edge"}, opset=13))
    c.append(run_case("pad18_axes", "Pad", [rand(1, 2, 3, 4), i64([1, 2, 0, 1]), f32(3.0), i64([1, 3])], {}, opset=18))
    c.append(run_case("pad18_axes_negative", "Pad", [rand(1, 2, 3, 4), i64([2, 1]), None, i64([-2])], {"mode": "reflect"}, opset=18))
    c.append(run_case("pad19_wrap", "Pad", [rand(1, 2, 3, 4), i64([0, 0, 2, 1, 0, 0, 1, 3])], {"mode": "wrap"}, opset=19))
    c.append(run_case("pad11_zero_pads", "Pad", [rand(2, 3), i64([0, 0, 0, 0])], {"mode": "reflect"}, opset=11))
    return c


if __name__ == "__main__":
    write("conv.json", conv_cases())
    write("conv_transpose.json", conv_transpose_cases())
    write("gemm.json", gemm_cases())
    write("matmul.json", matmul_cases())
    write("pool.json", pool_cases())
    write("normalization.json", norm_cases())
    write("resize.json", resize_cases())
    write("pad.json", pad_cases())
