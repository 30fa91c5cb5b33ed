import Foundation
import LatheCore
import XCTest

/// Bad files and mismatched inputs: exit 2, `error:` naming the file, never a crash.
final class BadInputTests: XCTestCase {
    let model = Samples.path("lenet5", "model.onnx")
    let data = Samples.path("lenet5", "data.npz")

    func testMissingFiles() throws {
        assertBadInput(try LatheBinary.run(["eval", "no/such/model.onnx", "--data", data]),
                       mentions: ["no/such/model.onnx", "not found"])
        assertBadInput(try LatheBinary.run(["eval", model, "--data", "no/such/data.npz"]),
                       mentions: ["no/such/data.npz", "not found"])
        assertBadInput(try LatheBinary.run(["inspect", "no/such/model.onnx"]), mentions: ["no/such/model.onnx"])
        assertBadInput(try LatheBinary.run(["eval", "samples", "--data", data]), mentions: ["samples", "directory"])
    }

    func testUnreadableModels() throws {
        let scratch = try ScratchDirectory()
        let empty = try scratch.write("empty.onnx", Data())
        let text = try scratch.write("notes.onnx", Data("This is a text file, not an ONNX model.\n".utf8))
        let full = try Data(contentsOf: URL(fileURLWithPath: Samples.absolute(model)))
        let truncated = try scratch.write("truncated.onnx", full.prefix(full.count / 2))
        for bad in [empty, text, truncated] {
            assertBadInput(try LatheBinary.run(["eval", bad, "--data", data]), mentions: [bad])
            assertBadInput(try LatheBinary.run(["inspect", bad, "--json"]), mentions: [bad])
        }
        assertBadInput(try LatheBinary.run(["inspect", empty]), mentions: [empty, "empty"])
    }

    func testUnreadableData() throws {
        let scratch = try ScratchDirectory()
        let text = try scratch.write("data.npz", Data("x,y\n1,2\n".utf8))
        assertBadInput(try LatheBinary.run(["eval", model, "--data", text]), mentions: [text])
        let empty = try scratch.write("empty.npz", Data())
        assertBadInput(try LatheBinary.run(["eval", model, "--data", empty]), mentions: [empty])
    }

    func testDataOfTheWrongSampleShape() throws {
        // The digits MLP's samples are flat vectors; LeNet-5 wants images.
        let other = Samples.path("digits_mlp", "data.npz")
        assertBadInput(try LatheBinary.run(["eval", model, "--data", other]), mentions: [other, "shape"])
        assertBadInput(try LatheBinary.run(["inspect", model, "--data", other]), mentions: [other, "shape"])
    }

    func testLabelCountMismatch() throws {
        let scratch = try ScratchDirectory()
        let real = try Dataset.load(path: Samples.absolute(data))
        let x = try real.batch(0..<4)
        let y = Tensor(shape: [3], ints: [1, 2, 3])
        let path = scratch.path("mismatch.npz")
        try NPZFormat.write([(name: "x", tensor: x), (name: "y", tensor: y)], to: path)
        assertBadInput(try LatheBinary.run(["eval", model, "--data", path]), mentions: [path])
    }

    func testUnknownOutputName() throws {
        assertBadInput(try LatheBinary.run(["eval", model, "--data", data, "--output", "nope"]),
                       mentions: [model, "nope"])
        assertBadInput(try LatheBinary.run(["inspect", model, "--output", "nope"]), mentions: [model, "nope"])
    }

