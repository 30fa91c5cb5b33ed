import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes files so that a reader (or a crash) sees either the old file or the
/// complete new one: the content goes to a temporary file in the destination's
/// folder, is flushed to disk, and is renamed over the destination.
enum AtomicFile {
    /// Writes `data` to `path` atomically.
    static func write(_ data: Data, to path: String) throws {
        try write(to: path) { temporary in try writeContents(data, at: temporary, naming: path) }
    }

    /// Writes `data` to the new file `file` (a temporary one), checking every write and the close;
    /// errors name `path`, the file the user asked for.
    static func writeContents(_ data: Data, at file: String, naming path: String) throws {
        try writeContents(at: file, naming: path) { sink in try data.withUnsafeBytes { try sink($0) } }
    }

    /// Lets `fill` write the new file `file` (a temporary one) a stretch of bytes at a time, so a large
    /// array goes to disk from where it already lies instead of through a copy. Every write and the close
    /// are checked; errors name `path`, the file the user asked for.
    static func writeContents(at file: String, naming path: String,
                              _ fill: (_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Void) throws {
        let descriptor = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw failure(path, "cannot create a temporary file") }
        var closed = false
        defer { if !closed { close(descriptor) } }
        try fill { bytes in
            var offset = 0
            while offset < bytes.count {
                guard let base = bytes.baseAddress else { break }
                let written = posixWrite(descriptor, base + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure(path, "cannot write")
                }
                offset += written
            }
        }
        // Some file systems (NFS, quotas) report a full disk only when the file is closed.
        closed = true
        guard close(descriptor) == 0 else { throw failure(path, "cannot write") }
    }

    /// Lets `produce` create the file at a temporary path in `path`'s folder, then renames it to `path`.
    /// The temporary file is removed if anything fails.
    static func write(to path: String, _ produce: (String) throws -> Void) throws {
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw LatheError.badInput(file: path, "cannot write: folder \(folder) does not exist")
        }
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw LatheError.badInput(file: path, "cannot write: it is a folder")
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).lathe-\(UUID().uuidString).tmp").path
        do {
            try produce(temporary)
            try flushToDisk(temporary, destination: path)
            guard rename(temporary, path) == 0 else { throw failure(path, "cannot replace the file") }
        } catch {
            unlink(temporary)
            throw error
        }
    }

    private static func flushToDisk(_ temporary: String, destination: String) throws {
        let descriptor = open(temporary, O_RDONLY)
        guard descriptor >= 0 else { throw failure(destination, "cannot reopen the temporary file") }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure(destination, "cannot flush to disk") }
    }

    private static func failure(_ path: String, _ what: String) -> LatheError {
        LatheError.badInput(file: path, "\(what): \(String(cString: strerror(errno)))")
    }
}

/// POSIX `write`, named apart from `AtomicFile.write` so the call above is unambiguous.
private func posixWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
