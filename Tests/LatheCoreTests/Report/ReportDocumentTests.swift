import Foundation
import XCTest
@testable import LatheCore

/// `lathe report`'s document for samples/mobilenet under its stored 4-bit configuration, on the
/// first samples of its data: the metrics against the numpy/onnxruntime values stored in
/// samples/mobilenet/metrics.json, the sizes against the size model's rule written out here
/// (DESIGN.md, "Size model"), and the document's structure (one row, one histogram pair and one
/// heatmap row per layer), escaping and self-containment. Run in release:
/// `swift test -c release -Xswiftc -enable-testing --filter ReportDocumentTests`.
final class ReportDocumentTests: XCTestCase {
    static let bits = [2, 3, 4, 8]

    struct Fixture {
        var session: InferenceSession
        var evaluator: PlanEvaluator
        var plan: CompressionPlan
        var expected: SampleMetricsTests.Expected
    }

    static func mobilenet() throws -> Fixture {
        let folder = SampleReferenceTests.samplesDirectory.appendingPathComponent("mobilenet")
        let expected = try JSONDecoder().decode(SampleMetricsTests.Expected.self,
                                                from: Data(contentsOf: folder.appendingPathComponent("metrics.json")))
        let model = try ONNXReader.read(path: folder.appendingPathComponent("model.onnx").path)
        let dataset = try Dataset.load(path: folder.appendingPathComponent("data.npz").path).prefix(expected.samples)
        let session = try InferenceSession(model: model, data: dataset.layout)
        let evaluator = try PlanEvaluator(session: session, dataset: dataset,
                                          options: EvaluatorOptions(batchSize: 64, threads: 2, cacheCapacityBytes: 1 << 26))
        let text = try XCTUnwrap(expected.configs["bits4"]?.config, "metrics.json stores no bits4 configuration")
        let plan = try ConfigReader.parse(text, path: "metrics.json[bits4]").plan(for: session.layers)
        return Fixture(session: session, evaluator: evaluator, plan: plan, expected: expected)
    }

    static func content(_ f: Fixture) throws -> ReportContent {
        let sweep = try SensitivitySweep.run(evaluator: f.evaluator, request: SensitivityRequest(
            levels: SensitivityLevels(bits: bits), model: "samples/mobilenet/model.onnx", modelHash: "test"))
        let heatmap = ReportHeatmap(sensitivity: SensitivitySets(names: [""], reports: [sweep]), bits: bits)
        return try ReportCollector.collect(session: f.session, evaluator: f.evaluator, request: .init(
            modelFile: "samples/mobilenet/model.onnx", format: "ONNX, opset 14", dataFiles: ["samples/mobilenet/data.npz"],
            configFile: "bits4.yaml", plan: f.plan, heatmap: heatmap))
    }

    static func count(_ needle: String, in text: String) -> Int { text.components(separatedBy: needle).count - 1 }

    /// The `data-NAME="…"` values in document order.
    static func attributes(_ name: String, in html: String) -> [String] {
        html.components(separatedBy: " \(name)=\"").dropFirst().compactMap { $0.split(separator: "\"", maxSplits: 1,
                                                                                        omittingEmptySubsequences: false).first.map(String.init) }
    }

