import Foundation
import XCTest
@testable import LatheCore

/// One single-node case recorded by Fixtures/tensorops/make_fixtures.py:
/// inputs, attributes and opset, and onnxruntime's outputs (or, for a case
/// onnxruntime rejects, the words Lathe's error must contain).
struct OpFixtureCase {
    var name: String
    var node: Node
    /// The opset whose form of the op the case runs (its model's opset).
    var opset: Int
    var inputs: [Tensor?]
    var expected: [Tensor]?
    var errorMentions: [String]
}

enum OpFixtures {
    struct FormatError: Error, CustomStringConvertible { var description: String }

    /// Tests/LatheCoreTests/Fixtures/tensorops, found from this source file.
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/tensorops")
    }

    static func load(_ family: String) throws -> [OpFixtureCase] {
        let data = try Data(contentsOf: directory.appendingPathComponent("\(family).json"))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = root["cases"] as? [[String: Any]] else { throw FormatError(description: "\(family): no cases") }
        return try cases.map(parseCase)
    }

    static func parseCase(_ c: [String: Any]) throws -> OpFixtureCase {
        guard let name = c["name"] as? String, let op = c["op"] as? String,
              let opset = (c["opset"] as? NSNumber)?.intValue,
              let rawInputs = c["inputs"] as? [Any], let outputs = (c["outputs"] as? NSNumber)?.intValue else {
            throw FormatError(description: "malformed case \(c["name"] ?? "?")")
        }
        var attributes: [String: AttributeValue] = [:]
        for (key, value) in c["attributes"] as? [String: [String: Any]] ?? [:] {
            attributes[key] = try parseAttribute(value, in: name)
        }
        let inputs: [Tensor?] = try rawInputs.map { $0 is NSNull ? nil : try parseTensor($0, in: name) }
        let node = Node(name: name, opType: op,
                        inputs: inputs.enumerated().map { $0.element == nil ? "" : "in\($0.offset)" },
                        outputs: (0..<outputs).map { "out\($0)" }, attributes: attributes)
        let expected = try (c["expected"] as? [Any]).map { try $0.map { try parseTensor($0, in: name) } }
        return OpFixtureCase(name: name, node: node, opset: opset, inputs: inputs, expected: expected,
                             errorMentions: c["errorMentions"] as? [String] ?? [])
    }

    static func parseAttribute(_ a: [String: Any], in name: String) throws -> AttributeValue {
        let value = a["value"]
        switch a["type"] as? String {
        case "int": if let v = value as? NSNumber { return .int(v.intValue) }
        case "float": if let v = value as? NSNumber { return .float(v.floatValue) }
        case "string": if let v = value as? String { return .string(v) }
        case "ints": if let v = value as? [NSNumber] { return .ints(v.map(\.intValue)) }
        case "floats": if let v = value as? [NSNumber] { return .floats(v.map(\.floatValue)) }
        case "tensor": if let v = value { return .tensor(try parseTensor(v, in: name)) }
        default: break
        }
        throw FormatError(description: "\(name): malformed attribute \(a)")
    }

    static func parseTensor(_ any: Any, in name: String) throws -> Tensor {
        guard let t = any as? [String: Any], let dtypeName = t["dtype"] as? String,
              let dtype = DType(rawValue: dtypeName), let shape = (t["shape"] as? [NSNumber])?.map(\.intValue),
              let data = t["data"] as? [Any] else {
            throw FormatError(description: "\(name): malformed tensor")
        }
        if dtype.isFloatingPoint {
            let floats: [Float] = try data.map { element in
                if let number = element as? NSNumber { return Float(number.doubleValue) }
                switch element as? String {
                case "nan": return .nan
                case "inf": return .infinity
                case "-inf": return -.infinity
                default: throw FormatError(description: "\(name): bad float \(element)")
                }
            }
            return Tensor(shape: shape, floats: floats, dtype: dtype)
        }
        let ints: [Int64] = try data.map { element in
            guard let number = element as? NSNumber else { throw FormatError(description: "\(name): bad int \(element)") }
            return number.int64Value
        }
        return Tensor(shape: shape, ints: ints, dtype: dtype)
    }

    /// Runs every case of a family through the op table at the case's opset, reporting
    /// each mismatch with the case's name. Returns the number of cases.
    @discardableResult
    static func check(_ family: String, file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let cases = try load(family)
        XCTAssertFalse(cases.isEmpty, "\(family): no cases", file: file, line: line)
        for c in cases {
            guard let kernel = OpRegistry.kernel(c.node.opType, opset: c.opset) else {
                XCTFail("\(c.name): no kernel for \(c.node.opType)", file: file, line: line)
                continue
            }
            do {
                let outputs = try kernel(c.node, c.inputs)
                guard let expected = c.expected else {
                    XCTFail("\(c.name): expected an error, got \(outputs.map(\.shape))", file: file, line: line)
                    continue
                }
                XCTAssertEqual(outputs.count, expected.count, "\(c.name): output count", file: file, line: line)
                for (i, (got, want)) in zip(outputs, expected).enumerated() {
                    if let problem = mismatch(got, want) {
                        XCTFail("\(c.name) output \(i): \(problem)", file: file, line: line)
                    }
                }
            } catch let error as LatheError {
                guard c.expected == nil else {
                    XCTFail("\(c.name): unexpected error \(error)", file: file, line: line)
                    continue
                }
                XCTAssertEqual(error.kind, .badInput, "\(c.name)", file: file, line: line)
                for word in [c.node.displayName] + c.errorMentions where !error.message.contains(word) {
                    XCTFail("\(c.name): error '\(error.message)' does not mention '\(word)'", file: file, line: line)
                }
            }
        }
        return cases.count
    }

    /// Float tolerance: 1e-5 absolute, relative for magnitudes above 1.
    static func mismatch(_ got: Tensor, _ want: Tensor) -> String? {
        if got.dtype != want.dtype { return "dtype \(got.dtype) != \(want.dtype)" }
        if got.shape != want.shape { return "shape \(got.shape) != \(want.shape)" }
        if !want.isFloat { return got.ints == want.ints ? nil : "values \(got.ints) != \(want.ints)" }
        for (i, (g, w)) in zip(got.floats, want.floats).enumerated() {
            if g.isNaN && w.isNaN { continue }
            if w.isInfinite || g.isInfinite {
                if g != w { return "element \(i): \(g) != \(w)" }
                continue
            }
            if Swift.abs(g - w) > 1e-5 * Swift.max(1, Swift.abs(w)) { return "element \(i): \(g) != \(w)" }
        }
        return nil
    }
}
