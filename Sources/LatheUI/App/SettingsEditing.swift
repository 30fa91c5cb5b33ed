import LatheCore

/// The edits the explorer's keys make to one layer's settings. Each returns
/// settings LatheCore accepts (`LayerSettings.conflict` is nil): a key whose
/// meaning needs another field changed changes it (pressing `c` switches to
/// weight sharing, which clears integer bits) and says so; an edit that cannot
/// apply is refused with a message.
public enum SettingsEdit: Sendable, Equatable {
    case fewerBits, moreBits
    case pruneLess, pruneMore
    case cycleStructure, cycleClusters
    case cycleGranularity, cycleScheme
    case cycleRecovery, cycleGrid, cyclePruneMethod

    /// The edit a key-table command makes; nil for commands that are not settings edits.
    public init?(_ command: Command) {
        switch command {
        case .fewerBits: self = .fewerBits
        case .moreBits: self = .moreBits
        case .pruneLess: self = .pruneLess
        case .pruneMore: self = .pruneMore
        case .cycleStructure: self = .cycleStructure
        case .cycleClusters: self = .cycleClusters
        case .cycleGranularity: self = .cycleGranularity
        case .cycleScheme: self = .cycleScheme
        case .cycleRecovery: self = .cycleRecovery
        case .cycleGrid: self = .cycleGrid
        case .cyclePruneMethod: self = .cyclePruneMethod
        default: return nil
        }
    }

    /// The bit-width ladder ←/→ walk: float32 → fp16 → 8 → 7 → … → 1. The 16-bit step is
    /// IEEE half precision (fp16), the common 16-bit deployment format.
    public static let bitLadder: [WeightFormat] = [.float32, .fp16] + (1...8).reversed().map { .integer($0) }
    /// The cluster counts `c` cycles through after "off".
    public static let clusterCycle: [Int] = [256, 64, 16, 8, 4, 2]
    /// Pruning steps of `[` and `]`.
    public static let pruneStep = 0.05
    /// The largest pruning ratio (a ratio must stay below 1).
    public static let maxPrune = 0.95

    /// The outcome of an edit: new settings and a note for the status line, or a refusal.
    public enum Outcome: Sendable, Equatable {
        case changed(LayerSettings, note: String?)
        case refused(String)
    }

    /// - Parameter layer: the layer edited, when known: cycles skip the states it cannot take.
    public func apply(to settings: LayerSettings, layer: WeightLayer? = nil) -> Outcome {
        var s = settings
        switch self {
        case .fewerBits, .moreBits:
            return stepBits(s, down: self == .fewerBits)
        case .pruneLess, .pruneMore:
            if s.structure == .twoFour {
                return .refused("2:4 always removes half of the weights; press p for another structure")
            }
            let target = Self.roundedRatio(s.prune + (self == .pruneMore ? Self.pruneStep : -Self.pruneStep))
            let clamped = min(max(target, 0), Self.maxPrune)
            if clamped == s.prune {
                return .refused(self == .pruneMore ? "pruning is at its maximum (95%)" : "pruning is already off")
            }
            s.prune = clamped
            var note: String?
            if clamped > 0, s.isLowRank {
                s.rank = nil
                note = "low-rank removed: a low-rank layer cannot also be pruned"
            }
            return .changed(s, note: note)
        case .cycleStructure:
            let all = PruneStructure.allCases
            let next = all[((all.firstIndex(of: s.structure) ?? 0) + 1) % all.count]
            s.structure = next
            var notes: [String] = []
            if next == .twoFour {
                s.prune = 0.5
            } else if settings.structure == .twoFour {
                s.prune = 0.5  // keep the amount 2:4 removed, now with the new structure
            }
            if s.isPruned, s.isLowRank {
                s.rank = nil
                notes.append("low-rank removed: a low-rank layer cannot also be pruned")
            }
            if !s.isPruned { notes.append("structure \(next.rawValue): set a ratio with ]") }
            return .changed(s, note: notes.isEmpty ? nil : notes.joined(separator: "; "))
        case .cycleClusters:
            let cycle: [Int?] = [nil] + Self.clusterCycle.map { Optional($0) }
            let index = cycle.firstIndex(of: s.clusters) ?? 0
            let next = cycle[(index + 1) % cycle.count]
            var notes: [String] = []
            if let next {
                if s.clusters == nil, s.bits != .float32 {
                    notes.append("weight sharing replaces \(Self.bitsLabel(s.bits)) quantization")
                }
                s.clusters = next
                s.bits = .float32
                if s.isLowRank {
                    s.rank = nil
                    notes.append("low-rank removed: a low-rank layer cannot share weights")
                }
            } else {
                s.clusters = nil
                s.shareGroup = nil
                notes.append("weight sharing off: weights stay float32")
            }
            return .changed(s, note: notes.isEmpty ? nil : notes.joined(separator: "; "))
        case .cycleGranularity:
            guard s.isUniformlyQuantized else {
                return .refused("granularity applies to integer bits (1–8); press ← to quantize")
            }
            s.granularity = s.granularity == .perChannel ? .perTensor : .perChannel
            return .changed(s, note: nil)
        case .cycleScheme:
            guard s.isUniformlyQuantized else {
                return .refused("the scheme applies to integer bits (1–8); press ← to quantize")
            }
            if s.grid != .uniform {
                return .refused("\(s.grid.rawValue) levels are symmetric; press f for the uniform grid first")
            }
            s.scheme = s.scheme == .symmetric ? .asymmetric : .symmetric
            return .changed(s, note: nil)
        case .cycleRecovery:
            return cycleRecovery(s, layer: layer)
        case .cycleGrid:
            guard s.isUniformlyQuantized, case .integer(let bits) = s.bits else {
                return .refused("grids apply to integer bits (1–8); press ← to quantize")
            }
            let usable = WeightGrid.allCases.filter { grid in
                var candidate = s
                candidate.grid = grid
                if grid != .uniform { candidate.scheme = .symmetric; candidate.range = .minmax }
                return candidate.conflict == nil
            }
            guard usable.count > 1 else {
                return .refused("only the uniform grid at \(bits) bits (nf4 needs 4, pow2 2–8)")
            }
            let next = usable[((usable.firstIndex(of: s.grid) ?? 0) + 1) % usable.count]
            var note: String?
            if next != .uniform && (s.scheme != .symmetric || s.range != .minmax) {
                note = "\(next.rawValue) is symmetric with absmax scales: scheme and range reset"
                s.scheme = .symmetric
                s.range = .minmax
            }
            s.grid = next
            return .changed(s, note: note)
        case .cyclePruneMethod:
            guard s.isPruned else { return .refused("nothing is pruned; press ] for a ratio or p for 2:4") }
            guard s.structure != .channel else { return .refused("SparseGPT prunes single weights, not channels") }
            guard !s.isShared else { return .refused("SparseGPT cannot be combined with weight sharing") }
            s.pruneMethod = s.pruneMethod == .magnitude ? .sparsegpt : .magnitude
            return .changed(s, note: s.pruneMethod == .sparsegpt ? "SparseGPT calibrates on the first samples" : nil)
        }
    }

