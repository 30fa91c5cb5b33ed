import ArgumentParser
import LatheCore

/// The root command. Bare `lathe` (or `lathe MODEL …`) runs its default
/// subcommand, the terminal explorer.
struct LatheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lathe",
        abstract: "A terminal workbench for compressing neural networks.",
        discussion: """
            Exit status: 0 on success, 2 for bad input or usage (the message names the file \
            and the problem), 1 for an internal failure.
            """,
        version: LatheVersion.string,
        subcommands: [ExplorerCommand.self, EvalCommand.self, InspectCommand.self, SensitivityCommand.self, SearchCommand.self,
                      BenchCommand.self, ExportCommand.self, ReportCommand.self, OpsCommand.self],
        defaultSubcommand: ExplorerCommand.self
    )
}
