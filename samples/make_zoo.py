"""The op zoo: one small ONNX model per operator family of the supported set, with
inputs and onnxruntime outputs, for the engine's tests and the cross-check.

    samples/exports/zoo/<case>.onnx
    samples/exports/zoo/<case>.npz     inputs by graph-input name, outputs as `expected_<output name>`
    samples/exports/zoo/index.json     cases, opset, ops, inputs, outputs, and whether `lathe eval` can run them

A case is "eval" when it has exactly one data input, named `x`, float, whose axis 0
is a symbolic batch dimension, and every output has axis 0 as that batch and gives
the same values whether the batch is split or whole (checked with onnxruntime here).
Those cases can go through `lathe eval` one output at a time (`--output NAME`).
"""

import json
import zlib
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

from onnx_build import GraphBuilder, ort_run

CASES = []

NP_TO_ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int64): TensorProto.INT64,
              np.dtype(np.bool_): TensorProto.BOOL, np.dtype(np.int32): TensorProto.INT32}


def case(name, opset=13, description=""):
    def register(fn):
        CASES.append({"name": name, "opset": opset, "description": description, "build": fn})
        return fn
    return register


class Case:
    """What a builder returns: graph, data inputs (name → array, batch-symbolic or fixed) and output names."""

    def __init__(self, g, inputs, outputs, batch_symbolic=True):
        self.g, self.inputs, self.outputs, self.batch_symbolic = g, inputs, outputs, batch_symbolic


def randn(rng, *shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def single(g, x, outputs):
    return Case(g, {"x": x}, outputs)


# ---------------------------------------------------------------- convolutions

@case("conv_dilations_asym_pads", description="Conv with dilations [2,1], asymmetric pads [1,0,2,1], strides [1,2], bias")
def _(rng):
    g = GraphBuilder()
    g.weight("w", randn(rng, 4, 3, 3, 3, scale=0.5))
    g.weight("b", randn(rng, 4))
    g.node("Conv", ["x", "w", "b"], "y", kernel_shape=[3, 3], dilations=[2, 1], pads=[1, 0, 2, 1], strides=[1, 2])
    return single(g, randn(rng, 3, 3, 9, 10), ["y"])


@case("conv_same_upper_groups", description="Conv auto_pad SAME_UPPER, strides 2, group 2, bias")
def _(rng):
    g = GraphBuilder()
    g.weight("w", randn(rng, 6, 2, 3, 3, scale=0.5))
    g.weight("b", randn(rng, 6))
    g.node("Conv", ["x", "w", "b"], "y", auto_pad="SAME_UPPER", strides=[2, 2], group=2)
    return single(g, randn(rng, 3, 4, 7, 8), ["y"])


@case("conv_depthwise_same_lower", description="depthwise Conv (group = C) with an even 4x4 kernel, auto_pad SAME_LOWER, no bias")
def _(rng):
    g = GraphBuilder()
    g.weight("w", randn(rng, 4, 1, 4, 4, scale=0.5))
    g.node("Conv", ["x", "w"], "y", auto_pad="SAME_LOWER", group=4, kernel_shape=[4, 4])
    return single(g, randn(rng, 3, 4, 6, 7), ["y"])


@case("conv_transpose_stride_outpad_group", description="ConvTranspose strides 2, pads 1, output_padding 1, group 2, bias")
def _(rng):
    g = GraphBuilder()
    g.weight("w", randn(rng, 4, 3, 3, 3, scale=0.5))
    g.weight("b", randn(rng, 6))
    g.node("ConvTranspose", ["x", "w", "b"], "y", strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1], group=2)
    return single(g, randn(rng, 3, 4, 5, 5), ["y"])


@case("conv_transpose_dilations_asym", description="ConvTranspose dilations 2, strides [1,2], asymmetric pads, no bias")
def _(rng):
    g = GraphBuilder()
    g.weight("w", randn(rng, 2, 3, 2, 3, scale=0.5))
    g.node("ConvTranspose", ["x", "w"], "y", dilations=[2, 2], strides=[1, 2], pads=[0, 1, 1, 0])
    return single(g, randn(rng, 3, 2, 4, 4), ["y"])


