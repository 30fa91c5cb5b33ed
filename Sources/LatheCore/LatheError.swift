/// Errors Lathe reports to users. `badInput` covers everything the user can fix
/// (a file, a flag, a config): the CLI exits 2 for it, 1 for `internalFailure`.
public struct LatheError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case badInput, internalFailure }
    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    /// A problem with a user-supplied file: the message starts with the file's path.
    public static func badInput(file: String, _ problem: String) -> LatheError {
        LatheError(.badInput, "\(file): \(problem)")
    }
    public static func badInput(_ problem: String) -> LatheError { LatheError(.badInput, problem) }
    public static func internalFailure(_ problem: String) -> LatheError { LatheError(.internalFailure, problem) }

    public var description: String { message }
}
