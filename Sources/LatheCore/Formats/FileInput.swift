import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a user-supplied file whole, turning every way that can fail into a
/// `badInput` error that names the file.
enum FileInput {
    static func contents(of path: String) throws -> Data { try opened(path).contents }

    /// The file's bytes, and for a regular file the file itself kept open (`InputFile`), so that
    /// large arrays can be read from it later rather than copied out of `contents` now.
    static func opened(_ path: String) throws -> (contents: Data, file: InputFile?) {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw LatheError.badInput(file: path, "no such file")
        }
        guard !isFolder.boolValue else { throw LatheError.badInput(file: path, "is a folder, not a file") }
        if let (data, file) = mapped(path) { return (data, file) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LatheError.badInput(file: path, "cannot read: \(error.localizedDescription)")
        }
        guard !data.isEmpty else { throw LatheError.badInput(file: path, "file is empty") }
        return (data, nil)
    }

    /// The regular file at `path` mapped privately, so large weight and data files are decoded straight from the
    /// page cache: Foundation's `.mappedIfSafe` reads the whole file on Linux, and the copy, into freshly zeroed
    /// pages, was about 5% of `lathe eval` on 64 images of 416×416. Private and writable: a reader that mutates
    /// its `Data` changes its own pages, never the file. Nil for what cannot be mapped (a pipe, an empty file),
    /// which is then read.
    private static func mapped(_ path: String) -> (Data, InputFile)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size > 0 else {
            close(fd)
            return nil
        }
        let size = Int(info.st_size)
        guard let base = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            close(fd)
            return nil
        }
        let data = Data(bytesNoCopy: base, count: size, deallocator: .custom { pointer, count in
            munmap(pointer, count)
        })
        return (data, InputFile(path: path, descriptor: fd, size: size))
    }
}

/// A regular input file held open after loading, read at known offsets (`RawElements`). Reads go
/// through the descriptor rather than a mapping: a file truncated while Lathe runs (rewritten in
/// place by np.savez, say) then gives a short read and an error naming it, where a mapping would
/// kill the process with SIGBUS.
final class InputFile: Sendable {
    let path: String
    let descriptor: Int32
    /// Bytes when it was opened.
    let size: Int

    init(path: String, descriptor: Int32, size: Int) {
        self.path = path
        self.descriptor = descriptor
        self.size = size
    }

    deinit { close(descriptor) }

    /// Reads `count` bytes at `offset` into `destination`, all of them or an error.
    func read(into destination: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
        var done = 0
        while done < count {
            let got = pread(descriptor, destination + done, count - done, off_t(offset + done))
            if got > 0 {
                done += got
            } else if got < 0 && errno == EINTR {
                continue
            } else {
                let why = got == 0 ? "it ends at byte \(offset + done), before the \(size) bytes it had when it was loaded"
                    : String(cString: strerror(errno))
                throw LatheError.badInput(file: path, "changed while Lathe was reading it (\(why)); run again on the "
                    + "file as it is now")
            }
        }
    }
}
