import Foundation
import Glibc
import LatheCore

/// Something an input did that a reader must never do.
public struct FuzzFinding: Sendable {
    public enum Kind: String, Sendable {
        /// An error other than `LatheError.badInput` (exit status 1 instead of 2, or no file named).
        case wrongError = "wrong error"
        /// Took longer than the time bound.
        case slow
    }

    public var target: String
    public var kind: Kind
    public var detail: String
    public var input: [UInt8]
}

/// What a run did.
public struct FuzzReport: Sendable {
    public var target: String
    public var iterations = 0
    public var accepted = 0
    public var refused = 0
    public var seconds = 0.0
    public var slowest = 0.0
    public var corpusSize = 0
    public var findings: [FuzzFinding] = []
    public var perSecond: Double { seconds > 0 ? Double(iterations) / seconds : 0 }
}

/// Runs one target over mutants of its corpus. Each input is written to `work/<fileName>` and read
/// from there, so after a crash that file is the input that caused it. The corpus starts with the
/// seeds and keeps every mutant that drew an error message not seen before (digits and names
/// blanked): without coverage instrumentation, new messages are the sign of new code reached.
public final class FuzzRunner {
    public let target: FuzzTarget
    public let work: URL
    public var timeBound: Double
    public var maxCorpus = 512
    public var maxInputSize = 4 << 20

    private var corpus: [(bytes: [UInt8], fields: [Field])] = []
    private var messages = Set<String>()

    /// - Parameters:
    ///   - root: the repository root the target's seed and companion paths are relative to.
    ///   - work: an empty folder for the input file (and the target's companions).
    public init(target: FuzzTarget, root: URL, work: URL, timeBound: Double = 2) throws {
        self.target = target
        self.work = work
        self.timeBound = timeBound
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        for companion in Glob.expand(target.companions, root: root) {
            let destination = work.appendingPathComponent(companion.lastPathComponent)
            try? FileManager.default.removeItem(at: destination)
            try FileManager.default.copyItem(at: companion, to: destination)
        }
        for seed in Glob.expand(target.seeds, root: root) {
            guard let data = FileManager.default.contents(atPath: seed.path), data.count <= maxInputSize else { continue }
            add(Array(data))
        }
        guard !corpus.isEmpty else {
            throw LatheError.badInput("fuzz target \(target.name): no seed files found under \(root.path)")
        }
    }

    public var inputPath: String { work.appendingPathComponent(target.fileName).path }

    /// Runs `body` on every seed first, then on mutants until `iterations` inputs or `seconds` passed.
    public func run(seed: UInt64, iterations: Int = .max, seconds: Double = .infinity,
                    progress: ((FuzzReport) -> Void)? = nil) -> FuzzReport {
        var report = FuzzReport(target: target.name)
        var mutator = Mutator(seed: seed, kinds: target.fields, maxSize: maxInputSize)
        let start = Date()
        var nextProgress = 10.0
        for entry in corpus where report.iterations < iterations {
            execute(entry.bytes, into: &report)
        }
        while report.iterations < iterations {
            let elapsed = Date().timeIntervalSince(start)
            if elapsed >= seconds { break }
            if let progress, elapsed >= nextProgress {
                report.seconds = elapsed
                report.corpusSize = corpus.count
                progress(report)
                nextProgress += 10
            }
            let base = corpus[mutator.rng.below(corpus.count)]
            let other = corpus[mutator.rng.below(corpus.count)].bytes
            let input = mutator.mutate(base.bytes, fields: base.fields, other: other)
            execute(input, into: &report)
        }
        report.seconds = Date().timeIntervalSince(start)
        report.corpusSize = corpus.count
        return report
    }

    /// Reads one input; anything but success or `badInput` within the time bound is a finding.
    public func execute(_ input: [UInt8], into report: inout FuzzReport) {
        report.iterations += 1
        write(input)
        let started = DispatchTime.now().uptimeNanoseconds
        var message: String?
        do {
            try target.read(inputPath)
            report.accepted += 1
        } catch let error as LatheError where error.kind == .badInput {
            report.refused += 1
            message = error.message
        } catch {
            report.findings.append(FuzzFinding(target: target.name, kind: .wrongError, detail: "\(error)", input: input))
        }
        let took = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        report.slowest = max(report.slowest, took)
        if took > timeBound {
            report.findings.append(FuzzFinding(target: target.name, kind: .slow,
                                               detail: String(format: "%.2f s", took), input: input))
        }
        if let message, corpus.count < maxCorpus, messages.insert(Self.shape(of: message)).inserted {
            add(input)
        }
    }

    /// Written in place with plain write(2): the same path every time, a crash leaves this input
    /// behind, and no temporary file or sync (Foundation's createFile cost 8 ms an input).
    private func write(_ input: [UInt8]) {
        let fd = open(inputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        defer { close(fd) }
        input.withUnsafeBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, base + offset, buffer.count - offset)
                if n <= 0 { return }
                offset += n
            }
        }
    }

    private func add(_ bytes: [UInt8]) {
        corpus.append((bytes, FieldScanner.fields(in: bytes, kinds: target.fields)))
    }

    /// A message with its particulars blanked: numbers, quoted names and the file path.
    static func shape(of message: String) -> String {
        var out = ""
        var quoted = false
        var lastWasDigit = false
        for c in message {
            if c == "'" { quoted.toggle(); out.append(c); continue }
            if quoted { continue }
            if c.isNumber {
                if !lastWasDigit { out.append("#") }
                lastWasDigit = true
                continue
            }
            lastWasDigit = false
            out.append(c)
        }
        if let colon = out.firstIndex(of: ":") { out = String(out[colon...]) }
        return out
    }
}

/// `*` wildcards in path components, relative to a root; results sorted, files only.
enum Glob {
    static func expand(_ patterns: [String], root: URL) -> [URL] {
        var seen = Set<String>()
        return patterns.flatMap { expand($0, root: root) }.filter { seen.insert($0.path).inserted }
    }

    static func expand(_ pattern: String, root: URL) -> [URL] {
        var paths = [root]
        for component in pattern.split(separator: "/").map(String.init) {
            if component.contains("*") {
                paths = paths.flatMap { folder -> [URL] in
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
                    return names.sorted().filter { fnmatch(component, $0, 0) == 0 }.map { folder.appendingPathComponent($0) }
                }
            } else {
                paths = paths.map { $0.appendingPathComponent(component) }
            }
        }
        return paths.filter {
            var isFolder: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0.path, isDirectory: &isFolder) && !isFolder.boolValue
        }
    }
}
