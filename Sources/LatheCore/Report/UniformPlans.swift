/// The reference plans the accuracy-against-size chart places every other plan
/// among: the whole model at one format. Their configuration texts are what
/// "How to reproduce" writes to files, so the commands give the same numbers.
public enum UniformPlans {
    public struct Entry: Sendable {
        public var label: String
        /// A file name for the configuration in the reproduce commands.
        public var file: String
        public var config: String
    }

    public static let all: [Entry] = [
        Entry(label: "fp32", file: "fp32.yaml", config: "version: 1\n"),
        Entry(label: "fp16", file: "fp16.yaml", config: "version: 1\ndefaults:\n  bits: fp16\n"),
        Entry(label: "int8", file: "int8.yaml", config: "version: 1\ndefaults:\n  bits: 8\n"),
        Entry(label: "int4", file: "int4.yaml", config: "version: 1\ndefaults:\n  bits: 4\n"),
    ]

    /// The entry's plan for `layers` (an error when a layer cannot take it).
    public static func plan(_ entry: Entry, layers: [WeightLayer]) throws -> CompressionPlan {
        try ConfigReader.parse(entry.config, path: entry.file).plan(for: layers)
    }
}
