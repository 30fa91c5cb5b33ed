import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
        if let mapped = mapped(path) {
            data = mapped
        } else {
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw LatheError.badInput(file: path, "cannot read: \(error.localizedDescription)")
            }
        }
        guard !data.isEmpty else { throw LatheError.badInput(file: path, "file is empty") }
        return data
    }

    /// The regular file at `path` mapped privately, so large weight and data files are decoded straight from the
    /// page cache: Foundation's `.mappedIfSafe` reads the whole file on Linux, and the copy, into freshly zeroed
    /// pages, was about 5% of `lathe eval` on 64 images of 416×416. Private and writable: a reader that mutates
    /// its `Data` changes its own pages, never the file. Nil for what cannot be mapped (a pipe, an empty file),
    /// which is then read.
    private static func mapped(_ path: String) -> Data? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 else { return nil }
        let size = Int(info.st_size)
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            return nil
        }
        return Data(bytesNoCopy: base, count: size, deallocator: .custom { pointer, count in
            munmap(pointer, count)
        })
    }
}
