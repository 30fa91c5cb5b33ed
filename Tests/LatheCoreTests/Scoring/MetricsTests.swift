import XCTest
@testable import LatheCore

final class MetricsTests: XCTestCase {
    func testArgmaxTakesLowestIndexOnTiesLikeNumpy() throws {
        let t = Tensor(shape: [3, 3], floats: [1, 3, 3, 0, 0, 0, -1, .nan, 5])
        XCTAssertEqual(try Metrics.predictions(t), [1, 0, 1])
    }

    func testHandComputedTopKAndF1() throws {
        // Scores for 4 samples x 5 classes; labels [4, 0, 2, 1].
        let scores: [Float] = [
            0.1, 0.2, 0.3, 0.0, 0.4,  // argmax 4 = label
            0.5, 0.5, 0.0, 0.0, 0.0,  // tie → 0 = label
            0.9, 0.0, 0.1, 0.0, 0.0,  // predicts 0; label 2 second
            0.0, 0.0, 0.0, 0.0, 0.0,  // all tied → predicts 0; label 1 ranks second
        ]
        let m = try Metrics(outputs: Tensor(shape: [4, 5], floats: scores), labels: [4, 0, 2, 1])
        XCTAssertEqual(m.top1, 0.5)
        XCTAssertEqual(m.top5, 1.0)
        // predictions [4, 0, 0, 0]: class 0 tp 1 fp 2 fn 0 → 2/4; class 4 → 1; classes 1, 2 → 0.
        XCTAssertEqual(try XCTUnwrap(m.macroF1), (0.5 + 1 + 0 + 0) / 4, accuracy: 1e-15)
        XCTAssertNil(m.agreement)
        XCTAssertEqual(m.samples, 4)
        XCTAssertEqual(m.classes, 5)
    }

    func testMacroF1AgainstScikitLearn() {
        // f1_score([0,1,2,2,1,0,3,3,3,1], [0,2,2,2,1,1,3,0,4,1], average="macro", zero_division=0)
        let f1 = Metrics.macroF1(predictions: [0, 2, 2, 2, 1, 1, 3, 0, 4, 1], labels: [0, 1, 2, 2, 1, 0, 3, 3, 3, 1])
        XCTAssertEqual(f1, 0.49333333333333335, accuracy: 1e-15)
        XCTAssertEqual(Metrics.macroF1(predictions: [1, 1, 1], labels: [5, 5, 5]), 0)
        XCTAssertEqual(Metrics.macroF1(predictions: [2, 0], labels: [2, 0]), 1)
    }

    func testTiedScoresAgainstNumpyAndScikitLearn() throws {
        // scores = (lcg(350, 12345)[:350] >> 29) reshaped [50, 7] (values 0...7, many ties),
        // labels = lcg[350:400] % 7. numpy: top1 0.08; top-5 by argsort(-s, kind="stable") 0.66;
        // sklearn macro F1 0.09285714285714286; first predictions [4, 5, 3, 0, 1, 0, 4, 4, 5, 4].
        let raw = AnalysisFixtures.lcg(400, seed: 12345)
        let scores = raw[..<350].map { Float($0 >> 29) }
        let labels = raw[350...].map { Int($0 % 7) }
        let outputs = Tensor(shape: [50, 7], floats: Array(scores))
        XCTAssertEqual(Array(try Metrics.predictions(outputs).prefix(10)), [4, 5, 3, 0, 1, 0, 4, 4, 5, 4])
        let m = try Metrics(outputs: outputs, labels: labels, reference: outputs)
        XCTAssertEqual(try XCTUnwrap(m.top1), 0.08, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(m.top5), 0.66, accuracy: 1e-15)
        XCTAssertEqual(try XCTUnwrap(m.macroF1), 0.09285714285714286, accuracy: 1e-15)
        XCTAssertEqual(m.agreement, 1.0)
    }

    func testTop5NeedsFiveClassesAndTrailingDimsFlatten() throws {
        let four = try Metrics(outputs: Tensor(shape: [2, 4], floats: [0, 1, 0, 0, 1, 0, 0, 0]), labels: [1, 1])
        XCTAssertNil(four.top5)
        XCTAssertEqual(four.top1, 0.5)
        let nchw = try Metrics(outputs: Tensor(shape: [1, 6, 1, 1], floats: [0, 0, 0, 0, 0, 1]), labels: [5])
        XCTAssertEqual(nchw.classes, 6)
        XCTAssertEqual(nchw.top1, 1)
        XCTAssertEqual(nchw.top5, 1)
    }

    func testAgreementComparesTopOneWithReference() throws {
        let a = Tensor(shape: [4, 2], floats: [1, 0, 0, 1, 1, 0, 0, 1])
        let b = Tensor(shape: [4, 2], floats: [1, 0, 1, 0, 1, 0, 1, 0])
        let m = try Metrics(outputs: a, labels: nil, reference: b)
        XCTAssertEqual(m.agreement, 0.5)
        XCTAssertNil(m.top1)
        XCTAssertNil(m.macroF1)
        XCTAssertThrowsError(try Metrics(outputs: a, labels: nil, reference: Tensor(shape: [3, 2], floats: [0, 0, 0, 0, 0, 0])))
    }

    func testIntegerLabelOutputIsTakenAsPredictions() throws {
        let m = try Metrics(outputs: Tensor(shape: [3], ints: [2, 0, 1]), labels: [2, 1, 1])
        XCTAssertEqual(try XCTUnwrap(m.top1), 2.0 / 3, accuracy: 1e-15)
        XCTAssertNil(m.top5)
        XCTAssertThrowsError(try Metrics(outputs: Tensor(shape: [3], floats: [0, 1, 2]), labels: nil))
        XCTAssertThrowsError(try Metrics(outputs: Tensor(shape: [2, 2], floats: [0, 1, 2, 3]), labels: [1]))
    }

    func testWilsonIntervalHandComputed() {
        // p = 0.5, n = 100: the textbook Wilson interval (0.4038, 0.5962).
        let mid = Metrics.wilsonInterval(successes: 50, total: 100)
        XCTAssertEqual(mid.lowerBound, 0.4038315303659956, accuracy: 1e-9)
        XCTAssertEqual(mid.upperBound, 0.5961684696340044, accuracy: 1e-9)
        // p = 1, n = 10: lower = 10 / (10 + z²) = 0.7224...; upper 1.
        let all = Metrics.wilsonInterval(successes: 10, total: 10)
        XCTAssertEqual(all.lowerBound, 10 / (10 + 1.959963984540054 * 1.959963984540054), accuracy: 1e-12)
        XCTAssertEqual(all.upperBound, 1, accuracy: 1e-12)
        XCTAssertEqual(Metrics.wilsonInterval(successes: 0, total: 0), 0...1)
    }
}
