import Foundation
import LatheCore
import Testing
@testable import LatheUI

@Suite struct ThemeTests {
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func everyBundledThemeParsesAndHasAHeatScale() throws {
        #expect(Theme.bundledNames == ["default", "light", "high-contrast", "mono"])
        for name in Theme.bundledNames {
            let theme = try Theme.load(nameOrPath: name)
            #expect(theme.name == name)
            #expect(theme.heat.count >= 5)
        }
        let dark = try Theme.load(nameOrPath: "default")
        #expect(dark.bg == .rgb(0x1C, 0x1C, 0x1C))
        #expect(dark.color(for: .selectionBG) == dark.selectionBG)
        #expect(!dark.isMonochrome)
        #expect(try Theme.load(nameOrPath: "mono").isMonochrome)
        #expect(Theme.defaultTheme == dark)
    }

    static let themesFolder = repoRoot.appendingPathComponent("Sources/LatheUI/Resources/themes")

    @Test func everyThemeFileIsABundledTheme() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.themesFolder.path)
        #expect(Set(files.filter { $0.hasSuffix(".yaml") }) == Set(Theme.bundledNames.map { "\($0).yaml" }))
    }

    @Test func loadsAThemeFileByPath() throws {
        let path = Self.themesFolder.appendingPathComponent("light.yaml").path
        #expect(try Theme.load(nameOrPath: path) == Theme.load(nameOrPath: "light"))
    }

    static let valid = """
        fg: "#d0d0d0"
        bg: black
        dim: 244
        accent: "#5fafff"
        selection_fg: white
        selection_bg: "#303060"
        good: green
        warn: yellow
        bad: red
        border: gray
        header_fg: black
        header_bg: cyan
        heat: [blue, cyan, green, yellow, red]
        """

    @Test func customThemeAcceptsAllColourForms() throws {
        let theme = try Theme.parse(yaml: Self.valid, file: "my.yaml")
        #expect(theme.name == "my")
        #expect(theme.dim == .indexed(244))
        #expect(theme.bg == .indexed(0))
        #expect(theme.heat == [.indexed(4), .indexed(6), .indexed(2), .indexed(3), .indexed(1)])
    }

    private func error(_ yaml: String) -> String {
        do {
            _ = try Theme.parse(yaml: yaml, file: "t.yaml")
            return "no error"
        } catch let e as LatheError {
            #expect(e.kind == .badInput)
            return e.message
        } catch {
            return "unexpected \(error)"
        }
    }

    @Test func unknownKeysNameTheLineAndSuggest() {
        let yaml = Self.valid.replacingOccurrences(of: "accent:", with: "accnet:")
        #expect(error(yaml) == "t.yaml:4: unknown key 'accnet' (did you mean 'accent'?)")
        #expect(error(Self.valid + "\nsparkle: red").hasPrefix("t.yaml:14: unknown key 'sparkle'"))
    }

    @Test func badColoursNameTheLine() {
        let yaml = Self.valid.replacingOccurrences(of: "warn: yellow", with: "warn: mauve")
        #expect(error(yaml).hasPrefix("t.yaml:8: 'warn': bad colour 'mauve'"))
        let unquoted = Self.valid.replacingOccurrences(of: "fg: \"#d0d0d0\"", with: "fg: #d0d0d0")
        #expect(error(unquoted).hasPrefix("t.yaml:1: 'fg' has no colour"))
        let bigIndex = Self.valid.replacingOccurrences(of: "dim: 244", with: "dim: 300")
        #expect(error(bigIndex).hasPrefix("t.yaml:3: 'dim': bad colour '300'"))
        let badHeat = Self.valid.replacingOccurrences(of: "[blue, cyan, green, yellow, red]", with: "[blue, nope, green, yellow, red]")
        #expect(error(badHeat).hasPrefix("t.yaml:13: 'heat': bad colour 'nope'"))
    }

    @Test func structuralProblems() {
        let short = Self.valid.replacingOccurrences(of: "[blue, cyan, green, yellow, red]", with: "[blue, red]")
        #expect(error(short) == "t.yaml:13: 'heat' needs at least 5 colours, found 2")
        let missing = Self.valid.replacingOccurrences(of: "good: green\n", with: "")
        #expect(error(missing) == "t.yaml: missing key(s): good")
        #expect(error("- a\n- b").hasPrefix("t.yaml:1: a theme is a mapping"))
        #expect(error("fg: [unclosed").hasPrefix("t.yaml: not valid YAML"))
    }

    @Test func unknownBundledNameAndMissingFile() {
        do {
            _ = try Theme.load(nameOrPath: "solarized")
            Issue.record("expected an error")
        } catch let e as LatheError {
            #expect(e.message.contains("unknown theme 'solarized'") && e.message.contains("high-contrast"))
        } catch { Issue.record("\(error)") }
        do {
            _ = try Theme.load(nameOrPath: "/nonexistent/x.yaml")
            Issue.record("expected an error")
        } catch let e as LatheError {
            #expect(e.message == "/nonexistent/x.yaml: cannot read theme file")
        } catch { Issue.record("\(error)") }
    }

    @Test func heatScaleBlendsBetweenStops() throws {
        let theme = try Theme.parse(yaml: Self.valid.replacingOccurrences(
            of: "[blue, cyan, green, yellow, red]",
            with: "[\"#000000\", \"#404040\", \"#808080\", \"#c0c0c0\", \"#ffffff\"]"), file: "t.yaml")
        #expect(theme.heatColor(0) == .rgb(0, 0, 0))
        #expect(theme.heatColor(1) == .rgb(255, 255, 255))
        #expect(theme.heatColor(0.5) == .rgb(128, 128, 128))
        // 0.125 is halfway between stops 0 and 1: (0 + 64) / 2 = 32.
        #expect(theme.heatColor(0.125) == .rgb(32, 32, 32))
        #expect(theme.color(for: .heatLevel(7)) == .rgb(255, 255, 255))
    }
}
