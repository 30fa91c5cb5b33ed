import LatheCore

extension CheckpointSensitivity {
    /// One row per layer: SQNR per bit-width, outlier measures, the suggestion; then the weighted totals.
    func text(model: String) -> String {
        func db(_ value: Double?) -> String {
            guard let value else { return "-" }
            return value.isInfinite ? "exact" : String(format: "%.1f dB", value)
        }
        var header = ["layer", "dtype", "params"] + bits.map { "SQNR \($0)b" } + ["kurtosis", "max/std"]
        if targetBits != nil { header.append("suggested") }
        var rows = [header]
        for layer in layers {
            var row = [layer.tensor.name, layer.tensor.encoding.typeName, TextFormatting.grouped(layer.tensor.count)]
            row += bits.map { db(layer.profile.sqnrDB[$0]) }
            row += [TextFormatting.decimal(layer.profile.excessKurtosis, digits: 3),
                    TextFormatting.decimal(layer.profile.maxAbsOverStd, digits: 3)]
            if targetBits != nil { row.append(layer.suggestedBits.map { "\($0) bits" } ?? "-") }
            rows.append(row)
        }
        var totals = bits.map { ["weighted SQNR at \($0) bits", db(weightedSQNR(bits: $0))] }
        if let targetBits, let suggestion {
            totals.append(["suggestion for ≤ \(TextFormatting.decimal(targetBits)) bits",
                           String(format: "%.3f bits average, weighted SQNR %@", suggestion.averageBits, db(suggestion.sqnrDB))])
        }
        return ["\(model) (data-free: weights-only checkpoint)",
                TextFormatting.table(rows, rightAligned: Set(2..<(header.count - (targetBits != nil ? 1 : 0)))),
                TextFormatting.table(totals)].joined(separator: "\n\n")
    }
}
