/// The sliding-window geometry shared by convolutions and pools: per spatial
/// axis the input size, kernel extent, stride, dilation, padding and output
/// size. Kernels work on a canonical three-axis form (depth, height, width):
/// 1-D and 2-D ops get leading unit axes, which costs nothing at run time and
/// lets one loop nest serve every rank.
struct SpatialGeometry: Sendable, Equatable {
    var input: [Int]
    var kernel: [Int]
    var strides: [Int]
    var dilations: [Int]
    var padBegin: [Int]
    var padEnd: [Int]
    var output: [Int]

    /// Number of spatial axes the op really has (1...3).
    let rank: Int

    static let maxRank = 3

    var inputCount: Int { input.reduce(1, *) }
    var outputCount: Int { output.reduce(1, *) }
    var kernelCount: Int { kernel.reduce(1, *) }

    /// Spatial output shape at the op's real rank.
    var outputShape: [Int] { Array(output.suffix(rank)) }

    /// The same geometry padded with leading unit axes to three axes.
    func canonical() -> SpatialGeometry {
        let missing = Self.maxRank - input.count
        guard missing > 0 else { return self }
        func lead(_ values: [Int], _ fill: Int) -> [Int] { [Int](repeating: fill, count: missing) + values }
        return SpatialGeometry(input: lead(input, 1), kernel: lead(kernel, 1), strides: lead(strides, 1),
                               dilations: lead(dilations, 1), padBegin: lead(padBegin, 0), padEnd: lead(padEnd, 0),
                               output: lead(output, 1), rank: rank)
    }

    /// Span of the dilated kernel along an axis.
    func extent(_ axis: Int) -> Int { (kernel[axis] - 1) * dilations[axis] + 1 }

    /// Windows that tile the input exactly: stride = kernel, no dilation or padding, and
    /// the windows cover every input position. Each input position then lies in exactly
    /// one window (ConvTranspose's output receives exactly one term per value).
    var tilesWithoutOverlap: Bool {
        input.indices.allSatisfy { axis in
            strides[axis] == kernel[axis] && dilations[axis] == 1 && padBegin[axis] == 0 && padEnd[axis] == 0
                && input[axis] == output[axis] * kernel[axis]
        }
    }
}

/// How `auto_pad` chooses padding.
enum AutoPad: String {
    case notSet = "NOTSET"
    case sameUpper = "SAME_UPPER"
    case sameLower = "SAME_LOWER"
    case valid = "VALID"

    init(node: Node) throws {
        let text = node.string("auto_pad") ?? "NOTSET"
        guard let value = AutoPad(rawValue: text.isEmpty ? "NOTSET" : text) else {
            throw node.kernelError("unknown auto_pad '\(text)'")
        }
        self = value
    }
}

/// The window attributes common to Conv and the pools, read from a node.
struct WindowAttributes {
    var kernel: [Int]
    var strides: [Int]
    var dilations: [Int]
    var pads: [Int]
    var autoPad: AutoPad

    /// `kernel` comes from the weights (Conv) or the kernel_shape attribute (pools).
    init(node: Node, kernel: [Int]) throws {
        let rank = kernel.count
        guard (1...SpatialGeometry.maxRank).contains(rank) else {
            throw node.kernelError("\(rank) spatial axes; 1 to \(SpatialGeometry.maxRank) are supported")
        }
        self.kernel = kernel
        strides = try node.intsAttribute("strides", count: rank, default: 1)
        dilations = try node.intsAttribute("dilations", count: rank, default: 1)
        pads = try node.intsAttribute("pads", count: 2 * rank, default: 0)
        autoPad = try AutoPad(node: node)
        guard kernel.allSatisfy({ $0 >= 1 }) else { throw node.kernelError("kernel shape \(shapeText(kernel)) has a non-positive size") }
        guard strides.allSatisfy({ $0 >= 1 }) else { throw node.kernelError("strides \(shapeText(strides)) must be positive") }
        guard dilations.allSatisfy({ $0 >= 1 }) else { throw node.kernelError("dilations \(shapeText(dilations)) must be positive") }
        guard pads.allSatisfy({ $0 >= 0 }) else { throw node.kernelError("pads \(shapeText(pads)) must not be negative") }
    }

