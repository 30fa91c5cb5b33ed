import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file mapped read-only into memory, so a multi-gigabyte checkpoint opens
/// instantly and only the pages being read are resident. Readers call
/// `release(_:)` on byte ranges they are done with, which hands the pages back
/// to the page cache (they fault in again if read later): without it every
/// page read stays counted in the process's resident memory until exit.
public final class MappedFile: @unchecked Sendable {
    // Immutable after init; the mapping is read-only, so sharing it across threads is safe.
    public let path: String
    public let size: Int
    private let base: UnsafeRawPointer?

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw LatheError.badInput(file: path, "cannot open (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw LatheError.badInput(file: path, "cannot read its size (\(String(cString: strerror(errno))))")
        }
        size = Int(info.st_size)
        guard size > 0 else {
            base = nil
            return
        }
        let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped, mapped != MAP_FAILED else {
            throw LatheError.badInput(file: path, "cannot be memory-mapped (\(String(cString: strerror(errno))))")
        }
        base = UnsafeRawPointer(mapped)
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), size) }
    }

    /// The bytes at `range` (which the caller has checked lies inside the file).
    public func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= size, "read outside the mapped file")
        guard let base else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// Drops the pages covering `range` from this process's resident memory.
    public func release(_ range: Range<Int>) {
        guard let base, !range.isEmpty else { return }
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let start = range.lowerBound / page * page
        let end = min(size, (range.upperBound + page - 1) / page * page)
        guard end > start else { return }
        madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, Int32(MADV_DONTNEED))
    }
}
