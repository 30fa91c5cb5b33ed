#!/usr/bin/env python3
"""Generate the recurrent-kernel fixtures (LSTM, GRU, RNN) and the ONNX
backend node tests for them.

- recurrent.json: single-node models run by onnxruntime on seeded random
  inputs, covering directions, layouts, optional inputs, sequence_lens,
  listed activations with alpha/beta, clip, input_forget,
  linear_before_reset, peepholes and omitted outputs.
- recurrent_node_tests.json: every case of the installed onnx package's
  backend node tests whose name starts with test_lstm, test_gru, test_rnn or
  test_simple_rnn, with the inputs and the expected outputs the onnx package
  ships.

Run with the project's Python (numpy, onnx, onnxruntime):
    python Tests/LatheCoreTests/Fixtures/kernels/make_recurrent_fixtures.py
Tests/LatheCoreTests/Kernels/RecurrentKernelTests.swift reads both files.
"""
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_fixtures as mf  # noqa: E402  (shared JSON helpers)

HERE = mf.HERE
ELEM = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.int32): TensorProto.INT32,
        np.dtype(np.int64): TensorProto.INT64}
OUTPUTS = {"LSTM": ["Y", "Y_h", "Y_c"], "GRU": ["Y", "Y_h"], "RNN": ["Y", "Y_h"]}
GATES = {"LSTM": 4, "GRU": 3, "RNN": 1}


def tensor_json(array):
    if array is None:
        return None
    array = np.asarray(array)
    if array.dtype == np.int32:
        array = array.astype(np.int64)
    return mf.tensor_json(array)


def attr_json(value):
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        return {"type": "strings", "value": list(value)}
    return mf.attr_json(value)


