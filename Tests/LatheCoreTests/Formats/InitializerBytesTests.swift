import Foundation
import SwiftProtobuf
import XCTest
@testable import LatheCore

/// Lifting the initializers' raw data out of the protobuf decode must give the message a plain decode gives,
/// and must step aside for anything it does not expect.
final class InitializerBytesTests: XCTestCase {
    private func plainDecode(_ data: Data, keepUnknownFields: Bool = false) throws -> Onnx_ModelProto {
        var options = BinaryDecodingOptions()
        options.discardUnknownFields = !keepUnknownFields
        return try Onnx_ModelProto(serializedBytes: data, options: options)
    }

    /// Every ONNX file in the repository with initializers worth lifting reads as the plain decoder reads it.
    func testEveryRepositoryModelParsesAsThePlainDecoderParsesIt() throws {
        let root = FormatsFixtures.repositoryRoot
        var files: [URL] = []
        for folder in ["samples", "Tests"] {
            let walker = FileManager.default.enumerator(at: root.appendingPathComponent(folder),
                                                        includingPropertiesForKeys: nil)
            while let url = walker?.nextObject() as? URL {
                if url.pathExtension == "onnx" { files.append(url) }
            }
        }
        var lifted = 0
        for url in files {
            let data = try FileInput.contents(of: url.path)
            guard let plain = try? plainDecode(data) else { continue } // the malformed fixtures
            if InitializerBytes.lift(data) != nil { lifted += 1 }
            for keep in [false, true] {
                let parsed = try ONNXReader.parse(data, path: url.path, keepUnknownFields: keep)
                XCTAssertEqual(parsed, keep ? try plainDecode(data, keepUnknownFields: true) : plain, url.path)
            }
        }
        // The samples' weights are raw data: most files must have taken the lifted path.
        XCTAssertGreaterThan(files.count, 20)
        XCTAssertGreaterThan(lifted, 10)
    }

    /// The weights of a real model decode to the same tensors, and its raw data shares the file's storage.
    func testLiftedRawDataIsASliceOfTheFile() throws {
        let path = FormatsFixtures.repositoryRoot.appendingPathComponent("samples/mobilenet/model.onnx").path
        let data = try FileInput.contents(of: path)
        let lifted = try XCTUnwrap(InitializerBytes.lift(data))
        XCTAssertLessThan(lifted.stripped.count * 10, data.count)
        let proto = try ONNXReader.parse(data, path: path)
        let weight = try XCTUnwrap(proto.graph.initializer.max { $0.rawData.count < $1.rawData.count })
        let sameStorage = data.withUnsafeBytes { file in
            weight.rawData.withUnsafeBytes { raw in
                let base = UInt(bitPattern: file.baseAddress), at = UInt(bitPattern: raw.baseAddress)
                return at >= base && at + UInt(raw.count) <= base + UInt(file.count)
            }
        }
        XCTAssertTrue(sameStorage, "the raw data was copied")
    }

    // MARK: - What lifting leaves to the plain decoder

    private func field(_ number: Int, _ payload: Data) -> Data {
        var out = Data()
        InitializerBytesTests.varint(UInt64(number) << 3 | 2, &out)
        InitializerBytesTests.varint(UInt64(payload.count), &out)
        return out + payload
    }

    private static func varint(_ value: UInt64, _ out: inout Data) {
        var value = value
        while value >= 0x80 { out.append(UInt8(value & 0x7f) | 0x80); value >>= 7 }
        out.append(UInt8(value))
    }

    /// A model of one big initializer, as bytes, with `tensorTail` appended inside the tensor message and
    /// `modelTail` after the model's fields.
    private func model(tensorTail: Data = Data(), modelTail: Data = Data()) throws -> Data {
        var tensor = Onnx_TensorProto()
        tensor.name = "w"
        tensor.dims = [1024]
        tensor.dataType = 1
        tensor.rawData = Data((0..<4096).map { UInt8($0 % 251) })
        var graph = Onnx_GraphProto()
        graph.name = "g"
        var output = Onnx_ValueInfoProto()
        output.name = "w"
        graph.output = [output]
        var model = Onnx_ModelProto()
        model.irVersion = 8
        var opset = Onnx_OperatorSetIdProto()
        opset.version = 17
        model.opsetImport = [opset]
        model.graph = graph
        let tensorBytes: Data = try tensor.serializedBytes() + tensorTail
        let graphBytes: Data = try graph.serializedBytes() + field(5, tensorBytes)
        var modelWithoutGraph = model
        modelWithoutGraph.clearGraph()
        return try modelWithoutGraph.serializedBytes() + field(7, graphBytes) + modelTail
    }

    func testAWellFormedModelIsLiftedAndReadsTheSame() throws {
        let data = try model()
        XCTAssertNotNil(InitializerBytes.lift(data))
        XCTAssertEqual(try ONNXReader.parse(data, path: "m.onnx"), try plainDecode(data))
        XCTAssertEqual(try ONNXReader.parse(data, path: "m.onnx").graph.initializer.first?.rawData.count, 4096)
    }

    /// A second raw_data field (the last wins in protobuf) and a second graph (protobuf merges them) are
    /// left to the plain decoder, which gives them their protobuf meaning.
    func testRepeatedSingularFieldsAreLeftToThePlainDecoder() throws {
        let twice = try model(tensorTail: field(9, Data([1, 2, 3, 4])))
        XCTAssertNil(InitializerBytes.lift(twice))
        let parsed = try ONNXReader.parse(twice, path: "m.onnx")
        XCTAssertEqual(parsed.graph.initializer.first?.rawData, Data([1, 2, 3, 4]))

        var extraGraph = Onnx_GraphProto()
        extraGraph.docString = "merged"
        let merged = try model(modelTail: field(7, try extraGraph.serializedBytes()))
        XCTAssertNil(InitializerBytes.lift(merged))
        let mergedParse = try ONNXReader.parse(merged, path: "m.onnx")
        XCTAssertEqual(mergedParse.graph.docString, "merged")
        XCTAssertEqual(mergedParse.graph.initializer.first?.rawData.count, 4096)
    }

    /// Bytes cut short still give the decoder's own error; a raw_data field of the wrong wire type its own reading.
    func testMalformedBytesStillFailWithTheDecodersMessage() throws {
        let data = try model()
        let truncated = data.prefix(data.count - 100)
        XCTAssertNil(InitializerBytes.lift(truncated))
        XCTAssertThrowsError(try ONNXReader.parse(truncated, path: "cut.onnx")) { error in
            XCTAssertTrue("\(error)".contains("cut.onnx"), "\(error)")
            XCTAssertTrue("\(error)".contains("truncated"), "\(error)")
        }
        // Field 9 as a varint: not the schema's bytes, so whatever the decoder makes of it stands.
        let wrongType = try model(tensorTail: Data([9 << 3, 1]))
        XCTAssertNil(InitializerBytes.lift(wrongType))
        XCTAssertEqual(try ONNXReader.parse(wrongType, path: "odd.onnx"), try plainDecode(wrongType))
    }
}
