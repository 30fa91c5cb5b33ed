import Foundation
import Glibc
import LatheCore
import LatheFuzz

// lathe-fuzz: mutation fuzzing of Lathe's file readers (see `FuzzTargets`).
//
//   lathe-fuzz [--seconds S] [--iterations N] [--seed N] [--root DIR] [--work DIR]
//              [--findings DIR] [--memory-mb MB] [--list] [TARGET ...]
//
// Runs each named target (default: all) for S seconds (default 60) or N inputs. Inputs that end in
// anything but success or LatheError.badInput, or take over 2 s, are written to
// FINDINGS/TARGET/KIND-HASH. A crash ends the process: the input that caused it is the file
// WORK/TARGET/<input name> (scripts/fuzz.sh keeps it). The address space is limited to MB
// (default 4096) so that a reader allocating what a file merely claims fails loudly.
// Exit status: 0 no findings, 1 findings, 2 usage.

func usage(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(2)
}

struct Options {
    var seconds = 60.0
    var iterations = Int.max
    var seed: UInt64 = 1
    var root = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    var work = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("lathe-fuzz-\(getpid())")
    var findings = URL(fileURLWithPath: ".fuzz/findings")
    var memoryMB = 4096
    var names: [String] = []

    init(_ arguments: [String]) {
        var rest = arguments[...]
        func value(_ flag: String) -> String {
            guard let next = rest.popFirst() else { usage("\(flag) needs a value") }
            return next
        }
        func number<T: LosslessStringConvertible>(_ flag: String) -> T {
            guard let parsed = T(value(flag)) else { usage("\(flag) takes a number") }
            return parsed
        }
        while let argument = rest.popFirst() {
            switch argument {
            case "--seconds": seconds = number(argument)
            case "--iterations": iterations = number(argument)
            case "--seed": seed = number(argument)
            case "--root": root = URL(fileURLWithPath: value(argument))
            case "--work": work = URL(fileURLWithPath: value(argument))
            case "--findings": findings = URL(fileURLWithPath: value(argument))
            case "--memory-mb": memoryMB = number(argument)
            case "--list":
                print(FuzzTargets.all.map(\.name).joined(separator: "\n"))
                exit(0)
            case let flag where flag.hasPrefix("-"): usage("unknown option \(flag)")
            default: names.append(argument)
            }
        }
    }
}

func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

func fuzz(_ options: Options) -> Int32 {
    let targets = options.names.isEmpty ? FuzzTargets.all : options.names.map { name in
        guard let target = FuzzTargets.named(name) else {
            usage("no fuzz target '\(name)'; targets: \(FuzzTargets.all.map(\.name).joined(separator: ", "))")
        }
        return target
    }
    if options.memoryMB > 0 {
        var limit = rlimit(rlim_cur: rlim_t(options.memoryMB) << 20, rlim_max: rlim_t(options.memoryMB) << 20)
        setrlimit(Int32(RLIMIT_AS.rawValue), &limit)
    }
    var total = 0
    for target in targets {
        let folder = options.work.appendingPathComponent(target.name)
        do {
            let runner = try FuzzRunner(target: target, root: options.root, work: folder)
            say("\(target.name): fuzzing \(runner.inputPath) (seed \(options.seed))")
            let report = runner.run(seed: options.seed, iterations: options.iterations, seconds: options.seconds) {
                say(String(format: "  %@: %d inputs, %.0f/s, corpus %d", $0.target, $0.iterations, $0.perSecond,
                           $0.corpusSize))
            }
            var usage = rusage()
            getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
            say(String(format: "%@: %d inputs in %.1f s (%.0f/s): %d accepted, %d refused; corpus %d; "
                       + "slowest %.3f s; peak RSS %d MB; %d findings",
                       target.name, report.iterations, report.seconds, report.perSecond, report.accepted,
                       report.refused, report.corpusSize, report.slowest, usage.ru_maxrss / 1024,
                       report.findings.count))
            for finding in report.findings {
                let kept = options.findings.appendingPathComponent(target.name)
                try FileManager.default.createDirectory(at: kept, withIntermediateDirectories: true)
                let name = finding.kind.rawValue.replacingOccurrences(of: " ", with: "-") + "-" + Checksum.hex(finding.input)
                let file = kept.appendingPathComponent(name)
                try Data(finding.input).write(to: file)
                say("  \(finding.kind.rawValue): \(finding.detail.prefix(300)) → \(file.path)")
            }
            total += report.findings.count
            try? FileManager.default.removeItem(at: folder)
        } catch {
            usage("\(target.name): \(error)")
        }
    }
    return total == 0 ? 0 : 1
}

exit(fuzz(Options(Array(CommandLine.arguments.dropFirst()))))