    /// A model whose input has a symbolic feature dimension cannot be sized without data.
    func testInspectNeedsDataForSymbolicDimensions() throws {
        let scratch = try ScratchDirectory()
        let w = Tensor(shape: [3, 2], floats: [1, 2, 3, 4, 5, 6])
        let graph = Graph(
            nodes: [Node(opType: "MatMul", inputs: ["x", "w"], outputs: ["y"])],
            initializers: ["w": w],
            inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("batch"), .symbolic("features")])],
            outputs: [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("batch"), .fixed(2)])])
        let path = scratch.path("symbolic.onnx")
        try ONNXWriter.write(Model(graph: graph, opset: 17), to: path)
        assertBadInput(try LatheBinary.run(["inspect", path]), mentions: [path, "--data"])

        let dataPath = scratch.path("x.npz")
        try NPZFormat.write([(name: "x", tensor: Tensor(shape: [2, 3], floats: [1, 0, 0, 0, 1, 0]))], to: dataPath)
        let json = try parseJSON(LatheBinary.run(["inspect", path, "--data", dataPath, "--json"]))
        XCTAssertEqual(json["total_macs"] as? Int, 6)
        XCTAssertEqual(json["total_params"] as? Int, 6)

        // Without labels, eval still reports agreement, and the accuracy metrics are null.
        let eval = try parseJSON(LatheBinary.run(["eval", path, "--data", dataPath, "--json"]))
        XCTAssertTrue(eval["top1"] is NSNull)
        XCTAssertEqual(eval["agreement"] as? Double, 1.0)
        XCTAssertEqual(eval["classes"] as? Int, 2)
    }

    /// An output whose length follows the input's values (as a decoder's stops at its end token) cannot be
    /// scored across batches of different lengths: exit 2 naming the model and saying why, not a crash.
    func testOutputLengthThatFollowsTheValues() throws {
        let scratch = try ScratchDirectory()
        // y = x[:, :k] with k = the batch's largest value: 2 in the first sample's batch, 3 in the second's.
        let graph = Graph(
            nodes: [
                Node(opType: "ReduceMax", inputs: ["x"], outputs: ["largest"], attributes: ["keepdims": .int(0)]),
                Node(opType: "Cast", inputs: ["largest"], outputs: ["k"], attributes: ["to": .int(7)]),
                Node(opType: "Unsqueeze", inputs: ["k", "zero"], outputs: ["end"]),
                Node(opType: "Slice", inputs: ["x", "zero", "end", "one"], outputs: ["y"]),
            ],
            initializers: ["zero": Tensor(shape: [1], ints: [0]), "one": Tensor(shape: [1], ints: [1])],
            inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("batch"), .fixed(4)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("batch"), .symbolic("length")])])
        let path = scratch.path("decoder.onnx")
        try ONNXWriter.write(Model(graph: graph, opset: 17), to: path)
        let dataPath = scratch.path("x.npz")
        try NPZFormat.write([(name: "x", tensor: Tensor(shape: [2, 4], floats: [2, 0, 1, 0, 3, 1, 0, 0]))],
                            to: dataPath)
        assertBadInput(try LatheBinary.run(["eval", path, "--data", dataPath, "--batch", "1", "--metric", "agree"]),
                       mentions: [path, "shape changed", "[1, 3]", "[N, 2]", "end token"])
        // Samples whose outputs have one length are scored.
        try NPZFormat.write([(name: "x", tensor: Tensor(shape: [2, 4], floats: [2, 0, 1, 0, 2, 1, 0, 0]))],
                            to: dataPath)
        let eval = try parseJSON(LatheBinary.run(["eval", path, "--data", dataPath, "--batch", "1", "--json"]))
        XCTAssertEqual(eval["agreement"] as? Double, 1.0)
    }

    /// A model from an opset outside the supported range is refused by name and number, not run
    /// with semantics it does not have.
    func testOpsetOutsideTheSupportedRange() throws {
        let scratch = try ScratchDirectory()
        let graph = Graph(
            nodes: [Node(opType: "Relu", inputs: ["x"], outputs: ["y"])], initializers: [:],
            inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("batch"), .fixed(3)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("batch"), .fixed(3)])])
        let dataPath = scratch.path("x.npz")
        try NPZFormat.write([(name: "x", tensor: Tensor(shape: [2, 3], floats: [1, -1, 0, 2, -2, 3]))], to: dataPath)
        for opset in [OpRegistry.oldestOpset - 1, OpRegistry.newestOpset + 1] {
            let path = scratch.path("opset\(opset).onnx")
            try ONNXWriter.write(Model(graph: graph, opset: opset), to: path)
            let range = "Lathe supports opsets \(OpRegistry.oldestOpset)–\(OpRegistry.newestOpset)"
            assertBadInput(try LatheBinary.run(["eval", path, "--data", dataPath]),
                           mentions: ["model \(path) uses opset \(opset)", range])
            assertBadInput(try LatheBinary.run(["inspect", path]), mentions: ["uses opset \(opset)", range])
        }
        let newest = scratch.path("newest.onnx")
        try ONNXWriter.write(Model(graph: graph, opset: OpRegistry.newestOpset), to: newest)
        let eval = try parseJSON(LatheBinary.run(["eval", newest, "--data", dataPath, "--json"]))
        XCTAssertEqual(eval["samples"] as? Int, 2)
    }

    /// `lathe ops` prints README's "Supported ops" paragraph exactly: the list is the op table's.
    func testOpsCommandMatchesTheReadme() throws {
        let result = try LatheBinary.run(["ops"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let readmeURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let readme = try String(contentsOf: readmeURL, encoding: .utf8)
        let paragraphs = readme.components(separatedBy: "\n\n")
        let documented = try XCTUnwrap(paragraphs.first { $0.hasPrefix("Supported ops (") },
                                       "README.md has no 'Supported ops (' paragraph")
        let printed = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertEqual(documented.trimmingCharacters(in: .whitespacesAndNewlines), printed,
                       "README's op list differs from the op table; paste `lathe ops` into README.md")
        for op in ["Conv", "ReduceMin", "ArgMin", "CastLike", "LessOrEqual", "Xor"] {
            XCTAssertTrue(printed.contains(op), op)
        }
    }
}
