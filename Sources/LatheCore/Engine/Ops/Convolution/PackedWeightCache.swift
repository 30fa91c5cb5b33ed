import CLatheKernels
import Foundation

/// Convolution weights in the form `lathe_pack_weights` gives them, kept per weight array, so a
/// model packs each layer once rather than on every call (every image of a fixed-batch-1
/// model, every part of a batch split over cores), and again only when a plan gives the layer
/// new weights, which are a new array.
///
/// An entry is found by the address of the array's storage, and it holds the array: storage that
/// is held cannot be freed and its address reused, and since tensors are values, whoever writes
/// to an array the entry shares gets a copy first, so the packed form always matches. Least
/// recently used entries go once packed and held weights pass `capacityBytes`: 256 MB, half of
/// it the held weights themselves (the model's own arrays, no copy), so a model with up to 128 MB
/// of convolution weights packs each layer once.
final class PackedWeightCache: @unchecked Sendable {
    static let shared = PackedWeightCache(capacityBytes: 256 << 20)

    /// Which kernel the weights are packed for.
    enum Form: Hashable, Sendable {
        /// `lathe_pack_weights` of each group's [rows, reduction] matrix (`PackedConv2D`).
        case direct
        /// `lathe_winograd_pack` of each group's [rows, channels, 3, 3] weights (`WinogradConv2D`).
        case winograd

        /// The form `PackedConv2D.compute` runs this convolution with.
        init(_ p: ConvProblem, _ g: SpatialGeometry, _ plan: ConvKernel.GemmPlan) {
            self = WinogradConv2D.applies(p, g, plan) ? .winograd : .direct
        }

        /// Floats of the packed weights of every group.
        func count(_ p: ConvProblem, _ plan: ConvKernel.GemmPlan) -> Int {
            let m = Int32(plan.mg)
            switch self {
            case .direct: return p.group * lathe_packed_weights_count(m, Int32(plan.reduction))
            case .winograd: return p.group * lathe_winograd_packed_count(m, Int32(plan.cg))
            }
        }
    }

    private struct Key: Hashable {
        var address: UInt
        var count: Int
        var form: Form
        var rows: Int
        var reduction: Int
        var groups: Int
    }

    private struct Entry {
        var source: [Float]
        var packed: [Float]
        var lastUse: UInt64
        var bytes: Int { (source.count + packed.count) * MemoryLayout<Float>.size }
    }

    let capacityBytes: Int
    private let lock = NSLock()
    private var entries: [Key: Entry] = [:]
    private var totalBytes = 0
    private var clock: UInt64 = 0

    init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    /// `weights` (groups × rows × reduction values, each group's rows × reduction block in turn)
    /// packed group after group in `form`.
    func packed(_ weights: [Float], form: Form = .direct, rows: Int, reduction: Int, groups: Int) -> [Float] {
        let address = weights.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        let key = Key(address: address, count: weights.count, form: form, rows: rows, reduction: reduction,
                      groups: groups)
        if let hit = lock.withLock({ () -> [Float]? in
            guard var entry = entries[key] else { return nil }
            clock += 1
            entry.lastUse = clock
            entries[key] = entry
            return entry.packed
        }) {
            return hit
        }
        let packed = weights.withUnsafeBufferPointer { source -> [Float] in
            guard let from = source.baseAddress, source.count >= groups * rows * reduction else { return [] }
            return Self.pack(from, form: form, rows: rows, reduction: reduction, groups: groups)
        }
        var entry = Entry(source: weights, packed: packed, lastUse: 0)
        guard entry.bytes <= capacityBytes else { return packed }
        lock.withLock {
            clock += 1
            entry.lastUse = clock
            if let replaced = entries.updateValue(entry, forKey: key) { totalBytes -= replaced.bytes }
            totalBytes += entry.bytes
            while totalBytes > capacityBytes, let oldest = entries.min(by: { $0.value.lastUse < $1.value.lastUse }) {
                totalBytes -= oldest.value.bytes
                entries[oldest.key] = nil
            }
        }
        return packed
    }

    var count: Int { lock.withLock { entries.count } }

    /// `groups` blocks of rows × reduction values at `weights`, packed one after another in `form`
    /// (`Form.count` floats in all; for `.winograd`, reduction is channels × 9).
    static func pack(_ weights: UnsafePointer<Float>, form: Form = .direct, rows: Int, reduction: Int,
                     groups: Int) -> [Float] {
        let m = Int32(rows), k = Int32(reduction)
        let perGroup = form == .direct ? lathe_packed_weights_count(m, k) : lathe_winograd_packed_count(m, k / 9)
        return [Float](unsafeUninitializedCapacity: groups * perGroup) { buffer, initialized in
            guard let to = buffer.baseAddress else {
                initialized = 0
                return
            }
            for group in 0..<groups {
                let from = weights + group * rows * reduction
                switch form {
                case .direct: lathe_pack_weights(from, m, k, to + group * perGroup)
                case .winograd: lathe_winograd_pack(from, m, k / 9, to + group * perGroup)
                }
            }
            initialized = groups * perGroup
        }
    }
}
