#!/usr/bin/env python3
"""onnxruntime references for If, Loop and Scan → control_flow.json.

Each case is a small whole model (the control-flow node and what feeds it),
stored as base64 ONNX bytes with its inputs and onnxruntime's outputs:
ControlFlowKernelTests reads the model with Lathe's reader, makes the
subgraphs' outer-scope reads explicit as the loader does, runs it with the op
table and compares (1e-4 relative; integers and booleans exactly). The cases
cover what exporters emit: branches and bodies reading values of the
enclosing scopes (two levels deep), constant branch outputs, for / while /
for-with-break loops, loops that run zero times, scan outputs, Scan with
reversed directions and other axes, Scan-8 with its batch axis, nesting
(If in Scan, Scan in Loop) and a greedy decoding loop.

Run from the repository root: .venv/bin/python Tests/LatheCoreTests/Fixtures/kernels/make_control_flow_fixtures.py
"""

import base64
import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto as TP
from onnx import helper as h
from onnx import numpy_helper

OUT = Path(__file__).resolve().parent / "control_flow.json"
rng = np.random.default_rng(20261201)
F, I64, B = TP.FLOAT, TP.INT64, TP.BOOL


def vi(name, elem=F, shape=None):
    return h.make_tensor_value_info(name, elem, shape)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


def model(nodes, inputs, outputs, initializers=(), opset=17):
    graph = h.make_graph(nodes, "case", inputs, outputs, list(initializers))
    m = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 8

    return m


def tensor_json(a):
    a = np.asarray(a)
    dtype = {np.dtype(np.float32): "float32", np.dtype(np.int64): "int64", np.dtype(np.bool_): "bool"}[a.dtype]
    return {"shape": list(a.shape), "dtype": dtype, "data": a.astype(np.float64).ravel().tolist()}


def ops_of(graph, found):
    for node in graph.node:
        found.add(node.op_type)
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                ops_of(attr.g, found)
    return found


cases = []


def case(name, m, feeds, focus):
    session = ort.InferenceSession(m.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in m.graph.output]
    outs = session.run(names, feeds)
    cases.append({"name": name, "op": focus, "opset": m.opset_import[0].version,
                  "ops": sorted(ops_of(m.graph, set())),
                  "model": base64.b64encode(m.SerializeToString()).decode(),
                  "inputs": [tensor_json(feeds[i.name]) for i in m.graph.input],
                  "outputNames": names, "outputs": [tensor_json(o) for o in outs]})


def randn(*shape):
    return rng.standard_normal(shape).astype(np.float32)


# ---------------------------------------------------------------- If
def if_outer_scope():
    """Branches read `t`, computed in the main graph at run time, and the graph input `x`."""
    then_g = h.make_graph([h.make_node("Mul", ["t", "two"], ["then_out"])], "then", [], [vi("then_out")],
                          [const("two", np.float32(2))])
    else_g = h.make_graph([h.make_node("Sub", ["t", "x"], ["else_out"])], "else", [], [vi("else_out")])
    m = model([h.make_node("Add", ["x", "y"], ["t"]),
               h.make_node("If", ["c"], ["z"], then_branch=then_g, else_branch=else_g)],
              [vi("x", F, [2, 3]), vi("y", F, [2, 3]), vi("c", B, [])], [vi("z")])
    for flag in (True, False):
        case(f"if_outer_scope_{str(flag).lower()}", m,
             {"x": randn(2, 3), "y": randn(2, 3), "c": np.array(flag)}, "If")


