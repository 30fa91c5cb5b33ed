/// A low-rank layer stored as its two factors (`LowRankFactors`, the very ones the Compressor multiplies):
/// per block A [rows, k] and B [k, columns], each as float32, float16/bfloat16 + Cast, or integer codes
/// behind per-row (or per-tensor) DequantizeLinear, and the weight the layer's node reads rebuilt in the
/// graph as MatMul(A, B), laid out to the weight's shape (Reshape, or Reshape–Transpose–Reshape when the
/// channel axis is not the first; Concat of the directions of a recurrent weight). The layer's own node
/// (Gemm, MatMul, 1×1 Conv, LSTM/GRU/RNN with its attributes and bias) is kept as it is.
///
/// onnxruntime multiplies the factors in float32 where Lathe accumulates in float64 before rounding, so
/// the weights agree up to float rounding, not bit for bit. When factors would not be smaller than the
/// product, or cannot be stored as asked, the product is stored as float32, with a note.
struct LowRankEncoding: Sendable {
    var factors: LowRankFactors
    /// Per block: how A and B are stored (`.float`, `.half` or `.integer`).
    var a: [WeightEncoding]
    var b: [WeightEncoding]

    var summary: String {
        let inner = a.first?.summary ?? "float32"
        return "rank \(factors.rank) factors (\(inner)) + MatMul"
    }

    /// The layer's encoding: its factors, or its product as float32 with a note saying why.
    static func encoding(layer: WeightLayer, original: Tensor, compressed: Tensor, settings: LayerSettings,
                         int4Allowed: Bool, opset: Int, notes: inout [String]) -> WeightEncoding {
        func product(_ why: String) -> WeightEncoding {
            notes.append("layer \(layer.name): low-rank product stored as float32 (not as two factors: \(why))")
            return .float(compressed.floats)
        }
        guard opset >= 5 else { return product("Reshape takes its shape as an input only from opset 5") }
        let factors: LowRankFactors
        do {
            guard let made = try LowRankFactors(weight: original, layer: layer, settings: settings) else {
                return product("the rank kept is the full rank")
            }
            factors = made
        } catch {
            return product("\(error)")
        }
        // The file must hold what Lathe evaluated: the factors' product is the compressed weight.
        guard factors.product() == compressed.floats else { return product("its factors do not give the evaluated weight") }
        var a: [WeightEncoding] = [], b: [WeightEncoding] = []
        for block in 0..<factors.count {
            let shapes = [[factors.rows, factors.rank], [factors.rank, factors.columns]]
            let raws = [factors.rawA[block], factors.rawB[block]]
            let encodeds = [factors.a[block], factors.b[block]]
            var pair: [WeightEncoding] = []
            for (shape, (raw, encoded)) in zip(shapes, zip(raws, encodeds)) {
                switch factorEncoding(raw: raw, encoded: encoded, shape: shape, settings: settings,
                                      int4Allowed: int4Allowed, opset: opset) {
                case .success(let encoding): pair.append(encoding)
                case .failure(let problem): return product(problem.message)
                }
            }
            a.append(pair[0])
            b.append(pair[1])
        }
        let encoding = LowRankEncoding(factors: factors, a: a, b: b)
        let factorBytes = encoding.layoutBytes(settings: settings)
        let productBytes = 4 * layer.params
        guard factorBytes < productBytes else {
            return product("its factors take \(factorBytes) bytes, the float32 product \(productBytes)")
        }
        return .lowRank(encoding)
    }

    struct Problem: Error { var message: String }

    private static func factorEncoding(raw: [Float], encoded: [Float], shape: [Int], settings: LayerSettings,
                                       int4Allowed: Bool, opset: Int) -> Result<WeightEncoding, Problem> {
        switch settings.bits {
        case .float32:
            return .success(.float(encoded))
        case .fp16:
            return .success(.half(encoded, dtype: .float16))
        case .bf16:
            guard opset >= 13 else { return .failure(Problem(message: "a Cast from bfloat16 needs opset 13")) }
            return .success(.half(encoded, dtype: .bfloat16))
        case .integer(let bits):
            guard bits <= 8 else {
                return .failure(Problem(message: "DequantizeLinear takes 16-bit integers only from opset 21"))
            }
            guard settings.grid == .uniform else {
                return .failure(Problem(message: "\(settings.grid.rawValue) factors have no DequantizeLinear form"))
            }
            let grids = UniformQuantizer.grids(raw, shape: shape, channelAxis: 0, settings: settings)
            let axis = settings.granularity == .perChannel ? 0 : nil
            let reading = QuantizedWeight.reading(encoded, shape: shape, grids: grids, axis: axis, bits: bits)
            guard let weight = reading.weight else {
                return .failure(Problem(message: "a factor is off its grid (\(reading.problem ?? "off its grid"))"))
            }
            let small = bits <= 4 && int4Allowed
            let dtype: DType = weight.signed ? (small ? .int4 : .int8) : (small ? .uint4 : .uint8)
            return .success(.integer(weight, dtype: dtype))
        }
    }

