#!/usr/bin/env bash
# Mutation fuzzing of Lathe's file readers (Sources/LatheFuzz; `lathe-fuzz --list` names the targets).
#
#   scripts/fuzz.sh FUZZ_BIN [SECONDS] [TARGET ...]
#
# Runs each target for SECONDS (default 60) in its own process, seeded from the date so that
# successive runs explore differently (the seed is printed: `lathe-fuzz --seed N TARGET` replays
# it). Findings (errors other than LatheError.badInput, inputs over 2 s) are written to
# .fuzz/findings/TARGET/ by lathe-fuzz itself; a crash or a hang ends the process, and this
# script then keeps the input it was reading as .fuzz/findings/TARGET/crash-… (or hang-…).
# Fixed findings belong in Tests/LatheCoreTests/Fixtures/fuzz/regressions/TARGET/.
# Exits 1 if any target found anything.
set -u
if [ $# -lt 1 ] || [ ! -x "$1" ]; then
    echo "usage: $0 FUZZ_BIN [SECONDS] [TARGET ...]" >&2
    exit 2
fi
BIN=$1
SECONDS_EACH=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && mapfile -t TARGETS < <("$BIN" --list)
# Every input is written to a file before it is read: in memory (/dev/shm) when there is one, which
# here ran 7x faster than /tmp.
SCRATCH=${TMPDIR:-/tmp}
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && SCRATCH=/dev/shm
WORK=$(mktemp -d "$SCRATCH/lathe-fuzz.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
FINDINGS=$ROOT/.fuzz/findings
SEED=${FUZZ_SEED:-$(date +%s)}
status=0
for target in "${TARGETS[@]}"; do
    timeout --kill-after=10 $((SECONDS_EACH + 120)) \
        "$BIN" --seconds "$SECONDS_EACH" --seed "$SEED" --root "$ROOT" --work "$WORK" --findings "$FINDINGS" "$target"
    code=$?
    if [ $code -eq 1 ]; then
        status=1
    elif [ $code -ne 0 ]; then
        kind=crash
        [ $code -eq 124 ] || [ $code -eq 137 ] && kind=hang
        mkdir -p "$FINDINGS/$target"
        # The input is rewritten before every read: the newest file there (the rest are companions).
        input=$(ls -t "$WORK/$target" 2>/dev/null | head -1)
        if [ -n "$input" ]; then
            kept="$FINDINGS/$target/$kind-$(sha1sum "$WORK/$target/$input" | cut -c1-16)"
            cp "$WORK/$target/$input" "$kept"
            echo "$target: $kind (exit status $code) reading $input, kept as $kept"
        fi
        status=1
    fi
done
exit $status
