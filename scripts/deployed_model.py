#!/usr/bin/env python3
"""The deployed form of an ONNX model, computed in numpy from DESIGN.md's definitions.

DESIGN.md "Models" and "Size model": Lathe scores one output; nodes not needed
for it are dropped; Constant nodes are initializers; Identity and inference
Dropout pass their input through; nodes whose inputs are all constants are
folded (values a node's subgraphs — If branches, Loop and Scan bodies — read
from the enclosing graph count as its inputs, so the weights they read stay
deployed); a BatchNormalization after a Conv/ConvTranspose/Gemm is folded into that
layer's weight (w·γ/√(var+ε) per output channel) and a bias ((b − mean)·s + β);
an activation that alone consumes a Conv/ConvTranspose/Gemm output is fused
into it, so a Clip's constant min/max are no longer stored. An integer weight
behind DequantizeLinear (constant weight, scale and zero point; rank >= 2; read
by a layer op) is dequantized to float32, (q − zero_point)·scale, into a layer
named by the integer tensor when nothing else reads it (else by the node's
output) and counted at its integer storage: packed weights + scales + zero points. What remains is the
set of tensors a deployed file needs, each counted at the dtype the file stores
it at: a float16/bfloat16 initializer widened to float32 by a Cast counts at 2
bytes per element.

`deploy(model_proto, output)` returns a `Deployed` with
  * `baseline_bytes`: the sum over those tensors (Lathe's `baseline_size_bytes`);
  * `tensors` / `stored_dtype`: the deployed tensors by name;
  * `layers`: the weight layers (compression_reference layer dicts, graph order);
  * `runnable`: an onnx ModelProto of the deployed graph with BatchNormalization
    folded but activations left as nodes, so onnxruntime runs exactly the weights
    Lathe compresses (replace initializers by layer name to run a compressed model).

Arithmetic of the BatchNormalization fold follows the engine's (float64 scale
and bias, rounded to float32), so the folded weights agree bit for bit.
"""
from dataclasses import dataclass, field

import numpy as np
import onnx
from onnx import helper, numpy_helper

RECURRENT_OPS = ("LSTM", "GRU", "RNN")
LAYER_OPS = ("Conv", "ConvTranspose", "Gemm", "MatMul") + RECURRENT_OPS
FUSING_PRODUCERS = ("Conv", "ConvTranspose", "Gemm")
PLAIN_ACTIVATIONS = ("Relu", "Sigmoid", "Tanh", "HardSwish", "LeakyRelu", "HardSigmoid")
NONDETERMINISTIC = ("RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Multinomial",
                    "Bernoulli")
HALF_TYPES = (onnx.TensorProto.FLOAT16, onnx.TensorProto.BFLOAT16)


