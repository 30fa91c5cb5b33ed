import CLatheBLAS

/// What GPTQ and bias correction know about one layer's inputs (README "Recovery
/// methods"): per group, the count n of input vectors x seen on the calibration samples,
/// their sum Σx and their Gram matrix Σxxᵀ, accumulated in float64 from the float32
/// values the uncompressed model computes.
public struct LayerInputStatistics: Sendable, Equatable {
    public let groups: Int
    /// Length of one input vector (per group).
    public let columns: Int
    /// Input vectors seen per group.
    public private(set) var count: Int = 0
    /// Σx per group, `groups × columns`.
    public private(set) var sums: [Double]
    /// Σxxᵀ per group, `groups × columns × columns`, row-major and symmetric.
    public private(set) var products: [Double]

    public init(groups: Int, columns: Int) {
        self.groups = groups
        self.columns = columns
        sums = [Double](repeating: 0, count: groups * columns)
        products = [Double](repeating: 0, count: groups * columns * columns)
    }

    /// Why these statistics cannot be taken for `layer` (nil when they can).
    public static func unsupportedReason(_ layer: WeightLayer) -> String? {
        LayerInputForm.unsupportedReason(layer)
    }

    /// E[x] of a group.
    public func mean(group: Int) -> [Double] {
        let n = Double(max(count, 1))
        return sums[(group * columns)..<((group + 1) * columns)].map { $0 / n }
    }

    /// GPTQ's H = (2/n)·Σxxᵀ of a group, row-major.
    public func hessian(group: Int) -> [Double] {
        let size = columns * columns
        let factor = 2 / Double(max(count, 1))
        return products[(group * size)..<((group + 1) * size)].map { $0 * factor }
    }

    /// Adds `vectors` (`rows × columns`, row-major, float64) to group `group`.
    mutating func add(_ vectors: [Double], rows: Int, group: Int) {
        guard rows > 0 else { return }
        let n = columns
        for r in 0..<rows {
            for c in 0..<n { sums[group * n + c] += vectors[r * n + c] }
        }
        products.withUnsafeMutableBufferPointer { gram in
            vectors.withUnsafeBufferPointer { x in
                guard let g = gram.baseAddress, let xb = x.baseAddress else { return }
                // Σxxᵀ += Xᵀ X over the rows (full matrix: later code reads both triangles).
                lathe_dgemm(1, 0, Int32(n), Int32(n), Int32(rows), 1,
                            xb, Int32(n), xb, Int32(n), 1, g + group * n * n, Int32(n))
            }
        }
    }

    /// Counts the vectors one group-wise observation added (every group sees the same number).
    mutating func countVectors(_ rows: Int) { count += rows }
}

/// Accumulates a layer's input statistics from the values its data input takes.
struct LayerInputAccumulator: Sendable {
    let form: LayerInputForm
    private(set) var statistics: LayerInputStatistics

    init(form: LayerInputForm) {
        self.form = form
        statistics = LayerInputStatistics(groups: form.groups, columns: form.columns)
    }

    /// Adds the input vectors of one batch of the layer's data; `values` holds the node's
    /// `form.extraInputs` (their values on the same batch, or the constants).
    mutating func observe(_ input: Tensor, values extraValues: [String: Tensor] = [:]) throws {
        let values = input.asFloats
        switch form {
        case .lastAxis(let length):
            guard input.rank >= 1, input.shape.last == length else { throw mismatch(input) }
            let rows = values.count / max(length, 1)
            statistics.add(values.map(Double.init), rows: rows, group: 0)
            statistics.countVectors(rows)
        case .secondToLastAxis(let length):
            guard input.rank >= 2, input.shape[input.rank - 2] == length else { throw mismatch(input) }
            let width = input.shape[input.rank - 1]
            let matrices = values.count / max(length * width, 1)
            var vectors = [Double](repeating: 0, count: matrices * width * length)
            for m in 0..<matrices {
                for k in 0..<length {
                    for j in 0..<width {
                        vectors[(m * width + j) * length + k] = Double(values[(m * length + k) * width + j])
                    }
                }
            }
            statistics.add(vectors, rows: matrices * width, group: 0)
            statistics.countVectors(matrices * width)
        case let .patches(attributes, groups, channelsPerGroup, node):
            try observePatches(input, values: values, attributes: attributes, groups: groups,
                               channelsPerGroup: channelsPerGroup, node: node)
        case let .transposedPatches(weightShape, node):
            try observeTransposed(input, values: values, weightShape: weightShape, node: node)
        case let .hiddenStates(node, directions, hidden):
            try observeHiddenStates(input, extra: extras(extraValues, node: node), node: node, directions: directions,
                                    hidden: hidden)
        }
    }

