import Foundation
import LatheCore

/// Checks on user-named paths made before any loader touches them, so a wrong
/// path is reported as such rather than as whatever the parser trips over.
enum InputFiles {
    /// `path` must name an existing, readable, non-empty regular file.
    static func checkReadable(_ path: String, what: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw LatheError.badInput(file: path, "\(what) file not found")
        }
        guard !isDirectory.boolValue else {
            throw LatheError.badInput(file: path, "is a directory, expected a \(what) file")
        }
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw LatheError.badInput(file: path, "\(what) file is not readable (permission denied)")
        }
        // attributesOfItem describes a symbolic link itself, not the file it names.
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        let size = (try? FileManager.default.attributesOfItem(atPath: target)[.size] as? NSNumber)?.intValue
        if size == 0 {
            throw LatheError.badInput(file: path, "\(what) file is empty")
        }
    }

    /// Whether two paths name the same file: same resolved path, or same device and inode.
    static func sameFile(_ a: String, _ b: String) -> Bool {
        let ra = URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
        let rb = URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
        if ra == rb { return true }
        var sa = stat()
        var sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }

    /// An output path must not overwrite an input and its directory must exist.
    static func checkWritable(_ path: String, notOnto inputs: [String]) throws {
        if let input = inputs.first(where: { sameFile(path, $0) }) {
            throw LatheError.badInput(file: path, "refusing to overwrite the input file \(input)")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw LatheError.badInput(file: path, "is a directory, expected an output file path")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw LatheError.badInput(file: path, "directory \(directory) does not exist")
        }
        // access(2), not the permission bits: root may write anywhere except a read-only file system.
        guard access(directory, W_OK) == 0 else {
            throw LatheError.badInput(file: path, "directory \(directory) is not writable (\(String(cString: strerror(errno))))")
        }
    }
}
