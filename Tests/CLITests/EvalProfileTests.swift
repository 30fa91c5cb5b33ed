import Foundation
import XCTest

/// `lathe eval --profile`: one row per op kind that ran, with the calls the engine made.
final class EvalProfileTests: XCTestCase {
    func testProfileCountsEveryKernelCallOfLeNet() throws {
        // 2,000 samples at batch 100: 20 batches, plus the one-sample run that chooses the metric.
        let run = try LatheBinary.run(["eval", Samples.path("lenet5", "model.onnx"), "--data",
                                       Samples.path("lenet5", "data.npz"), "--batch", "100", "--json", "--profile"])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)), "stdout stays pure JSON")
        var calls: [String: Int] = [:]
        var shares = 0.0
        var sawTotal = false
        for line in run.stderr.split(separator: "\n") {
            let fields = line.split(separator: " ")
            if fields.first == "total" { sawTotal = true; continue }
            guard fields.count == 4, let count = Int(fields[1]), let ms = Double(fields[2]),
                  let share = Double(fields[3].dropLast()) else { continue }
            XCTAssertGreaterThanOrEqual(ms, 0)
            calls[String(fields[0])] = count
            shares += share
        }
        XCTAssertTrue(sawTotal, run.stderr)
        // lenet5 has 2 Conv, 3 Gemm, 2 MaxPool and one Sub, Div, Flatten, Softmax (its Relus fuse into the layers).
        XCTAssertEqual(calls["Conv"], 2 * 21, run.stderr)
        XCTAssertEqual(calls["Gemm"], 3 * 21, run.stderr)
        XCTAssertEqual(calls["MaxPool"], 2 * 21, run.stderr)
        XCTAssertEqual(calls["Softmax"], 21, run.stderr)
        XCTAssertTrue(Set(calls.keys).isSubset(of: ["Conv", "Gemm", "MaxPool", "Sub", "Div", "Flatten", "Softmax", "Relu"]),
                      run.stderr)
        XCTAssertEqual(shares, 100, accuracy: 0.5)
    }

    func testWithoutTheFlagNothingIsTimed() throws {
        let run = try LatheBinary.run(["eval", Samples.path("digits_mlp", "model.onnx"), "--data",
                                       Samples.path("digits_mlp", "data.npz")])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertFalse(run.stderr.contains("calls"), run.stderr)
    }
}
