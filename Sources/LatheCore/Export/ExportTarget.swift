import Foundation

/// An export never overwrites what it reads: the model, the configuration, the data.
public enum ExportTarget {
    /// Throws when `path` names one of `inputs`: the same path, a hard link to it (same device and inode)
    /// or a symbolic link resolving to it.
    public static func check(_ path: String, notOnto inputs: [String]) throws {
        for input in inputs where !input.isEmpty && sameFile(path, input) {
            throw LatheError.badInput(file: path, "refusing to overwrite the input file \(input)")
        }
    }

    public static func sameFile(_ a: String, _ b: String) -> Bool {
        let ra = URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath().path
        let rb = URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath().path
        if ra == rb { return true }
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }
}
