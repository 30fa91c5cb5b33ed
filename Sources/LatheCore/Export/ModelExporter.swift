import Foundation

/// What an export of a compressed model did: per layer how its weight is stored, the notes (what could
/// not be stored as asked, an opset raise), and the checks run on the written file before it replaced
/// anything.
public struct ExportReport: Sendable {
    public struct Layer: Sendable, Equatable {
        public var name: String
        public var storage: String
    }

    public var format: ExportFormat
    public var layers: [Layer] = []
    public var notes: [String] = []
    /// The opset the file was raised from and to, when int4 storage needed it.
    public var opsetRaise: (from: Int, to: Int)?
    public var size: ExportSizeCheck?
    /// The metric check on each evaluation set, in the order given (empty without data).
    public var sets: [ExportSetCheck] = []
    /// The first set's check (what a single `--data` verifies).
    public var metric: ExportMetricCheck? { sets.first?.check }
    public var fileBytes = 0
    public var originalFileBytes = 0
    public var buildSeconds = 0.0
    public var verifySeconds = 0.0
}

/// Writes a compressed ONNX model from the input file and a plan, built from the graph Lathe runs
/// (BatchNormalization folded where Lathe folds it) with everything else of the file kept, then reloads
/// the written file with Lathe's engine and checks it before renaming it into place (`AtomicFile`): the
/// bytes of every layer (`ExportSizeCheck`) and, with an evaluator, the metric (`ExportMetricCheck`). A
/// failed check is an error and leaves nothing at the output path.
public enum ModelExporter {
    public struct Inputs: Sendable {
        public var modelPath: String
        public var outputPath: String
        public var format: ExportFormat
        public var plan: CompressionPlan
        /// The model bound to the evaluation data (or to its declared inputs without data).
        public var session: InferenceSession
        /// The evaluation set's evaluator: calibrates activation quantizers and verifies the metric.
        public var evaluator: PlanEvaluator?
        /// The plan's evaluation by `evaluator` (what `lathe eval --config` reports), to compare with.
        public var planned: PlanEvaluation?
        /// The first set's name, and the further evaluation sets the export is verified on as well.
        public var setName: String
        public var moreSets: [ExportVerificationSet]

        public init(modelPath: String, outputPath: String, format: ExportFormat, plan: CompressionPlan,
                    session: InferenceSession, evaluator: PlanEvaluator? = nil, planned: PlanEvaluation? = nil,
                    setName: String = "data", moreSets: [ExportVerificationSet] = []) {
            self.modelPath = modelPath
            self.outputPath = outputPath
            self.format = format
            self.plan = plan
            self.session = session
            self.evaluator = evaluator
            self.planned = planned
            self.setName = setName
            self.moreSets = moreSets
        }

        /// Every set the export is verified on, the first (the calibrating one) first.
        var verificationSets: [ExportVerificationSet] {
            guard let evaluator, let planned else { return [] }
            return [ExportVerificationSet(name: setName, evaluator: evaluator, planned: planned)] + moreSets
        }
    }

