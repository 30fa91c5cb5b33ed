import Foundation
import XCTest
@testable import LatheCore

final class ONNXReaderTests: XCTestCase {
    private func expectedArrays(_ file: String) throws -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: try NPZFormat.read(path: FormatsFixtures.path(file)).map { ($0.name, $0.tensor) })
    }

    /// Every dtype from typed fields and from raw_data decodes to exactly what onnx.numpy_helper decodes.
    func testTypedFieldsAndRawDataOfEveryDType() throws {
        let model = try ONNXReader.read(path: FormatsFixtures.path("onnx/typed_fields.onnx"))
        let expected = try expectedArrays("onnx/typed_fields_expected.npz")
        let dtypes: [String: DType] = [
            "f32": .float32, "f16": .float16, "bf16": .bfloat16, "f64": .float64, "i8": .int8, "u8": .uint8,
            "i16": .int16, "u16": .uint16, "i32": .int32, "i64": .int64, "u32": .uint32, "u64": .uint64,
            "bool": .bool, "scalar": .float32, "empty": .float32,
        ]
        XCTAssertEqual(Set(model.graph.initializers.keys), Set(expected.keys))
        XCTAssertEqual(expected.count, 28)
        for (name, reference) in expected {
            let tensor = try XCTUnwrap(model.graph.initializers[name], name)
            let prefix = String(name.split(separator: "_")[0])
            XCTAssertEqual(tensor.dtype, dtypes[prefix], name)
            XCTAssertEqual(tensor.shape, reference.shape, name)
            XCTAssertEqual(tensor.ints, reference.ints, name)
            assertSameFloats(tensor.floats, reference.floats, name)
        }
        // Both encodings of the same values agree.
        for prefix in ["f32", "f16", "bf16", "f64", "i8", "u8", "i16", "u16", "i32", "i64", "u32", "u64", "bool"] {
            XCTAssertEqual(model.graph.initializers["\(prefix)_typed"], model.graph.initializers["\(prefix)_raw"], prefix)
        }
        // Hand-checked float16 specials: 2^-24 (smallest subnormal), 3·2^-24, and a value rounded on storing.
        let f16 = try XCTUnwrap(model.graph.initializers["f16_raw"]).floats
        XCTAssertEqual(f16[7], 0x1p-24)
        XCTAssertEqual(f16[8], 3 * 0x1p-24)
        XCTAssertEqual(f16[11], 0.333251953125)
        XCTAssertEqual(f16[12], 1024) // 1024.5 is not a float16: numpy stored the even neighbour
        XCTAssertEqual(model.graph.initializers["scalar_typed"], Tensor.scalar(4.5))
        XCTAssertEqual(model.graph.initializers["empty_typed"]?.shape, [0, 3])
        XCTAssertTrue(model.graph.inputs.isEmpty)
        XCTAssertEqual(model.graph.nodes.count, 28)
    }

    func testConstantNodesBecomeInitializers() throws {
        let model = try ONNXReader.read(path: FormatsFixtures.path("onnx/constants.onnx"))
        let expected = try expectedArrays("onnx/constants_expected.npz")
        XCTAssertFalse(model.graph.nodes.contains { $0.opType == "Constant" })
        XCTAssertEqual(model.graph.nodes.map(\.opType), ["MatMul", "Add", "Mul", "Reshape", "Cast", "Mul"])
        XCTAssertEqual(Set(model.graph.initializers.keys), ["W", "B", "S", "shape", "k"])
        XCTAssertEqual(model.graph.initializers["W"], expected["W"])                      // value (tensor)
        XCTAssertEqual(model.graph.initializers["B"], Tensor(shape: [3], floats: [0.5, -1, 2])) // value_floats
        XCTAssertEqual(model.graph.initializers["S"], Tensor.scalar(0.25))                 // value_float
        XCTAssertEqual(model.graph.initializers["shape"], Tensor(shape: [2], ints: [3, 1])) // value_ints
        XCTAssertEqual(model.graph.initializers["k"], Tensor.scalar(int: 2))               // value_int
        XCTAssertEqual(expected["k"], Tensor.scalar(int: 2))
        XCTAssertEqual(model.graph.inputs.map(\.name), ["x"])
        XCTAssertEqual(model.graph.nodes[4].int("to"), 1)
    }

    func testCNNStructureAndAttributes() throws {
        let path = FormatsFixtures.path("onnx/cnn.onnx")
        let model = try ONNXReader.read(path: path)
        XCTAssertEqual(model.path, path)
        XCTAssertEqual(model.opset, 13)
        XCTAssertEqual(model.opsetImports, ["": 13])
        XCTAssertEqual(model.irVersion, 8)
        XCTAssertEqual(model.graph.nodes.map(\.name), ["conv", "bn", "relu", "pool", "flatten", "fc", "softmax"])
        XCTAssertEqual(model.graph.inputs, [ValueInfo(name: "x", dtype: .float32,
                                                      dims: [.symbolic("N"), .fixed(1), .fixed(8), .fixed(8)])])
        XCTAssertEqual(model.graph.outputs.map(\.name), ["probs", "logits"])
        XCTAssertEqual(model.graph.outputs[0].dims, [.symbolic("N"), .fixed(10)])
        let conv = model.graph.nodes[0]
        XCTAssertEqual(conv.inputs, ["x", "conv.weight", "conv.bias"])
        XCTAssertEqual(conv.ints("pads"), [1, 1, 1, 1])
        XCTAssertEqual(conv.ints("kernel_shape"), [3, 3])
        XCTAssertEqual(model.graph.nodes[1].attributes["epsilon"], .float(1e-5))
        XCTAssertEqual(model.graph.nodes[5].int("transB"), 1)
        XCTAssertEqual(model.graph.nodes[6].int("axis"), -1)
        XCTAssertEqual(model.graph.initializers["conv.weight"]?.shape, [4, 1, 3, 3])
        XCTAssertEqual(model.graph.initializers["flatten.shape"], Tensor(shape: [2], ints: [-1, 64]))
    }

    func testExternalData() throws {
        let model = try ONNXReader.read(path: FormatsFixtures.path("onnx/external/model.onnx"))
        let expected = try expectedArrays("onnx/external/expected.npz")
        XCTAssertEqual(model.graph.initializers["w"], expected["w"])
        XCTAssertEqual(model.graph.initializers["b"]?.dtype, .float16)
        XCTAssertEqual(model.graph.initializers["b"], expected["b"])
    }

    func testExternalDataProblems() throws {
        let folder = try TemporaryFolder()
        let modelBytes = try Data(contentsOf: URL(fileURLWithPath: FormatsFixtures.path("onnx/external/model.onnx")))
        let weights = try Data(contentsOf: URL(fileURLWithPath: FormatsFixtures.path("onnx/external/weights.bin")))

        let alone = try folder.write(modelBytes, to: "model.onnx")
        assertBadInput(try ONNXReader.read(path: alone), file: alone, mentions: "external data file 'weights.bin'")
        assertBadInput(try ONNXReader.read(path: alone), file: alone, mentions: "not found")

        try folder.write(weights.prefix(weights.count - 3), to: "weights.bin")
        assertBadInput(try ONNXReader.read(path: alone), file: alone, mentions: "is too short")

        var proto = try ONNXReader.parse(modelBytes, path: alone)
        proto.graph.initializer[0].externalData = [entry("location", "../weights.bin")]
        let escaping = try folder.write(try proto.serializedBytes(), to: "escaping.onnx")
        assertBadInput(try ONNXReader.read(path: escaping), file: escaping, mentions: "outside the model's folder")

        proto.graph.initializer[0].externalData = [entry("location", "/etc/passwd")]
        let absolute = try folder.write(try proto.serializedBytes(), to: "absolute.onnx")
        assertBadInput(try ONNXReader.read(path: absolute), file: absolute, mentions: "outside the model's folder")

        try folder.write(weights, to: "weights.bin")
        proto.graph.initializer[0].externalData = [entry("location", "weights.bin"), entry("length", "5")]
        let wrongLength = try folder.write(try proto.serializedBytes(), to: "length.onnx")
        assertBadInput(try ONNXReader.read(path: wrongLength), file: wrongLength, mentions: "declares 5 bytes")
    }

    func testInitializersListedAsInputsAreNotInputs() throws {
        let model = try ONNXReader.read(path: FormatsFixtures.path("onnx/initializer_inputs.onnx"))
        XCTAssertEqual(model.graph.inputs.map(\.name), ["x"])
        XCTAssertEqual(model.graph.initializers["w"], Tensor(shape: [2, 2], floats: [1, 2, 3, 4]))
        // The sparse initializer (values 5, -6 at flat indices 1 and 2) is made dense.
        XCTAssertEqual(model.graph.initializers["s"], Tensor(shape: [2, 2], floats: [0, 5, -6, 0]))
    }

    func testSubgraphAttributesReadAndNodesSorted() throws {
        let model = try ONNXReader.read(path: FormatsFixtures.path("onnx/control_flow.onnx"))
        XCTAssertEqual(model.graph.nodes.map(\.name), ["sum", "compare", "branch", "last"])
        let branch = model.graph.nodes[2]
        XCTAssertEqual(branch.opType, "If")
        XCTAssertEqual(branch.graph("then_branch")?.nodes.map(\.opType), ["Neg"])
        XCTAssertEqual(branch.graph("else_branch")?.nodes.map(\.opType), ["Abs"])
        XCTAssertEqual(branch.graph("else_branch")?.outputs.map(\.name), ["e"])
        // Both branches read the graph input x from the enclosing scope.
        XCTAssertEqual(branch.implicitInputs, ["x"])
        XCTAssertEqual(model.graph.nodes[0].int("keepdims"), 0)
    }

    func testScikitLearnModelWithSequenceOfMapsOutput() throws {
        let model = try ONNXReader.read(path: FormatsFixtures.path("onnx/sklearn_logreg.onnx"))
        XCTAssertEqual(model.opset, 13)
        XCTAssertEqual(model.opsetImports["ai.onnx.ml"], 1)
        XCTAssertEqual(model.producerName, "skl2onnx")
        XCTAssertEqual(model.graph.outputs.map(\.name), ["output_label", "output_probability"])
        XCTAssertEqual(model.graph.outputs[0].dtype, .int64)
        XCTAssertNil(model.graph.outputs[1].dtype, "a sequence of maps is not a tensor")
        let linear = try XCTUnwrap(model.graph.nodes.first { $0.opType == "LinearClassifier" })
        XCTAssertEqual(linear.domain, "ai.onnx.ml")
        XCTAssertEqual(linear.ints("classlabels_ints"), [0, 1])
        XCTAssertEqual(linear.floats("coefficients")?.count, 6)
        XCTAssertEqual(model.graph.nodes.first { $0.opType == "ZipMap" }?.ints("classlabels_int64s"), [0, 1])
    }

    func testAttributeKindsAndLegacyUntypedAttributes() throws {
        var node = Onnx_NodeProto()
        node.opType = "Custom"
        node.output = ["y"]
        var untypedFloat = Onnx_AttributeProto()
        untypedFloat.name = "alpha"
        untypedFloat.f = 0.5 // IR < 3 files have no type field
        var strings = Onnx_AttributeProto()
        strings.name = "modes"
        strings.type = .strings
        strings.strings = [Data("a".utf8), Data("bc".utf8)]
        var text = Onnx_AttributeProto()
        text.name = "mode"
        text.type = .string
        text.s = Data("linear".utf8)
        var tensor = Onnx_AttributeProto()
        tensor.name = "t"
        tensor.type = .tensor
        tensor.t = try ONNXModelEncoder.encodeTensor(Tensor(shape: [2], floats: [1, 2], dtype: .float16), name: "")
        var stringTensor = Onnx_AttributeProto()
        stringTensor.name = "labels"
        stringTensor.type = .tensor
        stringTensor.t.dataType = 8
        stringTensor.t.stringData = [Data("cat".utf8)]
        stringTensor.t.dims = [1]
        var emptyInts = Onnx_AttributeProto()
        emptyInts.name = "axes"
        emptyInts.type = .ints
        node.attribute = [untypedFloat, strings, text, tensor, stringTensor, emptyInts]
        let model = try read(graph: graph(nodes: [node], outputs: ["y"]))
        let attributes = model.graph.nodes[0].attributes
        XCTAssertEqual(attributes["alpha"], .float(0.5))
        XCTAssertEqual(attributes["modes"], .strings(["a", "bc"]))
        XCTAssertEqual(attributes["mode"], .string("linear"))
        XCTAssertEqual(attributes["t"], .tensor(Tensor(shape: [2], floats: [1, 2], dtype: .float16)))
        XCTAssertNil(attributes["labels"], "string tensors are dropped")
        XCTAssertEqual(attributes["axes"], .ints([]))
    }

    func testOpsetDefaults() throws {
        var proto = Onnx_ModelProto()
        proto.graph = graph(nodes: [node("Relu", ["x"], ["y"])], outputs: ["y"])
        var ml = Onnx_OperatorSetIdProto()
        ml.domain = "ai.onnx.ml"
        ml.version = 2
        var onnxDomain = Onnx_OperatorSetIdProto()
        onnxDomain.domain = "ai.onnx"
        onnxDomain.version = 17
        proto.opsetImport = [ml, onnxDomain]
        let folder = try TemporaryFolder()
        let path = try folder.write(try proto.serializedBytes(), to: "m.onnx")
        let model = try ONNXReader.read(path: path)
        XCTAssertEqual(model.opset, 17)
        XCTAssertEqual(model.opsetImports, ["": 17, "ai.onnx.ml": 2])

        proto.opsetImport = []
        try folder.write(try proto.serializedBytes(), to: "m.onnx")
        XCTAssertEqual(try ONNXReader.read(path: path).opset, 1, "files without opset imports use opset 1")
    }

    // MARK: - helpers shared with the malformed-file tests

    private func read(graph: Onnx_GraphProto) throws -> Model {
        var proto = Onnx_ModelProto()
        proto.irVersion = 8
        proto.graph = graph
        let folder = try TemporaryFolder()
        return try ONNXReader.read(path: try folder.write(try proto.serializedBytes(), to: "model.onnx"))
    }
}

func entry(_ key: String, _ value: String) -> Onnx_StringStringEntryProto {
    var entry = Onnx_StringStringEntryProto()
    entry.key = key
    entry.value = value
    return entry
}

func node(_ op: String, _ inputs: [String], _ outputs: [String], name: String = "") -> Onnx_NodeProto {
    var node = Onnx_NodeProto()
    node.opType = op
    node.input = inputs
    node.output = outputs
    node.name = name
    return node
}

func graph(nodes: [Onnx_NodeProto], outputs: [String], initializers: [Onnx_TensorProto] = []) -> Onnx_GraphProto {
    var graph = Onnx_GraphProto()
    graph.node = nodes
    graph.initializer = initializers
    graph.output = outputs.map { name in
        var info = Onnx_ValueInfoProto()
        info.name = name
        return info
    }
    return graph
}
