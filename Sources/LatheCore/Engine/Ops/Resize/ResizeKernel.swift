/// ONNX Resize (opset 10: X and scales; opset 11+: X, roi, scales, sizes;
/// opset 18: axes, keep_aspect_ratio_policy) in nearest and linear modes over
/// any axes. Cubic interpolation and antialiased linear downsampling are
/// refused with a clear error.
///
/// Both modes are separable, so the resize runs as one 1-D pass per axis
/// whose mapping is not the identity; each pass moves whole inner rows, which
/// keeps it vectorisable.
enum ResizeKernel {
    /// `opset10`: the first form (inputs X and scales, asymmetric coordinates,
    /// legacy rounding); false for the opset-11 form and later.
    static func kernel(opset10: Bool) -> Kernel {
        { node, inputs in try run(node, inputs, opset10: opset10) }
    }

    static func run(_ node: Node, _ inputs: [Tensor?], opset10: Bool) throws -> [Tensor] {
        let x = try node.floatInput(inputs, 0, "X")
        let spec = try ResizeSpec(node: node, inputs: inputs, x: x, opset10: opset10)
        var shape = x.shape
        var data = x.floats
        for axis in 0..<x.rank {
            let map = spec.axisMap(axis: axis, inputLength: x.shape[axis])
            if map.isIdentity(length: shape[axis]) { continue }
            (shape, data) = resample(shape: shape, data: data, axis: axis, map: map, extrapolation: spec.extrapolation)
        }
        return [Tensor(shape: shape, floats: data, dtype: x.dtype)]
    }

    /// One 1-D pass along `axis`, split over the outer rows when large (each output element is
    /// computed alone, so the split changes no bits).
    static func resample(shape: [Int], data: [Float], axis: Int, map: AxisMap, extrapolation: Float) -> ([Int], [Float]) {
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        let inLength = shape[axis]
        let outLength = map.taps.count
        var outShape = shape
        outShape[axis] = outLength
        let total = outer * outLength * inner
        let result = data.withUnsafeBufferPointer { srcBuf in
            uninitializedFloats(total) { dstBuf in
                guard let src = srcBuf.baseAddress, let dst = dstBuf.baseAddress else { return }
                if inner == 1 {
                    // Along the last axis one output is one element: flat
                    // tables instead of a switch per element.
                    let table = map.table
                    table.lo.withUnsafeBufferPointer { lo in
                        table.hi.withUnsafeBufferPointer { hi in
                            table.weight.withUnsafeBufferPointer { weight in
                                OpParallelism.forEachPart(of: outer, work: total) { part in for o in part {
                                    let row = src + o * inLength, out = dst + o * outLength
                                    if table.nearest {
                                        // A pure gather: copies infinities exactly (0 · ∞ would be NaN).
                                        for i in 0..<outLength { out[i] = row[lo[i]] }
                                    } else {
                                        for i in 0..<outLength {
                                            let w = weight[i]
                                            out[i] = row[lo[i]] * (1 - w) + row[hi[i]] * w
                                        }
                                    }
                                    for i in table.outside { out[i] = extrapolation }
                                } }
                            }
                        }
                    }
                    return
                }
                OpParallelism.forEachPart(of: outer, work: total) { part in for o in part {
                    let block = src + o * inLength * inner
                    for (i, tap) in map.taps.enumerated() {
                        let out = dst + (o * outLength + i) * inner
                        switch tap {
                        case .outside:
                            out.initialize(repeating: extrapolation, count: inner)
                        case .nearest(let index):
                            out.initialize(from: block + index * inner, count: inner)
                        case .linear(let lo, let hi, let weight):
                            let a = block + lo * inner, b = block + hi * inner
                            let wa = 1 - weight
                            for j in 0..<inner { out[j] = a[j] * wa + b[j] * weight }
                        }
                    }
                } }
            }
        }
        return (outShape, result)
    }

    /// Where each output position along one axis reads from.
    enum Tap: Equatable {
        case nearest(Int)
        /// `(1 − weight) · x[lo] + weight · x[hi]`
        case linear(lo: Int, hi: Int, weight: Float)
        /// Outside the crop of tf_crop_and_resize: the extrapolation value.
        case outside
    }

    struct AxisMap {
        var taps: [Tap]

        /// The taps as `(1 − weight) · x[lo] + weight · x[hi]` tables (nearest:
        /// lo = hi, weight 0), the positions outside the crop, and whether
        /// every tap is a plain copy.
        var table: (lo: [Int], hi: [Int], weight: [Float], outside: [Int], nearest: Bool) {
            var lo = [Int](), hi = [Int](), weight = [Float](), outside = [Int]()
            var nearest = true
            for (i, tap) in taps.enumerated() {
                switch tap {
                case .nearest(let index): lo.append(index); hi.append(index); weight.append(0)
                case .linear(let l, let h, let w): lo.append(l); hi.append(h); weight.append(w); nearest = false
                case .outside: lo.append(0); hi.append(0); weight.append(0); outside.append(i)
                }
            }
            return (lo, hi, weight, outside, nearest)
        }

