import Foundation

extension CompiledGraph {
    /// Executes the compiled graph on one batch, `inputs` by graph input name.
    /// `options.weights` must already be validated against the session's
    /// weights (names and shapes). The feeds are the run's, each released after its last reader.
    func run(inputs feeds: consuming [String: Tensor], options: RunOptions) throws -> RunResult {
        var values = constants
        var available = [Bool](repeating: false, count: slotCount)
        for (slot, value) in values.enumerated() where value != nil { available[slot] = true }

        // Weight overrides; a name absent here was folded into a shape constant at this batch size.
        for (name, tensor) in options.weights {
            if let slot = slotOfName[name], constants[slot] != nil { values[slot] = tensor }
        }
        for (name, tensor) in options.seeds {
            guard let slot = slotOfName[name] else {
                throw LatheError.badInput("cannot seed '\(name)': no such value in the optimised graph")
            }
            values[slot] = tensor
            available[slot] = true
        }
        var keep = [Bool](repeating: false, count: slotCount)
        keep[outputSlot] = true
        for name in options.capture {
            guard let slot = slotOfName[name] else {
                throw LatheError.badInput("cannot capture '\(name)': no such value in the optimised graph "
                    + "(folded or fused values are not observable)")
            }
            keep[slot] = true
        }

        // Which steps run: those producing a needed value that is not already
        // available; their inputs become needed in turn.
        var needed = keep
        var active = [Bool](repeating: false, count: steps.count)
        for index in steps.indices.reversed() {
            let step = steps[index]
            guard step.outputs.contains(where: { $0 >= 0 && needed[$0] && !available[$0] }) else { continue }
            active[index] = true
            for slot in step.inputs where slot >= 0 { needed[slot] = true }
        }
        for (name, slot) in inputSlots where needed[slot] && !available[slot] {
            guard let value = feeds[name] else {
                throw LatheError.internalFailure("no value for graph input '\(name)'")
            }
            values[slot] = value
            available[slot] = true
        }
        feeds = [:]

        // Remaining reads per slot, so each value is released after its last reader.
        var remaining = [Int](repeating: 0, count: slotCount)
        for index in steps.indices where active[index] {
            for slot in steps[index].inputs where slot >= 0 { remaining[slot] += 1 }
        }

        let profile = OpProfile.shared.isRecording ? OpProfile.shared : nil
        // Values a step of this run produced: no one outside the run holds them (feeds, weights and seeds
        // may be shared), so once read for the last time their storage is the run's to write over.
        var produced = [Bool](repeating: false, count: slotCount)
        var inputs: [Tensor?] = []
        for index in steps.indices where active[index] {
            let step = steps[index]
            inputs.removeAll(keepingCapacity: true)
            for slot in step.inputs {
                guard slot >= 0 else { inputs.append(nil); continue }
                guard let value = values[slot] else {
                    throw LatheError.internalFailure("value for input of '\(step.node.displayName)' is missing")
                }
                inputs.append(value)
            }
            if !options.inputTransforms.isEmpty {
                for layerInput in step.layerInputs {
                    if let transform = options.inputTransforms[layerInput.layerName],
                       let value = inputs[layerInput.position] {
                        inputs[layerInput.position] = transform(value)
                    }
                }
            }
            // Release inputs read for the last time before the kernel runs, so
            // their storage can go as soon as the kernel drops its copy.
            for slot in step.inputs where slot >= 0 {
                remaining[slot] -= 1
                if remaining[slot] == 0 && !keep[slot] { values[slot] = nil }
            }
            // The node is copied only to change it (a copy retains each of its strings, arrays and attributes).
            var gemmBetaOne = false
            var addedBias: (tensor: Tensor, weightOnLeft: Bool)?
            if !options.weights.isEmpty {
                for layerInput in step.layerInputs {
                    guard let bias = options.weights[AddedBias.name(for: layerInput.layerName)] else { continue }
                    if ["Conv", "ConvTranspose", "Gemm"].contains(step.node.opType) {
                        // The node's own (omitted) bias input takes it, before any fused activation.
                        while inputs.count < 3 { inputs.append(nil) }
                        if inputs[2] == nil { inputs[2] = bias }
                        if step.node.opType == "Gemm" { gemmBetaOne = true }
                    } else {
                        // MatMul: added to its output, as the exported Add does.
                        addedBias = (bias, layerInput.position == 1)
                    }
                }
            }
            let started = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
            var results: [Tensor]
            if let operation = step.elementwiseOperation, addedBias == nil,
               let result = try ArithmeticInPlace.run(step.node, &inputs, isFree: { position in
                   let slot = step.inputs[position]
                   return slot >= 0 && produced[slot] && values[slot] == nil
               }, operation) {
                results = [result]
            } else if gemmBetaOne {
                var node = step.node
                node.attributes["beta"] = .float(1)
                results = try step.kernel(node, inputs)
            } else {
                results = try step.kernel(step.node, inputs)
            }
            if let profile {
                profile.add(step.node.opType, seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            }
            if let addedBias, let first = results.first {
                results[0] = try AddedBias.add(addedBias.tensor, to: first, axis: AddedBias.outputAxis(
                    of: .matMul, weightOnLeft: addedBias.weightOnLeft, rank: first.rank))
            }
            inputs.removeAll(keepingCapacity: true)
            for (position, slot) in step.outputs.enumerated() where slot >= 0 {
                guard remaining[slot] > 0 || keep[slot] else { continue }
                if available[slot] { continue }  // seeded: the seed wins
                guard position < results.count else {
                    throw LatheError.internalFailure("\(step.node.opType) kernel returned \(results.count) outputs; "
                        + "node '\(step.node.displayName)' needs output \(position)")
                }
                values[slot] = results[position]
                produced[slot] = true
                available[slot] = true
            }
        }

        guard let output = values[outputSlot] else {
            throw LatheError.internalFailure("the output was not computed")
        }
        var captured: [String: Tensor] = [:]
        for name in options.capture {
            if let slot = slotOfName[name], let value = values[slot] { captured[name] = value }
        }
        return RunResult(output: output, captured: captured)
    }
}