@case("batchnorm_standalone", description="BatchNormalization not after a Conv (nothing to fold into)")
def _(rng):
    g = GraphBuilder()
    g.weight("scale", randn(rng, 3))
    g.weight("bias", randn(rng, 3))
    g.weight("mean", randn(rng, 3))
    g.weight("var", np.abs(randn(rng, 3)) + 0.5)
    h = g.node("Relu", ["x"], "r")
    g.node("BatchNormalization", [h, "scale", "bias", "mean", "var"], "y", epsilon=1e-3)
    return single(g, randn(rng, 3, 3, 4, 4), ["y"])


# ---------------------------------------------------------------- matrix products

@case("gemm_transB_alpha_beta", description="Gemm transB=1, alpha 0.5, beta 2, C [5] broadcast over rows")
def _(rng):
    g = GraphBuilder()
    g.weight("w", randn(rng, 5, 6))
    g.weight("c", randn(rng, 5))
    g.node("Gemm", ["x", "w", "c"], "y", transB=1, alpha=0.5, beta=2.0)
    return single(g, randn(rng, 3, 6), ["y"])


@case("gemm_row_c_alpha", description="Gemm without transposes, alpha 1.5, C [1,5] (beta default)")
def _(rng):
    g = GraphBuilder()
    g.weight("w", randn(rng, 6, 5))
    g.weight("c", randn(rng, 1, 5))
    g.node("Gemm", ["x", "w", "c"], "y", alpha=1.5)
    return single(g, randn(rng, 3, 6), ["y"])


@case("gemm_transA_two_inputs", description="Gemm transA=1 and transB=1 on two data inputs, scalar-like C [1], alpha/beta")
def _(rng):
    g = GraphBuilder()
    g.weight("c", randn(rng, 1))
    g.node("Gemm", ["a", "b", "c"], "y", transA=1, transB=1, alpha=0.75, beta=-1.25)
    return Case(g, {"a": randn(rng, 6, 4), "b": randn(rng, 5, 6)}, ["y"], batch_symbolic=False)


@case("matmul_batched_broadcast", description="MatMul x [N,1,3,4] @ W [2,4,5] -> [N,2,3,5] (batch broadcast)")
def _(rng):
    g = GraphBuilder()
    g.weight("w", randn(rng, 2, 4, 5))
    g.node("MatMul", ["x", "w"], "y")
    return single(g, randn(rng, 3, 1, 3, 4), ["y"])


@case("matmul_rank3_and_vector", description="MatMul rank-3 x with a 2-D weight, and x with a 1-D vector (rank drops)")
def _(rng):
    g = GraphBuilder()
    g.weight("w", randn(rng, 4, 5))
    g.weight("v", randn(rng, 4))
    g.node("MatMul", ["x", "w"], "y")
    g.node("MatMul", ["x", "v"], "y_vector")
    return single(g, randn(rng, 3, 2, 4), ["y", "y_vector"])


@case("matmul_two_inputs_broadcast", description="MatMul of two data inputs [2,1,3,4] @ [3,4,2] -> [2,3,3,2]")
def _(rng):
    g = GraphBuilder()
    g.node("MatMul", ["a", "b"], "y")
    return Case(g, {"a": randn(rng, 2, 1, 3, 4), "b": randn(rng, 3, 4, 2)}, ["y"], batch_symbolic=False)


# ---------------------------------------------------------------- activations

def unary_case(op, x_scale=2.0, **attrs):
    def build(rng):
        g = GraphBuilder()
        g.node(op, ["x"], "y", **attrs)
        return single(g, randn(rng, 3, 4, 3, 3, scale=x_scale), ["y"])
    return build


