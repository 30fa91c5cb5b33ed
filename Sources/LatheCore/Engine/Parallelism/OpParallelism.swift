import Foundation

/// How many cores one op may use: the other half of the engine's
/// parallelism policy. The evaluator runs batches on as many workers as
/// there are batches, up to its thread count; the threads left over go to
/// each batch's ops (`PlanEvaluator.forEachBatch` binds `width`). So a set of
/// many batches keeps every op on one core (no contention), while a single
/// batch — a small set, a fixed-batch-1 model — splits its heavy ops across
/// all cores.
///
/// Ops split only work large enough to repay a dispatch (`minimumWork`), and
/// only along independent outputs (images, channels, rows or columns of a
/// product; never the terms of one sum). How an op is cut into parts depends
/// on its shape alone, never on the width: the width only decides how many
/// workers share the parts. A block of a product, or a share of the images
/// whose GEMMs group differently, can round differently from the whole
/// (OpenBLAS blocks a smaller product its own way), so cutting by the width
/// would make outputs depend on the thread count and on how many batches a
/// call happened to score; cut by shape, a batch's outputs are the same bits
/// whatever the threads, and the explorer and `lathe eval` agree exactly.
public enum OpParallelism {
    /// Workers the op running on this thread may use; 1 outside an evaluator.
    @TaskLocal public static var width = 1

    /// Multiply-adds (or comparable element operations) below which an op
    /// runs serially: dispatching two workers costs some ten microseconds.
    static let minimumWork = 1 << 18

    /// Most parts an op is cut into: enough for the cores of a workstation,
    /// few enough that a single-core run loses nothing measurable (each part
    /// is at least `minimumWork`).
    static let maximumParts = 4

    /// Calls `body` on consecutive parts of `0..<count` (`partCount` of them),
    /// concurrently on up to `width` workers. Inside `body` the width is 1, so
    /// nested ops do not split again.
    static func forEachPart(of count: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let parts = partCount(count, work: work)
        @Sendable func range(_ part: Int) -> Range<Int> { (count * part / parts)..<(count * (part + 1) / parts) }
        let workers = min(width, parts)
        guard workers > 1 else {
            $width.withValue(1) { for part in 0..<parts { body(range(part)) } }
            return
        }
        // Kernels hand over raw pointers into buffers they own, which Swift
        // cannot prove safe to share; it is safe because the parts touch
        // disjoint outputs and `concurrentPerform` returns only after every
        // part, so nothing escapes the call.
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                $width.withValue(1) {
                    for part in stride(from: worker, to: parts, by: workers) { shared.value(range(part)) }
                }
            }
        }
    }

    private struct UncheckedSendable<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    /// How many parts `forEachPart` cuts `count` items of `work` into: a function of the shape only.
    static func partCount(_ count: Int, work: Int) -> Int {
        guard count > 1, work >= 2 * minimumWork else { return 1 }
        return min(maximumParts, count, work / minimumWork)
    }
}
