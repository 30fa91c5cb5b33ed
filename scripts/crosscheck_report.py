#!/usr/bin/env python3
"""Cross-check of `lathe report` (part of `make test`): the HTML file against Lathe's own JSON, and in a browser.

Reports are generated for
  * samples/mobilenet with its data, a mixed configuration (quantization, pruning, sharing, fp16,
    asymmetric and per-tensor layers) and the Pareto front of a real `lathe search --pareto --json`;
  * samples/transformer with its data and no configuration (MatMul layers, an SQNR-free top-1 heatmap);
  * samples/lenet5 without data and with an int4 configuration (the data-free SQNR heatmap, no chart);
  * a safetensors checkpoint written here with the `safetensors` package (weights only).
Each file is parsed with Python's html.parser and must: hold no script, no external resource and no
remote URL anywhere; have one plan-table row per layer of `lathe inspect --json`, in order, whose
original and compressed bytes and byte breakdown equal `lathe inspect --config --json`'s; totals
equal to `lathe eval --config --json`'s size_bytes and baseline_size_bytes; the plan's and the
uncompressed metric equal to `lathe eval`'s; one before/after histogram pair per layer (40 bins, the
"before" counts summing to the layer's parameters); a heatmap of layers x bits cells whose values
equal `lathe sensitivity --json` (the drop from the baseline with data, the SQNR without); the
uniform, configuration and Pareto points of the accuracy chart with the sizes and metrics of the
evaluations; escaped layer names (a model whose layer names hold <, & and quotes is written here).
Then headless Chromium (Debian's `chromium` package; missing it is a failure) screenshots each
report at 1280x2000: the PNG must exist, be 1280x2000 and not blank (decoded here with zlib and
numpy), and `chromium --dump-dom` must return the document. Also: --out onto an input exits 2 and
leaves it unchanged; a malformed --pareto file exits 2 naming it.

Usage: crosscheck_report.py --lathe PATH [--keep DIR]
"""
import argparse
import json
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crosscheck_engine import Report, lathe_from_args, parse_json, short  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
BITS = [2, 3, 4, 8]
BINS = 40
WINDOW = (1280, 2000)
TIMEOUT = 1800


def run(cmd, timeout=TIMEOUT):
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout)


def check(report, name, ok, detail=""):
    """report.check, with the detail printed only on failure (passing lines stay one short line)."""
    return report.check(name, ok, "" if ok else detail)


def lathe_json(report, label, cmd):
    """Runs a lathe command with --json; its parsed output or None (after a failure)."""
    proc = run(cmd)
    if proc.returncode != 0:
        report.fail(label, f"exit {proc.returncode}: {short(proc.stderr)}")
        return None
    value, problem = parse_json(proc.stdout)
    if problem:
        report.fail(label, problem)
    return value


# --------------------------------------------------------------------------- the HTML

class Document(HTMLParser):
    """The elements of a report, with their attributes, and every problem an HTML file can have here."""
    VOID = {"meta", "br", "hr", "img", "input", "link", "source", "wbr", "col", "area", "base", "embed", "param",
            "track", "rect", "circle", "line", "path", "stop"}
    FORBIDDEN = {"script", "link", "img", "iframe", "object", "embed", "image", "use", "audio", "video", "source",
                 "foreignobject"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []          # (tag, attrs dict, parent index path)
        self.stack = []
        self.problems = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        index = len(self.elements)
        self.elements.append({"tag": tag, "attrs": attrs, "parents": list(self.stack), "text": []})
        if tag in self.FORBIDDEN:
            self.problems.append(f"<{tag}> element")
        for key, value in attrs.items():
            if key.startswith("on"):
                self.problems.append(f"event handler {key} on <{tag}>")
            if key in ("src", "href", "xlink:href", "action", "srcset", "poster", "data") and value:
                if "//" in value or ":" in value.split("#")[0]:
                    self.problems.append(f"{key}={value!r} on <{tag}>")
        if tag not in self.VOID:
            self.stack.append(index)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag):
        # Close up to the matching open element (HTML allows some implied ends).
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.elements[self.stack[depth]]["tag"] == tag:
                del self.stack[depth:]
                return
        self.problems.append(f"stray </{tag}>")

    def handle_data(self, data):
        self.text.append(data)
        for index in self.stack:
            self.elements[index]["text"].append(data)

    def find(self, tag=None, cls=None, **attrs):
        found = []
        for element in self.elements:
            if tag and element["tag"] != tag:
                continue
            if cls and cls not in element["attrs"].get("class", "").split():
                continue
            if any(element["attrs"].get(k.replace("_", "-")) != v for k, v in attrs.items()):
                continue
            found.append(element)
        return found

    def by_id(self, ident):
        found = [e for e in self.elements if e["attrs"].get("id") == ident]
        return found[0] if found else None

    def inside(self, element, tag=None, cls=None):
        index = self.elements.index(element)
        return [e for e in self.find(tag, cls) if index in e["parents"]]