def attribute(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return helper.get_attribute_value(a)
    return default


def constant_value(node):
    """The value of a Constant node, whatever attribute form it uses."""
    attr = node.attribute[0]
    if attr.name == "value":
        return numpy_helper.to_array(attr.t)
    if attr.name == "value_float":
        return np.array(attr.f, np.float32)
    if attr.name == "value_floats":
        return np.array(attr.floats, np.float32)
    if attr.name == "value_int":
        return np.array(attr.i, np.int64)
    if attr.name == "value_ints":
        return np.array(attr.ints, np.int64)
    raise ValueError(f"Constant node {node.name!r}: unsupported attribute {attr.name}")


def subgraphs(node):
    for attr in node.attribute:
        if attr.type == onnx.AttributeProto.GRAPH:
            yield attr.g
        yield from attr.graphs


def outer_reads(graph):
    """Names a subgraph reads (at any depth) that it does not define: values of the enclosing scopes."""
    defined = {i.name for i in graph.input} | {t.name for t in graph.initializer}
    reads = []
    for node in graph.node:
        for name in list(node.input) + implicit_inputs(node):
            if name and name not in defined and name not in reads:
                reads.append(name)
        defined.update(node.output)
    reads += [o.name for o in graph.output if o.name not in defined and o.name not in reads]
    return reads


def implicit_inputs(node):
    names = []
    for graph in subgraphs(node):
        names += [n for n in outer_reads(graph) if n not in names]
    return names


def reads(node):
    """Everything the node reads: its inputs and its subgraphs' outer-scope values."""
    return [i for i in node.input if i] + implicit_inputs(node)


def default_domain(node):
    return node.domain in ("", "ai.onnx")


@dataclass
class Deployed:
    output: str
    tensors: dict                      # name -> numpy value (widened copies for Cast-folded halves)
    stored_dtype: dict                 # name -> numpy dtype the file stores it at
    layers: list                       # compression_reference-style layer dicts, graph order
    runnable: onnx.ModelProto
    folded_batchnorms: int = 0
    fused_activations: int = 0
    notes: list = field(default_factory=list)
    stored_bytes: dict = field(default_factory=dict)   # name -> bytes of a weight stored as integers

    def tensor_bytes(self, name):
        if name in self.stored_bytes:
            return self.stored_bytes[name]
        return int(self.tensors[name].size) * np.dtype(self.stored_dtype[name]).itemsize

    @property
    def baseline_bytes(self):
        return sum(self.tensor_bytes(name) for name in self.tensors)


class _Graph:
    """The few graph operations the passes need, on copied NodeProtos."""

    def __init__(self, model_proto, output):
        graph = model_proto.graph
        self.opset = next((o.version for o in model_proto.opset_import if o.domain in ("", "ai.onnx")), 13)
        self.output = output
        self.constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self.elem_types = {t.name: t.data_type for t in graph.initializer}
        self.nodes = []
        for node in graph.node:
            if node.op_type == "Constant" and default_domain(node):
                self.constants[node.output[0]] = constant_value(node)
                if node.attribute[0].name == "value":
                    self.elem_types[node.output[0]] = node.attribute[0].t.data_type
            else:
                copy = onnx.NodeProto()
                copy.CopyFrom(node)
                self.nodes.append(copy)
        self.inputs = [i for i in graph.input if i.name not in self.constants]
        self.value_info = {v.name: v for v in list(graph.value_info) + list(graph.output)}
        self.graph_outputs = {output}

    def uses(self, name):
        return sum(1 for node in self.nodes for i in reads(node) if i == name)

    def producer_index(self, name):
        for index, node in enumerate(self.nodes):
            if name in node.output:
                return index
        return None

    def eliminate_dead(self):
        needed = set(self.graph_outputs)
        keep = []
        for node in reversed(self.nodes):
            if any(o in needed for o in node.output):
                keep.append(node)
                needed.update(reads(node))
        self.nodes = list(reversed(keep))
        self.constants = {k: v for k, v in self.constants.items() if k in needed}
        self.inputs = [i for i in self.inputs if i.name in needed]

    def eliminate_identities(self):
        # Subgraphs read by name: an Identity whose output one reads stays (it stores nothing anyway).
        read_inside = {name for node in self.nodes for name in implicit_inputs(node)}
        replacement, kept = {}, []
        for node in self.nodes:
            for position, name in enumerate(node.input):
                if name in replacement:
                    node.input[position] = replacement[name]
            if (self._passes_through(node) and node.output[0] not in self.graph_outputs
                    and node.output[0] not in read_inside):
                replacement[node.output[0]] = node.input[0]
                continue
            kept.append(node)
        self.nodes = kept

    def _passes_through(self, node):
        if not default_domain(node):
            return False
        if node.op_type == "Identity":
            return True
        if node.op_type == "Dropout":
            if len(node.output) > 1 and node.output[1] and self.uses(node.output[1]) > 0:
                return False
            if len(node.input) > 2 and node.input[2]:
                flag = self.constants.get(node.input[2])
                return flag is not None and flag.size > 0 and not bool(flag.ravel()[0])
            return True
        return False

    def widened_halves(self):
        """Outputs of Casts widening a float16/bfloat16 initializer to float32, with the stored dtype."""
        stored = {}
        for node in self.nodes:
            if node.op_type != "Cast" or not default_domain(node) or not node.input:
                continue
            if node.input[0] not in self.constants or attribute(node, "to", None) != onnx.TensorProto.FLOAT:
                continue
            if self.elem_types.get(node.input[0]) in HALF_TYPES:
                stored[node.output[0]] = np.dtype(np.float16)  # 2 bytes per element (bfloat16 too)
        return stored

    def dequantize_weights(self):
        """Integer weights behind DequantizeLinear become float layers (see the module docstring).
        Returns {layer name: stored bytes}."""
        stored, kept, renames = {}, [], {}
        for node in self.nodes:
            if node.op_type == "DequantizeLinear" and default_domain(node) and self._dequantizable(node):
                weight, scale = self.constants[node.input[0]], self.constants[node.input[1]]
                zero = self.constants[node.input[2]] if len(node.input) > 2 and node.input[2] else None
                values = dequantize(weight, scale, zero, attribute(node, "axis", 1), attribute(node, "block_size", 0))
                exclusive = self.uses(node.input[0]) == 1 and node.input[0] != self.output
                name = node.input[0] if exclusive else node.output[0]
                if name != node.output[0]:
                    renames[node.output[0]] = name
                self.constants[name] = values
                bits = np.dtype(weight.dtype).itemsize * 8
                stored[name] = ((weight.size * bits + 7) // 8 + scale.nbytes
                                + (0 if zero is None else zero.nbytes))
                continue
            kept.append(node)
        for node in kept:
            for position, name in enumerate(node.input):
                node.input[position] = renames.get(name, name)
        self.nodes = kept
        return stored

    def _dequantizable(self, node):
        if len(node.input) < 2 or any(i and i not in self.constants for i in node.input):
            return False
        weight = self.constants[node.input[0]]
        if weight.ndim < 2 or weight.dtype.kind not in "iu" or weight.dtype.itemsize > 2:
            return False
        return any(node.output[0] in n.input for n in self.nodes if n.op_type in LAYER_OPS[:4])

    def fold_constants(self):
        kept = []
        for node in self.nodes:
            if (default_domain(node) and node.op_type not in NONDETERMINISTIC
                    and all(i in self.constants for i in reads(node))):
                values = self._evaluate(node)
                if values is not None:
                    self.constants.update(values)
                    continue
            kept.append(node)
        self.nodes = kept

    def _evaluate(self, node):
        if node.op_type == "DequantizeLinear":  # (int32 biases; the reference evaluator lacks early opsets)
            zero = self.constants[node.input[2]] if len(node.input) > 2 and node.input[2] else None
            return {node.output[0]: dequantize(self.constants[node.input[0]], self.constants[node.input[1]], zero,
                                               attribute(node, "axis", 1), attribute(node, "block_size", 0))}
        if node.op_type == "Cast":
            to = attribute(node, "to", None)
            dtype = onnx.helper.tensor_dtype_to_np_dtype(to)
            return {node.output[0]: self.constants[node.input[0]].astype(dtype)}
        from onnx.reference import ReferenceEvaluator
        inputs = [i for i in node.input if i]
        feeds = {i: self.constants[i] for i in inputs}
        graph = helper.make_graph(
            [node], "fold",
            [helper.make_tensor_value_info(i, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
             for i, v in feeds.items()],
            [helper.make_tensor_value_info(o, onnx.TensorProto.UNDEFINED, None) for o in node.output if o])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)])
        try:
            results = ReferenceEvaluator(model).run(None, feeds)
        except Exception:  # noqa: BLE001 - an op the reference cannot fold stays a node
            return None
        return dict(zip([o for o in node.output if o], (np.asarray(r) for r in results)))

    def fold_batchnorms(self):
        folded, index = 0, 0
        while index < len(self.nodes):
            if self.nodes[index].op_type == "BatchNormalization" and self._fold_batchnorm(index):
                folded += 1
                continue
            index += 1
        return folded

    def _fold_batchnorm(self, bn_index):
        bn = self.nodes[bn_index]
        if not default_domain(bn) or attribute(bn, "training_mode", 0) != 0 or len(bn.input) < 5:
            return False
        if any(o and self.uses(o) > 0 for o in bn.output[1:]):
            return False
        x = bn.input[0]
        params = [self.constants.get(n) for n in bn.input[1:5]]
        producer_index = self.producer_index(x)
        if (any(p is None for p in params) or producer_index is None or producer_index >= bn_index
                or self.uses(x) != 1 or x in self.graph_outputs):
            return False
        producer = self.nodes[producer_index]
        if (not default_domain(producer) or producer.op_type not in FUSING_PRODUCERS
                or producer.output[0] != x or len(producer.input) < 2):
            return False
        wname = producer.input[1]
        weight = self.constants.get(wname)
        if weight is None or weight.dtype.kind != "f" or weight.ndim < 2 or self.uses(wname) != 1:
            return False
        axis, groups = channel_axis(producer, weight.ndim), attribute(producer, "group", 1)
        channels = weight.shape[axis] * (groups if producer.op_type == "ConvTranspose" else 1)
        gamma, beta, mean, var = (p.astype(np.float64).ravel() for p in params)
        if any(p.size != channels for p in (gamma, beta, mean, var)):
            return False
        bias = np.zeros(channels)
        bname = producer.input[2] if len(producer.input) > 2 and producer.input[2] else None
        if bname is not None:
            current = self.constants.get(bname)
            if current is None or current.dtype.kind != "f":
                return False
            factor = float(np.float32(attribute(producer, "beta", 1.0))) if producer.op_type == "Gemm" else 1.0
            if current.size == channels:
                bias = current.astype(np.float64).ravel() * factor
            elif current.size == 1:
                bias = np.full(channels, float(current.ravel()[0]) * factor)
            else:
                return False
        epsilon = float(np.float32(attribute(bn, "epsilon", 1e-5)))
        scale = gamma / np.sqrt(var + epsilon)
        new_bias = ((bias - mean) * scale + beta).astype(np.float32)
        shape = [1] * weight.ndim
        if producer.op_type == "ConvTranspose" and groups > 1:
            # [C_in, C_out/group, ...]: input channel i belongs to group i // (C_in/group).
            per_group = weight.shape[0] // groups
            factors = np.stack([scale[(i // per_group) * weight.shape[1]:(i // per_group + 1) * weight.shape[1]]
                                for i in range(weight.shape[0])])
            factors = factors.reshape(list(weight.shape[:2]) + [1] * (weight.ndim - 2))
        else:
            shape[axis] = -1
            factors = scale.reshape(shape)
        self.constants[wname] = (weight.astype(np.float64) * factors).astype(weight.dtype)
        if bname is not None and self.uses(bname) == 1 and bname not in self.graph_outputs:
            result_bias = bname
        else:
            result_bias = self._unique(wname + "_bn_folded_bias")
        self.constants[result_bias] = new_bias.astype(weight.dtype)
        while len(producer.input) < 3:
            producer.input.append("")
        producer.input[2] = result_bias
        if producer.op_type == "Gemm":
            for a in producer.attribute:
                if a.name == "beta":
                    a.f = 1.0
        producer.output[0] = bn.output[0]
        del self.nodes[bn_index]
        return True

    def _unique(self, base):
        taken = set(self.constants) | {o for n in self.nodes for o in n.output} | {i.name for i in self.inputs}
        if base not in taken:
            return base
        suffix = 2
        while f"{base}_{suffix}" in taken:
            suffix += 1
        return f"{base}_{suffix}"

    def fuse_activations(self):
        fused_producers, fused, index = set(), 0, 0
        while index < len(self.nodes):
            node = self.nodes[index]
            if self._fusable(node):
                x = node.input[0]
                producer_index = self.producer_index(x)
                if (producer_index is not None and producer_index < index and self.uses(x) == 1
                        and x not in self.graph_outputs):
                    producer = self.nodes[producer_index]
                    if (default_domain(producer) and producer.op_type in FUSING_PRODUCERS
                            and producer.output[0] == x and id(producer) not in fused_producers):
                        producer.output[0] = node.output[0]
                        fused_producers.add(id(producer))
                        del self.nodes[index]
                        fused += 1
                        continue
            index += 1
        return fused

    def _fusable(self, node):
        if not default_domain(node) or not node.input or not node.output or not node.output[0]:
            return False
        if node.op_type in PLAIN_ACTIVATIONS:
            return True
        if node.op_type == "Clip":
            for name in node.input[1:3]:
                if name and (name not in self.constants or self.constants[name].size != 1):
                    return False
            return True
        return False

    def layers(self):
        found, seen = [], set()
        # LSTM/GRU/RNN nodes are visited twice: W (input 1), then R (input 2).
        visits = [(node, recurrent_input) for node in self.nodes
                  for recurrent_input in ((1, 2) if node.op_type in RECURRENT_OPS else (None,))]
        for node, recurrent_input in visits:
            if not default_domain(node) or node.op_type not in LAYER_OPS or len(node.input) < 2:
                continue
            position = None
            if recurrent_input is not None:
                if (len(node.input) > recurrent_input and self._is_weight(node.input[recurrent_input])
                        and node.input[0] not in self.constants):
                    position = recurrent_input
            elif self._is_weight(node.input[1]) and node.input[0] not in self.constants:
                position = 1
            elif node.op_type == "MatMul" and self._is_weight(node.input[0]) and node.input[1] not in self.constants:
                position = 0
            if position is None or node.input[position] in seen:
                continue
            name = node.input[position]
            seen.add(name)
            weight = self.constants[name]
            channel, reduction = layer_axes(node, weight.ndim, position)
            found.append({"name": name, "op": node.op_type, "shape": list(weight.shape), "channelAxis": channel,
                          "reductionAxis": reduction,
                          "groups": attribute(node, "group", 1) if node.op_type.startswith("Conv") else 1})
        return found

    def _is_weight(self, name):
        value = self.constants.get(name)
        return value is not None and value.ndim >= 2 and value.dtype.kind == "f"

    def to_model(self, model_proto):
        """The current graph as a ModelProto onnxruntime can run (all constants as initializers)."""
        model = onnx.ModelProto()
        model.CopyFrom(model_proto)
        graph = model.graph
        del graph.node[:]
        graph.node.extend(self.nodes)
        del graph.initializer[:]
        used = {i for n in self.nodes for i in reads(n)}  # subgraphs' outer-scope reads too
        graph.initializer.extend(numpy_helper.from_array(np.asarray(v), k)
                                 for k, v in self.constants.items() if k in used)
        del graph.input[:]
        graph.input.extend(self.inputs)
        outputs = [o for o in model_proto.graph.output if o.name == self.output]
        del graph.output[:]
        graph.output.extend(outputs or [helper.make_tensor_value_info(self.output, onnx.TensorProto.FLOAT, None)])
        del graph.value_info[:]
        return model


def dequantize(weight, scale, zero, axis, block_size):
    """DequantizeLinear in float32: (q − zero_point)·scale, per tensor, per axis or blocked."""
    if weight.ndim == 0:
        return ((weight.astype(np.int32) - (0 if zero is None else zero.astype(np.int32))).astype(np.float32)
                * scale.astype(np.float32)).astype(np.float32)
    axis = axis % weight.ndim

    def spread(t):
        if t.ndim == 0 or t.size == 1:
            return t.reshape(())
        if block_size:
            return np.repeat(t, block_size, axis=axis).take(range(weight.shape[axis]), axis=axis)
        shape = [1] * weight.ndim
        shape[axis] = t.size
        return t.reshape(shape)
    offset = spread(zero).astype(np.int32) if zero is not None else np.int32(0)
    return ((weight.astype(np.int32) - offset).astype(np.float32) * spread(scale).astype(np.float32)).astype(np.float32)


def channel_axis(node, rank):
    if node.op_type == "ConvTranspose":
        return 1
    if node.op_type == "Gemm":
        return 0 if attribute(node, "transB", 0) else 1
    return 0


def layer_axes(node, rank, weight_position):
    """(output-channel axis, reduction axis): Conv 0/1, ConvTranspose 1/0, Gemm by transB, MatMul 1/0,
    LSTM/GRU/RNN 1/2 (gate rows of [directions, gates·hidden, in])."""
    if node.op_type in RECURRENT_OPS:
        return 1, 2
    if node.op_type == "Conv":
        return 0, 1
    if node.op_type == "ConvTranspose":
        return 1, 0
    if node.op_type == "Gemm":
        return (0, 1) if attribute(node, "transB", 0) else (1, 0)
    return (rank - 1, rank - 2) if weight_position == 1 else (rank - 2, rank - 1)


def scored_output(model_proto, requested=None):
    """The output Lathe scores: `requested`, else the first floating one."""
    if requested:
        return requested
    floating = (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE, onnx.TensorProto.BFLOAT16)
    for output in model_proto.graph.output:
        if output.type.tensor_type.elem_type in floating:
            return output.name
    return model_proto.graph.output[0].name


def data_inputs(model_proto, output=None):
    """The graph inputs (not initializers) the scored output depends on."""
    g = _Graph(model_proto, scored_output(model_proto, output))
    g.eliminate_dead()
    return [i.name for i in g.inputs]


def deploy(model_proto, output=None):
    output = scored_output(model_proto, output)
    g = _Graph(model_proto, output)
    g.eliminate_dead()
    g.eliminate_identities()
    widened = g.widened_halves()
    integer_weights = g.dequantize_weights()
    g.fold_constants()
    folded = g.fold_batchnorms()
    g.eliminate_dead()
    runnable = g.to_model(model_proto)
    layers = g.layers()
    fused = g.fuse_activations()
    g.eliminate_dead()
    stored = {name: widened.get(name, value.dtype) for name, value in g.constants.items()}
    return Deployed(output=output, tensors=dict(g.constants), stored_dtype=stored, layers=layers,
                    runnable=runnable, folded_batchnorms=folded, fused_activations=fused,
                    stored_bytes={k: v for k, v in integer_weights.items() if k in g.constants})
