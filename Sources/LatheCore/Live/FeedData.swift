/// A dataset's arrays bound to a session's inputs: each array converted once
/// to the dtype its input declares (`InputConversion`), then gathered batch by
/// batch (samples first, then moved to the input's `batchAxis`). A shared array
/// (leading 1 among N-sample arrays, or a scalar) is fed unchanged to every batch.
/// A float32 or uint8 array kept as stored (`DataArray.isRaw`: in its file, or
/// as inflated) feeding a float32 input is decoded batch by batch, never whole.
public struct FeedData: Sendable {
    public let feeds: [InputFeed]
    /// The converted arrays, aligned with `feeds`.
    let sources: [Source]

    enum Source: Sendable {
        case tensor(Tensor)
        /// Samples decoded to float32 as batches gather them.
        case raw(RawElements)
    }
    /// Samples: the leading dimension of the per-sample arrays (1 when every input is shared).
    public let count: Int

    public init(_ dataset: Dataset, feeds: [InputFeed]) throws {
        var sources: [Source] = []
        var count: Int?
        for feed in feeds {
            guard let array = dataset.arrays.first(where: { $0.name == feed.source }) else {
                throw LatheError.badInput(file: dataset.path, "holds no array '\(feed.source)' for model input "
                    + "'\(feed.name)' (the model was bound to other data)")
            }
            let fits = feed.isShared ? array.shape == feed.shape : Array(array.shape.dropFirst()) == feed.shape
            guard fits else {
                throw LatheError.badInput(file: dataset.path, "array '\(feed.source)' has shape "
                    + "\(ModelBinding.describe(array.shape)), but model input '\(feed.name)' was bound to "
                    + (feed.isShared ? ModelBinding.describe(feed.shape) : "samples of \(ModelBinding.describe(feed.shape))"))
            }
            if !feed.isShared, let rows = array.shape.first {
                if let count, count != rows {
                    throw LatheError.badInput(file: dataset.path, "array '\(feed.source)' has \(rows) samples, the "
                        + "others \(count)")
                }
                count = rows
            }
            if !feed.isShared, feed.dtype == .float32, case .raw(let raw) = array.elements {
                sources.append(.raw(raw))
                continue
            }
            let tensor = try array.tensor
            // Integer samples for a float32 input (uint8 images) stay integers until a batch is
            // gathered: converting all of them at once doubled the data's memory for no gain
            // (`Float(value)` either way, the conversion `InputConversion` makes).
            if Self.convertsOnGather(tensor, feed) {
                sources.append(.tensor(tensor))
                continue
            }
            do {
                sources.append(.tensor(try InputConversion.convert(tensor, to: feed.dtype, input: feed.name,
                                                                   source: feed.source)))
            } catch let error as LatheError {
                throw LatheError.badInput(file: dataset.path, error.message)
            }
        }
        self.feeds = feeds
        self.sources = sources
        self.count = count ?? 1
    }

    /// The inputs of the samples `indices`, in that order, by graph input name.
    /// - Throws: `badInput` naming the data file when it changed since it was loaded.
    public func inputs<Indices: Collection<Int>>(samples indices: Indices) throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for (feed, source) in zip(feeds, sources) {
            switch source {
            case .tensor(let tensor):
                result[feed.name] = feed.isShared ? tensor
                    : Self.gather(tensor, rows: indices, rowShape: feed.shape, asFloat32: feed.dtype == .float32)
                        .batchPlaced(at: feed.batchAxis)
            case .raw(let raw):
                result[feed.name] = try Self.read(raw, rows: indices, rowShape: feed.shape)
                    .batchPlaced(at: feed.batchAxis)
            }
        }
        return result
    }

    /// The inputs of the samples in `range`.
    public func inputs(_ range: Range<Int>) throws -> [String: Tensor] { try inputs(samples: range) }

    /// Rows `rows` of raw samples as float32, each run of consecutive rows in one read.
    private static func read<Indices: Collection<Int>>(_ raw: RawElements, rows: Indices, rowShape: [Int]) throws
        -> Tensor {
        let per = rowShape.reduce(1, *)
        let values = try uninitializedFloats(rows.count * per) { out in
            guard let to = out.baseAddress else { return }
            try forEachRun(of: rows) { first, written, length in
                try raw.read((first * per)..<((first + length) * per), into: to + written * per)
            }
        }
        return Tensor(shape: [rows.count] + rowShape, floats: values)
    }

    /// Calls `body(first, written, length)` for each run of consecutive rows in `rows`: `length` rows
    /// from `first`, which go after the `written` rows before them.
    private static func forEachRun<Indices: Collection<Int>>(
        of rows: Indices, _ body: (_ first: Int, _ written: Int, _ length: Int) throws -> Void
    ) rethrows {
        var written = 0
        var runStart = -1, runLength = 0
        for row in rows {
            if runLength > 0 && row == runStart + runLength {
                runLength += 1
                continue
            }
            if runLength > 0 { try body(runStart, written, runLength) }
            written += runLength
            runStart = row
            runLength = 1
        }
        if runLength > 0 { try body(runStart, written, runLength) }
    }

    /// Per-sample integer data feeding a float32 input: converted row by row as batches are gathered.
    static func convertsOnGather(_ array: Tensor, _ feed: InputFeed) -> Bool {
        !feed.isShared && feed.dtype == .float32 && !array.isFloat
    }

    private static func gather<Indices: Collection<Int>>(_ tensor: Tensor, rows: Indices, rowShape: [Int],
                                                         asFloat32: Bool) -> Tensor {
        let per = rowShape.reduce(1, *)
        let shape = [rows.count] + rowShape
        if asFloat32 && !tensor.isFloat {
            let floats = uninitializedFloats(rows.count * per) { out in
                tensor.ints.withUnsafeBufferPointer { source in
                    guard let from = source.baseAddress, let to = out.baseAddress else { return }
                    for (index, row) in rows.enumerated() {
                        let sample = from + row * per, converted = to + index * per
                        for i in 0..<per { converted[i] = Float(sample[i]) }
                    }
                }
            }
            return Tensor(shape: shape, floats: floats, dtype: .float32)
        }
        if tensor.isFloat {
            let floats = uninitializedFloats(rows.count * per) { out in
                tensor.floats.withUnsafeBufferPointer { copyRows(rows, per: per, from: $0, to: out) }
            }
            return Tensor(shape: shape, floats: floats, dtype: tensor.dtype)
        }
        let ints = [Int64](unsafeUninitializedCapacity: rows.count * per) { out, initialized in
            tensor.ints.withUnsafeBufferPointer { copyRows(rows, per: per, from: $0, to: out) }
            initialized = rows.count * per
        }
        return Tensor(shape: shape, ints: ints, dtype: tensor.dtype)
    }

    /// Copies rows `rows` (each `per` elements) of `source` one after another into `out`, a run of
    /// consecutive rows (the usual batch: samples in order) in one block copy: element by element,
    /// gathering a high-resolution batch cost more than some of its layers.
    private static func copyRows<Indices: Collection<Int>, Element>(
        _ rows: Indices, per: Int, from source: UnsafeBufferPointer<Element>, to out: UnsafeMutableBufferPointer<Element>
    ) {
        guard per > 0, let from = source.baseAddress, let to = out.baseAddress else { return }
        forEachRun(of: rows) { first, written, length in
            (to + written * per).initialize(from: from + first * per, count: length * per)
        }
    }
}
