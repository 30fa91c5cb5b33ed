/// Data-free sensitivity of a weights-only checkpoint (`lathe sensitivity FILE.safetensors|.gguf`):
/// per layer the SQNR of per-channel symmetric min–max quantization at each bit-width, the
/// outlier measures that explain a low one (excess kurtosis, max|w|/std), and with a target
/// average a suggested bit-width per layer (`BitAllocation`).
public struct CheckpointSensitivity: Sendable {
    public struct Layer: Sendable {
        public var tensor: CheckpointTensor
        public var profile: TensorProfile
        public var suggestedBits: Int?
    }

    public var format: WeightCheckpoint.Format
    public var bits: [Int]
    public var targetBits: Double?
    public var layers: [Layer]

    public init(checkpoint: WeightCheckpoint, bits: [Int], targetBits: Double?) throws {
        format = checkpoint.format
        self.bits = bits
        self.targetBits = targetBits
        let tensors = checkpoint.layerTensors
        let profiles = CheckpointScan.profiles(tensors, sqnrBits: bits)
        layers = zip(tensors, profiles).compactMap { tensor, profile in
            profile.map { Layer(tensor: tensor, profile: $0, suggestedBits: nil) }
        }
        if let targetBits {
            let suggested = try BitAllocation.suggest(params: layers.map(\.tensor.count),
                                                      sqnrDB: layers.map(\.profile.sqnrDB), offered: bits,
                                                      targetBits: targetBits)
            for i in layers.indices { layers[i].suggestedBits = suggested[i] }
        }
    }

    /// The param-weighted SQNR with every layer at `bits`.
    public func weightedSQNR(bits: Int) -> Double {
        BitAllocation.weightedSQNR(params: layers.map(\.tensor.count), sqnrDB: layers.map { $0.profile.sqnrDB[bits] ?? .infinity })
    }

    /// The param-weighted SQNR and average bits of the suggestion (nil without a target).
    public var suggestion: (averageBits: Double, sqnrDB: Double)? {
        guard targetBits != nil else { return nil }
        let chosen = layers.map { $0.suggestedBits ?? 32 }
        let params = layers.map(\.tensor.count)
        return (BitAllocation.averageBits(params: params, bits: chosen),
                BitAllocation.weightedSQNR(params: params, sqnrDB: zip(layers, chosen).map { $0.profile.sqnrDB[$1] ?? .infinity }))
    }

    public static let definition = "sqnr_db: 10·log10(Σw²/Σ(w−ŵ)²), ŵ symmetric per-channel (axis 0) min–max at each "
        + "bit-width (null when exact); weighted_sqnr_db: −10·log10(Σ p·10^(−SQNR/10) / Σ p), p = layer params; "
        + "suggested_bits: from the fewest bits, greedily raise the layer with the largest drop of 10^(−SQNR/10) per "
        + "added bit while the param-weighted average stays ≤ target_bits"

    public func json(model: String) -> JSONValue {
        let suggestion = self.suggestion
        let entries: [JSONValue] = layers.map { layer in
            .object([
                ("name", .string(layer.tensor.name)),
                ("dtype", .string(layer.tensor.encoding.typeName)),
                ("shape", .array(layer.tensor.shape.map { .int($0) })),
                ("params", .int(layer.tensor.count)),
                ("sqnr_db", .object(bits.map { (String($0), .double(layer.profile.sqnrDB[$0] ?? .nan)) })),
                ("excess_kurtosis", .double(layer.profile.excessKurtosis)),
                ("max_abs_over_std", .double(layer.profile.maxAbsOverStd)),
                ("outlier_ratio", .double(layer.profile.stats.outlierRatio)),
                ("suggested_bits", .number(layer.suggestedBits)),
            ])
        }
        return .object([
            ("model", .string(model)),
            ("format", .string(format.rawValue)),
            ("data_free", .bool(true)),
            ("levels", .object([("bits", .array(bits.map { .int($0) }))])),
            ("definition", .string(Self.definition)),
            ("weighted_sqnr_db", .object(bits.map { (String($0), .double(weightedSQNR(bits: $0))) })),
            ("target_bits", .number(targetBits)),
            ("average_bits", .number(suggestion?.averageBits)),
            ("suggested_weighted_sqnr_db", suggestion.map { .double($0.sqnrDB) } ?? .null),
            ("layers", .array(entries)),
        ])
    }
}
