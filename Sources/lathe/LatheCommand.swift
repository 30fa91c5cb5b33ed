import ArgumentParser

/// The root command. `lathe` with no subcommand is where the terminal explorer
/// will open (see `openExplorer`); until then it prints the usage.
struct LatheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lathe",
        abstract: "A terminal workbench for compressing neural networks.",
        discussion: """
            Exit status: 0 on success, 2 for bad input or usage (the message names the file \
            and the problem), 1 for an internal failure.
            """,
        subcommands: [EvalCommand.self, InspectCommand.self, SensitivityCommand.self, SearchCommand.self, BenchCommand.self]
    )

    func run() throws {
        try openExplorer()
    }

    /// Hook for the terminal UI: bare `lathe` (optionally with a model) will open it here.
    func openExplorer() throws {
        print(LatheCommand.helpMessage())
    }
}
