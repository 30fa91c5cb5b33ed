/// The Elm-style loop: actions → `update(&state, action)` → effects; `render(state, &buffer)`
/// → backend. Generic over the app, which it knows only through its `Action` type and
/// closures: terminal input, ticks and whatever other threads post to `mailbox` all
/// reach `update` as the app's own actions.
///
/// One thread — the one that calls `run()`, ideally the main thread so that SIGWINCH
/// interrupts its poll — makes every backend (curses) call. Other threads talk to it only
/// through `mailbox`. The loop sleeps in `poll(2)` until input, a wake-up, the next frame
/// (≤ ~30 fps, only when something changed) or the next tick (~10 Hz, only while busy).
public final class TerminalRunLoop<State, Action: Sendable, Effect> {
    public typealias Update = (inout State, Action) -> [Effect]
    public typealias Render = (State, inout Buffer) -> Void
    public typealias Perform = (Effect) -> Void

    /// Where other threads post actions; it wakes the loop.
    public let mailbox: UIMailbox<Action>
    /// The state as of the last handled action.
    public private(set) var state: State
    /// Frames handed to the backend so far.
    public private(set) var framesPresented = 0

    private let backend: any TerminalBackend
    private let timing: LoopTiming
    private let action: (TerminalEvent) -> Action?
    private let tick: Action
    private let update: Update
    private let render: Render
    private let perform: Perform
    private let themeOf: (State) -> Theme
    private let isBusy: (State) -> Bool
    private let shouldQuit: (State) -> Bool
    private var currentTheme: Theme?
    private let clock = ContinuousClock()

    /// - Parameters:
    ///   - mailbox: made by the caller on `backend.wakeSignal`, so whatever performs effects
    ///     can hold it before the loop exists.
    ///   - action: the app's action for a key, mouse or resize event (nil ignores it);
    ///     wake-ups never reach it, they deliver the mailbox's actions.
    ///   - tick: the action sent every `timing.tickInterval` while `isBusy`.
    ///   - update: the reducer; returns effects to run.
    ///   - render: draws the state into a blank buffer of the screen's size.
    ///   - perform: runs one effect on the loop thread; long work must go to another
    ///     thread and report back through the mailbox.
    ///   - theme: the theme to show the state in (checked every frame; changes repaint).
    ///   - shouldQuit: checked after every action; true ends `run()`.
    public init(backend: any TerminalBackend, mailbox: UIMailbox<Action>, initialState: State,
                timing: LoopTiming = LoopTiming(), action: @escaping (TerminalEvent) -> Action?, tick: Action,
                update: @escaping Update, render: @escaping Render, perform: @escaping Perform,
                theme: @escaping (State) -> Theme, isBusy: @escaping (State) -> Bool,
                shouldQuit: @escaping (State) -> Bool) {
        self.backend = backend
        self.mailbox = mailbox
        self.state = initialState
        self.timing = timing
        self.action = action
        self.tick = tick
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
        if let resize = action(.resize(backend.size)) { dispatch(resize) }
        for effect in initialEffects { perform(effect) }

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
                dispatch(self.tick)
                let after = tick + timing.tickInterval
                nextTick = after > clock.now ? after : clock.now + timing.tickInterval
                dirty = true
            }
        }
        return state
    }

    private func handle(_ event: TerminalEvent) {
        guard case .wake = event else {
            if let action = action(event) { dispatch(action) }
            return
        }
        for action in mailbox.drain() {
            dispatch(action)
            if shouldQuit(state) { return }
        }
    }

    private func dispatch(_ action: Action) {
        let effects = update(&state, action)
        for effect in effects { perform(effect) }
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
