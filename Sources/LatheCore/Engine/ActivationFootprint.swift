/// The memory one run's values take at their peak, from the shapes a compiled graph knows: each value is counted
/// from the step that writes it to the last step that reads it (a graph input from the start, the output to the
/// end), at four bytes an element. Values whose shape the specialisation could not infer count nothing, so the
/// figure is a lower bound.
///
/// Why it matters: every page of that peak is faulted in fresh the first time a batch reaches it, and on a
/// virtual machine a fault can cost more than the arithmetic that fills the page. The FPN detector at batch 64
/// peaked at 689 MB and took 166,000 faults; at batch 4, 193 MB and 43,000, for the same arithmetic.
enum ActivationFootprint {
    static func peakBytes(of graph: CompiledGraph) -> Int {
        var bytes = [Int](repeating: 0, count: graph.slotCount)
        for (name, slot) in graph.slotOfName where graph.constants[slot] == nil {
            guard let shape = graph.shapes[name], let count = ElementCount.of(shape) else { continue }
            bytes[slot] = count * MemoryLayout<Float>.size
        }
        // The last step reading each value; the output lives to the end.
        var lastRead = [Int](repeating: -1, count: graph.slotCount)
        for (index, step) in graph.steps.enumerated() {
            for slot in step.inputs where slot >= 0 { lastRead[slot] = index }
        }
        lastRead[graph.outputSlot] = graph.steps.count
        var live = graph.inputSlots.values.reduce(0) { $0 + bytes[$1] }
        var peak = live
        for (index, step) in graph.steps.enumerated() {
            for slot in step.outputs where slot >= 0 { live += bytes[slot] }
            peak = max(peak, live)
            for slot in Set(step.inputs + step.outputs) where slot >= 0 && graph.constants[slot] == nil
                && lastRead[slot] <= index {
                live -= bytes[slot]
            }
        }
        return peak
    }
}

extension InferenceSession {
    /// Whether a sample's outputs depend on the other samples of its batch (`SampleIndependence.couplesSamples`):
    /// then the batch size is part of what the numbers mean, and only the user chooses it.
    public var batchCouplesSamples: Bool { SampleIndependence.couplesSamples(graph) }

    /// Bytes of one sample's values at the peak of a run (`ActivationFootprint`); nil for a model whose inputs
    /// fix the batch, or one that does not compile for a single sample.
    public func activationBytesPerSample() -> Int? {
        guard fixedBatch == nil, let graph = try? compiled(batchSize: 1) else { return nil }
        return ActivationFootprint.peakBytes(of: graph)
    }
}
