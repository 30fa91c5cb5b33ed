"""Helpers to write ONNX graphs with the `onnx` package and to run them with onnxruntime."""

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

# IR version 8 covers opsets up to 18; opsets 19-20 need IR 9 (onnx's VERSION_TABLE).
def ir_version_for(opset):
    return 8 if opset <= 18 else 9


class GraphBuilder:
    """Accumulates nodes and weights; weights become initializers or, with
    `constants=True`, `Constant` nodes (the paddle2onnx style)."""

    def __init__(self, constants=False):
        self.nodes = []
        self.initializers = []
        self.constants = constants
        self._counts = {}

    def weight(self, name, array):
        array = np.asarray(array)
        if self.constants:
            self.nodes.append(helper.make_node(
                "Constant", [], [name], name=self._name("Constant"),
                value=numpy_helper.from_array(array, name)))
        else:
            self.initializers.append(numpy_helper.from_array(array, name))
        return name

    def _name(self, op):
        count = self._counts.get(op, 0)
        self._counts[op] = count + 1
        return f"{op}_{count}"

    def node(self, op, inputs, outputs, name=None, domain=None, **attrs):
        if isinstance(outputs, str):
            outputs = [outputs]
        self.nodes.append(helper.make_node(op, inputs, outputs, name=name if name is not None else self._name(op),
                                           domain=domain, **attrs))
        return outputs[0] if len(outputs) == 1 else outputs

    # Shorthands for the layer patterns exporters write (used by make_task_samples.py).

    def conv(self, x, prefix, W, b=None, stride=1, pad=None, group=1, out=None):
        """Conv with `{prefix}.weight` (and `{prefix}.bias`), square kernel, symmetric `pad`
        (default k//2: "same" at stride 1)."""
        k = W.shape[-1]
        pad = k // 2 if pad is None else pad
        inputs = [x, self.weight(f"{prefix}.weight", np.asarray(W, np.float32))]
        if b is not None:
            inputs.append(self.weight(f"{prefix}.bias", np.asarray(b, np.float32)))
        return self.node("Conv", inputs, out or f"{prefix}_out", name=f"/{prefix}/Conv", kernel_shape=[k, k],
                         pads=[pad] * 4, strides=[stride, stride], dilations=[1, 1], group=group)

    def resize(self, x, scale, mode, name):
        """Resize [N, C, H, W] by an integer factor as torch exports it: `nearest` with
        asymmetric/floor, `linear` with half_pixel; roi omitted (""), scales as input 3."""
        scales = self.weight(f"{name}.scales", np.array([1, 1, scale, scale], np.float32))
        attrs = {"mode": mode}
        if mode == "nearest":
            attrs.update(coordinate_transformation_mode="asymmetric", nearest_mode="floor")
        else:
            attrs.update(coordinate_transformation_mode="half_pixel")
        return self.node("Resize", [x, "", scales], f"{name}_out", name=f"/{name}/Resize", **attrs)

    def scalar(self, name, value):
        return self.weight(name, np.array(value, np.float32))

    def model(self, inputs, outputs, opset=13, name="graph", producer="lathe-samples", extra_opsets=(),
              value_info=(), ir_version=None, check=True):
        graph = helper.make_graph(self.nodes, name, inputs, outputs, initializer=self.initializers,
                                  value_info=list(value_info))
        imports = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, v) for d, v in extra_opsets]
        model = helper.make_model(graph, opset_imports=imports, producer_name=producer,
                                  ir_version=ir_version or ir_version_for(opset))
        if check:
            onnx.checker.check_model(model, full_check=True)
        return model


def tensor_info(name, elem_type, shape):
    """`shape` entries: int (fixed), str (symbolic) or None (unknown, written as an empty dim)."""
    return helper.make_tensor_value_info(name, elem_type, shape)


FLOAT = TensorProto.FLOAT


def ort_session(path_or_bytes, threads=1):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(path_or_bytes, sess_options=opts, providers=["CPUExecutionProvider"])


def ort_run(path, feeds, output=None, threads=1):
    """Outputs of the model at `path` (all, or only `output`) on `feeds`."""
    sess = ort_session(str(path), threads)
    names = [output] if output else [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def ort_outputs_float32(path, x, output=None, batch=500, threads=1):
    """The scored output of a single-input model on all of `x` (converted to float32), batched."""
    sess = ort_session(str(path), threads)
    input_name = data_input_names(onnx.load(str(path), load_external_data=False))[0]
    output = output or sess.get_outputs()[0].name
    x = np.asarray(x, np.float32)
    parts = [sess.run([output], {input_name: x[s:s + batch]})[0] for s in range(0, len(x), batch)]
    return np.concatenate(parts).astype(np.float32)


def data_input_names(model):
    """Graph inputs that are not initializers (old exporters list weights as inputs too)."""
    inits = {t.name for t in model.graph.initializer}
    return [i.name for i in model.graph.input if i.name not in inits]


def ort_outputs_batched(path, feeds, batched, batch=500, out_axes=None, fixed_batch=None, threads=1):
    """Every output of a (possibly several-input) model, run in chunks.

    `feeds` maps input names to arrays; inputs named in `batched` are split along
    axis 0 (the others — shared states, masks — are fed unchanged to every chunk).
    `out_axes` maps an output to its batch axis (default 0; e.g. 1 for [T, N, C]);
    chunks are joined along it. `fixed_batch` forces the chunk size (e.g. 1 for a
    model that declares a batch of 1). Outputs keep their dtypes."""
    sess = ort_session(str(path), threads)
    names = [o.name for o in sess.get_outputs()]
    out_axes = out_axes or {}
    step = fixed_batch or batch
    n = len(next(iter(feeds[b] for b in batched)))
    parts = {name: [] for name in names}
    for s in range(0, n, step):
        chunk = {k: (v[s:s + step] if k in batched else v) for k, v in feeds.items()}
        for name, value in zip(names, sess.run(names, chunk)):
            parts[name].append(value)
    return {name: np.concatenate(parts[name], axis=out_axes.get(name, 0)) for name in names}


def recurrent_node(g, op, layer, x, outputs, prefix, **attrs):
    """An ONNX LSTM/GRU/RNN node for a numpy_nn recurrent layer (or Bidirectional):
    W, R, B become initializers `<prefix>.W/.R/.B`; extra inputs (sequence_lens,
    initial_h) and attributes are passed through."""
    W, R, B = layer.onnx_tensors()
    g.weight(f"{prefix}.W", W.astype(np.float32))
    g.weight(f"{prefix}.R", R.astype(np.float32))
    g.weight(f"{prefix}.B", B.astype(np.float32))
    inputs = [x, f"{prefix}.W", f"{prefix}.R", f"{prefix}.B"] + list(attrs.pop("extra_inputs", []))
    while inputs and inputs[-1] == "":
        inputs.pop()
    return g.node(op, inputs, outputs, name=f"/{prefix}/{op}", hidden_size=layer.hidden, **attrs)