    private func extras(_ values: [String: Tensor], node: Node) throws -> [Tensor?] {
        try node.inputs.dropFirst().map { name in
            guard !name.isEmpty else { return nil }
            guard let value = values[name] else {
                throw LatheError.internalFailure("\(node.displayName): no value for its input '\(name)'")
            }
            return value
        }
    }

    /// A recurrent R: its node rerun by the engine's kernel on the batch (so Y exists even when the
    /// model leaves it out), then per direction the states each step starts from.
    private mutating func observeHiddenStates(_ x: Tensor, extra: [Tensor?], node: Node, directions: Int,
                                              hidden: Int) throws {
        guard let kernel = OpRegistry.kernel(node.opType) else {
            throw LatheError.internalFailure("no kernel for \(node.opType)")
        }
        let outputs = try kernel(node, [x] + extra)
        let batchFirst = node.int("layout", default: 0) != 0
        // Y: [T, D, N, H] (layout 0) or [N, T, D, H] (layout 1); initial_h [D, N, H] or [N, D, H].
        guard let y = outputs.first, y.rank == 4, y.shape[batchFirst ? 2 : 1] == directions, y.shape[3] == hidden else {
            throw LatheError.internalFailure("\(node.displayName): its Y does not have \(directions) directions of \(hidden)")
        }
        let steps = batchFirst ? y.shape[1] : y.shape[0], batch = batchFirst ? y.shape[0] : y.shape[2]
        let initial = extra.count > 4 ? extra[4] : nil
        if let initial, initial.count != directions * batch * hidden { throw mismatch(initial) }
        let reverse = node.string("direction") == "reverse"
        let yv = y.floats, hv = initial?.floats
        func yOffset(_ t: Int, _ d: Int, _ b: Int) -> Int {
            batchFirst ? ((b * steps + t) * directions + d) * hidden : ((t * directions + d) * batch + b) * hidden
        }
        func hOffset(_ d: Int, _ b: Int) -> Int { batchFirst ? (b * directions + d) * hidden : (d * batch + b) * hidden }
        for d in 0..<directions {
            let backward = reverse || d == 1
            var vectors = [Double](repeating: 0, count: steps * batch * hidden)
            for b in 0..<batch {
                for t in 0..<steps {
                    let row = (b * steps + t) * hidden
                    let previous = backward ? t + 1 : t - 1
                    if previous >= 0 && previous < steps {
                        let at = yOffset(previous, d, b)
                        for k in 0..<hidden { vectors[row + k] = Double(yv[at + k]) }
                    } else if let hv {
                        let at = hOffset(d, b)
                        for k in 0..<hidden { vectors[row + k] = Double(hv[at + k]) }
                    }
                }
            }
            statistics.add(vectors, rows: steps * batch, group: d)
        }
        statistics.countVectors(steps * batch)
    }