    /// `progress` receives a phase ("building", "verifying") and, while verifying, samples done and total.
    public static func export(_ inputs: Inputs,
                              progress: (@Sendable (_ phase: String, _ done: Int, _ total: Int) -> Void)? = nil)
        throws -> ExportReport {
        guard inputs.format.isModel else {
            throw LatheError.internalFailure("ModelExporter writes ONNX models, not \(inputs.format.rawValue)")
        }
        var report = ExportReport(format: inputs.format)
        let start = DispatchTime.now().uptimeNanoseconds
        progress?("building", 0, 0)
        let session = inputs.session
        // The form the evaluator runs, so the compressed weights are the very ones it measured.
        let plan = inputs.plan.canonical
        try plan.validate(layers: session.layers)
        let hasActivationBits = session.layers.contains { plan.settings(for: $0.name).activationBits != nil }
        if hasActivationBits && inputs.evaluator == nil {
            throw LatheError.badInput(file: inputs.modelPath, "the configuration quantizes activations (abits), "
                + "which are calibrated on data: give --data")
        }
        let quantizers = try inputs.evaluator?.activationQuantizers(for: plan) ?? [:]
        let needsCalibration = session.layers.contains { plan.settings(for: $0.name).needsCalibration }
        if needsCalibration && inputs.evaluator == nil {
            throw LatheError.badInput(file: inputs.modelPath, "the configuration uses GPTQ, SparseGPT or bias "
                + "correction, which are calibrated on data: give --data")
        }
        // With an evaluator: the very weights (and corrected biases) its evaluation runs.
        let compressed = try inputs.evaluator?.compressedWeights(plan)
            ?? Compressor.compress(weights: session.weights, layers: session.layers, plan: plan)

        let original = try FileInput.contents(of: inputs.modelPath)
        report.originalFileBytes = original.count
        var proto = try ONNXReader.parse(original, path: inputs.modelPath, keepUnknownFields: true)
        let opset = Int(proto.opsetImport.first { $0.domain.isEmpty || $0.domain == "ai.onnx" }?.version ?? 1)
        var editor = ProtoGraphEditor(proto.graph)
        try ExternalDataInlining.apply(&editor, modelPath: inputs.modelPath)

        // 4-bit containers need opset 21 and per-channel DequantizeLinear 13: raise only when needed and safe.
        let wantsInt4 = inputs.format == .qdq && session.layers.contains { layer in
            let settings = plan.settings(for: layer.name)
            // Uniform codes, and nf4 / pow2 indices (at most 16 levels at ≤ 4 bits).
            if case .integer(let bits) = settings.bits { return bits <= 4 && settings.isUniformlyQuantized }
            return false
        }
        let wantsAxis = inputs.format == .qdq && session.layers.contains { layer in
            let settings = plan.settings(for: layer.name)
            return settings.isUniformlyQuantized && settings.grid == .uniform && settings.granularity == .perChannel
        }
        var target = opset
        var int4Allowed = opset >= OpsetRaise.target
        if wantsInt4 && opset < OpsetRaise.target {
            if let blocker = OpsetRaise.blocker(in: proto.graph, opset: opset, target: OpsetRaise.target) {
                report.notes.append("4-bit weights stored in 8-bit containers: int4 needs opset 21, and this "
                    + "model's \(blocker) node (opset \(opset)) would change meaning if the opset were raised")
            } else {
                int4Allowed = true
                target = OpsetRaise.target
            }
        }
        if wantsAxis && target < 13 {
            if let blocker = OpsetRaise.blocker(in: proto.graph, opset: opset, target: 13) {
                throw LatheError.badInput(file: inputs.modelPath, "per-channel DequantizeLinear needs opset 13; "
                    + "this model uses opset \(opset) and its \(blocker) node would change meaning if raised "
                    + "(use granularity: per-tensor, or --format fake)")
            }
            target = 13
        }

        var encoding = try WeightEncoder.encode(.init(session: session, plan: plan, compressed: compressed,
                                                      format: inputs.format, int4Allowed: int4Allowed, opset: target))
        report.notes += encoding.notes
        if target > opset && (encoding.usesInt4 || (wantsAxis && opset < 13)) {
            OpsetRaise.raise(&proto, to: target)
            try OpsetRaise.convertNodes(&editor, from: opset, to: target)
            report.opsetRaise = (opset, target)
        } else {
            target = opset
        }

        var sites = try LayerSites.find(in: editor, session: session)
        let folded = try BatchNormAlignment.apply(&editor, sites: &sites, session: session)
        // Biases that bias correction changed replace the file's (or the folded) bias of the same name.
        let layerNames = Set(session.layers.map(\.name))
        let addedBiases = Set(session.layers.map { AddedBias.name(for: $0.name) })
        for (name, tensor) in compressed.sorted(by: { $0.key < $1.key })
        where !layerNames.contains(name) && !addedBiases.contains(name) {
            guard editor.initializerIndex(name) != nil else {
                throw LatheError.internalFailure("corrected bias '\(name)' is not an initializer of the exported graph")
            }
            editor.setInitializer(try ProtoBuild.tensor(name, tensor))
        }
        var codebookNames: [String: String] = [:]
        var namesByLayer: [String: [String]] = [:]
        for site in sites {
            let layer = site.layer
            var layerEncoding = encoding.layers[layer.name] ?? .unchanged
            if case .unchanged = layerEncoding, folded.contains(layer.name) {
                guard let deployed = session.weights[layer.name] else { continue }
                layerEncoding = .float(deployed.floats)
                encoding.layers[layer.name] = layerEncoding
            }
            namesByLayer[layer.name] = try QDQWeightRewriting.place(layerEncoding, site: site,
                                                                   codebooks: encoding.codebooks,
                                                                   codebookNames: &codebookNames, editor: &editor)
            report.layers.append(.init(name: layer.name, storage: layerEncoding.summary))
        }
        report.notes += try ActivationRewriting.apply(quantizers, sites: sites, format: inputs.format,
                                                      opset: target, editor: &editor)
        // Last, as it renames a MatMul's output (the key the rewritings above find its node by).
        try AddedBiasWriting.apply(compressed, sites: &sites, editor: &editor)
        editor.dropUnread()
        proto.graph = editor.graph
        if proto.irVersion < 4 {
            // Before IR version 4 every initializer is a graph input too.
            let listed = Set(proto.graph.input.map(\.name))
            for tensor in proto.graph.initializer where !listed.contains(tensor.name) {
                var input = Onnx_ValueInfoProto()
                input.name = tensor.name
                var type = Onnx_TypeProto.Tensor()
                type.elemType = tensor.dataType
                var shape = Onnx_TensorShapeProto()
                shape.dim = tensor.dims.map { var d = Onnx_TensorShapeProto.Dimension(); d.dimValue = $0; return d }
                type.shape = shape
                input.type.tensorType = type
                proto.graph.input.append(input)
            }
        }
        let data: Data
        do { data = try proto.serializedBytes() } catch {
            throw LatheError.internalFailure("cannot serialise the export: \(error)")
        }
        report.fileBytes = data.count
        report.buildSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9

        let verifyStart = DispatchTime.now().uptimeNanoseconds
        try AtomicFile.write(to: inputs.outputPath) { temporary in
            try AtomicFile.writeContents(data, at: temporary, naming: inputs.outputPath)
            progress?("verifying", 0, inputs.evaluator?.feedData.count ?? 0)
            report.size = try checkSize(temporary, encoding: encoding, names: namesByLayer, session: session, plan: plan)
            if let mismatch = report.size?.mismatches.first {
                throw LatheError.internalFailure("the export does not store what it should: \(mismatch)")
            }
            if inputs.verificationSets.isEmpty { _ = try reload(temporary, layout: nil, like: inputs) }
            for set in inputs.verificationSets {
                // Each set binds the file to its own arrays, as `lathe eval` binds the model.
                let reloaded = try reload(temporary, layout: set.evaluator.dataset.layout, like: inputs)
                let totals = try set.evaluator.scoreForeign(reloaded) { done, total in progress?("verifying", done, total) }
                let check = ExportMetricCheck.compare(planned: set.planned.totals, exported: totals,
                                                      metric: set.evaluator.scoring.metric)
                report.sets.append(ExportSetCheck(name: set.name, data: set.evaluator.dataset.path, check: check))
                if !check.passed {
                    let which = inputs.verificationSets.count > 1 ? " on set \(set.name)" : ""
                    throw LatheError.internalFailure("the exported model's \(check.metric.rawValue)\(which) is "
                        + "\(describe(check.exported)), the configuration's \(describe(check.planned)) "
                        + "(tolerance \(check.tolerance)); nothing was written")
                }
            }
        }
        report.verifySeconds = Double(DispatchTime.now().uptimeNanoseconds - verifyStart) / 1e9
        return report
    }

