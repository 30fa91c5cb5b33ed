import Foundation

/// Sensitivity results on disk, in a cache directory beside nothing the user
/// owns: `$XDG_CACHE_HOME/lathe/sensitivity` (or `~/.cache/lathe/sensitivity`),
/// one JSON report per (model, data, method) fingerprint, rewritten atomically
/// as results come in, so an interrupted sweep resumes and a finished one
/// reopens instantly. Reads merge with what is on disk, so two processes
/// sweeping shards of the same model add up rather than overwrite each other.
public struct SensitivityCache: Sendable {
    public let directory: String
    /// Told when an entry cannot be written (a full disk, a read-only cache folder): the sweep goes
    /// on and its results are still returned, only not cached. The previous entry is left intact.
    public var onWriteFailure: (@Sendable (LatheError) -> Void)?

    public init(directory: String? = nil, onWriteFailure: (@Sendable (LatheError) -> Void)? = nil) {
        self.directory = directory ?? Self.defaultDirectory()
        self.onWriteFailure = onWriteFailure
    }

    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let xdg = environment["XDG_CACHE_HOME"], xdg.hasPrefix("/") {
            return xdg + "/lathe/sensitivity"
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return home + "/.cache/lathe/sensitivity"
    }

    /// The file holding results for a key (model hash, data hash, method hash).
    public func path(modelHash: String, dataHash: String?, method: String) -> String {
        let key = ContentHash.hex(of: [modelHash, dataHash ?? "data-free", method].joined(separator: "|"))
        return directory + "/" + key + ".json"
    }

    /// The cached report for the key, if any (an unreadable entry counts as absent).
    public func load(modelHash: String, dataHash: String?, method: String) -> SensitivityReport? {
        let file = path(modelHash: modelHash, dataHash: dataHash, method: method)
        guard let data = FileManager.default.contents(atPath: file),
              let report = try? SensitivityReport.parse(data, path: file),
              report.baseline.modelHash == modelHash, report.baseline.dataHash == dataHash,
              report.baseline.method == method else { return nil }
        return report
    }

    /// Merges `report` into the cached one and writes it back atomically. A failure (read-only
    /// home, full disk) leaves the previous entry as it was, goes to `onWriteFailure` and is
    /// returned; it never fails the sweep.
    @discardableResult
    public func save(_ report: SensitivityReport) -> LatheError? {
        let b = report.baseline
        var merged = report
        merged.baseline.shard = nil
        if let existing = load(modelHash: b.modelHash, dataHash: b.dataHash, method: b.method) {
            var byName = Dictionary(existing.layers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for layer in report.layers {
                var combined = layer
                if let old = byName[layer.name] { combined.fill(from: old) }
                byName[layer.name] = combined
            }
            let order = b.layerOrder.isEmpty ? existing.layers.map(\.name) : b.layerOrder
            merged.layers = order.compactMap { byName[$0] }
            if merged.baseline.value == nil { merged.baseline.value = existing.baseline.value }
        }
        merged.updateScores()
        let file = path(modelHash: b.modelHash, dataHash: b.dataHash, method: b.method)
        do {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            } catch {
                throw LatheError.badInput(file: file, "cannot create the cache folder \(directory): \(error.localizedDescription)")
            }
            try AtomicFile.write(Data(merged.renderJSON().utf8), to: file)
            return nil
        } catch {
            let failure = (error as? LatheError) ?? LatheError.badInput(file: file, "cannot write: \(error)")
            onWriteFailure?(failure)
            return failure
        }
    }
}
