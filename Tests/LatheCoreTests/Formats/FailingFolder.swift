import Foundation

/// A folder where writes fail as they do for users: a full disk (a tiny tmpfs, filled) or a
/// read-only file system (a read-only bind mount of an ordinary folder). Tests run as root here
/// and in CI, where permission bits do not stop writes; mounting is what does. Without the
/// privilege to mount, `make` throws, so the tests fail loudly instead of passing vacuously.
final class FailingFolder {
    enum Kind { case full, readOnly }

    let path: String
    private var mounted = false

    struct MountFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// A folder holding `files` (name → contents) that then refuses further writes of `kind`.
    init(_ kind: Kind, files: [String: Data]) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("lathe-failing-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        switch kind {
        case .full:
            try Self.run("/bin/mount", "-t", "tmpfs", "-o", "size=256k,nr_inodes=64", "tmpfs", path)
            mounted = true
            for (name, data) in files { try data.write(to: URL(fileURLWithPath: path + "/" + name)) }
            // Fill what is left: the first write that fails is the disk being full.
            FileManager.default.createFile(atPath: path + "/filler", contents: nil)
            guard let filler = FileHandle(forWritingAtPath: path + "/filler") else { throw MountFailure(description: "cannot create \(path)/filler") }
            let block = Data(count: 4096)
            while (try? filler.write(contentsOf: block)) != nil {}
            try? filler.close()
        case .readOnly:
            for (name, data) in files { try data.write(to: URL(fileURLWithPath: path + "/" + name)) }
            try Self.run("/bin/mount", "--bind", path, path)
            mounted = true
            try Self.run("/bin/mount", "-o", "remount,ro,bind", path)
        }
    }

    deinit {
        if mounted { try? Self.run("/bin/umount", path) }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Names in the folder other than the ones given and the filler (a temporary file left behind).
    func strayFiles(besides names: [String]) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).filter { !names.contains($0) && $0 != "filler" }
    }

    func contents(_ name: String) -> Data? { FileManager.default.contents(atPath: path + "/" + name) }

    private static func run(_ arguments: String...) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw MountFailure(description: "cannot run \(arguments[0]): \(error)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw MountFailure(description: "\(arguments.joined(separator: " ")) failed (\(message.trimmingCharacters(in: .whitespacesAndNewlines))): "
                + "these tests need to mount a tmpfs and a read-only bind mount (root with CAP_SYS_ADMIN, as in CI)")
        }
    }
}
