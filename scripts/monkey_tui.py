#!/usr/bin/env python3
"""Monkey test of the terminal explorer: the real binary in tmux, a seeded storm of keys.

    scripts/monkey_tui.py --lathe BIN [--seed N] [--keys 3000] [--resizes 6] [--runs 1]

Opens samples/mobilenet (model + data) in a tmux pane from an empty folder (exports land there;
the sensitivity cache goes to a private XDG_CACHE_HOME), sends `--keys` random keys drawn from
every key the explorer binds, the prompts' editing keys, Enter, Esc, unbound keys, Alt/Ctrl
combinations and SGR mouse reports, in bursts like a user hammering the keyboard (so Esc
often arrives glued to the next key), resizes the window `--resizes` times on the way, and then
quits the way a user does: Esc Esc Esc q y, sent in one burst. Checks, per run:
  * lathe exits within QUIT_BOUND seconds of the quit keys, with status 0;
  * the terminal was given back: the pane left the alternate screen and the shell's
    marker line printed after lathe is visible;
  * no crash report (a fatal error or a signal) appeared on stderr.
Prints one line per check and `N passed, M failed`; exit status 1 on any failure.
"""

import argparse
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

from crosscheck_engine import lathe_from_args

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "samples", "mobilenet", "model.onnx")
DATA = os.path.join(ROOT, "samples", "mobilenet", "data.npz")
QUIT_BOUND = 10.0
OPEN_BOUND = 120.0

# tmux key names. The explorer's bindings, weighted towards what moves and edits; then the
# prompts' keys; then keys bound to nothing. Characters go through as single-key names.
# q is left out: the storm must not quit by itself (q then y would); the quit comes after it.
BOUND = list("kjgGnNShlpcrm[] AusaHvLoet?/") + [
    "Up", "Down", "PageUp", "PageDown", "Home", "End", "Tab", "BTab", "Enter", "Escape", "Space", "C-r"]
EDITING = ["Left", "Right", "BSpace", "DC", "C-a", "C-e", "C-u", "C-w", "C-k", "y", "n", "Y", "N", "1", "%",
           "x", "4", "K", "B"]
OTHER = ["F1", "F5", "F12", "IC", "M-x", "M-Escape", "C-l", "C-x", "z", "Z", "#", "~", "\\;", "é", "中"]
MOUSE = ["\x1b[<0;{x};{y}M", "\x1b[<0;{x};{y}m", "\x1b[<64;{x};{y}M", "\x1b[<65;{x};{y}M"]
SIZES = [(100, 30), (30, 8), (200, 60), (80, 24), (12, 4), (132, 43), (60, 15), (1, 1)]


def tmux(*args, check=True):
    return subprocess.run(["tmux", *args], check=check, capture_output=True, text=True)


def pane(session):
    return tmux("capture-pane", "-p", "-t", session, check=False).stdout


def alternate_on(session):
    out = tmux("display-message", "-p", "-t", session, "#{alternate_on}", check=False).stdout.strip()
    return out == "1"


def wait_for(predicate, bound, step=0.1):
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


def random_key(rng, width, height):
    """One key (or mouse report) as (literal?, text)."""
    roll = rng.random()
    if roll < 0.60:
        return False, rng.choice(BOUND)
    if roll < 0.85:
        return False, rng.choice(EDITING)
    if roll < 0.95:
        return False, rng.choice(OTHER)
    template = rng.choice(MOUSE)
    return True, template.format(x=rng.randint(1, max(1, width)), y=rng.randint(1, max(1, height)))


def storm(session, rng, keys, resizes):
    """Sends `keys` keys in bursts of 1-40 with resizes spread over them; returns the last size."""
    resize_at = sorted(rng.sample(range(1, keys), min(resizes, keys - 1)))
    width, height = 100, 30
    sent = 0
    while sent < keys:
        burst = min(keys - sent, rng.randint(1, 40))
        names = []
        for _ in range(burst):
            literal, text = random_key(rng, width, height)
            if literal:
                if names:
                    tmux("send-keys", "-t", session, *names)
                    names = []
                tmux("send-keys", "-t", session, "-l", text)
            else:
                names.append(text)
        if names:
            tmux("send-keys", "-t", session, *names)
        sent += burst
        while resize_at and resize_at[0] <= sent:
            resize_at.pop(0)
            width, height = rng.choice(SIZES)
            tmux("resize-window", "-t", session, "-x", str(width), "-y", str(height), check=False)
        # Mostly a hammering pace; now and then a pause long enough for the engine to answer.
        time.sleep(rng.choice([0, 0, 0.005, 0.01, 0.02, 0.05, 0.3]))
    tmux("resize-window", "-t", session, "-x", "100", "-y", "30", check=False)