        func isIdentity(length: Int) -> Bool {
            guard taps.count == length else { return false }
            for (i, tap) in taps.enumerated() {
                switch tap {
                case .nearest(let index) where index == i: continue
                case .linear(let lo, _, let weight) where lo == i && weight == 0: continue
                default: return false
                }
            }
            return true
        }
    }
}

/// The validated parameters of one Resize call.
struct ResizeSpec {
    enum Mode { case nearest, linear }
    enum Transform: String {
        case halfPixel = "half_pixel"
        case halfPixelSymmetric = "half_pixel_symmetric"
        case pytorchHalfPixel = "pytorch_half_pixel"
        case alignCorners = "align_corners"
        case asymmetric
        case tfHalfPixelForNearest = "tf_half_pixel_for_nearest"
        case tfCropAndResize = "tf_crop_and_resize"
    }
    enum Rounding: String {
        case roundPreferFloor = "round_prefer_floor"
        case roundPreferCeil = "round_prefer_ceil"
        case floor, ceil
        /// Opset 10 (onnxruntime): truncate when enlarging, ceil when shrinking.
        case legacy
    }

    let mode: Mode
    let transform: Transform
    let rounding: Rounding
    let extrapolation: Float
    /// Per axis of X: scale used in the coordinate transform, and output length.
    let scales: [Float]
    let outputShape: [Int]
    /// Per axis of X: crop start and end (fractions), for tf_crop_and_resize.
    let roiStart: [Float]
    let roiEnd: [Float]

    init(node: Node, inputs: [Tensor?], x: Tensor, opset10: Bool) throws {
        let rank = x.rank
        guard x.count > 0 else { throw node.kernelError("input X \(shapeText(x.shape)) is empty") }
        let modeText = node.string("mode") ?? "nearest"
        switch modeText {
        case "nearest": mode = .nearest
        case "linear", "bilinear", "trilinear": mode = .linear
        case "cubic", "bicubic": throw node.kernelError("mode '\(modeText)' is not supported (nearest and linear are)")
        default: throw node.kernelError("unknown mode '\(modeText)'")
        }
        if opset10 {
            transform = .asymmetric
            rounding = .legacy
        } else {
            let t = node.string("coordinate_transformation_mode") ?? "half_pixel"
            guard let parsed = Transform(rawValue: t) else {
                throw node.kernelError("unknown coordinate_transformation_mode '\(t)'")
            }
            transform = parsed
            let r = node.string("nearest_mode") ?? "round_prefer_floor"
            guard let rounding = Rounding(rawValue: r), rounding != .legacy else {
                throw node.kernelError("unknown nearest_mode '\(r)'")
            }
            self.rounding = rounding
        }
        extrapolation = node.float("extrapolation_value", default: 0)

        // Which axes the scales / sizes / roi inputs describe.
        var axes = Array(0..<rank)
        if let given = node.ints("axes"), !given.isEmpty {
            axes = try given.map { a in
                let axis = a < 0 ? a + rank : a
                guard axis >= 0 && axis < rank else {
                    throw node.kernelError("axis \(a) is out of range for input \(shapeText(x.shape))")
                }
                return axis
            }
            guard Set(axes).count == axes.count else { throw node.kernelError("axes \(shapeText(given)) repeat an axis") }
        }

        let scalesIndex = opset10 ? 1 : 2
        let scalesInput = node.optionalInput(inputs, scalesIndex).flatMap { $0.count > 0 ? $0 : nil }
        let sizesInput = opset10 ? nil : node.optionalInput(inputs, 3).flatMap { $0.count > 0 ? $0 : nil }
        var scales = [Float](repeating: 1, count: rank)
        var outputShape = x.shape
        if let sizesInput {
            let sizes = sizesInput.asInts.map(Int.init)
            guard sizes.count == axes.count else {
                throw node.kernelError("sizes has \(sizes.count) values; \(axes.count) expected")
            }
            guard sizes.allSatisfy({ $0 >= 1 }) else { throw node.kernelError("sizes \(shapeText(sizes)) must be positive") }
            let policy = node.string("keep_aspect_ratio_policy") ?? "stretch"
            switch policy {
            case "stretch":
                for (axis, size) in zip(axes, sizes) {
                    outputShape[axis] = size
                    scales[axis] = Float(size) / Float(x.shape[axis])
                }
            case "not_larger", "not_smaller":
                let ratios = zip(axes, sizes).map { Float($1) / Float(x.shape[$0]) }
                let scale = (policy == "not_larger" ? ratios.min() : ratios.max()) ?? 1
                for axis in axes {
                    scales[axis] = scale
                    outputShape[axis] = try Self.length((scale * Float(x.shape[axis]) + 0.5).rounded(.down), node: node)
                }
            default:
                throw node.kernelError("unknown keep_aspect_ratio_policy '\(policy)'")
            }
        } else if let scalesInput {
            guard scalesInput.isFloat else { throw node.kernelError("scales must be floating-point") }
            let given = scalesInput.floats
            guard given.count == axes.count else {
                throw node.kernelError("scales has \(given.count) values; \(axes.count) expected for input \(shapeText(x.shape))")
            }
            guard given.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw node.kernelError("scales \(given) must be positive and finite")
            }
            for (axis, scale) in zip(axes, given) {
                scales[axis] = scale
                outputShape[axis] = try Self.length((scale * Float(x.shape[axis])).rounded(.down), node: node)
            }
        } else {
            throw node.kernelError("neither scales nor sizes is given")
        }
        guard outputShape.allSatisfy({ $0 >= 1 }) else {
            throw node.kernelError("output shape \(shapeText(outputShape)) has an empty axis")
        }
        _ = try node.checkedOutputShape(outputShape)
        if mode == .linear && node.int("antialias", default: 0) != 0 && scales.contains(where: { $0 < 1 }) {
            throw node.kernelError("antialiased linear downsampling is not supported")
        }
        self.scales = scales
        self.outputShape = outputShape

