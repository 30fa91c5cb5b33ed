import Foundation
import XCTest
@testable import LatheCore

/// Broken and hostile model files: each is a `badInput` naming the file and the problem, never a crash,
/// a hang or a giant allocation.
final class ONNXMalformedTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder() }
    override func tearDown() { folder = nil }

    private func write(_ proto: Onnx_ModelProto, _ name: String = "model.onnx") throws -> String {
        try folder.write(try proto.serializedBytes(), to: name)
    }

    private func model(_ graph: Onnx_GraphProto) -> Onnx_ModelProto {
        var proto = Onnx_ModelProto()
        proto.irVersion = 8
        proto.graph = graph
        return proto
    }

    private func floatTensor(_ name: String, dims: [Int64], raw: Data) -> Onnx_TensorProto {
        var tensor = Onnx_TensorProto()
        tensor.name = name
        tensor.dataType = 1
        tensor.dims = dims
        tensor.rawData = raw
        return tensor
    }

    private func modelWith(initializer: Onnx_TensorProto) -> Onnx_ModelProto {
        model(graph(nodes: [node("Relu", [initializer.name], ["y"])], outputs: ["y"], initializers: [initializer]))
    }

    func testFilesThatAreNotModels() throws {
        let missing = folder.path("missing.onnx")
        assertBadInput(try ONNXReader.read(path: missing), file: missing, mentions: "no such file")
        assertBadInput(try ONNXReader.read(path: folder.url.path), file: folder.url.path, mentions: "is a folder")
        let empty = try folder.write(Data(), to: "empty.onnx")
        assertBadInput(try ONNXReader.read(path: empty), file: empty, mentions: "file is empty")
        let text = try folder.write(Data("This is a README, not a model.\nLine two.\n".utf8), to: "text.onnx")
        assertBadInput(try ONNXReader.read(path: text), file: text, mentions: "ONNX model")
        let png = try folder.write(Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48,
                                         0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0]), to: "image.onnx")
        assertBadInput(try ONNXReader.read(path: png), file: png, mentions: "ONNX model")
        let npy = try folder.write(try NPYFormat.encode(.scalar(1)), to: "array.onnx")
        assertBadInput(try ONNXReader.read(path: npy), file: npy, mentions: "ONNX model")
        // Bytes protobuf happily parses as unknown fields: still not a model.
        let unknownFields = try folder.write(Data([0x08, 0x07, 0x10, 0x01]), to: "fields.onnx")
        assertBadInput(try ONNXReader.read(path: unknownFields), file: unknownFields, mentions: "contains no graph")
        let emptyGraph = try write(model(Onnx_GraphProto()), "empty_graph.onnx")
        assertBadInput(try ONNXReader.read(path: emptyGraph), file: emptyGraph, mentions: "contains no graph")
    }

    func testRandomBytesNeverCrash() throws {
        var generator = SplitMix64(seed: 42)
        for trial in 0..<200 {
            let count = Int(generator.next() % 4096) + 1
            let bytes = Data((0..<count).map { _ in UInt8(truncatingIfNeeded: generator.next()) })
            let path = folder.path("random\(trial).onnx")
            XCTAssertThrowsError(try ONNXModelDecoder(path: path).model(from: try ONNXReader.parse(bytes, path: path))) { error in
                XCTAssertEqual((error as? LatheError)?.kind, .badInput, "\(error)")
            }
        }
    }

    /// Every prefix and many corrupted copies of a real model either read or fail with badInput.
    func testTruncatedAndCorruptedModelsNeverCrash() throws {
        let original = try Data(contentsOf: URL(fileURLWithPath: FormatsFixtures.path("onnx/cnn.onnx")))
        let half = try folder.write(original.prefix(original.count / 2), to: "half.onnx")
        assertBadInput(try ONNXReader.read(path: half), file: half, mentions: "truncated or corrupt")

        // In memory (the same parse and decode ONNXReader.read runs after loading the file), so thousands
        // of probes stay fast.
        func readOrBadInput(_ bytes: Data, _ label: String) throws {
            let path = folder.path("probe.onnx")
            do {
                _ = try ONNXModelDecoder(path: path).model(from: try ONNXReader.parse(bytes, path: path))
            } catch let error as LatheError {
                XCTAssertEqual(error.kind, .badInput, "\(label): \(error)")
                XCTAssertTrue(error.message.hasPrefix(path), "\(label): \(error)")
            }
        }
        for length in 1..<original.count {
            try readOrBadInput(original.prefix(length), "prefix \(length)")
        }
        var generator = SplitMix64(seed: 7)
        for trial in 0..<2000 {
            var bytes = original
            for _ in 0..<(1 + Int(generator.next() % 4)) {
                let offset = Int(generator.next() % UInt64(bytes.count))
                bytes[offset] = UInt8(truncatingIfNeeded: generator.next())
            }
            try readOrBadInput(bytes, "corruption \(trial)")
        }
    }

    func testTensorDataProblems() throws {
        let negative = try write(modelWith(initializer: floatTensor("w", dims: [2, -3], raw: Data(count: 24))))
        assertBadInput(try ONNXReader.read(path: negative), file: negative, mentions: "initializer 'w' has a negative dimension")

        let short = try write(modelWith(initializer: floatTensor("w", dims: [2, 3], raw: Data(count: 20))), "short.onnx")
        assertBadInput(try ONNXReader.read(path: short), file: short,
                       mentions: "initializer 'w' holds 20 bytes of data but its shape [2, 3] of float32 needs 24")

        // A corrupt header claiming 2^120 elements: refused by arithmetic, nothing allocated.
        let overflow = try write(modelWith(initializer: floatTensor("w", dims: [1 << 40, 1 << 40, 1 << 40], raw: Data(count: 4))),
                                 "overflow.onnx")
        assertBadInput(try ONNXReader.read(path: overflow), file: overflow, mentions: "impossibly large shape")
        // 2^62 elements fits in Int but not in bytes; 2^34 fits both yet the data is 4 bytes.
        let bytesOverflow = try write(modelWith(initializer: floatTensor("w", dims: [1 << 31, 1 << 31], raw: Data(count: 4))),
                                      "bytes_overflow.onnx")
        assertBadInput(try ONNXReader.read(path: bytesOverflow), file: bytesOverflow, mentions: "impossibly large shape")
        let giant = try write(modelWith(initializer: floatTensor("w", dims: [1 << 17, 1 << 17], raw: Data(count: 4))),
                              "giant.onnx")
        assertBadInput(try ONNXReader.read(path: giant), file: giant, mentions: "holds 4 bytes of data")

        var typed = Onnx_TensorProto()
        typed.name = "w"
        typed.dataType = 1
        typed.dims = [3]
        typed.floatData = [1, 2]
        let typedShort = try write(modelWith(initializer: typed), "typed.onnx")
        assertBadInput(try ONNXReader.read(path: typedShort), file: typedShort,
                       mentions: "holds 2 values in float_data but its shape [3] needs 3")

        var noData = Onnx_TensorProto()
        noData.name = "w"
        noData.dataType = 7
        noData.dims = [4]
        let missingData = try write(modelWith(initializer: noData), "nodata.onnx")
        assertBadInput(try ONNXReader.read(path: missingData), file: missingData, mentions: "holds 0 values in int64_data")

        var strings = Onnx_TensorProto()
        strings.name = "labels"
        strings.dataType = 8
        strings.dims = [1]
        strings.stringData = [Data("a".utf8)]
        let stringPath = try write(modelWith(initializer: strings), "strings.onnx")
        assertBadInput(try ONNXReader.read(path: stringPath), file: stringPath,
                       mentions: "initializer 'labels' has data type STRING (8), which Lathe does not support")

        var segmented = floatTensor("w", dims: [1], raw: Data(count: 4))
        segmented.segment.begin = 0
        segmented.segment.end = 1
        let segmentPath = try write(modelWith(initializer: segmented), "segment.onnx")
        assertBadInput(try ONNXReader.read(path: segmentPath), file: segmentPath, mentions: "segment")

        var sparse = Onnx_SparseTensorProto()
        sparse.dims = [2]
        sparse.values = floatTensor("s", dims: [1], raw: Data(count: 4))
        var indices = Onnx_TensorProto()
        indices.dataType = 7
        indices.dims = [1]
        indices.int64Data = [5]
        sparse.indices = indices
        var sparseGraph = graph(nodes: [node("Relu", ["s"], ["y"])], outputs: ["y"])
        sparseGraph.sparseInitializer = [sparse]
        let sparsePath = try write(model(sparseGraph), "sparse.onnx")
        assertBadInput(try ONNXReader.read(path: sparsePath), file: sparsePath, mentions: "sparse index outside its shape")
    }

    func testGraphStructureProblems() throws {
        let w = floatTensor("w", dims: [1], raw: Data(count: 4))
        let twice = try write(model(graph(nodes: [node("Relu", ["w"], ["y"])], outputs: ["y"], initializers: [w, w])),
                              "twice.onnx")
        assertBadInput(try ONNXReader.read(path: twice), file: twice, mentions: "tensor 'w' is defined twice")

        var constant = node("Constant", [], ["w"])
        var value = Onnx_AttributeProto()
        value.name = "value_float"
        value.type = .float
        value.f = 1
        constant.attribute = [value]
        let clash = try write(model(graph(nodes: [constant, node("Relu", ["w"], ["y"])], outputs: ["y"], initializers: [w])),
                              "clash.onnx")
        assertBadInput(try ONNXReader.read(path: clash), file: clash, mentions: "tensor 'w' is defined twice")

        let cycle = try write(model(graph(nodes: [node("Relu", ["b"], ["a"], name: "first"), node("Relu", ["a"], ["b"], name: "second")],
                                          outputs: ["b"])), "cycle.onnx")
        assertBadInput(try ONNXReader.read(path: cycle), file: cycle, mentions: "the graph has a cycle")

        let twoProducers = try write(model(graph(nodes: [node("Relu", ["x"], ["a"]), node("Neg", ["x"], ["a"])], outputs: ["a"])),
                                     "producers.onnx")
        assertBadInput(try ONNXReader.read(path: twoProducers), file: twoProducers,
                       mentions: "tensor 'a' is produced by more than one node")

        let noOp = try write(model(graph(nodes: [node("", ["x"], ["y"])], outputs: ["y"])), "noop.onnx")
        assertBadInput(try ONNXReader.read(path: noOp), file: noOp, mentions: "has no operator type")
    }

    func testDeeplyNestedMessagesAreRefused() throws {
        // 200 nested TypeProto.sequence_type levels: past swift-protobuf's depth limit.
        var type = Onnx_TypeProto()
        type.tensorType.elemType = 1
        for _ in 0..<200 {
            var outer = Onnx_TypeProto()
            outer.sequenceType.elemType = type
            type = outer
        }
        var output = Onnx_ValueInfoProto()
        output.name = "y"
        output.type = type
        var g = graph(nodes: [node("Relu", ["x"], ["y"])], outputs: [])
        g.output = [output]
        let path = try write(model(g), "deep.onnx")
        assertBadInput(try ONNXReader.read(path: path), file: path, mentions: "nested too deeply")
    }
}

/// A small deterministic generator, so the fuzz-style tests are repeatable.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
