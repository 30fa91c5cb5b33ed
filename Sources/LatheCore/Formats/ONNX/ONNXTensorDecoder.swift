import Foundation

/// Turns ONNX `TensorProto`s (and `SparseTensorProto`s) into `Tensor`s: raw
/// little-endian bytes, the typed repeated fields, or external data files
/// beside the model. Every size is checked against the data actually present
/// before anything is allocated, so corrupt files yield errors, not traps.
struct ONNXTensorDecoder {
    /// The model file, for messages.
    let path: String
    let externalData: ExternalDataFiles

    /// The dtype of `proto` if Lathe can hold it, else nil (strings, complex, 8/6/4-bit floats, 2-bit integers).
    static func supportedDType(_ proto: Onnx_TensorProto) -> DType? {
        DType(onnxCode: Int(proto.dataType))
    }

    /// Decodes `proto`; `what` names it in messages ("initializer 'conv1.weight'").
    func decode(_ proto: Onnx_TensorProto, what: String) throws -> Tensor {
        guard let dtype = ONNXTensorDecoder.supportedDType(proto) else {
            throw problem("\(what) has data type \(ONNXDataTypeNames.name(proto.dataType)), which Lathe does not support")
        }
        let shape = try shapeOf(proto.dims, what: what)
        guard let count = ElementCount.of(shape), let elementBytes = ElementCount.bytes(shape, width: dtype.byteSize) else {
            throw problem("\(what) has an impossibly large shape \(shape)")
        }
        // 4-bit types are packed two per byte.
        let byteCount = dtype.isSubByte ? dtype.packedBytes(count: count) : elementBytes
        if proto.hasSegment {
            throw problem("\(what) is a segment of a larger tensor, which Lathe does not support")
        }
        if proto.dataLocation == .external {
            let bytes = try externalData.bytes(for: proto, byteCount: byteCount, what: what)
            return bytes.withUnsafeBytes { ElementCodec.decode($0, dtype: dtype, shape: shape) }
        }
        if proto.hasRawData {
            let raw = proto.rawData
            guard raw.count == byteCount else {
                throw problem("\(what) holds \(raw.count) bytes of data but its shape \(shape) of \(dtype) needs \(byteCount)")
            }
            return raw.withUnsafeBytes { ElementCodec.decode($0, dtype: dtype, shape: shape) }
        }
        return try typedFields(proto, dtype: dtype, shape: shape, count: count, what: what)
    }

    /// Decodes a sparse tensor into its dense equivalent (zeros everywhere but the listed indices).
    func decode(_ sparse: Onnx_SparseTensorProto, what: String) throws -> Tensor {
        let shape = try shapeOf(sparse.dims, what: what)
        guard let count = ElementCount.of(shape) else { throw problem("\(what) has an impossibly large shape \(shape)") }
        // The one size a file may claim beyond its own: the dense tensor. Past half the machine's
        // memory it is a corrupt file, not a model, and allocating it would end the process.
        let denseBytes = count.multipliedReportingOverflow(by: MemoryLayout<Int64>.stride)
        guard !denseBytes.overflow, UInt64(denseBytes.partialValue) <= ProcessInfo.processInfo.physicalMemory / 2 else {
            throw problem("\(what) has a dense shape \(shape) larger than half of this machine's memory")
        }
        let values = try decode(sparse.values, what: "\(what) (values)")
        let indices = try decode(sparse.indices, what: "\(what) (indices)")
        let nonZeros = values.count
        guard values.rank == 1, !indices.isFloat else {
            throw problem("\(what) is a malformed sparse tensor (values must be 1-D, indices integers)")
        }
        // With a zero dimension there is no position to fill (and the strides of the other
        // dimensions may not even fit in an Int).
        guard count > 0 else {
            guard nonZeros == 0 else { throw problem("\(what) has a sparse index outside its shape \(shape)") }
            return values.isFloat ? Tensor(shape: shape, floats: [], dtype: values.dtype)
                : Tensor(shape: shape, ints: [], dtype: values.dtype)
        }
        let strides = rowMajorStrides(shape)
        var positions: [Int] = []
        positions.reserveCapacity(nonZeros)
        if indices.shape == [nonZeros] {
            positions = indices.ints.map { Int(truncatingIfNeeded: $0) }
        } else if indices.shape == [nonZeros, shape.count] {
            for k in 0..<nonZeros {
                var linear = 0
                for axis in 0..<shape.count {
                    let index = Int(truncatingIfNeeded: indices.ints[k * shape.count + axis])
                    guard index >= 0, index < shape[axis] else { linear = -1; break }
                    linear += index * strides[axis]
                }
                positions.append(linear)
            }
        } else {
            throw problem("\(what) has sparse indices of shape \(indices.shape) for \(nonZeros) values of rank \(shape.count)")
        }
        guard positions.allSatisfy({ $0 >= 0 && $0 < count }) else {
            throw problem("\(what) has a sparse index outside its shape \(shape)")
        }
        if values.isFloat {
            var dense = [Float](repeating: 0, count: count)
            for (k, position) in positions.enumerated() { dense[position] = values.floats[k] }
            return Tensor(shape: shape, floats: dense, dtype: values.dtype)
        }
        var dense = [Int64](repeating: 0, count: count)
        for (k, position) in positions.enumerated() { dense[position] = values.ints[k] }
        return Tensor(shape: shape, ints: dense, dtype: values.dtype)
    }

