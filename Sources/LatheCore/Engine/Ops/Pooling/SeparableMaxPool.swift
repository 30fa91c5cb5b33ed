extension PoolLoop {
    /// Whether `reduceMaxSeparably` serves this call: a 2-D window of at least 3x3 taps (YOLO's
    /// SPPF chains 5x5 ones), where two passes of k taps beat one of k².
    var isSeparableMax: Bool {
        guard inD == 1, outD == 1, kernelW > 1 else { return false }
        let height = (outD..<(outD + outH)).map { tapHi[$0] - tapLo[$0] }.max() ?? 0
        return height > 1 && height * kernelW >= 9
    }

    /// MaxPool as a maximum over each input row's horizontal taps, then over the window's rows of
    /// those. The same value and the same bits as `reduce(MaxReduction.self, …)`: both keep the
    /// first maximum in row-major order (a later equal value, +0 after -0, does not replace it),
    /// skip NaN and start from -greatestFiniteMagnitude, and a row's first maximum is the first
    /// of the window once the first row holding the window's maximum is found.
    func reduceMaxSeparably(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let rowMaxima = UnsafeMutablePointer<Float>.allocate(capacity: inH * outW)
        defer { rowMaxima.deallocate() }
        let loH = tapLo[outD..<(outD + outH)], hiH = tapHi[outD..<(outD + outH)]
        let loW = tapLo[(outD + outH)...], hiW = tapHi[(outD + outH)...]
        // Columns whose horizontal windows lie whole inside the row go eight at a time.
        let (fullLo, vectorEnd) = vectorColumns

        for plane in 0..<planes {
            let src = x + plane * inputCount
            for h in 0..<inH {
                let row = src + h * inW, out = rowMaxima + h * outW
                @inline(__always) func scalar(_ ow: Int) {
                    let w0 = ow * strideW - padW
                    var acc = MaxReduction.initial
                    for kw in loW[loW.startIndex + ow]..<hiW[hiW.startIndex + ow] {
                        acc = MaxReduction.combine(acc, row[w0 + kw * dilationW])
                    }
                    out[ow] = acc
                }
                for ow in 0..<fullLo { scalar(ow) }
                var ow = fullLo
                if vectorEnd - fullLo >= 8 {
                    while ow < vectorEnd {
                        let start = min(ow, vectorEnd - 8)  // the last block shifts back, recomputing a few
                        let first = row + start * strideW - padW
                        var acc = SIMD8<Float>(repeating: MaxReduction.initial)
                        for kw in 0..<kernelW {
                            acc = MaxReduction.combine(acc, PaddedPlane.load8(first + kw * dilationW, stride: strideW))
                        }
                        UnsafeMutableRawPointer(out + start).storeBytes(of: acc, as: SIMD8<Float>.self)
                        ow = start + 8
                    }
                }
                while ow < outW {
                    scalar(ow)
                    ow += 1
                }
            }
            for oh in 0..<outH {
                let khLo = loH[loH.startIndex + oh], khHi = hiH[hiH.startIndex + oh]
                let h0 = oh * strideH - padH
                let dst = y + (plane * outH + oh) * outW
                var ow = 0
                while ow + 8 <= outW {
                    var acc = SIMD8<Float>(repeating: MaxReduction.initial)
                    for kh in khLo..<khHi {
                        let source = rowMaxima + (h0 + kh * dilationH) * outW + ow
                        acc = MaxReduction.combine(acc, UnsafeRawPointer(source).loadUnaligned(as: SIMD8<Float>.self))
                    }
                    UnsafeMutableRawPointer(dst + ow).storeBytes(of: acc, as: SIMD8<Float>.self)
                    ow += 8
                }
                while ow < outW {
                    var acc = MaxReduction.initial
                    for kh in khLo..<khHi { acc = MaxReduction.combine(acc, rowMaxima[(h0 + kh * dilationH) * outW + ow]) }
                    dst[ow] = acc
                    ow += 1
                }
            }
        }
    }
}
