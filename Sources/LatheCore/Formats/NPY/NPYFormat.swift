import Foundation

/// numpy's `.npy` array files (format versions 1, 2 and 3), C order.
/// Reading accepts little- and big-endian (converted) descriptors of the
/// dtypes `DType` holds; writing produces version 1 files with numpy's
/// 64-byte header alignment (version 2 only if the header needs it).
public enum NPYFormat {
    /// Reads the array in `path`.
    public static func read(path: String) throws -> Tensor {
        let data = try FileInput.contents(of: path)
        return try decode(data) { LatheError.badInput(file: path, $0) }
    }

    /// Writes `tensor` to `path` atomically.
    public static func write(_ tensor: Tensor, to path: String) throws {
        let header = try encodedHeader(tensor)
        try AtomicFile.write(to: path) { temporary in
            try AtomicFile.writeContents(at: temporary, naming: path) { sink in
                try header.withUnsafeBytes { try sink($0) }
                // float32 is stored as it lies in memory on a little-endian machine: written straight from
                // the tensor, an output of tens of MB needs no second copy in fresh pages.
                #if _endian(little)
                if tensor.dtype == .float32 {
                    try tensor.floats.withUnsafeBytes { try sink($0) }
                    return
                }
                #endif
                try ElementCodec.encode(stored(tensor)).withUnsafeBytes { try sink($0) }
            }
        }
    }

    /// Decodes `.npy` bytes; `problem` turns a description of what is wrong into the error to throw.
    static func decode(_ data: Data, problem: (String) -> LatheError) throws -> Tensor {
        let layout = try layout(of: data, problem: problem)
        return data.withUnsafeBytes { bytes in
            let payload = UnsafeRawBufferPointer(rebasing: bytes[layout.payload])
            let header = layout.header
            if header.bigEndian {
                var swapped = Data(payload)
                ElementCodec.swapByteOrder(&swapped, width: header.dtype.byteSize)
                return swapped.withUnsafeBytes { ElementCodec.decode($0, dtype: header.dtype, shape: header.shape) }
            }
            return ElementCodec.decode(payload, dtype: header.dtype, shape: header.shape)
        }
    }

    /// A dataset array from `.npy` bytes. Little-endian float32 and uint8 elements are kept as
    /// stored and decoded a batch at a time (`RawElements`): in `file` when `data` is its bytes (or a
    /// stretch of them: its indices are then offsets in the file), else in `data`. Anything else is
    /// decoded now.
    static func dataArray(named name: String, _ data: Data, file: InputFile?,
                          problem: (String) -> LatheError) throws -> DataArray {
        let layout = try layout(of: data, problem: problem)
        let header = layout.header
        if RawElements.keeps(header.dtype), !header.bigEndian || header.dtype.byteSize == 1 {
            let count = layout.payload.count / header.dtype.byteSize
            let start = data.startIndex + layout.payload.lowerBound
            let place: RawElements.Place
            if let file {
                place = .file(file, offset: start)
            } else {
                place = .memory(data[start..<(start + layout.payload.count)])
            }
            if let raw = RawElements(place, dtype: header.dtype, count: count) {
                return DataArray(name: name, raw: raw, shape: header.shape)
            }
        }
        return DataArray(name: name, tensor: try decode(data, problem: problem))
    }

    /// An `.npy`'s validated header and where its elements lie in its bytes (offsets from the first).
    struct NPYLayout {
        let header: NPYHeader
        let payload: Range<Int>
    }