def parse_html(report, label, path):
    text = path.read_text(encoding="utf-8")
    doc = Document()
    try:
        doc.feed(text)
        doc.close()
    except Exception as error:  # html.parser raises on very broken input only
        report.fail(f"{label}: parses", str(error))
        return None, text
    check(report, f"{label}: parses as HTML with balanced elements", not doc.problems and not doc.stack,
                 "; ".join(doc.problems[:5]) or f"unclosed: {[doc.elements[i]['tag'] for i in doc.stack][:5]}")
    lowered = text.lower()
    remote = [word for word in ("http://", "https://", "url(//", "@import", "<script", "javascript:")
              if word in lowered]
    urls = [u for u in lowered.split("url(")[1:] if not u.startswith("#")]
    check(report, f"{label}: self-contained (no remote URL, script, import or external url())",
                 not remote and not urls, f"found {remote + urls[:3]}")
    check(report, f"{label}: starts with <!DOCTYPE html> and has a <style>",
                 text.startswith("<!DOCTYPE html>") and bool(doc.find("style")))
    return doc, text


def number(text):
    return float(text) if text not in ("", None) else None


def same(a, b, rel=1e-9):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-12 + rel * max(abs(a), abs(b))


# --------------------------------------------------------------------------- checks of one report

def check_plan(report, label, doc, inspect, inspect_config, evaluation, baseline_eval):
    names = [layer["name"] for layer in inspect["layers"]]
    rows = doc.find("tr", "layer")
    check(report, f"{label}: one table row per layer of lathe inspect, in order",
                 [r["attrs"].get("data-layer") for r in rows] == names,
                 f"{[r['attrs'].get('data-layer') for r in rows][:4]} vs {names[:4]}")
    if inspect_config is not None:
        mismatches = []
        for row, layer in zip(rows, inspect_config["layers"]):
            a = row["attrs"]
            want = {"data-original-bytes": layer["baseline_size_bytes"], "data-compressed-bytes": layer["size_bytes"],
                    "data-payload": layer["size_breakdown"]["payload"], "data-scales": layer["size_breakdown"]["scales"],
                    "data-zero-points": layer["size_breakdown"]["zero_points"],
                    "data-codebook": layer["size_breakdown"]["codebook"], "data-index": layer["size_breakdown"]["index"]}
            for key, value in want.items():
                if int(a.get(key, -1)) != value:
                    mismatches.append(f"{layer['name']} {key}: {a.get(key)} != {value}")
        check(report, f"{label}: per-layer bytes and breakdown equal lathe inspect --config --json", not mismatches,
                     "; ".join(mismatches[:4]))
        total = doc.find("tr", "total")
        other = doc.find("tr", "other")
        ok = bool(total) and int(total[0]["attrs"]["data-total-bytes"]) == inspect_config["size_bytes"] \
            and int(total[0]["attrs"]["data-baseline-bytes"]) == inspect_config["baseline_size_bytes"] \
            and bool(other) and int(other[0]["attrs"]["data-other-bytes"]) == inspect_config["other_bytes"]
        check(report, f"{label}: totals equal lathe inspect --config --json (size, baseline, other tensors)", ok,
                     f"{total[0]['attrs'] if total else None} vs {inspect_config['size_bytes']}")
    summary = {k: doc.by_id(f"summary-{k}") for k in ("layers", "params", "original-bytes")}
    check(report, f"{label}: summary layers/params/original size equal lathe inspect --json",
                 all(summary.values())
                 and int(summary["layers"]["attrs"]["data-value"]) == len(names)
                 and int(summary["params"]["attrs"]["data-value"]) == inspect["total_params"]
                 and int(summary["original-bytes"]["attrs"]["data-value"]) == inspect["size_bytes"],
                 f"{[(k, v['attrs'].get('data-value') if v else None) for k, v in summary.items()]} vs "
                 f"{len(names)}, {inspect['total_params']}, {inspect['size_bytes']}")
    if evaluation is not None:
        total = doc.find("tr", "total")
        check(report, f"{label}: total bytes equal lathe eval --json size_bytes / baseline_size_bytes",
                     bool(total) and int(total[0]["attrs"]["data-total-bytes"]) == evaluation["size_bytes"]
                     and int(total[0]["attrs"]["data-baseline-bytes"]) == evaluation["baseline_size_bytes"],
                     f"{total[0]['attrs'] if total else None} vs {evaluation['size_bytes']}")
        metric = doc.by_id("plan-metric")
        a = metric["attrs"] if metric else {}
        check(report, f"{label}: plan metric equals lathe eval --config --json, uncompressed equals lathe eval --json",
                     metric is not None and a.get("data-metric") == evaluation["metric"]["name"]
                     and same(number(a.get("data-value")), evaluation["metric"]["value"])
                     and same(number(a.get("data-uncompressed")), baseline_eval["metric"]["value"]),
                     f"{a} vs {evaluation['metric']['value']} / {baseline_eval['metric']['value']}")
        samples = doc.by_id("summary-samples")
        check(report, f"{label}: samples equal lathe eval's", samples is not None
                     and int(samples["attrs"]["data-value"]) == evaluation["samples"])


