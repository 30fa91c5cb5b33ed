import Foundation

/// Sensitivity on several evaluation sets: each set's own report (swept on its
/// own evaluator, cached under its own data hash and name), and `worst`, the
/// report the heatmap's default view, the table's score and the search read.
///
/// `worst` keeps a single report's layout: the first set's baseline, and at each
/// level the value which, against that baseline, degrades as much as the set
/// that degrades most there (`ScoreMetric.value(degradation:baseline:)`), so
/// `degradation(baseline, value)` is the worst drop over the sets (up to
/// rounding) and scores follow as for one set. A level is there only once
/// every set has it. With one set, `worst` is that set's report.
public struct SensitivitySets: Sendable, Equatable {
    public var names: [String]
    /// In `names` order; while a sweep runs, only the sets started so far.
    public var reports: [SensitivityReport]

    public init(names: [String], reports: [SensitivityReport]) {
        self.names = names
        self.reports = reports
    }

    public var worst: SensitivityReport {
        guard names.count > 1, var result = reports.first, let metric = result.baseline.metric else {
            return reports.first ?? SensitivityReport(baseline: .init(
                metric: nil, value: nil, samples: 0, model: "", modelHash: "", data: nil, dataHash: nil, method: "",
                levels: SensitivityLevels(), layerOrder: []), layers: [])
        }
        let reference = Self.reference(result.baseline)
        for index in result.layers.indices {
            let name = result.layers[index].name
            var layer = SensitivityReport.Layer(name: name)
            layer.sqnrDB = result.layers[index].sqnrDB
            layer.notApplicable = result.layers[index].notApplicable
            for level in result.baseline.levels.entries {
                guard let (set, drop) = worstSet(layer: name, at: level), let reference else { continue }
                layer.set(metric.value(degradation: drop, baseline: reference), at: level)
                // A level stopped early on the set losing most: its bound, as the same loss from the first baseline.
                let source = reports[set]
                if let partial = source.layer(named: name)?.partial[level],
                   let setReference = Self.reference(source.baseline) {
                    let loss = metric.degradation(baseline: setReference, value: partial.bound)
                    layer.partial[level] = .init(samples: partial.samples,
                                                 bound: metric.value(degradation: loss, baseline: reference))
                }
            }
            result.layers[index] = layer
        }
        result.updateScores()
        return result
    }

    /// The largest degradation over the sets of `layer` at `level`, and which set (nil unless every set has it).
    public func worstDegradation(layer: String, at level: SensitivityLevel) -> Double? {
        worstSet(layer: layer, at: level)?.degradation
    }

    public func worstSet(layer: String, at level: SensitivityLevel) -> (set: Int, degradation: Double)? {
        guard reports.count == names.count else { return nil }
        var worst: (set: Int, degradation: Double)?
        for (index, report) in reports.enumerated() {
            guard let drop = report.degradation(layer: layer, at: level) else { return nil }
            if worst.map({ drop > $0.degradation }) ?? true { worst = (index, drop) }
        }
        return worst
    }

    /// The baseline degradations are measured from (an SQNR baseline is +∞, stored as null).
    static func reference(_ baseline: SensitivityReport.Baseline) -> Double? {
        baseline.value ?? (baseline.metric == .sqnr ? .infinity : nil)
    }

    /// `lathe sensitivity --json` with several sets: the worst report's keys, plus
    /// `sets` (each set's own report by name) and `worst` (per layer and level, the
    /// set that degrades most). One set: the single report as before.
    public func renderJSON() -> String {
        guard names.count > 1 else { return reports.first?.renderJSON() ?? "{}\n" }
        guard case .object(var pairs) = worst.jsonValue else { return worst.renderJSON() }
        pairs.append(("sets", .object(zip(names, reports).map { ($0, $1.jsonValue) })))
        let levels = reports[0].baseline.levels.entries
        pairs.append(("worst", .object(reports[0].layers.map { layer in
            (layer.name, .object(levels.compactMap { level in
                worstSet(layer: layer.name, at: level).map { (level.jsonKey, .string(names[$0.set])) }
            }))
        })))
        return JSONValue.object(pairs).rendered(.file) + "\n"
    }
}

extension SensitivityReport {
    /// How much worse than the baseline `layer` is at `level` (nil when not measured).
    public func degradation(layer name: String, at level: SensitivityLevel) -> Double? {
        guard let metric = baseline.metric, let reference = SensitivitySets.reference(baseline),
              let value = layer(named: name)?.value(at: level) else { return nil }
        return metric.degradation(baseline: reference, value: value)
    }
}

extension SensitivityLevel {
    /// "bits 4", "prune 0.5", "clusters 16": how `SensitivitySets.renderJSON` names a level.
    var jsonKey: String { phaseLabel }
}

extension ScoreMetric {
    /// The value whose degradation from `baseline` is `degradation` (the inverse of `degradation(baseline:value:)`).
    public func value(degradation: Double, baseline: Double) -> Double {
        switch loss {
        case .points: return baseline - degradation
        case .decibels:
            let noise = Self.noisePower(baseline) + degradation
            return noise > 0 ? -10 * log10(noise) : .infinity
        case .relative:
            guard baseline > 0 else { return degradation > 0 ? .infinity : baseline }
            return baseline * (1 + degradation)
        }
    }
}
