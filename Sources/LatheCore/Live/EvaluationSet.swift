/// One of several evaluation sets side by side (`--data NAME=FILE`): its name,
/// where its data came from, and its own `PlanEvaluator`.
///
/// Every set has its own evaluator (schedule, activation cache, baseline), so a
/// set's numbers are exactly those of that set in `lathe eval --data first
/// --data that-set`: nothing is shared that could change a bit. Calibration
/// (`abits` ranges, GPTQ, bias correction) is the one thing all sets take from
/// one source, the first set's samples (or --calib), passed to each evaluator,
/// so an export's one calibration is every set's. The caller gives each
/// evaluator its share of the activation-cache cap.
public struct EvaluationSet: Sendable {
    public var name: String
    /// The data file as the user gave it (informative) and a fingerprint of its bytes (sensitivity cache keys).
    public var data: String
    public var dataHash: String
    public var evaluator: PlanEvaluator

    public init(name: String, data: String, dataHash: String, evaluator: PlanEvaluator) {
        self.name = name
        self.data = data
        self.dataHash = dataHash
        self.evaluator = evaluator
    }

    /// A lone set, named after its data file's stem (the single-set form of every command).
    public init(evaluator: PlanEvaluator, dataHash: String = "") {
        let path = evaluator.dataset.path
        let file = path.split(separator: "/").last.map(String.init) ?? path
        let stem = file.split(separator: ".", omittingEmptySubsequences: false).dropLast().joined(separator: ".")
        self.init(name: stem.isEmpty ? file : stem, data: path, dataHash: dataHash, evaluator: evaluator)
    }
}
