import Foundation

/// A 128-bit content fingerprint (two independent 64-bit multiply–xorshift
/// lanes over 8-byte words), as 32 hex digits. Not cryptographic: it tells
/// files apart for cache keys, reading about a gigabyte per second.
public enum ContentHash {
    public static func hex(of data: Data) -> String {
        var a: UInt64 = 0x243F_6A88_85A3_08D3 ^ UInt64(data.count)
        var b: UInt64 = 0x1319_8A2E_0370_7344 &+ UInt64(data.count)
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let words = raw.count / 8
            for i in 0..<words {
                let w = raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                a = mix(a ^ w, 0x9E37_79B9_7F4A_7C15)
                b = mix(b &+ w, 0xC2B2_AE3D_27D4_EB4F)
            }
            var tail: UInt64 = 0
            for (shift, byte) in raw[(words * 8)...].enumerated() { tail |= UInt64(byte) << UInt64(8 * shift) }
            a = mix(a ^ tail, 0x9E37_79B9_7F4A_7C15)
            b = mix(b &+ tail, 0xC2B2_AE3D_27D4_EB4F)
        }
        return String(format: "%016llx%016llx", finish(a), finish(b))
    }

    public static func hex(of text: String) -> String { hex(of: Data(text.utf8)) }

    /// The fingerprint of a file's bytes.
    public static func hex(ofFile path: String) throws -> String {
        do {
            return hex(of: try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe))
        } catch {
            throw LatheError.badInput(file: path, "cannot be read: \(error.localizedDescription)")
        }
    }

    private static func mix(_ x: UInt64, _ k: UInt64) -> UInt64 {
        var z = x &* k
        z ^= z >> 29
        return z
    }

    private static func finish(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Sensitivity results on disk, in a cache directory beside nothing the user
/// owns: `$XDG_CACHE_HOME/lathe/sensitivity` (or `~/.cache/lathe/sensitivity`),
/// one JSON report per (model, data, method) fingerprint, rewritten atomically
/// as results come in, so an interrupted sweep resumes and a finished one
/// reopens instantly. Reads merge with what is on disk, so two processes
/// sweeping shards of the same model add up rather than overwrite each other.
public struct SensitivityCache: Sendable {
    public let directory: String

    public init(directory: String? = nil) {
        self.directory = directory ?? Self.defaultDirectory()
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

    /// Merges `report` into the cached one and writes it back atomically. Cache
    /// failures (read-only home, full disk) are not the user's problem: ignored.
    public func save(_ report: SensitivityReport) {
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
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try AtomicFile.write(Data(merged.renderJSON().utf8),
                                 to: path(modelHash: b.modelHash, dataHash: b.dataHash, method: b.method))
        } catch {
            return
        }
    }
}
