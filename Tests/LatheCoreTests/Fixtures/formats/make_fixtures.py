#!/usr/bin/env python3
"""Makes the committed fixtures of the Formats tests (ONNX, NPY, NPZ).

Run from anywhere with a Python that has numpy, onnx, onnxruntime, ml_dtypes,
scikit-learn and skl2onnx:  python make_fixtures.py
Every file is small and deterministic; expected values come from numpy and
onnx's own decoders, reference outputs from onnxruntime.
"""
import os
import shutil

import ml_dtypes
import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ONNX_DIR = os.path.join(HERE, "onnx")
NPY_DIR = os.path.join(HERE, "npy")


def out(*parts):
    path = os.path.join(*parts)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    return path


def save_model(model, name, **kwargs):
    onnx.checker.check_model(model)
    path = out(ONNX_DIR, name)
    onnx.save_model(model, path, **kwargs)
    return path


def run(path, feeds):
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feeds)))


def save_reference(path, feeds, outputs):
    """inputs under 'input:NAME', onnxruntime outputs under 'output:NAME' (read by the Swift tests and
    by check_written.py)."""
    arrays = {f"input:{k}": v for k, v in feeds.items()}
    arrays.update({f"output:{k}": v for k, v in outputs.items()})
    np.savez(path, **arrays)


# ---------------------------------------------------------------- ONNX ----

def typed_fields_model():
    """Every supported dtype stored both in the typed repeated fields and as raw_data, with expected
    values (decoded by onnx.numpy_helper) in typed_fields_expected.npz (bfloat16 as float32)."""
    f16_specials = np.array([0.0, -0.0, 1.0, -2.5, 65504.0, -65504.0, 2.0 ** -14, 2.0 ** -24, 3 * 2.0 ** -24,
                             np.inf, -np.inf, 0.333251953125, 1024.5], dtype=np.float16)
    bf16_specials = np.array([0.0, -0.0, 1.0, -2.5, 3.3895314e38, 1.1754944e-38, 9.1835e-41, np.inf, -np.inf,
                              0.333984375, 257.0], dtype=ml_dtypes.bfloat16)
    tensors = []
    expected = {}

    def typed(name, dtype_code, dims, values, field):
        t = TensorProto()
        t.name = name
        t.data_type = dtype_code
        t.dims.extend(dims)
        getattr(t, field).extend(values)
        tensors.append(t)
        expected[name] = numpy_helper.to_array(t)

    def raw(name, array, dtype_code=None):
        t = numpy_helper.from_array(array, name)
        assert t.HasField("raw_data")
        tensors.append(t)
        expected[name] = numpy_helper.to_array(t)

    f32 = np.array([[1.5, -2.25, 3.0e-8], [1e30, -0.0, 7.0]], dtype=np.float32)
    typed("f32_typed", TensorProto.FLOAT, [2, 3], f32.ravel().tolist(), "float_data")
    raw("f32_raw", f32)
    typed("f16_typed", TensorProto.FLOAT16, [13], f16_specials.view(np.uint16).astype(np.int32).tolist(), "int32_data")
    raw("f16_raw", f16_specials)
    typed("bf16_typed", TensorProto.BFLOAT16, [11], bf16_specials.view(np.uint16).astype(np.int32).tolist(),
          "int32_data")
    t = TensorProto(name="bf16_raw", data_type=TensorProto.BFLOAT16, dims=[11], raw_data=bf16_specials.tobytes())
    tensors.append(t)
    expected["bf16_raw"] = numpy_helper.to_array(t)
    f64 = np.array([0.1, -1e300, 2.5], dtype=np.float64)
    typed("f64_typed", TensorProto.DOUBLE, [3], f64.tolist(), "double_data")
    raw("f64_raw", f64)
    for name, np_type, code in [("i8", np.int8, TensorProto.INT8), ("u8", np.uint8, TensorProto.UINT8),
                                ("i16", np.int16, TensorProto.INT16), ("u16", np.uint16, TensorProto.UINT16),
                                ("i32", np.int32, TensorProto.INT32)]:
        info = np.iinfo(np_type)
        values = np.array([info.min, 0, 1, 42, info.max - 1, info.max], dtype=np_type).reshape(2, 3)
        typed(f"{name}_typed", code, [2, 3], values.ravel().astype(np.int64).tolist(), "int32_data")
        raw(f"{name}_raw", values)
    i64 = np.array([np.iinfo(np.int64).min, -1, 0, 7, np.iinfo(np.int64).max], dtype=np.int64)
    typed("i64_typed", TensorProto.INT64, [5], i64.tolist(), "int64_data")
    raw("i64_raw", i64)
    u32 = np.array([0, 1, 4294967295], dtype=np.uint32)
    typed("u32_typed", TensorProto.UINT32, [3], u32.astype(np.uint64).tolist(), "uint64_data")
    raw("u32_raw", u32)
    u64 = np.array([0, 5, 2 ** 63 - 1], dtype=np.uint64)
    typed("u64_typed", TensorProto.UINT64, [3], u64.tolist(), "uint64_data")
    raw("u64_raw", u64)
    b = np.array([True, False, True, True], dtype=bool)
    typed("bool_typed", TensorProto.BOOL, [2, 2], b.astype(np.int32).tolist(), "int32_data")
    raw("bool_raw", b.reshape(2, 2))
    typed("scalar_typed", TensorProto.FLOAT, [], [4.5], "float_data")
    typed("empty_typed", TensorProto.FLOAT, [0, 3], [], "float_data")

    # One Identity per tensor so the model is a valid, runnable graph.
    nodes, outputs = [], []
    for t in tensors:
        nodes.append(helper.make_node("Identity", [t.name], [t.name + "_out"]))
        outputs.append(helper.make_tensor_value_info(t.name + "_out", t.data_type, list(t.dims)))
    graph = helper.make_graph(nodes, "typed_fields", [], outputs, initializer=tensors)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    save_model(model, "typed_fields.onnx")
    for name, array in expected.items():
        if array.dtype == ml_dtypes.bfloat16:
            expected[name] = array.astype(np.float32)
    np.savez(out(ONNX_DIR, "typed_fields_expected.npz"), **expected)


