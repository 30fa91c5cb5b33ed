/// `--format llama-tensor-types`: llama.cpp's `llama-quantize --tensor-type NAME=TYPE` arguments, one
/// line per layer of a weights-only checkpoint, each layer's setting mapped to the nearest ggml type
/// at least as precise. llama.cpp quantizes in blocks of 32 (or 256) weights with their own scales,
/// never per channel, so only the float settings are exact; every other setting is listed in the
/// header with what it became.
///
/// NAME is the tensor's name regex-escaped and anchored (`^blk\.0\.attn_q\.weight$`): llama-quantize
/// matches its patterns with `std::regex_search`, so a bare `output.weight` would also select
/// `blk.0.attn_output.weight`.
public enum LlamaTensorTypes {
    /// The ggml type a layer's settings become, and whether that is exact.
    public struct Mapping: Sendable, Equatable {
        public var type: String
        public var exact: Bool
        /// What has no llama.cpp equivalent (empty when exact).
        public var reason: String
    }

    /// Maps one layer's settings; `rowLength` decides whether a k-quant (rows of 256) can hold it, and
    /// `stored` is the ggml type an unchanged tensor keeps.
    public static func mapping(_ settings: LayerSettings, rowLength: Int, stored: String) -> Mapping {
        guard settings.changesWeights else { return Mapping(type: stored, exact: true, reason: "") }
        var lost: [String] = []
        if settings.isPruned {
            lost.append(settings.structure == .twoFour ? "2:4 pruning" : "\(settings.structure.rawValue) pruning")
        }
        if settings.isLowRank { lost.append("low rank") }
        let kQuant = rowLength % 256 == 0
        var type: String
        if let clusters = settings.clusters {
            lost.append("\(clusters)-entry codebook")
            // A codebook of k entries carries ceil(log2 k) bits a weight.
            var bits = 1
            while (1 << bits) < clusters { bits += 1 }
            type = integerType(bits: bits, asymmetric: false, kQuant: kQuant)
        } else {
            switch settings.bits {
            case .float32: type = "f32"
            case .fp16: type = "f16"
            case .bf16: type = "bf16"
            case .integer(let bits):
                switch settings.grid {
                case .nf4:
                    // ggml's own non-linear 4-bit grid: 16 levels, one fp16 scale per 32 weights.
                    type = "iq4_nl"
                    lost.append("nf4 levels")
                case .pow2:
                    type = integerType(bits: bits, asymmetric: false, kQuant: kQuant)
                    lost.append("pow2 levels")
                case .uniform:
                    type = integerType(bits: bits, asymmetric: settings.scheme == .asymmetric, kQuant: kQuant)
                    lost.append("\(bits)-bit \(settings.scheme.rawValue) \(settings.granularity.rawValue)")
                }
                if settings.range != .minmax { lost.append("range \(settings.range.rawValue)") }
                if settings.method != .rtn { lost.append("method \(settings.method.rawValue)") }
            }
        }
        return Mapping(type: type, exact: lost.isEmpty, reason: lost.joined(separator: ", "))
    }

    /// The ggml type of fewest bits per weight whose codes are at least as fine as b-bit integers:
    /// a b-bit type of 32-weight blocks (finer scales than one per channel), a k-quant of the same bits
    /// where the rows allow, 8 bits up to 8, then half precision (11 significant bits) and float.
    static func integerType(bits: Int, asymmetric: Bool, kQuant: Bool) -> String {
        switch bits {
        case ...2: return kQuant ? "q2_k" : (asymmetric ? "q4_1" : "q4_0")
        case 3: return kQuant ? "q3_k" : (asymmetric ? "q4_1" : "q4_0")
        case 4: return asymmetric ? "q4_1" : "q4_0"
        case 5: return asymmetric ? "q5_1" : "q5_0"
        case 6: return kQuant ? "q6_k" : "q8_0"
        case 7, 8: return "q8_0"
        case 9...11: return "f16"
        default: return "f32"
        }
    }

    /// The ggml name of a tensor's stored type (what an unchanged layer keeps).
    static func storedType(_ tensor: CheckpointTensor) -> String {
        tensor.encoding.typeName.lowercased()
    }

    /// `name` with regex metacharacters escaped and anchored at both ends.
    public static func pattern(_ name: String) -> String {
        let special = Set("\\^$.|?*+()[]{}")
        return "^" + name.map { special.contains($0) ? "\\\($0)" : String($0) }.joined() + "$"
    }

    /// The whole file: a header of comments (what it is for, how names map, every inexact setting and what
    /// it became) and one `--tensor-type` line per layer.
    public static func render(checkpoint: WeightCheckpoint, plan: CompressionPlan) -> String {
        var lines = ["# llama-quantize arguments written by lathe export --format llama-tensor-types",
                     "# use: llama-quantize $(grep -v '^#' THIS_FILE) MODEL.gguf OUT.gguf TYPE",
                     "# names are regex-escaped and anchored: llama-quantize searches them as regular expressions"]
        if checkpoint.format != .gguf {
            lines.append("# names are the safetensors tensor names: the GGUF names depend on the model's architecture "
                + "(convert_hf_to_gguf.py renames them, e.g. model.layers.0.self_attn.q_proj.weight -> "
                + "blk.0.attn_q.weight); rename them before use")
        }
        var entries: [String] = []
        var inexact: [(setting: String, type: String, reason: String, count: Int)] = []
        for tensor in checkpoint.layerTensors {
            let settings = plan.settings(for: tensor.name)
            let mapping = mapping(settings, rowLength: tensor.rowLength, stored: storedType(tensor))
            entries.append("--tensor-type \(pattern(tensor.name))=\(mapping.type)")
            guard !mapping.exact else { continue }
            let setting = ConfigWriter.settingValues(settings).map { "\($0.key) \($0.value.plain)" }.joined(separator: ", ")
            if let index = inexact.firstIndex(where: { $0.setting == setting && $0.type == mapping.type }) {
                inexact[index].count += 1
            } else {
                inexact.append((setting, mapping.type, mapping.reason, 1))
            }
        }
        if inexact.isEmpty {
            lines.append("# every setting has an exact llama.cpp equivalent")
        } else {
            lines.append("# settings with no exact llama.cpp equivalent (llama.cpp scales blocks of 32 or 256 weights, "
                + "not channels, and has no pruning, codebooks or low rank), mapped to the nearest type at least as precise:")
            for entry in inexact {
                lines.append("#   {\(entry.setting)} -> \(entry.type) (\(entry.count) tensor\(entry.count == 1 ? "" : "s"); "
                    + "no equivalent for: \(entry.reason))")
            }
        }
        return (lines + entries).joined(separator: "\n") + "\n"
    }
}