case("leaky_relu", description="LeakyRelu alpha 0.1")(unary_case("LeakyRelu", alpha=0.1))
case("hard_sigmoid", description="HardSigmoid alpha 0.3, beta 0.6")(unary_case("HardSigmoid", alpha=0.3, beta=0.6))
case("sigmoid", description="Sigmoid")(unary_case("Sigmoid", x_scale=4.0))
case("tanh", description="Tanh")(unary_case("Tanh"))
case("erf", description="Erf")(unary_case("Erf"))
case("hard_swish", opset=14, description="HardSwish (opset 14)")(unary_case("HardSwish", x_scale=4.0))
case("clip_attributes_opset6", opset=6, description="Clip with min/max attributes (opset 6 form)")(
    unary_case("Clip", min=-0.5, max=1.25))


@case("prelu_channel_slope", description="PRelu with a per-channel slope [4,1,1] (unidirectional broadcast)")
def _(rng):
    g = GraphBuilder()
    g.weight("slope", np.array([0.0, 0.1, -0.5, 2.0], np.float32).reshape(4, 1, 1))
    g.node("PRelu", ["x", "slope"], "y")
    return single(g, randn(rng, 3, 4, 3, 3), ["y"])


@case("clip_inputs", description="Clip with min and max as inputs (opset 13), and with only min")
def _(rng):
    g = GraphBuilder()
    g.weight("lo", np.array(-0.25, np.float32))
    g.weight("hi", np.array(0.75, np.float32))
    g.node("Clip", ["x", "lo", "hi"], "y")
    g.node("Clip", ["x", "lo"], "y_min_only")
    return single(g, randn(rng, 3, 4, 5), ["y", "y_min_only"])


@case("gelu", opset=20, description="Gelu (opset 20), exact and approximate='tanh'")
def _(rng):
    g = GraphBuilder()
    g.node("Gelu", ["x"], "y")
    g.node("Gelu", ["x"], "y_tanh", approximate="tanh")
    return single(g, randn(rng, 3, 4, 5, scale=2.0), ["y", "y_tanh"])


@case("softmax_axis1", description="Softmax and LogSoftmax on axis 1 of a rank-3 tensor (opset 13: that axis only)")
def _(rng):
    g = GraphBuilder()
    g.node("Softmax", ["x"], "y", axis=1)
    g.node("LogSoftmax", ["x"], "y_log", axis=1)
    return single(g, randn(rng, 3, 4, 5, scale=2.0), ["y", "y_log"])


@case("softmax_axis1_opset11", opset=11, description="Softmax/LogSoftmax axis 1 at opset 11: the input is coerced to 2-D [N, 4*5]")
def _(rng):
    g = GraphBuilder()
    g.node("Softmax", ["x"], "y", axis=1)
    g.node("LogSoftmax", ["x"], "y_log", axis=1)
    return single(g, randn(rng, 3, 4, 5, scale=2.0), ["y", "y_log"])


# ---------------------------------------------------------------- elementwise

@case("unary_math", description="Abs, Neg, Exp, Log, Sqrt, Pow (per-channel exponent broadcast)")
def _(rng):
    g = GraphBuilder()
    g.weight("eps", np.array(0.1, np.float32))
    g.weight("exponent", np.array([0.5, 1.0, 2.0, 3.0], np.float32).reshape(4, 1, 1))
    a = g.node("Abs", ["x"], "abs")
    g.node("Neg", ["x"], "neg")
    g.node("Exp", ["x"], "exp")
    pos = g.node("Add", [a, "eps"], "abs_eps")
    g.node("Log", [pos], "log")
    g.node("Sqrt", [a], "sqrt")
    g.node("Pow", [pos, "exponent"], "pow")
    g.node("Pow", ["x", "exponent"], "pow_signed")
    x = randn(rng, 3, 4, 2, 3)
    # Pow of a negative base with a fractional exponent is NaN: keep the channel of exponent 0.5 positive.
    x[:, 0] = np.abs(x[:, 0])
    return single(g, x, ["abs", "neg", "exp", "log", "sqrt", "pow", "pow_signed"])