def if_condition_from_data():
    """The condition computed from the data (ReduceMean > 0); branches of different output shapes,
    one returning a copy of an outer value (onnxruntime refuses returning it directly), one a constant."""
    then_g = h.make_graph([h.make_node("Relu", ["x"], ["r"]), h.make_node("Identity", ["x"], ["xc"])], "then", [],
                          [vi("r"), vi("xc")])
    else_g = h.make_graph([h.make_node("Sigmoid", ["x"], ["n"])], "else", [], [vi("n"), vi("k")],
                          [const("k", np.arange(4, dtype=np.float32))])
    m = model([h.make_node("ReduceMean", ["x"], ["mean"], keepdims=0),
               h.make_node("Greater", ["mean", "zero"], ["c"]),
               h.make_node("If", ["c"], ["a", "b"], then_branch=then_g, else_branch=else_g)],
              [vi("x", F, [3, 2])], [vi("a"), vi("b")], [const("zero", np.float32(0))])
    x = randn(3, 2)
    case("if_data_condition_then", m, {"x": np.abs(x)}, "If")
    case("if_data_condition_else", m, {"x": -np.abs(x)}, "If")


def if_nested():
    """An If inside an If branch; the inner branches read the outer graph's input two levels up."""
    inner_then = h.make_graph([h.make_node("Add", ["x", "x"], ["it"])], "it", [], [vi("it")])
    inner_else = h.make_graph([h.make_node("Exp", ["x"], ["ie"])], "ie", [], [vi("ie")])
    outer_then = h.make_graph([h.make_node("If", ["c2"], ["inner"], then_branch=inner_then, else_branch=inner_else),
                               h.make_node("Mul", ["inner", "x"], ["ot"])], "ot", [], [vi("ot")])
    outer_else = h.make_graph([h.make_node("Sigmoid", ["x"], ["oe"])], "oe", [], [vi("oe")])
    m = model([h.make_node("If", ["c1"], ["z"], then_branch=outer_then, else_branch=outer_else)],
              [vi("x", F, [4]), vi("c1", B, []), vi("c2", B, [])], [vi("z")])
    for c1, c2 in ((True, True), (True, False), (False, True)):
        case(f"if_nested_{int(c1)}{int(c2)}", m, {"x": randn(4), "c1": np.array(c1), "c2": np.array(c2)}, "If")


# ---------------------------------------------------------------- Loop
def loop_body(extra_nodes, outputs, inputs=None, initializers=()):
    return h.make_graph(extra_nodes, "body", inputs, outputs, list(initializers))


def loop_for():
    """for i in range(M): acc = acc * w + i (w from the outer scope); scan outputs acc and i."""
    body = loop_body([h.make_node("Cast", ["i"], ["fi"], to=F),
                      h.make_node("Mul", ["acc_in", "w"], ["scaled"]),
                      h.make_node("Add", ["scaled", "fi"], ["acc_out"]),
                      h.make_node("Identity", ["cond_in"], ["cond_out"]),
                      h.make_node("Identity", ["i"], ["i_copy"])],
                     [vi("cond_out", B, []), vi("acc_out", F, [3]), vi("acc_out_scan", F, [3]), vi("i_copy", I64, [])],
                     [vi("i", I64, []), vi("cond_in", B, []), vi("acc_in", F, [3])])
    # A scan output must be its own value: copy acc_out.
    body.node.append(h.make_node("Identity", ["acc_out"], ["acc_out_scan"]))
    m = model([h.make_node("Loop", ["M", "", "acc0"], ["acc", "accs", "iters"], body=body)],
              [vi("acc0", F, [3]), vi("w", F, [3]), vi("M", I64, [])], [vi("acc"), vi("accs"), vi("iters", I64)])
    case("loop_for_outer_weight", m, {"acc0": randn(3), "w": randn(3), "M": np.array(4, np.int64)}, "Loop")
    case("loop_for_zero_trips", m, {"acc0": randn(3), "w": randn(3), "M": np.array(0, np.int64)}, "Loop")


