import Foundation
import ZIPFoundation

/// numpy's `.npz` archives (`np.savez`, `np.savez_compressed`): a ZIP file of
/// `.npy` members, stored or deflated. Array names are member names without
/// the `.npy` suffix, in archive order.
public enum NPZFormat {
    /// Reads every array in `path`, in the order the archive lists them.
    public static func read(path: String) throws -> [(name: String, tensor: Tensor)] {
        // The same missing/empty/folder messages as every other reader.
        try read(path: path, contents: try FileInput.contents(of: path))
    }

    /// Reads the archive at `path` whose bytes the caller has already read (`contents`).
    static func read(path: String, contents file: Data) throws -> [(name: String, tensor: Tensor)] {
        try arrays(path: path, contents: file, file: nil).map { (name: $0.name, tensor: try $0.tensor) }
    }

    /// The archive's arrays as dataset arrays (`NPYFormat.dataArray`): with `inputFile` (the open file
    /// `contents` are the bytes of), a stored float32 or uint8 member stays in the file.
    static func arrays(path: String, contents file: Data, file inputFile: InputFile?) throws -> [DataArray] {
        let fileSize = file.count
        let stored = StoredZipMembers.locate(in: file) ?? [:]
        let archive: Archive
        do {
            archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
        } catch {
            throw LatheError.badInput(file: path, "not an NPZ archive (cannot be read as a ZIP file)")
        }
        var arrays: [DataArray] = []
        for entry in archive where entry.type == .file {
            let name = entry.path.hasSuffix(".npy") ? String(entry.path.dropLast(4)) : entry.path
            let limit = try extractedSizeLimit(entry, fileSize: fileSize, name: name, path: path)
            if !entry.isCompressed, let range = stored[entry.path], UInt64(range.count) == entry.uncompressedSize {
                // Decoded from the bytes already read, without extracting a copy first (see `StoredZipMembers`).
                arrays.append(try NPYFormat.dataArray(named: name, file[range], file: inputFile) {
                    LatheError.badInput(file: path, "array '\(name)': \($0)")
                })
                continue
            }
            var bytes = Data()
            do {
                // A stored member (np.savez) is read in one chunk that becomes `bytes` without a
                // copy. The CRC is skipped: `extract` only returns it and nothing compared it;
                // computing it byte by byte cost more than the rest of the read (npz members are
                // checked for what matters: sizes here, the NPY header and payload in `decode`).
                let chunkSize = entry.isCompressed ? defaultReadChunkSize : max(1, limit)
                _ = try archive.extract(entry, bufferSize: chunkSize, skipCRC32: true, consumer: { chunk in
                    // A member inflating past what its header declared is corrupt (or a bomb): stop there.
                    guard bytes.count + chunk.count <= limit else { throw LatheError.badInput(file: path, "") }
                    if bytes.isEmpty { bytes = chunk } else { bytes.append(chunk) }
                })
            } catch is LatheError {
                throw LatheError.badInput(file: path, "array '\(name)' inflates past the \(limit) bytes its header declares "
                    + "(corrupt archive)")
            } catch {
                throw LatheError.badInput(file: path, "array '\(name)' cannot be extracted (corrupt archive: \(error))")
            }
            arrays.append(try NPYFormat.dataArray(named: name, bytes, file: nil) {
                LatheError.badInput(file: path, "array '\(name)': \($0)")
            })
        }
        return arrays
    }

    /// deflate cannot shrink data more than 1032:1, so a member claiming more than that from its
    /// compressed bytes (or, whatever it claims, from the whole file) is corrupt; checked before
    /// anything is inflated, so a few kilobytes cannot claim gigabytes of memory.
    static let maxDeflateRatio: UInt64 = 1032

    static func extractedSizeLimit(_ entry: Entry, fileSize: Int, name: String, path: String) throws -> Int {
        let declared = entry.uncompressedSize
        let compressed = min(entry.compressedSize, UInt64(fileSize))
        let possible = compressed.multipliedReportingOverflow(by: maxDeflateRatio).partialValue + 1024
        guard declared <= possible, declared <= UInt64(Int.max) else {
            throw LatheError.badInput(file: path, "array '\(name)' declares \(declared) bytes, more than its "
                + "\(compressed) compressed bytes can hold (corrupt archive)")
        }
        // An honest claim can still be more than this machine holds: refused before inflating.
        guard declared <= ProcessInfo.processInfo.physicalMemory / 2 else {
            throw LatheError.badInput(file: path, "array '\(name)' inflates to \(declared) bytes, more than half of "
                + "this machine's memory")
        }
        return Int(declared)
    }

    /// Writes `arrays` to `path` atomically, as `np.savez` (stored) or `np.savez_compressed` (deflate) would.
    public static func write(_ arrays: [(name: String, tensor: Tensor)], to path: String,
                             compressed: Bool = false) throws {
        var seen = Set<String>()
        for (name, _) in arrays {
            guard !name.isEmpty, seen.insert(name).inserted else {
                throw LatheError.internalFailure("NPZ array names must be unique and non-empty, got '\(name)'")
            }
        }
        let members = try arrays.map { (path: $0.name + ".npy", bytes: try NPYFormat.encode($0.tensor)) }
        try AtomicFile.write(to: path) { temporary in
            do {
                let archive = try Archive(url: URL(fileURLWithPath: temporary), accessMode: .create)
                for member in members {
                    let bytes = member.bytes
                    try archive.addEntry(
                        with: member.path, type: .file, uncompressedSize: Int64(bytes.count),
                        modificationDate: fixedTimestamp, compressionMethod: compressed ? .deflate : .none,
                        provider: { position, size in
                            let start = Int(position)
                            return bytes.subdata(in: start..<min(start + size, bytes.count))
                        })
                }
            } catch let error as LatheError {
                throw error
            } catch {
                throw LatheError.badInput(file: path, "cannot write the archive: \(error)")
            }
        }
    }

    /// Members carry a fixed date so the same arrays always give the same file.
    private static let fixedTimestamp = Date(timeIntervalSince1970: 946_684_800) // 2000-01-01
}