def check_histograms(report, label, doc, inspect):
    figures = doc.find("figure", "pair")
    names = [layer["name"] for layer in inspect["layers"]]
    check(report, f"{label}: one histogram figure per layer", [f["attrs"].get("data-layer") for f in figures] == names,
                 f"{len(figures)} figures for {len(names)} layers")
    bad = []
    for figure in figures:
        charts = doc.inside(figure, "svg", "hist")
        kinds = [c["attrs"].get("data-kind") for c in charts]
        if kinds != ["before", "after"] or any(c["attrs"].get("data-bins") != str(BINS) for c in charts):
            bad.append(f"{figure['attrs'].get('data-layer')}: {kinds}")
            continue
        paths = [e for c in charts for e in doc.inside(c, "path")]
        if len(paths) != 2:
            bad.append(f"{figure['attrs'].get('data-layer')}: {len(paths)} bar paths")
    check(report, f"{label}: each figure holds a before and an after chart of {BINS} bins", not bad, "; ".join(bad[:4]))


def check_heatmap(report, label, doc, inspect, sensitivity):
    names = [layer["name"] for layer in inspect["layers"]]
    cells = doc.find("g", "cell")
    check(report, f"{label}: heatmap has layers x bits cells ({len(names)} x {len(BITS)})",
                 len(cells) == len(names) * len(BITS)
                 and [(c["attrs"]["data-layer"], int(c["attrs"]["data-bits"])) for c in cells]
                 == [(n, b) for n in names for b in BITS], f"{len(cells)} cells")
    if sensitivity is None:
        return
    base = sensitivity["baseline"]
    by_name = {layer["name"]: layer for layer in sensitivity["layers"]}
    wrong = []
    for cell in cells:
        name, bits = cell["attrs"]["data-layer"], cell["attrs"]["data-bits"]
        got = number(cell["attrs"].get("data-value"))
        layer = by_name.get(name, {})
        if base["metric"] is None:
            want = layer.get("sqnr_db", {}).get(bits)
            want = float("inf") if want is None and bits in layer.get("sqnr_db", {}) else want
        else:
            value = layer.get("bits", {}).get(bits)
            # The drop from the baseline in the metric's own terms (top-1 here: points as a fraction).
            want = None if value is None else base["value"] - value
        if not (got == want or (got is not None and want is not None and same(got, want, 1e-9))):
            wrong.append(f"{name}@{bits}: {got} vs {want}")
        if not doc.inside(cell, "title") or not doc.inside(cell, "text"):
            wrong.append(f"{name}@{bits}: no tooltip or text")
    check(report, f"{label}: heatmap cells equal lathe sensitivity --bits 2,3,4,8 --json"
                 f" ({'SQNR dB' if base['metric'] is None else 'drop from ' + base['metric']})", not wrong,
                 "; ".join(wrong[:4]))
    legend = doc.find("g", "legend")
    check(report, f"{label}: heatmap has a legend", bool(legend))


