import LatheCore
import Testing
@testable import LatheUI

/// The recovery keys: R cycles GPTQ and bias correction, f the grid, P the pruning method,
/// each skipping what the layer cannot take, and the table shows the choice.
@Suite struct RecoveryKeysTests {
    typealias F = ExplorerFixture

    func settings(_ state: AppState, _ index: Int) -> LayerSettings {
        state.plan.settings(for: state.layers[index].name)
    }

    @Test func recoveryCyclesGPTQAndBiasCorrectionOnAQuantizedLayer() {
        var state = F.state()
        F.run(&state, F.keys("j") + F.keys("hhhhhh"))  // blocks.0.depthwise to 4 bits
        #expect(settings(state, 1).bits == .integer(4))
        var seen: [String] = []
        for _ in 0..<4 {
            let effects = F.run(&state, F.keys("R"))
            #expect(effects.contains(.applyPlan(state.plan, revision: state.planRevision)))
            seen.append(Format.settings(settings(state, 1)))
        }
        #expect(seen == ["int4 gptq", "int4 gptq +bc", "int4 +bc", "int4"])
    }

    @Test func recoveryOffersBiasCorrectionOnALayerWithoutABias() {
        var state = F.state()
        F.run(&state, F.keys("hhhhhh"))  // the stem has no bias: bias correction gives it one
        var seen: [String] = []
        for _ in 0..<4 {
            F.run(&state, F.keys("R"))
            seen.append(Format.settings(settings(state, 0)))
        }
        #expect(seen == ["int4 gptq", "int4 gptq +bc", "int4 +bc", "int4"])
    }

    @Test func recoveryIsRefusedOnAnUncompressedLayer() {
        var state = F.state()
        let effects = F.run(&state, F.keys("R"))
        #expect(effects.isEmpty)
        #expect(state.message?.text.contains("nothing to recover") == true)
    }

    @Test func gridCyclesOnlyThroughGridsTheBitWidthAllows() {
        var state = F.state()
        F.run(&state, F.keys("hhhhhh"))  // 4 bits: uniform, nf4, pow2
        F.run(&state, F.keys("f"))
        #expect(settings(state, 0).grid == .nf4)
        F.run(&state, F.keys("f"))
        #expect(settings(state, 0).grid == .pow2)
        #expect(Format.settings(settings(state, 0)) == "int4 pow2")
        F.run(&state, F.keys("h"))  // 3 bits: nf4 is not offered
        F.run(&state, F.keys("f"))
        #expect(settings(state, 0).grid == .uniform)
        F.run(&state, F.keys("f"))
        #expect(settings(state, 0).grid == .pow2)
    }

    @Test func pruneMethodTogglesSparseGPTOnlyWhenSomethingIsPruned() {
        var state = F.state()
        F.run(&state, F.keys("P"))
        #expect(state.message?.text.contains("nothing is pruned") == true)
        F.run(&state, F.keys("]]"))
        F.run(&state, F.keys("P"))
        #expect(settings(state, 0).pruneMethod == .sparsegpt)
        #expect(Format.settings(settings(state, 0)) == "fp32 10% sgpt")
    }
}
