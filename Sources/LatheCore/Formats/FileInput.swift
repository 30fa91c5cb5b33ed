import Foundation

/// Reads a user-supplied file whole, turning every way that can fail into a
/// `badInput` error that names the file.
enum FileInput {
    static func contents(of path: String) throws -> Data {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw LatheError.badInput(file: path, "no such file")
        }
        guard !isFolder.boolValue else { throw LatheError.badInput(file: path, "is a folder, not a file") }
        let data: Data
        do {
            // Mapped: large weight and data files are read straight from the page cache.
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw LatheError.badInput(file: path, "cannot read: \(error.localizedDescription)")
        }
        guard !data.isEmpty else { throw LatheError.badInput(file: path, "file is empty") }
        return data
    }
}