    /// A factor as a stand-alone weight (channel axis 0: one scale per row), for placing and sizing it.
    private static func factorLayer(_ name: String, shape: [Int]) -> WeightLayer {
        WeightLayer(name: name, op: .gemm, nodeName: "", shape: shape, channelAxis: 0, reductionAxis: 1, macs: 0)
    }

    /// Bytes the factors' storage calls for (`ExportSizeCheck`).
    func layoutBytes(settings: LayerSettings) -> Int {
        var total = 0
        for block in 0..<factors.count {
            total += ExportSizeCheck.layoutBytes(a[block], layer: Self.factorLayer("a", shape: [factors.rows, factors.rank]),
                                                 settings: settings, codebook: nil)
            total += ExportSizeCheck.layoutBytes(b[block], layer: Self.factorLayer("b", shape: [factors.rank, factors.columns]),
                                                 settings: settings, codebook: nil)
        }
        return total
    }

    /// Writes the factors and the nodes rebuilding the weight under `site.valueName`; returns the
    /// initializer names holding the factors.
    func place(site: LayerSite, editor: inout ProtoGraphEditor) throws -> [String] {
        let value = site.valueName
        let base = site.layer.name == value ? value : site.layer.name
        editor.removeDefinition(of: value)
        let shape = factors.shape
        let (rows, columns, k) = (factors.rows, factors.columns, factors.rank)
        var nodes: [Onnx_NodeProto] = []
        var factorSites: [(LayerSite, WeightEncoding)] = []

        func shapeConstant(_ dims: [Int], _ label: String) throws -> String {
            let name = editor.uniqueName(base + "_lowrank_" + label + "_shape")
            editor.setInitializer(try ProtoBuild.ints(name, dims.map(Int64.init), shape: [dims.count], dtype: .int64))
            return name
        }
        func reshape(_ input: String, to dims: [Int], output: String, _ label: String) throws {
            nodes.append(ProtoBuild.node("Reshape", name: editor.uniqueName(base + "_lowrank_Reshape"),
                                         inputs: [input, try shapeConstant(dims, label)], outputs: [output]))
        }

        var blockOutputs: [String] = []
        for block in 0..<factors.count {
            let suffix = factors.count > 1 ? "_\(block)" : ""
            let aName = editor.uniqueName(base + "_lowrank_a" + suffix)
            let bName = editor.uniqueName(base + "_lowrank_b" + suffix)
            factorSites.append((LayerSite(layer: Self.factorLayer(aName, shape: [rows, k]), valueName: aName,
                                          nodeKey: "", dataPosition: 0), a[block]))
            factorSites.append((LayerSite(layer: Self.factorLayer(bName, shape: [k, columns]), valueName: bName,
                                          nodeKey: "", dataPosition: 0), b[block]))
            let productName = editor.uniqueName(base + "_lowrank_product" + suffix)
            nodes.append(ProtoBuild.node("MatMul", name: editor.uniqueName(base + "_lowrank_MatMul" + suffix),
                                         inputs: [aName, bName], outputs: [productName]))
            blockOutputs.append(productName)
        }
        if factors.count > 1 {
            // Recurrent: the directions' matrices stacked along axis 0.
            var stacked: [String] = []
            for (block, product) in blockOutputs.enumerated() {
                let name = editor.uniqueName(base + "_lowrank_direction_\(block)")
                try reshape(product, to: [1, rows, columns], output: name, "direction_\(block)")
                stacked.append(name)
            }
            nodes.append(ProtoBuild.node("Concat", name: editor.uniqueName(base + "_lowrank_Concat"),
                                         inputs: stacked, outputs: [value], attributes: [ProtoBuild.intAttribute("axis", 0)]))
        } else if factors.layoutOuter == 1 {
            // Output channels first (Gemm transB, Conv, one-direction recurrent): only the shape differs.
            try reshape(blockOutputs[0], to: shape, output: value, "weight")
        } else {
            // Channels on a later axis (MatMul, Gemm without transB: [in, out]): the matrix is [rows, outer·inner].
            let outer = factors.layoutOuter, inner = factors.layoutInner
            let split = editor.uniqueName(base + "_lowrank_split")
            let moved = editor.uniqueName(base + "_lowrank_transposed")
            try reshape(blockOutputs[0], to: [rows, outer, inner], output: split, "split")
            var perm = Onnx_AttributeProto()
            perm.name = "perm"
            perm.type = .ints
            perm.ints = [1, 0, 2]
            nodes.append(ProtoBuild.node("Transpose", name: editor.uniqueName(base + "_lowrank_Transpose"),
                                         inputs: [split], outputs: [moved], attributes: [perm]))
            try reshape(moved, to: shape, output: value, "weight")
        }
        // The rebuilding nodes first, then the factors' decoders before them (prepend keeps it topological).
        editor.prepend(nodes)
        var names: [String] = []
        var noCodebooks: [String: String] = [:]
        for (factorSite, encoding) in factorSites {
            names += try QDQWeightRewriting.place(encoding, site: factorSite, codebooks: [:],
                                                  codebookNames: &noCodebooks, editor: &editor)
        }
        return names
    }
}
