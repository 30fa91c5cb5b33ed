import Foundation

/// `--format safetensors` for a weights-only checkpoint: the compressed weights as integer codes with
/// their scales, in a safetensors file any reader loads (README "Quantized safetensors").
///
/// Per compressed tensor NAME (uniform integer grids, 1–8 bits):
/// - `NAME`: the codes, `I8` (symmetric, 5–8 bits), `U8` (asymmetric, 5–8 bits), or `U8` holding two
///   4-bit codes a byte (1–4 bits): element 2j of each row (the last axis) in the low nibble of byte j,
///   2j + 1 in the high one, signed codes as 4-bit two's complement; the last axis is ⌈n/2⌉ bytes;
/// - `NAME.scale`: `F32`, one per output channel (`[out]`), or `[1]` per tensor;
/// - `NAME.zero_point`: `U8` of the same shape, asymmetric grids only;
/// - `W = (code − zero_point) · scale` in float32 along axis 0 gives Lathe's compressed weight exactly.
/// Other compressed tensors (fp16 / bf16 → `F16` / `BF16`; codebooks, nf4 / pow2, low rank, 9–16 bits,
/// pruning alone → `F32`) hold their compressed values. Unchanged tensors are copied as stored (GGUF block
/// types dequantized to `F32`). `__metadata__` holds `lathe.version`, `lathe.packing` and, per tensor,
/// `lathe.tensor.NAME` (JSON: storage, bits, scheme, granularity, shape).
///
/// Streams: the header is computed from the settings, then one tensor at a time is decoded, compressed
/// and written, so memory stays near the largest layer.
public enum QuantizedSafetensors {
    public static let packing = "int4: two codes a byte, low nibble first, along the last axis (rows padded "
        + "to whole bytes); signed codes in 4-bit two's complement"

    /// How one tensor of the checkpoint is written.
    enum Storage: Equatable {
        /// Copied byte for byte under this dtype name.
        case copy(String)
        /// GGUF blocks dequantized to F32.
        case dequantized
        /// GGUF blocks Lathe does not decode, as their bytes (`U8`, shape `[bytes]`).
        case rawBlocks(String)
        /// Compressed values as float (`F32`, `F16` or `BF16`).
        case compressedFloat(DType)
        /// Integer codes (+ scale, + zero point).
        case codes(bits: Int, asymmetric: Bool, perChannel: Bool)
    }

    public struct Summary: Sendable, Equatable {
        public var tensors: Int
        public var quantized: Int
        public var fileBytes: Int
        public var storedBytes: Int
    }

    static func storage(_ tensor: CheckpointTensor, settings: LayerSettings, isLayer: Bool,
                        fromGGUF: Bool) throws -> Storage {
        guard isLayer, settings.changesWeights else {
            switch tensor.encoding {
            case .float: return .copy(tensor.encoding.typeName)
            case .integer(let name): return .copy(name)
            case .blocks: return .dequantized
            case .unsupported(let name):
                // safetensors' own other dtypes (F64, F8_*) keep their name; ggml's k- and i-quant blocks,
                // which safetensors has no dtype for, go as their raw bytes (U8), the type in the metadata.
                return fromGGUF ? .rawBlocks(name) : .copy(name)
            }
        }
        switch settings.bits {
        case .fp16 where !settings.isShared: return .compressedFloat(.float16)
        case .bf16 where !settings.isShared: return .compressedFloat(.bfloat16)
        case .integer(let bits) where settings.isUniformlyQuantized && settings.grid == .uniform && !settings.isLowRank
            && bits <= 8:
            return .codes(bits: bits, asymmetric: settings.scheme == .asymmetric,
                          perChannel: settings.granularity == .perChannel)
        default: return .compressedFloat(.float32)
        }
    }