    func testMobileNetReportMatchesTheStoredMetricsAndTheSizeRule() throws {
        let f = try Self.mobilenet()
        let content = try Self.content(f)
        let html = ReportDocument.html(content)
        let layers = f.session.layers
        XCTAssertEqual(layers.count, 10)

        // Metrics: numpy/onnxruntime's top-1 of the uncompressed model and of the 4-bit plan, exactly
        // (counts of 256 samples).
        let none = try XCTUnwrap(f.expected.configs["none"]?.values["top1"] ?? nil)
        let bits4 = try XCTUnwrap(f.expected.configs["bits4"]?.values["top1"] ?? nil)
        XCTAssertEqual(content.summary.metric, .top1)
        XCTAssertEqual(content.summary.samples, f.expected.samples)
        XCTAssertEqual(try XCTUnwrap(content.summary.uncompressedValue) * 256, none * 256, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(content.plan.value) * 256, bits4 * 256, accuracy: 1e-9)
        XCTAssertTrue(html.contains("data-value=\"\(bits4)\""), "the plan's top-1 \(bits4) is not in the document")
        XCTAssertTrue(html.contains("data-uncompressed=\"\(none)\""))
        // The uniform int4 plan is the same configuration, fp32 the uncompressed model.
        let uniform = Dictionary(uniqueKeysWithValues: content.tradeoff.points.filter { $0.kind == .uniform }
            .map { ($0.label, $0) })
        XCTAssertEqual(Set(uniform.keys), ["fp32", "fp16", "int8", "int4"])
        XCTAssertEqual(try XCTUnwrap(uniform["int4"]?.value), bits4, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(uniform["fp32"]?.value), none, accuracy: 1e-12)

        // Sizes by the rule: 4-bit symmetric per-channel stores ceil(n·4/8) payload bytes and one fp32
        // scale per output channel; everything else (biases) stays float32.
        var layerBytes = 0
        var weightParams = 0
        for layer in layers {
            let row = try XCTUnwrap(content.plan.rows.first { $0.name == layer.name })
            let channels = layer.shape[0]
            XCTAssertEqual(row.size.payload, (layer.params * 4 + 7) / 8, layer.name)
            XCTAssertEqual(row.size.scales, channels * 4, layer.name)
            XCTAssertEqual(row.size.zeroPoints + row.size.codebook + row.size.index, 0, layer.name)
            XCTAssertEqual(row.originalBytes, layer.params * 4, layer.name)
            XCTAssertEqual(row.settings, "bits 4", layer.name)
            layerBytes += row.size.total
            weightParams += layer.params
        }
        let allFloats = f.session.weights.values.reduce(0) { $0 + $1.count }
        XCTAssertEqual(content.plan.baselineBytes, allFloats * 4)
        XCTAssertEqual(content.plan.otherBytes, (allFloats - weightParams) * 4)
        XCTAssertEqual(content.plan.totalBytes, layerBytes + content.plan.otherBytes)
        XCTAssertEqual(uniform["int4"]?.sizeBytes, content.plan.totalBytes)
        XCTAssertEqual(uniform["fp32"]?.sizeBytes, allFloats * 4)
        XCTAssertEqual(Self.attributes("data-total-bytes", in: html), [String(content.plan.totalBytes)])

        // Structure: a row, a histogram pair and a heatmap row per layer, in graph order.
        XCTAssertEqual(Self.count("<tr class=\"layer\"", in: html), layers.count)
        XCTAssertEqual(Self.count("<figure class=\"pair\"", in: html), layers.count)
        XCTAssertEqual(Self.count("<svg class=\"hist before\"", in: html), layers.count)
        XCTAssertEqual(Self.count("<svg class=\"hist after\"", in: html), layers.count)
        XCTAssertEqual(Self.count("<g class=\"cell\"", in: html), layers.count * Self.bits.count)
        // The table comes first: its rows' data-layer attributes are the first ones.
        XCTAssertEqual(Array(Self.attributes("data-layer", in: html).prefix(layers.count)), layers.map(\.name))
        for pair in content.histograms {
            let layer = try XCTUnwrap(layers.first { $0.name == pair.layer })
            XCTAssertEqual(pair.before.counts.reduce(0, +), layer.params, pair.layer)
            XCTAssertEqual(pair.after.counts.reduce(0, +), layer.params, pair.layer)
            XCTAssertEqual(pair.before.bins, ReportCollector.histogramBins)
            XCTAssertTrue(pair.changed)
            XCTAssertNotEqual(pair.before.counts, pair.after.counts, "\(pair.layer): 4 bits left every bin as it was")
        }

        // Heatmap: the drop from the uncompressed top-1 (on the same 256 samples): 8 bits costs at most a
        // couple of samples on any layer, 2 bits costs more than 8 on some layer.
        let heatmap = try XCTUnwrap(content.heatmap)
        XCTAssertEqual(heatmap.layers, layers.map(\.name))
        XCTAssertEqual(heatmap.measure, .drop(.top1))
        let eight = heatmap.cells.compactMap { $0[3] }, two = heatmap.cells.compactMap { $0[0] }
        XCTAssertEqual(eight.count, layers.count)
        XCTAssertLessThanOrEqual(eight.max() ?? 1, 3.0 / 256 + 1e-12)
        XCTAssertGreaterThan(two.max() ?? 0, eight.max() ?? 0)

        // Self-contained: no remote reference, no script.
        for banned in ["http://", "https://", "<script", "src=", "href=", "@import"] {
            XCTAssertFalse(html.contains(banned), "the report contains \(banned)")
        }
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
    }