def cnn_weights(rng):
    return {
        "conv.weight": rng.standard_normal((4, 1, 3, 3)).astype(np.float32),
        "conv.bias": rng.standard_normal(4).astype(np.float32),
        "bn.scale": (rng.random(4) + 0.5).astype(np.float32),
        "bn.bias": rng.standard_normal(4).astype(np.float32),
        "bn.mean": rng.standard_normal(4).astype(np.float32) * 0.1,
        "bn.var": (rng.random(4) + 0.5).astype(np.float32),
        "fc.weight": rng.standard_normal((10, 64)).astype(np.float32) * 0.2,
        "fc.bias": rng.standard_normal(10).astype(np.float32),
        "flatten.shape": np.array([-1, 64], dtype=np.int64),
    }


def cnn_model():
    """A small CNN with a symbolic batch, raw_data float weights: the round-trip model."""
    rng = np.random.default_rng(0)
    weights = cnn_weights(rng)
    nodes = [
        helper.make_node("Conv", ["x", "conv.weight", "conv.bias"], ["c"], name="conv", pads=[1, 1, 1, 1],
                         kernel_shape=[3, 3]),
        helper.make_node("BatchNormalization", ["c", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["b"],
                         name="bn", epsilon=1e-5),
        helper.make_node("Relu", ["b"], ["r"], name="relu"),
        helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Reshape", ["p", "flatten.shape"], ["f"], name="flatten"),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "cnn", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["N", 10]),
         helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])],
        initializer=[numpy_helper.from_array(v, k) for k, v in weights.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    path = save_model(model, "cnn.onnx")
    feeds = {"x": rng.standard_normal((3, 1, 8, 8)).astype(np.float32)}
    save_reference(out(ONNX_DIR, "cnn_reference.npz"), feeds, run(path, feeds))


def constants_model():
    """Weights only in Constant nodes, in each attribute form, as paddle2onnx writes them."""
    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    b = [0.5, -1.0, 2.0]
    nodes = [
        helper.make_node("Constant", [], ["W"], name="const_w", value=numpy_helper.from_array(w)),
        helper.make_node("Constant", [], ["B"], value_floats=b),
        helper.make_node("Constant", [], ["S"], value_float=0.25),
        helper.make_node("Constant", [], ["shape"], value_ints=[3, 1]),
        helper.make_node("Constant", [], ["k"], value_int=2),
        helper.make_node("MatMul", ["x", "W"], ["m"], name="matmul"),
        helper.make_node("Add", ["m", "B"], ["a"]),
        helper.make_node("Mul", ["a", "S"], ["s"]),
        helper.make_node("Reshape", ["s", "shape"], ["y"]),
        helper.make_node("Cast", ["k"], ["kf"], to=TensorProto.FLOAT),
        helper.make_node("Mul", ["y", "kf"], ["y2"]),
    ]
    graph = helper.make_graph(nodes, "constants", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                              [helper.make_tensor_value_info("y2", TensorProto.FLOAT, [3, 1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    path = save_model(model, "constants.onnx")
    feeds = {"x": rng.standard_normal((1, 4)).astype(np.float32)}
    save_reference(out(ONNX_DIR, "constants_reference.npz"), feeds, run(path, feeds))
    np.savez(out(ONNX_DIR, "constants_expected.npz"), W=w, B=np.array(b, np.float32), S=np.float32(0.25),
             shape=np.array([3, 1], np.int64), k=np.int64(2))


def mixed_dtypes_model():
    """float16, bfloat16 and int8 weights cast to float: the writer must re-encode them exactly."""
    rng = np.random.default_rng(2)
    w16 = rng.standard_normal((4, 5)).astype(np.float16)
    b16 = rng.standard_normal(5).astype(np.float32).astype(ml_dtypes.bfloat16)
    q8 = rng.integers(-128, 128, size=(5,), dtype=np.int8)
    b16_tensor = TensorProto(name="bias.bf16", data_type=TensorProto.BFLOAT16, dims=[5], raw_data=b16.tobytes())
    nodes = [
        helper.make_node("Cast", ["w.f16"], ["w"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["bias.bf16"], ["b"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["offset.i8"], ["o"], to=TensorProto.FLOAT),
        helper.make_node("MatMul", ["x", "w"], ["m"]),
        helper.make_node("Add", ["m", "b"], ["a"]),
        helper.make_node("Add", ["a", "o"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "mixed", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5])],
        initializer=[numpy_helper.from_array(w16, "w.f16"), b16_tensor, numpy_helper.from_array(q8, "offset.i8")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    path = save_model(model, "mixed_dtypes.onnx")
    feeds = {"x": rng.standard_normal((2, 4)).astype(np.float32)}
    save_reference(out(ONNX_DIR, "mixed_dtypes_reference.npz"), feeds, run(path, feeds))


def external_data_model():
    """Weights in a separate file beside the model (offsets and lengths)."""
    rng = np.random.default_rng(3)
    w = rng.standard_normal((6, 4)).astype(np.float32)
    b = rng.standard_normal(4).astype(np.float16)
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Cast", ["b"], ["bf"], to=1),
             helper.make_node("Add", ["m", "bf"], ["y"])]
    graph = helper.make_graph(nodes, "external", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 6])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
                              initializer=[numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    folder = os.path.join(ONNX_DIR, "external")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    path = os.path.join(folder, "model.onnx")
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location="weights.bin",
                    size_threshold=0)
    onnx.checker.check_model(path)
    stored = onnx.load(path, load_external_data=False)
    assert all(t.data_location == TensorProto.EXTERNAL for t in stored.graph.initializer)
    np.savez(os.path.join(folder, "expected.npz"), w=w, b=b)


def legacy_inputs_model():
    """IR version 3 style: initializers are also listed as graph inputs, and a sparse initializer."""
    w = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    sparse_values = numpy_helper.from_array(np.array([5.0, -6.0], dtype=np.float32), "s")
    sparse_indices = numpy_helper.from_array(np.array([1, 2], dtype=np.int64), "s_indices")
    sparse = helper.make_sparse_tensor(sparse_values, sparse_indices, [2, 2])
    nodes = [helper.make_node("MatMul", ["x", "w"], ["m"]), helper.make_node("Add", ["m", "s"], ["y"])]
    graph = helper.make_graph(
        nodes, "legacy",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2]),
         helper.make_tensor_value_info("w", TensorProto.FLOAT, [2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])],
        initializer=[numpy_helper.from_array(w, "w")], sparse_initializer=[sparse])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)], ir_version=6)
    path = save_model(model, "initializer_inputs.onnx")
    feeds = {"x": np.array([[1.0, 0.0], [0.5, 2.0]], dtype=np.float32)}
    save_reference(out(ONNX_DIR, "initializer_inputs_reference.npz"), feeds, run(path, feeds))


