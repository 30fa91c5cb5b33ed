import LatheCore
import Testing
@testable import LatheUI

/// Thousands of seeded random actions through the reducer — keys (bound, editing, unbound, with
/// modifiers), clicks and wheel turns, resizes down to 1×1, and the engine's reports (streaming
/// and final numbers for current and stale revisions, job progress, sweep results, analyses,
/// search answers, files opened and failed) — each frame drawn and presented through a
/// `MemoryBackend`, and the state's guarantees checked after every step.
@Suite struct MonkeyTests {
    typealias F = ExplorerFixture

    static let stepsPerRun = 4000

    @Test(arguments: [1, 2, 3, 4])
    func randomActionsKeepTheStateConsistent(seed: UInt64) throws {
        var monkey = Monkey(seed: seed)
        var state = F.state(width: 100, height: 30)
        let backend = MemoryBackend(width: 100, height: 30)
        for step in 0..<Self.stepsPerRun {
            let action = monkey.action(for: state)
            let before = state
            let effects = Explorer.update(&state, action)
            let problems = Self.problems(state, before: before, effects: effects)
            try #require(problems.isEmpty, "seed \(seed), step \(step), after \(String(describing: action).prefix(300)): \(problems)")
            var buffer = Buffer(size: state.size)
            ExplorerView.render(state, into: &buffer, glyphs: step % 7 == 0 ? .ascii : .unicode)
            try #require(buffer.size == state.size)
            try #require(Self.wellFormed(buffer), "seed \(seed), step \(step): a wide character is cut in two")
            backend.present(buffer)
            try #require(backend.screen.cells == buffer.cells, "seed \(seed), step \(step): the diff left another screen")
            // The storm goes on after a quit (a real loop stops; the reducer must still hold up).
            if state.shouldQuit { state.shouldQuit = false }
        }
        // However the storm ended, Esc Esc Esc q y (in one burst: the last Esc glued to q) quits.
        let effects = F.run(&state, QuitTests.burst)
        #expect(state.shouldQuit, "seed \(seed): Esc Esc Esc q y did not quit")
        #expect(effects.contains(.quit))
    }

    /// What `AppState` guarantees, as readable complaints.
    static func problems(_ state: AppState, before: AppState, effects: [Effect]) -> [String] {
        var problems: [String] = []
        let count = state.layers.count
        if !state.layers.indices.contains(state.selected) { problems.append("selected \(state.selected) of \(count)") }
        let visible = state.layout.visibleRows
        if state.tableScroll < 0 || state.tableScroll > max(0, count - visible) {
            problems.append("table scroll \(state.tableScroll) with \(count) rows, \(visible) visible")
        }
        if !(0...60).contains(state.detailScroll) { problems.append("detail scroll \(state.detailScroll)") }
        if case .help(let scroll) = state.overlay, scroll < 0 { problems.append("help scroll \(scroll)") }
        if case .heatmap(let column) = state.overlay {
            let levels = state.sensitivity?.levels.count ?? 0
            if !(0..<levels).contains(column) { problems.append("heatmap column \(column) of \(levels) levels") }
        }
        if let set = state.heatmapSet, !(state.sensitivity?.setNames.indices.contains(set) ?? false) {
            problems.append("heatmap set \(set) of \(state.sensitivity?.setNames.count ?? 0)")
        }
        if let prompt = state.prompt, !(0...prompt.editor.characters.count).contains(prompt.editor.cursor) {
            problems.append("prompt cursor \(prompt.editor.cursor) in \(prompt.editor.characters.count) characters")
        }
        if !state.themeNames.indices.contains(state.themeIndex) { problems.append("theme \(state.themeIndex)") }
        let names = Set(state.layers.map(\.name))
        if !state.marks.isSubset(of: names) { problems.append("marks \(state.marks.subtracting(names))") }
        if state.history.undoStack.count > PlanHistory.limit { problems.append("undo stack \(state.history.undoStack.count)") }
        if state.planRevision < before.planRevision { problems.append("plan revision went back") }
        if state.plan != before.plan {
            if state.planRevision == before.planRevision { problems.append("the plan changed without a new revision") }
            if !effects.contains(.applyPlan(state.plan, revision: state.planRevision)) {
                problems.append("the new plan was not sent to the engine")
            }
        }
        if (try? state.plan.validate(layers: F.weightLayers)) == nil { problems.append("the plan is invalid") }
        if state.shouldQuit != effects.contains(.quit) { problems.append("shouldQuit without the quit effect, or back") }
        if effects.contains(.quit), state.prompt != nil { problems.append("quitting with a prompt open") }
        if Set(state.rowOrder) != Set(state.layers.indices) || state.rowOrder.count != count {
            problems.append("row order is not a permutation")
        }
        return problems
    }

    /// No wide character without its continuation cell, no continuation without its character.
    static func wellFormed(_ buffer: Buffer) -> Bool {
        for y in 0..<buffer.height {
            var x = 0
            while x < buffer.width {
                let cell = buffer[x: x, y: y]
                if cell.isContinuation { return false }
                if cell.width == 2 {
                    guard x + 1 < buffer.width, buffer[x: x + 1, y: y].isContinuation else { return false }
                    x += 2
                } else {
                    x += 1
                }
            }
        }
        return true
    }
}

/// Draws the actions: mostly keys, the rest everything else the loop can deliver.
struct Monkey {
    typealias F = ExplorerFixture
    var rng: SeededGenerator

    init(seed: UInt64) { rng = SeededGenerator(seed: seed) }

