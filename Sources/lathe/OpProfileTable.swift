import Foundation
import LatheCore

/// `lathe eval --profile`'s table: one row per op kind, the most time first.
enum OpProfileTable {
    static func text(_ entries: [OpProfile.Entry]) -> String {
        let total = entries.reduce(0) { $0 + $1.seconds }
        var lines = ["op                      calls      ms     share"]
        for entry in entries {
            let share = total > 0 ? 100 * entry.seconds / total : 0
            lines.append(entry.opType.padding(toLength: 22, withPad: " ", startingAt: 0)
                + String(format: "%9d%8.1f", entry.calls, entry.seconds * 1000)
                + String(format: "%8.1f%%", share))
        }
        lines.append("total".padding(toLength: 31, withPad: " ", startingAt: 0) + String(format: "%8.1f", total * 1000))
        return lines.joined(separator: "\n") + "\n"
    }
}
