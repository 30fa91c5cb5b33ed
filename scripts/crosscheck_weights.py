#!/usr/bin/env python3
"""Cross-check Lathe on weights-only checkpoints written by the reference Python writers.

Checkpoints are made here with the `safetensors` package (safetensors.numpy.save_file; its
serialize_file for BF16, which numpy lacks) and the `gguf` package (GGUFWriter, tensors
quantized by gguf.quants.quantize to Q8_0, Q4_0, Q4_1, Q5_0 and Q5_1), and read back with the
same packages (safetensors.numpy.load_file; gguf.GGUFReader + gguf.quants.dequantize):

  * `lathe inspect FILE --json`: every float tensor of rank >= 2 is a layer, with numpy's
    statistics (mean/std/min/max within 1e-5 relative, as scripts/crosscheck_engine.py checks
    ONNX layers) and numpy's histogram (np.histogram on float64, Lathe's bin count); for the
    GGUF block formats min/max are compared exactly and the histogram at 4096 bins, which pins
    the dequantized values; integer and undecoded tensors (I32, Q4_K) are listed, not layers;
  * a sharded checkpoint (model.safetensors.index.json + two shards) lists every tensor;
  * `lathe sensitivity FILE --bits 1,2,4,8 --json`: each layer's sqnr_db equals numpy's
    per-channel (axis 0) symmetric min-max quantization within 0.05 dB, the outlier measures
    equal numpy's, and the `--target-bits` suggestion equals the greedy rule (BitAllocation.swift)
    computed here from numpy's SQNRs; `--data` with a checkpoint is exit 2 naming the file;
  * malformed files (truncated, offsets past the end, overlapping, absurd header size, bad JSON,
    bad dtype, GGUF with huge counts, truncated GGUF) are exit 2 with `error:` naming the file,
    never a crash, in little memory;
  * `lathe export FILE --config CFG --format safetensors` (int8/int4, symmetric/asymmetric, per channel
    and per tensor): the `safetensors` package loads the file, numpy dequantizes it by the README's
    formula (two 4-bit codes a byte, low nibble first; W = (code - zero_point) * scale per row), and the
    codes equal those of a numpy per-channel quantizer (scripts/compression_reference.py) for >= 99.9%
    of the weights, the values within float rounding; uncompressed tensors are byte-identical; GGUF
    block tensors come out dequantized as gguf.quants.dequantize does; an export onto the input exits 2;
    the ~90 MB transformer's int4 export streams (peak RSS reported, <= 400 MB);
  * `--format llama-tensor-types`: one `--tensor-type NAME=TYPE` line per layer, NAME a regex matching
    exactly its own GGUF tensor name (Python's re, searched as llama-quantize's std::regex_search
    does), TYPE a ggml type name (gguf's GGMLQuantizationType), the inexact settings listed in the
    header; safetensors names said to be safetensors names; an ONNX model exits 2;
  * size: a ~90 MB transformer-shaped F16/F32 checkpoint inspects in <= 1.5 s with <= 400 MB
    peak RSS; a --big-gb (default 1) GB F16 file in /tmp (written in chunks, deleted after)
    inspects with peak RSS well under its size (<= 1/4) and the statistics of a sampled tensor
    equal numpy's.

One line per check (PASS / FAIL), then `N passed, M failed`; exit 1 on any failure.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from crosscheck_engine import Report, histogram_check, lathe_from_args, short, stats_check  # noqa: E402

import gguf  # noqa: E402
from gguf import GGMLQuantizationType as QT  # noqa: E402
from safetensors import TensorSpec, serialize_file  # noqa: E402
from safetensors.numpy import load_file, save_file  # noqa: E402
from safetensors import safe_open  # noqa: E402
import compression_reference as cref  # noqa: E402

SQNR_TOLERANCE_DB = 0.05
INSPECT_SECONDS = 1.5
INSPECT_RSS_MB = 400
MALFORMED_RSS_MB = 200


# --------------------------------------------------------------------------- running lathe

# A small process between this one and lathe: a child forked from this (large) Python would start
# with this process's resident pages, and Linux keeps that high-water mark across exec, so the
# child's ru_maxrss would be this script's size, not lathe's.
MEASURE = """
import os, sys
out = sys.argv[1]
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
open(out, "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(cmd, timeout=900):
    """Runs cmd; returns (exit code, stdout, stderr, seconds, peak RSS in MB of cmd alone)."""
    with tempfile.TemporaryDirectory() as tmp:
        rss_file = Path(tmp) / "rss"
        start = time.monotonic()
        try:
            proc = subprocess.run([sys.executable, "-S", "-c", MEASURE, str(rss_file)] + [str(c) for c in cmd],
                                  capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None, "", f"timed out after {timeout} s", float(timeout), 0.0
        seconds = time.monotonic() - start
        rss = int(rss_file.read_text()) / 1024 if rss_file.exists() else 0.0
        return proc.returncode, proc.stdout, proc.stderr, seconds, rss


def lathe_json(report, name, cmd):
    code, stdout, stderr, seconds, rss = run_measured(cmd)
    if code != 0:
        report.fail(name, f"exit {code}: {short(stderr)}")
        return None, seconds, rss
    try:
        return json.loads(stdout), seconds, rss
    except json.JSONDecodeError as error:
        report.fail(name, f"stdout is not JSON ({error}): {short(stdout)}")
        return None, seconds, rss


# --------------------------------------------------------------------------- numpy references

def sqnr_db(w, bits):
    """10·log10(Σw²/Σ(w−ŵ)²), ŵ symmetric per channel along axis 0 (DESIGN.md), in float32 like Lathe."""
    w = np.asarray(w, np.float32)
    rows = w.reshape(w.shape[0], -1)
    if bits == 32:
        return float("inf")
    if bits == 1:
        level = (np.abs(rows).astype(np.float64).mean(axis=1)).astype(np.float32)[:, None]
        q = np.where(rows < 0, -level, level)
    else:
        qmax = np.float32(2 ** (bits - 1) - 1)
        m = np.abs(rows).max(axis=1, keepdims=True)
        s = np.where(m > 0, m / qmax, np.float32(1)).astype(np.float32)
        q = np.clip(np.round(rows / s), -qmax, qmax) * s
    signal = float((rows.astype(np.float64) ** 2).sum())
    noise = float(((rows.astype(np.float64) - q.astype(np.float64)) ** 2).sum())
    return float("inf") if noise == 0 or signal == 0 else 10 * np.log10(signal / noise)


def outlier_measures(w):
    v = np.asarray(w, np.float64).ravel()
    c = v - v.mean()
    m2 = (c ** 2).mean()
    if m2 == 0:
        return 0.0, 0.0
    return float((c ** 4).mean() / m2 ** 2 - 3), float(np.abs(v).max() / np.sqrt(m2))


def greedy_bits(params, sqnrs, offered, target):
    """BitAllocation.suggest: from the fewest bits, raise the layer whose 10^(-SQNR/10) drops most per added bit."""
    levels = sorted(set(offered))
    nsr = lambda db: 0.0 if db == float("inf") else 10 ** (-db / 10)  # noqa: E731
    step = [0] * len(params)
    total = sum(params)
    budget = target * total
    used = levels[0] * total
    while True:
        best = None
        for i, p in enumerate(params):
            if step[i] + 1 >= len(levels):
                continue
            cur, nxt = levels[step[i]], levels[step[i] + 1]
            cost = p * (nxt - cur)
            if used + cost > budget + 1e-9 * total:
                continue
            ratio = (nsr(sqnrs[i][cur]) - nsr(sqnrs[i][nxt])) / (nxt - cur)
            if ratio > 0 and (best is None or ratio > best[1]):
                best = (i, ratio)
        if best is None:
            return [levels[s] for s in step]
        i = best[0]
        used += params[i] * (levels[step[i] + 1] - levels[step[i]])
        step[i] += 1


# --------------------------------------------------------------------------- checkpoint writers

def realistic(rng, shape, std=0.02, heavy=False):
    """Weights like a trained transformer's: normal, or Student-t tails with a few large outliers."""
    if heavy:
        w = rng.standard_t(4, size=shape) * std / np.sqrt(2)
        flat = w.reshape(-1)
        flat[rng.integers(0, flat.size, 8)] *= 20
        return w.astype(np.float32)
    return (rng.standard_normal(shape) * std).astype(np.float32)


def bf16_bytes(values):
    """float32 → bfloat16 bit patterns, rounded to nearest even (gguf.quants.BF16's rule)."""
    return gguf.quants.quantize(np.ascontiguousarray(values, np.float32), QT.BF16).view(np.uint16)


def bf16_values(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path, rng):
    """F32, F16, BF16 layers, a 1-D norm, an I64 and a U8 tensor; returns name → float32 values (None: integer)."""
    arrays = {
        "model.embed_tokens.weight": realistic(rng, (96, 48)),
        "model.layers.0.self_attn.q_proj.weight": realistic(rng, (48, 48)).astype(np.float16),
        "model.layers.0.mlp.down_proj.weight": realistic(rng, (48, 128), heavy=True).astype(np.float16),
        "model.layers.0.input_layernorm.weight": (1 + 0.1 * rng.standard_normal(48)).astype(np.float32),
        "model.position_ids": np.arange(64, dtype=np.int64).reshape(1, 64),
        "model.mask": (rng.random((8, 8)) > 0.5).astype(np.uint8),
    }
    specs = {}
    bf = bf16_bytes(realistic(rng, (64, 48), heavy=True))
    keep = [bf]
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        keep.append(a)
        specs[name] = TensorSpec(dtype=a.dtype.name, shape=a.shape, data_ptr=a.ctypes.data, data_len=a.nbytes)
    specs["model.layers.0.mlp.up_proj.weight"] = TensorSpec(dtype="bfloat16", shape=bf.shape, data_ptr=bf.ctypes.data,
                                                           data_len=bf.nbytes)
    serialize_file(specs, str(path), metadata={"format": "pt"})
    values = {name: (a.astype(np.float32) if a.dtype.kind == "f" else None) for name, a in arrays.items()}
    values["model.layers.0.mlp.up_proj.weight"] = bf16_values(bf)
    # The reference reader agrees on everything numpy can hold.
    loaded = load_file(str(path))
    for name, a in arrays.items():
        assert np.array_equal(loaded[name], a), name
    return values


def write_sharded(folder, rng):
    shards = {
        "model-00001-of-00002.safetensors": {"a.weight": realistic(rng, (32, 16)), "a.bias": realistic(rng, (32,))},
        "model-00002-of-00002.safetensors": {"b.weight": realistic(rng, (8, 32)).astype(np.float16)},
    }
    weight_map = {}
    values = {}
    for shard, arrays in shards.items():
        save_file(arrays, str(folder / shard))
        for name, a in arrays.items():
            weight_map[name] = shard
            values[name] = a.astype(np.float32)
    index = folder / "model.safetensors.index.json"
    index.write_text(json.dumps({"metadata": {"total_size": 0}, "weight_map": weight_map}))
    return index, values


GGUF_TYPES = [QT.F32, QT.F16, QT.BF16, QT.Q8_0, QT.Q4_0, QT.Q4_1, QT.Q5_0, QT.Q5_1]


def write_gguf(path, rng):
    """One tensor per type Lathe decodes, plus I32 and Q4_K (listed only); returns name → dequantized float32."""
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_name("lathe-crosscheck")
    writer.add_context_length(128)
    writer.add_token_list(["<s>", "</s>", "hello", "world"])
    writer.add_array("lathe.test.numbers", [1.5, 2.5, 3.5])
    values = {}
    for i, qtype in enumerate(GGUF_TYPES):
        name = f"blk.{i}.ffn_down.weight"
        w = realistic(rng, (24, 64), heavy=(i % 2 == 0))
        if qtype == QT.F32:
            writer.add_tensor(name, w)
        elif qtype == QT.F16:
            writer.add_tensor(name, w.astype(np.float16))
        else:
            q = gguf.quants.quantize(w, qtype)
            writer.add_tensor(name, q, raw_shape=q.shape, raw_dtype=qtype)
        values[name] = None
    writer.add_tensor("token_types", np.arange(16, dtype=np.int32))
    k_bytes = gguf.GGML_QUANT_SIZES[QT.Q4_K][1]
    writer.add_tensor("blk.9.attn_k.weight", rng.integers(0, 256, (4, 2 * k_bytes), dtype=np.uint8),
                      raw_shape=(4, 2 * k_bytes), raw_dtype=QT.Q4_K)
    writer.add_tensor("output_norm.weight", (1 + 0.05 * rng.standard_normal(64)).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    # The reference reader dequantizes every tensor Lathe decodes.
    reader = gguf.GGUFReader(str(path))
    for tensor in reader.tensors:
        if tensor.tensor_type in GGUF_TYPES:
            shape = [int(d) for d in reversed(tensor.shape.tolist())]
            values[tensor.name] = np.asarray(gguf.quants.dequantize(tensor.data, tensor.tensor_type),
                                             np.float32).reshape(shape)
    return values


def write_transformer(path, rng, blocks=12, width=512):
    """A ~90 MB transformer-shaped checkpoint (F16 matrices, F32 norms), realistic weight statistics."""
    arrays = {"model.embed_tokens.weight": realistic(rng, (8192, width)).astype(np.float16)}
    for b in range(blocks):
        p = f"model.layers.{b}."
        for proj in ("q_proj", "k_proj", "v_proj", "o_proj"):
            arrays[p + f"self_attn.{proj}.weight"] = realistic(rng, (width, width), heavy=proj == "o_proj").astype(np.float16)
        arrays[p + "mlp.gate_proj.weight"] = realistic(rng, (4 * width // 2 * 2, width)).astype(np.float16)
        arrays[p + "mlp.down_proj.weight"] = realistic(rng, (width, 4 * width), heavy=True).astype(np.float16)
        arrays[p + "input_layernorm.weight"] = (1 + 0.05 * rng.standard_normal(width)).astype(np.float32)
    arrays["lm_head.weight"] = realistic(rng, (4096, width)).astype(np.float16)
    save_file(arrays, str(path))
    return arrays


def write_big(path, gigabytes, rng):
    """gigabytes of F16 [4096, 8192] tensors, written chunk by chunk in the safetensors layout."""
    rows, cols = 4096, 8192
    tensor_bytes = rows * cols * 2
    count = max(1, int(round(gigabytes * (1 << 30) / tensor_bytes)))
    header = {}
    for i in range(count):
        header[f"layers.{i}.weight"] = {"dtype": "F16", "shape": [rows, cols],
                                        "data_offsets": [i * tensor_bytes, (i + 1) * tensor_bytes]}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    sample = None
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for i in range(count):
            for start in range(0, rows, 512):
                block = (rng.standard_normal((512, cols), dtype=np.float32) * (0.01 + 0.001 * i)).astype(np.float16)
                if i == count - 1:
                    sample = block if sample is None else np.concatenate([sample, block])
                f.write(block.tobytes())
    return count, f"layers.{count - 1}.weight", sample.astype(np.float32)


# --------------------------------------------------------------------------- checks

def check_layers(report, name, js, values, exact=False):
    layers = {layer["name"]: layer for layer in js.get("layers", [])}
    expected = {n: v for n, v in values.items() if v is not None and v.ndim >= 2}
    report.check(f"{name}: layers are the float tensors of rank >= 2", set(layers) == set(expected),
                 f"lathe {sorted(layers)}, expected {sorted(expected)}")
    for tensor, v in expected.items():
        layer = layers.get(tensor)
        if layer is None:
            continue
        problems = []
        if layer.get("shape") != list(v.shape):
            problems.append(f"shape {layer.get('shape')} != {list(v.shape)}")
        if layer.get("params") != v.size:
            problems.append(f"params {layer.get('params')} != {v.size}")
        problems.append(stats_check(v, layer["stats"]))
        problems.append(histogram_check(v, layer["histogram"]))
        if exact:
            for key, want in (("min", float(v.min())), ("max", float(v.max()))):
                if layer["stats"][key] != want:
                    problems.append(f"{key} {layer['stats'][key]} != dequantized {want}")
        detail = "; ".join(p for p in problems if p)
        report.check(f"{name}: {tensor} ({layer.get('dtype')}) statistics and histogram", not detail, detail)


def check_sensitivity(report, lathe, name, path, values, target=3.0):
    bits = [1, 2, 4, 8]
    js, _, _ = lathe_json(report, f"{name}: sensitivity", [lathe, "sensitivity", path, "--bits", "1,2,4,8",
                                                          "--target-bits", str(target), "--json"])
    if js is None:
        return
    layers = {layer["name"]: layer for layer in js["layers"]}
    expected = {n: v for n, v in values.items() if v is not None and v.ndim >= 2}
    order = [layer["name"] for layer in js["layers"]]
    sqnrs = []
    for tensor in order:
        v = expected.get(tensor)
        if v is None:
            report.fail(f"{name}: sensitivity layer {tensor}", "not a layer numpy knows")
            continue
        layer = layers[tensor]
        want = {b: sqnr_db(v, b) for b in bits}
        sqnrs.append(want)
        problems = []
        for b in bits:
            got = layer["sqnr_db"].get(str(b))
            got = float("inf") if got is None else got
            if not (got == want[b] or abs(got - want[b]) <= SQNR_TOLERANCE_DB):
                problems.append(f"{b} bits: {got} dB != numpy {want[b]:.4f}")
        kurtosis, stretch = outlier_measures(v)
        if abs(layer["excess_kurtosis"] - kurtosis) > 1e-6 * max(1, abs(kurtosis)):
            problems.append(f"excess kurtosis {layer['excess_kurtosis']} != {kurtosis}")
        if abs(layer["max_abs_over_std"] - stretch) > 1e-6 * max(1, stretch):
            problems.append(f"max|w|/std {layer['max_abs_over_std']} != {stretch}")
        report.check(f"{name}: {tensor} SQNR at 1/2/4/8 bits and outlier measures", not problems, "; ".join(problems))
    report.check(f"{name}: sensitivity lists every layer", set(order) == set(expected),
                 f"{sorted(order)} vs {sorted(expected)}")
    if len(sqnrs) == len(order):
        params = [int(np.prod(expected[t].shape)) for t in order]
        want = greedy_bits(params, sqnrs, bits, target)
        got = [layers[t]["suggested_bits"] for t in order]
        average = sum(p * b for p, b in zip(params, got)) / sum(params)
        report.check(f"{name}: --target-bits {target} suggestion is the greedy rule's, average <= target",
                     got == want and average <= target + 1e-9 and abs(js["average_bits"] - average) < 1e-9,
                     f"lathe {got} (avg {js['average_bits']}), numpy {want}")


def expect_bad_input(report, lathe, name, cmd, path, must_contain=""):
    code, _, stderr, _, rss = run_measured(cmd, timeout=120)
    ok = (code == 2 and stderr.startswith("error:") and str(path) in stderr and must_contain in stderr
          and rss <= MALFORMED_RSS_MB)
    report.check(name, ok, f"exit {code}, {rss:.0f} MB: {short(stderr)}")


def malformed_files(folder, good):
    """(label, path, text the message must contain) for hand-damaged safetensors and GGUF files."""
    cases = []

    def write(label, data, contain=""):
        path = folder / f"bad_{label.replace(' ', '_')}.safetensors"
        path.write_bytes(data)
        cases.append((label, path, contain))

    def st(header, payload=b""):
        text = json.dumps(header).encode()
        return len(text).to_bytes(8, "little") + text + payload

    raw = good.read_bytes()
    write("truncated data", raw[:len(raw) - 7], "truncated")
    write("truncated header", raw[:20])
    write("absurd header size", (1 << 60).to_bytes(8, "little") + b"{}", "header size")
    write("header past the end", (4096).to_bytes(8, "little") + b'{"a": 1}', "header size")
    write("bad JSON", st({})[:8] + b"{not json", "JSON")
    write("bad dtype", st({"w": {"dtype": "F99", "shape": [2], "data_offsets": [0, 8]}}, bytes(8)), "dtype")
    write("offsets overrun", st({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, bytes(8)), "data_offsets")
    write("span mismatch", st({"w": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, bytes(8)), "needs 12 bytes")
    write("overlap", st({"a": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
                         "b": {"dtype": "F32", "shape": [2, 2], "data_offsets": [8, 24]}}, bytes(24)), "overlap")
    write("shape overflow", st({"w": {"dtype": "F32", "shape": [2 ** 40, 2 ** 40], "data_offsets": [0, 8]}}, bytes(8)),
          "overflow")

    def gg(label, data, contain=""):
        path = folder / f"bad_{label.replace(' ', '_')}.gguf"
        path.write_bytes(data)
        cases.append((label, path, contain))

    head = b"GGUF" + (3).to_bytes(4, "little")
    gg("GGUF huge tensor count", head + (1 << 62).to_bytes(8, "little") + (0).to_bytes(8, "little"), "tensor count")
    gg("GGUF huge metadata count", head + (0).to_bytes(8, "little") + (1 << 62).to_bytes(8, "little"), "metadata count")
    key = b"general.name"
    gg("GGUF huge string", head + (0).to_bytes(8, "little") + (1).to_bytes(8, "little")
       + len(key).to_bytes(8, "little") + key + (8).to_bytes(4, "little") + (1 << 60).to_bytes(8, "little"), "length")
    gg("GGUF huge array", head + (0).to_bytes(8, "little") + (1).to_bytes(8, "little")
       + len(key).to_bytes(8, "little") + key + (9).to_bytes(4, "little") + (8).to_bytes(4, "little")
       + (1 << 60).to_bytes(8, "little"), "array count")
    gg("GGUF version 1", b"GGUF" + (1).to_bytes(4, "little") + bytes(16), "version")
    gg("GGUF truncated header", b"GGUF" + (3).to_bytes(4, "little") + bytes(3), "truncated")
    return cases


# --------------------------------------------------------------------------- main

# --------------------------------------------------------------------------- export

# Every packing: int8 symmetric (the default), int4 symmetric and asymmetric, int6 asymmetric and int3
# per tensor; the same dict is the numpy reference's plan and, written out, Lathe's configuration.
QUANTIZED_PLAN = {
    "defaults": {"bits": 8},
    "layers": {
        "model.layers.0.mlp.down_proj.weight": {"bits": 4},
        "model.layers.0.mlp.up_proj.weight": {"bits": 4, "scheme": "asymmetric"},
        "model.embed_tokens.weight": {"bits": 6, "scheme": "asymmetric", "granularity": "per-tensor"},
        "model.layers.0.self_attn.q_proj.weight": {"bits": 3, "granularity": "per-tensor"},
    },
}
QUANTIZED_CONFIG = json.dumps({"version": 1, **QUANTIZED_PLAN}) + "\n"  # JSON is YAML


def load_exported(path):
    """Every tensor through the safetensors package (numpy), and BF16 ones, which numpy cannot hold, from
    the header's offsets as float32; plus the metadata."""
    tensors = {}
    with safe_open(str(path), "np") as handle:
        metadata = handle.metadata()
        keys = list(handle.keys())
        raw = path.read_bytes()
        size = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8:8 + size])
        for key in keys:
            if header[key]["dtype"] == "BF16":
                begin, end = header[key]["data_offsets"]
                bits = np.frombuffer(raw[8 + size + begin:8 + size + end], np.uint16).reshape(header[key]["shape"])
                tensors[key] = bf16_values(bits)
            else:
                tensors[key] = handle.get_tensor(key)
    return tensors, metadata


def unpack_int4(packed, row, signed):
    """README layout: two codes a byte along the last axis, element 2j in the low nibble of byte j."""
    low, high = packed & 0x0F, packed >> 4
    codes = np.stack([low, high], axis=-1).reshape(*packed.shape[:-1], -1)[..., :row].astype(np.int32)
    return np.where(codes >= 8, codes - 16, codes) if signed else codes


def dequantize(tensors, name, info):
    """(codes, W) of one quantized tensor, by the README's formula."""
    shape = info["shape"]
    stored = tensors[name]
    signed = info["scheme"] == "symmetric"
    codes = unpack_int4(stored, shape[-1], signed) if info["storage"] == "int4 packed" else stored.astype(np.int32)
    scale = tensors[name + ".scale"]
    zero = tensors.get(name + ".zero_point", np.zeros_like(scale, dtype=np.uint8)).astype(np.int32)
    rows = shape[0] if info["granularity"] == "per-channel" else 1
    flat = codes.reshape(rows, -1)
    w = ((flat - zero.reshape(rows, 1)).astype(np.float32) * scale.reshape(rows, 1)).astype(np.float32)
    return codes.reshape(shape), w.reshape(shape)


def numpy_codes(w, settings):
    """The numpy quantizer's codes and values (compression_reference's grids, per channel on axis 0)."""
    bits = int(settings["bits"])
    symmetric = settings.get("scheme", "symmetric") == "symmetric"
    per_channel = settings.get("granularity", "per-channel") == "per-channel"
    blocks = w.reshape(w.shape[0], -1) if per_channel else w.reshape(1, -1)
    codes = np.empty(blocks.shape, np.int32)
    for r, block in enumerate(blocks):
        grid = cref.minmax_grid(block, bits, symmetric, 1)
        if grid[0] == "sym":
            codes[r] = np.clip(np.round(block / grid[2]), -grid[1], grid[1])
        else:
            codes[r] = np.clip(np.round(block / grid[2]) + grid[3], 0, grid[1])
    values = cref.quantize(w, w.shape, 0, settings)
    return codes.reshape(w.shape), values


def check_quantized_safetensors(report, lathe, folder, st_path, st_values, gguf_path, gguf_values):
    config = folder / "quantized.yaml"
    config.write_text(QUANTIZED_CONFIG)
    plan = cref.resolve_plan([n for n, v in st_values.items() if v is not None and v.ndim >= 2], QUANTIZED_PLAN)
    out = folder / "quantized.safetensors"
    js, seconds, rss = lathe_json(report, "safetensors export", [lathe, "export", st_path, "--config", config,
                                                                   "--format", "safetensors", "--out", out, "--json"])
    if js is None:
        return
    tensors, metadata = load_exported(out)
    report.check("quantized safetensors: metadata records the version and packing",
                 "lathe.version" in metadata and "low nibble first" in metadata.get("lathe.packing", ""), str(metadata)[:200])
    same = total = 0
    worst = 0.0
    for name, settings in plan.items():
        info = json.loads(metadata.get("lathe.tensor." + name, "{}"))
        w = st_values[name]
        if not report.check(f"quantized safetensors: {name} stored as codes ({info.get('storage')}, "
                            f"{info.get('bits')} bits {info.get('scheme')} {info.get('granularity')})",
                            info.get("bits") == int(settings["bits"]) and name + ".scale" in tensors, str(info)):
            continue
        codes, decoded = dequantize(tensors, name, info)
        want_codes, want = numpy_codes(w, settings)
        same += int(np.sum(codes == want_codes))
        total += codes.size
        gap = float(np.max(np.abs(decoded - want) / np.maximum(np.abs(want), np.float32(1e-30)))) if w.size else 0.0
        worst = max(worst, gap if np.any(decoded != want) else 0.0)
        report.check(f"quantized safetensors: {name} dequantized equals numpy's quantized weights (within float rounding)",
                     np.allclose(decoded, want, rtol=2e-7, atol=0), f"max relative gap {gap:.3g}")
    share = same / total if total else 0.0
    report.check(f"quantized safetensors: codes equal numpy's for {same}/{total} weights ({share:.5f}, >= 0.999)",
                 total > 0 and share >= 0.999)
    original = load_file(str(st_path))
    for name in ("model.position_ids", "model.mask", "model.layers.0.input_layernorm.weight"):
        report.check(f"quantized safetensors: {name} copied as it was",
                     name in tensors and tensors[name].dtype == original[name].dtype
                     and np.array_equal(tensors[name], original[name]))
    print(f"quantized safetensors: {out.stat().st_size} bytes from {st_path.stat().st_size} "
          f"({out.stat().st_size / st_path.stat().st_size:.3f}x), largest value gap {worst:.3g}")

    # GGUF in: quantized layers as above, block tensors left alone come out as gguf dequantizes them.
    gconfig = folder / "gguf-quantized.yaml"
    gconfig.write_text("version: 1\nlayers:\n  blk.0.ffn_down.weight: {bits: 4}\n  blk.1.ffn_down.weight: {bits: 8}\n")
    gout = folder / "gguf-quantized.safetensors"
    js, _, _ = lathe_json(report, "GGUF safetensors export", [lathe, "export", gguf_path, "--config", gconfig,
                                                              "--format", "safetensors", "--out", gout, "--json"])
    if js is not None:
        tensors, metadata = load_exported(gout)
        for name, bits in (("blk.0.ffn_down.weight", 4), ("blk.1.ffn_down.weight", 8)):
            info = json.loads(metadata["lathe.tensor." + name])
            codes, decoded = dequantize(tensors, name, info)
            want_codes, want = numpy_codes(gguf_values[name], {"bits": bits})
            report.check(f"GGUF -> safetensors: {name} codes and values equal numpy's",
                         np.array_equal(codes, want_codes) and np.allclose(decoded, want, rtol=2e-7, atol=0))
        for name, values in gguf_values.items():
            if name in ("blk.0.ffn_down.weight", "blk.1.ffn_down.weight") or values is None:
                continue
            report.check(f"GGUF -> safetensors: {name} dequantized exactly", name in tensors
                         and np.array_equal(tensors[name].astype(np.float32), values))
    expect_bad_input(report, lathe, "safetensors export onto the input: exit 2 naming it",
                     [lathe, "export", st_path, "--config", config, "--format", "safetensors", "--out", st_path],
                     st_path, "overwrite")


def check_llama_tensor_types(report, lathe, folder, gguf_path, st_path):
    config = folder / "llama.yaml"
    config.write_text("version: 1\ndefaults: {bits: 4}\nlayers:\n  blk.1.*: {bits: 8, scheme: asymmetric}\n"
                      "  blk.2.*: {bits: fp16}\n  blk.3.*: {bits: 4, grid: nf4}\n  blk.4.*: {clusters: 16}\n"
                      "  blk.5.*: {bits: 5, prune: 0.5}\n  blk.6.*: {bits: 32}\n")
    out = folder / "tensor-types.txt"
    code, _, stderr, _, _ = run_measured([lathe, "export", gguf_path, "--config", config, "--format",
                                          "llama-tensor-types", "--out", out])
    if not report.check("llama-tensor-types export", code == 0, short(stderr)):
        return
    import re
    text = out.read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    header = [line for line in text.splitlines() if line.startswith("#")]
    names = [t.name for t in gguf.GGUFReader(str(gguf_path)).tensors]
    ggml_names = {t.name.lower() for t in QT}
    want = {"blk.0.ffn_down.weight": "q4_0", "blk.1.ffn_down.weight": "q8_0", "blk.2.ffn_down.weight": "f16",
            "blk.3.ffn_down.weight": "iq4_nl", "blk.4.ffn_down.weight": "q4_0", "blk.5.ffn_down.weight": "q5_0",
            "blk.6.ffn_down.weight": "q5_0", "blk.7.ffn_down.weight": "q4_0"}
    got = {}
    for line in lines:
        match = re.fullmatch(r"--tensor-type (\S+)=(\S+)", line)
        if not report.check(f"llama-tensor-types: '{line}' is --tensor-type NAME=TYPE", match is not None):
            continue
        pattern, kind = match.groups()
        hits = [n for n in names if re.search(pattern, n)]
        report.check(f"llama-tensor-types: {pattern} matches exactly one tensor and {kind} is a ggml type",
                     len(hits) == 1 and kind in ggml_names, f"matches {hits}")
        if hits:
            got[hits[0]] = kind
    # blk.6 is Q5_0 in the file and left at float: an unchanged layer keeps its stored type.
    report.check("llama-tensor-types: every layer mapped as the README's table says", got == want, str(got))
    inexact = "\n".join(header)
    report.check("llama-tensor-types: the header lists the inexact settings and their types",
                 all(s in inexact for s in ("{bits 4} -> q4_0", "nf4 levels", "16-entry codebook", "unstructured pruning",
                                            "{bits 8, scheme asymmetric} -> q8_0"))
                 and "{bits fp16}" not in inexact, inexact[:600])
    st_out = folder / "tensor-types-st.txt"
    st_config = folder / "llama-st.yaml"
    st_config.write_text(QUANTIZED_CONFIG)
    code, _, stderr, _, _ = run_measured([lathe, "export", st_path, "--config", st_config, "--format",
                                          "llama-tensor-types", "--out", st_out])
    report.check("llama-tensor-types of a safetensors file names its tensors and says so", code == 0
                 and "^model\\.layers\\.0\\.mlp\\.down_proj\\.weight$=q4_0" in st_out.read_text() and "safetensors tensor names" in st_out.read_text(),
                 short(stderr))
    onnx_model = Path(__file__).resolve().parent.parent / "samples" / "lenet5" / "model.onnx"
    expect_bad_input(report, lathe, "llama-tensor-types of an ONNX model: exit 2 naming it",
                     [lathe, "export", onnx_model, "--config", config, "--format", "llama-tensor-types",
                      "--out", folder / "never.txt"], onnx_model, "weights-only")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lathe", help="path to the lathe binary")
    parser.add_argument("--big-gb", type=float, default=1.0, help="size of the big synthetic file (GB, in /tmp)")
    args = parser.parse_args()
    lathe = lathe_from_args(parser, args)
    report = Report()
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory(prefix="lathe-weights-") as tmp:
        folder = Path(tmp)

        st_path = folder / "model.safetensors"
        st_values = write_safetensors(st_path, rng)
        js, _, _ = lathe_json(report, "safetensors inspect", [lathe, "inspect", st_path, "--json"])
        if js is not None:
            check_layers(report, "safetensors", js, st_values)
            roles = {t["name"]: t["role"] for t in js["tensors"]}
            report.check("safetensors: integer tensors listed, not layers",
                         roles.get("model.position_ids") == "integer" and roles.get("model.mask") == "integer"
                         and roles.get("model.layers.0.input_layernorm.weight") == "float", str(roles))
            report.check("safetensors: size_bytes is the data section",
                         js["size_bytes"] == st_path.stat().st_size - 8 - int.from_bytes(st_path.read_bytes()[:8], "little"),
                         str(js["size_bytes"]))
        check_sensitivity(report, lathe, "safetensors", st_path, st_values)

        shard_folder = folder / "sharded"
        shard_folder.mkdir()
        index, shard_values = write_sharded(shard_folder, rng)
        js, _, _ = lathe_json(report, "sharded inspect", [lathe, "inspect", index, "--json"])
        if js is not None:
            check_layers(report, "sharded", js, shard_values)
            report.check("sharded: every tensor of both shards listed",
                         sorted(t["name"] for t in js["tensors"]) == sorted(shard_values),
                         str([t["name"] for t in js["tensors"]]))

        gguf_path = folder / "model.gguf"
        gguf_values = write_gguf(gguf_path, rng)
        js, _, _ = lathe_json(report, "GGUF inspect", [lathe, "inspect", gguf_path, "--json", "--bins", "4096"])
        if js is not None:
            check_layers(report, "GGUF", js, gguf_values, exact=True)
            kinds = {t["name"]: (t["dtype"], t["role"]) for t in js["tensors"]}
            report.check("GGUF: I32 and Q4_K tensors listed by type, not decoded",
                         kinds.get("token_types") == ("I32", "integer")
                         and kinds.get("blk.9.attn_k.weight") == ("Q4_K", "not decoded"), str(kinds))
            meta = js.get("metadata", {})
            report.check("GGUF: metadata read (strings, arrays)", meta.get("general.name") == "lathe-crosscheck"
                         and meta.get("tokenizer.ggml.tokens") == "[4 × string]", str(meta)[:300])
            dtypes = {layer["name"]: layer["dtype"] for layer in js["layers"]}
            report.check("GGUF: every decoded type is a layer", sorted(set(dtypes.values())) ==
                         sorted(t.name for t in GGUF_TYPES), str(dtypes))
        check_sensitivity(report, lathe, "GGUF", gguf_path, gguf_values)
        check_quantized_safetensors(report, lathe, folder, st_path, st_values, gguf_path, gguf_values)
        check_llama_tensor_types(report, lathe, folder, gguf_path, st_path)

        data = folder / "data.npz"
        np.savez(data, x=np.zeros((2, 3), np.float32))
        expect_bad_input(report, lathe, "sensitivity --data with a checkpoint: exit 2 naming it",
                         [lathe, "sensitivity", gguf_path, "--data", data], gguf_path, "weights-only")

        for label, path, contain in malformed_files(folder, st_path):
            expect_bad_input(report, lathe, f"malformed ({label}): exit 2 naming the file",
                             [lathe, "inspect", path, "--json"], path, contain)

        transformer = folder / "transformer.safetensors"
        arrays = write_transformer(transformer, rng)
        size_mb = transformer.stat().st_size / 1e6
        js, seconds, rss = lathe_json(report, "transformer inspect", [lathe, "inspect", transformer, "--json"])
        if js is not None:
            report.check(f"{size_mb:.0f} MB transformer checkpoint: inspect in {seconds:.2f} s (<= {INSPECT_SECONDS}), "
                         f"peak RSS {rss:.0f} MB (<= {INSPECT_RSS_MB})",
                         seconds <= INSPECT_SECONDS and rss <= INSPECT_RSS_MB)
            probe = "model.layers.5.mlp.down_proj.weight"
            layer = next((entry for entry in js["layers"] if entry["name"] == probe), None)
            v = arrays[probe].astype(np.float32)
            detail = "missing" if layer is None else (stats_check(v, layer["stats"]) + histogram_check(v, layer["histogram"]))
            report.check(f"transformer: {probe} statistics and histogram", not detail, detail)
        code, _, stderr, seconds, rss = run_measured([lathe, "sensitivity", transformer, "--bits", "2,4,8",
                                                      "--target-bits", "4.5", "--json"])
        report.check(f"transformer sensitivity at 2/4/8 bits: {seconds:.2f} s, peak RSS {rss:.0f} MB", code == 0,
                     short(stderr))
        # The quantized safetensors writer streams: its memory follows the largest layer, not the file.
        int4 = folder / "int4.yaml"
        int4.write_text("version: 1\ndefaults: {bits: 4}\n")
        quantized = folder / "transformer-int4.safetensors"
        code, _, stderr, seconds, rss = run_measured([lathe, "export", transformer, "--config", int4, "--format",
                                                      "safetensors", "--out", quantized])
        ratio = quantized.stat().st_size / transformer.stat().st_size if quantized.exists() else 0
        report.check(f"transformer int4 safetensors export: {seconds:.2f} s, peak RSS {rss:.0f} MB "
                     f"(<= {INSPECT_RSS_MB}, the file is {size_mb:.0f} MB), {ratio:.3f}x the file",
                     code == 0 and rss <= INSPECT_RSS_MB, short(stderr))
        quantized.unlink(missing_ok=True)
        transformer.unlink()

    big_dir = Path("/tmp")
    big = big_dir / f"lathe-weights-big-{os.getpid()}.safetensors"
    try:
        count, probe, sample = write_big(big, args.big_gb, rng)
        size_mb = big.stat().st_size / 1e6
        js, seconds, rss = lathe_json(report, "big inspect", [lathe, "inspect", big, "--json"])
        if js is not None:
            report.check(f"{size_mb:.0f} MB checkpoint ({count} F16 tensors): inspect in {seconds:.1f} s, peak RSS "
                         f"{rss:.0f} MB (<= 1/4 of the file)", rss <= size_mb / 4 and len(js["layers"]) == count)
            layer = next((entry for entry in js["layers"] if entry["name"] == probe), None)
            detail = "missing" if layer is None else (stats_check(sample, layer["stats"])
                                                      + histogram_check(sample, layer["histogram"]))
            report.check(f"big checkpoint: {probe} (the last tensor) statistics equal numpy's", not detail, detail)
    finally:
        big.unlink(missing_ok=True)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
