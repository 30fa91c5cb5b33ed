/// The scratch layout of the padded depthwise paths: one input channel plane
/// copied into a zero-padded plane holding exactly the rows and columns the
/// outputs read, so every output is the same taps with no bounds tests.
///
/// The plane has slack after its last row: a block of eight outputs reads
/// up to 7 values past a row's end at stride 1, and a stride-2 block loads
/// sixteen values from its start, up to 15 past. Those lanes are discarded.
struct PaddedPlane {
    let inH, inW, outH, outW: Int
    let kh, kw, sh, sw, dh, dw: Int
    let padTop, padLeft: Int
    /// Rows and columns of the padded plane.
    let rows, cols: Int
    /// Floats to allocate: the plane and its slack.
    let scratchCount: Int

    static let slack = 32

    /// `g`: canonical geometry with a unit depth axis.
    init(_ g: SpatialGeometry) {
        inH = g.input[1]; inW = g.input[2]; outH = g.output[1]; outW = g.output[2]
        kh = g.kernel[1]; kw = g.kernel[2]; sh = g.strides[1]; sw = g.strides[2]
        dh = g.dilations[1]; dw = g.dilations[2]
        padTop = g.padBegin[1]; padLeft = g.padBegin[2]
        rows = (outH - 1) * sh + (kh - 1) * dh + 1
        cols = (outW - 1) * sw + (kw - 1) * dw + 1
        scratchCount = rows * cols + Self.slack
    }

    /// Copies one input plane into the interior of the padded plane; input
    /// cells no output reads (rows or columns a stride leaves over at the
    /// end) are skipped. Padding cells are never written, so zeroing the
    /// scratch once serves every plane.
    func copy(_ src: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
        // Padding wider than the kernel's reach can leave no input cell read at all.
        let colLo = max(0, -padLeft), colHi = min(inW, cols - padLeft)
        let rowLo = max(0, -padTop), rowHi = min(inH, rows - padTop)
        guard colLo < colHi, rowLo < rowHi else { return }
        for ih in rowLo..<rowHi {
            (dst + (ih + padTop) * cols + colLo + padLeft)
                .update(from: src + ih * inW + colLo, count: colHi - colLo)
        }
    }

    /// The inputs of eight consecutive outputs for one tap: contiguous for
    /// stride 1; for stride 2 sixteen consecutive values, even lanes kept.
    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>, stride: Int) -> SIMD8<Float> {
        stride == 1
            ? UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
            : UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self).evenHalf
    }

    /// Stores a finished block of eight outputs at `target`. Planes are
    /// written in address order, so lanes past a row's end land on outputs
    /// not computed yet (which overwrite them later) and the block is stored
    /// whole; only a block that would pass `end`, the end of the whole
    /// output, is stored lane by lane (`valid` lanes).
    @inline(__always)
    static func store(_ block: SIMD8<Float>, at target: UnsafeMutablePointer<Float>, valid: Int,
                      end: UnsafeMutablePointer<Float>) {
        if end - target >= 8 {
            UnsafeMutableRawPointer(target).storeBytes(of: block, as: SIMD8<Float>.self)
        } else {
            for lane in 0..<min(valid, 8) { target[lane] = block[lane] }
        }
    }
}

/// One depthwise layer on the padded paths (`DepthwiseConv3x3`,
/// `DepthwiseConvPadded`): the arguments of `DepthwiseConv.run` and the plane
/// layout they imply.
struct PaddedDepthwise {
    let input: UnsafePointer<Float>
    let batch, channels, multiplier: Int
    let weights: UnsafePointer<Float>
    let bias: UnsafePointer<Float>?
    let plan: PaddedPlane
    let output: UnsafeMutablePointer<Float>

    init(input: UnsafePointer<Float>, batch: Int, channels: Int, multiplier: Int, weights: UnsafePointer<Float>,
         bias: UnsafePointer<Float>?, geometry g: SpatialGeometry, output: UnsafeMutablePointer<Float>) {
        self.input = input
        self.batch = batch
        self.channels = channels
        self.multiplier = multiplier
        self.weights = weights
        self.bias = bias
        self.plan = PaddedPlane(g)
        self.output = output
    }

    /// Each input channel plane is copied once into a zeroed scratch plane,
    /// then `plane(padded, weights, bias, out, end)` computes each of its
    /// `multiplier` output planes with that plane's taps and bias. Planes go
    /// in address order, which `PaddedPlane.store`'s whole-block spill relies
    /// on; `end` is the end of the whole output.
    @inline(__always)
    func forEachOutputPlane(_ plane: (_ padded: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, _ bias: Float,
                                      _ out: UnsafeMutablePointer<Float>, _ end: UnsafeMutablePointer<Float>) -> Void) {
        let outChannels = channels * multiplier
        let planeCount = plan.outH * plan.outW
        let taps = plan.kh * plan.kw
        let end = output + batch * outChannels * planeCount
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: plan.scratchCount)
        defer { scratch.deallocate() }
        scratch.initialize(repeating: 0, count: plan.scratchCount)
        for n in 0..<batch {
            for ic in 0..<channels {
                plan.copy(input + (n * channels + ic) * plan.inH * plan.inW, into: scratch)
                for m in 0..<multiplier {
                    let oc = ic * multiplier + m
                    plane(scratch, weights + oc * taps, bias?[oc] ?? 0, output + (n * outChannels + oc) * planeCount, end)
                }
            }
        }
    }
}

/// The plane loop of a padded depthwise path (`DepthwiseConv3x3`,
/// `DepthwiseConvPadded`): one output plane from its padded input plane, the
/// epilogue applied in the register before each store.
protocol PaddedPlaneKernel {
    static func plane<Epilogue: LaneEpilogue>(_ padded: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                                              bias: Float, plan: PaddedPlane, stride: Int, epilogue: Epilogue,
                                              output: UnsafeMutablePointer<Float>, end: UnsafeMutablePointer<Float>)
}

extension PaddedPlaneKernel {
    /// Same contract as `DepthwiseConv.run`; the caller checked that the path applies.
    static func run(input: UnsafePointer<Float>, batch: Int, channels: Int, multiplier: Int,
                    weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, geometry g: SpatialGeometry,
                    activation: FusedActivation, output: UnsafeMutablePointer<Float>) {
        activation.dispatch(PaddedDepthwisePlanes<Self>(layer: PaddedDepthwise(
            input: input, batch: batch, channels: channels, multiplier: multiplier, weights: weights, bias: bias,
            geometry: g, output: output)))
    }
}

/// A layer's planes through `Kernel` with one epilogue type.
struct PaddedDepthwisePlanes<Kernel: PaddedPlaneKernel>: LaneEpilogueKernel {
    let layer: PaddedDepthwise

    /// Never inlined: inside a large caller the optimiser stops inlining the
    /// SIMD loads of the plane loop, which then cost a call each (35% slower).
    @inline(never)
    func run<Epilogue: LaneEpilogue>(_ epilogue: Epilogue) {
        let plan = layer.plan
        layer.forEachOutputPlane { padded, weights, bias, out, end in
            // The literal strides let each call specialise its loads.
            if plan.sw == 1 {
                Kernel.plane(padded, weights: weights, bias: bias, plan: plan, stride: 1, epilogue: epilogue,
                             output: out, end: end)
            } else {
                Kernel.plane(padded, weights: weights, bias: bias, plan: plan, stride: 2, epilogue: epilogue,
                             output: out, end: end)
            }
        }
    }
}
