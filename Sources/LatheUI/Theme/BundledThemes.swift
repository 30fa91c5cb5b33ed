// The themes in themes/*.yaml, embedded so the binary finds them from any directory.
// BundledThemesTests fails when this file and themes/ disagree: copy the YAML text here
// verbatim (between the raw-string delimiters) after editing a theme.
enum BundledThemes {
    static let sources: [(name: String, yaml: String)] = [
        (name: "default", yaml: #"""
# Lathe default theme, for dark terminals.
# Colours: "#rrggbb" (in quotes: an unquoted # starts a YAML comment), a palette
# index 0-255, an ANSI name (black, red, ..., bright_white, gray) or default.
name: default
fg: "#d0d0d0"
bg: "#1c1c1c"
dim: "#808080"
accent: "#5fafff"
selection_fg: "#ffffff"
selection_bg: "#3a3a6e"
good: "#87d787"
warn: "#ffd75f"
bad: "#ff5f5f"
border: "#4e4e4e"
header_fg: "#1c1c1c"
header_bg: "#5fafff"
# cool to hot
heat: ["#4575b4", "#91bfdb", "#e0f3f8", "#fee090", "#fc8d59", "#d73027"]
"""#),
        (name: "light", yaml: #"""
# Lathe light theme, for light terminals.
name: light
fg: "#262626"
bg: "#fafafa"
dim: "#8a8a8a"
accent: "#005fd7"
selection_fg: "#000000"
selection_bg: "#bcd4f6"
good: "#008700"
warn: "#af5f00"
bad: "#d70000"
border: "#bcbcbc"
header_fg: "#ffffff"
header_bg: "#005fd7"
# cool to hot
heat: ["#313695", "#4575b4", "#74add1", "#fdae61", "#f46d43", "#a50026"]
"""#),
        (name: "high-contrast", yaml: #"""
# Lathe high-contrast theme: pure colours on black.
name: high-contrast
fg: "#ffffff"
bg: "#000000"
dim: "#c0c0c0"
accent: "#00ffff"
selection_fg: "#000000"
selection_bg: "#ffff00"
good: "#00ff00"
warn: "#ffff00"
bad: "#ff0000"
border: "#ffffff"
header_fg: "#000000"
header_bg: "#ffffff"
# cool to hot
heat: ["#0000ff", "#00ffff", "#00ff00", "#ffff00", "#ff0000"]
"""#),
        (name: "mono", yaml: #"""
# Lathe mono theme: the terminal's own colours only; selection and headers are
# shown in reverse video, emphasis in bold (as under NO_COLOR).
name: mono
fg: default
bg: default
dim: default
accent: default
selection_fg: default
selection_bg: default
good: default
warn: default
bad: default
border: default
header_fg: default
header_bg: default
heat: [default, default, default, default, default]
"""#),
    ]
}
