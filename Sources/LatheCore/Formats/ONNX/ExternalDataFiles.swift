import Foundation

/// Reads tensor bytes that a model keeps in separate files (`data_location:
/// EXTERNAL`). Locations are relative to the model's folder and may not leave
/// it. Each file is memory-mapped once and sliced per tensor.
final class ExternalDataFiles {
    private let modelPath: String
    private let folder: URL
    private var mapped: [String: Data] = [:]

    init(modelPath: String) {
        self.modelPath = modelPath
        folder = URL(fileURLWithPath: modelPath).deletingLastPathComponent()
    }

    /// The `byteCount` bytes `proto`'s external data entry points at.
    func bytes(for proto: Onnx_TensorProto, byteCount: Int, what: String) throws -> Data {
        var entries: [String: String] = [:]
        for entry in proto.externalData { entries[entry.key] = entry.value }
        guard let location = entries["location"], !location.isEmpty else {
            throw problem("\(what) is stored externally but names no location")
        }
        let components = location.split(separator: "/", omittingEmptySubsequences: true)
        guard !location.hasPrefix("/"), !location.contains("\\"), !components.contains("..") else {
            throw problem("\(what) points at external data '\(location)' outside the model's folder")
        }
        let offset = try number(entries["offset"], key: "offset", what: what) ?? 0
        let length = try number(entries["length"], key: "length", what: what)
        if let length, length != byteCount {
            throw problem("\(what) declares \(length) bytes of external data but its shape needs \(byteCount)")
        }
        let file = try contents(of: location, what: what)
        let (end, overflow) = offset.addingReportingOverflow(byteCount)
        guard !overflow, end <= file.count else {
            throw problem("external data file '\(location)' is too short: \(what) needs bytes \(offset)..<\(end), "
                + "the file has \(file.count)")
        }
        return file.subdata(in: offset..<end)
    }

    private func contents(of location: String, what: String) throws -> Data {
        if let data = mapped[location] { return data }
        let url = folder.appendingPathComponent(location)
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), !isFolder.boolValue else {
            throw problem("external data file '\(location)' for \(what) not found in \(folder.path)")
        }
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .mappedIfSafe)
        } catch {
            throw problem("cannot read external data file '\(location)': \(error.localizedDescription)")
        }
        mapped[location] = data
        return data
    }

    private func number(_ text: String?, key: String, what: String) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), value >= 0 else {
            throw problem("\(what) has an invalid external data \(key) '\(text)'")
        }
        return value
    }

    private func problem(_ message: String) -> LatheError { LatheError.badInput(file: modelPath, message) }
}
