/// One tensor of a weights-only checkpoint: where its bytes lie in which mapped
/// file, and how they are encoded. Nothing is read until a caller decodes a chunk.
public struct CheckpointTensor: Sendable {
    public var name: String
    /// Outermost dimension first (PyTorch's `[out, in]`; GGUF's `[ne1, ne0]`): rows are contiguous.
    public var shape: [Int]
    public var encoding: TensorEncoding
    public var file: MappedFile
    /// Absolute byte offsets of the tensor's data inside `file` (validated against the file's size).
    public var byteRange: Range<Int>

    public init(name: String, shape: [Int], encoding: TensorEncoding, file: MappedFile, byteRange: Range<Int>) {
        self.name = name
        self.shape = shape
        self.encoding = encoding
        self.file = file
        self.byteRange = byteRange
    }

    public var count: Int { shape.reduce(1, *) }
    public var bytes: Int { byteRange.count }

    /// A layer is a float tensor of rank ≥ 2, compressed per channel along axis 0
    /// (PyTorch `[out, in]`, GGUF rows).
    public var isLayer: Bool { encoding.isDecodable && shape.count >= 2 && count > 0 }

    /// Elements in one row (one channel of axis 0).
    public var rowLength: Int {
        guard let rows = shape.first, rows > 0 else { return count }
        return count / rows
    }

    /// Decodes `elements` (starting on a block boundary) as floats into `out`, which holds
    /// at least `elements.count` values; the element bytes come straight from the mapping.
    public func decode(_ elements: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let block = encoding.blockElements
        precondition(elements.lowerBound % block == 0 && elements.upperBound <= count, "chunk not on a block boundary")
        let bytes = file.bytes(byteSpan(of: elements))
        switch encoding {
        case .float(let dtype):
            FloatElementDecoding.decode(bytes, dtype: dtype, count: elements.count, into: out)
        case .blocks(let type):
            GGMLBlockDecoding.decode(bytes, type: type, count: elements.count, into: out)
        case .integer, .unsupported:
            preconditionFailure("\(name): \(encoding.typeName) elements are not decoded")
        }
    }

    /// The absolute byte range holding `elements` (whole blocks).
    public func byteSpan(of elements: Range<Int>) -> Range<Int> {
        switch encoding {
        case .float(let dtype):
            return (byteRange.lowerBound + elements.lowerBound * dtype.byteSize)
                ..< (byteRange.lowerBound + elements.upperBound * dtype.byteSize)
        case .blocks(let type):
            let first = elements.lowerBound / type.blockElements
            let end = (elements.upperBound + type.blockElements - 1) / type.blockElements
            return (byteRange.lowerBound + first * type.blockBytes) ..< (byteRange.lowerBound + end * type.blockBytes)
        case .integer, .unsupported:
            return byteRange
        }
    }

    /// Hands the pages of `elements` back to the page cache once a pass is done with them.
    public func release(_ elements: Range<Int>) {
        file.release(byteSpan(of: elements))
    }
}
