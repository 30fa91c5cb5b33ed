/// ONNX MaxPool (with the optional Indices output), AveragePool,
/// GlobalAveragePool and GlobalMaxPool over 1 to 3 spatial axes, NCHW.
///
/// Windows are computed on the canonical three-axis geometry (`PoolLoop`);
/// for every output position the range of kernel taps inside the input is
/// precomputed per axis, so the inner loops carry no bounds tests, and the
/// reduction is a static type so each loop nest is specialised.
enum PoolKernels {
    static func maxPool(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let data = try node.input(0, of: inputs, "X")
        if data.dtype == .int8 || data.dtype == .uint8 {
            // Opset 12's 8-bit MaxPool: every such value is exact in Float, and a maximum creates no new value.
            var widened = inputs
            widened[0] = Tensor(shape: data.shape, floats: data.ints.map { Float($0) })
            var outputs = try maxPool(node, widened)
            outputs[0] = Tensor(shape: outputs[0].shape, ints: outputs[0].floats.map { Int64($0) }, dtype: data.dtype)
            return outputs
        }
        let x = try node.floatInput(inputs, 0, "X")
        let loop = try PoolLoop(node: node, x: x)
        let wantIndices = node.outputs.count >= 2 && !node.outputs[1].isEmpty
        let values = x.floats.withUnsafeBufferPointer { xBuf in
            uninitializedFloats(loop.outputCount) { yBuf in
                guard let xp = xBuf.baseAddress, let yp = yBuf.baseAddress else { return }
                if loop.isSeparableMax {
                    loop.reduceMaxSeparably(x: xp, y: yp)
                } else {
                    loop.reduce(MaxReduction.self, x: xp, y: yp)
                }
            }
        }
        var outputs = [Tensor(shape: loop.outputShape, floats: values, dtype: x.dtype)]
        if node.outputs.count >= 2 {
            let columnMajor = node.int("storage_order", default: 0) != 0
            let indices = wantIndices ? x.floats.withUnsafeBufferPointer { loop.argmax($0, columnMajor: columnMajor) }
                                      : [Int64](repeating: 0, count: loop.outputCount)
            outputs.append(Tensor(shape: loop.outputShape, ints: indices, dtype: .int64))
        }
        return outputs
    }

    static func averagePool(_ node: Node, _ inputs: [Tensor?]) throws -> [Tensor] {
        let x = try node.floatInput(inputs, 0, "X")
        let loop = try PoolLoop(node: node, x: x)
        let includePad = node.int("count_include_pad", default: 0) != 0
        let values = x.floats.withUnsafeBufferPointer { xBuf in
            uninitializedFloats(loop.outputCount) { yBuf in
                guard let xp = xBuf.baseAddress, let yp = yBuf.baseAddress else { return }
                if includePad {
                    loop.reduce(AverageIncludingPad.self, x: xp, y: yp)
                } else {
                    loop.reduce(AverageExcludingPad.self, x: xp, y: yp)
                }
            }
        }
        return [Tensor(shape: loop.outputShape, floats: values, dtype: x.dtype)]
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

/// How a pooling window is reduced to one value.
protocol WindowReduction {
    static var initial: Float { get }
    static func combine(_ accumulator: Float, _ value: Float) -> Float
    static func combine(_ accumulator: SIMD8<Float>, _ value: SIMD8<Float>) -> SIMD8<Float>
    /// `inside`: window taps inside the input; `padded`: taps inside the padded input.
    static func finish(_ accumulator: Float, inside: Int, padded: Int) -> Float
}

enum MaxReduction: WindowReduction {
    static var initial: Float { -.greatestFiniteMagnitude }
    @inline(__always) static func combine(_ a: Float, _ v: Float) -> Float { v > a ? v : a }
    @inline(__always) static func combine(_ a: SIMD8<Float>, _ v: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: v, where: v .> a) }
    @inline(__always) static func finish(_ a: Float, inside: Int, padded: Int) -> Float { a }
}

enum AverageExcludingPad: WindowReduction {
    static var initial: Float { 0 }
    @inline(__always) static func combine(_ a: Float, _ v: Float) -> Float { a + v }
    @inline(__always) static func combine(_ a: SIMD8<Float>, _ v: SIMD8<Float>) -> SIMD8<Float> { a + v }
    @inline(__always) static func finish(_ a: Float, inside: Int, padded: Int) -> Float {
        inside > 0 ? a / Float(inside) : 0
    }
}

/// onnxruntime's count_include_pad: padding taps count, taps past the
/// padding (ceil_mode's partial last window) do not.
enum AverageIncludingPad: WindowReduction {
    static var initial: Float { 0 }
    @inline(__always) static func combine(_ a: Float, _ v: Float) -> Float { a + v }
    @inline(__always) static func combine(_ a: SIMD8<Float>, _ v: SIMD8<Float>) -> SIMD8<Float> { a + v }
    @inline(__always) static func finish(_ a: Float, inside: Int, padded: Int) -> Float {
        padded > 0 ? a / Float(padded) : 0
    }
}

/// A validated pooling call on the canonical three-axis geometry, as plain
/// integers plus flat per-axis tables (output position → first and last
/// kernel tap inside the input, and the tap count inside the padded input).
struct PoolLoop {
    let planes: Int
    let outputShape: [Int]
    let inD, inH, inW, outD, outH, outW: Int
    let strideD, strideH, strideW, dilationD, dilationH, dilationW, padD, padH, padW: Int
    let kernelW: Int
    /// Tables of length outD + outH + outW, axis after axis.
    let tapLo: [Int]
    let tapHi: [Int]
    let paddedTaps: [Int]