@case("binary_broadcast", description="Sub, Div, Mul, Add with numpy broadcasting, constant on either side")
def _(rng):
    g = GraphBuilder()
    g.weight("c_col", randn(rng, 4, 1))
    g.weight("c_row", (np.abs(randn(rng, 5)) + 0.5).astype(np.float32))
    g.weight("c_scalar", np.array(3.0, np.float32))
    g.node("Sub", ["x", "c_col"], "sub")
    g.node("Sub", ["c_scalar", "x"], "sub_reversed")
    g.node("Div", ["x", "c_row"], "div")
    g.node("Div", ["c_col", "x"], "div_reversed")
    g.node("Mul", ["x", "c_row"], "mul")
    g.node("Add", ["c_col", "x"], "add")
    x = randn(rng, 3, 2, 4, 5)
    x = np.where(np.abs(x) < 0.2, np.float32(0.5), x).astype(np.float32)  # keep divisors away from 0
    return single(g, x, ["sub", "sub_reversed", "div", "div_reversed", "mul", "add"])


@case("binary_two_inputs", description="Add/Sub/Mul/Div/Pow of two data inputs with broadcasting both ways")
def _(rng):
    g = GraphBuilder()
    g.node("Add", ["a", "b"], "add")
    g.node("Sub", ["a", "b"], "sub")
    g.node("Mul", ["a", "b"], "mul")
    g.node("Div", ["a", "b"], "div")
    g.node("Pow", ["b", "a"], "pow")
    b = (np.abs(randn(rng, 3, 1, 5)) + 0.5).astype(np.float32)
    return Case(g, {"a": randn(rng, 2, 1, 4, 1), "b": b}, ["add", "sub", "mul", "div", "pow"], batch_symbolic=False)


@case("where_expand", description="Where with a constant bool condition broadcast, Expand to a larger shape")
def _(rng):
    g = GraphBuilder()
    g.weight("cond", np.array([[True, False, True, False]]))
    g.weight("other", randn(rng, 2, 1))
    g.weight("shape", np.array([1, 3, 4], np.int64))
    g.node("Where", ["cond", "x", "other"], "where")
    g.node("Expand", ["x", "shape"], "expanded")
    # x [N,1,4]: Where broadcasts cond [1,4] and other [2,1] to [N,2,4]; Expand [1,3,4] gives [N,3,4].
    return single(g, randn(rng, 3, 1, 4), ["where", "expanded"])


@case("constant_of_shape", description="ConstantOfShape from Shape(x) (runtime shape) and from a constant shape")
def _(rng):
    g = GraphBuilder()
    g.weight("vec_shape", np.array([4], np.int64))
    s = g.node("Shape", ["x"], "x_shape")
    fill = g.node("ConstantOfShape", [s], "filled", value=helper.make_tensor("value", TensorProto.FLOAT, [1], [2.5]))
    ones = g.node("ConstantOfShape", ["vec_shape"], "ones", value=helper.make_tensor("value", TensorProto.FLOAT, [1], [1.0]))
    h = g.node("Mul", ["x", fill], "scaled")
    g.node("Add", [h, ones], "y")
    return single(g, randn(rng, 3, 2, 4), ["y"])


@case("cast", description="Cast float→int64 (truncation toward zero)→float, float→float16→float (rounding), int64 output")
def _(rng):
    g = GraphBuilder()
    g.weight("three", np.array(3.0, np.float32))
    h = g.node("Mul", ["x", "three"], "x3")
    i = g.node("Cast", [h], "as_int64", to=TensorProto.INT64)
    g.node("Cast", [i], "truncated", to=TensorProto.FLOAT)
    half = g.node("Cast", ["x"], "as_half", to=TensorProto.FLOAT16)
    g.node("Cast", [half], "half_rounded", to=TensorProto.FLOAT)
    x = randn(rng, 3, 4, 5, scale=3.0)
    return single(g, x, ["truncated", "half_rounded", "as_int64"])


# ---------------------------------------------------------------- pooling

