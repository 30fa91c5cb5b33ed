/// ONNX MaxPool (with the optional Indices output), AveragePool,
/// GlobalAveragePool and GlobalMaxPool over 1 to 3 spatial axes, NCHW.
///
/// Windows are computed on the canonical three-axis geometry; for every
/// output position the range of kernel taps inside the input is precomputed
/// per axis, so the inner loops carry no bounds tests.
enum PoolKernels {
    static func maxPool(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try node.floatInput(inputs, 0, "X")
        let job = try PoolJob(node: node, x: x)
        let wantIndices = node.outputs.count >= 2 && !node.outputs[1].isEmpty
        let columnMajor = node.int("storage_order", default: 0) != 0
        let g = job.geometry
        let outCount = job.planes * g.outputCount
        var indices = wantIndices ? [Int64](repeating: 0, count: outCount) : []
        let values = x.floats.withUnsafeBufferPointer { xBuf in
            uninitializedFloats(outCount) { yBuf in
                indices.withUnsafeMutableBufferPointer { iBuf in
                    guard let xp = xBuf.baseAddress, let yp = yBuf.baseAddress else { return }
                    let (inH, inW) = (g.input[1], g.input[2])
                    let (inD, inHCol) = (g.input[0], g.input[1])
                    var o = 0
                    for plane in 0..<job.planes {
                        let src = xp + plane * g.inputCount
                        for od in 0..<g.output[0] {
                            let rd = job.taps[0][od], sd = od * g.strides[0] - g.padBegin[0]
                            for oh in 0..<g.output[1] {
                                let rh = job.taps[1][oh], sh = oh * g.strides[1] - g.padBegin[1]
                                for ow in 0..<g.output[2] {
                                    let rw = job.taps[2][ow], sw = ow * g.strides[2] - g.padBegin[2]
                                    var best = -Float.greatestFiniteMagnitude
                                    var bestAt = (0, 0, 0)
                                    for kd in rd {
                                        let id = sd + kd * g.dilations[0]
                                        for kh in rh {
                                            let ih = sh + kh * g.dilations[1]
                                            let row = src + (id * inH + ih) * inW + sw
                                            for kw in rw {
                                                let v = row[kw * g.dilations[2]]
                                                if v > best {
                                                    best = v
                                                    bestAt = (id, ih, sw + kw * g.dilations[2])
                                                }
                                            }
                                        }
                                    }
                                    yp[o] = best
                                    if wantIndices, let ip = iBuf.baseAddress {
                                        let (d, h, w) = bestAt
                                        let within = columnMajor ? d + inD * (h + inHCol * w) : (d * inH + h) * inW + w
                                        ip[o] = Int64(plane * g.inputCount + within)
                                    }
                                    o += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        var outputs = [Tensor(shape: job.outputShape, floats: values, dtype: x.dtype)]
        if node.outputs.count >= 2 {
            outputs.append(Tensor(shape: job.outputShape, ints: indices, dtype: .int64))
        }
        return outputs
    }

    static func averagePool(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try node.floatInput(inputs, 0, "X")
        let job = try PoolJob(node: node, x: x)
        let includePad = node.int("count_include_pad", default: 0) != 0
        let g = job.geometry
        let outCount = job.planes * g.outputCount
        // Divisor per axis and output position when padding counts: the taps
        // that land inside the padded input (onnxruntime's convention).
        let paddedTaps: [[Int]] = (0..<3).map { axis in
            (0..<g.output[axis]).map { o in
                let start = o * g.strides[axis] - g.padBegin[axis]
                let lo = -g.padBegin[axis], hi = g.input[axis] + g.padEnd[axis]
                return (0..<g.kernel[axis]).reduce(0) { count, k in
                    let i = start + k * g.dilations[axis]
                    return count + (i >= lo && i < hi ? 1 : 0)
                }
            }
        }
        let values = x.floats.withUnsafeBufferPointer { xBuf in
            uninitializedFloats(outCount) { yBuf in
                guard let xp = xBuf.baseAddress, let yp = yBuf.baseAddress else { return }
                let (inH, inW) = (g.input[1], g.input[2])
                var o = 0
                for plane in 0..<job.planes {
                    let src = xp + plane * g.inputCount
                    for od in 0..<g.output[0] {
                        let rd = job.taps[0][od], sd = od * g.strides[0] - g.padBegin[0]
                        for oh in 0..<g.output[1] {
                            let rh = job.taps[1][oh], sh = oh * g.strides[1] - g.padBegin[1]
                            for ow in 0..<g.output[2] {
                                let rw = job.taps[2][ow], sw = ow * g.strides[2] - g.padBegin[2]
                                var sum: Float = 0
                                for kd in rd {
                                    let id = sd + kd * g.dilations[0]
                                    for kh in rh {
                                        let row = src + (id * inH + sh + kh * g.dilations[1]) * inW + sw
                                        for kw in rw { sum += row[kw * g.dilations[2]] }
                                    }
                                }
                                let count = includePad
                                    ? paddedTaps[0][od] * paddedTaps[1][oh] * paddedTaps[2][ow]
                                    : rd.count * rh.count * rw.count
                                yp[o] = count > 0 ? sum / Float(count) : 0
                                o += 1
                            }
                        }
                    }
                }
            }
        }
        return [Tensor(shape: job.outputShape, floats: values, dtype: x.dtype)]
    }

    static func globalAveragePool(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        try global(node, inputs) { p, count in
            var sum: Float = 0
            for i in 0..<count { sum += p[i] }
            return count > 0 ? sum / Float(count) : 0
        }
    }

    static func globalMaxPool(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        try global(node, inputs) { p, count in
            var best = -Float.greatestFiniteMagnitude
            for i in 0..<count { best = max(best, p[i]) }
            return best
        }
    }

    private static func global(_ node: Node, _ inputs: [Tensor?],
                               reduce: (UnsafePointer<Float>, Int) -> Float) throws -> [Tensor] {
        let x = try node.floatInput(inputs, 0, "X")
        guard x.rank >= 3 else {
            throw node.kernelError("input X has shape \(shapeText(x.shape)); rank 3 or more (N, C, spatial...) is needed")
        }
        let planes = x.shape[0] * x.shape[1]
        let spatial = x.shape[2...].reduce(1, *)
        let values = x.floats.withUnsafeBufferPointer { xBuf in
            uninitializedFloats(planes) { yBuf in
                guard let xp = xBuf.baseAddress else {
                    yBuf.initialize(repeating: 0)
                    return
                }
                for plane in 0..<planes { yBuf[plane] = reduce(xp + plane * spatial, spatial) }
            }
        }
        let shape = [x.shape[0], x.shape[1]] + [Int](repeating: 1, count: x.rank - 2)
        return [Tensor(shape: shape, floats: values, dtype: x.dtype)]
    }
}

/// A validated pooling call: geometry plus, per axis and output position,
/// the kernel taps that fall inside the input.
struct PoolJob {
    let planes: Int
    let geometry: SpatialGeometry
    let outputShape: [Int]
    let taps: [[Range<Int>]]

    init(node: Node, x: Tensor) throws {
        guard x.rank >= 3 else {
            throw node.kernelError("input X has shape \(shapeText(x.shape)); rank 3 or more (N, C, spatial...) is needed")
        }
        guard let kernel = node.ints("kernel_shape"), kernel.count == x.rank - 2 else {
            throw node.kernelError("kernel_shape must list \(x.rank - 2) sizes for input \(shapeText(x.shape))")
        }
        let window = try WindowAttributes(node: node, kernel: kernel)
        let ceilMode = node.int("ceil_mode", default: 0) != 0
        let real = try window.poolGeometry(input: Array(x.shape[2...]), ceilMode: ceilMode, node: node)
        planes = x.shape[0] * x.shape[1]
        outputShape = [x.shape[0], x.shape[1]] + real.outputShape
        let g = real.canonical()
        geometry = g
        taps = (0..<3).map { axis in
            (0..<g.output[axis]).map { o in
                let start = o * g.strides[axis] - g.padBegin[axis]
                let d = g.dilations[axis]
                let lo = max(0, ceilDiv(-start, d))
                let hi = min(g.kernel[axis], ceilDiv(g.input[axis] - start, d))
                return lo..<max(lo, hi)
            }
        }
    }
}
