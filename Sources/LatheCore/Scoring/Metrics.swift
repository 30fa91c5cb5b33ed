/// Classification quality of a model's outputs on an evaluation set.
///
/// Outputs are scores or probabilities `[N, C]` (trailing dimensions beyond the
/// second are flattened into classes, so `[N, C, 1, 1]` works too). An integer
/// output `[N]` (e.g. scikit-learn's `label`) is taken as the predicted classes.
public struct Metrics: Sendable, Equatable {
    /// Fraction of samples whose top-scoring class equals the label; nil without labels.
    public var top1: Double?
    /// Fraction whose label is among the 5 best-scoring classes; nil without labels or when C < 5.
    public var top5: Double?
    /// scikit-learn's `f1_score(labels, predictions, average="macro", zero_division=0)`; nil without labels.
    public var macroF1: Double?
    /// Fraction of samples whose top-1 class equals the reference model's; nil without a reference.
    public var agreement: Double?
    public var samples: Int
    public var classes: Int

    public init(top1: Double?, top5: Double?, macroF1: Double?, agreement: Double?, samples: Int, classes: Int) {
        self.top1 = top1
        self.top5 = top5
        self.macroF1 = macroF1
        self.agreement = agreement
        self.samples = samples
        self.classes = classes
    }

    /// Every metric `outputs` supports given `labels` (optional) and `reference`, the
    /// uncompressed model's outputs on the same data (optional).
    public init(outputs: Tensor, labels: [Int]?, reference: Tensor? = nil) throws {
        let scores = try ClassScores(outputs)
        var top1: Double?
        var top5: Double?
        var f1: Double?
        if let labels {
            guard labels.count == scores.samples else {
                throw LatheError.internalFailure("\(labels.count) labels for \(scores.samples) outputs")
            }
            let predictions = scores.predictions
            top1 = Metrics.accuracy(predictions: predictions, labels: labels)
            if scores.classes >= 5, !scores.isPredictionOnly {
                top5 = scores.topKAccuracy(labels: labels, k: 5)
            }
            f1 = Metrics.macroF1(predictions: predictions, labels: labels)
        }
        var agreement: Double?
        if let reference {
            let other = try ClassScores(reference)
            guard other.samples == scores.samples else {
                throw LatheError.internalFailure(
                    "reference outputs have \(other.samples) samples, outputs \(scores.samples)")
            }
            agreement = Metrics.accuracy(predictions: scores.predictions, labels: other.predictions)
        }
        self.init(top1: top1, top5: top5, macroF1: f1, agreement: agreement,
                  samples: scores.samples, classes: scores.classes)
    }

    /// Top-1 class per row of `[N, C]` scores: numpy's `argmax(axis=1)`
    /// (lowest index on ties; a NaN counts as the maximum, the first one wins).
    public static func predictions(_ outputs: Tensor) throws -> [Int] {
        try ClassScores(outputs).predictions
    }

    /// Fraction of positions where `predictions` equals `labels` (0 for no samples).
    public static func accuracy(predictions: [Int], labels: [Int]) -> Double {
        let n = min(predictions.count, labels.count)
        guard n > 0 else { return 0 }
        var hits = 0
        for i in 0..<n where predictions[i] == labels[i] { hits += 1 }
        return Double(hits) / Double(n)
    }

    /// Macro-averaged F1 over the classes present in `labels ∪ predictions`, a class
    /// with no true positives scoring 0 (scikit-learn's `zero_division=0`).
    public static func macroF1(predictions: [Int], labels: [Int]) -> Double {
        var truePositives: [Int: Int] = [:]
        var predicted: [Int: Int] = [:]
        var actual: [Int: Int] = [:]
        for (p, y) in zip(predictions, labels) {
            predicted[p, default: 0] += 1
            actual[y, default: 0] += 1
            if p == y { truePositives[p, default: 0] += 1 }
        }
        let classes = Set(predicted.keys).union(actual.keys)
        guard !classes.isEmpty else { return 0 }
        var total = 0.0
        // In class order: a Set's order changes from run to run, and so would the sum's last bit.
        for c in classes.sorted() {
            let tp = Double(truePositives[c] ?? 0)
            let fp = Double(predicted[c] ?? 0) - tp
            let fn = Double(actual[c] ?? 0) - tp
            let denominator = 2 * tp + fp + fn
            // F1 = 2PR/(P+R) = 2TP/(2TP+FP+FN); a present class always has a positive denominator.
            total += denominator > 0 ? 2 * tp / denominator : 0
        }
        return total / Double(classes.count)
    }

