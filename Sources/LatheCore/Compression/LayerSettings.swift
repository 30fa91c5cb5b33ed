/// How a layer's weights are stored (config key `bits`).
public enum WeightFormat: Sendable, Hashable {
    /// Keep the weights as they are (`bits: 32`).
    case float32
    /// Uniform integer quantization with 1–16 bits.
    case integer(Int)
    /// IEEE half precision, round to nearest even (`bits: fp16`).
    case fp16
    /// bfloat16, round to nearest even (`bits: bf16`).
    case bf16

    /// Bits one stored weight occupies; `float32` means "the stored dtype" and is resolved by the size model.
    public var bitsPerWeight: Int {
        switch self {
        case .float32: return 32
        case .integer(let bits): return bits
        case .fp16, .bf16: return 16
        }
    }

    /// Spelling in a configuration file.
    public var configValue: String {
        switch self {
        case .float32: return "32"
        case .integer(let bits): return String(bits)
        case .fp16: return "fp16"
        case .bf16: return "bf16"
        }
    }
}

/// Uniform quantization scheme (config key `scheme`).
public enum QuantizationScheme: String, Sendable, Hashable, CaseIterable {
    case symmetric, asymmetric
}

/// Whether one scale covers an output channel or the whole tensor (config key `granularity`).
public enum Granularity: String, Sendable, Hashable, CaseIterable {
    case perChannel = "per-channel"
    case perTensor = "per-tensor"
}

/// How the clipping range of uniform quantization is chosen (config key `range`).
public enum RangeMethod: String, Sendable, Hashable, CaseIterable {
    /// The standard definition: the full min/max of the surviving weights.
    case minmax
    /// The clipping ratio (100 candidates in [0.5, 1]) minimising the squared error.
    case mse
    /// Clip at a percentile of |w| (symmetric) or of w (asymmetric).
    case percentile
}

/// The levels integer quantization rounds to (config key `grid`).
public enum WeightGrid: String, Sendable, Hashable, CaseIterable {
    /// Evenly spaced levels (`QuantizationGrid`), chosen by scheme and range.
    case uniform
    /// NormalFloat4: 16 normal-quantile levels in [-1, 1] times the block's absmax (4 bits only).
    case nf4
    /// Zero and ±2^-k times the block's absmax, k = 0 … 2^(b-1) - 2 (2–8 bits).
    case pow2
}

/// How quantized values are chosen on the grid (config key `method`).
public enum RoundingMethod: String, Sendable, Hashable, CaseIterable {
    /// Round every weight to its nearest level independently.
    case rtn
    /// GPTQ: round column by column, spreading each rounding error over the columns not yet
    /// rounded through the inverse Hessian of the layer's calibration inputs (DESIGN.md).
    case gptq
}

/// How the pruned weights are chosen (config key `prune_method`).
public enum PruneMethod: String, Sendable, Hashable, CaseIterable {
    /// The standard definitions: smallest |w| (or L1 norms, or per group of four).
    case magnitude
    /// SparseGPT: chosen block by block by w²/[H⁻¹]ᵢᵢ², the survivors updated to absorb the error.
    case sparsegpt
}

/// Pruning structure (config key `structure`).
public enum PruneStructure: String, Sendable, Hashable, CaseIterable {
    /// The floor(p·n) smallest |w| of the layer.
    case unstructured
    /// The floor(p·C) output channels of smallest L1 norm.
    case channel
    /// Two of every four consecutive weights along the reduction axis.
    case twoFour = "2:4"
}

/// Everything one layer's compression is made of. A value type used as a cache
/// key, so two equal settings always produce the same compressed weights.
///
/// Fields that have no effect under the chosen format (e.g. `scheme` when
/// `bits` is 32 or `clusters` is set) are kept as they are — a UI may toggle a
/// format away and back — and ignored by the compressor and the size model;
/// `canonical` resets them, and it is what configuration files store.
public struct LayerSettings: Sendable, Hashable {
    public var bits: WeightFormat
    public var scheme: QuantizationScheme
    public var granularity: Granularity
    public var range: RangeMethod
    /// The percentile for `range: percentile`, in (0, 100].
    public var percentile: Double
    /// Pruning ratio 0 ≤ p < 1 for unstructured and channel pruning; 2:4 always removes half.
    public var prune: Double
    public var structure: PruneStructure
    /// Weight sharing with k clusters (2–256) instead of uniform quantization.
    public var clusters: Int?
    /// Layers naming the same group share one codebook fitted on their pooled weights.
    public var shareGroup: String?
    /// Low-rank fraction 0 < r ≤ 1 of the full rank; nil keeps the full rank.
    public var rank: Double?
    /// Activation bits of the layer's input (1–16); nil keeps float.
    public var activationBits: Int?
    /// The levels integer quantization rounds to.
    public var grid: WeightGrid = .uniform
    /// Nearest level per weight, or GPTQ's error-compensating order.
    public var method: RoundingMethod = .rtn
    /// Whether the bias absorbs the mean output error the compressed weights cause on calibration data.
    public var biasCorrection: Bool = false
    /// How pruned weights are chosen.
    public var pruneMethod: PruneMethod = .magnitude

    public static let defaultPercentile = 99.99