def loop_while():
    """while sum(v) < limit: v = v * 2 (no trip count), and with a trip count that stops first."""
    body = loop_body([h.make_node("Mul", ["v_in", "two"], ["v_out"]),
                      h.make_node("ReduceSum", ["v_out"], ["s"], keepdims=0),
                      h.make_node("Less", ["s", "limit"], ["cond_out"])],
                     [vi("cond_out", B, []), vi("v_out", F, [2])],
                     [vi("i", I64, []), vi("cond_in", B, []), vi("v_in", F, [2])],
                     [const("two", np.float32(2))])
    m = model([h.make_node("Loop", ["", "c0", "v0"], ["v"], body=body)],
              [vi("v0", F, [2]), vi("c0", B, []), vi("limit", F, [])], [vi("v")])
    case("loop_while", m, {"v0": np.array([0.5, 0.25], np.float32), "c0": np.array(True),
                           "limit": np.array(100, np.float32)}, "Loop")
    case("loop_while_initially_false", m, {"v0": np.array([0.5, 0.25], np.float32), "c0": np.array(False),
                                            "limit": np.array(100, np.float32)}, "Loop")
    m2 = model([h.make_node("Loop", ["M", "c0", "v0"], ["v"], body=body)],
               [vi("v0", F, [2]), vi("c0", B, []), vi("limit", F, []), vi("M", I64, [])], [vi("v")])
    case("loop_trip_count_and_condition", m2, {"v0": np.array([0.5, 0.25], np.float32), "c0": np.array(True),
                                                "limit": np.array(100, np.float32), "M": np.array(3, np.int64)}, "Loop")


def loop_residual_block():
    """The if_branch sample's Loop: h = h + Relu(h @ W + b) twice, W and b from the outer scope."""
    body = loop_body([h.make_node("MatMul", ["h_in", "W"], ["mm"]), h.make_node("Add", ["mm", "b"], ["pre"]),
                      h.make_node("Relu", ["pre"], ["act"]), h.make_node("Add", ["h_in", "act"], ["h_out"]),
                      h.make_node("Identity", ["cond_in"], ["cond_out"])],
                     [vi("cond_out", B, []), vi("h_out", F, None)],
                     [vi("i", I64, []), vi("cond_in", B, []), vi("h_in", F, None)])
    m = model([h.make_node("Loop", ["n", "yes", "x"], ["y"], body=body)], [vi("x", F, [3, 5])], [vi("y")],
              [const("W", randn(5, 5) * 0.5), const("b", randn(5)), const("n", np.int64(2)), const("yes", np.bool_(True))])
    case("loop_residual_block", m, {"x": randn(3, 5)}, "Loop")


def greedy_decoding():
    """Greedy decoding as exporters emit it: Loop with trip count and condition; each step embeds the
    last token, updates the state, picks the argmax and stops at the end token; scan output = tokens."""
    vocab, hidden, eos = 6, 4, 2
    body = loop_body([
        h.make_node("Gather", ["E", "tok_in"], ["emb"], axis=0),
        h.make_node("MatMul", ["state_in", "U"], ["su"]),
        h.make_node("Add", ["su", "emb"], ["pre"]),
        h.make_node("Tanh", ["pre"], ["state_out"]),
        h.make_node("MatMul", ["state_out", "V"], ["logits"]),
        h.make_node("ArgMax", ["logits"], ["tok_out"], axis=0, keepdims=0),
        h.make_node("Equal", ["tok_out", "eos"], ["done"]),
        h.make_node("Not", ["done"], ["cond_out"]),
        h.make_node("Identity", ["tok_out"], ["tok_scan"])],
        [vi("cond_out", B, []), vi("state_out", F, [hidden]), vi("tok_out", I64, []), vi("tok_scan", I64, [])],
        [vi("i", I64, []), vi("cond_in", B, []), vi("state_in", F, [hidden]), vi("tok_in", I64, [])],
        [const("eos", np.int64(eos))])
    m = model([h.make_node("Loop", ["max_len", "go", "s0", "start"], ["s", "last", "tokens"], body=body)],
              [vi("s0", F, [hidden])], [vi("s"), vi("last", I64), vi("tokens", I64)],
              [const("E", randn(vocab, hidden)), const("U", randn(hidden, hidden)), const("V", randn(hidden, vocab)),
               const("max_len", np.int64(12)), const("go", np.bool_(True)), const("start", np.int64(3))])
    for seed in range(4):
        case(f"greedy_decoding_{seed}", m, {"s0": randn(hidden)}, "Loop")