    func testLayerNamesAreEscapedEverywhere() throws {
        let name = "fc<1>&\"q\"'"
        let escaped = "fc&lt;1&gt;&amp;&quot;q&quot;&#39;"
        let histogram = ReportHistogramPair(layer: name, before: [-1, 0, 0.5, 1], after: [-1, 0, 0, 1], bins: 4)
        let content = ReportContent(
            summary: ReportSummary(modelFile: "m<odel>.onnx", format: "ONNX, opset 13", layerCount: 1, params: 4,
                                   originalBytes: 16),
            plan: ReportPlan(rows: [.init(name: name, op: "MatMul", shape: [2, 2], settings: "bits 4", originalBytes: 16,
                                          size: TensorSize(payload: 2, scales: 8))],
                             otherBytes: 0, totalBytes: 10, baselineBytes: 16),
            histograms: [histogram],
            heatmap: ReportHeatmap(measure: .sqnrDB, bits: [2, 4], layers: [name], cells: [[6.5, .infinity]]),
            tradeoff: ReportTradeoff(metric: nil, points: [], omitted: "no data"),
            reproduce: ReportCommands(model: "a b.onnx", data: [], config: nil, scoringArguments: [], bits: [2, 4],
                                      checkpoint: false, reportArguments: ["a b.onnx", "--out", "r.html"]).lines,
            notes: [])
        let html = ReportDocument.html(content)
        XCTAssertFalse(html.contains(name), "a raw layer name reached the document")
        XCTAssertFalse(html.contains("m<odel>"))
        // Table cell and row attribute, histogram figure and both charts, the heatmap's label and cells.
        XCTAssertGreaterThanOrEqual(Self.count(escaped, in: html), 8)
        XCTAssertTrue(html.contains("data-layer=\"\(escaped)\""))
        XCTAssertTrue(html.contains("lathe inspect &#39;a b.onnx&#39; --json"), "the reproduce line, shell-quoted then escaped")
        XCTAssertEqual(Self.count("<g class=\"cell\"", in: html), 2)
        XCTAssertTrue(html.contains("data-value=\"inf\""))
        // Both histograms on one set of edges: the after one's zeros land where the before one's zero does.
        XCTAssertEqual(histogram.before.edges, histogram.after.edges)
        XCTAssertEqual(histogram.after.counts, [1, 0, 2, 1])
        XCTAssertEqual(histogram.before.counts, [1, 0, 1, 2])
    }

    func testParetoFrontIsReadTolerantlyAndRejectedWhenMalformed() throws {
        let text = """
            {"metric": {"name": "top1", "higher_is_better": true}, "baseline": {"size_bytes": 56944, "value": 0.96},
             "points": [{"size_bytes": 9000, "metric": {"name": "top1", "value": 0.9}, "config": {"version": 1}, "x": 1}],
             "search": {"seconds": 3}}
            """
        let front = try ParetoFront.parse(Data(text.utf8), path: "front.json")
        XCTAssertEqual(front.metric, .top1)
        XCTAssertEqual(front.points, [.init(sizeBytes: 9000, value: 0.9)])
        XCTAssertEqual(front.baselineSizeBytes, 56944)
        for bad in ["{", "[]", "{\"metric\": {\"name\": \"top9\"}, \"points\": []}",
                    "{\"metric\": {\"name\": \"top1\"}, \"points\": [{\"size_bytes\": 1.5, \"metric\": {\"value\": 1}}]}",
                    "{\"metric\": {\"name\": \"top1\"}, \"points\": [{\"size_bytes\": 10}]}"] {
            XCTAssertThrowsError(try ParetoFront.parse(Data(bad.utf8), path: "front.json"), bad) { error in
                let error = error as? LatheError
                XCTAssertEqual(error?.kind, .badInput)
                XCTAssertTrue(error?.message.hasPrefix("front.json: ") == true, "\(String(describing: error))")
            }
        }
    }
}