    static func layout(of data: Data, problem: (String) -> LatheError) throws -> NPYLayout {
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws -> NPYLayout in
            guard bytes.count >= 10, Array(bytes.prefix(6)) == NPYHeader.magic else {
                throw problem("not an NPY array (the file does not start with numpy's magic string)")
            }
            let major = bytes[6]
            let headerLength: Int
            let headerStart: Int
            switch major {
            case 1:
                headerLength = Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt16.self)))
                headerStart = 10
            case 2, 3:
                guard bytes.count >= 12 else { throw problem("truncated NPY header") }
                headerLength = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
                headerStart = 12
            default:
                throw problem("unsupported NPY format version \(major)")
            }
            let payloadStart = headerStart + headerLength
            guard payloadStart <= bytes.count else {
                throw problem("truncated NPY header (declares \(headerLength) bytes, file has \(bytes.count - headerStart))")
            }
            let headerBytes = UnsafeRawBufferPointer(rebasing: bytes[headerStart..<payloadStart])
            // Versions 1 and 2 are latin-1; every byte numpy writes there is ASCII. Version 3 is UTF-8.
            guard let text = String(bytes: headerBytes, encoding: major == 3 ? .utf8 : .isoLatin1) else {
                throw problem("NPY header is not text")
            }
            let header: NPYHeader
            do {
                var parser = NPYHeaderParser(text)
                header = try parser.parse()
            } catch let error as NPYHeaderProblem {
                throw problem(error.message)
            }
            guard !header.fortranOrder || header.shape.count <= 1 else {
                throw problem("Fortran-order arrays are not supported; save with np.ascontiguousarray(...)")
            }
            guard let byteCount = ElementCount.bytes(header.shape, width: header.dtype.byteSize) else {
                throw problem("shape \(header.shape) is too large")
            }
            let available = bytes.count - payloadStart
            // numpy reads exactly the bytes the shape needs and ignores anything after them.
            guard available >= byteCount else {
                throw problem("truncated: shape \(header.shape) of \(header.dtype) needs \(byteCount) bytes of data, "
                    + "found \(available)")
            }
            return NPYLayout(header: header, payload: payloadStart..<(payloadStart + byteCount))
        }
    }

    /// The `.npy` bytes of `tensor`.
    static func encode(_ tensor: Tensor) throws -> Data {
        var data = try encodedHeader(tensor)
        data.append(ElementCodec.encode(stored(tensor)))
        return data
    }

    /// `tensor` as numpy can hold it.
    private static func stored(_ tensor: Tensor) -> Tensor {
        var stored = tensor
        if tensor.dtype == .bfloat16 { stored.dtype = .float32 } // numpy has no bfloat16; float32 holds it exactly
        if tensor.dtype == .int4 { stored.dtype = .int8 }         // nor 4-bit integers: widened to 8 bits
        if tensor.dtype == .uint4 { stored.dtype = .uint8 }
        return stored
    }

    /// The file's bytes before the elements: magic, version, header length and the padded header.
    private static func encodedHeader(_ tensor: Tensor) throws -> Data {
        guard tensor.count == (tensor.isFloat ? tensor.floats.count : tensor.ints.count) else {
            throw LatheError.internalFailure("tensor of shape \(tensor.shape) holds the wrong number of elements")
        }
        let stored = stored(tensor)
        let header = NPYHeader(dtype: stored.dtype, bigEndian: false, fortranOrder: false, shape: stored.shape)
        let dictionary = Array(header.dictionaryText.utf8)
        // numpy pads with spaces and ends with a newline so the data starts on a 64-byte boundary;
        // version 2 (a 4-byte length) only when the padded header outgrows version 1's 2-byte length.
        func padded(prefixLength: Int) -> [UInt8] {
            let unpadded = prefixLength + dictionary.count + 1
            return dictionary + [UInt8](repeating: 0x20, count: (64 - unpadded % 64) % 64) + [0x0A]
        }
        var text = padded(prefixLength: 10)
        var data = Data(NPYHeader.magic)
        if text.count <= Int(UInt16.max) {
            data.append(contentsOf: [1, 0])
            withUnsafeBytes(of: UInt16(text.count).littleEndian) { data.append(contentsOf: $0) }
        } else {
            text = padded(prefixLength: 12)
            data.append(contentsOf: [2, 0])
            withUnsafeBytes(of: UInt32(text.count).littleEndian) { data.append(contentsOf: $0) }
        }
        data.append(contentsOf: text)
        return data
    }
}
