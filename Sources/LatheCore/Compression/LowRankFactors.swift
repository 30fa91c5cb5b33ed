/// The factors of one low-rank layer exactly as the Compressor builds them: per block (one matrix, or one
/// per direction of a recurrent weight) the balanced SVD factors A [rows, k] and B [k, columns], each then
/// encoded with the settings' weight format (quantized per row, or per tensor; or rounded to fp16/bf16).
///
/// The Compressor evaluates their product (`product()`); an export stores the factors themselves, so the
/// two must come from this one place.
public struct LowRankFactors: Sendable {
    public let count: Int
    public let rows: Int
    public let columns: Int
    /// Singular values kept.
    public let rank: Int
    /// Per block: the SVD factors before encoding (what the quantizer chose its grids from).
    public let rawA: [[Float]]
    public let rawB: [[Float]]
    /// Per block: the encoded factors, row-major.
    public let a: [[Float]]
    public let b: [[Float]]
    /// How a block's row-major [rows, columns] matrix maps onto the weight's layout (channel axis first).
    let layout: AxisLayout
    /// The weight's shape.
    public let shape: [Int]
    /// The weight's channel axis (rows), when one matrix; recurrent blocks are rows of [rows, columns].
    public let channelAxis: Int

    /// nil when the kept rank is the full rank (the layer is then not factorised at all).
    public init?(weight: Tensor, layer: WeightLayer, settings: LayerSettings) throws {
        guard settings.isLowRank, let fraction = settings.rank else { return nil }
        let (count, rows, columns) = LowRank.blocks(layer)
        let k = LowRank.keptRank(fraction: fraction, rows: rows, columns: columns)
        guard k < min(rows, columns) else { return nil }
        let values = weight.floats
        self.count = count
        self.rows = rows
        self.columns = columns
        self.rank = k
        shape = layer.shape
        channelAxis = count == 1 ? layer.channelAxis : 0
        layout = AxisLayout(shape: count == 1 ? layer.shape : [rows, columns], axis: channelAxis)
        let size = rows * columns
        var rawA: [[Float]] = [], rawB: [[Float]] = [], a: [[Float]] = [], b: [[Float]] = []
        for block in 0..<count {
            let matrix = layout.gather(Array(values[(block * size)..<((block + 1) * size)]))
            let (fa, fb) = try LowRank.factors(matrix, rows: rows, columns: columns, rank: k)
            rawA.append(fa)
            rawB.append(fb)
            a.append(Compressor.encodeDense(fa, shape: [rows, k], channelAxis: 0, settings: settings))
            b.append(Compressor.encodeDense(fb, shape: [k, columns], channelAxis: 0, settings: settings))
        }
        self.rawA = rawA
        self.rawB = rawB
        self.a = a
        self.b = b
    }

    /// Σ A·B per block in the weight's layout: the weight Lathe evaluates.
    public func product() -> [Float] {
        var result: [Float] = []
        result.reserveCapacity(count * rows * columns)
        for block in 0..<count {
            result += layout.scatter(LowRank.product(a[block], b[block], rows: rows, rank: rank, columns: columns))
        }
        return result
    }

    /// A block's matrix [rows, columns] is laid out in the weight as [outer, rows, inner] around the channel
    /// axis (`AxisLayout`): outer 1 means the matrix only needs reshaping to the weight's shape.
    var layoutOuter: Int { layout.outer }
    var layoutInner: Int { layout.inner }
}
