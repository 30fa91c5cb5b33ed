import Foundation

/// Where the bytes of each stored (uncompressed) member of a ZIP file lie, read from its
/// central directory and the members' local headers, ZIP64 included.
///
/// `np.savez` stores its arrays uncompressed, so an array's NPY bytes can be decoded straight
/// from the file's bytes, which the loader has read anyway, instead of being extracted into a
/// buffer of their own first (the whole evaluation set read and copied twice more). This reader only locates; ZIPFoundation stays the authority on what the archive
/// holds, and a member is read in place only when both agree on its name and size (anything
/// unusual here, and the member is extracted as before).
enum StoredZipMembers {
    /// Byte ranges of the stored, unencrypted members by path; nil when the directory cannot be read.
    static func locate(in file: Data) -> [String: Range<Int>]? {
        file.withUnsafeBytes { bytes in
            Reader(bytes: bytes).members()
        }
    }

    private struct Reader {
        let bytes: UnsafeRawBufferPointer

        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= bytes.count else { return nil }
            return Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)))
        }

        func u32(_ at: Int) -> Int? {
            guard at >= 0, at + 4 <= bytes.count else { return nil }
            return Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)))
        }

        func u64(_ at: Int) -> Int? {
            guard at >= 0, at + 8 <= bytes.count else { return nil }
            let value = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            return value <= UInt64(Int.max) ? Int(value) : nil
        }

        /// The end-of-central-directory record: within the last 22 + 65,535 bytes (its comment).
        func endOfDirectory() -> Int? {
            guard bytes.count >= 22 else { return nil }
            var at = bytes.count - 22
            let lowest = max(0, bytes.count - 22 - 65_535)
            while at >= lowest {
                if u32(at) == 0x0605_4b50 { return at }
                at -= 1
            }
            return nil
        }

        /// (entries, directory offset), from the ZIP64 record when the classic one is saturated.
        func directory() -> (count: Int, offset: Int)? {
            guard let end = endOfDirectory(), let count16 = u16(end + 10), let offset32 = u32(end + 16) else {
                return nil
            }
            guard count16 == 0xFFFF || offset32 == 0xFFFF_FFFF else { return (count16, offset32) }
            guard u32(end - 20) == 0x0706_4b50, let record = u64(end - 20 + 8), u32(record) == 0x0606_4b50,
                  let count = u64(record + 32), let offset = u64(record + 48) else { return nil }
            return (count, offset)
        }

        func members() -> [String: Range<Int>]? {
            guard let (count, start) = directory() else { return nil }
            var result: [String: Range<Int>] = [:]
            var at = start
            for _ in 0..<count {
                guard u32(at) == 0x0201_4b50, let flags = u16(at + 8), let method = u16(at + 10),
                      var size = u32(at + 20), let nameLength = u16(at + 28), let extraLength = u16(at + 30),
                      let commentLength = u16(at + 32), var local = u32(at + 42),
                      at + 46 + nameLength + extraLength <= bytes.count else { return nil }
                let uncompressed = u32(at + 24)
                let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[(at + 46)..<(at + 46 + nameLength)])
                // ZIP64: the extra field holds, in this order, the fields saturated above.
                if uncompressed == 0xFFFF_FFFF || size == 0xFFFF_FFFF || local == 0xFFFF_FFFF {
                    guard let zip64 = zip64Field(from: at + 46 + nameLength, length: extraLength) else { return nil }
                    var field = zip64.lowerBound
                    func next() -> Int? {
                        defer { field += 8 }
                        return field + 8 <= zip64.upperBound ? u64(field) : nil
                    }
                    if uncompressed == 0xFFFF_FFFF { guard next() != nil else { return nil } }
                    if size == 0xFFFF_FFFF {
                        guard let value = next() else { return nil }
                        size = value
                    }
                    if local == 0xFFFF_FFFF {
                        guard let value = next() else { return nil }
                        local = value
                    }
                }
                at += 46 + nameLength + extraLength + commentLength
                // Stored (method 0) and not encrypted (flag bit 0); names as UTF-8, which numpy's are.
                guard method == 0, flags & 1 == 0, let name = String(bytes: nameBytes, encoding: .utf8) else { continue }
                guard u32(local) == 0x0403_4b50, let localName = u16(local + 26), let localExtra = u16(local + 28)
                else { return nil }
                let data = local + 30 + localName + localExtra
                guard data <= bytes.count, size <= bytes.count - data else { return nil }
                result[name] = data..<(data + size)
            }
            return result
        }

        /// The bytes of the ZIP64 extended-information field's data in an extra area, if present.
        func zip64Field(from start: Int, length: Int) -> Range<Int>? {
            var at = start
            while at + 4 <= start + length {
                guard let id = u16(at), let size = u16(at + 2), at + 4 + size <= start + length else { return nil }
                if id == 0x0001 { return (at + 4)..<(at + 4 + size) }
                at += 4 + size
            }
            return nil
        }
    }
}
