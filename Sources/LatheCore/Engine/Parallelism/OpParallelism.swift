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
/// product; never the terms of one sum). Depthwise channels give the serial
/// values exactly; a block of a product, or a share of the images whose GEMMs
/// group differently, can round differently (up to 5e-6 relative at
/// k = 256), because OpenBLAS blocks a smaller product its own way. Evaluations with the same thread count and batch size make the same
/// splits, so the explorer and `lathe eval` agree.
public enum OpParallelism {
    /// Workers the op running on this thread may use; 1 outside an evaluator.
    @TaskLocal public static var width = 1

    /// Multiply-adds (or comparable element operations) below which an op
    /// runs serially: dispatching two workers costs some ten microseconds.
    static let minimumWork = 1 << 18

    /// Calls `body` on consecutive parts of `0..<count`, concurrently when the
    /// width allows and `work` (total, for all of `count`) is worth it. Inside
    /// `body` the width is 1, so nested ops do not split again.
    static func forEachPart(of count: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let parts = partCount(count, work: work)
        guard parts > 1 else {
            body(0..<count)
            return
        }
        // Kernels hand over raw pointers into buffers they own, which Swift
        // cannot prove safe to share; it is safe because the parts touch
        // disjoint outputs and `concurrentPerform` returns only after every
        // part, so nothing escapes the call.
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let range = (count * part / parts)..<(count * (part + 1) / parts)
                $width.withValue(1) { shared.value(range) }
            }
        }
    }

    private struct UncheckedSendable<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    /// How many parts `forEachPart` would use.
    static func partCount(_ count: Int, work: Int) -> Int {
        let width = Self.width
        guard width > 1, count > 1, work >= 2 * minimumWork else { return 1 }
        return min(width, count, work / minimumWork)
    }
}