@case("maxpool_ceil_dilations_pads", description="MaxPool 3x3, strides 2, dilations [2,1], pads [1,0,0,1], ceil_mode 1")
def _(rng):
    g = GraphBuilder()
    g.node("MaxPool", ["x"], "y", kernel_shape=[3, 3], strides=[2, 2], dilations=[2, 1], pads=[1, 0, 0, 1], ceil_mode=1)
    return single(g, randn(rng, 3, 2, 9, 10), ["y"])


@case("maxpool_same_upper", description="MaxPool 2x2 stride 2 with auto_pad SAME_UPPER on odd sizes, and 3x3 stride 1 pads 1")
def _(rng):
    g = GraphBuilder()
    g.node("MaxPool", ["x"], "y", kernel_shape=[2, 2], strides=[2, 2], auto_pad="SAME_UPPER")
    g.node("MaxPool", ["x"], "y_pad1", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    return single(g, randn(rng, 3, 2, 7, 5), ["y", "y_pad1"])


@case("avgpool_count_include_pad", description="AveragePool 3x3 stride 2 pads 1 with count_include_pad 0 and 1; ceil_mode 1 (pads excluded)")
def _(rng):
    g = GraphBuilder()
    g.node("AveragePool", ["x"], "exclude_pad", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=0)
    g.node("AveragePool", ["x"], "include_pad", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], count_include_pad=1)
    g.node("AveragePool", ["x"], "ceil_exclude", kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1)
    return single(g, randn(rng, 3, 2, 7, 6), ["exclude_pad", "include_pad", "ceil_exclude"])


@case("global_pools", description="GlobalMaxPool and GlobalAveragePool")
def _(rng):
    g = GraphBuilder()
    g.node("GlobalMaxPool", ["x"], "max")
    g.node("GlobalAveragePool", ["x"], "avg")
    return single(g, randn(rng, 3, 4, 5, 6), ["max", "avg"])


# ---------------------------------------------------------------- shape ops

@case("transpose", description="Transpose perm [0,2,3,1] (NCHW→NHWC) and [0,3,1,2]")
def _(rng):
    g = GraphBuilder()
    g.node("Transpose", ["x"], "nhwc", perm=[0, 2, 3, 1])
    g.node("Transpose", ["x"], "y", perm=[0, 3, 1, 2])
    return single(g, randn(rng, 3, 2, 4, 5), ["nhwc", "y"])


@case("squeeze_unsqueeze", description="Squeeze axes [1,3] and Unsqueeze axes [-1,1] as inputs (opset 13)")
def _(rng):
    g = GraphBuilder()
    g.weight("sq_axes", np.array([1, 3], np.int64))
    g.weight("unsq_axes", np.array([-1, 1], np.int64))
    s = g.node("Squeeze", ["x", "sq_axes"], "squeezed")
    g.node("Unsqueeze", [s, "unsq_axes"], "unsqueezed")
    return single(g, randn(rng, 3, 1, 4, 1), ["squeezed", "unsqueezed"])


@case("squeeze_unsqueeze_opset11", opset=11, description="Squeeze/Unsqueeze with axes attributes (opset 11 form)")
def _(rng):
    g = GraphBuilder()
    s = g.node("Squeeze", ["x"], "squeezed", axes=[1, 3])
    g.node("Unsqueeze", [s], "unsqueezed", axes=[1, -1])
    return single(g, randn(rng, 3, 1, 4, 1), ["squeezed", "unsqueezed"])


@case("concat_split", description="Concat on axis -1 and axis 1, Split with split sizes as input (opset 13)")
def _(rng):
    g = GraphBuilder()
    g.weight("sizes", np.array([1, 3], np.int64))
    sig = g.node("Sigmoid", ["x"], "sig")
    g.node("Concat", ["x", sig], "cat_last", axis=-1)
    g.node("Concat", [sig, "x", sig], "cat_channels", axis=1)
    g.node("Split", ["x", "sizes"], ["part0", "part1"], axis=1)
    return single(g, randn(rng, 3, 4, 2), ["cat_last", "cat_channels", "part0", "part1"])


