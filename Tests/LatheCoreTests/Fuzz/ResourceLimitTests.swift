import Foundation
@testable import LatheCore
import Testing

/// Files built to make a reader recurse, allocate or loop for what they claim: each is refused
/// with `LatheError.badInput` naming the file, quickly, without a crash (a stack overflow or a
/// trap would end the test process).
@Suite struct ResourceLimitTests {
    let folder: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-limits-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    func write(_ data: Data, _ name: String) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Runs `body`, which must throw badInput naming `path` and mentioning `fragment`, in under `seconds`.
    func expectRefused(_ path: String, _ fragment: String, seconds: Double = 2,
                       sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        let start = Date()
        do {
            try body()
            Issue.record("\(path) was accepted", sourceLocation: sourceLocation)
        } catch let error as LatheError {
            #expect(error.kind == .badInput, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.hasPrefix(path), "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.contains(fragment), "\(error.message) lacks '\(fragment)'", sourceLocation: sourceLocation)
        } catch {
            Issue.record("not a LatheError: \(error)", sourceLocation: sourceLocation)
        }
        let took = Date().timeIntervalSince(start)
        #expect(took < seconds, "took \(took) s", sourceLocation: sourceLocation)
    }

    // MARK: ONNX

    /// Protobuf field `number` holding `payload` (length-delimited) or a varint.
    static func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + varint(payload.count) + payload }
    static func field(_ number: Int, varint value: Int) -> [UInt8] { varint(number << 3) + varint(value) }
    static func field(_ number: Int, _ text: String) -> [UInt8] { field(number, Array(text.utf8)) }
    static func varint(_ value: Int) -> [UInt8] {
        var out: [UInt8] = []
        var v = UInt64(value)
        repeat {
            out.append(UInt8(v & 0x7F) | (v > 0x7F ? 0x80 : 0))
            v >>= 7
        } while v != 0
        return out
    }

    /// A model whose graph holds an `If` whose then-branch holds an `If` … `depth` levels down.
    /// Each level is prefix + the level inside + suffix, and a prefix needs only the inner length:
    /// lengths are computed inside out and the bytes joined once (wrapping level by level copied
    /// the whole file 10,000 times).
    static func nestedIfModel(depth: Int) -> Data {
        // GraphProto: node 1, name 2, output 12; NodeProto: input 1, output 2, op_type 4, attribute 5;
        // AttributeProto: name 1, g 6, type 20 (GRAPH = 5); ValueInfoProto: name 1.
        let leaf = field(2, "leaf") + field(12, field(1, "c"))
        let nodeHead = field(1, "c") + field(2, "y") + field(4, "If")
        let attributeHead = field(1, "then_branch")
        let attributeTail = field(20, varint: 5)
        let graphTail = field(2, "g") + field(12, field(1, "y"))
        let suffix = attributeTail + graphTail
        var prefixes: [[UInt8]] = []
        var inner = leaf.count
        for _ in 0..<depth {
            let attribute = attributeHead.count + 1 + varint(inner).count + inner + attributeTail.count
            let node = nodeHead.count + 1 + varint(attribute).count + attribute
            let prefix = varint(1 << 3 | 2) + varint(node) + nodeHead + varint(5 << 3 | 2) + varint(attribute)
                + attributeHead + varint(6 << 3 | 2) + varint(inner)
            prefixes.append(prefix)
            inner = prefix.count + inner + suffix.count
        }
        var graph: [UInt8] = []
        graph.reserveCapacity(inner)
        for prefix in prefixes.reversed() { graph += prefix }
        graph += leaf
        for _ in 0..<depth { graph += suffix }
        precondition(graph.count == inner)
        // ModelProto: ir_version 1, graph 7, opset_import 8 (OperatorSetIdProto: version 2).
        return Data(field(1, varint: 8) + field(7, graph) + field(8, field(2, varint: 17)))
    }

    /// The same model wrapped level by level, as the format reads.
    static func wrappedIfModel(depth: Int) -> Data {
        var graph = field(2, "leaf") + field(12, field(1, "c"))
        for _ in 0..<depth {
            let attribute = field(1, "then_branch") + field(6, graph) + field(20, varint: 5)
            let node = field(1, "c") + field(2, "y") + field(4, "If") + field(5, attribute)
            graph = field(1, node) + field(2, "g") + field(12, field(1, "y"))
        }
        return Data(field(1, varint: 8) + field(7, graph) + field(8, field(2, varint: 17)))
    }

    @Test func nestedModelBuildersAgree() {
        for depth in [0, 1, 2, 7, 40] { #expect(Self.nestedIfModel(depth: depth) == Self.wrappedIfModel(depth: depth)) }
    }

    @Test func onnxSubgraphsNestedTenThousandDeepAreRefused() throws {
        let path = try write(Self.nestedIfModel(depth: 10_000), "deep.onnx")
        expectRefused(path, "nested too deeply") { _ = try ONNXReader.read(path: path) }
    }

    @Test func onnxSubgraphsAsDeepAsProtobufAllowsReadWithoutCrashing() throws {
        // Each level is three messages (graph, node, attribute): 30 levels stay under swift-protobuf's 100.
        let path = try write(Self.nestedIfModel(depth: 30), "deep30.onnx")
        let start = Date()
        do {
            let model = try ONNXReader.read(path: path)
            _ = try InferenceSession(model: model, data: .declared(by: model))
        } catch let error as LatheError {
            #expect(error.kind == .badInput, "\(error)")
        }
        #expect(Date().timeIntervalSince(start) < 2)
    }

    // MARK: YAML and JSON configurations

    @Test func yamlFlowNestedTenThousandDeepIsRefused() throws {
        let text = "version: 1\nlayers: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        let path = try write(Data(text.utf8), "deep-flow.yaml")
        // libyaml's scanner reads ahead for the `[`s' keys and stops at its own bound, 1000 levels.
        expectRefused(path, "nest") { _ = try CompressionConfig.read(path: path) }
    }

    @Test func yamlBlockSequencesNestedTenThousandDeepAreRefused() throws {
        // "- - - x": each dash opens a sequence inside the previous one, all on one line.
        let text = "version: 1\nlayers:\n  " + String(repeating: "- ", count: 10_000) + "x\n"
        let path = try write(Data(text.utf8), "deep-block.yaml")
        expectRefused(path, "nested more than 64 levels") { _ = try CompressionConfig.read(path: path) }
    }

    @Test func jsonConfigNestedTenThousandDeepIsRefused() throws {
        let text = "{\"version\": 1, \"layers\": " + String(repeating: "{\"a\": ", count: 10_000) + "1"
            + String(repeating: "}", count: 10_001)
        let path = try write(Data(text.utf8), "deep.json")
        expectRefused(path, "nested more than 64 levels") { _ = try CompressionConfig.read(path: path) }
    }

    @Test func yamlAliasBombIsRefused() throws {
        // Ten levels of ten aliases each: 10^10 nodes once expanded, and a complex key Yams would hash in full.
        var lines = ["version: 1", "l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
        for level in 1..<10 {
            lines.append("l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ", ") + "]")
        }
        lines += ["? *l9", ": 1"]
        let path = try write(Data(lines.joined(separator: "\n").utf8), "laughs.yaml")
        expectRefused(path, "expands to more than") { _ = try CompressionConfig.read(path: path) }
    }

    @Test func ordinaryDepthsAndAliasesStillRead() throws {
        let text = """
            version: 1
            defaults: &d {bits: 8}
            layers:
              "conv[12]*": {bits: 4, prune: 0.5}
              fc: *d
            """
        let path = try write(Data(text.utf8), "ok.yaml")
        let config = try CompressionConfig.read(path: path)
        #expect(config.layers.count == 2)
        #expect(YAMLLimits.firstExcess(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)) == nil)
        #expect(YAMLLimits.firstExcess(String(repeating: "[", count: 65) + String(repeating: "]", count: 65))?.line == 1)
    }

    // MARK: checkpoints

    @Test func safetensorsHeaderNestedTenThousandDeepIsRefused() throws {
        let header = "{\"w\": " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "}"
        let path = try write(CheckpointBytes.safetensors(header: header, payload: Data()), "deep.safetensors")
        expectRefused(path, "nested too deeply") { _ = try WeightCheckpoint.open(path: path) }
    }

    @Test func safetensorsShapeOfTwoToTheEightyIsRefused() throws {
        let header = CheckpointBytes.header([("w", "F32", [1 << 40, 1 << 40], 0, 8)])
        let path = try write(CheckpointBytes.safetensors(header: header, payload: Data(count: 8)), "huge.safetensors")
        expectRefused(path, "overflows") { _ = try WeightCheckpoint.open(path: path) }
    }

    @Test func ggufTensorCountOfTwoToTheSixtyIsRefused() throws {
        let data = Data("GGUF".utf8) + CheckpointBytes.le(UInt32(3)) + CheckpointBytes.le(UInt64(1) << 60)
            + CheckpointBytes.le(UInt64(0)) + Data(count: 64)
        let path = try write(data, "count.gguf")
        expectRefused(path, "tensor count") { _ = try WeightCheckpoint.open(path: path) }
    }

    @Test func ggufEmptyTensorWithHugeDimsIsRefusedNotTrapped() throws {
        // Innermost first: 0 elements per row, so the stored product is 0, but the shape Lathe keeps is
        // reversed ([2^62, 2^62, 0]), whose product overflows before it reaches the zero.
        let tensor = CheckpointBytes.GGUFTensor(name: "w", dims: [0, 1 << 62, 1 << 62], type: 0, data: Data())
        let path = try write(CheckpointBytes.gguf(kvs: [], tensors: [tensor]), "zero.gguf")
        expectRefused(path, "overflow") {
            let checkpoint = try WeightCheckpoint.open(path: path)
            _ = checkpoint.tensors.map(\.count)
        }
    }

    @Test func elementCountIgnoresNoDimensionOrder() {
        #expect(ElementCount.of([0, 1 << 62, 1 << 62]) == nil)
        #expect(ElementCount.of([1 << 62, 1 << 62, 0]) == nil)
        #expect(ElementCount.of([0, 1 << 31, 1 << 31]) == 0)
        #expect(ElementCount.of([3, 0, 5]) == 0)
        #expect(ElementCount.of([3, 4, 5]) == 60)
    }
}
