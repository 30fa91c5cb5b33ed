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

    /// Drives a depthwise layer: each input channel plane is copied once into
    /// a zeroed scratch plane, then `plane(padded, oc, out, end)` computes
    /// each of its `multiplier` output planes. Planes go in address order,
    /// which `store`'s whole-block spill relies on; `end` is the end of the
    /// whole output.
    @inline(__always)
    func forEachOutputPlane(input: UnsafePointer<Float>, batch: Int, channels: Int, multiplier: Int,
                            output: UnsafeMutablePointer<Float>,
                            _ plane: (_ padded: UnsafePointer<Float>, _ oc: Int, _ out: UnsafeMutablePointer<Float>,
                                      _ end: UnsafeMutablePointer<Float>) -> Void) {
        let outChannels = channels * multiplier
        let planeCount = outH * outW
        let end = output + batch * outChannels * planeCount
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
        defer { scratch.deallocate() }
        scratch.initialize(repeating: 0, count: scratchCount)
        for n in 0..<batch {
            for ic in 0..<channels {
                copy(input + (n * channels + ic) * inH * inW, into: scratch)
                for m in 0..<multiplier {
                    let oc = ic * multiplier + m
                    plane(scratch, oc, output + (n * outChannels + oc) * planeCount, end)
                }
            }
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
