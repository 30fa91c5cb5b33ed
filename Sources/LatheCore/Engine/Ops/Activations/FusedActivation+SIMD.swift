import CLatheKernels
import Foundation

/// An epilogue of eight values held in a register, as a type: a kernel loop
/// written against it (`LaneEpilogueKernel`) is compiled once per activation
/// with the activation inlined, so the loop neither switches on the kind nor
/// calls out per block. A call inside a SIMD loop costs more than the
/// activation: every vector register is caller-saved, so the weights a
/// depthwise kernel holds in registers were spilled and reloaded around each
/// call (8% of the bundled MobileNet's time).
///
/// Lane for lane the same operations as the scalar `Kind.apply(_:)`
/// (comparisons false for NaN keep NaN, as the scalar `max`/`min` do), so
/// both paths give identical results.
protocol LaneEpilogue {
    func callAsFunction(_ v: SIMD8<Float>) -> SIMD8<Float>
}

/// A loop to run with the epilogue's type (`FusedActivation.dispatch`).
protocol LaneEpilogueKernel {
    func run<Epilogue: LaneEpilogue>(_ epilogue: Epilogue)
}

extension FusedActivation {
    /// Runs `kernel` with this epilogue's lane type: the switch on the kind happens here, once, outside the
    /// kernel's loops.
    @inline(__always)
    func dispatch<Kernel: LaneEpilogueKernel>(_ kernel: Kernel) {
        switch kind {
        case .identity: dispatch(kernel, Lanes.Identity())
        case .relu: dispatch(kernel, Lanes.Relu())
        case .leakyRelu(let alpha): dispatch(kernel, Lanes.LeakyRelu(alpha: alpha))
        case .clip(let lo, let hi): dispatch(kernel, Lanes.Clip(lo: lo, hi: hi))
        case .sigmoid: dispatch(kernel, Lanes.Sigmoid())
        case .hardSigmoid(let alpha, let beta): dispatch(kernel, Lanes.HardSigmoid(alpha: alpha, beta: beta))
        case .hardSwish: dispatch(kernel, Lanes.HardSwish())
        case .tanh: dispatch(kernel, Lanes.Tanh())
        case .silu: dispatch(kernel, Lanes.SiLU())
        }
    }

    @inline(__always)
    private func dispatch<Kernel: LaneEpilogueKernel, Activation: LaneEpilogue>(_ kernel: Kernel,
                                                                                _ activation: Activation) {
        if hasAffine {
            kernel.run(Lanes.Affine(pre: pre, activation: activation, post: post))
        } else {
            kernel.run(activation)
        }
    }

    /// The epilogue of eight values, for one-off uses; loops take the lane type through `dispatch`.
    func apply(_ v: SIMD8<Float>) -> SIMD8<Float> {
        var value = v
        withUnsafeMutablePointer(to: &value) { dispatch(InPlace(value: $0)) }
        return value
    }

    /// `dst = epilogue(src + bias)` over `count` values: moving a GEMM product
    /// into place and finishing it in one pass over memory instead of a copy
    /// and then `addBiasAndApply` (`src` may be `dst`). The tail goes through
    /// the same lane function.
    func storeAddingBias(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int,
                         bias: Float) {
        // SiLU, a YOLO-style detector's every epilogue, costs ~11% of its time here: on AVX-512 the C
        // loop does sixteen lanes at a time (same operations, same bits) and this loop the rest.
        let done = kind == .silu && !hasAffine && count > 0 ? lathe_silu_store16(src, dst, count, bias) : 0
        dispatch(BiasStore(src: src + done, dst: dst + done, count: count - done, bias: bias))
    }
}

/// `FusedActivation.apply(_:)`'s one block.
private struct InPlace: LaneEpilogueKernel {
    let value: UnsafeMutablePointer<SIMD8<Float>>

    func run<Epilogue: LaneEpilogue>(_ epilogue: Epilogue) { value.pointee = epilogue(value.pointee) }
}