def check_tradeoff(report, label, doc, uniform, config_eval, front):
    """uniform: label -> eval JSON (or None without data); front: the Pareto JSON written here (or None)."""
    points = doc.find("g", "point")
    if uniform is None:
        omitted = doc.by_id("tradeoff-omitted")
        check(report, f"{label}: without data the chart is omitted with a sentence why",
                     omitted is not None and not points and "data" in "".join(omitted["text"]),
                     f"{len(points)} points")
        return
    wrong = []
    for kind, expected in [("uniform", list(uniform.values())), ("config", [config_eval] if config_eval else []),
                           ("pareto", front["points"] if front else [])]:
        got = sorted((int(p["attrs"]["data-size"]), float(p["attrs"]["data-value"]))
                     for p in points if p["attrs"]["data-kind"] == kind)
        want = sorted((e["size_bytes"], e["metric"]["value"]) for e in expected)
        if len(got) != len(want) or any(g[0] != w[0] or not same(g[1], w[1]) for g, w in zip(got, want)):
            wrong.append(f"{kind}: {got} vs {want}")
    check(report, f"{label}: accuracy chart points equal lathe eval --config --json (uniform fp32/fp16/int8/int4, "
                 "the config" + (", the Pareto front" if front else "") + ")", not wrong, "; ".join(wrong[:3]))
    for point in points:
        if not doc.inside(point, "title"):
            report.fail(f"{label}: every chart point has a tooltip", point["attrs"])
            break


def check_reproduce(report, label, doc, text, model, config):
    pres = [("".join(p["text"])) for p in doc.find("pre")]
    joined = "\n".join(pres)
    needed = ["lathe inspect " + model, "lathe sensitivity " + model, "lathe report " + model]
    if config:
        needed += ["--config " + config]
    missing = [n for n in needed if n not in joined]
    check(report, f"{label}: 'How to reproduce' gives the inspect, sensitivity and report command lines", not missing,
                 f"missing {missing}")


# --------------------------------------------------------------------------- chromium

