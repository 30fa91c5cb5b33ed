import XCTest
@testable import LatheCore

final class EvaluationScheduleTests: XCTestCase {
    func testRoundRobinOverClassesInDatasetOrder() {
        let labels = [2, 0, 0, 1, 2, 0, 1, 0]
        let schedule = EvaluationSchedule.interleaved(labels: labels, count: 8, batchSize: 3)
        // class 0: 1,2,5,7; class 1: 3,6; class 2: 0,4
        XCTAssertEqual(schedule.order, [1, 3, 0, 2, 6, 4, 5, 7])
        XCTAssertEqual(schedule.batchCount, 3)
        XCTAssertEqual(Array(schedule.samples(ofBatch: 2)), [5, 7])
        XCTAssertEqual(schedule.labels(ofBatch: 0, from: labels), [0, 1, 2])
    }

    func testWithoutLabelsAFixedPermutation() {
        let a = EvaluationSchedule.interleaved(labels: nil, count: 100, batchSize: 10)
        let b = EvaluationSchedule.interleaved(labels: nil, count: 100, batchSize: 10)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.order.sorted(), Array(0..<100))
        XCTAssertNotEqual(a.order, Array(0..<100))
    }

    func testBatchInputGathersTheScheduledSamples() throws {
        let inputs = Tensor(shape: [4, 2], floats: [0, 1, 10, 11, 20, 21, 30, 31])
        let dataset = Dataset(inputs: inputs, labels: [1, 0, 1, 0], path: "d.npz")
        let schedule = EvaluationSchedule.interleaved(labels: dataset.labels, count: 4, batchSize: 3)
        XCTAssertEqual(schedule.order, [1, 0, 3, 2])
        let feed = InputFeed(name: "input", source: "x", dtype: .float32, dims: nil, shape: [2], isShared: false)
        let data = try FeedData(dataset, feeds: [feed])
        XCTAssertEqual(try schedule.inputs(ofBatch: 0, from: data), ["input": Tensor(shape: [3, 2], floats: [10, 11, 0, 1, 30, 31])])
        XCTAssertEqual(try schedule.inputs(ofBatch: 1, from: data), ["input": Tensor(shape: [1, 2], floats: [20, 21])])
    }
}
