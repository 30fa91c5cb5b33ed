import Foundation

/// Keeps the protobuf decoder from copying the weights.
///
/// SwiftProtobuf copies every `bytes` field it decodes, and in an ONNX file nearly all the bytes are the
/// initializers' `raw_data`. On a 54 MB recognizer that copy was a third of `lathe eval`'s page faults: 54 MB of
/// freshly zeroed pages, only to be decoded into tensors and freed. So the top-level graph's initializers are
/// handed to the decoder without their `raw_data` (the rest of the file, a few kilobytes of nodes and names, is
/// re-encoded around them), and each is then given back as a slice of the file's own bytes, which shares
/// their storage. The decoded message is the one a plain decode gives.
///
/// Anything this does not expect (a second `graph` or `raw_data` field, a wrong wire type, a group, bytes
/// that do not parse) means no lifting: the file then goes to the plain decoder, whose errors name the
/// problem as before.
enum InitializerBytes {
    /// The file's bytes without the initializers' `raw_data`, and where each initializer's was.
    struct Lifted {
        let stripped: Data
        /// Per initializer of the top-level graph, in file order: the range of its `raw_data` in the original
        /// bytes (counted from their start), or nil when it has none.
        let rawData: [Range<Int>?]
    }

    // Field numbers of onnx.proto.
    private static let modelGraph = 7
    private static let graphInitializer = 5
    private static let tensorRawData = 9

    /// Nil when there is nothing worth lifting or the bytes are not what a well-formed model looks like.
    static func lift(_ data: Data) -> Lifted? {
        data.withUnsafeBytes { bytes -> Lifted? in
            var ranges: [Range<Int>?] = []
            var out = KeptBytes(bytes)
            var scanner = WireScanner(bytes: bytes, range: 0..<bytes.count)
            var sawGraph = false
            while !scanner.atEnd {
                guard let field = scanner.next() else { return nil }
                guard field.number == modelGraph else {
                    out.keep(field.whole)
                    continue
                }
                guard field.wireType == .lengthDelimited, !sawGraph,
                      let graph = strippedGraph(bytes, field.payload, ranges: &ranges) else { return nil }
                sawGraph = true
                out.add(field: modelGraph, graph)
            }
            let stripped = out.finished()
            // Worth it only past the copy of the rest that lifting costs.
            let lifted = ranges.reduce(0) { $0 + ($1?.count ?? 0) }
            guard sawGraph, lifted > 2 * stripped.count else { return nil }
            return Lifted(stripped: stripped, rawData: ranges)
        }
    }

    /// Gives each initializer of `proto` (decoded from `lifted.stripped`) its `raw_data` back, as a slice of
    /// `original`. False when the initializers do not match what was lifted, which a decoder that read every
    /// initializer field cannot give.
    static func restore(_ proto: inout Onnx_ModelProto, _ lifted: Lifted, from original: Data) -> Bool {
        var graph = proto.graph
        var initializers = graph.initializer
        guard initializers.count == lifted.rawData.count else { return false }
        // Out of the message first, so that writing each one does not copy the array.
        graph.initializer = []
        proto.graph = Onnx_GraphProto()
        // The ranges count from the bytes' start, which need not be index 0 of a `Data` slice.
        let base = original.startIndex
        for (index, range) in lifted.rawData.enumerated() {
            guard let range else { continue }
            initializers[index].rawData = original[(base + range.lowerBound)..<(base + range.upperBound)]
        }
        graph.initializer = initializers
        proto.graph = graph
        return true
    }

    /// The graph message without its initializers' `raw_data`.
    private static func strippedGraph(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>,
                                      ranges: inout [Range<Int>?]) -> Data? {
        var out = KeptBytes(bytes)
        var scanner = WireScanner(bytes: bytes, range: range)
        while !scanner.atEnd {
            guard let field = scanner.next() else { return nil }
            guard field.number == graphInitializer else {
                out.keep(field.whole)
                continue
            }
            guard field.wireType == .lengthDelimited,
                  let tensor = strippedTensor(bytes, field.payload, ranges: &ranges) else { return nil }
            out.add(field: graphInitializer, tensor)
        }
        return out.finished()
    }