def run_case(name, op, inputs, attrs, outputs=None, opset=14):
    """`outputs`: which of Y, Y_h, Y_c the node produces (omitted ones get "").

    onnxruntime refuses layout = 1 ("batchwise recurrent operations are not
    supported"), so those cases run the layout-0 node on the transposed X,
    initial_h, initial_c and transpose its outputs back: layout only permutes
    axes, so this is the same reference.
    """
    outputs = outputs or OUTPUTS[op]
    case = run_layout0(name, op, inputs, attrs, outputs, opset) if attrs.get("layout", 0) else None
    if case is not None:
        return case
    input_names, graph_inputs, feeds = [], [], {}
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
    node_outputs = [o if o in outputs else "" for o in OUTPUTS[op]]
    while node_outputs and node_outputs[-1] == "":
        node_outputs.pop()
    node = helper.make_node(op, input_names, node_outputs, **attrs)
    graph_outputs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in node_outputs if o]
    graph = helper.make_graph([node], name, graph_inputs, graph_outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 8
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    produced = [o for o in node_outputs if o]
    results = dict(zip(produced, session.run(produced, feeds)))
    return {
        "name": name,
        "op": op,
        "opset": opset,
        "attributes": {k: attr_json(v) for k, v in attrs.items()},
        "inputs": [tensor_json(a) for a in inputs],
        "outputNames": node_outputs,
        "outputs": [tensor_json(results[o]) if o else None for o in node_outputs],
    }


def run_layout0(name, op, inputs, attrs, outputs, opset):
    swapped = list(inputs)
    for index in [0, 5, 6]:
        if index < len(swapped) and swapped[index] is not None:
            swapped[index] = np.ascontiguousarray(np.swapaxes(swapped[index], 0, 1))
    plain = {k: v for k, v in attrs.items() if k != "layout"}
    case = run_case(name, op, swapped, plain, outputs, opset)
    converted = []
    for out_name, tensor in zip(case["outputNames"], case["outputs"]):
        if tensor is None:
            converted.append(None)
            continue
        array = np.asarray(tensor["data"], dtype=np.float32).reshape(tensor["shape"])
        array = np.transpose(array, (2, 0, 1, 3)) if out_name == "Y" else np.swapaxes(array, 0, 1)
        converted.append(tensor_json(np.ascontiguousarray(array)))
    case["outputs"] = converted
    case["inputs"] = [tensor_json(a) for a in inputs]
    case["attributes"] = {k: attr_json(v) for k, v in attrs.items()}
    return case


def weights(op, directions, hidden, input_size, bias=True, scale=0.6):
    g = GATES[op]
    w = mf.rand(directions, g * hidden, input_size) * scale
    r = mf.rand(directions, g * hidden, hidden) * scale
    b = mf.rand(directions, 2 * g * hidden) * 0.5 if bias else None
    return w, r, b


def states(directions, batch, hidden, layout):
    shape = (directions, batch, hidden) if layout == 0 else (batch, directions, hidden)
    return mf.rand(*shape)


def sequence(steps, batch, input_size, layout, scale=1.5):
    shape = (steps, batch, input_size) if layout == 0 else (batch, steps, input_size)
    return mf.rand(*shape) * scale


def inputs_for(op, x, w, r, b=None, lens=None, h0=None, c0=None, p=None):
    items = [x, w, r, b, lens, h0]
    if op == "LSTM":
        items += [c0, p]
    return items


def recurrent_cases():
    mf.reseed("recurrent")
    c = []
    for op in ["LSTM", "GRU", "RNN"]:
        g = GATES[op]
        lo = op.lower()
        # Minimal: X, W, R only, each direction.
        for direction, d in [("forward", 1), ("reverse", 1), ("bidirectional", 2)]:
            x = sequence(5, 3, 4, 0)
            w, r, _ = weights(op, d, 6, 4, bias=False)
            c.append(run_case(f"{lo}_{direction}_minimal", op, inputs_for(op, x, w, r),
                              {"hidden_size": 6, "direction": direction}, opset=7))
        # Everything given, layout 0 and 1, each direction, with sequence_lens (incl. 0 and full).
        for layout in [0, 1]:
            for direction, d in [("forward", 1), ("reverse", 1), ("bidirectional", 2)]:
                steps, batch, inp, hid = 6, 4, 5, 7
                x = sequence(steps, batch, inp, layout)
                w, r, b = weights(op, d, hid, inp)
                lens = np.array([6, 3, 0, 1], dtype=np.int32)
                h0 = states(d, batch, hid, layout)
                c0 = states(d, batch, hid, layout) if op == "LSTM" else None
                p = mf.rand(d, 3 * hid) * 0.5 if op == "LSTM" else None
                attrs = {"hidden_size": hid, "direction": direction}
                if layout:
                    attrs["layout"] = 1
                c.append(run_case(f"{lo}_{direction}_layout{layout}_all_inputs_seqlens", op,
                                  inputs_for(op, x, w, r, b, lens, h0, c0, p), attrs, opset=14))
        # Full lengths given explicitly, no initial states, opset 22, bias only.
        x = sequence(4, 2, 3, 0)
        w, r, b = weights(op, 2, 5, 3)
        c.append(run_case(f"{lo}_bidirectional_full_lens_opset22", op,
                          inputs_for(op, x, w, r, b, np.array([4, 4], dtype=np.int32)),
                          {"hidden_size": 5, "direction": "bidirectional"}, opset=22))
        # Omitted outputs: only Y_h; only Y (layout 1).
        x = sequence(5, 2, 3, 0)
        w, r, b = weights(op, 1, 4, 3)
        c.append(run_case(f"{lo}_only_y_h", op, inputs_for(op, x, w, r, b), {"hidden_size": 4}, outputs=["Y_h"]))
        x1 = sequence(5, 2, 3, 1)
        c.append(run_case(f"{lo}_only_y_layout1", op, inputs_for(op, x1, w, r, b),
                          {"hidden_size": 4, "layout": 1}, outputs=["Y"]))
        # Clip, with large inputs so it bites.
        for direction, d in [("forward", 1), ("bidirectional", 2)]:
            x = sequence(6, 3, 4, 0, scale=4.0)
            w, r, b = weights(op, d, 5, 4, scale=1.5)
            c.append(run_case(f"{lo}_{direction}_clip", op, inputs_for(op, x, w, r, b),
                              {"hidden_size": 5, "direction": direction, "clip": 0.8}, opset=14))
        # Batch of one, one step.
        x = sequence(1, 1, 3, 0)
        w, r, b = weights(op, 1, 3, 3)
        c.append(run_case(f"{lo}_single_step_batch1", op, inputs_for(op, x, w, r, b), {"hidden_size": 3}))

    # Listed activations with alpha/beta (consumed in order by the functions that take them).
    act_sets = {
        "LSTM": [
            (["HardSigmoid", "Tanh", "Softsign"], [0.3], [0.4]),
            (["Sigmoid", "LeakyRelu", "ScaledTanh", "HardSigmoid", "Elu", "Softplus"], [0.2, 0.9, 0.25, 0.7],
             [1.3, 0.6]),
            (["Affine", "ThresholdedRelu", "Relu", "Sigmoid", "Tanh", "Tanh"], [0.5, 0.1], [0.2]),
            (["Sigmoid", "Elu", "LeakyRelu", "HardSigmoid", "ScaledTanh", "Tanh"], [], []),
        ],
        "GRU": [
            (["HardSigmoid", "Softsign"], [], []),
            (["Sigmoid", "LeakyRelu", "HardSigmoid", "ScaledTanh"], [0.05, 0.3, 0.8], [0.45, 1.2]),
            (["Affine", "Elu", "sigmoid", "softplus"], [0.4, 0.6], [0.5]),
        ],
        "RNN": [
            (["Relu"], [], []),
            (["LeakyRelu", "ThresholdedRelu"], [0.2, 0.3], []),
            (["Affine", "ScaledTanh"], [0.7, 1.4], [0.1, 0.6]),
            (["Elu", "HardSigmoid"], [], []),
            (["Softsign", "Softplus"], [], []),
            (["Sigmoid"], [], []),
        ],
    }
    for op, sets in act_sets.items():
        per_direction = {"LSTM": 3, "GRU": 2, "RNN": 1}[op]
        for index, (names, alphas, betas) in enumerate(sets):
            d = len(names) // per_direction
            direction = "bidirectional" if d == 2 else "forward"
            x = sequence(4, 3, 3, 0)
            w, r, b = weights(op, d, 4, 3)
            attrs = {"hidden_size": 4, "direction": direction, "activations": names}
            if alphas:
                attrs["activation_alpha"] = alphas
            if betas:
                attrs["activation_beta"] = betas
            lens = np.array([4, 2, 3], dtype=np.int32)
            c.append(run_case(f"{op.lower()}_activations_{index}", op, inputs_for(op, x, w, r, b, lens), attrs))

    # LSTM specifics: input_forget, peepholes without bias, reverse + layout 1 + input_forget + clip.
    x = sequence(5, 3, 4, 0)
    w, r, b = weights("LSTM", 1, 6, 4)
    c.append(run_case("lstm_input_forget", "LSTM", inputs_for("LSTM", x, w, r, b),
                      {"hidden_size": 6, "input_forget": 1}))
    p = mf.rand(2, 18)
    w2, r2, _ = weights("LSTM", 2, 6, 4)
    c.append(run_case("lstm_bidirectional_peepholes_no_bias", "LSTM",
                      inputs_for("LSTM", x, w2, r2, None, None, None, None, p),
                      {"hidden_size": 6, "direction": "bidirectional"}))
    x1 = sequence(5, 3, 4, 1, scale=3.0)
    h0 = states(1, 3, 6, 1)
    c0 = states(1, 3, 6, 1)
    c.append(run_case("lstm_reverse_layout1_input_forget_clip_peepholes", "LSTM",
                      inputs_for("LSTM", x1, w, r, b, np.array([2, 5, 4], dtype=np.int32), h0, c0, mf.rand(1, 18)),
                      {"hidden_size": 6, "direction": "reverse", "layout": 1, "input_forget": 1, "clip": 0.9}))
    # GRU specifics: linear_before_reset 0/1 in every direction with everything given.
    for lbr in [0, 1]:
        for direction, d in [("forward", 1), ("reverse", 1), ("bidirectional", 2)]:
            x = sequence(5, 3, 4, 0)
            w, r, b = weights("GRU", d, 6, 4)
            h0 = states(d, 3, 6, 0)
            c.append(run_case(f"gru_{direction}_linear_before_reset{lbr}", "GRU",
                              inputs_for("GRU", x, w, r, b, np.array([5, 1, 3], dtype=np.int32), h0),
                              {"hidden_size": 6, "direction": direction, "linear_before_reset": lbr}))
    x1 = sequence(4, 2, 3, 1, scale=3.0)
    w, r, b = weights("GRU", 2, 5, 3, scale=1.5)
    c.append(run_case("gru_bidirectional_layout1_lbr1_clip", "GRU", inputs_for("GRU", x1, w, r, b),
                      {"hidden_size": 5, "direction": "bidirectional", "layout": 1, "linear_before_reset": 1,
                       "clip": 0.7}))
    # Larger shapes (exercise the GEMM paths): bidirectional LSTM as a CRNN head would use it.
    x = sequence(16, 8, 32, 0)
    w, r, b = weights("LSTM", 2, 24, 32, scale=0.3)
    c.append(run_case("lstm_bidirectional_crnn_sized", "LSTM", inputs_for("LSTM", x, w, r, b),
                      {"hidden_size": 24, "direction": "bidirectional"}, outputs=["Y"]))
    return c


def node_test_cases():
    """The onnx package's backend node tests for the recurrent ops."""
    from onnx.backend.test.case.node import collect_testcases

    prefixes = ("test_lstm", "test_gru", "test_rnn", "test_simple_rnn")
    result = []
    for case in collect_testcases(None):
        if not case.name.startswith(prefixes):
            continue
        model = case.model
        graph = model.graph
        opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)
        for index, (inputs, outputs) in enumerate(case.data_sets):
            if len(graph.node) != 1:
                result.append({"name": f"{case.name}_{index}", "skip": f"{len(graph.node)} nodes"})
                continue
            node = graph.node[0]
            feeds = dict(zip([i.name for i in graph.input], inputs))
            attrs = {}
            for attribute in node.attribute:
                value = helper.get_attribute_value(attribute)
                if isinstance(value, bytes):
                    value = value.decode()
                elif isinstance(value, list) and value and isinstance(value[0], bytes):
                    value = [v.decode() for v in value]
                attrs[attribute.name] = attr_json(value)
            expected = dict(zip([o.name for o in graph.output], outputs))
            result.append({
                "name": f"{case.name}_{index}" if len(case.data_sets) > 1 else case.name,
                "op": node.op_type,
                "opset": opset,
                "attributes": attrs,
                "inputs": [tensor_json(np.asarray(feeds[n], dtype=np.float32)
                                       if np.asarray(feeds[n]).dtype.kind == "f" else np.asarray(feeds[n]))
                           if n else None for n in node.input],
                "outputNames": list(node.output),
                "outputs": [tensor_json(np.asarray(expected[o], dtype=np.float32)) if o in expected else None
                            for o in node.output],
            })
    return result


