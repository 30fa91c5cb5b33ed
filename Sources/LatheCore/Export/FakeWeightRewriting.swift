/// Fake export (and the float fallbacks of a QDQ export): a layer's weight value becomes a float
/// initializer under the name its node reads, holding the compressed (or BatchNorm-folded) values.
enum FakeWeightRewriting {
    /// Replaces the definition of `site.valueName` with float32 `values`; returns the initializer names
    /// that now hold the layer.
    static func place(_ values: [Float], site: LayerSite, editor: inout ProtoGraphEditor,
                      dtype: DType = .float32) throws -> [String] {
        editor.removeDefinition(of: site.valueName)
        editor.setInitializer(try ProtoBuild.floats(site.valueName, values, shape: site.layer.shape, dtype: dtype))
        return [site.valueName]
    }
}