def png_pixels(path):
    """The RGB(A) pixels of an 8-bit non-interlaced PNG (what Chromium writes), as a numpy array [H, W, C]."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG signature")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    channels = {2: 3, 6: 4, 0: 1, 4: 2}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), dtype=np.uint8)
    previous = np.zeros(stride, dtype=np.int32)
    bpp = channels
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int32)
        if kind == 0:
            current = line
        elif kind == 2:
            current = (line + previous) & 255
        elif kind == 1:
            current = (np.cumsum(line.reshape(width, bpp), axis=0) & 255).reshape(-1)
        else:
            # Average and Paeth depend on the decoded left neighbour: byte by byte.
            current = line.tolist()
            up = previous.tolist()
            for i in range(stride):
                a = current[i - bpp] if i >= bpp else 0
                b = up[i]
                if kind == 3:
                    current[i] = (current[i] + ((a + b) >> 1)) & 255
                else:
                    c = up[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    predictor = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                    current[i] = (current[i] + predictor) & 255
            current = np.array(current, dtype=np.int32)
        out[y] = current
        previous = current
    return out.reshape(height, width, channels)


def check_chromium(report, label, chromium, html, tmp):
    shot = tmp / (html.stem + ".png")
    shot.unlink(missing_ok=True)
    profile = tmp / "chromium-profile"
    base = [chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
            "--hide-scrollbars", "--no-first-run"]
    proc = run(base + [f"--screenshot={shot}", f"--window-size={WINDOW[0]},{WINDOW[1]}", html.as_uri()], timeout=300)
    if not check(report, f"{label}: chromium --screenshot wrote a PNG", proc.returncode == 0 and shot.is_file(),
                        f"exit {proc.returncode}: {short(proc.stderr)}"):
        return None
    try:
        pixels = png_pixels(shot)
    except Exception as error:
        report.fail(f"{label}: screenshot decodes", str(error))
        return None
    check(report, f"{label}: screenshot is {WINDOW[0]}x{WINDOW[1]}", pixels.shape[:2] == (WINDOW[1], WINDOW[0]),
                 f"{pixels.shape}")
    rgb = pixels[..., :3].reshape(-1, 3)
    background = np.bincount((rgb[:, 0].astype(np.int64) << 16) | (rgb[:, 1].astype(np.int64) << 8) | rgb[:, 2]).argmax()
    colours = len(np.unique((rgb[:, 0].astype(np.int64) << 16) | (rgb[:, 1].astype(np.int64) << 8) | rgb[:, 2]))
    packed = (rgb[:, 0].astype(np.int64) << 16) | (rgb[:, 1].astype(np.int64) << 8) | rgb[:, 2]
    drawn = float((packed != background).mean())
    # The header band, the sections' frames, text, bars and the heatmap's ramp: many colours, a good share drawn.
    check(report, f"{label}: screenshot is not blank (colours, drawn share)", colours >= 50 and drawn >= 0.05,
                 f"{colours} colours, {drawn:.1%} not background")
    dom = run(base + ["--dump-dom", html.as_uri()], timeout=300)
    check(report, f"{label}: chromium --dump-dom returns the document",
                 dom.returncode == 0 and 'id="plan-table"' in dom.stdout and 'id="heatmap"' in dom.stdout,
                 f"exit {dom.returncode}, {len(dom.stdout)} chars: {short(dom.stderr)}")
    return shot


# --------------------------------------------------------------------------- cases

MIXED = [
    {"bits": 8},
    {"clusters": 16},
    {"bits": 4, "scheme": "asymmetric", "prune": 0.3, "structure": "unstructured"},
    {"bits": "fp16"},
    {"bits": 3, "granularity": "per-tensor"},
    {"bits": 4, "prune": 0.5, "structure": "channel"},
]


def config_text(names, features, default=8):
    lines = ["version: 1", f"defaults: {{bits: {default}}}", "layers:"]
    for name, settings in zip(names, features):
        body = ", ".join(f"{k}: {v}" for k, v in settings.items())
        lines.append(f"  {json.dumps(name)}: {{{body}}}")
    return "\n".join(lines) + "\n"


UNIFORM = {"fp32": "version: 1\n", "fp16": "version: 1\ndefaults:\n  bits: fp16\n",
           "int8": "version: 1\ndefaults:\n  bits: 8\n", "int4": "version: 1\ndefaults:\n  bits: 4\n"}


def generate(report, lathe, label, args, out):
    out.unlink(missing_ok=True)
    started = time.monotonic()
    proc = run([lathe, "report"] + args + ["--out", out])
    seconds = time.monotonic() - started
    ok = check(report, f"{label}: lathe report exits 0 and writes the file", proc.returncode == 0 and out.is_file(),
                      f"exit {proc.returncode}: {short(proc.stderr)}")
    if ok:
        print(f"  {label}: {out.stat().st_size:,} bytes in {seconds:.1f} s")
    return ok


def check_onnx_case(report, lathe, chromium, tmp, label, model, data=None, config=None, pareto=None):
    model = str(model)
    out = tmp / f"{label}.html"
    args = [model] + (["--data", str(data)] if data else []) + (["--config", str(config)] if config else [])
    args += ["--pareto", str(pareto)] if pareto else []
    if not generate(report, lathe, label, args, out):
        return
    doc, text = parse_html(report, label, out)
    if doc is None:
        return
    inspect = lathe_json(report, f"{label}: lathe inspect --json", [lathe, "inspect", model, "--json"])
    inspect_config = lathe_json(report, f"{label}: lathe inspect --config --json",
                                [lathe, "inspect", model, "--config", config, "--json"]) if config else \
        lathe_json(report, f"{label}: lathe inspect --config fp32", [lathe, "inspect", model, "--config",
                                                                     write(tmp / "fp32.yaml", UNIFORM["fp32"]), "--json"])
    data_args = ["--data", str(data)] if data else []
    evaluation = baseline_eval = None
    uniform = None
    if data:
        baseline_eval = lathe_json(report, f"{label}: lathe eval --json", [lathe, "eval", model] + data_args + ["--json"])
        evaluation = lathe_json(report, f"{label}: lathe eval --config --json",
                                [lathe, "eval", model] + data_args + ["--config", config, "--json"]) if config \
            else baseline_eval
        uniform = {}
        for name, body in UNIFORM.items():
            uniform[name] = lathe_json(report, f"{label}: lathe eval --config {name}.yaml",
                                       [lathe, "eval", model] + data_args
                                       + ["--config", write(tmp / f"{name}.yaml", body), "--json"])
    sensitivity = lathe_json(report, f"{label}: lathe sensitivity --json",
                             [lathe, "sensitivity", model] + data_args + ["--bits", ",".join(map(str, BITS)), "--json"])
    if inspect is None or inspect_config is None:
        return
    check_plan(report, label, doc, inspect, inspect_config, evaluation, baseline_eval)
    check_histograms(report, label, doc, inspect)
    check_heatmap(report, label, doc, inspect, sensitivity)
    front = json.loads(Path(pareto).read_text()) if pareto else None
    check_tradeoff(report, label, doc, uniform, evaluation if config else None, front)
    check_reproduce(report, label, doc, text, model, str(config) if config else None)
    check_chromium(report, label, chromium, out, tmp)


def write(path, text):
    path.write_text(text)
    return path


def pareto_front(report, lathe, tmp, model, data, names):
    """The front of a real `lathe search --pareto --json` (round-to-nearest at 3, 4 and 8 bits, a dozen
    evaluations: enough points for the chart, and quick)."""
    front = lathe_json(report, "pareto: lathe search --pareto --json",
                       [lathe, "search", model, "--data", data, "--pareto", "--bits", "3,4,8", "--methods", "rtn",
                        "--max-evals", "12", "--json"])
    if front is None:
        return None
    check(report, "pareto: the search's front has several points", len(front.get("points", [])) >= 3,
          f"{len(front.get('points', []))} points")
    return write(tmp / "front.json", json.dumps(front, indent=1))


def escaping_model(tmp):
    """A two-layer MLP whose layer names hold <, &, quotes and '>' (as any exporter may write them)."""
    rng = np.random.default_rng(7)
    w1 = rng.normal(0, 0.3, (16, 8)).astype(np.float32)
    w2 = rng.normal(0, 0.3, (8, 4)).astype(np.float32)
    names = ['fc<1>&"a"', "fc'2'<script>"]
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", names[0]], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
         helper.make_node("MatMul", ["r", names[1]], ["y"])],
        "escaping", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])],
        [onnx.numpy_helper.from_array(w1, names[0]), onnx.numpy_helper.from_array(w2, names[1])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    path = tmp / "escaping.onnx"
    onnx.save(model, path)
    return path, names


def check_escaping(report, lathe, tmp):
    path, names = escaping_model(tmp)
    out = tmp / "escaping.html"
    if not generate(report, lathe, "escaping", [path], out):
        return
    doc, text = parse_html(report, "escaping", out)
    if doc is None:
        return
    rows = [r["attrs"].get("data-layer") for r in doc.find("tr", "layer")]
    cells = [("".join(td["text"])) for r in doc.find("tr", "layer") for td in doc.inside(r, "td", "name")]
    check(report, "escaping: layer names with <, &, quotes round-trip through attributes and text",
                 rows == names and cells == names, f"{rows} / {cells}")
    check(report, "escaping: no raw markup from a layer name", "<script>" not in text and 'fc<1>' not in text)


def check_checkpoint(report, lathe, chromium, tmp):
    try:
        from safetensors.numpy import save_file
    except ImportError as error:
        report.fail("checkpoint: safetensors package", f"{error} (scripts/requirements.txt lists it)")
        return
    rng = np.random.default_rng(3)
    tensors = {"model.embed.weight": rng.normal(0, 0.02, (64, 32)).astype(np.float32),
               "model.layers.0.mlp.up_proj.weight": (rng.standard_t(4, (96, 32)) * 0.05).astype(np.float16),
               "model.layers.0.mlp.down_proj.weight": rng.normal(0, 0.05, (32, 96)).astype(np.float32),
               "model.norm.weight": np.ones(32, dtype=np.float32)}
    path = tmp / "model.safetensors"
    save_file(tensors, str(path))
    out = tmp / "checkpoint.html"
    if not generate(report, lathe, "checkpoint", [path], out):
        return
    doc, _ = parse_html(report, "checkpoint", out)
    inspect = lathe_json(report, "checkpoint: lathe inspect --json", [lathe, "inspect", path, "--json"])
    sensitivity = lathe_json(report, "checkpoint: lathe sensitivity --json",
                             [lathe, "sensitivity", path, "--bits", ",".join(map(str, BITS)), "--json"])
    if doc is None or inspect is None:
        return
    names = [layer["name"] for layer in inspect["layers"]]
    rows = doc.find("tr", "layer")
    check(report, "checkpoint: one row per layer of lathe inspect --json with its stored bytes",
                 [r["attrs"]["data-layer"] for r in rows] == names
                 and [int(r["attrs"]["data-original-bytes"]) for r in rows] == [l["bytes"] for l in inspect["layers"]],
                 f"{[r['attrs'].get('data-layer') for r in rows]} vs {names}")
    total = doc.find("tr", "total")
    check(report, "checkpoint: total equals lathe inspect's size_bytes",
                 bool(total) and int(total[0]["attrs"]["data-total-bytes"]) == inspect["size_bytes"])
    check_histograms(report, "checkpoint", doc, inspect)
    if sensitivity is not None:
        # `lathe sensitivity CHECKPOINT --json` lists layers with sqnr_db per bit-width (null: exact).
        layers = {l["name"]: l for l in sensitivity["layers"]}
        wrong = []
        cells = doc.find("g", "cell")
        for cell in cells:
            name, bits = cell["attrs"]["data-layer"], cell["attrs"]["data-bits"]
            want = layers.get(name, {}).get("sqnr_db", {}).get(bits, "missing")
            got = number(cell["attrs"]["data-value"])
            want = float("inf") if want is None else want
            if want == "missing" or not (got == want or same(got, want)):
                wrong.append(f"{name}@{bits}: {got} vs {want}")
        check(report, "checkpoint: heatmap has layers x bits cells equal to lathe sensitivity --json's SQNR",
                     len(cells) == len(names) * len(BITS) and not wrong, f"{len(cells)} cells; " + "; ".join(wrong[:3]))
    check_tradeoff(report, "checkpoint", doc, None, None, None)
    proc = run([lathe, "report", path, "--data", SAMPLES / "mobilenet" / "data.npz", "--out", tmp / "x.html"])
    check(report, "checkpoint: --data on a checkpoint exits 2 naming it", proc.returncode == 2 and str(path) in proc.stderr,
                 f"exit {proc.returncode}: {short(proc.stderr)}")
    check_chromium(report, "checkpoint", chromium, out, tmp)


def check_safety(report, lathe, tmp, model, data, config):
    before = Path(model).read_bytes()
    for label, target in [("the model", model), ("the data", data), ("the config", config)]:
        snapshot = Path(target).read_bytes()
        proc = run([lathe, "report", model, "--data", data, "--config", config, "--out", target])
        check(report, f"safety: --out onto {label} exits 2 and leaves it unchanged",
                     proc.returncode == 2 and Path(target).read_bytes() == snapshot and "refusing" in proc.stderr,
                     f"exit {proc.returncode}: {short(proc.stderr)}")
    check(report, "safety: the model is byte-identical afterwards", Path(model).read_bytes() == before)
    bad = write(tmp / "bad-front.json", '{"metric": {"name": "top1"}, "points": [{"size_bytes": 10}]')
    proc = run([lathe, "report", model, "--pareto", bad, "--out", tmp / "never.html"])
    check(report, "safety: malformed --pareto JSON exits 2 naming the file",
                 proc.returncode == 2 and str(bad) in proc.stderr and not (tmp / "never.html").exists(),
                 f"exit {proc.returncode}: {short(proc.stderr)}")
    wrong = write(tmp / "wrong-front.json", '{"metric": {"name": "top1"}, "points": [{"size_bytes": -3, '
                                            '"metric": {"name": "top1", "value": 0.5}}]}')
    proc = run([lathe, "report", model, "--pareto", wrong, "--out", tmp / "never.html"])
    check(report, "safety: a Pareto point with a negative size exits 2 naming the file",
                 proc.returncode == 2 and str(wrong) in proc.stderr, f"exit {proc.returncode}: {short(proc.stderr)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lathe", help="the lathe binary")
    parser.add_argument("--keep", help="write the reports and screenshots into this folder and keep them")
    args = parser.parse_args()
    lathe = lathe_from_args(parser, args)
    report = Report()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        report.fail("chromium", "not installed: `make deps` installs Debian's chromium package "
                                "(sudo apt-get install -y chromium); the report's browser check needs it")
        return report.finish()
    with tempfile.TemporaryDirectory(prefix="lathe-report-") as scratch:
        tmp = Path(args.keep) if args.keep else Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        mobilenet = SAMPLES / "mobilenet"
        model, data = str(mobilenet / "model.onnx"), str(mobilenet / "data.npz")
        inspect = lathe_json(report, "mobilenet: lathe inspect --json", [lathe, "inspect", model, "--json"])
        if inspect is None:
            return report.finish()
        names = [layer["name"] for layer in inspect["layers"]]
        config = write(tmp / "mixed.yaml", config_text(names, MIXED))
        front = pareto_front(report, lathe, tmp, model, data, names)
        check_onnx_case(report, lathe, chromium, tmp, "mobilenet", model, data, config, front)
        check_onnx_case(report, lathe, chromium, tmp, "transformer", SAMPLES / "transformer" / "model.onnx",
                        SAMPLES / "transformer" / "data.npz")
        lenet = SAMPLES / "lenet5" / "model.onnx"
        check_onnx_case(report, lathe, chromium, tmp, "lenet5-data-free", lenet,
                        config=write(tmp / "int4.yaml", UNIFORM["int4"]))
        check_escaping(report, lathe, tmp)
        check_checkpoint(report, lathe, chromium, tmp)
        check_safety(report, lathe, tmp, model, data, str(config))
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