def control_flow_model():
    """An If node: its subgraph attributes are dropped but the node and its plain attributes stay; also
    an unsorted node list the reader must put in topological order."""
    then_graph = helper.make_graph([helper.make_node("Neg", ["x"], ["t"])], "then", [],
                                   [helper.make_tensor_value_info("t", TensorProto.FLOAT, [2])])
    else_graph = helper.make_graph([helper.make_node("Abs", ["x"], ["e"])], "else", [],
                                   [helper.make_tensor_value_info("e", TensorProto.FLOAT, [2])])
    nodes = [
        helper.make_node("Relu", ["z"], ["y"], name="last"),
        helper.make_node("If", ["cond"], ["z"], name="branch", then_branch=then_graph, else_branch=else_graph),
        helper.make_node("Greater", ["s", "zero"], ["cond"], name="compare"),
        helper.make_node("ReduceSum", ["x"], ["s"], name="sum", keepdims=0),
    ]
    graph = helper.make_graph(nodes, "control", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])],
                              initializer=[numpy_helper.from_array(np.float32(0), "zero")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.save_model(model, out(ONNX_DIR, "control_flow.onnx"))  # unsorted on purpose: the checker would refuse


def sklearn_model():
    """A scikit-learn classifier: ai.onnx.ml ops and a sequence-of-maps output (ZipMap)."""
    from skl2onnx import to_onnx
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(4)
    x = rng.standard_normal((40, 3)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    classifier = LogisticRegression().fit(x, y)
    model = to_onnx(classifier, x[:1], target_opset={"": 13, "ai.onnx.ml": 1})
    model.producer_version = ""  # keep the fixture independent of the converter's version
    save_model(model, "sklearn_logreg.onnx")


# ---------------------------------------------------------------- NPY/NPZ ----

SIGNED = {"i1": np.int8, "i2": np.int16, "i4": np.int32, "i8": np.int64}
UNSIGNED = {"u1": np.uint8, "u2": np.uint16, "u4": np.uint32, "u8": np.uint64}
FLOATS = {"f2": np.float16, "f4": np.float32, "f8": np.float64}


def dtype_arrays():
    """One [2, 3] array per dtype; the Swift tests know these values: integers are
    [min, -1 or 1, 0, 1, 42, max] style patterns, floats exactly representable in every width."""
    arrays = {}
    for code, t in SIGNED.items():
        info = np.iinfo(t)
        arrays[code] = np.array([info.min, -1, 0, 1, 42, info.max], dtype=t).reshape(2, 3)
    for code, t in UNSIGNED.items():
        info = np.iinfo(t)
        arrays[code] = np.array([0, 1, 2, 42, info.max - 1, info.max], dtype=t).reshape(2, 3)
    for code, t in FLOATS.items():
        arrays[code] = np.array([0.5, -1.25, 3.0, 1024.0, 0.125, -0.0], dtype=t).reshape(2, 3)
    arrays["b1"] = np.array([True, False, True, True, False, False]).reshape(2, 3)
    return arrays


def npy_fixtures():
    shutil.rmtree(NPY_DIR, ignore_errors=True)
    os.makedirs(NPY_DIR)
    arrays = dtype_arrays()
    for code, array in arrays.items():
        np.save(os.path.join(NPY_DIR, f"{code}.npy"), array)
    np.save(os.path.join(NPY_DIR, "big_endian_f4.npy"), arrays["f4"].astype(">f4"))
    np.save(os.path.join(NPY_DIR, "big_endian_i8.npy"), arrays["i8"].astype(">i8"))
    np.save(os.path.join(NPY_DIR, "fortran.npy"), np.asfortranarray(arrays["f4"]))
    np.save(os.path.join(NPY_DIR, "scalar.npy"), np.float32(2.5))
    np.save(os.path.join(NPY_DIR, "empty.npy"), np.zeros((0, 3), dtype=np.float32))
    np.save(os.path.join(NPY_DIR, "complex.npy"), np.array([1 + 2j], dtype=np.complex64))
    np.save(os.path.join(NPY_DIR, "object.npy"), np.array([{"a": 1}], dtype=object), allow_pickle=True)
    for version in [(2, 0), (3, 0)]:
        with open(os.path.join(NPY_DIR, f"v{version[0]}.npy"), "wb") as f:
            np.lib.format.write_array(f, arrays["f4"], version=version)
    np.savez(os.path.join(NPY_DIR, "all_dtypes.npz"), **arrays)
    np.savez_compressed(os.path.join(NPY_DIR, "all_dtypes_compressed.npz"), **arrays)

    # Datasets in the shapes users bring them.
    rng = np.random.default_rng(5)
    images = rng.integers(0, 256, size=(4, 1, 2, 2), dtype=np.uint8)
    labels = np.array([3, 0, 9, 1], dtype=np.int64)
    np.savez(os.path.join(NPY_DIR, "dataset_uint8.npz"), x=images, y=labels)
    np.savez_compressed(os.path.join(NPY_DIR, "dataset_compressed.npz"), y=labels.astype(np.float64),
                        x=images.astype(np.float64) / 255.0)
    np.savez(os.path.join(NPY_DIR, "dataset_unnamed.npz"), labels.astype(np.int32), images)
    np.savez(os.path.join(NPY_DIR, "dataset_empty_archive.npz"))


def input_named_y_model():
    """A model whose one input is named `y` (a 4-feature linear classifier into 3 classes), and its data:
    `y` the inputs, `labels` the classes (the Dataset must feed `y` and read labels from --labels)."""
    rng = np.random.default_rng(11)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["y", "w"], ["logits"]), helper.make_node("Softmax", ["logits"], ["p"], axis=1)],
        "input_named_y", [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
        [helper.make_tensor_value_info("p", TensorProto.FLOAT, ["N", 3])], [numpy_helper.from_array(w, "w")])
    path = save_model(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), "input_named_y.onnx")
    y = rng.standard_normal((40, 4)).astype(np.float32)
    outputs = run(path, {"y": y})
    # Labels agree with the model on all but every fifth sample, so top-1 is 80% exactly.
    labels = outputs["p"].argmax(1).astype(np.int64)
    labels[::5] = (labels[::5] + 1) % 3
    np.savez(out(NPY_DIR, "input_named_y.npz"), y=y, labels=labels)
    np.save(out(NPY_DIR, "input_named_y.reference.npy"), outputs["p"])


