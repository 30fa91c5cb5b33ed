import LatheCore

/// Files `lathe` writes for the user. `NPYFormat.write` is atomic (temporary file
/// in the same folder, renamed over the destination), so an interrupted run never
/// leaves a half-written file where a good one was.
enum OutputFiles {
    static func writeNPY(_ tensor: Tensor, to path: String) throws {
        do {
            try NPYFormat.write(tensor, to: path)
        } catch let error as LatheError {
            throw error.message.contains(path) ? error : LatheError(error.kind, "\(path): \(error.message)")
        } catch {
            throw LatheError.badInput(file: path, "cannot be written: \(error)")
        }
    }
}
