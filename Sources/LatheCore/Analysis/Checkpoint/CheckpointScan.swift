import Foundation

/// Profiles a checkpoint's tensors (`TensorProfile`) straight from the mapped files, in
/// bounded memory: every tensor is cut into chunks of about a million elements (whole rows
/// for layers, so each channel's grid is known within its chunk), each chunk is decoded to
/// Float in a buffer of its own, and the chunks of all tensors run in parallel. Two passes:
/// range, sums and the variance (each chunk centred on its own mean, chunks merged pairwise);
/// then what needs those — the histogram (its edges need the range), outliers (mean and std),
/// the fourth moment and the quantization noise (per row, max|w|). After each chunk its
/// pages are handed back (`MappedFile.release`), so resident memory stays near
/// threads × chunk size whatever the file's size. Partial sums are combined in chunk order,
/// so results do not depend on the thread count.
public enum CheckpointScan {
    public static let chunkElements = 1 << 20

    /// One profile per tensor, nil for those whose elements are not decoded (integers, k-quants).
    /// `sqnrBits` (1–16, 32 = float) are measured for layers only.
    public static func profiles(_ tensors: [CheckpointTensor], bins: Int = Histogram.defaultBins,
                                sqnrBits: [Int] = []) -> [TensorProfile?] {
        var units: [Unit] = []
        for (index, tensor) in tensors.enumerated() where tensor.encoding.isDecodable && tensor.count > 0 {
            units += chunks(of: tensor, index: index)
        }
        // Pass 1: range, sums, zeros, centred squares.
        let summary = combine(run(units, tensors) { _, values in RangeSums(values) }, units, tensors.count)
        let means = summary.map { $0?.mean ?? 0 }
        let stds = summary.map { sums in sums.map { ($0.centred / Double(max(1, $0.count))).squareRoot() } ?? 0 }
        let edges = summary.map { sums in
            Histogram.edges(finiteMin: sums?.finiteMin ?? .infinity, finiteMax: sums?.finiteMax ?? -.infinity, bins: bins)
        }
        // Pass 2: fourth moment, histogram, outliers and quantization noise per bit-width.
        let levels = sqnrBits.filter { $0 != 32 }
        let moments = combine(run(units, tensors) { unit, values in
            let tensor = tensors[unit.tensor]
            return Moments(values, mean: means[unit.tensor], std: stds[unit.tensor], edges: edges[unit.tensor],
                           rowLength: tensor.rowLength, bits: tensor.isLayer ? levels : [])
        }, units, tensors.count)

        return tensors.indices.map { index in
            guard let sums = summary[index], let m = moments[index] else { return nil }
            let n = Double(sums.count)
            let std = stds[index]
            let variance = std * std
            let stats = WeightStats(min: sums.sawNaN ? .nan : Double(sums.min), max: sums.sawNaN ? .nan : Double(sums.max),
                                    mean: means[index], std: std, sparsity: Double(sums.zeros) / n,
                                    outlierRatio: Double(m.outliers) / n)
            let largest = max(abs(Double(sums.min)), abs(Double(sums.max)))
            var sqnr: [Int: Double] = [:]
            if tensors[index].isLayer {
                for bits in sqnrBits {
                    let error = bits == 32 ? 0 : (m.noise[bits] ?? 0)
                    sqnr[bits] = error > 0 && sums.squares > 0 ? 10 * log10(sums.squares / error) : .infinity
                }
            }
            return TensorProfile(
                stats: stats, histogram: Histogram(edges: edges[index], counts: m.counts),
                excessKurtosis: variance > 0 ? (m.fourths / n) / (variance * variance) - 3 : 0,
                maxAbsOverStd: std > 0 ? largest / std : 0, sqnrDB: sqnr)
        }
    }

    /// Each tensor's parts merged in chunk order (nil for tensors without chunks).
    static func combine<Part: ChunkPart>(_ parts: [Part], _ units: [Unit], _ tensorCount: Int) -> [Part?] {
        var merged = [Part?](repeating: nil, count: tensorCount)
        for (unit, part) in zip(units, parts) { merged[unit.tensor] = merged[unit.tensor].map { $0.merged(part) } ?? part }
        return merged
    }

    /// A tensor's element range processed by one worker.
    struct Unit {
        var tensor: Int
        var elements: Range<Int>
    }

    /// Whole rows of a layer (at least one) or block-aligned runs of anything else.
    static func chunks(of tensor: CheckpointTensor, index: Int) -> [Unit] {
        let count = tensor.count
        let step: Int
        if tensor.isLayer {
            let row = max(1, tensor.rowLength)
            step = max(1, chunkElements / row) * row
        } else {
            let block = tensor.encoding.blockElements
            step = max(block, chunkElements / block * block)
        }
        return stride(from: 0, to: count, by: step).map { Unit(tensor: index, elements: $0..<min(count, $0 + step)) }
    }

    /// Runs `body` on every unit's decoded values in parallel, each worker reusing one buffer.
    static func run<Part: Sendable>(_ units: [Unit], _ tensors: [CheckpointTensor],
                                    _ body: @escaping @Sendable (Unit, UnsafeBufferPointer<Float>) -> Part) -> [Part] {
        let results = LockedBox([Part?](repeating: nil, count: units.count))
        let workers = max(1, min(units.count, ProcessInfo.processInfo.activeProcessorCount))
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var buffer: [Float] = []
            for index in stride(from: worker, to: units.count, by: workers) {
                let unit = units[index]
                let tensor = tensors[unit.tensor]
                if buffer.count < unit.elements.count { buffer = [Float](repeating: 0, count: unit.elements.count) }
                let part = buffer.withUnsafeMutableBufferPointer { storage -> Part in
                    guard let base = storage.baseAddress else { return body(unit, UnsafeBufferPointer(start: nil, count: 0)) }
                    tensor.decode(unit.elements, into: base)
                    return body(unit, UnsafeBufferPointer(start: base, count: unit.elements.count))
                }
                tensor.release(unit.elements)
                results.withLock { $0[index] = part }
            }
        }
        return results.withLock { $0 }.compactMap { $0 }
    }
}
