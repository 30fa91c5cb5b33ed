import LatheCore

/// The status bar, always visible, in fixed forms scripts can read:
/// `top-1 NN.N%` (or `agree NN.N%`, `SQNR NN.N dB`, `MSE 0.0123`, …), then while streaming the change against fp32
/// with its 95% interval and `eval done/total`, the running job's progress bar,
/// and `size <human-readable> (R.R×)`; a spinner while anything is in flight.
/// With several evaluation sets the metric reads `top-1 clean 96.5% shifted 82.5%▼`:
/// every set's value in order, `▼` (`*` without Unicode) after the one that
/// degrades most against the uncompressed model on it.
enum StatusBarView {
    struct Segment {
        var line: StyledLine
        /// Lower numbers survive longer when space runs out.
        var priority: Int
        var alignRight = false
    }

    static func draw(_ state: AppState, in row: Rect, into buffer: inout Buffer, glyphs: GlyphSet) {
        guard !row.isEmpty else { return }
        buffer.fill(row, style: .header)
        var segments = self.segments(state, glyphs: glyphs)
        func width(_ list: [Segment]) -> Int { list.reduce(0) { $0 + $1.line.width + 2 } + 1 }
        while width(segments) > row.width, let worst = segments.map(\.priority).max(), worst > 1 {
            if let i = segments.lastIndex(where: { $0.priority == worst }) { segments.remove(at: i) }
        }
        var x = row.x + 1
        for segment in segments where !segment.alignRight {
            x = segment.line.draw(into: &buffer, at: Point(x: x, y: row.y), clip: row) + 2
        }
        let right = segments.filter(\.alignRight)
        var rx = row.maxX - 1 - right.reduce(0) { $0 + $1.line.width } - 2 * max(0, right.count - 1)
        rx = max(rx, x)
        for segment in right {
            rx = segment.line.draw(into: &buffer, at: Point(x: rx, y: row.y), clip: row) + 2
        }
    }

    /// "top-1 clean 96.5% shifted 82.5%▼": each set's value (… before its first batch), the worst marked.
    static func setsText(_ engine: EngineStatus, label: String, metric: ScoreMetric, glyphs: GlyphSet) -> String {
        let mark = worstMark(glyphs)
        let parts = engine.sets.enumerated().map { index, set in
            let value = set.value.map { Format.metric($0, metric) } ?? glyphs.ellipsis
            return "\(set.name) \(value)" + (index == engine.worstSet ? mark : "")
        }
        return ([label] + parts).joined(separator: " ")
    }

    /// The mark after the set that degrades most.
    static func worstMark(_ glyphs: GlyphSet) -> String { glyphs.isUnicode ? "▼" : "*" }

    static func segments(_ state: AppState, glyphs: GlyphSet) -> [Segment] {
        let header = Style.header
        let strong = Style.header.bolded()
        var segments: [Segment] = []
        let label = state.session.metricLabel
        let metric = state.session.metric
        segments.append(Segment(line: StyledLine(state.isBusy ? glyphs.spinnerFrame(state.ticks) : " ", header),
                                priority: 1))
        if let engine = state.currentEngine {
            if let error = engine.error {
                segments.append(Segment(line: StyledLine("\(label) error: \(error)", strong), priority: 1))
            } else if !engine.sets.isEmpty {
                segments.append(Segment(line: StyledLine(setsText(engine, label: label, metric: metric, glyphs: glyphs),
                                                         strong), priority: 1))
                if !engine.isFinal {
                    segments.append(Segment(line: StyledLine("eval \(engine.samplesDone)/\(engine.samplesTotal)", header),
                                            priority: 2))
                }
            } else if let value = engine.value {
                segments.append(Segment(line: StyledLine("\(label) \(Format.metric(value, metric))", strong), priority: 1))
                if let change = engine.change {
                    if engine.isFinal {
                        segments.append(Segment(line: StyledLine("Δ\(Format.metricChange(change, metric)) vs fp32", header),
                                                priority: 2))
                    } else {
                        segments.append(Segment(line: StyledLine("Δ\(Format.metricChange(change, metric))", header),
                                                priority: 3))
                        if let interval = engine.changeInterval {
                            let text = "95% [\(Format.signedPoints(interval.lowerBound)), "
                                + "\(Format.signedPoints(interval.upperBound))]"
                            segments.append(Segment(line: StyledLine(text, header), priority: 4))
                        }
                    }
                }
                if !engine.isFinal {
                    segments.append(Segment(line: StyledLine("eval \(engine.samplesDone)/\(engine.samplesTotal)", header),
                                            priority: 2))
                }
            } else {
                segments.append(Segment(line: StyledLine("\(label) \(glyphs.ellipsis)", strong), priority: 1))
                segments.append(Segment(line: StyledLine("eval 0/\(engine.samplesTotal)", header), priority: 2))
            }
        } else {
            segments.append(Segment(line: StyledLine("\(label) \(glyphs.ellipsis)", strong), priority: 1))
        }
        if let job = state.runningJob {
            var line = StyledLine("\(job.kind.rawValue) [", header)
            line.add(glyphs.horizontalBar(job.fraction, width: 10), header)
            line.add("] \(job.done)/\(job.total)", header)
            segments.append(Segment(line: line, priority: 2))
            if !job.phase.isEmpty { segments.append(Segment(line: StyledLine(job.phase, header), priority: 5)) }
        }
        if let engine = state.engine {
            let text = "size \(Format.bytes(engine.sizeBytes)) (\(Format.ratio(engine.compressionRatio, unicode: glyphs.isUnicode)))"
            segments.append(Segment(line: StyledLine(text, strong), priority: 1, alignRight: true))
        }
        return segments
    }
}
