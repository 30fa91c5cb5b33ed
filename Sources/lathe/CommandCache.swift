import Foundation
import LatheCore

/// The sensitivity cache a command uses: one that says once on stderr when it cannot write an
/// entry (a full disk, a read-only cache folder). The command's results are unaffected, so its
/// exit status is too; the entry already on disk stays as it was.
enum CommandCache {
    static func sensitivity(disabled: Bool) -> SensitivityCache? {
        guard !disabled else { return nil }
        let warning = OnceFlag()
        return SensitivityCache(onWriteFailure: { error in
            if warning.claim() { Loading.warn("\(error.message); results are not cached") }
        })
    }
}

/// True the first time only, from any thread.
private final class OnceFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var claimed = false

    func claim() -> Bool {
        lock.withLock {
            defer { claimed = true }
            return !claimed
        }
    }
}