    static func entries(_ tensor: CheckpointTensor, storage: Storage) -> [SafetensorsWriter.Entry] {
        switch storage {
        case .copy(let dtype):
            return [.init(name: tensor.name, dtype: dtype, shape: tensor.shape, bytes: tensor.bytes)]
        case .dequantized:
            return [.init(name: tensor.name, dtype: "F32", shape: tensor.shape, bytes: 4 * tensor.count)]
        case .rawBlocks:
            return [.init(name: tensor.name, dtype: "U8", shape: [tensor.bytes], bytes: tensor.bytes)]
        case .compressedFloat(let dtype):
            let name = dtype == .float16 ? "F16" : dtype == .bfloat16 ? "BF16" : "F32"
            return [.init(name: tensor.name, dtype: name, shape: tensor.shape, bytes: dtype.byteSize * tensor.count)]
        case let .codes(bits, asymmetric, perChannel):
            let scales = perChannel ? tensor.shape[0] : 1
            var shape = tensor.shape
            if bits <= 4, let last = shape.last { shape[shape.count - 1] = (last + 1) / 2 }
            var result: [SafetensorsWriter.Entry] = [
                .init(name: tensor.name, dtype: bits > 4 && !asymmetric ? "I8" : "U8", shape: shape,
                      bytes: shape.reduce(1, *)),
                .init(name: tensor.name + ".scale", dtype: "F32", shape: [scales], bytes: 4 * scales),
            ]
            if asymmetric {
                result.append(.init(name: tensor.name + ".zero_point", dtype: "U8", shape: [scales], bytes: scales))
            }
            return result
        }
    }

    static func description(_ storage: Storage, tensor: CheckpointTensor) -> String {
        var members: [(String, JSONValue)]
        switch storage {
        case .copy(let dtype): members = [("storage", .string("copied")), ("dtype", .string(dtype))]
        case .dequantized: members = [("storage", .string("dequantized")), ("from", .string(tensor.encoding.typeName))]
        case .rawBlocks(let type): members = [("storage", .string("raw ggml blocks")), ("type", .string(type))]
        case .compressedFloat(let dtype): members = [("storage", .string("compressed values")), ("dtype", .string("\(dtype)"))]
        case let .codes(bits, asymmetric, perChannel):
            members = [("storage", .string(bits <= 4 ? "int4 packed" : "int8")), ("bits", .int(bits)),
                       ("scheme", .string(asymmetric ? "asymmetric" : "symmetric")),
                       ("granularity", .string(perChannel ? "per-channel" : "per-tensor"))]
        }
        members.append(("shape", .array(tensor.shape.map { .int($0) })))
        // One line: the pretty-printed JSON with its line breaks and indentation folded away.
        return JSONValue.object(members).rendered(.file).split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }

    /// Writes `checkpoint` compressed by `plan` to `path` (atomically: a temporary file renamed into place).
    public static func write(checkpoint: WeightCheckpoint, plan: CompressionPlan, to path: String,
                             progress: ((Int, Int) -> Void)? = nil) throws -> Summary {
        let evaluator = CheckpointEvaluator(checkpoint: checkpoint)
        try plan.validate(layers: evaluator.layers)
        let layerNames = Set(evaluator.layers.map(\.name))
        for layer in evaluator.layers {
            let settings = plan.settings(for: layer.name)
            if settings.needsCalibration || settings.activationBits != nil {
                throw LatheError.badInput(file: checkpoint.path, "layer \(layer.name): \(settings.needsCalibration ? settings.calibrationUse : "abits") "
                    + "needs data, which a weights-only checkpoint has none of")
            }
        }
        var storages: [Storage] = []
        var entries: [SafetensorsWriter.Entry] = []
        var metadata: [(String, String)] = [("lathe.version", LatheVersion.string), ("lathe.packing", packing),
                                            ("lathe.formula", "W = (code - zero_point) * scale, per row of axis 0")]
        for tensor in checkpoint.tensors {
            let storage = try storage(tensor, settings: plan.settings(for: tensor.name), isLayer: layerNames.contains(tensor.name),
                                      fromGGUF: checkpoint.format == .gguf)
            storages.append(storage)
            entries += Self.entries(tensor, storage: storage)
            metadata.append(("lathe.tensor." + tensor.name, description(storage, tensor: tensor)))
        }
        var seen = Set<String>()
        for entry in entries where !seen.insert(entry.name).inserted {
            throw LatheError.badInput(file: checkpoint.path, "the checkpoint already has a tensor named \(entry.name), "
                + "which the quantized file writes for another one")
        }
        var quantized = 0
        try AtomicFile.write(to: path) { temporary in
            var writer = try SafetensorsWriter(path: temporary, entries: entries, metadata: metadata)
            for (index, (tensor, storage)) in zip(checkpoint.tensors, storages).enumerated() {
                switch storage {
                case .copy, .rawBlocks:
                    var start = tensor.byteRange.lowerBound
                    while start < tensor.byteRange.upperBound {
                        let end = min(start + (1 << 22), tensor.byteRange.upperBound)
                        try writer.append(Data(tensor.file.bytes(start..<end)))
                        tensor.file.release(start..<end)
                        start = end
                    }
                    try writer.finishTensor()
                case .dequantized:
                    guard let weight = evaluator.weight(named: tensor.name) ?? decodeWhole(tensor) else {
                        throw LatheError.internalFailure("\(tensor.name) could not be decoded")
                    }
                    try writer.append(floatBytes(weight.floats, dtype: .float32))
                    try writer.finishTensor()
                case .compressedFloat(let dtype):
                    let compressed = try compress(tensor, evaluator: evaluator, plan: plan).compressed
                    try writer.append(floatBytes(compressed.floats, dtype: dtype))
                    try writer.finishTensor()
                case let .codes(bits, _, _):
                    let (original, compressed, layer) = try compress(tensor, evaluator: evaluator, plan: plan)
                    let reading = try Compressor.quantizedWeight(original: original, compressed: compressed, layer: layer,
                                                                 settings: plan.settings(for: tensor.name))
                    guard case .exact(let weight) = reading else {
                        throw LatheError.internalFailure("layer \(tensor.name): its compressed values have no integer form")
                    }
                    try writer.append(codeBytes(weight, bits: bits))
                    try writer.finishTensor()
                    try writer.append(floatBytes(weight.scales, dtype: .float32))
                    try writer.finishTensor()
                    if !weight.signed {
                        try writer.append(Data(weight.zeroPoints.map { UInt8(clamping: $0) }))
                        try writer.finishTensor()
                    }
                    quantized += 1
                }
                progress?(index + 1, checkpoint.tensors.count)
            }
            try writer.close()
        }
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        return Summary(tensors: checkpoint.tensors.count, quantized: quantized, fileBytes: fileBytes,
                       storedBytes: checkpoint.storedBytes)
    }

