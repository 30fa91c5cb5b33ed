import XCTest
@testable import LatheCore

/// The automatic metric choice, refused requests, and the totals every metric follows from.
final class ScoringTests: XCTestCase {
    private func choose(_ shape: [Int], labels: Tensor?, metric: ScoreMetric? = nil, classAxis: Int? = nil,
                        isFloat: Bool = true) throws -> Scoring {
        try Scoring.choose(ScoringRequest(metric: metric, classAxis: classAxis), sampleShape: shape,
                           outputIsFloat: isFloat, labels: labels, outputName: "out")
    }

    private func ints(_ shape: [Int]) -> Tensor { Tensor(shape: shape, ints: [Int64](repeating: 1, count: shape.reduce(1, *))) }
    private func floats(_ shape: [Int]) -> Tensor { Tensor.zeros(shape) }

    func testAutomaticChoiceFollowsTheOutputAndTheLabels() throws {
        XCTAssertEqual(try choose([10], labels: ints([4])).metric, .top1)
        XCTAssertEqual(try choose([10, 1, 1], labels: ints([4])).metric, .top1)
        XCTAssertEqual(try choose([10], labels: nil).metric, .agree)
        XCTAssertEqual(try choose([3, 8, 8], labels: ints([4, 8, 8])).metric, .top1)   // per pixel
        XCTAssertEqual(try choose([3, 8, 8], labels: ints([4])).metric, .agree)        // labels don't match
        XCTAssertEqual(try choose([28, 11], labels: ints([4, 4])).metric, .agree)      // CTC strings
        XCTAssertEqual(try choose([28, 11], labels: nil).classAxis, 2)
        XCTAssertEqual(try choose([1], labels: ints([4])).metric, .sqnr)               // one-unit head
        XCTAssertEqual(try choose([1, 8, 8], labels: nil).metric, .sqnr)               // single-channel map
        XCTAssertEqual(try choose([1, 8, 8], labels: floats([4, 1, 8, 8])).metric, .mse)
        XCTAssertEqual(try choose([3], labels: floats([4, 3])).metric, .mse)           // regression beats agree
        XCTAssertEqual(try choose([16, 4, 2, 2], labels: nil).metric, .sqnr)           // rank 5: no class axis
        XCTAssertEqual(try choose([16, 4, 2, 2], labels: nil, classAxis: 2).metric, .agree)
        let predictions = try choose([], labels: ints([4]), isFloat: false)
        XCTAssertEqual(predictions.metric, .top1)
        XCTAssertTrue(predictions.predictionsGiven)
        XCTAssertTrue(try choose([1], labels: nil).reason.contains("no class axis"))
        // Float labels are classes only when every one is an integer within Int's range.
        XCTAssertEqual(try choose([10], labels: Tensor(shape: [2], floats: [1, 3])).metric, .top1)
        XCTAssertEqual(try choose([10], labels: Tensor(shape: [2], floats: [1, 1e30])).metric, .agree)
    }

    func testARequestTheOutputCannotGiveIsRefused() throws {
        XCTAssertThrowsError(try choose([1], labels: ints([4]), metric: .top1)) { error in
            XCTAssertTrue("\(error)".contains("no class axis"), "\(error)")
        }
        XCTAssertThrowsError(try choose([10], labels: nil, metric: .mse)) { error in
            XCTAssertTrue("\(error)".contains("needs float labels"), "\(error)")
        }
        XCTAssertThrowsError(try choose([10], labels: nil, classAxis: 2))
        XCTAssertEqual(try choose([10], labels: ints([4]), metric: .sqnr).metric, .sqnr)
        XCTAssertEqual(try choose([10], labels: ints([4]), metric: .cosine).reason, Scoring.requestedReason)
    }

    /// Two samples of a [N, 2, 1, 2] map: argmax along axis 1 at every pixel, the first of tied maxima winning.
    func testTotalsCountEveryPositionAndSumTheErrors() throws {
        let scoring = try choose([2, 1, 2], labels: ints([2, 1, 2]))
        let scorer = OutputScorer(scoring: scoring)
        // Sample 0: pixel 0 classes (1, 3) → 1, pixel 1 (5, 5) tie → 0; sample 1: (2, 0) → 0, (0, 1) → 1.
        let reference = try scorer.reference(Tensor(shape: [2, 2, 1, 2], floats: [1, 5, 3, 5, 2, 0, 0, 1]))
        XCTAssertEqual(reference.predictions, [1, 0, 0, 1])
        // Compressed: (1, 3) → 1, (6, 5) → 0, (0, 2) → 1, (0, 1) → 1.
        let output = Tensor(shape: [2, 2, 1, 2], floats: [1, 6, 3, 5, 0, 0, 2, 1])
        let labels = BatchLabels.classes([1, 1, 0, 1])
        let totals = try scorer.totals(output, reference: reference, labels: labels)
        XCTAssertEqual(totals.positions, 4)
        XCTAssertEqual(totals.agreements, 3)
        XCTAssertEqual(totals.labelHits, 2)          // predictions 1, 0, 1, 1 vs labels 1, 1, 0, 1
        XCTAssertEqual(totals.baselineLabelHits, 3)  // 1, 0, 0, 1
        XCTAssertEqual(totals.value(of: .top1), 0.5)
        XCTAssertEqual(totals.baselineValue(of: .top1), 0.75)
        // Σref² = 1+25+9+25+4+0+0+1 = 65; errors (0,1,0,0,-2,0,2,0) → Σ = 9.
        XCTAssertEqual(totals.referenceEnergy, 65)
        XCTAssertEqual(totals.errorEnergy, 9)
        XCTAssertEqual(try XCTUnwrap(totals.value(of: .sqnr)), 10 * log10(65.0 / 9.0), accuracy: 1e-12)
        // Σout·ref = 1+30+9+25+0+0+0+1 = 66; Σout² = 1+36+9+25+0+0+4+1 = 76.
        XCTAssertEqual(try XCTUnwrap(totals.value(of: .cosine)), 66 / (76.0 * 65.0).squareRoot(), accuracy: 1e-12)
        XCTAssertNotNil(totals.interval(of: .top1))
        XCTAssertNil(totals.interval(of: .sqnr))
    }

    func testFloatLabelsGiveMeanErrorsForThePlanAndTheBaseline() throws {
        let scoring = try choose([3], labels: floats([2, 3]))
        let scorer = OutputScorer(scoring: scoring)
        let reference = try scorer.reference(Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]))
        let output = Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 8])
        let totals = try scorer.totals(output, reference: reference, labels: .values([0, 2, 3, 4, 5, 6]))
        XCTAssertEqual(totals.value(of: .mse), (1 + 4) / 6.0)
        XCTAssertEqual(totals.value(of: .mae), (1 + 2) / 6.0)
        XCTAssertEqual(totals.baselineValue(of: .mse), 1 / 6.0)
        XCTAssertEqual(ScoreMetric.mse.degradation(baseline: 1 / 6.0, value: 5 / 6.0), 4, accuracy: 1e-12)
        // Identical outputs: SQNR +∞ (no degradation), cosine 1.
        let same = try scorer.totals(Tensor(shape: [2, 3], floats: [1, 2, 3, 4, 5, 6]), reference: reference, labels: nil)
        XCTAssertEqual(same.value(of: .sqnr), .infinity)
        XCTAssertEqual(same.value(of: .cosine), 1)
        XCTAssertEqual(ScoreMetric.sqnr.degradation(baseline: .infinity, value: .infinity), 0)
        XCTAssertEqual(ScoreMetric.sqnr.degradation(baseline: .infinity, value: 20), 0.01, accuracy: 1e-15)
    }
}