    /// The tensor message without its `raw_data`, whose range joins `ranges`.
    private static func strippedTensor(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>,
                                       ranges: inout [Range<Int>?]) -> Data? {
        var out = KeptBytes(bytes)
        var rawData: Range<Int>?
        var scanner = WireScanner(bytes: bytes, range: range)
        while !scanner.atEnd {
            guard let field = scanner.next() else { return nil }
            guard field.number == tensorRawData else {
                out.keep(field.whole)
                continue
            }
            // A repeated singular field is legal protobuf (the last wins); rare enough to leave to the decoder.
            guard field.wireType == .lengthDelimited, rawData == nil else { return nil }
            rawData = field.payload
        }
        ranges.append(rawData)
        return out.finished()
    }
}

/// Reads protobuf fields off raw bytes, without decoding them.
private struct WireScanner {
    enum WireType: UInt64 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    struct Field {
        let number: Int
        let wireType: WireType
        /// Tag, length and payload: the field as it stands in the bytes.
        let whole: Range<Int>
        /// The payload of a length-delimited field (empty for the others).
        let payload: Range<Int>
    }

    let bytes: UnsafeRawBufferPointer
    private var position: Int
    private let end: Int

    init(bytes: UnsafeRawBufferPointer, range: Range<Int>) {
        self.bytes = bytes
        position = range.lowerBound
        end = range.upperBound
    }

    var atEnd: Bool { position >= end }

    /// The next field, or nil for bytes that are not one (groups, unknown wire types, overruns).
    mutating func next() -> Field? {
        let start = position
        guard let tag = varint(), let wireType = WireType(rawValue: tag & 7), tag >> 3 > 0,
              tag >> 3 <= UInt64(Int32.max) else { return nil }
        var payload = position..<position
        switch wireType {
        case .varint:
            guard varint() != nil else { return nil }
        case .fixed64, .fixed32:
            let width = wireType == .fixed64 ? 8 : 4
            guard end - position >= width else { return nil }
            position += width
        case .lengthDelimited:
            guard let length = varint(), length <= UInt64(end - position) else { return nil }
            payload = position..<(position + Int(length))
            position = payload.upperBound
        }
        return Field(number: Int(tag >> 3), wireType: wireType, whole: start..<position, payload: payload)
    }

    private mutating func varint() -> UInt64? {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 7) {
            guard position < end else { return nil }
            let byte = bytes[position]
            position += 1
            value |= UInt64(byte & 0x7f) << UInt64(shift)
            if byte & 0x80 == 0 { return value }
        }
        return nil
    }

    static func appendLengthDelimited(field: Int, _ payload: Data, to out: inout Data) {
        appendVarint(UInt64(field) << 3 | WireType.lengthDelimited.rawValue, to: &out)
        appendVarint(UInt64(payload.count), to: &out)
        out.append(payload)
    }

    private static func appendVarint(_ value: UInt64, to out: inout Data) {
        var value = value
        while value >= 0x80 {
            out.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
    }
}

/// A message's bytes rebuilt from the fields kept as they stand and fields re-encoded: consecutive kept
/// fields are copied in one piece (field by field, the copy was most of the lifting's time).
private struct KeptBytes {
    let bytes: UnsafeRawBufferPointer
    private var out = Data()
    private var pending: Range<Int>?

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func keep(_ range: Range<Int>) {
        if let run = pending, run.upperBound == range.lowerBound {
            pending = run.lowerBound..<range.upperBound
        } else {
            flush()
            pending = range
        }
    }

    mutating func add(field: Int, _ payload: Data) {
        flush()
        WireScanner.appendLengthDelimited(field: field, payload, to: &out)
    }

    mutating func finished() -> Data {
        flush()
        return out
    }

    private mutating func flush() {
        guard let run = pending else { return }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[run]))
        pending = nil
    }
}
