import Foundation
import LatheCore

/// Files `lathe` writes for the user, always atomically: written beside the
/// destination under a temporary name, then renamed over it, so an interrupted
/// run never leaves a half-written file where a good one was.
enum OutputFiles {
    static func writeNPY(_ tensor: Tensor, to path: String) throws {
        let destination = URL(fileURLWithPath: path)
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(getpid()).tmp.npy")
        do {
            try NPYFormat.write(tensor, to: temporary.path)
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw Loading.badOutput(path, error)
        }
        guard rename(temporary.path, destination.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw LatheError.badInput(file: path, "cannot be written: \(reason)")
        }
    }
}

extension Loading {
    /// A write failure reported against the file the user named.
    static func badOutput(_ path: String, _ error: Error) -> LatheError {
        if let lathe = error as? LatheError { return LatheError(lathe.kind, "\(path): \(lathe.message)") }
        return LatheError.badInput(file: path, "cannot be written: \(error)")
    }
}
