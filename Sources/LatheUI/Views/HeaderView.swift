/// The top line: what is open and what the engine is doing.
enum HeaderView {
    static func draw(_ state: AppState, in row: Rect, into buffer: inout Buffer, glyphs: GlyphSet) {
        guard !row.isEmpty else { return }
        buffer.fill(row, style: .header)
        let s = state.session
        var left = StyledLine(" Lathe ", Style.header.bolded())
        left.add(" \(s.modelName)", .header)
        left.add("  \(glyphs.bullet)  \(s.dataName): \(s.samples) samples, " + (s.labelled ? "labelled" : "unlabelled"),
                 .header)
        if state.isDirty { left.add("  \(glyphs.bullet)  modified", Style.header.bolded()) }
        // Which metric scores the plans, and why (the first thing cut when the line is short).
        if !s.metricReason.isEmpty { left.add("  \(glyphs.bullet)  \(s.metricLabel): \(s.metricReason)", .header) }
        let right = "engine: " + engineState(state) + " "
        let rightWidth = DisplayWidth.of(right)
        let leftRoom = row.width - rightWidth - 1
        if leftRoom >= 20 {
            left.draw(into: &buffer, row: Rect(x: row.x, y: row.y, width: leftRoom, height: 1), ellipsis: glyphs.ellipsis)
            buffer.write(right, at: Point(x: row.maxX - rightWidth, y: row.y), style: .header, clip: row)
        } else {
            left.draw(into: &buffer, row: row, ellipsis: glyphs.ellipsis)
        }
    }

    /// "starting", "evaluating 640/2000", "sweep 12/40", "idle", "error".
    static func engineState(_ state: AppState) -> String {
        if let job = state.runningJob { return "\(job.kind.rawValue) \(job.done)/\(job.total)" }
        guard let engine = state.currentEngine else { return state.engine == nil ? "starting" : "evaluating" }
        if engine.error != nil { return "error" }
        if !engine.isFinal { return "evaluating \(engine.samplesDone)/\(engine.samplesTotal)" }
        return "idle"
    }
}