    private static func decodeWhole(_ tensor: CheckpointTensor) -> Tensor? {
        guard tensor.encoding.isDecodable else { return nil }
        var values = [Float](repeating: 0, count: tensor.count)
        values.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress { tensor.decode(0..<tensor.count, into: base) }
        }
        tensor.release(0..<tensor.count)
        return Tensor(shape: tensor.shape, floats: values)
    }

    private static func compress(_ tensor: CheckpointTensor, evaluator: CheckpointEvaluator,
                                 plan: CompressionPlan) throws -> (original: Tensor, compressed: Tensor, layer: WeightLayer) {
        guard let original = evaluator.weight(named: tensor.name) else {
            throw LatheError.internalFailure("\(tensor.name) is not a layer")
        }
        let layer = CheckpointEvaluator.layer(tensor)
        let compressed = try Compressor.compress(original, layer: layer, settings: plan.settings(for: tensor.name))
        return (original, compressed, layer)
    }

    /// Row-major codes: one byte each (int8 / uint8), or two 4-bit codes a byte along each row.
    static func codeBytes(_ weight: QuantizedWeight, bits: Int) -> Data {
        guard bits <= 4 else { return Data(weight.codes.map { UInt8(truncatingIfNeeded: $0) }) }
        let row = weight.shape.last ?? weight.codes.count
        let rows = row == 0 ? 0 : weight.codes.count / row
        let packedRow = (row + 1) / 2
        var bytes = [UInt8](repeating: 0, count: rows * packedRow)
        for r in 0..<rows {
            for j in 0..<row {
                let nibble = UInt8(truncatingIfNeeded: weight.codes[r * row + j]) & 0x0F
                bytes[r * packedRow + j / 2] |= j % 2 == 0 ? nibble : nibble << 4
            }
        }
        return Data(bytes)
    }

    /// Little-endian float32, float16 or bfloat16 (round to nearest even) bytes.
    static func floatBytes(_ values: [Float], dtype: DType) -> Data {
        switch dtype {
        case .float16:
            let bits = values.map { Float16($0).bitPattern.littleEndian }
            return bits.withUnsafeBytes { Data($0) }
        case .bfloat16:
            let bits = values.map { bfloat16Bits($0).littleEndian }
            return bits.withUnsafeBytes { Data($0) }
        default:
            let bits = values.map { $0.bitPattern.littleEndian }
            return bits.withUnsafeBytes { Data($0) }
        }
    }

    /// bfloat16 of an (already bf16-exact) float: the upper half, rounded to nearest even.
    static func bfloat16Bits(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
        return UInt16((bits &+ rounding) >> 16)
    }
}
