/// An evaluation set: inputs stacked along axis 0, optional integer labels.
public struct Dataset: Sendable {
    /// `[N, ...sampleShape]`, float32.
    public var inputs: Tensor
    public var labels: [Int]?
    /// Where it was read from (for messages and cache keys).
    public var path: String

    public init(inputs: Tensor, labels: [Int]?, path: String) {
        self.inputs = inputs
        self.labels = labels
        self.path = path
    }

    public var count: Int { inputs.shape.first ?? 0 }
    public var sampleShape: [Int] { Array(inputs.shape.dropFirst()) }

    /// Samples `range` as one batch tensor `[range.count, ...sampleShape]`.
    public func batch(_ range: Range<Int>) -> Tensor {
        let per = sampleShape.reduce(1, *)
        let slice = Array(inputs.floats[(range.lowerBound * per)..<(range.upperBound * per)])
        return Tensor(shape: [range.count] + sampleShape, floats: slice)
    }
}
