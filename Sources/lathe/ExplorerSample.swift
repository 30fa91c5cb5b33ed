import Foundation
import LatheCore

/// The bundled sample that bare `lathe` opens: MobileNet and its evaluation data,
/// shipped as a resource of the `lathe` target so it is found from any directory.
enum ExplorerSample {
    static func paths() throws -> (model: String, data: [String]) {
        guard let directory = Bundle.module.url(forResource: "sample", withExtension: nil) else {
            throw LatheError.internalFailure("the bundled sample is missing from the lathe resources")
        }
        let model = directory.appendingPathComponent("model.onnx").path
        let data = directory.appendingPathComponent("data.npz").path
        guard FileManager.default.isReadableFile(atPath: model), FileManager.default.isReadableFile(atPath: data) else {
            throw LatheError.internalFailure("the bundled sample in \(directory.path) is incomplete")
        }
        return (model, [data])
    }
}
