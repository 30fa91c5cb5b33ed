import LatheCore

/// The selected layer in depth: histogram with marks, statistics, bytes and
/// sensitivity curve. Lines below the histogram scroll when they do not fit.
enum DetailView {
    static func draw(_ state: AppState, in area: Rect, into buffer: inout Buffer, glyphs: GlyphSet) {
        guard area.height >= 1, let layer = state.selectedLayer else { return }
        let focused = state.focus == .detail
        buffer.titleRule(area.row(0), title: layer.name, glyphs: glyphs,
                         titleStyle: focused ? Style.accent.bolded() : Style.fg.bolded(),
                         right: state.logScale ? "log counts" : nil)
        let inner = area.inset(top: 1, left: 1, right: 1)
        guard inner.height > 0, inner.width > 4 else { return }
        let settings = state.settings(of: layer)
        let analysis = state.analyses[layer.name]
        let currentAnalysis = analysis?.settings == settings ? analysis : nil

        var y = inner.y
        // Identity and settings.
        var info = StyledLine("\(layer.op) \(Format.shape(layer.shape, unicode: glyphs.isUnicode)) \(glyphs.bullet) "
                              + "\(layer.params) params \(glyphs.bullet) ", .dim)
        info.add(Format.settingsLong(settings, stored: layer.stored), settings.isIdentity ? .fg : .accent)
        info.draw(into: &buffer, row: inner.row(0), ellipsis: glyphs.ellipsis)
        y += 1

        let lines = textLines(state, layer: layer, settings: settings, analysis: currentAnalysis, glyphs: glyphs,
                              width: inner.width)
        // The histogram gets what the text leaves, between 3 and 12 rows.
        let remaining = inner.maxY - y
        let histogramRows = max(3, min(16, remaining - 2 - lines.count))
        var plotWidth = inner.width
        if remaining >= histogramRows + 1 {
            let lo = layer.histogram.edges.first ?? 0, hi = layer.histogram.edges.last ?? 0
            let left = Format.number(lo), right = Format.number(hi)
            let labelWidth = max(DisplayWidth.of(left), DisplayWidth.of(right)) + 1
            let plot = Rect(x: inner.x + labelWidth, y: y, width: max(1, inner.width - 2 * labelWidth),
                            height: histogramRows)
            let axis = Rect(x: plot.x, y: plot.maxY, width: plot.width, height: 1)
            plotWidth = plot.width
            HistogramView.draw(layer.histogram, analysis: currentAnalysis, logScale: state.logScale, area: plot,
                               axis: axis, into: &buffer, glyphs: glyphs)
            buffer.write(DisplayWidth.pad(left, to: labelWidth - 1, alignRight: true),
                         at: Point(x: inner.x, y: axis.y), style: .dim, clip: inner)
            buffer.write(right, at: Point(x: axis.maxX + 1, y: axis.y), style: .dim, clip: inner)
            // Count of the tallest column, so heights read as numbers.
            let peak = HistogramView.columnCounts(layer.histogram, columns: plot.width).max() ?? 0
            buffer.write(DisplayWidth.pad(Format.count(Int(peak.rounded())), to: labelWidth - 1, alignRight: true),
                         at: Point(x: inner.x, y: plot.y), style: .dim, clip: inner)
            y = axis.maxY
        }
        let legend = HistogramView.legend(currentAnalysis, settings: settings, axisWidth: plotWidth, glyphs: glyphs,
                                          pending: state.pendingAnalyses[layer.name] != nil)
        let all = [legend] + lines
        let visible = max(0, inner.maxY - y)
        let scroll = min(state.detailScroll, max(0, all.count - visible))
        for (i, line) in all.dropFirst(scroll).prefix(visible).enumerated() {
            line.draw(into: &buffer, row: Rect(x: inner.x, y: y + i, width: inner.width, height: 1),
                      ellipsis: glyphs.ellipsis)
        }
        if scroll + visible < all.count {
            buffer.write(glyphs.arrowDown, at: Point(x: area.maxX - 1, y: area.maxY - 1), style: .dim, clip: area)
        }
    }

