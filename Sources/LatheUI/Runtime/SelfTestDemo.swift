import Foundation

/// A sample screen over the real curses path, for `lathe --ui-selftest`: glyphs, wide
/// characters, theme colours, a heat strip, a background job reporting through the
/// mailbox with a spinner and progress bar, and an echo of every decoded key and click.
public enum Demo {
    /// Runs until `q`. Throws `LatheError.badInput` when there is no usable terminal.
    public static func run(theme themeName: String = "default") throws {
        let first = try Theme.load(nameOrPath: themeName)
        let themes = [first] + Theme.bundledNames.filter { $0 != first.name }.compactMap { try? Theme.load(nameOrPath: $0) }
        let backend = CursesBackend(theme: first)
        let glyphs = GlyphSet.forCurrentLocale()
        let loop = TerminalRunLoop<DemoState, DemoMessage, DemoEffect>(
            backend: backend, initialState: DemoState(themes: themes),
            update: { state, event in state.handle(event) },
            render: { state, buffer in
                DemoScreen.draw(state, into: &buffer, glyphs: glyphs, depth: "\(backend.colorDepth)")
            },
            perform: { effect, mailbox in
                switch effect {
                case .startJob:
                    DispatchQueue.global().async {
                        for step in 1...30 {
                            usleep(50_000)
                            mailbox.post(.progress(Double(step) / 30), slot: "progress")
                        }
                        mailbox.post(.finished)
                    }
                }
            },
            theme: { $0.themes[$0.themeIndex] },
            isBusy: { $0.jobRunning },
            shouldQuit: { $0.quit })
        try loop.run(initialEffects: [.startJob])
    }
}

enum DemoMessage: Sendable {
    case progress(Double)
    case finished
}

enum DemoEffect { case startJob }

struct DemoState {
    var themes: [Theme]
    var themeIndex = 0
    var size = TerminalSize(width: 0, height: 0)
    var lastInput = "none yet"
    var progress = 0.0
    var jobRunning = true
    var jobsFinished = 0
    var ticks = 0
    var messages = 0
    var quit = false

    mutating func handle(_ event: LoopEvent<DemoMessage>) -> [DemoEffect] {
        switch event {
        case .resize(let newSize):
            size = newSize
        case .tick:
            ticks += 1
        case .message(.progress(let value)):
            messages += 1
            progress = value
        case .message(.finished):
            jobRunning = false
            jobsFinished += 1
        case .mouse(let mouse):
            lastInput = "mouse \(mouse)"
        case .key(let key):
            lastInput = "key \(key)"
            switch key {
            case .char("q"): quit = true
            case .char("t"): themeIndex = (themeIndex + 1) % max(1, themes.count)
            case .char("s") where !jobRunning:
                jobRunning = true
                progress = 0
                return [.startJob]
            default: break
            }
        }
        return []
    }
}

enum DemoScreen {
    static func draw(_ state: DemoState, into buffer: inout Buffer, glyphs: GlyphSet, depth: String) {
        let screen = buffer.bounds
        guard screen.width >= 40, screen.height >= 12 else {
            let message = "terminal too small (\(screen.width)×\(screen.height)); q quits"
            buffer.write(DisplayWidth.truncate(message, to: screen.width, ellipsis: glyphs.ellipsis),
                         at: Point(x: 0, y: 0), style: .warn)
            return
        }
        let (header, rest) = screen.splitTop(1)
        let (body, footer) = rest.splitBottom(2)
        buffer.fill(header, style: .header)
        buffer.write(" Lathe UI self-test · theme \(state.themes[state.themeIndex].name) · colours \(depth) · "
                     + "\(state.size)", at: header.origin, style: Style.header.bolded(), clip: header)

        let columns = body.splitColumns([.percent(50), .fill])
        let left = buffer.drawBox(columns[0], glyphs: glyphs, title: "Glyphs")
        buffer.write("blocks " + glyphs.verticalLevels.joined(), at: left.origin, clip: left)
        buffer.write("wide   漢字 表示 ok", at: Point(x: left.x, y: left.y + 1), clip: left)
        buffer.write("arrows \(glyphs.arrowUp)\(glyphs.arrowDown)\(glyphs.arrowLeft)\(glyphs.arrowRight) "
                     + "\(glyphs.check) \(glyphs.bullet) \(glyphs.ellipsis)", at: Point(x: left.x, y: left.y + 2), clip: left)
        var x = left.x
        for (label, style) in [("good", Style.good), ("warn", .warn), ("bad", .bad), ("accent", .accent), ("dim", .dim)] {
            x = buffer.write(label, at: Point(x: x, y: left.y + 3), style: style, clip: left) + 1
        }
        buffer.write(" selected row ", at: Point(x: left.x, y: left.y + 4), style: .selection, clip: left)
        histogram(&buffer, in: Rect(x: left.x, y: left.y + 5, width: left.width, height: max(0, left.height - 5)), glyphs: glyphs)

        let right = buffer.drawBox(columns[1], glyphs: glyphs, title: "Heat and input")
        for i in 0..<right.width {
            let level = right.width > 1 ? Double(i) / Double(right.width - 1) : 0
            buffer.write(" ", at: Point(x: right.x + i, y: right.y), style: .heatBackground(level), clip: right)
            buffer.write(glyphs.shade(level), at: Point(x: right.x + i, y: right.y + 1), style: .heat(level), clip: right)
        }
        buffer.write("last input: \(state.lastInput)", at: Point(x: right.x, y: right.y + 3), style: .accent, clip: right)
        buffer.write("mailbox messages: \(state.messages)", at: Point(x: right.x, y: right.y + 4), clip: right)
        buffer.write("jobs finished: \(state.jobsFinished)", at: Point(x: right.x, y: right.y + 5), clip: right)
        buffer.write("ticks: \(state.ticks)", at: Point(x: right.x, y: right.y + 6), style: .dim, clip: right)

        let (status, hints) = footer.splitTop(1)
        buffer.fill(status, style: .header)
        let spinner = state.jobRunning ? glyphs.spinnerFrame(state.ticks) : " "
        let bar = glyphs.horizontalBar(state.progress, width: 20)
        buffer.write(" \(spinner) job [\(bar)] \(Int((state.progress * 100).rounded()))%  top-1 98.4%  size 1.2 MB (4.0×)",
                     at: status.origin, style: .header, clip: status)
        buffer.write("q quit · t next theme · s start job · keys and clicks are echoed", at: hints.origin,
                     style: .dim, clip: hints)
    }

    private static func histogram(_ buffer: inout Buffer, in area: Rect, glyphs: GlyphSet) {
        guard !area.isEmpty else { return }
        for column in 0..<area.width {
            let t = (Double(column) / Double(max(1, area.width - 1)) - 0.5) * 6
            let height = exp(-t * t / 2) * Double(area.height)
            for row in 0..<area.height {
                let fill = height - Double(area.height - 1 - row)
                guard fill > 0 else { continue }
                buffer.write(glyphs.verticalLevel(min(1, fill)), at: Point(x: area.x + column, y: area.y + row),
                             style: .accent, clip: area)
            }
        }
    }
}
