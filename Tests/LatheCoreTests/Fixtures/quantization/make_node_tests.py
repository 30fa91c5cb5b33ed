#!/usr/bin/env python3
"""The ONNX project's own backend node tests for the quantization ops, as a
fixture Lathe's Swift tests replay (QuantizationNodeTests).

Collects `onnx.backend.test.case.node.collect_testcases()` whose names start
with test_quantizelinear, test_dequantizelinear, test_dynamicquantizelinear,
test_matmulinteger, test_convinteger, test_qlinearconv or test_qlinearmatmul
(expanded function bodies included) and writes each as its graph's nodes
(op, inputs, outputs, attributes), its opset, the first data set's inputs by
graph input name and the expected outputs by graph output name, with
rtol/atol. Tensors are written at their ONNX type; a type Lathe does not hold
(float8, float4, 2-bit integers) is written as "unsupported:<ONNX name>", and
the Swift test reports such a case as failing for that reason.

Run: .venv/bin/python Tests/LatheCoreTests/Fixtures/quantization/make_node_tests.py
"""
import json
import os
import warnings

import numpy as np
import onnx
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
PREFIXES = ["quantizelinear", "dequantizelinear", "dynamicquantizelinear", "matmulinteger", "convinteger",
            "qlinearconv", "qlinearmatmul"]
LATHE_TYPES = {1: "float32", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64", 9: "bool",
               10: "float16", 11: "float64", 12: "uint32", 13: "uint64", 21: "uint4", 22: "int4"}


def enc_tensor(value, code):
    if isinstance(value, onnx.TensorProto):
        code = value.data_type
        value = numpy_helper.to_array(value)
    name = LATHE_TYPES.get(code)
    a = np.asarray(value)
    if name is None:
        return {"dtype": "unsupported:" + onnx.TensorProto.DataType.Name(code), "shape": list(a.shape), "data": []}
    if name.startswith("float"):
        data = [float(v) for v in a.astype(np.float64).ravel()]
    else:
        data = [int(v) for v in a.astype(np.int64).ravel()]
    return {"dtype": name, "shape": list(a.shape), "data": data}


def enc_attr(attribute):
    value = helper.get_attribute_value(attribute)
    kind = attribute.type
    if kind == onnx.AttributeProto.INT:
        return {"type": "int", "value": int(value)}
    if kind == onnx.AttributeProto.FLOAT:
        return {"type": "float", "value": float(value)}
    if kind == onnx.AttributeProto.STRING:
        return {"type": "string", "value": value.decode()}
    if kind == onnx.AttributeProto.INTS:
        return {"type": "ints", "value": [int(v) for v in value]}
    if kind == onnx.AttributeProto.FLOATS:
        return {"type": "floats", "value": [float(v) for v in value]}
    if kind == onnx.AttributeProto.TENSOR:
        return {"type": "tensor", "value": enc_tensor(value, value.data_type)}
    raise TypeError(f"attribute {attribute.name} of type {kind}")


def element_type(value_info):
    return value_info.type.tensor_type.elem_type


def main():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from onnx.backend.test.case.node import collect_testcases
        collected = collect_testcases(None)
    cases = []
    for test in collected:
        if not any(test.name.startswith(f"test_{p}") for p in PREFIXES):
            continue
        graph = test.model.graph
        opset = next(o.version for o in test.model.opset_import if o.domain in ("", "ai.onnx"))
        inputs, outputs = test.data_sets[0]
        cases.append({
            "name": test.name,
            "opset": opset,
            "rtol": float(test.rtol),
            "atol": float(test.atol),
            "nodes": [{"op": n.op_type, "inputs": list(n.input), "outputs": list(n.output),
                       "attributes": {a.name: enc_attr(a) for a in n.attribute}} for n in graph.node],
            "initializers": {i.name: enc_tensor(i, i.data_type) for i in graph.initializer},
            "inputs": {vi.name: enc_tensor(x, element_type(vi)) for vi, x in zip(graph.input, inputs)},
            "expected": {vi.name: enc_tensor(y, element_type(vi)) for vi, y in zip(graph.output, outputs)},
        })
    path = os.path.join(HERE, "onnx_node_tests.json")
    with open(path, "w") as f:
        json.dump({"generator": "make_node_tests.py", "onnx": onnx.__version__, "cases": cases}, f)
        f.write("\n")
    print(f"{len(cases)} node tests -> {path}")


if __name__ == "__main__":
    main()
