/// Bytes a deployed model file would need (DESIGN.md, "Size model").
public enum SizeModel {
    /// The uncompressed deployment: every tensor at its stored dtype.
    public static func baselineBytes(of tensors: [String: Tensor]) -> Int {
        tensors.values.reduce(0) { $0 + $1.storedBytes }
    }
}
