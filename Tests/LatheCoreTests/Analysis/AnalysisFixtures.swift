/// Deterministic pseudo-random data shared with the numpy scripts that produced the
/// expected values in these tests (the same 32-bit LCG, written out in each test's comment).
enum AnalysisFixtures {
    /// `s = (s * 1664525 + 1013904223) mod 2^32`, `count` successive states.
    static func lcg(_ count: Int, seed: UInt32) -> [UInt32] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 1664525 &+ 1013904223
            return state
        }
    }

    /// numpy: `w = np.array([((r >> 8) / 2**24 - 0.5) * 4 for r in lcg(5000, 99)], np.float32); w[::7] = 0`.
    static func weights() -> [Float] {
        var w = lcg(5000, seed: 99).map { Float((Double($0 >> 8) / 16_777_216 - 0.5) * 4) }
        for i in stride(from: 0, to: w.count, by: 7) { w[i] = 0 }
        return w
    }
}
