/// The Elm-style loop: events → `update(&state, event)` → effects; `render(state, &buffer)`
/// → backend. Generic over the app, which it knows only through closures.
///
/// One thread — the one that calls `run()`, ideally the main thread so that SIGWINCH
/// interrupts its poll — makes every backend (curses) call. Other threads talk to it only
/// through `mailbox`. The loop sleeps in `poll(2)` until input, a wake-up, the next frame
/// (≤ ~30 fps, only when something changed) or the next tick (~10 Hz, only while busy).
public final class TerminalRunLoop<State, Message: Sendable, Effect> {
    public typealias Update = (inout State, LoopEvent<Message>) -> [Effect]
    public typealias Render = (State, inout Buffer) -> Void
    public typealias Perform = (Effect, Mailbox<Message>) -> Void

    /// Post engine results here from any thread.
    public let mailbox: Mailbox<Message>
    /// The state as of the last handled event.
    public private(set) var state: State
    /// Frames handed to the backend so far.
    public private(set) var framesPresented = 0

    private let backend: any TerminalBackend
    private let timing: LoopTiming
    private let update: Update
    private let render: Render
    private let perform: Perform
    private let themeOf: (State) -> Theme
    private let isBusy: (State) -> Bool
    private let shouldQuit: (State) -> Bool
    private var currentTheme: Theme?
    private let clock = ContinuousClock()

    /// - Parameters:
    ///   - update: the reducer; returns effects to run.
    ///   - render: draws the state into a blank buffer of the screen's size.
    ///   - perform: runs one effect on the loop thread; long work must go to another
    ///     thread and report back through the mailbox it is given.
    ///   - theme: the theme to show the state in (checked every frame; changes repaint).
    ///   - isBusy: while true, `.tick` events arrive every `timing.tickInterval`.
    ///   - shouldQuit: checked after every event; true ends `run()`.
    public init(backend: any TerminalBackend, initialState: State, timing: LoopTiming = LoopTiming(),
                update: @escaping Update, render: @escaping Render, perform: @escaping Perform,
                theme: @escaping (State) -> Theme, isBusy: @escaping (State) -> Bool,
                shouldQuit: @escaping (State) -> Bool) {
        self.backend = backend
        self.mailbox = Mailbox(wakeSignal: backend.wakeSignal)
        self.state = initialState
        self.timing = timing
        self.update = update
        self.render = render
        self.perform = perform
        self.themeOf = theme
        self.isBusy = isBusy
        self.shouldQuit = shouldQuit
    }

    /// Takes over the terminal, runs until `shouldQuit`, restores the terminal and returns
    /// the final state. Rethrows `begin()` errors (no terminal) and input failures.
    @discardableResult
    public func run(initialEffects: [Effect] = []) throws -> State {
        try backend.begin()
        defer { backend.end() }
        dispatch(.resize(backend.size))
        for effect in initialEffects { perform(effect, mailbox) }

        var dirty = true
        var lastFrame: ContinuousClock.Instant?
        var nextTick: ContinuousClock.Instant?
        while !shouldQuit(state) {
            let now = clock.now
            if isBusy(state) {
                if nextTick == nil { nextTick = now + timing.tickInterval }
            } else {
                nextTick = nil
            }
            if dirty, lastFrame.map({ now - $0 >= timing.frameInterval }) ?? true {
                draw()
                lastFrame = now
                dirty = false
            }
            var deadline: ContinuousClock.Instant?
            if dirty, let lastFrame { deadline = lastFrame + timing.frameInterval }
            if let tick = nextTick { deadline = deadline.map { min($0, tick) } ?? tick }
            let timeout = deadline.map { max(Duration.zero, $0 - clock.now) }

            if let event = try backend.nextEvent(timeout: timeout) {
                handle(event)
                dirty = true
            }
            if let tick = nextTick, clock.now >= tick {
                dispatch(.tick)
                let after = tick + timing.tickInterval
                nextTick = after > clock.now ? after : clock.now + timing.tickInterval
                dirty = true
            }
        }
        return state
    }

    private func handle(_ event: TerminalEvent) {
        switch event {
        case .key(let key): dispatch(.key(key))
        case .mouse(let mouse): dispatch(.mouse(mouse))
        case .resize(let size): dispatch(.resize(size))
        case .wake:
            for message in mailbox.drain() {
                dispatch(.message(message))
                if shouldQuit(state) { return }
            }
        }
    }

    private func dispatch(_ event: LoopEvent<Message>) {
        let effects = update(&state, event)
        for effect in effects { perform(effect, mailbox) }
    }

    private func draw() {
        let theme = themeOf(state)
        if theme != currentTheme {
            backend.setTheme(theme)
            currentTheme = theme
        }
        var buffer = Buffer(size: backend.size)
        render(state, &buffer)
        backend.present(buffer)
        framesPresented += 1
    }
}
