import Foundation
import Testing
@testable import LatheUI

/// A toy app: a counter driven by keys, a value slot fed by the mailbox, and a "job" effect.
private struct Toy {
    var count = 0
    var size = TerminalSize(width: 0, height: 0)
    var received: [String] = []
    var busy = false
    var ticks = 0
    var quit = false
}

private enum ToyAction: Sendable {
    case key(KeyPress)
    case mouse(MouseEvent)
    case resize(TerminalSize)
    case tick
    case message(String)

    init?(_ event: TerminalEvent) {
        switch event {
        case .key(let key): self = .key(key)
        case .mouse(let mouse): self = .mouse(mouse)
        case .resize(let size): self = .resize(size)
        case .wake: return nil
        }
    }
}

private enum ToyEffect { case startWorker(values: [String], slot: String?) }

@Suite struct RunLoopTests {
    private func makeLoop(_ backend: MemoryBackend, busy: Bool = false,
                          timing: LoopTiming = LoopTiming()) -> TerminalRunLoop<Toy, ToyAction, ToyEffect> {
        let mailbox = UIMailbox<ToyAction>(wakeSignal: backend.wakeSignal)
        return TerminalRunLoop<Toy, ToyAction, ToyEffect>(
            backend: backend, mailbox: mailbox, initialState: Toy(busy: busy), timing: timing,
            action: ToyAction.init, tick: .tick,
            update: { state, event in
                switch event {
                case .key(.char("+")): state.count += 1
                case .key(.char("-")): state.count -= 1
                case .key(.char("q")): state.quit = true
                case .key(.char("w")): return [.startWorker(values: ["a", "b", "c"], slot: "metrics")]
                case .key(.char("s")): state.busy = false
                case .key: break
                case .mouse(let m): state.count = m.position.y
                case .resize(let size): state.size = size
                case .tick: state.ticks += 1
                case .message(let text):
                    state.received.append(text)
                    if text == "stop" { state.quit = true }
                }
                return []
            },
            render: { state, buffer in
                buffer.write("count \(state.count) size \(state.size)", at: Point(x: 0, y: 0))
                buffer.write("got \(state.received.joined(separator: ","))", at: Point(x: 0, y: 1))
            },
            perform: { effect in
                switch effect {
                case .startWorker(let values, let slot):
                    let thread = Thread {
                        for v in values { mailbox.post(.message(v), slot: slot) }
                        mailbox.post(.message("stop"))
                    }
                    thread.start()
                }
            },
            theme: { _ in Theme.defaultTheme },
            isBusy: { $0.busy },
            shouldQuit: { $0.quit })
    }

    @Test func keysInFramesOut() throws {
        let backend = MemoryBackend(width: 30, height: 3)
        backend.type("++-+")
        backend.enqueue(.key(.char("q")))
        let loop = makeLoop(backend, timing: LoopTiming(frameInterval: .zero))
        let final = try loop.run()
        #expect(final.count == 2)
        #expect(final.size == TerminalSize(width: 30, height: 3))
        #expect(backend.began && backend.ended)
        #expect(backend.frames.first?.renderText() == "count 0 size 30×3\ngot\n")
        #expect(backend.screen.renderText() == "count 2 size 30×3\ngot\n")
        // With no frame cap, each key is drawn: later frames change only the counter cell.
        #expect(backend.writtenRuns.last?.map(\.x) == [6])
        #expect(backend.themes.count == 1)
    }

    @Test func redrawsAreCoalescedByTheFrameCap() throws {
        let backend = MemoryBackend(width: 20, height: 2)
        backend.type(String(repeating: "+", count: 50) + "q")
        let loop = makeLoop(backend, timing: LoopTiming(frameInterval: .seconds(10)))
        let final = try loop.run()
        #expect(final.count == 50)
        // Only the first frame fits in a 10 s cap; the scripted keys all arrive before the next.
        #expect(loop.framesPresented == 1)
    }

    @Test func mouseAndResizeReachTheReducer() throws {
        let backend = MemoryBackend(width: 20, height: 2)
        backend.enqueue(.mouse(MouseEvent(.press(.left), at: Point(x: 1, y: 7))), .resize(TerminalSize(width: 25, height: 4)))
        backend.enqueue(.key(.char("q")))
        let final = try makeLoop(backend, timing: LoopTiming(frameInterval: .zero)).run()
        #expect(final.count == 7)
        #expect(final.size == TerminalSize(width: 25, height: 4))
        #expect(backend.lastFrame?.size == TerminalSize(width: 25, height: 4))
    }

    @Test func mailboxMessagesFromAnotherThreadWakeTheLoop() throws {
        let backend = MemoryBackend(width: 30, height: 2)
        backend.type("w")  // starts a worker thread that posts a, b, c (one slot) then "stop"
        let loop = makeLoop(backend, timing: LoopTiming(frameInterval: .zero))
        let final = try loop.run()
        // The loop had no scripted input left: only the wake-ups could deliver these.
        #expect(final.received.last == "stop")
        #expect(final.received.first.map { ["a", "b", "c"].contains($0) } == true)
        #expect(final.received.dropLast().last == "c")  // whatever was coalesced, the newest arrived
    }

    @Test func newestValueWinsPerSlotAndUnslottedValuesAllArrive() throws {
        let backend = MemoryBackend(width: 30, height: 2)
        let loop = makeLoop(backend, timing: LoopTiming(frameInterval: .zero))
        loop.mailbox.post(.message("gen1"), slot: "metrics")
        loop.mailbox.post(.message("file-written"))
        loop.mailbox.post(.message("gen2"), slot: "metrics")
        loop.mailbox.post(.message("sweep50"), slot: "sweep")
        loop.mailbox.post(.message("gen3"), slot: "metrics")
        loop.mailbox.post(.message("stop"))
        let final = try loop.run()
        #expect(final.received == ["file-written", "sweep50", "gen3", "stop"])
    }

    @Test func mailboxIsSafeUnderConcurrentPosting() {
        let signal = WakeSignal()
        let mailbox = UIMailbox<Int>(wakeSignal: signal)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for i in 0..<500 { mailbox.post(worker * 1000 + i, slot: "w\(worker)") }
            mailbox.post(-1)
        }
        let values = mailbox.drain()
        // One (the last) value per slot plus eight unslotted ones.
        #expect(values.count == 16)
        #expect(Set(values.filter { $0 >= 0 }) == Set((0..<8).map { $0 * 1000 + 499 }))
        #expect(signal.drain())
        #expect(mailbox.drain().isEmpty)
    }

    @Test func ticksArriveOnlyWhileBusy() throws {
        let backend = MemoryBackend(width: 20, height: 2, script: [.idle(.milliseconds(350))])
        backend.enqueue(.key(.char("s")))  // no longer busy
        backend.enqueue([.idle(.milliseconds(300)), .event(.key(.char("q")))])
        let loop = makeLoop(backend, busy: true, timing: LoopTiming(frameInterval: .milliseconds(10), tickInterval: .milliseconds(100)))
        let final = try loop.run()
        // ~3 ticks in 350 ms while busy (fewer on a loaded machine); none in the 300 ms after,
        // which would add about 3 more.
        #expect((1...4).contains(final.ticks), "ticks: \(final.ticks)")
    }

    @Test func anExhaustedScriptEndsTheRunInsteadOfHanging() {
        let backend = MemoryBackend(width: 10, height: 2, idleLimit: .milliseconds(50))
        let loop = makeLoop(backend)
        #expect(throws: MemoryBackend.ScriptEnded.self) { try loop.run() }
        #expect(backend.ended)
    }
}
