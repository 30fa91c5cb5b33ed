#!/usr/bin/env python3
"""Every file lathe writes, written where the write fails: a full disk (a small tmpfs, filled)
and a read-only folder (a read-only bind mount). Run as root (as `make test` is here and in CI);
without the privilege to mount, every check FAILS, loudly, rather than passing vacuously.

For `lathe search --out`, `lathe export --out` and `lathe eval --save-outputs`, over a file
already there: exit status 2, `error: FILE: …` naming the file and the cause, the previous file
byte for byte, and no temporary file left in the folder. For the sensitivity cache
(`lathe sensitivity` with XDG_CACHE_HOME on the failing folder, over an entry a first run wrote):
exit status 0 with the results, one `warning:` naming the cache entry, the entry as it was, and no
temporary file. (The explorer's save prompt is checked in scripts/tui_e2e.sh.)

One line per check (PASS / FAIL), then `N passed, M failed`; exit 1 on any failure.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crosscheck_engine import Report, lathe_from_args, short  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "samples/digits_mlp/model.onnx"
DATA = ROOT / "samples/digits_mlp/data.npz"
PREVIOUS = b"# written before; must survive a failed write\nversion: 1\n"
CAUSES = {"full": ["No space left on device"], "read-only": ["Read-only file system"]}


class MountError(Exception):
    pass


def sh(*cmd):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if proc.returncode != 0:
        raise MountError(f"{' '.join(map(str, cmd))}: {proc.stderr.strip()}")


class FailingFolder:
    """A folder holding `files` (relative path → bytes) that then refuses writes: full or read-only."""

    def __init__(self, base, kind, files):
        self.kind = kind
        self.path = Path(tempfile.mkdtemp(dir=base, prefix=f"{kind}-"))
        self.mounted = False
        self.files = files
        if kind == "full":
            sh("mount", "-t", "tmpfs", "-o", "size=512k,nr_inodes=64", "tmpfs", self.path)
            self.mounted = True
            self.write_files()
            try:
                with open(self.path / "filler", "wb") as f:
                    while True:
                        f.write(b"\0" * 4096)
                        f.flush()
            except OSError:
                pass
        else:
            self.write_files()
            sh("mount", "--bind", self.path, self.path)
            self.mounted = True
            sh("mount", "-o", "remount,ro,bind", self.path)

    def write_files(self):
        for name, data in self.files.items():
            (self.path / name).parent.mkdir(parents=True, exist_ok=True)
            (self.path / name).write_bytes(data)

    def strays(self):
        known = {str(Path(n)) for n in self.files} | {"filler"}
        found = [str(p.relative_to(self.path)) for p in self.path.rglob("*") if p.is_file()]
        return sorted(set(found) - known)

    def close(self):
        if self.mounted:
            subprocess.run(["umount", str(self.path)], capture_output=True)
        shutil.rmtree(self.path, ignore_errors=True)


def check_output(report, lathe, base, kind, name, args_for):
    """`args_for(path)` writes to path; the write must fail cleanly."""
    label = f"{name} into a {kind} folder"
    folder = FailingFolder(base, kind, {"out": PREVIOUS})
    try:
        target = folder.path / "out"
        proc = subprocess.run([str(a) for a in [lathe] + args_for(target)], capture_output=True, text=True, timeout=600)
        # Notes (the metric chosen) may come first; the error is the line that says `error:`.
        err = next((line for line in proc.stderr.splitlines() if line.startswith("error:")), proc.stderr.strip())
        problems = []
        if proc.returncode != 2:
            problems.append(f"exit {proc.returncode}, want 2")
        if not err.startswith(f"error: {target}: "):
            problems.append(f"no line 'error: {target}: …' on stderr: {short(proc.stderr)}")
        if not any(cause in err for cause in CAUSES[kind]):
            problems.append(f"stderr gives no cause ({' / '.join(CAUSES[kind])}): {short(err)}")
        if target.read_bytes() != PREVIOUS:
            problems.append("the previous file changed")
        if folder.strays():
            problems.append(f"left behind: {folder.strays()}")
        report.check(label, not problems, "; ".join(problems) or short(err, 160))
    finally:
        folder.close()


def check_cache(report, lathe, base, kind):
    label = f"sensitivity cache in a {kind} folder"
    cmd = [str(lathe), "sensitivity", str(MODEL), "--bits", "2,4"]
    with tempfile.TemporaryDirectory(dir=base) as first:
        env = dict(os.environ, XDG_CACHE_HOME=first)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        entries = {str(p.relative_to(first)): p.read_bytes() for p in Path(first).rglob("*.json")}
        if proc.returncode != 0 or len(entries) != 1:
            report.fail(label, f"the first run (exit {proc.returncode}) wrote {len(entries)} entries: {short(proc.stderr)}")
            return
    (entry, content), = entries.items()
    folder = FailingFolder(base, kind, entries)
    try:
        env = dict(os.environ, XDG_CACHE_HOME=str(folder.path))
        # The same run again: a data-free sweep recomputes and saves its entry, the one already there.
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        warnings = [line for line in proc.stderr.splitlines() if line.startswith("warning:")]
        problems = []
        if proc.returncode != 0:
            problems.append(f"exit {proc.returncode}, want 0: {short(proc.stderr)}")
        if not proc.stdout.strip():
            problems.append("no results on stdout")
        path = folder.path / entry
        if len(warnings) != 1 or str(path) not in warnings[0] or not any(c in warnings[0] for c in CAUSES[kind]):
            problems.append(f"want one warning naming {path} and the cause, got {warnings}")
        if path.read_bytes() != content:
            problems.append("the cache entry changed")
        if folder.strays():
            problems.append(f"left behind: {folder.strays()}")
        report.check(label, not problems, "; ".join(problems) or short(warnings[0], 160))
    finally:
        folder.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lathe", help="the built lathe executable")
    args = parser.parse_args()
    lathe = lathe_from_args(parser, args)
    report = Report()
    with tempfile.TemporaryDirectory(prefix="lathe-safe-writes-") as base:
        config = Path(base) / "int8.yaml"
        config.write_text("version: 1\ndefaults: {bits: 8}\n")
        try:
            probe = FailingFolder(base, "full", {})
            probe.close()
            probe = FailingFolder(base, "read-only", {})
            probe.close()
        except MountError as error:
            report.fail("mounting a full tmpfs and a read-only bind mount",
                        f"{error} — these checks need root with CAP_SYS_ADMIN (as make test has here and in CI)")
            return report.finish()
        for kind in ("full", "read-only"):
            check_output(report, lathe, base, kind, "search --out",
                         lambda out: ["search", MODEL, "--data", DATA, "--max-drop", "0.05", "--bits", "4,8",
                                      "--out", out])
            check_output(report, lathe, base, kind, "export --out",
                         lambda out: ["export", MODEL, "--data", DATA, "--config", config, "--out", out])
            check_output(report, lathe, base, kind, "eval --save-outputs",
                         lambda out: ["eval", MODEL, "--data", DATA, "--save-outputs", out])
            check_cache(report, lathe, base, kind)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
