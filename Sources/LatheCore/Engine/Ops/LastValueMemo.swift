import Foundation

/// What one compiled step's kernel worked out from its inputs' shapes last time (`OpRegistry.perStepKernels`):
/// a Conv's setup (`ConvSetup`), a broadcast plan (Add, Sub, Mul, Div), a MatMul's geometry.
///
/// Working these out allocates a dozen small arrays: at batch 1 that was 15% of a MobileNetV3's run and 10% of a
/// transformer encoder's, although a step sees the same shapes for every batch. Steps run concurrently on the
/// batches of a pass, hence the lock; another key replaces the entry.
final class LastValueMemo<Key: Equatable, Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var last: (key: Key, value: Value)?

    func value(for key: Key, make: () throws -> Value) rethrows -> Value {
        if let known = lock.withLock({ last }), known.key == key { return known.value }
        let value = try make()
        lock.withLock { last = (key, value) }
        return value
    }
}

/// The two operands' shapes, the key of a two-operand kernel's memo.
struct ShapePair: Equatable {
    var a: [Int]
    var b: [Int]

    init(_ a: Tensor, _ b: Tensor) {
        self.a = a.shape
        self.b = b.shape
    }
}

typealias ShapePairMemo<Value> = LastValueMemo<ShapePair, Value>

extension LastValueMemo where Key == ShapePair {
    func value(_ a: Tensor, _ b: Tensor, make: () throws -> Value) rethrows -> Value {
        try value(for: ShapePair(a, b), make: make)
    }
}
