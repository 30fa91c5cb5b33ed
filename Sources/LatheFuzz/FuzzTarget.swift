import Foundation
import LatheCore

/// One reader under fuzzing: a name, where its seed inputs are, and what to do with a file.
/// A target reads a *file*, as users give it one: mutated inputs are written to a path first,
/// so the reader runs exactly as `lathe` runs it (file checks, memory mapping, external data).
public struct FuzzTarget: Sendable {
    public var name: String
    /// Seed files, as paths relative to the repository root with `*` wildcards in any component.
    public var seeds: [String]
    /// The input's file name (its extension matters to readers that look at it).
    public var fileName: String
    /// Files copied beside the input once (relative to the root): a model's external data.
    public var companions: [String]
    /// Which length and count fields the structure-aware mutations may rewrite.
    public var fields: FieldKinds
    /// Reads the file at the path; returning or throwing `LatheError.badInput` are the only
    /// acceptable outcomes.
    public var read: @Sendable (String) throws -> Void

    public init(_ name: String, seeds: [String], fileName: String, companions: [String] = [], fields: FieldKinds,
                read: @escaping @Sendable (String) throws -> Void) {
        self.name = name
        self.seeds = seeds
        self.fileName = fileName
        self.companions = companions
        self.fields = fields
        self.read = read
    }
}

/// The encodings a target's inputs use, for structure-aware mutations.
public struct FieldKinds: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    /// Protobuf from the first byte: varints, length prefixes, fixed32/64.
    public static let protobuf = FieldKinds(rawValue: 1)
    /// `.npy` headers anywhere (also inside archives): the header length and the dict's numbers.
    public static let npy = FieldKinds(rawValue: 2)
    /// ZIP local headers, central directory entries and the end record.
    public static let zip = FieldKinds(rawValue: 4)
    /// Text: decimal numbers, and tokens of YAML/JSON structure to insert.
    public static let text = FieldKinds(rawValue: 8)
    /// Little-endian u64 length fields at known offsets, which a header-length-prefixed format
    /// (safetensors, GGUF) can list through `LittleEndianFields`.
    public static let littleEndian = FieldKinds(rawValue: 16)
}
