/// Everything that decides how one layer transforms the values flowing through
/// it under a plan: its settings in canonical form (fields without effect
/// reset, so toggling a format away and back keeps caches valid) and, for a
/// layer in a share group, the settings of every member, whose pooled weights
/// fit the codebook it uses.
struct LayerState: Hashable, Sendable {
    var settings: LayerSettings
    /// Canonical settings of the share group's members in plan order (empty outside a group).
    var group: [LayerSettings]

    /// The same state with float activations: what the layer's weights alone depend on.
    var withoutActivationBits: LayerState {
        var copy = self
        copy.settings.activationBits = nil
        return copy
    }

    /// Per layer of `layers`, the state `plan` gives it.
    static func states(of plan: CompressionPlan, layers: [WeightLayer]) -> [LayerState] {
        var groups: [String: [LayerSettings]] = [:]
        for (group, members) in plan.shareGroups {
            groups[group] = members.map { plan.settings(for: $0).canonical }
        }
        return layers.map { layer in
            let settings = plan.settings(for: layer.name).canonical
            let group = settings.isShared ? settings.shareGroup.flatMap { groups[$0] } ?? [] : []
            return LayerState(settings: settings, group: group)
        }
    }
}

/// Small integer ids for layer states, so a cache key names the states of many
/// upstream layers with a short array of ids and compares exactly (no hash
/// collisions). The table only grows with distinct per-layer settings, which
/// stay few however many plans are tried. Thread-safe.
final class LayerStateTable: Sendable {
    private let ids = LockedBox<[LayerState: Int32]>([:])

    func id(of state: LayerState) -> Int32 {
        ids.withLock { table in
            if let existing = table[state] { return existing }
            let new = Int32(table.count)
            table[state] = new
            return new
        }
    }

    var count: Int { ids.withLock { $0.count } }
}
