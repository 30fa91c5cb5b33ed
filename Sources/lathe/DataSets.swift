import Foundation
import LatheCore

/// Evaluation sets given as repeated `--data NAME=FILE` (or `--data FILE`,
/// named after the file's stem): several distributions side by side.
struct NamedDataFile: Equatable {
    var name: String
    var path: String

    /// Parses every `--data` value; names must be unique.
    static func parse(_ values: [String]) throws -> [NamedDataFile] {
        var result: [NamedDataFile] = []
        for value in values {
            let entry = Self(value)
            guard !entry.path.isEmpty, !entry.name.isEmpty else {
                throw LatheError.badInput("--data '\(value)': expected FILE or NAME=FILE")
            }
            guard !result.contains(where: { $0.name == entry.name }) else {
                throw LatheError.badInput("--data: two sets are named '\(entry.name)'; name them with NAME=FILE")
            }
            result.append(entry)
        }
        return result
    }

    /// `NAME=FILE` when the text before the first `=` is a plain name and the whole is not an existing file.
    init(_ value: String) {
        if let equals = value.firstIndex(of: "="), !FileManager.default.fileExists(atPath: value) {
            let name = String(value[..<equals])
            if !name.isEmpty, !name.contains("/") {
                self.name = name
                self.path = String(value[value.index(after: equals)...])
                return
            }
        }
        path = value
        name = URL(fileURLWithPath: value).deletingPathExtension().lastPathComponent
    }
}