    /// ConvTranspose: one vector per output position (LayerInputForm.transposedPatches), from the
    /// geometry the kernel itself uses (pads from output_shape / auto_pad included).
    private mutating func observeTransposed(_ input: Tensor, values: [Float], weightShape: [Int], node: Node) throws {
        guard input.rank == weightShape.count, input.shape[1] == weightShape[0] else { throw mismatch(input) }
        let problem = try ConvTransposeProblem(node: node, x: input, w: Tensor.zeros(weightShape), bias: nil)
        guard problem.group == 1 else { throw mismatch(input) }
        // The adjoint geometry: its `input` is the output image, its `output` the input image.
        let g = problem.scatter.canonical()
        let channels = problem.inChannels, taps = g.kernelCount, width = channels * taps
        let positions = g.inputCount, plane = g.outputCount
        for image in 0..<problem.batch {
            var vectors = [Double](repeating: 0, count: positions * width)
            for oz in 0..<g.input[0] {
                for oy in 0..<g.input[1] {
                    for ox in 0..<g.input[2] {
                        let position = (oz * g.input[1] + oy) * g.input[2] + ox
                        for kz in 0..<g.kernel[0] {
                            guard let iz = Self.source(oz, tap: kz, axis: 0, g) else { continue }
                            for ky in 0..<g.kernel[1] {
                                guard let iy = Self.source(oy, tap: ky, axis: 1, g) else { continue }
                                for kx in 0..<g.kernel[2] {
                                    guard let ix = Self.source(ox, tap: kx, axis: 2, g) else { continue }
                                    let tap = (kz * g.kernel[1] + ky) * g.kernel[2] + kx
                                    let at = (iz * g.output[1] + iy) * g.output[2] + ix
                                    for c in 0..<channels {
                                        vectors[position * width + c * taps + tap] =
                                            Double(values[(image * channels + c) * plane + at])
                                    }
                                }
                            }
                        }
                    }
                }
            }
            statistics.add(vectors, rows: positions, group: 0)
            statistics.countVectors(positions)
        }
    }

    /// The input index i with o = i·stride + k·dilation − pad_begin on `axis`, if whole and in range.
    private static func source(_ o: Int, tap k: Int, axis: Int, _ g: SpatialGeometry) -> Int? {
        let shifted = o + g.padBegin[axis] - k * g.dilations[axis]
        guard shifted >= 0, shifted % g.strides[axis] == 0 else { return nil }
        let i = shifted / g.strides[axis]
        return i < g.output[axis] ? i : nil
    }

    private mutating func observePatches(_ input: Tensor, values: [Float], attributes: WindowAttributes, groups: Int,
                                         channelsPerGroup: Int, node: Node) throws {
        let rank = attributes.kernel.count
        guard input.rank == rank + 2, input.shape[1] == groups * channelsPerGroup else { throw mismatch(input) }
        let spatial = Array(input.shape.dropFirst(2))
        let geometry = try attributes.convGeometry(input: spatial, node: node).canonical()
        let images = input.shape[0]
        let rows = channelsPerGroup * geometry.kernelCount
        let positions = geometry.outputCount
        let plane = geometry.inputCount
        var columns = [Float](repeating: 0, count: rows * positions)
        for image in 0..<images {
            for group in 0..<groups {
                let first = (image * groups + group) * channelsPerGroup * plane
                values.withUnsafeBufferPointer { source in
                    columns.withUnsafeMutableBufferPointer { target in
                        guard let s = source.baseAddress, let t = target.baseAddress else { return }
                        Im2Col.im2col(s + first, channels: channelsPerGroup, geometry: geometry, into: t)
                    }
                }
                // im2col gives one row per (channel, tap): the vectors are its columns.
                var vectors = [Double](repeating: 0, count: rows * positions)
                for r in 0..<rows {
                    for p in 0..<positions { vectors[p * rows + r] = Double(columns[r * positions + p]) }
                }
                statistics.add(vectors, rows: positions, group: group)
            }
            statistics.countVectors(positions)
        }
    }

    private func mismatch(_ input: Tensor) -> LatheError {
        LatheError.internalFailure("layer input of shape \(input.shape) does not fit its \(form.columns)-wide vectors")
    }
}
