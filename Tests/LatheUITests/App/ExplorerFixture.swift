import Foundation
import LatheCore
@testable import LatheUI

/// A small synthetic model for reducer and view tests: MobileNet-like layer names and
/// shapes, weights from a fixed formula (so statistics and histograms are LatheCore's
/// real output on known data), engine and sweep reports with fixed numbers.
enum ExplorerFixture {
    static let shapes: [(String, String, [Int])] = [
        ("stem.conv.weight", "Conv", [16, 1, 3, 3]),
        ("blocks.0.depthwise.weight", "Conv", [16, 1, 3, 3]),
        ("blocks.0.pointwise.weight", "Conv", [32, 16, 1, 1]),
        ("blocks.1.depthwise.weight", "Conv", [32, 1, 3, 3]),
        ("blocks.1.pointwise.weight", "Conv", [48, 32, 1, 1]),
        ("blocks.2.depthwise.weight", "Conv", [48, 1, 3, 3]),
        ("blocks.2.pointwise.weight", "Conv", [64, 48, 1, 1]),
        ("blocks.3.depthwise.weight", "Conv", [64, 1, 3, 3]),
        ("blocks.3.pointwise.weight", "Conv", [96, 64, 1, 1]),
        ("classifier.weight", "Gemm", [10, 96]),
    ]

    static var weightLayers: [WeightLayer] {
        shapes.map { name, op, shape in
            // The stem has no bias (bias correction gives it one).
            WeightLayer(name: name, op: op == "Gemm" ? .gemm : .conv, nodeName: "", shape: shape, channelAxis: 0,
                        reductionAxis: 1, groups: name.contains("depthwise") ? shape[0] : 1,
                        biasName: name == "stem.conv.weight" ? nil : name.replacingOccurrences(of: "weight", with: "bias"),
                        macs: shape.reduce(1, *) * 49)
        }
    }

    /// Deterministic bell-shaped weights: a sum of three "uniform" sequences.
    static func weights(count: Int, seed: Int) -> [Float] {
        (0..<count).map { i in
            var total: Float = 0
            for k in 1...3 {
                let phase = Double(i * (2 * k + 1) + seed * 7 + k * 13)
                total += Float(sin(phase * 12.9898) * 43758.5453).truncatingRemainder(dividingBy: 1)
            }
            return total * 0.1
        }
    }

    static var layers: [LayerInfo] {
        shapes.enumerated().map { index, entry in
            let params = entry.2.reduce(1, *)
            let values = weights(count: params, seed: index)
            return LayerInfo(name: entry.0, op: entry.1, shape: entry.2, params: params, stats: WeightStats(values),
                             histogram: Histogram(values), baselineBytes: params * 4, layer: weightLayers[index])
        }
    }

    static let session = SessionInfo(modelPath: "samples/mobilenet/model.onnx", modelName: "mobilenet/model.onnx",
                                     dataPath: "samples/mobilenet/data.npz", dataName: "data.npz", samples: 2000,
                                     labelled: true, output: "probabilities")

    /// A fresh explorer state; `started` runs the initial effects' bookkeeping (the first
    /// layer's marks asked for), as the binary does before the first key.
    static func state(width: Int = 80, height: Int = 24, exportPath: String = "mobilenet.lathe.yaml",
                      started: Bool = true) -> AppState {
        var state = AppState(session: session, layers: layers, plan: .identity(layers: weightLayers),
                             themeNames: ["default", "light", "high-contrast", "mono"], exportPath: exportPath,
                             size: TerminalSize(width: width, height: height))
        if started { _ = Explorer.initialEffects(&state) }
        return state
    }

    /// An engine report for the state's current plan: sizes from LatheCore's size model.
    static func engine(for state: AppState, value: Double?, done: Int, final: Bool, baseline: Double = 0.9615,
                       job: JobProgress? = nil) -> EngineStatus {
        let tensors = Dictionary(uniqueKeysWithValues: state.layers.map {
            ($0.name, Tensor(shape: $0.shape, floats: [Float](repeating: 0, count: $0.params)))
        })
        let report = SizeModel.report(tensors: tensors, layers: weightLayers, plan: state.plan)
        var sizes: [String: TensorSize] = [:]
        for cost in report.layers { sizes[cost.name] = cost.size }
        let change = value.map { $0 - baseline }
        return EngineStatus(revision: state.planRevision, value: value, change: change,
                            changeInterval: change.map { ($0 - 0.012)...($0 + 0.009) }, samplesDone: done,
                            samplesTotal: 2000, isFinal: final, baselineValue: baseline, sizeBytes: report.totalBytes,
                            baselineBytes: report.baselineBytes, compressionRatio: report.compressionRatio,
                            layerSizes: sizes, job: job)
    }

    static let sweepLevels: [SensitivityLevel] = [.bits(8), .bits(6), .bits(4), .bits(3), .bits(2), .prune(0.5)]

    /// A finished sweep: later layers a little less sensitive, 2 bits hurting most.
    static func sensitivity() -> SensitivityData {
        var layers: [String: SensitivityData.Layer] = [:]
        for (i, entry) in shapes.enumerated() {
            var cells: [SensitivityLevel: SensitivityData.Cell] = [:]
            let fragility = 1.0 / Double(i + 1)
            let drops: [SensitivityLevel: Double] = [.bits(8): 0, .bits(6): 0.001, .bits(4): 0.01 * fragility,
                                                     .bits(3): 0.05 * fragility, .bits(2): 0.4 * fragility,
                                                     .prune(0.5): 0.02 * fragility]
            for level in sweepLevels {
                let drop = drops[level] ?? 0
                cells[level] = .init(value: 0.9615 - drop, loss: drop)
            }
            layers[entry.0] = .init(cells: cells, score: (0.4 + 0.02) / 2 * fragility)
        }
        return SensitivityData(baseline: 0.9615, levels: sweepLevels, layers: layers, isComplete: true)
    }

    /// Applies actions in order, collecting every effect.
    @discardableResult
    static func run(_ state: inout AppState, _ actions: [Action]) -> [Effect] {
        actions.flatMap { Explorer.update(&state, $0) }
    }

    /// Key actions from a compact script: each character a key, except the names in braces
    /// ("{Left}", "{Enter}", "{Esc}", "{Ctrl-R}").
    static func keys(_ script: String) -> [Action] {
        var actions: [Action] = []
        var rest = Substring(script)
        while let c = rest.first {
            if c == "{", let end = rest.firstIndex(of: "}") {
                let name = String(rest[rest.index(after: rest.startIndex)..<end])
                if let key = KeyNames.parse(name) { actions.append(.key(key)) }
                rest = rest[rest.index(after: end)...]
            } else {
                actions.append(.key(.char(c)))
                rest = rest.dropFirst()
            }
        }
        return actions
    }

    static var temporaryDirectory: URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-ui-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
