import ArgumentParser
import Foundation
import LatheCore

/// `lathe inspect`: every weight layer with its shape, size, MACs, statistics and histogram.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List a model's weight layers: shape, parameters, MACs, statistics and histogram.",
        discussion: """
            With --config, every layer also shows the settings the configuration gives it and its \
            size under them (payload, scales, zero-points, codebook, sparse index), with the totals \
            and the compression ratio.
            """
    )

    @Argument(help: "The model (.onnx), or a weights-only checkpoint (.safetensors, model.safetensors.index.json, .gguf).")
    var model: String

    @Option(help: "Evaluation data whose sample shape sizes the MACs (needed when the model input has symbolic dimensions).")
    var data: String?

    @Option(help: "Name of the model output the graph is built for (default: the first output).")
    var output: String?

    @OptionGroup var labelsOption: LabelsOption

    @Option(help: "Compression configuration (v1, YAML or JSON) whose per-layer settings and sizes to show.")
    var config: String?

    @Option(help: "Histogram bins per layer.")
    var bins: Int = Histogram.defaultBins

    @Flag(help: "Print the results as JSON.")
    var json = false

    func validate() throws {
        guard (1...100_000).contains(bins) else { throw ValidationError("--bins must be between 1 and 100000, got \(bins)") }
    }

    func run() throws {
        try InputFiles.checkReadable(model, what: "model")
        if WeightCheckpoint.format(of: model) != nil {
            try inspectCheckpoint()
            return
        }
        // The configuration is checked before the (slower) model loading.
        let compression = try config.map(ConfigApplication.read)
        let loadedModel = try Loading.model(model)
        try Loading.checkOutput(output, of: loadedModel, path: model)
        let session: InferenceSession
        if let data {
            let dataset = try Loading.dataset(data, labels: labelsOption.labels, for: loadedModel)
            session = try Loading.session(loadedModel, path: model, data: dataset, output: output)
        } else {
            session = try Loading.sessionWithoutData(loadedModel, path: model, output: output)
        }
        let summary = try ModelSummary(session: session, bins: bins)
        if let config, let compression {
            let plan = try ConfigApplication.plan(compression, for: session)
            let sizes = ConfigSizeSummary(config: config, plan: plan, session: session, model: summary)
            print(json ? sizes.json(model: model).rendered() : sizes.text(model: model))
        } else {
            print(json ? summary.json(model: model).rendered() : summary.text(model: model))
        }
    }
}

extension InspectCommand {
    /// Weights only: there is no graph, so data, outputs and MACs do not apply.
    func inspectCheckpoint() throws {
        if data != nil || output != nil || labelsOption.labels != nil || config != nil {
            throw LatheError.badInput(file: model, "is a weights-only checkpoint: --data, --output, --labels and --config "
                + "need a model graph (ONNX); inspect it without them")
        }
        let checkpoint = try WeightCheckpoint.open(path: model)
        let summary = CheckpointSummary(checkpoint: checkpoint, bins: bins)
        print(json ? summary.json(model: model).rendered() : summary.text(model: model))
    }
}

/// Per-layer facts of a loaded model, as `lathe inspect` reports them.
struct ModelSummary {
    struct Layer {
        var layer: WeightLayer
        var stats: WeightStats
        var histogram: Histogram
    }

    var layers: [Layer]
    /// Elements of every deployed floating-point weight and bias tensor.
    var totalParams: Int
    /// MACs per sample summed over the weight layers.
    var totalMACs: Int
    /// Uncompressed deployment size (`SizeModel.baselineBytes`).
    var sizeBytes: Int

    init(session: InferenceSession, bins: Int) throws {
        layers = try session.layers.map { layer in
            guard let weight = session.weights[layer.name] else {
                throw LatheError.internalFailure("layer \(layer.name) has no deployed weight tensor")
            }
            return Layer(layer: layer, stats: WeightStats(weight), histogram: Histogram(weight, bins: bins))
        }
        totalParams = session.weights.values.filter(\.isFloat).reduce(0) { $0 + $1.count }
        totalMACs = session.layers.reduce(0) { $0 + $1.macs }
        sizeBytes = SizeModel.baselineBytes(of: session.weights, layers: session.layers)
    }