    static func textLines(_ state: AppState, layer: LayerInfo, settings: LayerSettings, analysis: LayerAnalysis?,
                          glyphs: GlyphSet, width: Int) -> [StyledLine] {
        var lines: [StyledLine] = []
        let s = layer.stats
        var stats = StyledLine()
        for (name, value) in [("min", Format.short(s.min)), ("max", Format.short(s.max)),
                              ("mean", Format.short(s.mean)), ("std", Format.short(s.std)),
                              ("sparsity", Format.percent(s.sparsity)), ("outliers", Format.percent(s.outlierRatio))] {
            if !stats.pieces.isEmpty { stats.add(" ") }
            stats.add(name + " ", .dim)
            stats.add(value)
        }
        lines.append(stats)
        if let stored = layer.stored {
            // The statistics above are of the dequantized values: say so, and what new settings start from.
            var line = StyledLine("stored ", .dim)
            line.add("\(stored.summary) (\(stored.bits) bits)")
            // An integer kernel's weight (MatMulInteger, ConvInteger) is shown as the stored integers minus the zero point.
            let integers = layer.op == LayerOp.matMulInteger.rawValue || layer.op == LayerOp.convInteger.rawValue
            line.add(" \(Format.bytes(stored.size.total))")
            line.add(integers ? "; values w − zero point (integer units), new settings keep to whole numbers"
                              : "; values dequantized, new settings re-compress them", .dim)
            lines.append(line)
        }

        if let analysis, settings.changesWeights {
            var after = StyledLine("compressed ", .dim)
            after.add("\(analysis.distinctValues) distinct values")
            after.add("  sparsity ", .dim)
            after.add(Format.percent(analysis.compressedSparsity))
            after.add("  mse ", .dim)
            after.add(Format.number(analysis.meanSquaredError))
            lines.append(after)
        }

        var bytes = StyledLine("bytes ", .dim)
        if let size = state.engine?.layerSizes[layer.name] {
            bytes.add(Format.bytes(size.total), Style.fg.bolded())
            bytes.add(" of \(Format.bytes(layer.baselineBytes))", .dim)
            if size.total > 0 {
                bytes.add(" (\(Format.ratio(Double(layer.baselineBytes) / Double(size.total), unicode: glyphs.isUnicode)))",
                          .dim)
            }
            lines.append(bytes)
            var parts: [(String, Int)] = [("payload", size.payload), ("scales", size.scales)]
            if size.zeroPoints > 0 { parts.append(("zero-points", size.zeroPoints)) }
            parts += [("codebook", size.codebook), ("index", size.index)]
            if size.bias > 0 { parts.append(("added bias", size.bias)) }
            var breakdown = StyledLine()
            for (i, part) in parts.enumerated() {
                breakdown.add((i > 0 ? "  " : "") + part.0 + " ", .dim)
                breakdown.add(Format.bytes(part.1))
            }
            lines.append(breakdown)
        } else {
            bytes.add("\(Format.bytes(layer.baselineBytes)) (\(layer.stored.map { "\($0.dtype.rawValue) stored" } ?? "float32"))")
            lines.append(bytes)
        }

        lines += sensitivityLines(state, layer: layer, glyphs: glyphs)
        return lines
    }

    /// The layer's sensitivity curve: per family, the metric at each level swept.
    static func sensitivityLines(_ state: AppState, layer: LayerInfo, glyphs: GlyphSet) -> [StyledLine] {
        guard let data = state.sensitivity, let entry = data.layers[layer.name] else {
            let running = state.runningJob?.kind == .sweep
            return [StyledLine("sensitivity ", .dim) + StyledLine(running ? "sweep running\(glyphs.ellipsis)"
                                                                         : "not swept yet (s sweeps)", .dim)]
        }
        var lines: [StyledLine] = []
        var head = StyledLine("sensitivity ", .dim)
        if let score = entry.score {
            head.add("score \(String(format: "%.1f", score * 100)) pt", .fg)
            if let max = data.maxScore, max > 0 { head.add(" (most sensitive: \(String(format: "%.1f", max * 100)))", .dim) }
        } else {
            head.add("partial", .dim)
        }
        lines.append(head)
        let families: [(String, [SensitivityLevel])] = [
            ("bits", data.levels.filter { if case .bits = $0 { return true }; return false }),
            ("prune", data.levels.filter { if case .prune = $0 { return true }; return false }),
            ("clusters", data.levels.filter { if case .clusters = $0 { return true }; return false }),
        ]
        let label = state.session.metricLabel
        for (family, levels) in families where !levels.isEmpty {
            var line = StyledLine(DisplayWidth.pad(family, to: 9), .dim)
            var curve = ""
            for level in levels {
                guard let cell = entry.cells[level] else {
                    line.add("\(level.shortLabel) ", .dim)
                    line.add("\(glyphs.ellipsis)  ", .dim)
                    curve += " "
                    continue
                }
                line.add("\(level.shortLabel) ", .dim)
                line.add(Format.metric(cell.value, data.metric) + "  ", data.isNoticeable(cell) ? .warn : .fg)
                let height = data.metric.countsPositions ? cell.value : 1 - data.heat(cell)
                curve += glyphs.verticalLevel(max(0.01, height))
            }
            line.add(curve, .accent)
            lines.append(line)
        }
        if let baseline = data.baseline {
            lines.append(StyledLine("fp32 \(label) \(Format.metric(baseline, data.metric)); each level applied to this layer alone",
                                    .dim))
        }
        return lines
    }
}

extension StyledLine {
    static func + (a: StyledLine, b: StyledLine) -> StyledLine {
        var c = a
        c.pieces += b.pieces
        return c
    }
}
