import Foundation
import XCTest

/// Runs the built `lathe` executable the way a user would and captures what it says.
struct LatheRun {
    var status: Int32
    var stdout: String
    var stderr: String
    /// stderr without the line saying which metric was chosen automatically (`metric: NAME (reason)`).
    var warnings: String {
        stderr.split(separator: "\n", omittingEmptySubsequences: false)
            .filter { !$0.hasPrefix("metric: ") }.joined(separator: "\n")
    }
}

enum LatheBinary {
    /// The repository root, found from this file's location (Tests/CLITests/LatheBinary.swift).
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `lathe` built alongside these tests: the products directory holding the test
    /// bundle (debug or release, whichever is running), then the usual build folders.
    /// `LATHE_BIN` overrides it.
    static func url() throws -> URL {
        let fm = FileManager.default
        if let override = ProcessInfo.processInfo.environment["LATHE_BIN"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        var candidates: [URL] = []
        let testBundle = Bundle(for: BundleMarker.self).bundleURL
        candidates.append(testBundle.deletingLastPathComponent().appendingPathComponent("lathe"))
        if let executable = Bundle.main.executableURL {
            candidates.append(executable.deletingLastPathComponent().appendingPathComponent("lathe"))
            // macOS: .../debug/LathePackageTests.xctest/Contents/MacOS/LathePackageTests
            var dir = executable.deletingLastPathComponent()
            for _ in 0..<4 {
                dir = dir.deletingLastPathComponent()
                candidates.append(dir.appendingPathComponent("lathe"))
            }
        }
        for config in ["release", "debug"] {
            candidates.append(repoRoot.appendingPathComponent(".build/\(config)/lathe"))
        }
        if let found = candidates.first(where: { fm.isExecutableFile(atPath: $0.path) }) { return found }
        throw LatheBinaryMissing(tried: candidates.map(\.path))
    }

    /// Runs `lathe arguments...` from the repository root, so sample paths are relative as a user types them.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> LatheRun {
        let process = Process()
        process.executableURL = try url()
        process.arguments = arguments
        process.currentDirectoryURL = repoRoot
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes while the process runs so neither can fill up and block it.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return LatheRun(status: process.terminationStatus,
                        stdout: String(decoding: outData, as: UTF8.self),
                        stderr: String(decoding: errData, as: UTF8.self))
    }
}

private final class BundleMarker {}

struct LatheBinaryMissing: Error, CustomStringConvertible {
    var tried: [String]
    var description: String { "lathe executable not found (build it first); tried \(tried)" }
}
