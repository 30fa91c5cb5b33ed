import Foundation
import XCTest
@testable import LatheCore

/// Equality with scripts/compression_reference.py (numpy) on random tensors:
/// bit for bit, except low-rank, where LAPACK builds differ in the last bits.
final class ReferenceFixtureTests: XCTestCase {
    static var fixtureURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/compression/compression_reference.json")
    }

    struct Case {
        var name: String
        var layer: WeightLayer
        var settings: LayerSettings
        var input: Tensor
        var expected: [Float]
    }

    func load() throws -> (cases: [Case], groups: [(String, [Case])]) {
        let data = try Data(contentsOf: Self.fixtureURL)
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let cases = try XCTUnwrap(root["cases"] as? [[String: Any]]).map(parseCase)
        let groups = try XCTUnwrap(root["groups"] as? [[String: Any]]).map { group in
            (group["name"] as? String ?? "", try XCTUnwrap(group["layers"] as? [[String: Any]]).map(parseCase))
        }
        return (cases, groups)
    }

    func parseCase(_ object: [String: Any]) throws -> Case {
        let layerObject = try XCTUnwrap(object["layer"] as? [String: Any])
        let shape = try XCTUnwrap(layerObject["shape"] as? [Int])
        let op = try XCTUnwrap(LayerOp(rawValue: layerObject["op"] as? String ?? ""))
        let layer = WeightLayer(name: layerObject["name"] as? String ?? "w", op: op, nodeName: "", shape: shape,
                                channelAxis: try XCTUnwrap(layerObject["channelAxis"] as? Int),
                                reductionAxis: try XCTUnwrap(layerObject["reductionAxis"] as? Int),
                                groups: layerObject["groups"] as? Int ?? 1, macs: 0)
        // Settings are configuration-file mappings: read them through the config reader.
        let settingsJSON = try JSONSerialization.data(withJSONObject: try XCTUnwrap(object["settings"]),
                                                      options: [.sortedKeys])
        let text = "{\"version\": 1, \"defaults\": " + String(decoding: settingsJSON, as: UTF8.self) + "}"
        let settings = try ConfigReader.parse(text, path: "fixture.json").defaults
        return Case(name: object["name"] as? String ?? layer.name, layer: layer, settings: settings,
                    input: Tensor(shape: shape, floats: try floats(object["input"])),
                    expected: try floats(object["expected"]))
    }

    func floats(_ value: Any?) throws -> [Float] {
        let hex = Array(try XCTUnwrap(value as? String).utf8)
        return try stride(from: 0, to: hex.count, by: 8).map { start in
            let chunk = String(decoding: hex[start..<(start + 8)], as: UTF8.self)
            return Float(bitPattern: try XCTUnwrap(UInt32(chunk, radix: 16)))
        }
    }

    func testSingleLayersMatchNumpy() throws {
        let cases = try load().cases
        XCTAssertGreaterThan(cases.count, 500)
        var exact = 0
        for item in cases {
            let out = try Compressor.compress(item.input, layer: item.layer, settings: item.settings).floats
            if item.settings.isLowRank {
                let scale = item.expected.map(abs).max() ?? 1
                for (a, b) in zip(out, item.expected) {
                    XCTAssertEqual(a, b, accuracy: 1e-5 * max(scale, 1), item.name)
                }
            } else {
                let mismatches = zip(out, item.expected).filter { $0.0.bitPattern != $0.1.bitPattern }.count
                XCTAssertEqual(mismatches, 0, "\(item.name): \(mismatches) of \(out.count) elements differ")
                if mismatches == 0 { exact += 1 }
            }
        }
        XCTAssertGreaterThan(exact, 0)
    }

    func testShareGroupsMatchNumpy() throws {
        for (name, members) in try load().groups {
            let layers = members.map(\.layer)
            var plan = CompressionPlan(layers: layers)
            for member in members { plan.set(member.settings, for: member.layer.name) }
            let weights = Dictionary(uniqueKeysWithValues: members.map { ($0.layer.name, $0.input) })
            let out = try Compressor.compress(weights: weights, layers: layers, plan: plan)
            for member in members {
                XCTAssertEqual(out[member.layer.name]?.floats.map(\.bitPattern), member.expected.map(\.bitPattern),
                               "\(name): \(member.layer.name)")
            }
        }
    }
}
