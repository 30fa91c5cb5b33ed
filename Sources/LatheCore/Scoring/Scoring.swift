/// What the user asked for: a metric (nil: choose automatically) and the class axis.
public struct ScoringRequest: Sendable, Equatable {
    public var metric: ScoreMetric?
    /// The class axis of the scored output in samples-first coordinates (nil: by rank).
    public var classAxis: Int?

    public init(metric: ScoreMetric? = nil, classAxis: Int? = nil) {
        self.metric = metric
        self.classAxis = classAxis
    }
}

/// How a model's output is scored: the metric, the class axis its argmax runs
/// along, and why (one line for the user).
///
/// Shapes are samples-first (a sequence-first `[T, N, C]` output is `[N, T, C]`
/// here). The class axis is 1 for `[N, C]` and `[N, C, H, W]`, the last for
/// `[N, T, C]`, none for other ranks unless `--class-axis` names one; positions
/// are the output's elements with the class axis removed (a sample, a time
/// step, a pixel). Automatic choice, first match:
/// 1. integer labels shaped like the positions, and ≥ 2 classes → `top1`;
/// 2. float labels with as many values per sample as the output → `mse`;
/// 3. ≥ 2 classes → `agree` (at every position);
/// 4. anything else (one-unit heads, single-channel maps, embeddings, box
///    tensors) → `sqnr`.
/// An integer output `[N]` holds predicted classes: `top1` with labels, else `agree`.
public struct Scoring: Sendable, Equatable {
    public var metric: ScoreMetric
    /// Class axis in samples-first coordinates; nil when the output has none (or holds predictions).
    public var classAxis: Int?
    /// The output's per-sample shape (samples-first, without N).
    public var sampleShape: [Int]
    /// Whether the output holds predicted classes rather than scores.
    public var predictionsGiven: Bool
    /// Whether integer labels match the positions (top-1 is defined).
    public var labelsMatchPositions: Bool
    /// Whether float labels match the output (mse and mae are defined).
    public var labelsMatchOutput: Bool
    /// Why this metric, e.g. "integer labels y [N] match the positions of output [N, 10]".
    public var reason: String

    /// Classes along the class axis (1 without one).
    public var classes: Int {
        if predictionsGiven { return 0 }
        guard let classAxis else { return 1 }
        return sampleShape[classAxis - 1]
    }

    /// Scored positions per sample.
    public var positionsPerSample: Int {
        predictionsGiven ? 1 : sampleShape.reduce(1, *) / max(1, classes)
    }

    /// Whether argmax-based numbers (top-1, agreement) are defined.
    public var hasClasses: Bool { predictionsGiven || classes >= 2 }

    /// Chooses how to score an output of per-sample shape `sampleShape` (samples-first)
    /// given the labels `y` (any shape, samples first) the data holds.
    public static func choose(_ request: ScoringRequest, sampleShape: [Int], outputIsFloat: Bool,
                              labels: Tensor?, outputName: String) throws -> Scoring {
        let shapeText = Self.describe(sampleShape)
        let predictionsGiven = !outputIsFloat && sampleShape.isEmpty
        let rank = sampleShape.count + 1
        var classAxis: Int?
        if let given = request.classAxis {
            guard given >= 1, given < rank else {
                throw LatheError.badInput("--class-axis \(given) is not a class axis of output '\(outputName)' "
                    + "\(shapeText) (samples-first; 1 to \(rank - 1))")
            }
            classAxis = given
        } else if !predictionsGiven {
            switch rank {
            case 2, 4: classAxis = 1
            case 3: classAxis = 2
            default: classAxis = nil
            }
        }
        var scoring = Scoring(metric: .sqnr, classAxis: classAxis, sampleShape: sampleShape,
                              predictionsGiven: predictionsGiven, labelsMatchPositions: false,
                              labelsMatchOutput: false, reason: "")
        let positionShape = predictionsGiven ? [] : sampleShape.enumerated()
            .filter { $0.offset + 1 != classAxis }.map(\.element)
        if let labels {
            let labelShape = Array(labels.shape.dropFirst())
            scoring.labelsMatchPositions = Self.integerValued(labels) && Self.sameShape(labelShape, positionShape)
                && scoring.hasClasses
            scoring.labelsMatchOutput = labels.isFloat && !predictionsGiven
                && labelShape.reduce(1, *) == sampleShape.reduce(1, *)
        }
        let labelText = labels.map { "labels y \(Self.describe(Array($0.shape.dropFirst())))" }
        if let metric = request.metric {
            try scoring.check(metric, shapeText: shapeText, labelText: labelText, outputName: outputName)
            scoring.metric = metric
            scoring.reason = Self.requestedReason
            return scoring
        }
        if scoring.labelsMatchPositions {
            scoring.metric = .top1
            scoring.reason = "integer \(labelText ?? "labels") match the positions of output \(shapeText)"
        } else if scoring.labelsMatchOutput {
            scoring.metric = .mse
            scoring.reason = "float \(labelText ?? "labels") are shaped like output \(shapeText)"
        } else if scoring.hasClasses {
            scoring.metric = .agree
            let classesText = scoring.predictionsGiven ? "holds predicted classes"
                : "has \(scoring.classes) classes on axis \(classAxis ?? 1)"
            scoring.reason = "output \(shapeText) \(classesText)"
                + (labelText.map { " and \($0) do not match its positions" } ?? " and the data has no labels")
        } else {
            scoring.metric = .sqnr
            scoring.reason = "output \(shapeText) has no class axis with 2 or more classes"
        }
        return scoring
    }

    /// Refuses a requested metric this output and these labels cannot give.
    private func check(_ metric: ScoreMetric, shapeText: String, labelText: String?, outputName: String) throws {
        let what = "--metric \(metric.rawValue) on output '\(outputName)' \(shapeText)"
        switch metric {
        case .top1:
            guard hasClasses else { throw LatheError.badInput("\(what): no class axis with 2 or more classes") }
            guard labelsMatchPositions else {
                throw LatheError.badInput("\(what) needs integer labels y shaped like its positions "
                    + (labelText.map { "(the data has \($0))" } ?? "(the data has no labels)"))
            }
        case .agree:
            guard hasClasses else { throw LatheError.badInput("\(what): no class axis with 2 or more classes") }
        case .mse, .mae:
            guard labelsMatchOutput else {
                throw LatheError.badInput("\(what) needs float labels y with one value per output element "
                    + (labelText.map { "(the data has \($0))" } ?? "(the data has no labels)"))
            }
        case .sqnr, .cosine:
            break
        }
    }

    /// The reason of a metric the user named.
    public static let requestedReason = "chosen with --metric"

    /// A per-sample shape with its samples axis: "[N, 3, 28, 28]".
    static func describe(_ sampleShape: [Int]) -> String {
        "[" + (["N"] + sampleShape.map(String.init)).joined(separator: ", ") + "]"
    }

    private static func integerValued(_ labels: Tensor) -> Bool {
        guard labels.isFloat else { return true }
        // Within Int range too: a class beyond ±2^62 is no class (and must not trap when converted).
        return labels.floats.allSatisfy { $0.isFinite && $0.rounded() == $0 && abs($0) < 0x1p62 }
    }

    /// Equal shapes, ignoring axes of length 1 (labels `[N]` for an output `[N, C, 1, 1]`).
    private static func sameShape(_ a: [Int], _ b: [Int]) -> Bool {
        a.filter { $0 != 1 } == b.filter { $0 != 1 }
    }
}