    public init(bits: WeightFormat = .float32, scheme: QuantizationScheme = .symmetric,
                granularity: Granularity = .perChannel, range: RangeMethod = .minmax,
                percentile: Double = LayerSettings.defaultPercentile, prune: Double = 0,
                structure: PruneStructure = .unstructured, clusters: Int? = nil, shareGroup: String? = nil,
                rank: Double? = nil, activationBits: Int? = nil, grid: WeightGrid = .uniform,
                method: RoundingMethod = .rtn, biasCorrection: Bool = false, pruneMethod: PruneMethod = .magnitude) {
        self.bits = bits
        self.scheme = scheme
        self.granularity = granularity
        self.range = range
        self.percentile = percentile
        self.prune = prune
        self.structure = structure
        self.clusters = clusters
        self.shareGroup = shareGroup
        self.rank = rank
        self.activationBits = activationBits
        self.grid = grid
        self.method = method
        self.biasCorrection = biasCorrection
        self.pruneMethod = pruneMethod
    }

    /// Settings that leave weights and activations exactly as they are.
    public static let identity = LayerSettings()

    /// Whether pruning removes anything (2:4 always does).
    public var isPruned: Bool { structure == .twoFour || prune > 0 }

    /// Whether the weights are replaced by codebook entries.
    public var isShared: Bool { clusters != nil }

    /// Whether uniform integer quantization applies (and so scheme, granularity and range matter).
    public var isUniformlyQuantized: Bool {
        if isShared { return false }
        if case .integer = bits { return true }
        return false
    }

    /// Whether a low-rank factorisation is requested at all (rank 1 keeps every singular value).
    public var isLowRank: Bool { (rank ?? 1) < 1 }

    /// Whether the weight tensor is changed.
    public var changesWeights: Bool {
        isPruned || isShared || isLowRank || bits != .float32
    }

    /// Whether compressing the layer needs statistics of its calibration inputs (GPTQ, bias correction).
    public var needsCalibration: Bool {
        (isUniformlyQuantized && method == .gptq) || (biasCorrection && changesWeights) || usesSparseGPT
    }

    /// Whether SparseGPT chooses the pruned weights.
    public var usesSparseGPT: Bool { isPruned && pruneMethod == .sparsegpt }

    /// What the calibration is for, in messages: "method gptq", "bias_correction" or both.
    public var calibrationUse: String {
        var uses: [String] = []
        if isUniformlyQuantized && method == .gptq { uses.append("method gptq") }
        if usesSparseGPT { uses.append("prune_method sparsegpt") }
        if biasCorrection { uses.append("bias_correction") }
        return uses.joined(separator: " with ")
    }

    /// Whether nothing at all changes, weights nor activations.
    public var isIdentity: Bool { !changesWeights && activationBits == nil }

    /// The same compression with every field that has no effect reset to its default.
    public var canonical: LayerSettings {
        var result = self
        if !isUniformlyQuantized {
            result.scheme = .symmetric
            result.granularity = .perChannel
            result.range = .minmax
            result.grid = .uniform
            result.method = .rtn
        }
        if !changesWeights { result.biasCorrection = false }
        if !isPruned { result.pruneMethod = .magnitude }
        if result.range != .percentile { result.percentile = LayerSettings.defaultPercentile }
        if isShared { result.bits = .float32 } else { result.shareGroup = nil }
        switch structure {
        case .twoFour: result.prune = 0.5
        case .unstructured, .channel:
            if prune <= 0 {
                result.prune = 0
                result.structure = .unstructured
            }
        }
        if !isLowRank { result.rank = nil }
        return result
    }
}

extension LayerSettings {
    /// A combination of fields that cannot be honoured, as a config key and a message (nil when consistent).
    /// Low-rank layers are stored as two dense factors, so pruning or sharing them is refused
    /// rather than silently sized and evaluated as something else.
    public var conflict: (key: String, message: String)? {
        if isLowRank && isPruned {
            return ("rank", "cannot be combined with prune/structure: a low-rank layer is stored as two dense factors")
        }
        if isLowRank && isShared {
            return ("rank", "cannot be combined with clusters: a low-rank layer is stored as two dense factors")
        }
        if shareGroup != nil && !isShared {
            return ("share_group", "needs clusters: K (the group's shared codebook size)")
        }
        if grid != .uniform {
            if case .integer(let b) = bits, !isShared {
                if grid == .nf4 && b != 4 { return ("grid", "nf4 has 16 levels: it needs bits: 4") }
                if grid == .pow2 && !(2...8).contains(b) { return ("grid", "pow2 needs bits: 2–8") }
            } else {
                return ("grid", "needs integer bits (1–16) without clusters")
            }
            if scheme != .symmetric {
                return ("grid", "\(grid.rawValue) levels are symmetric about zero: use scheme: symmetric")
            }
            if range != .minmax {
                return ("grid", "\(grid.rawValue) scales the levels by the block's absmax: use range: minmax")
            }
        }
        if method == .gptq && !isUniformlyQuantized {
            return ("method", "gptq rounds to an integer grid: it needs integer bits (1–16) without clusters")
        }
        if pruneMethod == .sparsegpt && isPruned {
            if structure == .channel {
                return ("prune_method", "sparsegpt prunes single weights: use structure unstructured or 2:4")
            }
            if isShared { return ("prune_method", "sparsegpt cannot be combined with clusters") }
            if isLowRank { return ("prune_method", "sparsegpt cannot be combined with rank") }
        }
        if method == .gptq && isLowRank {
            return ("method", "gptq cannot be combined with rank: the factors are quantized on their own")
        }
        return nil
    }
}
