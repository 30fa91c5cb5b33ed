/// Lathe's version: what `lathe --version` prints and what files Lathe writes record
/// (`lathe.version` in a quantized safetensors file).
public enum LatheVersion {
    public static let string = "0.1.0"
}
