import Foundation
import XCTest
@testable import LatheCore

/// Reads the onnxruntime reference cases written by
/// Fixtures/kernels/make_fixtures.py and checks Lathe's kernels against them.
struct KernelFixture: Decodable {
    struct Attribute: Decodable {
        let type: String
        let value: AttributeJSON
    }

    enum AttributeJSON: Decodable {
        case number(Double)
        case string(String)
        case numbers([Double])

        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let v = try? container.decode(Double.self) { self = .number(v) }
            else if let v = try? container.decode(String.self) { self = .string(v) }
            else { self = .numbers(try container.decode([Double].self)) }
        }
    }

    struct TensorJSON: Decodable {
        let shape: [Int]
        let dtype: String
        let data: [Double]

        var tensor: Tensor {
            dtype == "int64"
                ? Tensor(shape: shape, ints: data.map { Int64($0) })
                : Tensor(shape: shape, floats: data.map { Float($0) })
        }
    }

    let name: String
    let op: String
    let opset: Int
    let attributes: [String: Attribute]
    let inputs: [TensorJSON?]
    let outputs: [TensorJSON]
    let fused: [String: Attribute]?

    /// The node as the executor would hand it to a kernel.
    var node: Node {
        var attrs: [String: AttributeValue] = [:]
        for (key, attribute) in attributes.merging(fused ?? [:], uniquingKeysWith: { a, _ in a }) {
            attrs[key] = Self.convert(attribute)
        }
        let inputNames = inputs.enumerated().map { $0.element == nil ? "" : "in\($0.offset)" }
        return Node(name: name, opType: op, inputs: inputNames,
                    outputs: (0..<outputs.count).map { "out\($0)" }, attributes: attrs)
    }

    static func convert(_ attribute: Attribute) -> AttributeValue {
        switch (attribute.type, attribute.value) {
        case ("int", .number(let v)): return .int(Int(v))
        case ("float", .number(let v)): return .float(Float(v))
        case ("string", .string(let s)): return .string(s)
        case ("ints", .numbers(let v)): return .ints(v.map { Int($0) })
        case ("floats", .numbers(let v)): return .floats(v.map { Float($0) })
        default: return .ints([])
        }
    }

    static func load(_ file: String) throws -> [KernelFixture] {
        struct File: Decodable { let cases: [KernelFixture] }
        let url = fixturesDirectory.appendingPathComponent(file)
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: url)).cases
    }

    static var fixturesDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/kernels")
    }
}

extension XCTestCase {
    /// Runs every case of a fixture file through the kernel table and compares
    /// with onnxruntime: |lathe − ort| ≤ 1e-4 + 1e-5·|ort|, shapes and dtypes equal.
    func checkFixtures(_ file: String, expectedCases: Int? = nil, only: ((KernelFixture) -> Bool)? = nil,
                       fileID: StaticString = #filePath, line: UInt = #line) throws {
        let cases = try KernelFixture.load(file).filter { only?($0) ?? true }
        XCTAssertFalse(cases.isEmpty, "no cases in \(file)", file: fileID, line: line)
        if let expectedCases { XCTAssertEqual(cases.count, expectedCases, "case count of \(file)", file: fileID, line: line) }
        for fixture in cases {
            guard let kernel = OpRegistry.kernel(fixture.op, opset: fixture.opset) else {
                XCTFail("\(fixture.name): no kernel for \(fixture.op)", file: fileID, line: line)
                continue
            }
            let outputs: [Tensor]
            do {
                outputs = try kernel(fixture.node, fixture.inputs.map { $0?.tensor })
            } catch {
                XCTFail("\(fixture.name): threw \(error)", file: fileID, line: line)
                continue
            }
            XCTAssertEqual(outputs.count, fixture.outputs.count, "\(fixture.name): output count", file: fileID, line: line)
            for (index, (got, want)) in zip(outputs, fixture.outputs).enumerated() {
                assertClose(got, want.tensor, "\(fixture.name) output \(index)", file: fileID, line: line)
            }
        }
    }

    func assertClose(_ got: Tensor, _ want: Tensor, _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        guard got.shape == want.shape else {
            XCTFail("\(label): shape \(got.shape), expected \(want.shape)", file: file, line: line)
            return
        }
        XCTAssertEqual(got.isFloat, want.isFloat, "\(label): dtype \(got.dtype)", file: file, line: line)
        let a = got.asFloats, b = want.asFloats
        var worst = 0, worstExcess: Float = 0
        for i in 0..<min(a.count, b.count) {
            let excess = abs(a[i] - b[i]) - (1e-4 + 1e-5 * abs(b[i]))
            if excess > worstExcess || a[i].isNaN { worst = i; worstExcess = a[i].isNaN ? .infinity : excess }
        }
        if worstExcess > 0 {
            XCTFail("\(label): element \(worst) is \(a[worst]), expected \(b[worst])", file: file, line: line)
        }
    }
}