    private func shapeOf(_ dims: [Int64], what: String) throws -> [Int] {
        var shape: [Int] = []
        shape.reserveCapacity(dims.count)
        for dim in dims {
            guard dim >= 0 else { throw problem("\(what) has a negative dimension in its shape \(dims)") }
            guard let value = Int(exactly: dim) else { throw problem("\(what) has an impossibly large shape \(dims)") }
            shape.append(value)
        }
        return shape
    }

    /// Values from the typed repeated fields. ONNX keeps 8- and 16-bit integers, booleans and the bit
    /// patterns of float16/bfloat16 in `int32_data` (4-bit integers as packed pairs, one byte per entry),
    /// and unsigned 32/64-bit integers in `uint64_data`.
    private func typedFields(_ proto: Onnx_TensorProto, dtype: DType, shape: [Int], count: Int,
                             what: String) throws -> Tensor {
        func check(_ found: Int, _ field: String) throws {
            guard found == count else {
                throw problem("\(what) holds \(found) values in \(field) but its shape \(shape) needs \(count)")
            }
        }
        switch dtype {
        case .float32:
            try check(proto.floatData.count, "float_data")
            return Tensor(shape: shape, floats: proto.floatData, dtype: dtype)
        case .float64:
            try check(proto.doubleData.count, "double_data")
            return Tensor(shape: shape, floats: proto.doubleData.map { Float($0) }, dtype: dtype)
        case .float16:
            try check(proto.int32Data.count, "int32_data")
            return Tensor(shape: shape, floats: proto.int32Data.map {
                HalfPrecision.float(fromFloat16Bits: UInt16(truncatingIfNeeded: $0))
            }, dtype: dtype)
        case .bfloat16:
            try check(proto.int32Data.count, "int32_data")
            return Tensor(shape: shape, floats: proto.int32Data.map {
                HalfPrecision.float(fromBFloat16Bits: UInt16(truncatingIfNeeded: $0))
            }, dtype: dtype)
        case .int4, .uint4:
            let packed = dtype.packedBytes(count: count)
            guard proto.int32Data.count == packed else {
                throw problem("\(what) holds \(proto.int32Data.count) packed pairs in int32_data but its shape "
                    + "\(shape) needs \(packed)")
            }
            let bytes = proto.int32Data.map { UInt8(truncatingIfNeeded: $0) }
            return Tensor(shape: shape, ints: bytes.withUnsafeBytes {
                ElementCodec.unpackNibbles($0, count: count, signed: dtype == .int4)
            }, dtype: dtype)
        case .int8, .uint8, .int16, .uint16, .int32:
            try check(proto.int32Data.count, "int32_data")
            return Tensor(shape: shape, ints: proto.int32Data.map { Int64($0) }, dtype: dtype)
        case .bool:
            try check(proto.int32Data.count, "int32_data")
            return Tensor(shape: shape, ints: proto.int32Data.map { $0 == 0 ? 0 : 1 }, dtype: dtype)
        case .int64:
            try check(proto.int64Data.count, "int64_data")
            return Tensor(shape: shape, ints: proto.int64Data, dtype: dtype)
        case .uint32, .uint64:
            try check(proto.uint64Data.count, "uint64_data")
            return Tensor(shape: shape, ints: proto.uint64Data.map { Int64(clamping: $0) }, dtype: dtype)
        }
    }

    private func problem(_ message: String) -> LatheError { LatheError.badInput(file: path, message) }
}
