/// Which samples make up which batch, in the order live evaluation visits them.
///
/// Batches are fixed once for a dataset: batch `b` always holds the same
/// samples, so a cached activation of batch `b` is valid for any later run, and
/// a batch's outputs never depend on thread count or on which batches were
/// cancelled before. Every evaluation of a plan (live, sweeps, search and
/// `lathe eval --config`) goes through the same schedule, so their numbers agree.
///
/// Order: with labels, round-robin over the classes (class 0's first sample,
/// class 1's first, …, then each class's second, and so on; within a class in
/// dataset order), so that the first batches already hold every class and a
/// running accuracy is representative early. Without labels, a fixed
/// pseudo-random permutation (SplitMix64, seed 0) serves the same purpose.
public struct EvaluationSchedule: Sendable, Equatable {
    /// Sample indices (into the dataset) in visiting order: a permutation of `0..<sampleCount`.
    public let order: [Int]
    public let batchSize: Int

    public init(order: [Int], batchSize: Int) {
        self.order = order
        self.batchSize = max(1, batchSize)
    }

    public var sampleCount: Int { order.count }
    public var batchCount: Int { (order.count + batchSize - 1) / batchSize }

    /// Positions in `order` of batch `b`.
    public func positions(ofBatch b: Int) -> Range<Int> {
        (b * batchSize)..<min((b + 1) * batchSize, order.count)
    }

    /// Dataset indices of the samples of batch `b`.
    public func samples(ofBatch b: Int) -> ArraySlice<Int> { order[positions(ofBatch: b)] }

    /// The schedule for a dataset: interleaved classes with labels, a fixed shuffle without.
    public static func interleaved(labels: [Int]?, count: Int, batchSize: Int) -> EvaluationSchedule {
        EvaluationSchedule(order: interleavedOrder(labels: labels, count: count), batchSize: batchSize)
    }

    static func interleavedOrder(labels: [Int]?, count: Int) -> [Int] {
        guard let labels, labels.count == count else { return shuffledOrder(count: count) }
        var byClass: [Int: [Int]] = [:]
        for (index, label) in labels.enumerated() { byClass[label, default: []].append(index) }
        let queues = byClass.keys.sorted().map { byClass[$0] ?? [] }
        var order: [Int] = []
        order.reserveCapacity(count)
        var round = 0
        while order.count < count {
            for queue in queues where round < queue.count { order.append(queue[round]) }
            round += 1
        }
        return order
    }

    /// Fisher–Yates with SplitMix64 (seed 0): identical on every platform and run.
    static func shuffledOrder(count: Int) -> [Int] {
        var order = Array(0..<count)
        var random = SplitMix64(seed: 0)
        var i = count - 1
        while i > 0 {
            let j = Int(random.next() % UInt64(i + 1))
            order.swapAt(i, j)
            i -= 1
        }
        return order
    }

    /// The inputs of batch `b`: the batch's samples gathered from `data`, by graph input name.
    func inputs(ofBatch b: Int, from data: FeedData) throws -> [String: Tensor] {
        try data.inputs(samples: samples(ofBatch: b))
    }

    /// The labels of batch `b`'s samples.
    func labels(ofBatch b: Int, from labels: [Int]) -> [Int] { samples(ofBatch: b).map { labels[$0] } }
}
