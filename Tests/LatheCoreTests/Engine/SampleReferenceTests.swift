import Foundation
import XCTest
@testable import LatheCore

/// Every bundled sample and third-party-style export, evaluated end to end
/// (reader → passes → kernels → evaluator) against the onnxruntime outputs
/// stored beside it. Run in release: `swift test -c release -Xswiftc -enable-testing`.
final class SampleReferenceTests: XCTestCase {
    /// The repository's samples/, or `LATHE_SAMPLES_DIR` (to check a freshly regenerated set elsewhere).
    static let samplesDirectory = ProcessInfo.processInfo.environment["LATHE_SAMPLES_DIR"]
        .map { URL(fileURLWithPath: $0) }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("samples")

    struct Case {
        var name: String
        var model: String
        var data: String
        var reference: String
    }

    /// samples/pending.json: samples that need a feature Lathe lacks, each with the text its error must contain.
    static func pending() throws -> [String: String] {
        struct Entry: Decodable { let error: String }
        struct File: Decodable { let samples: [String: Entry] }
        let url = samplesDirectory.appendingPathComponent("pending.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return [:] }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).samples.mapValues(\.error)
    }

    /// samples/tolerances.json: samples whose outputs may differ from onnxruntime's by more than 1e-4
    /// (an already-quantized model's activations can round to the neighbouring quantum), with the bound.
    struct Allowance: Decodable {
        /// No element further than this from onnxruntime.
        let maxAbs: Float
        /// At most this many elements beyond 1e-4.
        let elements: Int

        enum CodingKeys: String, CodingKey {
            case maxAbs = "max_abs"
            case elements
        }
    }

    static func tolerances() throws -> [String: Allowance] {
        struct File: Decodable { let samples: [String: Allowance] }
        let url = samplesDirectory.appendingPathComponent("tolerances.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return [:] }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).samples
    }

    /// Index of the largest value of each row of a [N, C] tensor.
    static func rowArgmax(_ t: Tensor) -> [Int] {
        guard t.rank == 2, t.shape[1] > 0 else { return [] }
        let values = t.asFloats, classes = t.shape[1]
        return (0..<t.shape[0]).map { row in
            let slice = values[(row * classes)..<((row + 1) * classes)]
            return (slice.indices.max { slice[$0] < slice[$1] } ?? row * classes) - row * classes
        }
    }

    /// samples/<name>/{model.onnx, data.npz, reference.npy} and samples/exports/<name>.{onnx, npz, reference.npy}.
    static func cases() -> [Case] {
        let files = FileManager.default
        let root = samplesDirectory.path
        var found: [Case] = []
        for name in ((try? files.contentsOfDirectory(atPath: root)) ?? []).sorted() {
            let folder = root + "/" + name
            let sample = Case(name: name, model: folder + "/model.onnx", data: folder + "/data.npz",
                              reference: folder + "/reference.npy")
            if [sample.model, sample.data, sample.reference].allSatisfy(files.fileExists) { found.append(sample) }
        }
        let exports = root + "/exports"
        for file in ((try? files.contentsOfDirectory(atPath: exports)) ?? []).sorted() where file.hasSuffix(".onnx") {
            let base = exports + "/" + file.dropLast(".onnx".count)
            let export = Case(name: "exports/" + file, model: exports + "/" + file, data: base + ".npz",
                              reference: base + ".reference.npy")
            if files.fileExists(atPath: export.data), files.fileExists(atPath: export.reference) { found.append(export) }
        }
        return found
    }

    /// Whole-dataset outputs in dataset order, through the evaluation path `lathe eval` takes.
    static func outputs(_ session: InferenceSession, _ data: Dataset, batchSize: Int, threads: Int) throws -> Tensor {
        let options = EvaluatorOptions(batchSize: batchSize, threads: threads, cacheCapacityBytes: 0)
        return try PlanEvaluator(session: session, dataset: data, options: options)
            .outputs(of: .identity(layers: session.layers))
    }

    /// A pending sample fails with the error it is listed with: a clear bad-input error, never a
    /// crash or a wrong number. When its feature lands this fails, and the sample moves to the
    /// exact comparison below.
    func testPendingSamplesFailWithTheirListedError() throws {
        let pending = try Self.pending()
        let cases = Self.cases().filter { pending[$0.name] != nil }
        XCTAssertEqual(Set(cases.map(\.name)), Set(pending.keys), "every pending sample exists")
        for sample in cases {
            do {
                let model = try ONNXReader.read(path: sample.model)
                let data = try Dataset.load(path: sample.data)
                let session = try InferenceSession(model: model, data: data.layout)
                _ = try Self.outputs(session, data, batchSize: 32, threads: 2)
                XCTFail("\(sample.name) is listed in samples/pending.json but now evaluates: compare it with onnxruntime")
            } catch let error as LatheError {
                XCTAssertEqual(error.kind, .badInput, sample.name)
                XCTAssertTrue(error.message.contains(pending[sample.name] ?? "?"), "\(sample.name): \(error.message)")
            }
        }
    }

    func testEverySampleMatchesOnnxruntime() throws {
        let pending = try Self.pending()
        let tolerances = try Self.tolerances()
        let cases = Self.cases().filter { pending[$0.name] == nil }
        try XCTSkipIf(cases.isEmpty, "no samples in \(Self.samplesDirectory.path)")
        XCTAssertTrue(Set(tolerances.keys).isSubset(of: Set(cases.map(\.name))), "every sample in tolerances.json exists")
        for sample in cases {
            let model = try ONNXReader.read(path: sample.model)
            let data = try Dataset.load(path: sample.data)
            let reference = try NPYFormat.read(path: sample.reference)
            let session = try InferenceSession(model: model, data: data.layout)
            let outputs = try Self.outputs(session, data, batchSize: 32, threads: 2)
            XCTAssertEqual(outputs.shape, reference.shape, sample.name)
            guard outputs.shape == reference.shape else { continue }
            let differences = zip(outputs.asFloats, reference.asFloats).map { abs($0 - $1) }
                .map { $0.isNaN ? Float.infinity : $0 }
            let worst = differences.max() ?? 0
            if let allowance = tolerances[sample.name] {
                XCTAssertLessThanOrEqual(differences.filter { $0 > 1e-4 }.count, allowance.elements,
                                         "\(sample.name): elements beyond 1e-4 of onnxruntime")
                XCTAssertLessThanOrEqual(worst, allowance.maxAbs, "\(sample.name): max abs difference from onnxruntime")
                XCTAssertEqual(Self.rowArgmax(outputs), Self.rowArgmax(reference), "\(sample.name): top-1 agreement")
            } else {
                XCTAssertLessThanOrEqual(worst, 1e-4, "\(sample.name): max abs difference from onnxruntime")
            }
            XCTAssertFalse(session.layers.isEmpty, "\(sample.name) has weight layers")
            // Batches are independent work items: one thread gives the very same bits.
            let serial = try Self.outputs(session, data, batchSize: 32, threads: 1)
            XCTAssertEqual(serial, outputs, "\(sample.name): 1 and 2 threads agree bit for bit")
        }
    }

    /// samples/crnn's output is sequence-first, `[T, N, C]`: with its inputs alone (its `y` are digit
    /// strings, not labels), the batch axis 1 is found by shape inference and the outputs, assembled
    /// in the model's layout, are onnxruntime's.
    func testSequenceFirstOutputIsAssembledAlongItsBatchAxis() throws {
        let folder = Self.samplesDirectory.appendingPathComponent("crnn")
        let arrays = try NPZFormat.read(path: folder.appendingPathComponent("data.npz").path)
        let x = try XCTUnwrap(arrays.first { $0.name == "x" }?.tensor)
        let data = Dataset(inputs: x, labels: nil, path: "crnn_x.npz")
        let model = try ONNXReader.read(path: folder.appendingPathComponent("model.onnx").path)
        let session = try InferenceSession(model: model, data: data.layout)
        XCTAssertEqual(session.outputBatchAxis, 1)
        let reference = try NPYFormat.read(path: folder.appendingPathComponent("reference.npy").path)
        let outputs = try Self.outputs(session, data, batchSize: 32, threads: 2)
        XCTAssertEqual(outputs.shape, reference.shape)
        let worst = zip(outputs.asFloats, reference.asFloats).map { abs($0 - $1) }.max() ?? .infinity
        XCTAssertLessThanOrEqual(worst, 1e-4)
    }

    /// samples/exports/zoo: one small graph per op family; every case `lathe eval` can run
    /// (one batch-first input `x`) is evaluated per output in batches of 2 and compared with
    /// the stored onnxruntime outputs (`expected_<output>`); the others must fail clearly.
    func testOpZooMatchesOnnxruntime() throws {
        let zoo = Self.samplesDirectory.appendingPathComponent("exports/zoo")
        let indexData = try? Data(contentsOf: zoo.appendingPathComponent("index.json"))
        try XCTSkipIf(indexData == nil, "no op zoo in \(zoo.path)")
        let index = try JSONSerialization.jsonObject(with: indexData ?? Data()) as? [String: Any]
        let cases = try XCTUnwrap(index?["cases"] as? [[String: Any]])
        var evaluated = 0
        for entry in cases {
            let name = try XCTUnwrap(entry["name"] as? String)
            let model = try ONNXReader.read(path: zoo.appendingPathComponent(name + ".onnx").path)
            let arrays = try NPZFormat.read(path: zoo.appendingPathComponent(name + ".npz").path)
            guard entry["eval"] as? Bool == true else {
                // Several data inputs (or a fixed batch): the session says which inputs it needs.
                if (entry["inputs"] as? [Any])?.count ?? 0 > 1 {
                    XCTAssertThrowsError(try InferenceSession(model: model, sampleShape: [1]), name) {
                        XCTAssertTrue(($0 as? LatheError)?.message.contains("inputs") == true, "\(name): \($0)")
                    }
                }
                continue
            }
            let x = try XCTUnwrap(arrays.first { $0.name == "x" }?.tensor, name)
            let data = Dataset(inputs: Tensor(shape: x.shape, floats: x.asFloats), labels: nil, path: name + ".npz")
            for (arrayName, expected) in arrays where arrayName.hasPrefix("expected_") {
                let output = String(arrayName.dropFirst("expected_".count))
                let label = "\(name) output \(output)"
                let session = try InferenceSession(model: model, sampleShape: data.sampleShape, output: output)
                let result = try Self.outputs(session, data, batchSize: 2, threads: 2)
                XCTAssertEqual(result.shape, expected.shape, label)
                guard result.shape == expected.shape else { continue }
                if expected.isFloat {
                    let worst = zip(result.asFloats, expected.floats).map { a, b -> Float in
                        a.isNaN && b.isNaN ? 0 : a == b ? 0 : abs(a - b).isNaN ? .infinity : abs(a - b)
                    }.max() ?? 0
                    XCTAssertLessThanOrEqual(worst, 1e-4, label)
                } else {
                    XCTAssertEqual(result.asInts, expected.ints, label)
                }
                evaluated += 1
            }
        }
        XCTAssertGreaterThan(evaluated, 0)
    }
}