/// The loop of `storeAddingBias`.
private struct BiasStore: LaneEpilogueKernel {
    let src: UnsafePointer<Float>
    let dst: UnsafeMutablePointer<Float>
    let count: Int
    let bias: Float

    /// Never inlined, so each activation's loop is its own small function whose SIMD loads stay inlined
    /// (see `PaddedDepthwisePlanes.run`).
    @inline(never)
    func run<Epilogue: LaneEpilogue>(_ f: Epilogue) {
        let b = SIMD8<Float>(repeating: bias)
        var i = 0
        while count &- i >= 8 {
            let v = UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<Float>.self) + b
            UnsafeMutableRawPointer(dst + i).storeBytes(of: f(v), as: SIMD8<Float>.self)
            i &+= 8
        }
        guard i < count else { return }
        var tail = SIMD8<Float>(repeating: 0)
        for lane in 0..<(count &- i) { tail[lane] = src[i &+ lane] }
        let done = f(tail + b)
        for lane in 0..<(count &- i) { dst[i &+ lane] = done[lane] }
    }
}

/// The lane form of each `FusedActivation.Kind`.
enum Lanes {
    struct Identity: LaneEpilogue {
        @inline(__always) func callAsFunction(_ v: SIMD8<Float>) -> SIMD8<Float> { v }
    }

    struct Relu: LaneEpilogue {
        @inline(__always) func callAsFunction(_ v: SIMD8<Float>) -> SIMD8<Float> { v.replacing(with: 0, where: v .<= 0) }
    }

    struct LeakyRelu: LaneEpilogue {
        let alpha: Float
        @inline(__always) func callAsFunction(_ v: SIMD8<Float>) -> SIMD8<Float> {
            v.replacing(with: alpha * v, where: v .< 0)
        }
    }

    struct Clip: LaneEpilogue {
        let lo, hi: Float
        @inline(__always) func callAsFunction(_ v: SIMD8<Float>) -> SIMD8<Float> { Lanes.clamp(v, lo, hi) }
    }

    struct Sigmoid: LaneEpilogue {
        @inline(__always) func callAsFunction(_ v: SIMD8<Float>) -> SIMD8<Float> { 1 / (1 + FastExp.exp(-v)) }
    }

    struct HardSigmoid: LaneEpilogue {
        let alpha, beta: Float
        @inline(__always) func callAsFunction(_ v: SIMD8<Float>) -> SIMD8<Float> { Lanes.clamp(alpha * v + beta, 0, 1) }
    }

    struct HardSwish: LaneEpilogue {
        @inline(__always) func callAsFunction(_ v: SIMD8<Float>) -> SIMD8<Float> {
            v * Lanes.clamp(v * (1 as Float / 6) + 0.5, 0, 1)
        }
    }

    struct Tanh: LaneEpilogue {
        func callAsFunction(_ v: SIMD8<Float>) -> SIMD8<Float> {
            var result = v
            for lane in 0..<8 { result[lane] = Foundation.tanh(v[lane]) }
            return result
        }
    }

    struct SiLU: LaneEpilogue {
        @inline(__always) func callAsFunction(_ v: SIMD8<Float>) -> SIMD8<Float> { v * (1 / (1 + FastExp.exp(-v))) }
    }

    /// `post(activation(pre(v)))`: the learnable affine blocks around an activation.
    struct Affine<Activation: LaneEpilogue>: LaneEpilogue {
        let pre: FusedActivation.Affine
        let activation: Activation
        let post: FusedActivation.Affine
        @inline(__always) func callAsFunction(_ v: SIMD8<Float>) -> SIMD8<Float> {
            post.apply(activation(pre.apply(v)))
        }
    }

    /// `min(max(v, lo), hi)` per lane exactly as the scalar functions pick
    /// (`max(x, y)` is `y >= x ? y : x`, so -0 against a 0 bound gives +0 and NaN stays NaN).
    @inline(__always)
    static func clamp(_ v: SIMD8<Float>, _ lo: Float, _ hi: Float) -> SIMD8<Float> {
        let raised = v.replacing(with: lo, where: v .<= lo)
        return raised.replacing(with: hi, where: raised .> hi)
    }
}