    var inputCount: Int { inD * inH * inW }
    var spatialOut: Int { outD * outH * outW }
    var outputCount: Int { planes * spatialOut }

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
        (inD, inH, inW) = (g.input[0], g.input[1], g.input[2])
        (outD, outH, outW) = (g.output[0], g.output[1], g.output[2])
        (strideD, strideH, strideW) = (g.strides[0], g.strides[1], g.strides[2])
        (dilationD, dilationH, dilationW) = (g.dilations[0], g.dilations[1], g.dilations[2])
        (padD, padH, padW) = (g.padBegin[0], g.padBegin[1], g.padBegin[2])
        kernelW = g.kernel[2]
        var lo = [Int](), hi = [Int](), padded = [Int]()
        for axis in 0..<3 {
            for o in 0..<g.output[axis] {
                let start = o * g.strides[axis] - g.padBegin[axis]
                let d = g.dilations[axis]
                let first = max(0, ceilDiv(-start, d))
                let end = min(g.kernel[axis], ceilDiv(g.input[axis] - start, d))
                lo.append(first)
                hi.append(max(first, end))
                let paddedEnd = g.input[axis] + g.padEnd[axis]
                padded.append((0..<g.kernel[axis]).filter { k in
                    let i = start + k * d
                    return i >= -g.padBegin[axis] && i < paddedEnd
                }.count)
            }
        }
        tapLo = lo
        tapHi = hi
        paddedTaps = padded
    }

    /// Output columns [fullLo, vectorEnd) whose horizontal windows are whole (first tap 0, last
    /// tap kernelW − 1) and can be read eight at a time (strides 1 and 2; a stride-2 block reads
    /// sixteen consecutive inputs, one past its last tap); fullLo is outW when none is whole.
    var vectorColumns: (fullLo: Int, vectorEnd: Int) {
        var fullLo = outW, fullHi = outW
        for ow in 0..<outW where tapLo[outD + outH + ow] == 0 && tapHi[outD + outH + ow] == kernelW {
            if fullLo == outW { fullLo = ow }
            fullHi = ow + 1
        }
        let overread = strideW == 2 ? 1 : 0
        let lastOffset = (kernelW - 1) * dilationW - padW
        let vectorEnd = (strideW == 1 || strideW == 2) && fullLo < fullHi
            ? min(fullHi, floorDiv(inW - 1 - overread - lastOffset, strideW) + 1) : fullLo
        return (fullLo, vectorEnd)
    }

