import CLatheKernels

/// 3×3 stride-1 convolutions by Winograd's F(2×2, 3×3) (`lathe_winograd_rows`): each 2×2 block of
/// outputs from its 4×4 input patch, transformed so that the sum over input channels takes 16
/// multiply-adds a block where the direct form takes 36. The transforms are additions, and the 16
/// GEMMs run on the packed micro-kernel. On one core of the reference machine that made a
/// 96 → 96-channel layer on 52×52 1.8× as fast, 384 → 384 on 26×26 1.6× and 32 → 32 on 104×104
/// 1.25×; at 12 → 24 channels the transforms cost more than they save, hence `minimumChannels`.
/// These layers hold most of the arithmetic of detectors' necks and heads (62% of a YOLO-style
/// text detector's).
///
/// The values differ from the direct form's by rounding only (about 1e-6 of the output's range,
/// where onnxruntime's differ from it by as much), and, as there, a value does not depend on how
/// tile rows, images or threads are split: the tiles are fixed by the output grid.
enum WinogradConv2D {
    /// Fewest input and output channels a group must have.
    static let minimumChannels = 16

    /// Tiles one pass of the transforms and GEMMs covers: each pass streams all 16 transformed weight
    /// matrices once, so larger passes amortise them, up to `maximumBufferFloats` a buffer.
    static let targetTiles = 320
    static let maximumBufferFloats = 1 << 20

    static func applies(_ p: ConvProblem, _ g: SpatialGeometry, _ plan: ConvKernel.GemmPlan) -> Bool {
        !p.exactSums && lathe_winograd_kernels() != 0 && g.kernel == [1, 3, 3] && g.strides == [1, 1, 1]
            && g.dilations == [1, 1, 1] && g.output[1] >= 2 && g.output[2] >= 2
            && plan.cg >= minimumChannels && plan.mg >= minimumChannels
    }

    /// Tile rows per pass for a layer of `m` output and `c` input channels, `tilesPerRow` tiles wide.
    static func tileRowsPerPass(m: Int, c: Int, tilesPerRow: Int) -> Int {
        let tiles = min(targetTiles, maximumBufferFloats / (16 * max(m, c, 1)))
        return max(1, tiles / max(1, tilesPerRow))
    }

    /// The convolution with weights packed by `lathe_winograd_pack` (`PackedWeightCache.Form.winograd`).
    static func compute(_ p: ConvProblem, _ g: SpatialGeometry, _ plan: ConvKernel.GemmPlan,
                        x: UnsafePointer<Float>, packed: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                        activation: FusedActivation, y: UnsafeMutablePointer<Float>) {
        let m = Int32(plan.mg), c = Int32(plan.cg)
        let perGroup = lathe_winograd_packed_count(m, c)
        let window = PackedConv2D.window(g, plan)
        let preparedCount = withUnsafePointer(to: window) { lathe_winograd_prepared_count($0) }
        let prepared = UnsafeMutablePointer<Float>.allocate(capacity: preparedCount)
        defer { prepared.deallocate() }
        let (outH, outW) = (g.output[1], g.output[2])
        let tileRows = (outH + 1) / 2, tilesPerRow = (outW + 1) / 2
        let chunk = tileRowsPerPass(m: plan.mg, c: plan.cg, tilesPerRow: tilesPerRow)
        for n in 0..<p.batch {
            for group in 0..<p.group {
                let image = x + (n * p.inChannels + group * plan.cg) * g.inputCount
                OpParallelism.forEachPart(of: plan.cg, work: preparedCount) { channels in
                    withUnsafePointer(to: window) {
                        lathe_winograd_prepare($0, image, Int32(channels.lowerBound), Int32(channels.count), prepared)
                    }
                }
                let firstChannel = group * plan.mg
                let out = y + (n * p.outChannels + firstChannel) * plan.spatial
                let weights = packed + group * perGroup
                OpParallelism.forEachPart(of: tileRows, work: plan.mg * plan.reduction * plan.spatial) { part in
                    let tiles = Int32(min(chunk, part.count) * tilesPerRow)
                    let bufferCount = lathe_winograd_buffer_count(m, c, tiles)
                    let transformed = UnsafeMutablePointer<Float>.allocate(capacity: bufferCount)
                    let products = UnsafeMutablePointer<Float>.allocate(capacity: bufferCount)
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: lathe_packed_gemm_scratch_count(c))
                    defer {
                        transformed.deallocate()
                        products.deallocate()
                        scratch.deallocate()
                    }
                    for row in stride(from: part.lowerBound, to: part.upperBound, by: chunk) {
                        let rows = min(chunk, part.upperBound - row)
                        withUnsafePointer(to: window) {
                            lathe_winograd_rows(weights, m, $0, prepared, Int32(row), Int32(rows), out, plan.spatial,
                                                transformed, products, scratch)
                        }
                        let first = 2 * row * outW, end = min(2 * (row + rows), outH) * outW
                        PackedConv2D.finish(out, plan, bias: bias.map { $0 + firstChannel }, activation: activation,
                                            start: first, length: end - first)
                    }
                }
            }
        }
    }
}
