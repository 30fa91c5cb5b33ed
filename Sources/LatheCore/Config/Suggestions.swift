/// "Did you mean" suggestions by edit distance.
enum Suggestions {
    /// Levenshtein distance over Unicode scalars.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.unicodeScalars), y = Array(b.unicodeScalars)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var previous = Array(0...y.count)
        var current = [Int](repeating: 0, count: y.count + 1)
        for i in 1...x.count {
            current[0] = i
            for j in 1...y.count {
                let substitution = previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            swap(&previous, &current)
        }
        return previous[y.count]
    }

    /// The candidate nearest to `word` (first among equals), if any is within `maxDistance`.
    static func nearest(to word: String, in candidates: [String], maxDistance: Int = .max) -> String? {
        var best: (String, Int)?
        for candidate in candidates {
            let distance = editDistance(word, candidate)
            if distance <= maxDistance && distance < (best?.1 ?? .max) { best = (candidate, distance) }
        }
        return best?.0
    }

    /// " (did you mean 'x'?)" for close keys, else " (valid: a, b, c)".
    static func hint(for word: String, validKeys: [String]) -> String {
        let limit = max(2, word.count / 3)
        if let match = nearest(to: word, in: validKeys, maxDistance: limit) {
            return " (did you mean '\(match)'?)"
        }
        return " (valid: \(validKeys.joined(separator: ", ")))"
    }
}
