import LatheCore
import Testing
@testable import LatheUI

/// The status bar's segments and which of them survive a narrow terminal.
@Suite struct StatusBarViewTests {
    typealias F = ExplorerFixture

    static func state(final: Bool) -> AppState {
        var state = F.state()
        state.engine = F.engine(for: state, value: 0.9, done: final ? 2000 : 500, final: final, baseline: 0.95)
        return state
    }

    static func texts(_ state: AppState) -> [String] {
        StatusBarView.segments(state, glyphs: .unicode).map(\.line.text)
    }

    @Test func whileStreaming() {
        let segments = StatusBarView.segments(Self.state(final: false), glyphs: .unicode)
        #expect(segments.map(\.line.text)
                == ["⠋", "top-1 90.0%", "Δ-5.0", "95% [-6.2, -4.1]", "eval 500/2000", "size 55.2 KB (1.0×)"])
        #expect(segments.map(\.priority) == [1, 1, 3, 4, 2, 1])
        #expect(segments.map(\.alignRight) == [false, false, false, false, false, true])
    }

    @Test func finalAndIdle() {
        var state = Self.state(final: true)
        state.pendingAnalyses = [:]  // nothing in flight: no spinner
        #expect(Self.texts(state) == [" ", "top-1 90.0%", "Δ-5.0 vs fp32", "size 55.2 KB (1.0×)"])
    }

    @Test func beforeTheFirstReport() {
        #expect(Self.texts(F.state()) == ["⠋", "top-1 …"])
    }

    @Test func aRunningJobShowsItsProgress() {
        var state = Self.state(final: true)
        state.engine?.job = JobProgress(id: 1, kind: .sweep, phase: "fc bits 4", done: 5, total: 10)
        #expect(Self.texts(state).dropFirst(3).prefix(2) == ["sweep [█████     ] 5/10", "fc bits 4"])
    }

    @Test func theIntervalGoesFirstWhenTheBarIsNarrow() {
        func drawn(width: Int) -> String {
            var buffer = Buffer(width: width, height: 1)
            StatusBarView.draw(Self.state(final: false), in: buffer.bounds, into: &buffer, glyphs: .unicode)
            return buffer.renderText()
        }
        #expect(drawn(width: 80).contains("95% [-6.2, -4.1]"))
        let narrow = drawn(width: 70)
        #expect(!narrow.contains("95%"))
        #expect(narrow.contains("Δ-5.0") && narrow.contains("eval 500/2000") && narrow.contains("size 55.2 KB (1.0×)"))
    }
}
