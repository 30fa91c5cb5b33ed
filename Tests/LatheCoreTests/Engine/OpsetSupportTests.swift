@testable import LatheCore
import XCTest

/// The supported-opset check: every opset in the range loads, the ones around it and opset-6
/// axis broadcasting (whose alignment differs from numpy's) are refused with the opset named.
final class OpsetSupportTests: XCTestCase {
    private func model(opset: Int, attributes: [String: AttributeValue] = [:]) -> Model {
        let graph = Graph(
            nodes: [Node(opType: "Add", inputs: ["x", "b"], outputs: ["y"], attributes: attributes)],
            initializers: ["b": Tensor(shape: [3], floats: [1, 2, 3])],
            inputs: [ValueInfo(name: "x", dtype: .float32, dims: [.symbolic("batch"), .fixed(3)])],
            outputs: [ValueInfo(name: "y", dtype: .float32, dims: [.symbolic("batch"), .fixed(3)])])
        return Model(graph: graph, opset: opset, path: "m.onnx")
    }

    func testRangeBoundaries() throws {
        for opset in OpRegistry.supportedOpsets {
            XCTAssertNoThrow(try OpRegistry.checkOpset(of: model(opset: opset)), "opset \(opset)")
        }
        for opset in [1, OpRegistry.oldestOpset - 1, OpRegistry.newestOpset + 1, 100] {
            XCTAssertThrowsError(try OpRegistry.checkOpset(of: model(opset: opset))) {
                XCTAssertEqual(($0 as? LatheError)?.kind, .badInput)
                XCTAssertEqual(($0 as? LatheError)?.message,
                               "model m.onnx uses opset \(opset); Lathe supports opsets 6–28")
            }
        }
    }

    func testOpset6AxisBroadcastingIsRefused() throws {
        let legacy = model(opset: 6, attributes: ["broadcast": .int(1), "axis": .int(1)])
        XCTAssertThrowsError(try OpRegistry.checkOpset(of: legacy)) {
            XCTAssertTrue(($0 as? LatheError)?.message.contains("axis attribute") == true, "\($0)")
        }
        // Without an axis, opset-6 broadcasting aligns from the right, as numpy does.
        XCTAssertNoThrow(try OpRegistry.checkOpset(of: model(opset: 6, attributes: ["broadcast": .int(1)])))
        XCTAssertNoThrow(try OpRegistry.checkOpset(of: model(opset: 7, attributes: ["axis": .int(1)])))
    }
}
