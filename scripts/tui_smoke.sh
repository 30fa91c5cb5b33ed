#!/usr/bin/env bash
# Real-terminal smoke test of the curses layer: runs `lathe --ui-selftest` in tmux and
# checks drawing, key decoding, mailbox wake-ups, resize, theme switching, clean quit,
# Ctrl-C/SIGTERM exit codes with the terminal restored, and the TERM=dumb error.
# Usage: scripts/tui_smoke.sh [path/to/lathe]   (default: the release build)
set -euo pipefail
LATHE=${1:-$(swift build -c release -Xswiftc -enable-testing --show-bin-path)/lathe}
command -v tmux >/dev/null || { echo "tui_smoke: tmux is not installed"; exit 1; }
[ -x "$LATHE" ] || { echo "tui_smoke: no binary at $LATHE"; exit 1; }
SESSION=lathe-tui-smoke-$$
WORK=$(mktemp -d)
trap 'tmux kill-session -t "$SESSION" 2>/dev/null || true; rm -rf "$WORK"' EXIT
passed=0 failed=0

check() {  # check NAME COMMAND...
    if "${@:2}"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; screen | sed 's/^/    | /'; fi
}
screen() { tmux capture-pane -p -t "$SESSION"; }
has() { screen | grep -qF -- "$1"; }
wait_for() {  # wait_for TEXT [seconds]
    local deadline=$((SECONDS + ${2:-5}))
    while ((SECONDS < deadline)); do has "$1" && return 0; sleep 0.1; done
    return 1
}
start() {  # start [ENV=VALUE...]: runs the self-test, then reports its exit status and tty modes
    tmux kill-session -t "$SESSION" 2>/dev/null || true
    cat >"$WORK/run.sh" <<RUN
#!/usr/bin/env bash
env TERM=xterm-256color LANG=C.UTF-8 $* bash -c 'echo \$\$ > "$WORK/pid"; exec "$LATHE" --ui-selftest'
echo "EXIT=\$?"
stty -a | tr ' ' '\n' | grep -E '^-?(icanon|echo)\$' | tr '\n' ' '; echo MODES
sleep 30
RUN
    chmod +x "$WORK/run.sh"
    tmux new-session -d -s "$SESSION" -x 80 -y 24 "$WORK/run.sh"
}
key() { tmux send-keys -t "$SESSION" "$@"; }

start
check "first screen" wait_for "Lathe UI self-test"
check "wide characters" has "漢字 表示 ok"
check "mailbox: background job finishes" wait_for "jobs finished: 1"
key C-r;   check "Ctrl-R" wait_for "last input: key Ctrl-R"
key M-x;   check "Alt-x" wait_for "last input: key Alt-x"
key BTab;  check "Shift-Tab" wait_for "last input: key Shift-Tab"
key PPage; check "PgUp" wait_for "last input: key PgUp"
key F5;    check "F5" wait_for "last input: key F5"
key Escape; check "Esc alone" wait_for "last input: key Esc"
key -l "é"; check "Unicode key" wait_for "last input: key é"
key -l $'\e[<0;5;10M'; check "mouse click" wait_for "mouse press left at 4,9"
key -l $'\e[<65;5;10M'; check "mouse wheel" wait_for "mouse wheel down at 4,9"
key t; check "theme switch" wait_for "theme light"
tmux resize-window -t "$SESSION" -x 30 -y 8
check "tiny terminal" wait_for "terminal too small (30×8)"
tmux resize-window -t "$SESSION" -x 100 -y 30
check "resize back" wait_for "100×30"
key q; check "quit with q" wait_for "EXIT=0"
check "tty restored after quit" wait_for "icanon echo MODES"

start
wait_for "Lathe UI self-test" >/dev/null
key C-c; check "Ctrl-C exits 130" wait_for "EXIT=130"
check "tty restored after Ctrl-C" wait_for "icanon echo MODES"

start
wait_for "Lathe UI self-test" >/dev/null
kill -TERM "$(cat "$WORK/pid")"; check "SIGTERM exits 143" wait_for "EXIT=143"

start SWIFT_BACKTRACE=enable=no
wait_for "Lathe UI self-test" >/dev/null
kill -SEGV "$(cat "$WORK/pid")"; check "crash restores the tty" wait_for "icanon echo MODES"

start LANG=C
check "ASCII glyphs in a non-UTF-8 locale" wait_for "blocks _.-=#"
key q

start TERM=dumb
check "TERM=dumb is refused with a hint" wait_for "lathe eval"
check "TERM=dumb exit status" wait_for "EXIT=2"

echo "tui_smoke: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
