import Foundation
import LatheCore
import XCTest

/// `lathe inspect` on the bundled samples.
final class InspectTests: XCTestCase {
    func testJSONShape() throws {
        let model = Samples.path("lenet5", "model.onnx")
        let json = try parseJSON(LatheBinary.run(["inspect", model, "--json"]))
        XCTAssertEqual(Set(json.keys), ["model", "layers", "total_params", "total_macs", "size_bytes"])
        XCTAssertEqual(json["model"] as? String, model)
        let layers = try XCTUnwrap(json["layers"] as? [[String: Any]])
        XCTAssertFalse(layers.isEmpty)
        var macs = 0
        for layer in layers {
            XCTAssertEqual(Set(layer.keys), ["name", "op", "shape", "params", "macs", "stats", "histogram"])
            let name = try XCTUnwrap(layer["name"] as? String)
            XCTAssertTrue(["Conv", "ConvTranspose", "Gemm", "MatMul"].contains(layer["op"] as? String ?? ""), name)
            let shape = try XCTUnwrap(layer["shape"] as? [Int])
            let params = try XCTUnwrap(layer["params"] as? Int)
            XCTAssertEqual(shape.reduce(1, *), params, name)
            let layerMACs = try XCTUnwrap(layer["macs"] as? Int)
            XCTAssertGreaterThanOrEqual(layerMACs, params, "\(name): every weight is used at least once per sample")
            macs += layerMACs
            let stats = try XCTUnwrap(layer["stats"] as? [String: Double])
            XCTAssertEqual(Set(stats.keys), ["min", "max", "mean", "std", "sparsity", "outlier_ratio"])
            let (lo, hi, mean) = (try XCTUnwrap(stats["min"]), try XCTUnwrap(stats["max"]), try XCTUnwrap(stats["mean"]))
            XCTAssertTrue(lo <= mean && mean <= hi, name)
            let histogram = try XCTUnwrap(layer["histogram"] as? [String: [Double]])
            XCTAssertEqual(Set(histogram.keys), ["edges", "counts"])
            let edges = try XCTUnwrap(histogram["edges"])
            let counts = try XCTUnwrap(histogram["counts"])
            XCTAssertEqual(edges.count, 65, name)
            XCTAssertEqual(counts.count, 64, name)
            XCTAssertEqual(Int(counts.reduce(0, +)), params, name)
            XCTAssertEqual(edges.first, lo, name)
            XCTAssertEqual(edges.last, hi, name)
        }
        XCTAssertEqual(json["total_macs"] as? Int, macs)
        let totalParams = try XCTUnwrap(json["total_params"] as? Int)
        XCTAssertGreaterThanOrEqual(totalParams, layers.reduce(0) { $0 + ($1["params"] as? Int ?? 0) })
        XCTAssertGreaterThan(try XCTUnwrap(json["size_bytes"] as? Int), 0)
    }

    /// Statistics and histogram of an unfolded weight, checked against the tensor in the file
    /// (computed here independently of the Analysis code).
    func testStatisticsDescribeTheFileWeights() throws {
        let model = Samples.path("digits_mlp", "model.onnx")
        let loaded = try ONNXReader.read(path: Samples.absolute(model))
        let json = try parseJSON(LatheBinary.run(["inspect", model, "--json", "--bins", "5"]))
        let layers = try XCTUnwrap(json["layers"] as? [[String: Any]])
        for layer in layers {
            let name = try XCTUnwrap(layer["name"] as? String)
            let weight = try XCTUnwrap(loaded.graph.initializers[name], name).asFloats.map(Double.init)
            let n = Double(weight.count)
            let mean = weight.reduce(0, +) / n
            let std = (weight.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / n).squareRoot()
            let stats = try XCTUnwrap(layer["stats"] as? [String: Double])
            // Foundation's JSON parser on Linux can miss the last ulp of a double, hence the tolerance.
            XCTAssertEqual(try XCTUnwrap(stats["min"]), try XCTUnwrap(weight.min()), accuracy: 1e-12, name)
            XCTAssertEqual(try XCTUnwrap(stats["max"]), try XCTUnwrap(weight.max()), accuracy: 1e-12, name)
            XCTAssertEqual(try XCTUnwrap(stats["mean"]), mean, accuracy: 1e-9, name)
            XCTAssertEqual(try XCTUnwrap(stats["std"]), std, accuracy: 1e-9, name)
            XCTAssertEqual(try XCTUnwrap(stats["sparsity"]), Double(weight.filter { $0 == 0 }.count) / n,
                           accuracy: 1e-12, name)
            let histogram = try XCTUnwrap(layer["histogram"] as? [String: [Double]])
            XCTAssertEqual(histogram["counts"]?.count, 5, name)
        }
    }

    func testDataSampleShapeGivesTheSameMACsForFixedInputs() throws {
        let model = Samples.path("lenet5", "model.onnx")
        let plain = try parseJSON(LatheBinary.run(["inspect", model, "--json"]))
        let withData = try parseJSON(LatheBinary.run(["inspect", model, "--json", "--data",
                                                      Samples.path("lenet5", "data.npz")]))
        XCTAssertEqual(plain["total_macs"] as? Int, withData["total_macs"] as? Int)
    }

    func testHumanReadableTable() throws {
        let model = Samples.path("mobilenet", "model.onnx")
        let json = try parseJSON(LatheBinary.run(["inspect", model, "--json"]))
        let layers = try XCTUnwrap(json["layers"] as? [[String: Any]])
        for locale in ["C.UTF-8", "C"] {
            let run = try LatheBinary.run(["inspect", model], environment: ["LC_ALL": locale])
            XCTAssertEqual(run.status, 0, run.stderr)
            for layer in layers {
                XCTAssertTrue(run.stdout.contains(try XCTUnwrap(layer["name"] as? String)))
            }
            XCTAssertTrue(run.stdout.contains("total params"))
            let hasBlocks = run.stdout.unicodeScalars.contains { (0x2581...0x2588).contains($0.value) }
            XCTAssertEqual(hasBlocks, locale == "C.UTF-8", "sparkline glyphs follow the locale (\(locale))")
            if locale == "C" { XCTAssertTrue(run.stdout.allSatisfy(\.isASCII), "ASCII only in the C locale") }
        }
    }
}