def halfprecision_rounding():
    """float32 values and their float16 / bfloat16 roundings (nearest, ties to even) as bit patterns."""
    rng = np.random.default_rng(6)
    specials = np.array([0.0, -0.0, 1.0, 65504.0, 65519.996, 65520.0, 1e6, 2.0 ** -14, 2.0 ** -24,
                         2.0 ** -25, 1.5 * 2.0 ** -25, 2.0 ** -26, 1.0 + 2.0 ** -11, 1.0 + 3 * 2.0 ** -11,
                         1.0 + 2.0 ** -8, 1.0 + 3 * 2.0 ** -8, 3.3895314e38, 3.4028235e38, 1e-45, np.inf,
                         -np.inf, 0.1, -0.3], dtype=np.float32)
    randoms = np.concatenate([rng.standard_normal(2000), rng.standard_normal(1000) * 1e-5,
                              rng.standard_normal(1000) * 3e4]).astype(np.float32)
    # Values exactly halfway between neighbours, to exercise ties-to-even.
    normal16 = rng.integers(0x0400, 0x7BFF, 500).astype(np.uint16).view(np.float16).astype(np.float32)
    halves16 = (normal16.view(np.uint32) | 0x1000).view(np.float32)  # halfway to the next float16
    halvesbf = ((rng.integers(0, 0x7F7F, 500).astype(np.uint32) << 16) | 0x8000).view(np.float32)
    values = np.concatenate([specials, randoms, halves16, halvesbf]).astype(np.float32)
    np.savez(os.path.join(NPY_DIR, "halfprecision_rounding.npz"), values=values,
             float16_bits=values.astype(np.float16).view(np.uint16),
             bfloat16_bits=values.astype(ml_dtypes.bfloat16).view(np.uint16))


if __name__ == "__main__":
    typed_fields_model()
    cnn_model()
    constants_model()
    mixed_dtypes_model()
    external_data_model()
    legacy_inputs_model()
    control_flow_model()
    sklearn_model()
    npy_fixtures()
    halfprecision_rounding()
    input_named_y_model()
    print("fixtures written under", HERE)