        var roiStart = [Float](repeating: 0, count: rank)
        var roiEnd = [Float](repeating: 1, count: rank)
        if transform == .tfCropAndResize {
            guard let roi = node.optionalInput(inputs, 1), roi.isFloat, roi.count == 2 * axes.count,
                  roi.floats.allSatisfy({ $0.isFinite }) else {
                throw node.kernelError("tf_crop_and_resize needs roi with \(2 * axes.count) finite values")
            }
            for (i, axis) in axes.enumerated() {
                roiStart[axis] = roi.floats[i]
                roiEnd[axis] = roi.floats[axes.count + i]
            }
        }
        self.roiStart = roiStart
        self.roiEnd = roiEnd
    }

    /// An output length computed in Float (as onnxruntime does), refused
    /// before conversion when absurdly large.
    private static func length(_ value: Float, node: Node) throws -> Int {
        guard value < Float(maximumOutputElements) else {
            throw node.kernelError("an output length of \(value) is too large")
        }
        return Int(value)
    }

    /// Input coordinate of output position `x` along `axis`.
    func sourceCoordinate(_ x: Int, axis: Int, inputLength: Int) -> Float {
        let scale = scales[axis]
        let outLength = outputShape[axis]
        let xf = Float(x)
        switch transform {
        case .halfPixel:
            return (xf + 0.5) / scale - 0.5
        case .halfPixelSymmetric:
            let adjustment = Float(outLength) / (scale * Float(inputLength))
            let center = Float(inputLength) / 2
            return center * (1 - adjustment) + (xf + 0.5) / scale - 0.5
        case .pytorchHalfPixel:
            return outLength > 1 ? (xf + 0.5) / scale - 0.5 : 0
        case .alignCorners:
            return outLength == 1 ? 0 : xf * Float(inputLength - 1) / Float(outLength - 1)
        case .asymmetric:
            return xf / scale
        case .tfHalfPixelForNearest:
            return (xf + 0.5) / scale
        case .tfCropAndResize:
            let start = roiStart[axis], end = roiEnd[axis]
            let span = Float(inputLength - 1)
            return outLength > 1
                ? start * span + xf * (end - start) * span / Float(outLength - 1)
                : 0.5 * (start + end) * span
        }
    }

    func axisMap(axis: Int, inputLength: Int) -> ResizeKernel.AxisMap {
        let last = inputLength - 1
        let shrinking = scales[axis] < 1
        let taps = (0..<outputShape[axis]).map { x -> ResizeKernel.Tap in
            let source = sourceCoordinate(x, axis: axis, inputLength: inputLength)
            if transform == .tfCropAndResize && (source < 0 || source > Float(last)) { return .outside }
            switch mode {
            case .nearest:
                return .nearest(min(max(round(source, shrinking: shrinking), 0), last))
            case .linear:
                let clamped = min(max(source, 0), Float(last))
                let lo = Int(clamped.rounded(.down))
                let hi = min(lo + 1, last)
                return .linear(lo: lo, hi: hi, weight: hi == lo ? 0 : clamped - Float(lo))
            }
        }
        return ResizeKernel.AxisMap(taps: taps)
    }

    private func round(_ value: Float, shrinking: Bool) -> Int {
        let floor = value.rounded(.down)
        switch rounding {
        case .roundPreferFloor: return Int(value - floor == 0.5 ? floor : value.rounded(.toNearestOrAwayFromZero))
        case .roundPreferCeil: return Int(value.rounded(.toNearestOrAwayFromZero))
        case .floor: return Int(floor)
        case .ceil: return Int(value.rounded(.up))
        case .legacy: return Int(shrinking ? value.rounded(.up) : value.rounded(.towardZero))
        }
    }
}
