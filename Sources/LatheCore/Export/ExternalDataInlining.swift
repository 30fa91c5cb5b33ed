/// Initializers an input file keeps in external data files are written into the export itself (its
/// relative paths would not hold next to another output path), from the values Lathe's reader loads.
enum ExternalDataInlining {
    static func apply(_ editor: inout ProtoGraphEditor, modelPath: String) throws {
        let external = editor.graph.initializer.indices.filter { editor.graph.initializer[$0].dataLocation == .external }
        guard !external.isEmpty else { return }
        let model = try ONNXReader.read(path: modelPath)
        for index in external {
            let name = editor.graph.initializer[index].name
            guard let tensor = model.graph.initializers[name] else {
                throw LatheError.internalFailure("external initializer '\(name)' was not loaded")
            }
            editor.graph.initializer[index] = try ProtoBuild.tensor(name, tensor)
        }
    }
}