def run_once(lathe, seed, keys, resizes, results):
    work = tempfile.mkdtemp(prefix="lathe-monkey-")
    session = f"lathe-monkey-{os.getpid()}-{seed}"
    exit_file = os.path.join(work, "exit")
    err_file = os.path.join(work, "stderr")
    marker = "MONKEY-SHELL-BACK"
    command = (f"env LANG=C.UTF-8 LC_ALL=C.UTF-8 XDG_CACHE_HOME={shlex.quote(work)}/cache "
               f"{shlex.quote(lathe)} {shlex.quote(MODEL)} --data {shlex.quote(DATA)} 2>{shlex.quote(err_file)}; "
               f"echo $? > {shlex.quote(exit_file)}; echo {marker}; sleep 600")
    label = f"seed {seed}"
    first = len(results)
    try:
        tmux("new-session", "-d", "-s", session, "-x", "100", "-y", "30", "-c", work, command)
        tmux("set-option", "-t", session, "remain-on-exit", "on", check=False)
        if not wait_for(lambda: "top-1" in pane(session), OPEN_BOUND, 0.2):
            results.append((False, f"{label}: the explorer did not open within {OPEN_BOUND:.0f}s"))
            return
        rng = random.Random(seed)
        started = time.monotonic()
        storm(session, rng, keys, resizes)
        stormed = time.monotonic() - started
        if os.path.exists(exit_file):
            results.append((False, f"{label}: lathe exited during the storm: {open(exit_file).read().strip()}"))
            return
        quit_sent = time.monotonic()
        tmux("send-keys", "-t", session, "Escape", "Escape", "Escape", "q", "y")
        exited = wait_for(lambda: os.path.exists(exit_file) and open(exit_file).read().strip() != "", QUIT_BOUND)
        took = time.monotonic() - quit_sent
        if not exited:
            screen = "\n".join("     | " + line for line in pane(session).splitlines())
            results.append((False, f"{label}: still running {QUIT_BOUND:.0f}s after Esc Esc Esc q y "
                                   f"({keys} keys, {resizes} resizes); screen:\n{screen}"))
            return
        status = open(exit_file).read().strip()
        results.append((status == "0", f"{label}: {keys} keys and {resizes} resizes in {stormed:.1f}s, "
                                       f"then Esc Esc Esc q y: exit status {status} after {took:.2f}s"))
        restored = wait_for(lambda: not alternate_on(session) and marker in pane(session), 5)
        results.append((restored, f"{label}: the terminal was given back (main screen, shell output visible)"))
        errors = open(err_file, errors="replace").read() if os.path.exists(err_file) else ""
        crashed = any(word in errors for word in ("Fatal error", "fatal error", "Segmentation", "Illegal instruction",
                                                  "Trace/breakpoint", "Aborted", "error: internal"))
        results.append((not crashed, f"{label}: nothing alarming on stderr" + (f": {errors[:400]}" if crashed else "")))
    finally:
        tmux("kill-session", "-t", session, check=False)
        if all(ok for ok, _ in results[first:]):
            shutil.rmtree(work, ignore_errors=True)
        else:
            results.append((False, f"{label}: its folder (stderr, exports) is kept in {work}"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lathe", help="the built lathe executable")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--keys", type=int, default=3000)
    parser.add_argument("--resizes", type=int, default=6)
    parser.add_argument("--runs", type=int, default=2, help="runs with seeds seed, seed+1, …")
    args = parser.parse_args()
    lathe = str(lathe_from_args(parser, args))
    if shutil.which("tmux") is None:
        print("error: tmux is not installed (make deps installs it)", file=sys.stderr)
        sys.exit(2)
    results = []
    for run in range(args.runs):
        run_once(lathe, args.seed + run, args.keys, args.resizes, results)
    failed = 0
    for ok, text in results:
        print(("PASS " if ok else "FAIL ") + text)
        failed += not ok
    print(f"{len(results) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