    func json(model: String) -> JSONValue {
        .object([
            ("model", .string(model)),
            ("layers", .array(layers.map(layerJSON))),
            ("total_params", .int(totalParams)),
            ("total_macs", .int(totalMACs)),
            ("size_bytes", .int(sizeBytes)),
        ])
    }

    /// One layer's entry: name, op, shape, params, MACs, statistics and histogram; for an integer
    /// weight behind DequantizeLinear also `stored` (type, bits, scheme, granularity, bytes).
    func layerJSON(_ entry: Layer) -> JSONValue {
        let s = entry.stats
        var members: [(String, JSONValue)] = [
            ("name", .string(entry.layer.name)),
            ("op", .string(entry.layer.op.rawValue)),
            ("shape", .array(entry.layer.shape.map { .int($0) })),
            ("params", .int(entry.layer.params)),
            ("macs", .int(entry.layer.macs)),
            ("stats", .object([
                ("min", .double(s.min)),
                ("max", .double(s.max)),
                ("mean", .double(s.mean)),
                ("std", .double(s.std)),
                ("sparsity", .double(s.sparsity)),
                ("outlier_ratio", .double(s.outlierRatio)),
            ])),
            ("histogram", .object([
                ("edges", .array(entry.histogram.edges.map { .double($0) })),
                ("counts", .array(entry.histogram.counts.map { .int($0) })),
            ])),
        ]
        if let stored = entry.layer.stored { members.append(("stored", Self.storedJSON(stored))) }
        return .object(members)
    }

    static func storedJSON(_ stored: StoredQuantization) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("dtype", .string(stored.dtype.rawValue)),
            ("bits", .int(stored.bits)),
            ("scheme", .string(stored.scheme.rawValue)),
            ("granularity", .string(stored.granularity.name)),
        ]
        switch stored.granularity {
        case .perTensor: break
        case .perChannel(let axis): members.append(("axis", .int(axis)))
        case .blocked(let axis, let size): members += [("axis", .int(axis)), ("block_size", .int(size))]
        }
        members.append(("bytes", .object([
            ("payload", .int(stored.size.payload)),
            ("scales", .int(stored.size.scales)),
            ("zero_points", .int(stored.size.zeroPoints)),
            ("total", .int(stored.size.total)),
        ])))
        return .object(members)
    }

    func text(model: String) -> String {
        // Already-quantized models get a column with each weight's stored type, scheme and granularity.
        let quantized = layers.contains { $0.layer.stored != nil }
        var rows: [[String]] = [["layer", "op"] + (quantized ? ["stored"] : [])
            + ["shape", "params", "MACs", "min", "max", "std", "zeros", "outliers", "histogram"]]
        for entry in layers {
            let s = entry.stats
            let stored = entry.layer.stored?.summary ?? "float"
            rows.append([entry.layer.name, entry.layer.op.rawValue] + (quantized ? [stored] : []) + [
                TextFormatting.shape(entry.layer.shape),
                TextFormatting.grouped(entry.layer.params), TextFormatting.grouped(entry.layer.macs),
                TextFormatting.decimal(s.min), TextFormatting.decimal(s.max), TextFormatting.decimal(s.std),
                TextFormatting.percent(s.sparsity), TextFormatting.percent(s.outlierRatio),
                TextFormatting.sparkline(entry.histogram.counts),
            ])
        }
        let table = TextFormatting.table(rows, rightAligned: Set([3, 4, 5, 6, 7, 8, 9].map { quantized ? $0 + 1 : $0 }))
        let totals = TextFormatting.table([
            ["layers", String(layers.count)],
            ["total params", TextFormatting.grouped(totalParams)],
            ["total MACs", TextFormatting.grouped(totalMACs) + " per sample"],
            ["size", "\(TextFormatting.bytes(sizeBytes)) (\(TextFormatting.grouped(sizeBytes)) bytes)"],
        ])
        return "\(model)\n\n\(table)\n\n\(totals)"
    }
}