@case("split_num_outputs_opset18", opset=18, description="Split into equal parts with num_outputs (opset 18)")
def _(rng):
    g = GraphBuilder()
    g.node("Split", ["x"], ["p0", "p1", "p2"], axis=1, num_outputs=3)
    return single(g, randn(rng, 3, 6, 2), ["p0", "p1", "p2"])


@case("slice_negative_steps", description="Slice with negative steps and starts, clamped ends, default axes")
def _(rng):
    g = GraphBuilder()
    big = np.iinfo(np.int64).max
    g.weight("starts", np.array([-1, 4], np.int64))
    g.weight("ends", np.array([-big, 0], np.int64))
    g.weight("axes", np.array([1, 2], np.int64))
    g.weight("steps", np.array([-1, -2], np.int64))
    g.weight("starts2", np.array([1], np.int64))
    g.weight("ends2", np.array([big], np.int64))
    g.weight("axes2", np.array([-1], np.int64))
    g.weight("steps2", np.array([2], np.int64))
    g.weight("starts3", np.array([0, 1, -3], np.int64))
    g.weight("ends3", np.array([1000, -1, 100], np.int64))
    g.node("Slice", ["x", "starts", "ends", "axes", "steps"], "reversed")
    g.node("Slice", ["x", "starts2", "ends2", "axes2", "steps2"], "strided")
    g.node("Slice", ["x", "starts3", "ends3"], "default_axes")
    return single(g, randn(rng, 3, 5, 6), ["reversed", "strided", "default_axes"])


@case("gather", description="Gather with index vector (negative index) on axis 1, scalar index on axis 2 (rank drops)")
def _(rng):
    g = GraphBuilder()
    g.weight("idx", np.array([2, 0, -1, 2], np.int64))
    g.weight("scalar", np.array(1, np.int64))
    g.node("Gather", ["x", "idx"], "picked", axis=1)
    g.node("Gather", ["x", "scalar"], "column", axis=2)
    return single(g, randn(rng, 3, 4, 5), ["picked", "column"])


@case("pad_modes", description="Pad constant (value 1.5), reflect and edge, pads as input (opset 13)")
def _(rng):
    g = GraphBuilder()
    g.weight("pads_c", np.array([0, 0, 1, 2, 0, 0, 2, 1], np.int64))
    g.weight("pads_r", np.array([0, 0, 2, 1, 0, 0, 1, 2], np.int64))
    g.weight("value", np.array(1.5, np.float32))
    g.node("Pad", ["x", "pads_c", "value"], "constant", mode="constant")
    g.node("Pad", ["x", "pads_r"], "reflect", mode="reflect")
    g.node("Pad", ["x", "pads_c"], "edge", mode="edge")
    return single(g, randn(rng, 3, 2, 4, 5), ["constant", "reflect", "edge"])


@case("reshape_flatten", description="Reshape with 0 (copy) and -1 (infer), Flatten axis 1")
def _(rng):
    g = GraphBuilder()
    g.weight("shape", np.array([0, -1, 4], np.int64))
    g.node("Reshape", ["x", "shape"], "reshaped")
    g.node("Flatten", ["x"], "flat", axis=1)
    return single(g, randn(rng, 3, 2, 3, 4), ["reshaped", "flat"])


# ---------------------------------------------------------------- reductions, normalisation

@case("reduce_opset13", description="ReduceMean (axes attribute, keepdims 1), ReduceSum (axes input, keepdims 0), ReduceMax (axis -1, keepdims 0)")
def _(rng):
    g = GraphBuilder()
    g.weight("axes", np.array([1], np.int64))
    g.node("ReduceMean", ["x"], "mean", axes=[2, 3], keepdims=1)
    g.node("ReduceSum", ["x", "axes"], "sum", keepdims=0)
    g.node("ReduceMax", ["x"], "max", axes=[-1], keepdims=0)
    return single(g, randn(rng, 3, 4, 2, 5), ["mean", "sum", "max"])


