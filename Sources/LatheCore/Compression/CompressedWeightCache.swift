import Foundation

/// Compressed weights kept per (tensor, settings), so a live session that
/// changes one layer recomputes only that layer. A share group is one entry
/// keyed by all its members, since its codebook depends on every one of them.
/// Thread-safe; evicts least recently used entries beyond `capacityBytes`.
/// Belongs to one model's weights: keys name tensors, not their contents.
public final class CompressedWeightCache: @unchecked Sendable {
    public struct Key: Hashable, Sendable {
        public var names: [String]
        public var settings: [LayerSettings]

        public init(layers: [(name: String, settings: LayerSettings)]) {
            names = layers.map(\.name)
            settings = layers.map(\.settings)
        }
    }

    public let capacityBytes: Int
    private let lock = NSLock()
    private var entries: [Key: (tensors: [String: Tensor], bytes: Int, lastUse: UInt64)] = [:]
    private var clock: UInt64 = 0
    private var totalBytes = 0

    public init(capacityBytes: Int = 1 << 30) { self.capacityBytes = capacityBytes }

    public func value(for key: Key) -> [String: Tensor]? {
        lock.lock()
        defer { lock.unlock() }
        guard var entry = entries[key] else { return nil }
        clock += 1
        entry.lastUse = clock
        entries[key] = entry
        return entry.tensors
    }

    public func store(_ tensors: [String: Tensor], for key: Key) {
        let bytes = tensors.values.reduce(0) { $0 + $1.count * MemoryLayout<Float>.size }
        lock.lock()
        defer { lock.unlock() }
        if let old = entries[key] { totalBytes -= old.bytes }
        clock += 1
        entries[key] = (tensors, bytes, clock)
        totalBytes += bytes
        while totalBytes > capacityBytes, entries.count > 1,
              let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse })?.key, oldest != key {
            totalBytes -= entries[oldest]?.bytes ?? 0
            entries[oldest] = nil
        }
    }

    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return entries.count
    }

    public func removeAll() {
        lock.lock()
        defer { lock.unlock() }
        entries = [:]
        totalBytes = 0
    }
}