    static let boundKeys: [KeyPress] = Keymap.standard.entries.flatMap(\.keys)
    static let otherKeys: [KeyPress] = [
        KeyPress(.backspace), KeyPress(.delete), KeyPress(.insert), KeyPress(.function(1)), KeyPress(.function(12)),
        .ctrl("a"), .ctrl("e"), .ctrl("u"), .ctrl("w"), .ctrl("k"), .ctrl("h"), .ctrl("d"), .ctrl("b"), .ctrl("f"),
        .char("y"), .char("n"), .char("x"), .char("1"), .char("%"), .char("4"), .char("é"), .char("中"), .char("👍"),
        KeyPress(.character("Q"), .shift), KeyPress(.character("j"), .alt), KeyPress(.escape, .alt),
        KeyPress(.up, .shift), KeyPress(.left, .control),
    ]
    static let sizes: [TerminalSize] = [(100, 30), (80, 24), (30, 8), (1, 1), (0, 0), (59, 14), (60, 14), (120, 40),
                                        (200, 60), (61, 13), (2, 200), (300, 3)].map { TerminalSize(width: $0, height: $1) }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &rng)] }
    mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    mutating func action(for state: AppState) -> Action {
        let roll = Double.random(in: 0..<1, using: &rng)
        switch roll {
        case ..<0.55: return .key(pick(Self.boundKeys))
        case ..<0.70: return .key(pick(Self.otherKeys))
        case ..<0.75: return .mouse(mouse(state))
        case ..<0.77: return .resize(pick(Self.sizes))
        case ..<0.80: return .tick
        default: return engineAction(state)
        }
    }

    mutating func mouse(_ state: AppState) -> MouseEvent {
        let actions: [MouseAction] = [.press(.left), .release(.left), .press(.right), .wheelUp, .wheelDown]
        let position = Point(x: Int.random(in: -2...state.size.width + 2, using: &rng),
                             y: Int.random(in: -2...state.size.height + 2, using: &rng))
        return MouseEvent(pick(actions), at: position)
    }

    mutating func engineAction(_ state: AppState) -> Action {
        let layer = pick(state.layers)
        switch Int.random(in: 0..<9, using: &rng) {
        case 0, 1, 2:
            // A report for the current plan, a stale one, or one from the future (late or out of order).
            var status = F.engine(for: state, value: chance(0.2) ? nil : Double.random(in: 0...1, using: &rng),
                                  done: Int.random(in: 0...2000, using: &rng), final: chance(0.4),
                                  job: job())
            status.revision = max(0, state.planRevision + Int.random(in: -3...1, using: &rng))
            if chance(0.1) { status.error = "the evaluation failed" }
            if chance(0.2) {
                status.sets = [.init(name: "clean", value: 0.9, isFinal: true, baselineValue: 0.95),
                               .init(name: "shifted", value: nil, isFinal: false)]
                status.worstSet = chance(0.5) ? 1 : nil
            }
            return .engine(status)
        case 3:
            var data = F.sensitivity()
            if chance(0.3) {
                data.isComplete = false
                data.layers = data.layers.filter { _ in chance(0.5) }
            }
            if chance(0.2) { data.levels = Array(data.levels.prefix(Int.random(in: 0...2, using: &rng))) }
            if chance(0.3) {
                data.setNames = ["clean", "shifted"]
                data.bySet = [F.sensitivity(), F.sensitivity()]
            }
            return .sensitivity(data)
        case 4:
            let analysis = LayerAnalysis(settings: state.plan.settings(for: layer.name),
                                         grid: (0..<Int.random(in: 0...300, using: &rng)).map { Double($0) / 100 },
                                         gridStep: 0.01, pruneThreshold: chance(0.5) ? 0.02 : nil,
                                         centroids: chance(0.3) ? [-0.5, 0, 0.5] : [])
            return .layerAnalysis(name: layer.name, analysis: analysis)
        case 5:
            let plan = randomPlan(state)
            let front = ParetoData(metric: .top1, points: [.init(sizeBytes: 100, value: 0.9, label: "knapsack", plan: plan),
                                                            .init(sizeBytes: 400, value: 0.95, label: "uniform int8",
                                                                  plan: randomPlan(state))],
                                    references: [], baselineBytes: 1000, chosen: chance(0.5) ? 0 : nil)
            return .searchFinished(plan: plan, summary: "4.0× at top-1 95.0%; budget met", front: chance(0.8) ? front : nil)
        case 6:
            return chance(0.5) ? .configOpened(path: "some.yaml", plan: randomPlan(state))
                : .configFailed(path: "some.yaml", message: "some.yaml:3: bits: expected 1…8")
        case 7:
            return chance(0.5) ? .exported(path: "out.yaml", plan: state.plan)
                : .exportFailed(path: "/nope/out.yaml", message: "cannot write /nope/out.yaml")
        default:
            return .effectFailed("search: the budget cannot be met")
        }
    }

    mutating func job() -> JobProgress? {
        guard chance(0.5) else { return nil }
        let states: [JobProgress.State] = [.running, .running, .finished, .cancelled, .failed("out of memory")]
        let total = Int.random(in: 0...100, using: &rng)
        return JobProgress(id: Int.random(in: 1...3, using: &rng), kind: chance(0.5) ? .sweep : .search,
                           phase: "sweep", done: Int.random(in: 0...max(0, total + 5), using: &rng), total: total,
                           state: pick(states))
    }

    mutating func randomPlan(_ state: AppState) -> CompressionPlan {
        var plan = state.plan
        for layer in state.layers where chance(0.3) {
            plan.set(LayerSettings(bits: pick([.float32, .fp16, .integer(8), .integer(4), .integer(2)]),
                                   prune: pick([0, 0.25, 0.5])), for: layer.name)
        }
        return plan
    }
}

/// SplitMix64: a small repeatable generator for seeded storms.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