    /// Reduces every window of every plane. Along each output row, the
    /// positions whose horizontal taps are all inside the input run eight at
    /// a time in SIMD registers (strides 1 and 2); the rest one by one.
    @inline(__always)
    func reduce<R: WindowReduction>(_ reduction: R.Type, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let (fullLo, vectorEnd) = vectorColumns
        tapLo.withUnsafeBufferPointer { loBuf in
            tapHi.withUnsafeBufferPointer { hiBuf in
                paddedTaps.withUnsafeBufferPointer { padBuf in
                    guard let lo = loBuf.baseAddress, let hi = hiBuf.baseAddress, let pad = padBuf.baseAddress else { return }
                    let (loH, hiH, padHt) = (lo + outD, hi + outD, pad + outD)
                    let (loW, hiW, padWt) = (loH + outH, hiH + outH, padHt + outH)
                    for plane in 0..<planes {
                        let src = x + plane * inputCount
                        for od in 0..<outD {
                            let (kdLo, kdHi) = (lo[od], hi[od])
                            let d0 = od * strideD - padD
                            for oh in 0..<outH {
                                let (khLo, khHi) = (loH[oh], hiH[oh])
                                let h0 = oh * strideH - padH
                                let paddedDH = pad[od] * padHt[oh]
                                let insideDH = (kdHi - kdLo) * (khHi - khLo)
                                let rowOut = y + ((plane * outD + od) * outH + oh) * outW

                                @inline(__always) func scalar(_ ow: Int) {
                                    let (kwLo, kwHi) = (loW[ow], hiW[ow])
                                    let w0 = ow * strideW - padW
                                    var acc = R.initial
                                    for kd in kdLo..<kdHi {
                                        let depth = src + (d0 + kd * dilationD) * inH * inW
                                        for kh in khLo..<khHi {
                                            let row = depth + (h0 + kh * dilationH) * inW + w0
                                            for kw in kwLo..<kwHi { acc = R.combine(acc, row[kw * dilationW]) }
                                        }
                                    }
                                    rowOut[ow] = R.finish(acc, inside: insideDH * (kwHi - kwLo), padded: paddedDH * padWt[ow])
                                }

                                @inline(__always) func block(_ ow: Int) {
                                    var acc = SIMD8<Float>(repeating: R.initial)
                                    let w0 = ow * strideW - padW
                                    for kd in kdLo..<kdHi {
                                        let depth = src + (d0 + kd * dilationD) * inH * inW
                                        for kh in khLo..<khHi {
                                            let row = depth + (h0 + kh * dilationH) * inW + w0
                                            for kw in 0..<kernelW {
                                                acc = R.combine(acc, PaddedPlane.load8(row + kw * dilationW, stride: strideW))
                                            }
                                        }
                                    }
                                    let inside = insideDH * kernelW, padded = paddedDH * kernelW
                                    for lane in 0..<8 { rowOut[ow + lane] = R.finish(acc[lane], inside: inside, padded: padded) }
                                }

                                for ow in 0..<fullLo { scalar(ow) }
                                var ow = fullLo
                                if vectorEnd - fullLo >= 8 {
                                    // The last block shifts back to end at vectorEnd (recomputing a few outputs).
                                    while ow < vectorEnd {
                                        let start = min(ow, vectorEnd - 8)
                                        block(start)
                                        ow = start + 8
                                    }
                                }
                                while ow < outW {
                                    scalar(ow)
                                    ow += 1
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// MaxPool's Indices output: the flat position of each window's maximum
    /// in X (row-major, or column-major over the spatial axes when
    /// storage_order is 1); the first maximum wins on ties.
    func argmax(_ xBuf: UnsafeBufferPointer<Float>, columnMajor: Bool) -> [Int64] {
        var indices = [Int64](repeating: 0, count: outputCount)
        guard let x = xBuf.baseAddress else { return indices }
        var o = 0
        for plane in 0..<planes {
            let src = x + plane * inputCount
            for od in 0..<outD {
                for oh in 0..<outH {
                    for ow in 0..<outW {
                        var best = -Float.greatestFiniteMagnitude
                        var at = 0
                        for kd in tapLo[od]..<tapHi[od] {
                            let d = od * strideD - padD + kd * dilationD
                            for kh in tapLo[outD + oh]..<tapHi[outD + oh] {
                                let h = oh * strideH - padH + kh * dilationH
                                for kw in tapLo[outD + outH + ow]..<tapHi[outD + outH + ow] {
                                    let w = ow * strideW - padW + kw * dilationW
                                    let v = src[(d * inH + h) * inW + w]
                                    if v > best {
                                        best = v
                                        at = columnMajor ? d + inD * (h + inH * w) : (d * inH + h) * inW + w
                                    }
                                }
                            }
                        }
                        indices[o] = Int64(plane * inputCount + at)
                        o += 1
                    }
                }
            }
        }
        return indices
    }
}
