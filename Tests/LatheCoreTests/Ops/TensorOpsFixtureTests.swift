import XCTest
@testable import LatheCore

/// Every tensor op against onnxruntime, one test per op family (the cases
/// live in Fixtures/tensorops/*.json; see make_fixtures.py there).
final class TensorOpsFixtureTests: XCTestCase {
    func testArithmetic() throws { try OpFixtures.check("arithmetic") }
    func testUnaryMath() throws { try OpFixtures.check("unary") }
    func testActivations() throws { try OpFixtures.check("activations") }
    func testSoftmax() throws { try OpFixtures.check("softmax") }
    func testShapeOps() throws { try OpFixtures.check("shape") }
    func testConcatSplit() throws { try OpFixtures.check("concat_split") }
    func testSlice() throws { try OpFixtures.check("slice") }
    func testGather() throws { try OpFixtures.check("gather") }
    func testReductions() throws { try OpFixtures.check("reduce") }
    func testCast() throws { try OpFixtures.check("cast") }
    func testGenerators() throws { try OpFixtures.check("generators") }
    func testPassThrough() throws { try OpFixtures.check("passthrough") }
    func testComparison() throws { try OpFixtures.check("comparison") }
    func testTopK() throws { try OpFixtures.check("topk") }
    func testCumSum() throws { try OpFixtures.check("cumsum") }
    func testDepthSpace() throws { try OpFixtures.check("depth_space") }
    func testExpActivations() throws { try OpFixtures.check("exp_activations") }
    func testTrigSign() throws { try OpFixtures.check("trig_sign") }
    func testInstanceNormalization() throws { try OpFixtures.check("instance_norm") }
    func testModAndFloatClasses() throws { try OpFixtures.check("mod_classes") }
    func testMoreReductions() throws { try OpFixtures.check("reduce_more") }
    func testTriluHardmax() throws { try OpFixtures.check("trilu_hardmax") }
    func testGatherScatterND() throws { try OpFixtures.check("gather_scatter_nd") }
    func testIndexing() throws { try OpFixtures.check("indexing") }

    /// Every op the fixtures cover (these and the compute kernels' in
    /// Fixtures/kernels) has a kernel, and every kernel in the one op table
    /// is exercised by some fixture.
    func testTableMatchesFixtures() throws {
        let families = ["arithmetic", "unary", "activations", "softmax", "shape", "concat_split", "slice", "gather",
                        "reduce", "cast", "generators", "passthrough", "comparison", "topk", "cumsum", "depth_space",
                        "exp_activations", "trig_sign", "instance_norm", "mod_classes", "reduce_more", "trilu_hardmax",
                        "gather_scatter_nd", "indexing"]
        var covered = Set<String>()
        for family in families { for c in try OpFixtures.load(family) { covered.insert(c.node.opType) } }
        for file in ["conv", "conv_transpose", "gemm", "matmul", "normalization", "pad", "pool", "resize"] {
            for fixture in try KernelFixture.load(file + ".json") { covered.insert(fixture.op) }
        }
        for c in try RecurrentKernelTests.Fixture.load("recurrent.json") { if let op = c.op { covered.insert(op) } }
        for c in try QuantizationFixtureTests.loadCases() { covered.insert(c.node.opType) }
        for c in try ControlFlowKernelTests.Case.load() { covered.insert(c.op) }
        XCTAssertEqual(covered.subtracting(OpRegistry.table.keys), [])
        XCTAssertEqual(Set(OpRegistry.table.keys).subtracting(covered), [])
    }
}
