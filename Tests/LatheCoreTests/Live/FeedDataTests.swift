import XCTest
@testable import LatheCore

final class FeedDataTests: XCTestCase {
    /// Integer samples (uint8 images; int32 here, to hold a value a float cannot) feeding a float32
    /// input are converted as batches are gathered, to the values of converting the whole array
    /// first (`InputConversion`), in the scheduled order.
    func testIntegerSamplesForAFloatInputConvertOnGatherToTheEagerValues() throws {
        // 16777217 is not a float: both paths must round it the same way.
        let values: [Int64] = [0, 255, 7, 128, 16_777_217, 3, 9, 1]
        let dataset = Dataset(inputs: Tensor(shape: [4, 2], ints: values, dtype: .int32), labels: nil, path: "d.npz")
        let feed = InputFeed(name: "input", source: "x", dtype: .float32, dims: nil, shape: [2], isShared: false)
        let data = try FeedData(dataset, feeds: [feed])
        XCTAssertTrue(FeedData.convertsOnGather(try dataset.arrays[0].tensor, feed))
        let eager = try InputConversion.convert(dataset.arrays[0].tensor, to: .float32, input: "input", source: "x")
        let got = try XCTUnwrap(data.inputs(samples: [2, 0, 3])["input"])
        XCTAssertEqual(got.dtype, .float32)
        XCTAssertEqual(got.shape, [3, 2])
        XCTAssertEqual(got.floats, [2, 0, 3].flatMap { eager.floats[(2 * $0)..<(2 * $0 + 2)] })
        XCTAssertEqual(got.floats, [16_777_216, 3, 0, 255, 9, 1])
        // A float16 input still rounds the whole array up front; a shared array is fed as converted.
        let half = InputFeed(name: "input", source: "x", dtype: .float16, dims: nil, shape: [2], isShared: false)
        XCTAssertFalse(FeedData.convertsOnGather(try dataset.arrays[0].tensor, half))
        let shared = InputFeed(name: "input", source: "x", dtype: .float32, dims: nil, shape: [4, 2], isShared: true)
        XCTAssertFalse(FeedData.convertsOnGather(try dataset.arrays[0].tensor, shared))
        XCTAssertEqual(try FeedData(dataset, feeds: [shared]).inputs(samples: [0])["input"], eager)
    }
}