# ---------------------------------------------------------------- Scan
def scan_cumulative(opset):
    """Running sum (state) and running sum as a scan output, the onnx scan9_sum form."""
    body = h.make_graph([h.make_node("Add", ["sum_in", "next"], ["sum_out"]),
                         h.make_node("Identity", ["sum_out"], ["scan_out"])], "body",
                        [vi("sum_in", F, [2]), vi("next", F, [2])], [vi("sum_out", F, [2]), vi("scan_out", F, [2])])
    m = model([h.make_node("Scan", ["init", "xs"], ["final", "partials"], body=body, num_scan_inputs=1)],
              [vi("init", F, [2]), vi("xs", F, [5, 2])], [vi("final"), vi("partials")], opset=opset)
    case(f"scan{opset}_cumulative", m, {"init": randn(2), "xs": randn(5, 2)}, "Scan")


def scan_directions_and_axes():
    """Two scan inputs (one reversed, one along axis 1), two scan outputs (one reversed, one stacked
    along axis 1), a state, and a weight from the outer scope."""
    body = h.make_graph([h.make_node("Mul", ["a", "w"], ["aw"]), h.make_node("Add", ["aw", "b"], ["ab"]),
                         h.make_node("Add", ["s_in", "ab"], ["s_out"]),
                         h.make_node("Tanh", ["ab"], ["o1"]), h.make_node("Sub", ["s_out", "a"], ["o2"])], "body",
                        [vi("s_in", F, [3]), vi("a", F, [3]), vi("b", F, [3])],
                        [vi("s_out", F, [3]), vi("o1", F, [3]), vi("o2", F, [3])])
    m = model([h.make_node("Scan", ["s0", "A", "Bt"], ["s", "O1", "O2"], body=body, num_scan_inputs=2,
                           scan_input_directions=[1, 0], scan_input_axes=[0, 1],
                           scan_output_directions=[1, 0], scan_output_axes=[0, -1])],
              [vi("s0", F, [3]), vi("A", F, [4, 3]), vi("Bt", F, [3, 4]), vi("w", F, [3])],
              [vi("s"), vi("O1"), vi("O2")])
    case("scan_directions_axes_outer_weight", m,
         {"s0": randn(3), "A": randn(4, 3), "Bt": randn(3, 4), "w": randn(3)}, "Scan")


def scan_if_per_row():
    """The if_branch sample's Scan: per row, an If on the row's mean picks a head; the branches read the
    row (the body's scope) and the weights (the main graph's): two levels of outer scope."""
    heavy = h.make_graph([h.make_node("MatMul", ["row", "Wh"], ["hl"]), h.make_node("Add", ["hl", "bh"], ["ho"])],
                         "heavy", [], [vi("ho"), vi("one", I64)], [const("one", np.int64(1))])
    light = h.make_graph([h.make_node("MatMul", ["row", "Wl"], ["ll"])], "light", [], [vi("ll"), vi("zero", I64)],
                         [const("zero", np.int64(0))])
    body = h.make_graph([h.make_node("ReduceMean", ["row"], ["m"], keepdims=0),
                         h.make_node("Greater", ["m", "threshold"], ["c"]),
                         h.make_node("If", ["c"], ["out", "route"], then_branch=heavy, else_branch=light)], "body",
                        [vi("row", F, [4])], [vi("out"), vi("route", I64)])
    m = model([h.make_node("Scan", ["x"], ["ys", "routes"], body=body, num_scan_inputs=1)],
              [vi("x", F, [6, 4])], [vi("ys"), vi("routes", I64)],
              [const("Wh", randn(4, 3)), const("bh", randn(3)), const("Wl", randn(4, 3)),
               const("threshold", np.float32(0))])
    case("scan_if_per_row", m, {"x": randn(6, 4)}, "Scan")


