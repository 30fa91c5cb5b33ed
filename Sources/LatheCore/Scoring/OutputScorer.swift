/// The uncompressed model's output on one batch, kept to score plans against.
struct ReferenceBatch: Sendable {
    /// Samples-first values.
    var values: [Float]
    /// Argmax at every position (empty without a class axis).
    var predictions: [Int32]
    var samples: Int
}

/// One batch's labels, samples-first, in the batch's sample order.
enum BatchLabels: Sendable {
    case classes([Int])
    case values([Float])
}

/// Turns one batch's outputs into `ScoreTotals` under a `Scoring`: argmax at
/// every position along the class axis (numpy's convention: the first of tied
/// maxima; a NaN counts as the maximum), and float64 sums in element order.
///
/// Ties: a position where the uncompressed output has tied maxima agrees when
/// the compressed output's argmax is the first of them, exactly as
/// `np.argmax` counts it, so the CLI, the explorer and a numpy reference agree.
struct OutputScorer: Sendable {
    let scoring: Scoring

    /// `output`: samples-first, the batch's scored output.
    func reference(_ output: Tensor) throws -> ReferenceBatch {
        try check(output)
        let values = output.asFloats
        return ReferenceBatch(values: values, predictions: scoring.hasClasses ? predictions(values, output) : [],
                              samples: output.shape.first ?? 0)
    }

    /// The totals of `output` (samples-first) against the reference and the labels.
    func totals(_ output: Tensor, reference: ReferenceBatch, labels: BatchLabels?) throws -> ScoreTotals {
        try check(output)
        let values = output.asFloats
        guard values.count == reference.values.count, output.shape.first == reference.samples else {
            throw LatheError.internalFailure("a plan's output has \(values.count) values, the uncompressed model's \(reference.values.count)")
        }
        var totals = ScoreTotals()
        totals.samples = reference.samples
        if scoring.hasClasses {
            let predicted = predictions(values, output)
            totals.positions = predicted.count
            for (p, r) in zip(predicted, reference.predictions) where p == r { totals.agreements += 1 }
            if scoring.labelsMatchPositions, case .classes(let classes)? = labels, classes.count == predicted.count {
                for (p, y) in zip(predicted, classes) where Int(p) == y { totals.labelHits += 1 }
                for (r, y) in zip(reference.predictions, classes) where Int(r) == y { totals.baselineLabelHits += 1 }
            }
        }
        values.withUnsafeBufferPointer { out in
            reference.values.withUnsafeBufferPointer { ref in
                var refEnergy = 0.0, errEnergy = 0.0, cross = 0.0, outEnergy = 0.0, largest = 0.0
                for i in 0..<out.count {
                    let o = Double(out[i]), r = Double(ref[i])
                    let change = abs(o - r)
                    if change > largest { largest = change }
                    else if change.isNaN, o.isNaN != r.isNaN { largest = .infinity }
                    refEnergy += r * r
                    errEnergy += (o - r) * (o - r)
                    cross += o * r
                    outEnergy += o * o
                }
                totals.referenceEnergy = refEnergy
                totals.errorEnergy = errEnergy
                totals.crossProduct = cross
                totals.outputEnergy = outEnergy
                totals.largestChange = largest
            }
        }
        if scoring.labelsMatchOutput, case .values(let targets)? = labels, targets.count == values.count {
            var squared = 0.0, absolute = 0.0, baseSquared = 0.0, baseAbsolute = 0.0
            for i in 0..<targets.count {
                let y = Double(targets[i])
                let e = Double(values[i]) - y, b = Double(reference.values[i]) - y
                squared += e * e
                absolute += abs(e)
                baseSquared += b * b
                baseAbsolute += abs(b)
            }
            totals.labelElements = targets.count
            totals.squaredError = squared
            totals.absoluteError = absolute
            totals.baselineSquaredError = baseSquared
            totals.baselineAbsoluteError = baseAbsolute
        }
        return totals
    }

    /// Per sample of `reference`, the smallest gap between the largest and second-largest value along the class
    /// axis over its positions: a change of every value by less than half of it keeps every prediction
    /// (`MarginStop`). +∞ with one class; 0 where a value is NaN (any change may move it). Nil when the output
    /// holds no class scores (no class axis, or predictions given as integers).
    func margins(_ reference: ReferenceBatch) -> [Double]? {
        guard let axis = scoring.classAxis, !scoring.predictionsGiven, reference.samples > 0 else { return nil }
        let shape = [reference.samples] + scoring.sampleShape
        let outer = shape[..<axis].reduce(1, *)
        let classes = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        let perSample = outer / reference.samples
        var margins = [Double](repeating: .infinity, count: reference.samples)
        guard classes > 1, perSample > 0 else { return margins }
        reference.values.withUnsafeBufferPointer { v in
            for o in 0..<outer {
                let sample = o / perSample
                for i in 0..<inner {
                    let base = o * classes * inner + i
                    var first = -Double.infinity, second = -Double.infinity, sawNaN = false
                    for c in 0..<classes {
                        let x = Double(v[base + c * inner])
                        if x.isNaN { sawNaN = true; break }
                        if x > first { second = first; first = x } else if x > second { second = x }
                    }
                    let gap = sawNaN ? 0 : first - second
                    margins[sample] = min(margins[sample], gap.isNaN ? 0 : gap)
                }
            }
        }
        return margins
    }

    private func check(_ output: Tensor) throws {
        guard Array(output.shape.dropFirst()) == scoring.sampleShape else {
            throw LatheError.badInput("the output's shape changed: \(ModelBinding.describe(output.shape)), "
                + "scored as \(Scoring.describe(scoring.sampleShape)). Its size follows the input's values (a decoder "
                + "that stops at an end token does this); Lathe scores outputs of one shape per sample")
        }
    }

    /// Argmax along the class axis at every position, positions in row-major order.
    private func predictions(_ values: [Float], _ output: Tensor) -> [Int32] {
        if scoring.predictionsGiven { return output.ints.map { Int32(truncatingIfNeeded: $0) } }
        guard let axis = scoring.classAxis else { return [] }
        let shape = output.shape
        let outer = shape[..<axis].reduce(1, *)
        let classes = shape[axis]
        let inner = shape[(axis + 1)...].reduce(1, *)
        var result = [Int32](repeating: 0, count: outer * inner)
        values.withUnsafeBufferPointer { v in
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * classes * inner + i
                    var best = 0
                    var bestValue = v[base]
                    if !bestValue.isNaN {
                        for c in 1..<max(classes, 1) {
                            let x = v[base + c * inner]
                            if x.isNaN { best = c; break }
                            if x > bestValue { best = c; bestValue = x }
                        }
                    }
                    result[o * inner + i] = Int32(best)
                }
            }
        }
        return result
    }
}
