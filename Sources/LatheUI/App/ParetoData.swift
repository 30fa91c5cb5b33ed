import LatheCore

/// The last search's measured Pareto front as the explorer shows it (translated
/// from LatheCore's `SearchOutcome`, which chose and measured every point).
public struct ParetoData: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        public var sizeBytes: Int
        public var value: Double
        /// How the search came to it ("knapsack ≤ 12000 B", "uniform int8").
        public var label: String
        public var plan: CompressionPlan

        public init(sizeBytes: Int, value: Double, label: String, plan: CompressionPlan) {
            self.sizeBytes = sizeBytes
            self.value = value
            self.label = label
            self.plan = plan
        }
    }

    public var metric: ScoreMetric
    /// The front by size: sizes strictly increasing, the metric strictly better at each step.
    public var points: [Point]
    /// Uniform int8, int4 and fp16 as measured by the search (marked on the chart).
    public var references: [Point]
    public var baselineBytes: Int
    /// The point the search chose for its budget (nil: the front only).
    public var chosen: Int?

    public init(metric: ScoreMetric, points: [Point], references: [Point], baselineBytes: Int, chosen: Int?) {
        self.metric = metric
        self.points = points
        self.references = references
        self.baselineBytes = baselineBytes
        self.chosen = chosen
    }

    public init(_ outcome: SearchOutcome) {
        func point(_ p: SearchPoint) -> Point { Point(sizeBytes: p.sizeBytes, value: p.value, label: p.label, plan: p.plan) }
        let front = outcome.paretoFront.map(point)
        self.init(metric: outcome.metric, points: front,
                  references: outcome.visited.filter { $0.label.hasPrefix("uniform ") }.map(point),
                  baselineBytes: outcome.baselineBytes,
                  chosen: outcome.constraint == .frontOnly ? nil : front.firstIndex { $0.plan == outcome.plan })
    }

    /// The point whose plan is `plan`, else the chosen one, else the first.
    func index(matching plan: CompressionPlan) -> Int {
        points.firstIndex { $0.plan == plan } ?? chosen ?? 0
    }
}
