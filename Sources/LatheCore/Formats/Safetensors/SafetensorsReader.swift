/// Reads a safetensors file's header (Hugging Face's format: an 8-byte little-endian
/// header size, a JSON object of tensors `{"name": {"dtype", "shape", "data_offsets": [begin, end]}}`
/// with an optional `__metadata__` of strings, then the data section) and validates every
/// entry against the file before anything is read: the header size is bounded, each tensor's
/// shape × dtype size equals its byte span (overflow-checked), spans lie inside the data section
/// and do not overlap. The tensors come back in file order, their bytes left in the mapping.
public enum SafetensorsReader {
    /// Headers are JSON describing tensors: even a model with 100 000 tensors needs a few megabytes.
    public static let maxHeaderBytes = 100 << 20

    public static func read(path: String) throws -> [CheckpointTensor] {
        try tensors(in: try MappedFile(path: path))
    }

    static func tensors(in file: MappedFile) throws -> [CheckpointTensor] {
        func bad(_ problem: String) -> LatheError { .badInput(file: file.path, "not a valid safetensors file: \(problem)") }
        guard file.size >= 8 else { throw bad("\(file.size) bytes, shorter than the 8-byte header size") }
        let declared = file.bytes(0..<8).loadUnaligned(as: UInt64.self).littleEndian
        guard declared > 0, declared <= UInt64(maxHeaderBytes) else {
            throw bad("header size \(declared) bytes is outside 1…\(maxHeaderBytes)")
        }
        let headerSize = Int(declared)
        guard headerSize <= file.size - 8 else {
            throw bad("header size \(headerSize) bytes runs past the end of the \(file.size)-byte file (truncated?)")
        }
        let document: JSONDocument
        do {
            document = try JSONDocument.parse([UInt8](file.bytes(8..<(8 + headerSize))))
        } catch let error as JSONDocument.SyntaxError {
            throw bad("header JSON: \(error.problem) at byte \(8 + error.offset)")
        }
        guard let entries = document.object else { throw bad("the header is not a JSON object") }
        let dataStart = 8 + headerSize
        let dataSize = file.size - dataStart
        var tensors: [CheckpointTensor] = []
        for (name, entry) in entries {
            if name == "__metadata__" {
                guard entry.object != nil else { throw bad("__metadata__ must be an object of strings") }
                continue
            }
            guard let fields = entry.object else { throw bad("tensor '\(name)' is not an object") }
            guard let dtypeName = fields["dtype"]?.string else { throw bad("tensor '\(name)' has no dtype") }
            guard let (encoding, width) = SafetensorsDType.encoding(dtypeName) else {
                throw bad("tensor '\(name)' has unknown dtype '\(dtypeName)'")
            }
            guard let shapeList = fields["shape"]?.array else { throw bad("tensor '\(name)' has no shape list") }
            let shape = try shapeList.map { dim -> Int in
                guard let value = wholeNumber(dim) else {
                    throw bad("tensor '\(name)' has a shape entry that is not a non-negative integer")
                }
                return value
            }
            guard let offsets = fields["data_offsets"]?.array, offsets.count == 2,
                  let begin = wholeNumber(offsets[0]), let end = wholeNumber(offsets[1]) else {
                throw bad("tensor '\(name)' needs data_offsets [begin, end] of non-negative integers")
            }
            guard begin <= end else { throw bad("tensor '\(name)' has data_offsets [\(begin), \(end)] with begin after end") }
            guard end <= dataSize else {
                throw bad("tensor '\(name)' data_offsets [\(begin), \(end)] run past the \(dataSize)-byte data section (truncated file?)")
            }
            guard let bytes = ElementCount.bytes(shape, width: width) else {
                throw bad("tensor '\(name)' shape \(shape) overflows")
            }
            guard bytes == end - begin else {
                throw bad("tensor '\(name)': shape \(shape) of \(dtypeName) needs \(bytes) bytes, data_offsets span \(end - begin)")
            }
            tensors.append(CheckpointTensor(name: name, shape: shape, encoding: encoding, file: file,
                                            byteRange: (dataStart + begin)..<(dataStart + end)))
        }
        tensors.sort { ($0.byteRange.lowerBound, $0.name) < ($1.byteRange.lowerBound, $1.name) }
        for (previous, next) in zip(tensors, tensors.dropFirst()) where next.byteRange.lowerBound < previous.byteRange.upperBound {
            throw bad("tensors '\(previous.name)' and '\(next.name)' overlap in the data section")
        }
        return tensors
    }

    /// A JSON number that is a whole, non-negative value an `Int` holds exactly.
    static func wholeNumber(_ value: JSONDocument) -> Int? {
        guard let number = value.number, number >= 0, number <= 9_007_199_254_740_992,
              number.rounded(.towardZero) == number else { return nil }
        return Int(number)
    }
}