    /// rtn → gptq → gptq + bias correction → rtn + bias correction → rtn (GPTQ only with integer bits).
    private func cycleRecovery(_ settings: LayerSettings, layer: WeightLayer?) -> Outcome {
        guard settings.changesWeights else { return .refused("nothing to recover: the weights are not compressed") }
        let order: [(RoundingMethod, Bool)] = [(.rtn, false), (.gptq, false), (.gptq, true), (.rtn, true)]
        let states = order.map { method, bias -> LayerSettings in
            var s = settings
            s.method = method
            s.biasCorrection = bias
            return s
        }.filter { s in
            s.conflict == nil && (s.method == .rtn || s.isUniformlyQuantized)
                && (layer.map { s.problem(for: $0) == nil } ?? true)
        }
        guard states.count > 1 else {
            let reason = layer.flatMap { layer in
                states.isEmpty ? nil : LayerSettings.recoveryProblem(settings, layer: layer)
            }
            return .refused("no recovery method applies here" + (reason.map { ": " + $0 } ?? ""))
        }
        let current = states.firstIndex { $0.method == settings.method && $0.biasCorrection == settings.biasCorrection } ?? 0
        return .changed(states[(current + 1) % states.count], note: nil)
    }

    /// One step along the ladder from the layer's current effective bit-width.
    private func stepBits(_ settings: LayerSettings, down: Bool) -> Outcome {
        var s = settings
        let ladder = Self.bitLadder
        let current = Self.effectiveBits(settings)
        // The ladder position is the first rung at or below the current width (going down
        // from a width not on the ladder, e.g. 12 or bf16, lands on the next rung below).
        let target: WeightFormat?
        if down {
            target = ladder.first { Self.width($0) < current }
        } else {
            target = ladder.last { Self.width($0) > current }
        }
        guard let target else {
            return .refused(down ? "already at 1 bit, the fewest" : "already float32, the most bits")
        }
        var notes: [String] = []
        if let k = s.clusters {
            notes.append("weight sharing (\(k) clusters) off: now \(Self.bitsLabel(target))")
            s.clusters = nil
            s.shareGroup = nil
        }
        s.bits = target
        return .changed(s, note: notes.isEmpty ? nil : notes.joined(separator: "; "))
    }

    /// Bits a stored weight takes: float32 32 (with bf16 just below fp16 so the ladder
    /// still moves), integer b, sharing ceil(log2 k).
    static func effectiveBits(_ s: LayerSettings) -> Double {
        if let k = s.clusters { return Double(SizeModel.indexBits(clusters: k)) }
        return width(s.bits)
    }

    static func width(_ format: WeightFormat) -> Double {
        switch format {
        case .float32: return 32
        case .fp16: return 16
        case .bf16: return 15.5
        case .integer(let b): return Double(b)
        }
    }

    /// "float32", "fp16", "bf16", "8-bit".
    public static func bitsLabel(_ format: WeightFormat) -> String {
        switch format {
        case .float32: return "float32"
        case .fp16: return "fp16"
        case .bf16: return "bf16"
        case .integer(let b): return "\(b)-bit"
        }
    }

    /// Ratios kept on the 5% grid without binary drift (0.1 + 0.05 = 0.15000000000000002).
    static func roundedRatio(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}

extension LayerSettings {
    /// Why neither GPTQ nor bias correction applies to `layer` under `settings` (the first reason found).
    static func recoveryProblem(_ settings: LayerSettings, layer: WeightLayer) -> String? {
        var gptq = settings
        gptq.method = .gptq
        var corrected = settings
        corrected.biasCorrection = true
        return (gptq.problem(for: layer) ?? corrected.problem(for: layer)).map(\.message)
    }
}