    /// Convolution geometry (onnxruntime's rules: SAME pads the dilated kernel
    /// so that output = ceil(input / stride), the odd pixel at the end for
    /// SAME_UPPER and at the start for SAME_LOWER).
    func convGeometry(input: [Int], node: Node) throws -> SpatialGeometry {
        let rank = kernel.count
        var g = SpatialGeometry(input: input, kernel: kernel, strides: strides, dilations: dilations,
                                padBegin: Array(pads[0..<rank]), padEnd: Array(pads[rank...]),
                                output: [Int](repeating: 0, count: rank), rank: rank)
        for axis in 0..<rank {
            let extent = g.extent(axis)
            switch autoPad {
            case .notSet:
                break
            case .valid:
                g.padBegin[axis] = 0
                g.padEnd[axis] = 0
            case .sameUpper, .sameLower:
                let target = ceilDiv(input[axis], strides[axis])
                let needed = max(0, (target - 1) * strides[axis] + extent - input[axis])
                let head = autoPad == .sameLower ? (needed + 1) / 2 : needed / 2
                g.padBegin[axis] = head
                g.padEnd[axis] = needed - head
            }
            let span = input[axis] + g.padBegin[axis] + g.padEnd[axis] - extent
            g.output[axis] = span < 0 ? 0 : span / strides[axis] + 1
        }
        try g.requirePositiveOutput(node: node)
        return g
    }

    /// Pooling geometry (onnxruntime's rules: SAME pads the undilated kernel;
    /// ceil_mode rounds the window count up but drops a last window that
    /// would start in the end padding).
    func poolGeometry(input: [Int], ceilMode: Bool, node: Node) throws -> SpatialGeometry {
        let rank = kernel.count
        var g = SpatialGeometry(input: input, kernel: kernel, strides: strides, dilations: dilations,
                                padBegin: Array(pads[0..<rank]), padEnd: Array(pads[rank...]),
                                output: [Int](repeating: 0, count: rank), rank: rank)
        for axis in 0..<rank {
            switch autoPad {
            case .notSet:
                break
            case .valid:
                g.padBegin[axis] = 0
                g.padEnd[axis] = 0
            case .sameUpper, .sameLower:
                let target = ceilDiv(input[axis], strides[axis])
                let needed = max(0, (target - 1) * strides[axis] + kernel[axis] - input[axis])
                let head = autoPad == .sameLower ? (needed + 1) / 2 : needed / 2
                g.padBegin[axis] = head
                g.padEnd[axis] = needed - head
            }
            let span = input[axis] + g.padBegin[axis] + g.padEnd[axis] - g.extent(axis)
            if span < 0 {
                g.output[axis] = 0
            } else if ceilMode {
                var count = ceilDiv(span, strides[axis]) + 1
                if (count - 1) * strides[axis] >= input[axis] + g.padBegin[axis] { count -= 1 }
                g.output[axis] = count
            } else {
                g.output[axis] = span / strides[axis] + 1
            }
        }
        try g.requirePositiveOutput(node: node)
        return g
    }
}

extension SpatialGeometry {
    func requirePositiveOutput(node: Node) throws {
        guard output.allSatisfy({ $0 >= 1 }) else {
            throw node.kernelError("window \(shapeText(kernel)) (dilations \(shapeText(dilations))) does not fit the "
                                   + "padded input \(shapeText(input)); output would be \(shapeText(output))")
        }
    }

    /// For kernel tap `k` on `axis`, the output positions whose input
    /// coordinate `o * stride - padBegin + k * dilation` lies inside the
    /// input: a half-open range, so loops need no bounds tests.
    @inline(__always)
    func validOutputRange(axis: Int, tap k: Int) -> Range<Int> {
        let offset = k * dilations[axis] - padBegin[axis]
        let lo = max(0, ceilDiv(-offset, strides[axis]))
        let hi = min(output[axis], ceilDiv(input[axis] - offset, strides[axis]))
        return lo..<max(lo, hi)
    }
}
