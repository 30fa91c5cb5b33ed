import Foundation
import XCTest

/// `lathe report`'s command line: the file it writes, and its refusals (exit 2, nothing written).
final class ReportCLITests: XCTestCase {
    let model = Samples.path("lenet5", "model.onnx")

    func testWritesASelfContainedReportWithoutData() throws {
        let scratch = try ScratchDirectory()
        let out = scratch.path("report.html")
        let run = try LatheBinary.run(["report", model, "--bits", "2,8", "--no-cache", "--out", out])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("wrote \(out)"), run.stdout)
        let html = try String(contentsOfFile: out, encoding: .utf8)
        // lenet5: five layers, each with a row, a histogram pair and two heatmap cells (2 and 8 bits).
        XCTAssertEqual(html.components(separatedBy: "<tr class=\"layer\"").count - 1, 5)
        XCTAssertEqual(html.components(separatedBy: "<figure class=\"pair\"").count - 1, 5)
        XCTAssertEqual(html.components(separatedBy: "<g class=\"cell\"").count - 1, 10)
        XCTAssertTrue(html.contains("id=\"tradeoff-omitted\""), "no data: the accuracy chart is omitted, saying why")
        XCTAssertFalse(html.contains("http://") || html.contains("https://") || html.contains("<script"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: scratch.url.path), ["report.html"],
                       "a temporary file was left behind")
    }

    func testRefusesBadInputs() throws {
        let scratch = try ScratchDirectory()
        let copy = try scratch.write("model.onnx", Data(contentsOf: URL(fileURLWithPath: Samples.absolute(model))))
        let before = try Data(contentsOf: URL(fileURLWithPath: copy))
        assertBadInput(try LatheBinary.run(["report", copy, "--out", copy]), mentions: [copy, "refusing to overwrite"])
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: copy)), before)
        let out = scratch.path("r.html")
        let front = try scratch.write("front.json", Data("{\"metric\": {\"name\": \"top1\"}, \"points\": [".utf8))
        assertBadInput(try LatheBinary.run(["report", copy, "--pareto", front, "--out", out]), mentions: [front])
        assertBadInput(try LatheBinary.run(["report", copy, "--pareto", front, "--out", front]),
                       mentions: [front, "refusing"])
        assertBadInput(try LatheBinary.run(["report", copy, "--bits", "2,40", "--out", out]), mentions: ["40"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let noOut = try LatheBinary.run(["report", copy])
        XCTAssertEqual(noOut.status, 2)
        XCTAssertTrue(noOut.stderr.contains("--out"), noOut.stderr)
    }
}
