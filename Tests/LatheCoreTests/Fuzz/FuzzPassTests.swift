import Foundation
import LatheCore
@testable import LatheFuzz
import Testing

/// A short, bounded fuzzing pass over every reader of user files (`make fuzz` runs the long
/// ones), and every input a fuzzing run ever found, kept as a regression: each must end in
/// success or `LatheError.badInput`, quickly, without a crash.
@Suite(.serialized) struct FuzzPassTests {
    static let root: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        return url
    }()

    static var regressions: URL { root.appendingPathComponent("Tests/LatheCoreTests/Fixtures/fuzz/regressions") }

    /// In memory when possible: every input is written before it is read (/tmp was 25x slower here).
    static func workFolder(_ name: String) -> URL {
        let shm = URL(fileURLWithPath: "/dev/shm")
        let base = FileManager.default.isWritableFile(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory
        return base.appendingPathComponent("lathe-fuzz-test-\(name)-\(UUID().uuidString)")
    }

    /// Inputs per target: a few thousand (the slowest target takes a few seconds in a release build).
    static let iterations = 3000

    @Test(arguments: FuzzTargets.all.map(\.name))
    func shortPassFindsNothing(target name: String) throws {
        let target = try #require(FuzzTargets.named(name))
        let work = Self.workFolder(name)
        defer { try? FileManager.default.removeItem(at: work) }
        let runner = try FuzzRunner(target: target, root: Self.root, work: work)
        let report = runner.run(seed: 20_261_202, iterations: Self.iterations, seconds: 20)
        #expect(report.iterations >= min(Self.iterations, 500), "\(name): only \(report.iterations) inputs in 20 s")
        // Mutants must exercise both outcomes, or the pass tests nothing.
        #expect(report.accepted > 0 && report.refused > 0, "\(name): \(report.accepted) accepted, \(report.refused) refused")
        for finding in report.findings {
            let kept = work.deletingLastPathComponent().appendingPathComponent("\(name)-\(Checksum.hex(finding.input))")
            try? Data(finding.input).write(to: kept)
            Issue.record("\(name): \(finding.kind.rawValue): \(finding.detail) (input kept at \(kept.path))")
        }
    }

    @Test func everyKeptFindingIsRefusedCleanly() throws {
        var checked = 0
        for target in FuzzTargets.all {
            let folder = Self.regressions.appendingPathComponent(target.name)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
            let work = Self.workFolder(target.name)
            defer { try? FileManager.default.removeItem(at: work) }
            let runner = try FuzzRunner(target: target, root: Self.root, work: work)
            for file in files.sorted() {
                let bytes = try Data(contentsOf: folder.appendingPathComponent(file))
                var report = FuzzReport(target: target.name)
                runner.execute(Array(bytes), into: &report)
                #expect(report.findings.isEmpty, "\(target.name)/\(file): \(report.findings.map(\.detail))")
                checked += 1
            }
        }
        #expect(checked > 0, "no regression inputs found under \(Self.regressions.path)")
    }

    @Test func aRunIsReplayableFromItsSeed() throws {
        let target = try #require(FuzzTargets.named("npy"))
        let corpus: [[UInt8]] = [[0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 4, 0] + Array("{}  ".utf8)]
        let fields = FieldScanner.fields(in: corpus[0], kinds: target.fields)
        func mutants(_ seed: UInt64) -> [[UInt8]] {
            var mutator = Mutator(seed: seed, kinds: target.fields, maxSize: 1 << 20)
            return (0..<200).map { _ in mutator.mutate(corpus[0], fields: fields, other: corpus[0]) }
        }
        #expect(mutants(7) == mutants(7))
        #expect(mutants(7) != mutants(8))
        #expect(Set(mutants(7)).count > 100)
    }

    @Test func structureAwareFieldsAreFound() throws {
        // A protobuf: field 1 varint 150, field 2 bytes "ab", field 3 a submessage {field 1 varint 1}.
        let proto: [UInt8] = [0x08, 0x96, 0x01, 0x12, 0x02, 0x61, 0x62, 0x1A, 0x02, 0x08, 0x01]
        let fields = FieldScanner.fields(in: proto, kinds: .protobuf)
        #expect(fields.map(\.offset) == [1, 4, 8, 10])
        let header: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 40, 0] + Array("{'shape': (12, 3), }".utf8)
        let npyFields = FieldScanner.fields(in: header, kinds: .npy)
        #expect(npyFields.first == Field(offset: 8, width: 2, encoding: .littleEndian))
        #expect(npyFields.dropFirst().map(\.width) == [2, 1])
    }
}
