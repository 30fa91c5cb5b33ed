import Foundation

/// The front `lathe search --pareto --json` writes, as far as the report needs it:
/// `{"metric": "top1" (or {"name": "top1", …}), "baseline": {"size_bytes", "value"},
/// "points": [{"size_bytes", "metric": {"name", "value"}, "config": {…}}]}`.
/// Other keys are ignored, so later additions to the format do not break reports.
public struct ParetoFront: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public var sizeBytes: Int
        public var value: Double
    }

    public var metric: ScoreMetric
    public var baselineSizeBytes: Int?
    public var baselineValue: Double?
    public var points: [Point]

    /// Parses `data` (the contents of `path`, named in errors).
    public static func parse(_ data: Data, path: String) throws -> ParetoFront {
        func bad(_ problem: String) -> LatheError {
            .badInput(file: path, "not a Pareto front of `lathe search --pareto --json`: \(problem)")
        }
        let document: JSONDocument
        do {
            document = try JSONDocument.parse([UInt8](data))
        } catch let error as JSONDocument.SyntaxError {
            throw bad("\(error.problem) at byte \(error.offset)")
        }
        guard let root = document.object else { throw bad("expected a JSON object") }
        // `lathe search --pareto --json` names the metric as a string; an object with a name is read too.
        guard let name = root["metric"]?.object?["name"]?.string ?? root["metric"]?.string else {
            throw bad("missing \"metric\": \"NAME\" or {\"name\": …}")
        }
        guard let metric = ScoreMetric(rawValue: name) else {
            throw bad("unknown metric \"\(name)\" (expected one of "
                + ScoreMetric.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        guard let entries = root["points"]?.array else { throw bad("missing \"points\": [...]") }
        var points: [Point] = []
        for (index, entry) in entries.enumerated() {
            guard let object = entry.object else { throw bad("points[\(index)] is not an object") }
            guard let size = object["size_bytes"]?.number, size >= 0, size == size.rounded(), size < 1e18 else {
                throw bad("points[\(index)].size_bytes must be a non-negative integer")
            }
            guard let pointMetric = object["metric"]?.object, let value = pointMetric["value"]?.number else {
                throw bad("points[\(index)].metric.value must be a number")
            }
            if let pointName = pointMetric["name"]?.string, pointName != name {
                throw bad("points[\(index)] is scored by \(pointName), the front by \(name)")
            }
            points.append(Point(sizeBytes: Int(size), value: value))
        }
        let baseline = root["baseline"]?.object
        return ParetoFront(metric: metric, baselineSizeBytes: baseline?["size_bytes"]?.number.flatMap { Int(exactly: $0) },
                           baselineValue: baseline?["value"]?.number, points: points)
    }
}