    /// 95% Wilson score interval for a proportion of `successes` out of `total`
    /// (`z` = 1.96 by default). Unlike the normal approximation it stays inside
    /// [0, 1] and is sensible at 0 and 100%, which streaming accuracy hits early.
    /// With no trials it is the whole of [0, 1].
    public static func wilsonInterval(successes: Int, total: Int, z: Double = 1.959963984540054) -> ClosedRange<Double> {
        guard total > 0 else { return 0...1 }
        let n = Double(total)
        let p = Double(min(max(successes, 0), total)) / n
        let z2 = z * z
        let denominator = 1 + z2 / n
        let center = (p + z2 / (2 * n)) / denominator
        let half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        return max(0, center - half)...min(1, center + half)
    }
}

/// A `[N, C]` view of a model output for scoring.
struct ClassScores {
    let samples: Int
    let classes: Int
    /// Row-major scores, or nil when the output already holds predicted classes.
    let scores: [Float]?
    let given: [Int]

    var isPredictionOnly: Bool { scores == nil }

    init(_ outputs: Tensor) throws {
        guard let n = outputs.shape.first else {
            throw LatheError.badInput("a scalar output cannot be scored; it needs shape [samples, classes]")
        }
        if outputs.rank == 1 {
            guard !outputs.isFloat else {
                throw LatheError.badInput(
                    "output of shape \(outputs.shape) holds one score per sample; scoring needs [samples, classes]")
            }
            samples = n
            given = outputs.ints.map { Int(truncatingIfNeeded: $0) }
            // Highest predicted class + 1, without overflowing on a garbage Int.max.
            classes = given.max().map { $0 == Int.max ? $0 : max(0, $0 + 1) } ?? 0
            scores = nil
            return
        }
        samples = n
        classes = outputs.shape.dropFirst().reduce(1, *)
        scores = outputs.asFloats
        given = []
    }

    var predictions: [Int] {
        guard let scores else { return given }
        var result = [Int](repeating: 0, count: samples)
        guard classes > 0 else { return result }
        for row in 0..<samples {
            let base = row * classes
            var best = 0
            var bestValue = scores[base]
            if !bestValue.isNaN {
                for c in 1..<classes {
                    let v = scores[base + c]
                    if v.isNaN { best = c; break }
                    if v > bestValue { best = c; bestValue = v }
                }
            }
            result[row] = best
        }
        return result
    }

    /// Fraction of rows whose label ranks among the first `k` when classes are
    /// ordered by descending score, lower index first on ties (the order of
    /// `np.argsort(-scores, kind="stable")`, consistent with argmax).
    func topKAccuracy(labels: [Int], k: Int) -> Double {
        guard let scores, samples > 0 else { return 0 }
        var hits = 0
        for row in 0..<samples {
            let label = labels[row]
            guard label >= 0, label < classes else { continue }
            let base = row * classes
            let target = scores[base + label]
            var ahead = 0
            for c in 0..<classes where c != label {
                let v = scores[base + c]
                if ranksAbove(v, c, target, label) { ahead += 1 }
                if ahead >= k { break }
            }
            if ahead < k { hits += 1 }
        }
        return Double(hits) / Double(samples)
    }

    /// Whether class `c` with score `v` sorts before class `label` with score `target`;
    /// NaN sorts first, as it wins numpy's argmax.
    private func ranksAbove(_ v: Float, _ c: Int, _ target: Float, _ label: Int) -> Bool {
        if v.isNaN { return !target.isNaN || c < label }
        if target.isNaN { return false }
        return v > target || (v == target && c < label)
    }
}
