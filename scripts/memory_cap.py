#!/usr/bin/env python3
"""Peak memory of `lathe eval` and of the live engine (`lathe bench`) on an evaluation set whose
activations are many times the activation cache's cap: the cap must hold, so that a large set
never takes more memory than the user allowed (README, "Memory").

The set is samples/mobilenet's samples, replicated to --samples (default 2,000, the set itself):
uncapped, the live engine's checkpoints would hold about 14 KB a sample (28 MB, 3.5 times the
--cache-mb 8 used here), and the sensitivity sweep that the capped run adds keeps its base plan's
checkpoints and, as it moves through the layers, each layer's input (all layer inputs together are
about 0.29 MB a sample, 586 MB, 73 times the cap). Measured, each in a process of
its own (peak RSS of lathe alone, see crosscheck_weights.run_measured):

  * `lathe bench --cache-mb 0`: the engine without a cache: its overhead (model, data, outputs,
    a batch per thread, the compressed-weight cache);
  * `lathe bench --cache-mb CAP --sweep` (default 8): the cache it reports holding (the live engine's)
    is at most CAP, and the peak RSS (the sweep's included) is at most overhead + CAP + 10% of CAP + SLACK MB (allocator rounding, a tensor
    being inserted before the least recently used one is evicted);
  * `lathe eval` (no cache): peak RSS at most the engine's overhead + SLACK MB.

One line per check (PASS / FAIL), the figures, then `N passed, M failed`; exit 1 on any failure.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crosscheck_engine import Report, lathe_from_args, short  # noqa: E402
from crosscheck_weights import run_measured  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "samples/mobilenet/model.onnx"
DATA = ROOT / "samples/mobilenet/data.npz"
SLACK_MB = 48


def bench(report, lathe, data, cache_mb, sweep=False):
    cmd = [lathe, "bench", MODEL, "--data", data, "--json", "--repeat", "1", "--cache-mb", str(cache_mb)]
    if sweep:
        cmd.append("--sweep")
    code, out, err, seconds, rss = run_measured(cmd, timeout=600)
    if code != 0:
        report.fail(f"bench --cache-mb {cache_mb}", f"exit {code}: {short(err)}")
        return None, rss, seconds
    return json.loads(out), rss, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lathe", help="the built lathe executable")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--cache-mb", type=int, default=8)
    args = parser.parse_args()
    lathe = lathe_from_args(parser, args)
    report = Report()
    with tempfile.TemporaryDirectory() as tmp:
        source = np.load(DATA)
        reps = -(-args.samples // len(source["y"]))
        data = Path(tmp) / "large.npz"
        np.savez(data, x=np.concatenate([source["x"]] * reps)[: args.samples],
                 y=np.concatenate([source["y"]] * reps)[: args.samples])

        plain, overhead, t0 = bench(report, lathe, data, 0)
        capped, peak, t1 = bench(report, lathe, data, args.cache_mb, sweep=True)
        code, _, err, t2, eval_rss = run_measured([lathe, "eval", MODEL, "--data", data, "--json"], timeout=600)
        cap = args.cache_mb * 1e6 / 2**20
        print(f"{args.samples} samples: bench --cache-mb 0 peak {overhead:.0f} MB ({t0:.1f} s); "
              f"--cache-mb {args.cache_mb} --sweep peak {peak:.0f} MB ({t1:.1f} s), cache "
              f"{(capped or {}).get('cache_bytes', 0) / 2**20:.1f} MB; eval peak {eval_rss:.0f} MB ({t2:.1f} s)")
        if plain is not None:
            report.check("bench --cache-mb 0 holds no activations", plain["cache_bytes"] == 0, str(plain["cache_bytes"]))
        if capped is not None:
            report.check(f"the cache holds at most --cache-mb {args.cache_mb}",
                         0 < capped["cache_bytes"] <= args.cache_mb * 1e6, f"{capped['cache_bytes']} bytes")
            bound = overhead + cap * 1.1 + SLACK_MB
            report.check(f"bench peak RSS {peak:.0f} MB <= overhead {overhead:.0f} + cap {cap:.0f} MB (+10%, +{SLACK_MB})",
                         peak <= bound, f"bound {bound:.0f} MB")
        if code != 0:
            report.fail("eval", f"exit {code}: {short(err)}")
        else:
            report.check(f"eval peak RSS {eval_rss:.0f} MB <= the engine's overhead {overhead:.0f} + {SLACK_MB} MB",
                         eval_rss <= overhead + SLACK_MB)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
