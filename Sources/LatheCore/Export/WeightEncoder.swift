/// Decides how each layer's compressed weight is stored (`WeightEncoding`) from the Compressor's output.
///
/// Integer codes are read off the compressed values with the grids the quantizer used
/// (`Compressor.quantizedWeight`), so the file dequantizes to exactly the weights Lathe evaluated; a
/// layer whose values are not on those grids falls back to its float32 values, with a note. nf4 / pow2
/// levels are read the same way into indices and per-block scales (`LevelWeight`).
enum WeightEncoder {
    struct Context {
        var session: InferenceSession
        var plan: CompressionPlan
        /// `Compressor.compress` of the plan: compressed weights by layer name.
        var compressed: [String: Tensor]
        var format: ExportFormat
        /// Whether 4-bit containers may be used (the opset is, or may be raised to, 21).
        var int4Allowed: Bool
        /// The model's default-domain opset after any raise.
        var opset: Int
    }

    static func encode(_ context: Context) throws -> ExportEncoding {
        var encoding = ExportEncoding()
        var groupMembers: [String: [String]] = [:]
        for layer in context.session.layers {
            let settings = context.plan.settings(for: layer.name)
            guard settings.changesWeights else {
                encoding.layers[layer.name] = .unchanged
                continue
            }
            if layer.op.holdsIntegers {
                throw LatheError.badInput("layer \(layer.name): \(layer.op.rawValue) reads integers directly; "
                    + "exporting a changed dynamically quantized layer is not supported (leave it unchanged)")
            }
            guard let compressed = context.compressed[layer.name], let original = context.session.weights[layer.name]
            else { throw LatheError.internalFailure("layer \(layer.name) has no compressed weight") }
            let values = compressed.floats
            if context.format == .fake {
                encoding.layers[layer.name] = .float(values)
                continue
            }
            if settings.isShared {
                let group = settings.shareGroup.map { "group " + $0 } ?? layer.name
                groupMembers[group, default: []].append(layer.name)
                encoding.layers[layer.name] = .float(values)  // replaced below once the group's codebook is known
                continue
            }
            if settings.isLowRank {
                encoding.layers[layer.name] = LowRankEncoding.encoding(
                    layer: layer, original: original, compressed: compressed, settings: settings,
                    int4Allowed: context.int4Allowed, opset: context.opset, notes: &encoding.notes)
                continue
            }
            switch settings.bits {
            case .fp16, .bf16:
                let dtype: DType = settings.bits == .fp16 ? .float16 : .bfloat16
                if dtype == .bfloat16 && context.opset < 13 {
                    encoding.notes.append("layer \(layer.name): bf16 stored as float32 (a Cast from bfloat16 needs opset 13)")
                    encoding.layers[layer.name] = .float(values)
                } else {
                    encoding.layers[layer.name] = .half(values, dtype: dtype)
                }
            case .float32:
                encoding.layers[layer.name] = .float(values)
            case .integer(let bits):
                encoding.layers[layer.name] = integerEncoding(layer: layer, bits: bits, original: original,
                                                              compressed: compressed, settings: settings,
                                                              int4Allowed: context.int4Allowed, notes: &encoding.notes)
            }
        }
        for (group, members) in groupMembers.sorted(by: { $0.key < $1.key }) {
            var distinct = Set<UInt32>()
            for name in members {
                if case .float(let values)? = encoding.layers[name] { for v in values { distinct.insert((v == 0 ? 0 : v).bitPattern) } }
            }
            guard distinct.count <= 256 else {
                encoding.notes.append("\(group): \(distinct.count) distinct values do not fit uint8 indices; "
                    + "stored as float32")
                continue
            }
            let codebook = distinct.map { Float(bitPattern: $0) }.sorted()
            var index: [UInt32: UInt8] = [:]
            for (i, v) in codebook.enumerated() { index[v.bitPattern] = UInt8(i) }
            encoding.codebooks[group] = codebook
            for name in members {
                guard case .float(let values)? = encoding.layers[name] else { continue }
                let indices = values.map { index[(($0 == 0) ? 0 : $0).bitPattern] ?? 0 }
                encoding.layers[name] = .codebook(group: group, indices: indices)
            }
        }
        return encoding
    }

    private static func integerEncoding(layer: WeightLayer, bits: Int, original: Tensor, compressed: Tensor,
                                        settings: LayerSettings, int4Allowed: Bool,
                                        notes: inout [String]) -> WeightEncoding {
        guard bits <= 8 else {
            notes.append("layer \(layer.name): \(bits)-bit weights stored as float32 (DequantizeLinear takes "
                + "16-bit integers only from opset 21)")
            return .float(compressed.floats)
        }
        let reading: QuantizedWeightReading
        do {
            reading = try Compressor.quantizedWeight(original: original, compressed: compressed, layer: layer,
                                                     settings: settings)
        } catch {
            notes.append("layer \(layer.name): no integer form (\(error)); stored as float32")
            return .float(compressed.floats)
        }
        switch reading {
        case .exact(let weight):
            let small = bits <= 4 && int4Allowed
            let dtype: DType = weight.signed ? (small ? .int4 : .int8) : (small ? .uint4 : .uint8)
            return .integer(weight, dtype: dtype)
        case .notUniform:
            guard settings.grid != .uniform else { return .float(compressed.floats) }
            // nf4 / pow2: indices into the unit levels times each block's scale.
            let reading: (weight: LevelWeight?, problem: String?)
            do {
                reading = try LevelWeight.reading(original: original, compressed: compressed, layer: layer,
                                                  settings: settings)
            } catch {
                notes.append("layer \(layer.name): no level form (\(error)); stored as float32")
                return .float(compressed.floats)
            }
            guard let weight = reading.weight else {
                notes.append("layer \(layer.name): its compressed values are not on its \(settings.grid.rawValue) "
                    + "levels (\(reading.problem ?? "off its levels")); stored as float32 (fake quantization)")
                return .float(compressed.floats)
            }
            return .levels(weight, dtype: weight.unitLevels.count <= 16 && int4Allowed ? .uint4 : .uint8)
        case .offGrid(let problem):
            notes.append("layer \(layer.name): its compressed values are not on the quantizer's grids "
                + "(\(problem)); stored as float32 (fake quantization)")
            return .float(compressed.floats)
        }
    }
}