def write_model():
    """recurrent_model.onnx: a small sequence classifier as exporters write
    one — x [N, T, 6] → Transpose → bidirectional LSTM (B, Y and Y_h used) →
    GRU (linear_before_reset 1, as PyTorch exports) over the LSTM's Y →
    Y_h → Gemm → logits [N, 5] — with its evaluation data (recurrent_model.npz)
    and onnxruntime's logits (recurrent_model.reference.npy)."""
    mf.reseed("recurrent_model")
    steps, features, h1, h2, classes, samples = 7, 6, 8, 5, 5, 12
    inits = {
        "lstm.W": mf.rand(2, 4 * h1, features) * 0.5, "lstm.R": mf.rand(2, 4 * h1, h1) * 0.5,
        "lstm.B": mf.rand(2, 8 * h1) * 0.3,
        "gru.W": mf.rand(1, 3 * h2, 2 * h1) * 0.5, "gru.R": mf.rand(1, 3 * h2, h2) * 0.5,
        "gru.B": mf.rand(1, 6 * h2) * 0.3,
        "fc.weight": mf.rand(classes, h2), "fc.bias": mf.rand(classes) * 0.1,
        "seq_shape": np.array([0, 0, -1], dtype=np.int64), "flat_shape": np.array([0, -1], dtype=np.int64),
    }
    nodes = [
        helper.make_node("Transpose", ["x"], ["x_t"], perm=[1, 0, 2]),
        helper.make_node("LSTM", ["x_t", "lstm.W", "lstm.R", "lstm.B"], ["lstm_y", "lstm_y_h"],
                         name="lstm", hidden_size=h1, direction="bidirectional"),
        # [T, 2, N, H] → [T, N, 2, H] → [T, N, 2H]
        helper.make_node("Transpose", ["lstm_y"], ["lstm_y_t"], perm=[0, 2, 1, 3]),
        helper.make_node("Reshape", ["lstm_y_t", "seq_shape"], ["gru_x"]),
        helper.make_node("GRU", ["gru_x", "gru.W", "gru.R", "gru.B"], ["", "gru_y_h"], name="gru",
                         hidden_size=h2, linear_before_reset=1),
        # [1, N, H] → [N, 1, H] → [N, H]
        helper.make_node("Transpose", ["gru_y_h"], ["gru_h_t"], perm=[1, 0, 2]),
        helper.make_node("Reshape", ["gru_h_t", "flat_shape"], ["features"]),
        helper.make_node("Gemm", ["features", "fc.weight", "fc.bias"], ["logits"], transB=1),
    ]
    graph = helper.make_graph(
        nodes, "recurrent_model",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", steps, features])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", classes])],
        initializer=[numpy_helper.from_array(v, k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    x = mf.rand(samples, steps, features) * 2
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (logits,) = session.run(["logits"], {"x": x})
    onnx.save(model, os.path.join(HERE, "recurrent_model.onnx"))
    np.savez(os.path.join(HERE, "recurrent_model.npz"), x=x, y=np.argmax(logits, axis=1).astype(np.int64))
    np.save(os.path.join(HERE, "recurrent_model.reference.npy"), logits)
    print("recurrent_model.onnx, recurrent_model.npz, recurrent_model.reference.npy")


if __name__ == "__main__":
    mf.write("recurrent.json", recurrent_cases())
    mf.write("recurrent_node_tests.json", node_test_cases())
    write_model()
