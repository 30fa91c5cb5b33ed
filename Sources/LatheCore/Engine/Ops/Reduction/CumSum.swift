/// CumSum: running sums along the axis given by input 1 (a one-element
/// int32/int64 tensor, possibly negative). `exclusive = 1` leaves each
/// element out of its own sum (the first is 0); `reverse = 1` sums from the
/// end of the axis. Floats accumulate in Float, as onnxruntime does, so
/// long axes round as it rounds; integers wrap to their type.
enum CumSum {
    static let cumSum: Kernel = { node, inputs in
        let x = try node.input(0, of: inputs, "x")
        let axisTensor = try node.singleElement(try node.input(1, of: inputs, "axis"), "axis")
        guard x.rank >= 1 else { throw node.kernelError("input x is a scalar; rank 1 or more is needed") }
        let axis = try node.normalizedAxis(try node.integerList(axisTensor, "axis")[0], rank: x.rank)
        let layout = Layout(length: x.shape[axis], inner: x.shape[(axis + 1)...].reduce(1, *),
                            outer: x.shape[..<axis].reduce(1, *),
                            exclusive: node.int("exclusive", default: 0) != 0,
                            reverse: node.int("reverse", default: 0) != 0)
        if x.isFloat {
            return [.floating(shape: x.shape, layout.scan(x.floats, zero: 0, add: +), dtype: x.dtype)]
        }
        return [.integer(shape: x.shape, layout.scan(x.ints, zero: 0, add: &+), dtype: x.dtype)]
    }

    struct Layout {
        var length: Int, inner: Int, outer: Int
        var exclusive: Bool, reverse: Bool

        func scan<T>(_ values: [T], zero: T, add: (T, T) -> T) -> [T] {
            var out = values
            for o in 0..<outer {
                for i in 0..<inner {
                    let base = o * length * inner + i
                    var running = zero
                    for step in 0..<length {
                        let offset = base + (reverse ? length - 1 - step : step) * inner
                        let value = values[offset]
                        if exclusive {
                            out[offset] = running
                            running = add(running, value)
                        } else {
                            running = add(running, value)
                            out[offset] = running
                        }
                    }
                }
            }
            return out
        }
    }
}