@case("reduce_opset18", opset=18, description="ReduceMean/ReduceMax/ReduceSum with axes as inputs (opset 18)")
def _(rng):
    g = GraphBuilder()
    g.weight("axes", np.array([1, -1], np.int64))
    g.weight("axis2", np.array([2], np.int64))
    g.node("ReduceMean", ["x", "axes"], "mean", keepdims=0)
    g.node("ReduceMax", ["x", "axis2"], "max", keepdims=1)
    g.node("ReduceSum", ["x", "axis2"], "sum")
    return single(g, randn(rng, 3, 4, 2, 5), ["mean", "max", "sum"])


@case("layer_norm", opset=17, description="LayerNormalization over the last axis (scale+bias) and the last two (scale only)")
def _(rng):
    g = GraphBuilder()
    g.weight("scale", randn(rng, 6))
    g.weight("bias", randn(rng, 6))
    g.weight("scale2", randn(rng, 4, 6))
    g.node("LayerNormalization", ["x", "scale", "bias"], "y", axis=-1, epsilon=1e-5)
    g.node("LayerNormalization", ["x", "scale2"], "y_two_axes", axis=-2, epsilon=1e-3)
    return single(g, randn(rng, 3, 4, 6, scale=2.0), ["y", "y_two_axes"])


@case("argmax", description="ArgMax axis 1 keepdims 0; axis -1 keepdims 1 select_last_index 1 with ties (int64 outputs)")
def _(rng):
    g = GraphBuilder()
    g.node("ArgMax", ["x"], "first", axis=1, keepdims=0)
    g.node("ArgMax", ["x"], "last", axis=-1, keepdims=1, select_last_index=1)
    x = np.round(randn(rng, 3, 4, 5)).astype(np.float32)  # rounding makes ties
    return single(g, x, ["first", "last"])


# ---------------------------------------------------------------- resize

def resize_case(scales, **attrs):
    def build(rng):
        g = GraphBuilder()
        g.weight("scales", np.array(scales, np.float32))
        g.node("Resize", ["x", "", "scales"], "y", **attrs)
        return single(g, randn(rng, 2, 2, 3, 4), ["y"])
    return build


case("resize_nearest", description="Resize nearest, scales [1,1,2,2], defaults (half_pixel, round_prefer_floor)")(
    resize_case([1, 1, 2, 2], mode="nearest"))