    private static func describe(_ value: Double?) -> String {
        value.map { String(format: "%.6g", $0) } ?? "undefined"
    }

    /// Reads the written file back with Lathe's reader and binds it like the input model.
    private static func reload(_ path: String, layout: DataLayout?, like inputs: Inputs) throws -> InferenceSession {
        do {
            let model = try ONNXReader.read(path: path)
            try OpRegistry.checkOpset(of: model)
            let layout = layout ?? .declared(by: model)
            return try InferenceSession(model: model, data: layout, output: inputs.session.outputName,
                                        outputBatchAxis: inputs.session.outputBatchAxis)
        } catch let error as LatheError {
            throw LatheError.internalFailure("the export cannot be read back by Lathe: \(error.message)")
        }
    }

    private static func checkSize(_ path: String, encoding: ExportEncoding, names: [String: [String]],
                                  session: InferenceSession, plan: CompressionPlan) throws -> ExportSizeCheck {
        let written = try FileInput.contents(of: path)
        let proto = try ONNXReader.parse(written, path: path)
        let bytes = ExportSizeCheck.initializerBytes(of: proto)
        let report = SizeModel.report(tensors: session.weights, layers: session.layers, plan: plan)
        var counted = Set<String>()
        var layers: [ExportSizeCheck.Layer] = []
        for layer in session.layers {
            guard let layerEncoding = encoding.layers[layer.name] else { continue }
            if case .unchanged = layerEncoding { continue }
            var codebook: [Float]?
            if case .codebook(let group, _) = layerEncoding, counted.insert(group).inserted {
                codebook = encoding.codebooks[group]
            }
            let expected = ExportSizeCheck.layoutBytes(layerEncoding, layer: layer,
                                                       settings: plan.settings(for: layer.name), codebook: codebook)
            let stored = (names[layer.name] ?? []).reduce(0) { $0 + (bytes[$1] ?? 0) }
            layers.append(.init(name: layer.name, sizeModelBytes: report.layer(named: layer.name)?.size.total ?? 0,
                                layoutBytes: expected, fileBytes: stored))
        }
        return ExportSizeCheck(layers: layers, fileBytes: written.count,
                               initializerBytes: bytes.values.reduce(0, +), sizeModelBytes: report.totalBytes)
    }
}