def scan_in_loop():
    """A Scan (cumulative product) inside a Loop body, reading a value the Loop body computes."""
    scan_body = h.make_graph([h.make_node("Mul", ["p_in", "e"], ["p_out"]), h.make_node("Add", ["p_out", "total"], ["o"])],
                             "sb", [vi("p_in", F, []), vi("e", F, [])], [vi("p_out", F, []), vi("o", F, [])])
    body = loop_body([h.make_node("ReduceSum", ["v_in"], ["total"], keepdims=0),
                      h.make_node("Scan", ["one", "v_in"], ["p", "os"], body=scan_body, num_scan_inputs=1),
                      h.make_node("Mul", ["os", "half"], ["v_out"]),
                      h.make_node("Identity", ["cond_in"], ["cond_out"]),
                      h.make_node("Identity", ["p"], ["p_scan"])],
                     [vi("cond_out", B, []), vi("v_out", F, [3]), vi("p_scan", F, [])],
                     [vi("i", I64, []), vi("cond_in", B, []), vi("v_in", F, [3])],
                     [const("one", np.float32(1)), const("half", np.float32(0.5))])
    m = model([h.make_node("Loop", ["n", "", "v0"], ["v", "ps"], body=body)], [vi("v0", F, [3])],
              [vi("v"), vi("ps")], [const("n", np.int64(3))])
    case("scan_in_loop", m, {"v0": randn(3)}, "Loop")


def scan8_batched():
    """Scan-8: batch axis first; the state and scan inputs are cut per batch entry."""
    body = h.make_graph([h.make_node("Add", ["s_in", "x"], ["s_out"]), h.make_node("Mul", ["s_out", "x"], ["y"])],
                        "body", [vi("s_in", F, [2]), vi("x", F, [2])], [vi("s_out", F, [2]), vi("y", F, [2])])
    m = model([h.make_node("Scan", ["", "s0", "xs"], ["s", "ys"], body=body, num_scan_inputs=1, directions=[1])],
              [vi("s0", F, [3, 2]), vi("xs", F, [3, 4, 2])], [vi("s"), vi("ys")], opset=8)
    case("scan8_batched_reverse", m, {"s0": randn(3, 2), "xs": randn(3, 4, 2)}, "Scan")


def onnx_backend_cases():
    """The ONNX project's own node tests of If, Loop and Scan on tensors (those on sequences and optionals
    need types Lathe does not have): `lathe eval` cannot run them as they are (their inputs are scalars or
    their outputs have no batch axis), so they are checked here, whole, against their expected outputs,
    which onnxruntime must reproduce too."""
    from onnx.backend.test.case.node import collect_testcases
    wanted = {"test_if", "test_loop11", "test_scan_sum", "test_scan9_sum", "test_scan9_multi_state",
              "test_scan9_scalar", "test_range_float_type_positive_delta_expanded"}
    for c in collect_testcases(None):
        if c.kind != "node" or c.name not in wanted:
            continue
        inputs, expected = c.data_sets[0]
        feeds = {i.name: np.asarray(v) for i, v in zip(c.model.graph.input, inputs)}
        names = [o.name for o in c.model.graph.output]
        ours = ort.InferenceSession(c.model.SerializeToString(), providers=["CPUExecutionProvider"]).run(names, feeds)
        for got, want in zip(ours, expected):
            np.testing.assert_allclose(got, np.asarray(want), rtol=1e-5, atol=1e-6)
        op = next(o for o in ("If", "Loop", "Scan") if o in ops_of(c.model.graph, set()))
        cases.append({"name": "onnx_" + c.name, "op": op, "opset": c.model.opset_import[0].version,
                      "ops": sorted(ops_of(c.model.graph, set())),
                      "model": base64.b64encode(c.model.SerializeToString()).decode(),
                      "inputs": [tensor_json(feeds[i.name]) for i in c.model.graph.input],
                      "outputNames": names, "outputs": [tensor_json(np.asarray(e)) for e in expected]})


for make in (onnx_backend_cases, if_outer_scope, if_condition_from_data, if_nested, loop_for, loop_while, loop_residual_block,
             greedy_decoding, lambda: scan_cumulative(9), lambda: scan_cumulative(17), scan_directions_and_axes,
             scan_if_per_row, scan_in_loop, scan8_batched):
    make()

OUT.write_text(json.dumps({"cases": cases}, separators=(",", ":")) + "\n")
print(f"{len(cases)} cases → {OUT}")
