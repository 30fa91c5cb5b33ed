import Foundation
@testable import LatheCore
import Testing

/// Writes into a full disk and a read-only folder (see `FailingFolder`): a `badInput` error naming
/// the file and the cause, the file that was there before left byte for byte, and no temporary
/// file behind. The sensitivity cache reports the failure instead of throwing (a sweep goes on).
@Suite struct SafeWriteTests {
    static let previous = Data("# the previous configuration\nversion: 1\ndefaults: {bits: 8}\n".utf8)
    static let causes: [FailingFolder.Kind: String] = [.full: "No space left on device", .readOnly: "Read-only file system"]

    static func config() throws -> CompressionConfig {
        // Large enough that the write cannot fit in what a full tmpfs has left in a partly used page.
        var text = "version: 1\ndefaults: {bits: 4}\nlayers:\n"
        for i in 0..<2000 { text += "  layer_\(i): {bits: \(2 + i % 7), prune: 0.5}\n" }
        return try ConfigReader.parse(text, path: "generated.yaml")
    }

    func expectFailure(_ kind: FailingFolder.Kind, file name: String, in folder: FailingFolder,
                       sourceLocation: SourceLocation = #_sourceLocation, _ write: (String) throws -> Void) throws {
        let path = folder.path + "/" + name
        do {
            try write(path)
            Issue.record("the write to \(path) succeeded", sourceLocation: sourceLocation)
        } catch let error as LatheError {
            #expect(error.kind == .badInput, sourceLocation: sourceLocation)
            #expect(error.message.hasPrefix(path), "\(error.message)", sourceLocation: sourceLocation)
            #expect(error.message.contains(Self.causes[kind]!), "\(error.message)", sourceLocation: sourceLocation)
        }
        #expect(folder.contents(name) == Self.previous, "\(path) changed", sourceLocation: sourceLocation)
        #expect(try folder.strayFiles(besides: [name]) == [], sourceLocation: sourceLocation)
    }

    @Test(arguments: [FailingFolder.Kind.full, .readOnly])
    func configWriteKeepsThePreviousFile(kind: FailingFolder.Kind) throws {
        let config = try Self.config()
        for name in ["config.yaml", "config.json"] {
            let folder = try FailingFolder(kind, files: [name: Self.previous])
            try expectFailure(kind, file: name, in: folder) { path in
                try ConfigWriter.write(config, to: path, modelDescription: "model.onnx", metrics: [("top1", "0.9")])
            }
        }
    }

    @Test(arguments: [FailingFolder.Kind.full, .readOnly])
    func npyAndOnnxWritesKeepThePreviousFile(kind: FailingFolder.Kind) throws {
        let tensor = Tensor(shape: [256, 256], floats: [Float](repeating: 1.5, count: 256 * 256))
        let npy = try FailingFolder(kind, files: ["outputs.npy": Self.previous])
        try expectFailure(kind, file: "outputs.npy", in: npy) { try NPYFormat.write(tensor, to: $0) }
        let npz = try FailingFolder(kind, files: ["data.npz": Self.previous])
        try expectFailure(kind, file: "data.npz", in: npz) { try NPZFormat.write([(name: "x", tensor: tensor)], to: $0) }
    }

    @Test(arguments: [FailingFolder.Kind.full, .readOnly])
    func sensitivityCacheReportsAndKeepsThePreviousEntry(kind: FailingFolder.Kind) throws {
        let baseline = SensitivityReport.Baseline(
            metric: .top1, value: 0.9, samples: 10, model: "m.onnx", modelHash: "m", data: "d.npz", dataHash: "d",
            method: "method", levels: SensitivityLevels(bits: [2, 4, 8]), layerOrder: (0..<500).map { "layer\($0)" })
        var report = SensitivityReport(baseline: baseline, layers: baseline.layerOrder.map { SensitivityReport.Layer(name: $0) })
        for i in report.layers.indices { report.layers[i].bits = [2: 0.1, 4: 0.5, 8: 0.9] }
        let probe = SensitivityCache(directory: "/")
        let name = URL(fileURLWithPath: probe.path(modelHash: "m", dataHash: "d", method: "method")).lastPathComponent
        let folder = try FailingFolder(kind, files: [name: Self.previous])
        let told = LockedBox<[LatheError]>([])
        let cache = SensitivityCache(directory: folder.path, onWriteFailure: { error in told.withLock { $0.append(error) } })
        let path = folder.path + "/" + name
        let error = try #require(cache.save(report), "the cache write to \(path) succeeded")
        #expect(error.message.hasPrefix(path), "\(error.message)")
        #expect(error.message.contains(Self.causes[kind]!), "\(error.message)")
        #expect(told.withLock { $0.map(\.message) } == [error.message])
        #expect(folder.contents(name) == Self.previous)
        #expect(try folder.strayFiles(besides: [name]) == [])
    }

    @Test func writesStillWorkWhereThereIsRoom() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-safe-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let config = try Self.config()
        try Self.previous.write(to: URL(fileURLWithPath: folder + "/config.yaml"))
        try ConfigWriter.write(config, to: folder + "/config.yaml")
        #expect(try ConfigReader.read(path: folder + "/config.yaml") == config)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["config.yaml"])
    }
}
