/// A terminal the run loop draws to and reads from. Every method is called from the
/// one thread that runs the loop.
public protocol TerminalBackend: AnyObject {
    /// The current size in cells.
    var size: TerminalSize { get }
    /// Signalled from any thread to make a waiting `nextEvent` return `.wake`.
    var wakeSignal: WakeSignal { get }
    /// Takes over the terminal. Throws `LatheError.badInput` when there is none to take.
    func begin() throws
    /// Gives the terminal back as it was. Safe to call twice.
    func end()
    /// Colours for the semantic roles in the buffers that follow (repaints everything).
    func setTheme(_ theme: Theme)
    /// Shows `buffer`, writing only what changed since the previous frame.
    func present(_ buffer: Buffer)
    /// Waits up to `timeout` (nil: without limit) for input, a resize or a wake-up;
    /// nil when the time ran out. Throws when input can no longer arrive (terminal gone,
    /// test script exhausted).
    func nextEvent(timeout: Duration?) throws -> TerminalEvent?
}
