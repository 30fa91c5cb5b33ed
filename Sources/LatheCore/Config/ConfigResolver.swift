/// Resolves a configuration against a model's layers, reporting problems at
/// the file line of the entry or key responsible.
struct ConfigResolver {
    let config: CompressionConfig

    private var path: String { config.source?.path ?? "configuration" }

    private func fail(line: Int?, _ key: String, _ problem: String) -> LatheError {
        LatheError.badInput(file: line.map { "\(path):\($0)" } ?? path, "\(key): \(problem)")
    }

    private func ruleLine(_ index: Int) -> Int? {
        guard let lines = config.source?.ruleLines, index < lines.count else { return nil }
        return lines[index].line
    }

    /// Line of `key` in the rule (or the defaults) a layer took its settings from.
    private func keyLine(ruleIndex: Int?, key: String) -> Int? {
        guard let source = config.source else { return nil }
        guard let ruleIndex else { return source.defaultsKeyLines[key] ?? source.defaultsLine }
        guard ruleIndex < source.ruleLines.count else { return nil }
        return source.ruleLines[ruleIndex].keys[key] ?? source.ruleLines[ruleIndex].line
    }

    func plan(for layers: [WeightLayer]) throws -> CompressionPlan {
        let names = layers.map(\.name)
        let known = Set(names)
        for (index, rule) in config.layers.enumerated() where !known.contains(rule.pattern.text) {
            if rule.pattern.isGlob {
                if !names.contains(where: rule.pattern.matches) {
                    throw fail(line: ruleLine(index), rule.pattern.text, "this glob matches no layer of the model")
                }
            } else {
                let hint = Suggestions.nearest(to: rule.pattern.text, in: names).map { " (did you mean '\($0)'?)" } ?? ""
                throw fail(line: ruleLine(index), rule.pattern.text, "no layer of that name in the model\(hint)")
            }
        }
        let plan = CompressionPlan.resolve(layers: layers, defaults: config.defaults, rules: config.layers)

        for layer in layers {
            if let problem = plan.settings(for: layer.name).problem(for: layer) {
                let index = governingRule(for: layer.name)
                throw fail(line: keyLine(ruleIndex: index, key: problem.key), problem.key,
                           problem.message + (index == nil ? " (from defaults)" : ""))
            }
        }
        for (group, members) in plan.shareGroups.sorted(by: { $0.key < $1.key }) {
            let counts = Set(members.compactMap { plan.settings(for: $0).clusters })
            if counts.count > 1, let last = members.last {
                throw fail(line: keyLine(ruleIndex: governingRule(for: last), key: "clusters"), "clusters",
                           "layers of share_group '\(group)' must use the same clusters; found "
                           + counts.sorted().map(String.init).joined(separator: " and "))
            }
        }
        return plan
    }

    /// Index of the rule whose settings a layer gets (exact name, else the last matching glob), nil for defaults.
    private func governingRule(for name: String) -> Int? {
        if let exact = config.layers.lastIndex(where: { $0.pattern.text == name }) { return exact }
        return config.layers.lastIndex(where: { $0.pattern.isGlob && $0.pattern.matches(name) })
    }
}
