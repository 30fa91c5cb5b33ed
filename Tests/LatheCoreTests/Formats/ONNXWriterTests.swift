import Foundation
import XCTest
@testable import LatheCore

final class ONNXWriterTests: XCTestCase {
    private func assertSameModel(_ a: Model, _ b: Model, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.graph.nodes, b.graph.nodes, label, file: file, line: line)
        XCTAssertEqual(a.graph.inputs, b.graph.inputs, label, file: file, line: line)
        XCTAssertEqual(a.graph.outputs, b.graph.outputs, label, file: file, line: line)
        XCTAssertEqual(Set(a.graph.initializers.keys), Set(b.graph.initializers.keys), label, file: file, line: line)
        for (name, tensor) in a.graph.initializers {
            guard let other = b.graph.initializers[name] else { continue }
            XCTAssertEqual(tensor.dtype, other.dtype, "\(label) \(name)", file: file, line: line)
            XCTAssertEqual(tensor.shape, other.shape, "\(label) \(name)", file: file, line: line)
            XCTAssertEqual(tensor.ints, other.ints, "\(label) \(name)", file: file, line: line)
            assertSameFloats(tensor.floats, other.floats, "\(label) \(name)", file: file, line: line)
        }
        XCTAssertEqual(a.opset, b.opset, label, file: file, line: line)
        XCTAssertEqual(a.opsetImports, b.opsetImports, label, file: file, line: line)
        XCTAssertEqual(a.irVersion, b.irVersion, label, file: file, line: line)
    }

    func testReadWriteReadIsIdentity() throws {
        let folder = try TemporaryFolder()
        for name in ["cnn", "constants", "mixed_dtypes", "typed_fields", "initializer_inputs", "control_flow",
                     "sklearn_logreg", "external/model"] {
            let original = try ONNXReader.read(path: FormatsFixtures.path("onnx/\(name).onnx"))
            let path = folder.path(name.replacingOccurrences(of: "/", with: "_") + ".onnx")
            try ONNXWriter.write(original, to: path)
            let again = try ONNXReader.read(path: path)
            assertSameModel(original, again, name)
            XCTAssertEqual(again.producerName, "lathe")
        }
    }

    func testHalfPrecisionAndInt8WeightsAreWrittenAtTheirDType() throws {
        let folder = try TemporaryFolder()
        let original = try ONNXReader.read(path: FormatsFixtures.path("onnx/mixed_dtypes.onnx"))
        let path = folder.path("mixed.onnx")
        try ONNXWriter.write(original, to: path)
        let proto = try ONNXReader.parse(try Data(contentsOf: URL(fileURLWithPath: path)), path: path)
        let stored = Dictionary(uniqueKeysWithValues: proto.graph.initializer.map { ($0.name, $0) })
        XCTAssertEqual(stored["w.f16"]?.dataType, 10)
        XCTAssertEqual(stored["w.f16"]?.rawData.count, 4 * 5 * 2)
        XCTAssertEqual(stored["bias.bf16"]?.dataType, 16)
        XCTAssertEqual(stored["bias.bf16"]?.rawData.count, 5 * 2)
        XCTAssertEqual(stored["offset.i8"]?.dataType, 3)
        XCTAssertEqual(stored["offset.i8"]?.rawData.count, 5)
        // The float16 bytes are exactly the original file's.
        let originalProto = try ONNXReader.parse(
            try Data(contentsOf: URL(fileURLWithPath: FormatsFixtures.path("onnx/mixed_dtypes.onnx"))), path: "")
        let originalW = try XCTUnwrap(originalProto.graph.initializer.first { $0.name == "w.f16" })
        XCTAssertEqual(stored["w.f16"]?.rawData, originalW.rawData)
        XCTAssertEqual(proto.producerName, "lathe")
        XCTAssertEqual(proto.opsetImport.map(\.version), [13])
    }

    func testWrittenModelsRunInOnnxruntimeWithIdenticalOutputs() throws {
        let folder = try TemporaryFolder()
        for name in ["cnn", "constants", "mixed_dtypes", "initializer_inputs"] {
            let model = try ONNXReader.read(path: FormatsFixtures.path("onnx/\(name).onnx"))
            let path = folder.path("\(name).onnx")
            try ONNXWriter.write(model, to: path)
            try FormatsFixtures.checkWithPython("onnx", written: path,
                                                expected: FormatsFixtures.path("onnx/\(name)_reference.npz"))
        }
    }

    func testOldIRVersionsListInitializersAsInputs() throws {
        let folder = try TemporaryFolder()
        var model = try ONNXReader.read(path: FormatsFixtures.path("onnx/constants.onnx"))
        model.irVersion = 3
        let path = folder.path("ir3.onnx")
        try ONNXWriter.write(model, to: path)
        let proto = try ONNXReader.parse(try Data(contentsOf: URL(fileURLWithPath: path)), path: path)
        XCTAssertEqual(proto.graph.input.map(\.name), ["x", "B", "S", "W", "k", "shape"])
        let wInput = try XCTUnwrap(proto.graph.input.first { $0.name == "W" })
        XCTAssertEqual(wInput.type.tensorType.shape.dim.map(\.dimValue), [4, 3])
        XCTAssertEqual(try ONNXReader.read(path: path).graph.inputs.map(\.name), ["x"])
    }

    func testInternalAttributes() throws {
        let folder = try TemporaryFolder()
        var model = try ONNXReader.read(path: FormatsFixtures.path("onnx/cnn.onnx"))
        try ONNXWriter.write(model, to: folder.path("cnn.onnx"))

        model.graph.nodes[0].attributes["lathe.activation"] = .string("Relu")
        XCTAssertThrowsError(try ONNXWriter.write(model, to: folder.path("fused.onnx"))) { error in
            XCTAssertEqual((error as? LatheError)?.kind, .internalFailure)
        }
        XCTAssertEqual(try folder.contents(), ["cnn.onnx"], "a refused write leaves nothing behind")
    }

    func testWritingIsAtomic() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("model.onnx")
        let cnn = try ONNXReader.read(path: FormatsFixtures.path("onnx/cnn.onnx"))
        let constants = try ONNXReader.read(path: FormatsFixtures.path("onnx/constants.onnx"))
        try ONNXWriter.write(cnn, to: path)
        try ONNXWriter.write(constants, to: path)
        assertSameModel(try ONNXReader.read(path: path), constants, "replaced")
        XCTAssertEqual(try folder.contents(), ["model.onnx"])

        // A tensor whose element count contradicts its shape is a bug: nothing is written.
        var broken = constants
        broken.graph.initializers["W"]?.floats.removeLast()
        XCTAssertThrowsError(try ONNXWriter.write(broken, to: path))
        assertSameModel(try ONNXReader.read(path: path), constants, "untouched after a failed write")
        XCTAssertEqual(try folder.contents(), ["model.onnx"])

        let nowhere = folder.path("missing/model.onnx")
        assertBadInput(try ONNXWriter.write(cnn, to: nowhere), file: nowhere, mentions: "does not exist")
    }

    func testMinimalModelBuiltInCode() throws {
        // What an exporter produces from scratch: default IR version, declared input dims.
        let graph = Graph(
            nodes: [Node(name: "fc", opType: "Gemm", inputs: ["x", "w"], outputs: ["y"], attributes: ["transB": .int(1)])],
            initializers: ["w": Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6])],
            inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("batch"), .fixed(3)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("?"), .fixed(2)])])
        let folder = try TemporaryFolder()
        let path = folder.path("fc.onnx")
        try ONNXWriter.write(Model(graph: graph, opset: 13), to: path)
        let back = try ONNXReader.read(path: path)
        XCTAssertEqual(back.graph.nodes, graph.nodes)
        XCTAssertEqual(back.graph.inputs, graph.inputs)
        XCTAssertEqual(back.graph.outputs, graph.outputs)
        XCTAssertEqual(back.graph.initializers, graph.initializers)
        XCTAssertEqual(back.opset, 13)
        XCTAssertEqual(back.irVersion, 8)
    }
}
