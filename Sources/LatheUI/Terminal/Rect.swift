/// A rectangle of cells. `maxX`/`maxY` are exclusive. Empty rectangles are valid
/// everywhere (layouts on tiny terminals produce them) and draw nothing.
public struct Rect: Hashable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int

    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }

    public init(size: TerminalSize) { self.init(x: 0, y: 0, width: size.width, height: size.height) }

    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width == 0 || height == 0 }
    public var origin: Point { Point(x: x, y: y) }
    public var description: String { "(\(x),\(y) \(width)×\(height))" }

    public func contains(_ p: Point) -> Bool { p.x >= x && p.x < maxX && p.y >= y && p.y < maxY }

    public func intersection(_ other: Rect) -> Rect {
        let left = max(x, other.x), top = max(y, other.y)
        let right = min(maxX, other.maxX), bottom = min(maxY, other.maxY)
        return Rect(x: left, y: top, width: right - left, height: bottom - top)
    }

    /// Shrinks every side by `amount` (a border of one cell: `inset(by: 1)`).
    public func inset(by amount: Int) -> Rect { inset(top: amount, left: amount, bottom: amount, right: amount) }

    public func inset(top: Int = 0, left: Int = 0, bottom: Int = 0, right: Int = 0) -> Rect {
        let w = max(0, width - left - right), h = max(0, height - top - bottom)
        return Rect(x: x + min(left, width), y: y + min(top, height), width: w, height: h)
    }

    /// The single-row rectangle at row `index` from the top (empty when outside).
    public func row(_ index: Int) -> Rect {
        guard index >= 0, index < height else { return Rect(x: x, y: y + max(0, index), width: 0, height: 0) }
        return Rect(x: x, y: y + index, width: width, height: 1)
    }

    /// The top `rows` rows and the rest.
    public func splitTop(_ rows: Int) -> (top: Rect, rest: Rect) {
        let n = min(max(0, rows), height)
        return (Rect(x: x, y: y, width: width, height: n), Rect(x: x, y: y + n, width: width, height: height - n))
    }

    /// The bottom `rows` rows and the rest.
    public func splitBottom(_ rows: Int) -> (rest: Rect, bottom: Rect) {
        let n = min(max(0, rows), height)
        return (Rect(x: x, y: y, width: width, height: height - n), Rect(x: x, y: maxY - n, width: width, height: n))
    }

    /// The left `columns` columns and the rest.
    public func splitLeft(_ columns: Int) -> (left: Rect, rest: Rect) {
        let n = min(max(0, columns), width)
        return (Rect(x: x, y: y, width: n, height: height), Rect(x: x + n, y: y, width: width - n, height: height))
    }

    /// The right `columns` columns and the rest.
    public func splitRight(_ columns: Int) -> (rest: Rect, right: Rect) {
        let n = min(max(0, columns), width)
        return (Rect(x: x, y: y, width: width - n, height: height), Rect(x: maxX - n, y: y, width: n, height: height))
    }

    /// Splits the height into consecutive bands sized by `extents`, `spacing` rows apart.
    public func splitRows(_ extents: [Extent], spacing: Int = 0) -> [Rect] {
        Extent.resolve(extents, total: height, spacing: spacing).map {
            Rect(x: x, y: y + $0.offset, width: width, height: $0.length)
        }
    }

    /// Splits the width into consecutive columns sized by `extents`, `spacing` columns apart.
    public func splitColumns(_ extents: [Extent], spacing: Int = 0) -> [Rect] {
        Extent.resolve(extents, total: width, spacing: spacing).map {
            Rect(x: x + $0.offset, y: y, width: $0.length, height: height)
        }
    }

    /// A `width`×`height` rectangle centred in this one (clamped to fit): popups, help overlay.
    public func centered(width w: Int, height h: Int) -> Rect {
        let cw = min(max(0, w), width), ch = min(max(0, h), height)
        return Rect(x: x + (width - cw) / 2, y: y + (height - ch) / 2, width: cw, height: ch)
    }
}

/// How much of a row/column split one part takes.
public enum Extent: Hashable, Sendable {
    /// Exactly `n` cells (less when space runs out, earliest parts first).
    case fixed(Int)
    /// `p` percent of the whole (rounded down).
    case percent(Int)
    /// A share of what is left after fixed and percent parts, by weight.
    case fill(Int)

    /// One equal share of the remainder.
    public static let fill = Extent.fill(1)

    static func resolve(_ extents: [Extent], total: Int, spacing: Int) -> [(offset: Int, length: Int)] {
        guard !extents.isEmpty else { return [] }
        let gap = max(0, spacing)
        var available = max(0, total - gap * (extents.count - 1))
        var lengths = [Int](repeating: 0, count: extents.count)
        let whole = available
        for (i, e) in extents.enumerated() {
            switch e {
            case .fixed(let n): lengths[i] = min(max(0, n), available)
            case .percent(let p): lengths[i] = min(whole * min(max(0, p), 100) / 100, available)
            case .fill: continue
            }
            available -= lengths[i]
        }
        let weights = extents.map { if case .fill(let w) = $0 { return max(0, w) } else { return 0 } }
        let weightSum = weights.reduce(0, +)
        if weightSum > 0 {
            var given = 0
            var remainder = available
            for (i, w) in weights.enumerated() where w > 0 {
                given += w
                // Cumulative rounding hands the leftover cells out evenly, the last part taking the rest.
                let upTo = available * given / weightSum
                let share = upTo - (available - remainder)
                lengths[i] = share
                remainder -= share
            }
        }
        var offset = 0
        var result: [(offset: Int, length: Int)] = []
        for (i, length) in lengths.enumerated() {
            result.append((min(offset, total), length))
            offset += length + (i < lengths.count - 1 ? gap : 0)
        }
        return result
    }
}
