/// Final scores of recently evaluated plans by output signature, so returning
/// to a plan (undo, redo) shows its final numbers at once.
struct FinalScores {
    private var scores: [[Int32]: ScoreTally] = [:]
    private var order: [[Int32]] = []
    static let capacity = 512

    func lookup(_ signature: [Int32]) -> ScoreTally? { scores[signature] }

    mutating func store(_ tally: ScoreTally, for signature: [Int32]) {
        if scores.updateValue(tally, forKey: signature) == nil { order.append(signature) }
        if order.count > Self.capacity {
            scores[order.removeFirst()] = nil
        }
    }
}

/// Results of the session's jobs, for the UI to read when a job reports progress.
struct JobResults: Sendable {
    var sensitivity: SensitivitySets?
    var search: SearchOutcome?
}