case("resize_nearest_asymmetric_floor", description="Resize nearest, scales [1,1,2,3], asymmetric + floor (the common export)")(
    resize_case([1, 1, 2, 3], mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"))
case("resize_linear_half_pixel", description="Resize linear, half_pixel, non-integer scales [1,1,1.5,2.5]")(
    resize_case([1, 1, 1.5, 2.5], mode="linear", coordinate_transformation_mode="half_pixel"))
case("resize_linear_align_corners", description="Resize linear, align_corners, scales [1,1,2,2]")(
    resize_case([1, 1, 2, 2], mode="linear", coordinate_transformation_mode="align_corners"))


@case("resize_sizes", description="Resize linear to fixed sizes [2,2,5,7] (pytorch_half_pixel); fixed batch")
def _(rng):
    g = GraphBuilder()
    g.weight("sizes", np.array([2, 2, 5, 7], np.int64))
    g.node("Resize", ["x", "", "", "sizes"], "y", mode="linear", coordinate_transformation_mode="pytorch_half_pixel")
    return Case(g, {"x": randn(rng, 2, 2, 3, 4)}, ["y"], batch_symbolic=False)


# ---------------------------------------------------------------- misc

@case("identity_dropout", description="Identity and Dropout (inference: identity) with ratio input")
def _(rng):
    g = GraphBuilder()
    g.weight("ratio", np.array(0.3, np.float32))
    h = g.node("Identity", ["x"], "ident")
    g.node("Dropout", [h, "ratio"], "y")
    return single(g, randn(rng, 3, 4), ["y"])


# ---------------------------------------------------------------- writing

def _data_input_infos(feeds, batch_symbolic):
    infos = []
    for name, value in feeds.items():
        shape = list(value.shape)
        if batch_symbolic:
            shape[0] = "N"
        infos.append(helper.make_tensor_value_info(name, NP_TO_ONNX[value.dtype], shape))
    return infos


def _batch_separable(path, feeds, outputs, expected):
    """Same values when the batch is split as when whole (the condition for `lathe eval`)."""
    x = feeds["x"]
    if len(x) < 2:
        return False, "fewer than 2 samples"
    try:
        parts = [ort_run(path, {"x": x[i:i + 1]}) for i in range(len(x))]
    except Exception as error:  # onnxruntime refuses other batch sizes
        return False, f"other batch sizes fail in onnxruntime: {type(error).__name__}"
    for name in outputs:
        if expected[name].ndim == 0 or expected[name].shape[0] != len(x):
            return False, f"output {name} has no batch axis"
        joined = np.concatenate([p[name] for p in parts])
        if joined.shape != expected[name].shape or not np.allclose(joined, expected[name], rtol=1e-6, atol=1e-6):
            return False, f"output {name} mixes samples"
    return True, ""


def write_zoo(folder, log=print):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in list(folder.glob("*.onnx")) + list(folder.glob("*.npz")):
        old.unlink()
    index = {"format": "inputs by graph-input name; expected outputs under expected_<output name>",
             "cases": []}
    for spec in CASES:
        name, opset = spec["name"], spec["opset"]
        rng = np.random.default_rng(zlib.crc32(name.encode()))
        built = spec["build"](rng)
        outputs = [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None) for o in built.outputs]
        model = built.g.model(_data_input_infos(built.inputs, built.batch_symbolic), outputs, opset=opset, name=name,
                              producer="lathe-zoo", check=False)
        # Declare each output as onnx's shape inference sees it (symbolic batch included).
        inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
        known = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
        for out in model.graph.output:
            if out.name not in known or not known[out.name].type.tensor_type.elem_type:
                raise SystemExit(f"zoo case {name}: shape inference does not type output {out.name}")
            out.type.CopyFrom(known[out.name].type)
        onnx.checker.check_model(model, full_check=True)
        path = folder / f"{name}.onnx"
        onnx.save_model(model, str(path))
        expected = ort_run(path, built.inputs)
        arrays = dict(built.inputs)
        arrays.update({f"expected_{k}": v for k, v in expected.items()})
        np.savez_compressed(folder / f"{name}.npz", **arrays)
        single_x = list(built.inputs) == ["x"] and built.inputs["x"].dtype == np.float32 and built.batch_symbolic
        if single_x:
            evaluable, why = _batch_separable(path, built.inputs, built.outputs, expected)
        else:
            evaluable, why = False, ("several data inputs" if len(built.inputs) > 1 else "fixed batch dimension")
        for out, value in expected.items():
            if not np.all(np.isfinite(value.astype(np.float64))):
                raise SystemExit(f"zoo case {name}: output {out} is not finite")
        entry = {
            "name": name, "opset": opset, "ir_version": model.ir_version,
            "description": spec["description"],
            "ops": sorted({n.op_type for n in model.graph.node}),
            "inputs": [{"name": k, "shape": list(v.shape), "dtype": str(v.dtype)} for k, v in built.inputs.items()],
            "outputs": [{"name": k, "shape": list(expected[k].shape), "dtype": str(expected[k].dtype)}
                        for k in built.outputs],
            "eval": evaluable,
        }
        if not evaluable:
            entry["eval_note"] = why
        index["cases"].append(entry)
    covered = sorted({op for c in index["cases"] for op in c["ops"]})
    index["ops_covered"] = covered
    (folder / "index.json").write_text(json.dumps(index, indent=1) + "\n")
    size = sum(f.stat().st_size for f in folder.iterdir())
    n_eval = sum(c["eval"] for c in index["cases"])
    log(f"zoo: {len(index['cases'])} cases ({n_eval} through lathe eval), {len(covered)} ops, {size / 1e3:.0f} kB")
    return {"cases": len(index["cases"]), "eval_cases": n_eval, "ops": covered, "bytes": size}
