"""Train the sequence, control-flow and fixed-batch samples (issue 11) and write
them with their evaluation data and onnxruntime references.

Run from the repository root after samples/make_samples.py (`make samples` runs
both): it reuses that script's data splits. Deterministic: fixed seeds,
single-threaded BLAS. numpy trains, the `onnx` package writes, onnxruntime
measures.

    samples/<name>/{model.onnx, data.npz, reference.npy, README.md}
        (+ reference_<output>.npy for every further output)
    samples/summary.json  (entries added / replaced under "samples")

`--only crnn,kws` regenerates a subset.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy_nn as nn  # noqa: E402
from make_samples import (cosine, digits_split, file_size, lenet_normalise, log, mnist_split,  # noqa: E402
                          random_shift, save_model, write_npz)
from onnx_build import (FLOAT, GraphBuilder, ort_outputs_batched, recurrent_node,  # noqa: E402
                        tensor_info)

OPSET = 17
INT64 = TensorProto.INT64


# --------------------------------------------------------------------------- writing

def all_ops(graph, found=None):
    """Op types of a graph and of every subgraph (If branches, Loop/Scan bodies)."""
    found = set() if found is None else found
    for node in graph.node:
        found.add((node.domain + "." if node.domain else "") + node.op_type)
        for attr in node.attribute:
            if attr.type == onnx.AttributeProto.GRAPH:
                all_ops(attr.g, found)
            for sub in attr.graphs:
                all_ops(sub, found)
    return sorted(found)


def value_shape(v):
    dims = []
    for d in v.type.tensor_type.shape.dim:
        dims.append(d.dim_value if d.HasField("dim_value") else (d.dim_param or None))
    return dims


def dtype_name(elem_type):
    return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type)).name


def write_sequence_sample(name, model, feeds, labels, readme, metrics, batched=("x",), out_axes=None,
                          fixed_batch=None, extra_arrays=None, score=None):
    """Save model + data, run onnxruntime over every output, store references, README and
    return the summary entry. `labels` (or None) are stored as `y`; `extra_arrays` go to
    data.npz too. `metrics(outputs)` → dict of figures from the onnxruntime outputs;
    `readme(figures, info)` → the README text."""
    folder = HERE / name
    folder.mkdir(exist_ok=True)
    for old in folder.glob("reference*.npy"):
        old.unlink()
    if model is not None:
        onnx.checker.check_model(model, full_check=True)
        save_model(model, folder / "model.onnx")
    model = onnx.load(str(folder / "model.onnx"))
    onnx.checker.check_model(model, full_check=True)
    arrays = dict(feeds)
    if labels is not None:
        arrays["y"] = labels
    arrays.update(extra_arrays or {})
    write_npz(folder / "data.npz", **arrays)
    graph_inputs = {i.name for i in model.graph.input} - {t.name for t in model.graph.initializer}
    ort_feeds = {}
    for inp in model.graph.input:
        if inp.name in graph_inputs:
            want = helper.tensor_dtype_to_np_dtype(inp.type.tensor_type.elem_type)
            ort_feeds[inp.name] = np.asarray(feeds[inp.name]).astype(want)
    outs = ort_outputs_batched(folder / "model.onnx", ort_feeds, batched, out_axes=out_axes, fixed_batch=fixed_batch)
    names = [o.name for o in model.graph.output]
    score = score or next(o.name for o in model.graph.output if o.type.tensor_type.elem_type == FLOAT)
    np.save(folder / "reference.npy", outs[score])
    for o in names:
        if o != score:
            np.save(folder / f"reference_{o.replace('/', '_')}.npy", outs[o])
    figures = metrics(outs)
    params = int(sum(np.prod(t.dims) for t in model.graph.initializer if len(t.dims) >= 1))
    opsets = {o.domain or "ai.onnx": o.version for o in model.opset_import}
    info = {**figures, "samples": int(len(feeds[batched[0]])),
            "inputs": {i.name: {"shape": value_shape(i), "dtype": dtype_name(i.type.tensor_type.elem_type),
                                "data_shape": list(np.shape(feeds[i.name])),
                                "data_dtype": str(np.asarray(feeds[i.name]).dtype)}
                       for i in model.graph.input if i.name in graph_inputs},
            "outputs": {o.name: {"shape": value_shape(o), "dtype": dtype_name(o.type.tensor_type.elem_type),
                                 "batch_axis": (out_axes or {}).get(o.name, 0)} for o in model.graph.output},
            "output": score, "opset": opsets.get("ai.onnx"), "parameters": params, "ops": all_ops(model.graph),
            "bytes": {f.name: file_size(f) for f in sorted(folder.iterdir()) if f.suffix in (".onnx", ".npz", ".npy")}}
    if fixed_batch:
        info["fixed_batch"] = fixed_batch
    (folder / "README.md").write_text(readme(figures, info).strip() + "\n")
    total = sum(info["bytes"].values())
    shown = ", ".join(f"{k} {v:.4f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items())
    log(f"{name}: {shown} ({params} parameters, {total / 1e6:.2f} MB)")
    return info


def io_lines(info):
    """README lines describing the graph inputs and outputs."""
    def fmt(shape):
        return "[" + ", ".join(str(d) if d is not None else "?" for d in shape) + "]"
    lines = []
    for name, i in info["inputs"].items():
        lines.append(f"- input `{name}`: {i['dtype']} {fmt(i['shape'])} (data.npz `{name}`: {i['data_dtype']} "
                     f"{fmt(i['data_shape'])})")
    for name, o in info["outputs"].items():
        ref = "reference.npy" if name == info["output"] else f"reference_{name}.npy"
        axis = f", batch axis {o['batch_axis']}" if o["batch_axis"] else ""
        lines.append(f"- output `{name}`: {o['dtype']} {fmt(o['shape'])}{axis} (onnxruntime: `{ref}`)")
    return "\n".join(lines)


def footer(info):
    opsets = f"opset {info['opset']}"
    return (f"\n\nOps ({opsets}, including subgraphs): {', '.join(info['ops'])}. {info['parameters']} stored "
            f"parameters. Files: " + ", ".join(f"{k} {v / 1e3:.0f} kB" for k, v in info["bytes"].items()) + ".")


def train_loop(params_model, epochs, batches, step, lr, log_every=1, lr_decay=None):
    """Adam over `params_model` (anything with .parameters()); `batches(epoch)` yields
    batches, `step(batch)` runs forward+backward and returns (loss, correct, count)."""
    opt = nn.Adam(params_model, lr=lr)
    for epoch in range(epochs):
        if lr_decay is not None:
            opt.lr = lr * lr_decay(epoch)
        losses, correct, count = [], 0, 0
        for b in batches(epoch):
            loss, c, k = step(b)
            opt.step()
            losses.append(loss)
            correct += c
            count += k
        if (epoch + 1) % log_every == 0 or epoch + 1 == epochs:
            log(f"  epoch {epoch + 1}/{epochs}: loss {np.mean(losses):.4f}, train acc {correct / max(count, 1):.4f}")


def minibatches(n, batch, rng):
    order = rng.permutation(n)
    return [order[s:s + batch] for s in range(0, n, batch)]


# --------------------------------------------------------------------------- crnn

CRNN_DIGITS, CRNN_T, CRNN_BLANK, CRNN_CLASSES = 4, 28, 0, 11
CRNN_HIDDEN = 32


def render_strings(images, labels, count, rng, jitter=3):
    """`count` images [N,1,28,112] of 4 digits side by side (each shifted by up to
    ±`jitter` pixels inside its 28-pixel slot, overlaps by max) and their labels [N,4]."""
    picks = rng.integers(0, len(images), (count, CRNN_DIGITS)) if count else None
    return compose(images, labels, picks, rng, jitter)


def compose(images, labels, picks, rng, jitter=3):
    n = len(picks)
    canvas = np.zeros((n, 1, 28, 28 * CRNN_DIGITS + 2 * jitter), np.uint8)
    shifts = rng.integers(-jitter, jitter + 1, picks.shape)
    for k in range(CRNN_DIGITS):
        for i in range(n):
            x0 = jitter + 28 * k + shifts[i, k]
            region = canvas[i, 0, :, x0:x0 + 28]
            np.maximum(region, images[picks[i, k], 0], out=region)
    return canvas[:, :, :, jitter:jitter + 28 * CRNN_DIGITS], labels[picks]


def crnn_frame_targets(strings):
    """Per-time-step classes [N, 28]: each digit owns 7 steps (4 pixel columns each);
    its middle three are the digit (class d+1), the rest blank (class 0)."""
    n = len(strings)
    t = np.full((n, CRNN_T), CRNN_BLANK, np.int64)
    for k in range(CRNN_DIGITS):
        t[:, 7 * k + 2:7 * k + 5] = strings[:, k:k + 1] + 1
    return t


def greedy_decode(log_probs):
    """CTC greedy decoding of [T, N, C]: best class per step, merge repeats, drop blanks."""
    best = log_probs.argmax(2).T
    out = []
    for row in best:
        keep = np.concatenate([[True], row[1:] != row[:-1]]) & (row != CRNN_BLANK)
        out.append(row[keep] - 1)
    return out


def edit_distance(a, b):
    d = np.arange(len(b) + 1)
    for i in range(1, len(a) + 1):
        prev, d[0] = d[0], i
        for j in range(1, len(b) + 1):
            cur = min(d[j] + 1, d[j - 1] + 1, prev + (a[i - 1] != b[j - 1]))
            prev, d[j] = d[j], cur
    return int(d[-1])


def crnn_metrics(log_probs, strings):
    decoded = greedy_decode(log_probs)
    exact = np.mean([len(d) == CRNN_DIGITS and np.array_equal(d, s) for d, s in zip(decoded, strings)])
    per_pos = np.mean([[k < len(d) and d[k] == s[k] for k in range(CRNN_DIGITS)] for d, s in zip(decoded, strings)])
    cer = sum(edit_distance(list(d), list(s)) for d, s in zip(decoded, strings)) / (CRNN_DIGITS * len(strings))
    frames = float((log_probs.argmax(2).T == crnn_frame_targets(strings)).mean())
    return {"string_accuracy": float(exact), "position_accuracy": float(per_pos), "cer": float(cer),
            "frame_accuracy": frames}


class CRNN:
    def __init__(self, rng):
        self.convs = nn.Sequential([nn.Conv2D(rng, 1, 8, 3, 1, 1), nn.ReLU(), nn.MaxPool2(),
                                    nn.Conv2D(rng, 8, 16, 3, 1, 1), nn.ReLU(), nn.MaxPool2()])
        self.rnn = nn.Bidirectional(rng, nn.LSTM, 16 * 7, CRNN_HIDDEN)
        self.fc = nn.Dense(rng, 2 * CRNN_HIDDEN, CRNN_CLASSES, in_out=True)
        self.all = nn.Sequential(self.convs.layers + [self.rnn, self.fc])

    def parameters(self):
        return self.all.parameters()

    def forward(self, x, train=False):
        f = self.convs.forward(x, train)                       # [N, 16, 7, 28]
        self.fshape = f.shape
        seq = f.transpose(3, 0, 1, 2).reshape(CRNN_T, len(x), -1)  # [T, N, 112] (the graph's Transpose+Reshape)
        y = self.rnn.forward(seq, train)                       # [T, N, 64]
        return self.fc.forward(y.reshape(-1, y.shape[2]), train).reshape(CRNN_T, len(x), -1)

    def backward(self, dlogits):
        d = self.fc.backward(dlogits.reshape(-1, CRNN_CLASSES)).reshape(CRNN_T, -1, 2 * CRNN_HIDDEN)
        d = self.rnn.backward(d)
        n, c, h, w = self.fshape
        d = d.reshape(w, n, c, h).transpose(1, 2, 3, 0)
        self.convs.backward(np.ascontiguousarray(d))


def train_crnn(xtr, ytr):
    rng = np.random.default_rng(11)
    model = CRNN(rng)
    epochs, per_epoch, batch = 8, 3000, 32

    def batches(epoch):
        x, s = render_strings(xtr, ytr, per_epoch, rng)
        x = random_shift(x, rng, 1)
        xn = lenet_normalise(x)
        t = crnn_frame_targets(s)
        return [(xn[i], t[i]) for i in minibatches(per_epoch, batch, rng)]

    def step(b):
        xb, tb = b
        logits = model.forward(xb, train=True)                 # [T, N, C]
        flat = logits.reshape(-1, CRNN_CLASSES)
        labels = tb.T.reshape(-1)
        loss, d = nn.softmax_cross_entropy(flat, labels)
        model.backward(d.reshape(logits.shape))
        return loss, int((flat.argmax(1) == labels).sum()), len(labels)

    train_loop(model, epochs, batches, step, 3e-3, lr_decay=cosine(epochs))
    return model


def crnn_model(m):
    g = GraphBuilder()
    from make_samples import MNIST_MEAN
    g.weight("input_scale", np.array(255.0, np.float32))
    g.weight("input_mean", MNIST_MEAN.reshape(()))
    h = g.node("Div", ["x", "input_scale"], "scaled", name="/input/Div")
    h = g.node("Sub", [h, "input_mean"], "normalised", name="/input/Sub")
    convs = [m.convs.layers[0], m.convs.layers[3]]
    for i, conv in enumerate(convs, 1):
        g.weight(f"conv{i}.weight", conv.params["W"])
        g.weight(f"conv{i}.bias", conv.params["b"])
        h = g.node("Conv", [h, f"conv{i}.weight", f"conv{i}.bias"], f"conv{i}_out", name=f"/conv{i}/Conv",
                   kernel_shape=[3, 3], pads=[1, 1, 1, 1])
        h = g.node("Relu", [h], f"relu{i}_out", name=f"/relu{i}/Relu")
        h = g.node("MaxPool", [h], f"pool{i}_out", name=f"/pool{i}/MaxPool", kernel_shape=[2, 2], strides=[2, 2])
    # [N, 16, 7, 28] → columns as a sequence [28, N, 16*7]
    h = g.node("Transpose", [h], "columns", name="/to_sequence/Transpose", perm=[3, 0, 1, 2])
    g.weight("seq_shape", np.array([0, 0, -1], np.int64))
    h = g.node("Reshape", [h, "seq_shape"], "sequence", name="/to_sequence/Reshape")
    y = recurrent_node(g, "LSTM", m.rnn, h, ["lstm_Y"], "rnn", direction="bidirectional")
    # Y [T, 2, N, H] → [T, N, 2H]
    y = g.node("Transpose", [y], "lstm_Y_t", name="/rnn/Transpose", perm=[0, 2, 1, 3])
    y = g.node("Reshape", [y, "seq_shape"], "lstm_features", name="/rnn/Reshape")
    g.weight("fc.weight", m.fc.params["W"])
    g.weight("fc.bias", m.fc.params["b"])
    y = g.node("MatMul", [y, "fc.weight"], "fc_matmul", name="/fc/MatMul")
    y = g.node("Add", [y, "fc.bias"], "logits", name="/fc/Add")
    g.node("LogSoftmax", [y], "log_probs", name="/log_softmax/LogSoftmax", axis=2)
    return g.model([tensor_info("x", FLOAT, ["N", 1, 28, 28 * CRNN_DIGITS])],
                   [tensor_info("log_probs", FLOAT, [CRNN_T, "N", CRNN_CLASSES])], opset=OPSET, name="crnn")


CRNN_README = """
# CRNN digit-string recognizer (bidirectional LSTM, sequence-first output)

A CRNN-style text recognizer: images of four MNIST digits rendered side by side (each jittered by up to ±3
pixels inside its 28-pixel slot, plus a ±1-pixel shift of the whole strip) are read as a sequence of 28 columns.
Graph: raw pixels 0..255 as float `x` [N,1,28,112], normalised in the graph (Div 255, Sub 0.1307); Conv 3×3
(1→8) + Relu + MaxPool 2, Conv 3×3 (8→16) + Relu + MaxPool 2 → [N,16,7,28]; Transpose (perm 3,0,1,2) + Reshape
[0,0,-1] turn the 28 columns into a time-major sequence [28,N,112]; a bidirectional ONNX `LSTM` (hidden 32 per
direction, default activations, no initial state, output `Y` [28,2,N,32]); Transpose + Reshape to [28,N,64]; a
per-time-step linear layer (MatMul [64,11] + Add); LogSoftmax over the classes. The output `log_probs` is
**sequence-first** `[T=28, N, 11]` like CTC models: class 0 is the CTC blank, class d+1 is digit d.

{io}

Trained by samples/make_sequence_samples.py with numpy only (BPTT through the LSTM written for these samples in
samples/numpy_nn.py and checked against central differences before training: largest relative error
{gradcheck:.1e}): Adam, cosine learning rate, 8 epochs of 3,000 freshly composed strings from the 3,000 MNIST
training images of the other samples. Target: framewise cross-entropy where each digit owns 7 time steps, its
middle three labelled with the digit and the rest blank (a CTC-compatible alignment, so greedy CTC decoding
applies). `data.npz` holds {n} strings made from the 2,000 held-out MNIST images (each used exactly once): uint8 `x`
[N,1,28,112] and the digit strings `y` [N,4] int64 (digits 0-9, not classes).

On these {n} strings, from the onnxruntime outputs with greedy CTC decoding (argmax per step, merge repeats, drop
blanks): string accuracy {string_accuracy:.2%}, per-position accuracy {position_accuracy:.2%} (decoded
character k equals digit k), character error rate {cer:.2%} (edit distance), frame accuracy against the training
alignment {frame_accuracy:.2%}. Scoring `log_probs` as a classifier needs the batch axis 1 (`[T, N, C]`); there
are no per-sample class labels (`y` is [N,4]).
"""


# --------------------------------------------------------------------------- synthetic audio and log-mel features

SR, N_FFT, HOP, MELS = 8000, 256, 160, 20


def mel_filterbank(n_mels=MELS, n_fft=N_FFT, sr=SR, fmin=60.0, fmax=3800.0):
    """Triangular filters equally spaced on the mel scale, [n_mels, n_fft//2+1]."""
    def mel(f):
        return 2595 * np.log10(1 + f / 700)

    def hz(m):
        return 700 * (10 ** (m / 2595) - 1)
    edges = hz(np.linspace(mel(fmin), mel(fmax), n_mels + 2))
    freqs = np.fft.rfftfreq(n_fft, 1 / sr)
    fb = np.zeros((n_mels, len(freqs)))
    for m in range(n_mels):
        lo, mid, hi = edges[m:m + 3]
        fb[m] = np.clip(np.minimum((freqs - lo) / (mid - lo), (hi - freqs) / (hi - mid)), 0, None)
    return fb


def log_mel(audio):
    """[N, samples] → log-mel energies [N, frames, 20] (Hann window 256, hop 160 = 20 ms)."""
    frames = 1 + (audio.shape[1] - N_FFT) // HOP
    idx = np.arange(N_FFT)[None, :] + HOP * np.arange(frames)[:, None]
    spec = np.abs(np.fft.rfft(audio[:, idx] * np.hanning(N_FFT), axis=2)) ** 2
    return np.log(spec @ mel_filterbank().T + 1e-6)


def background(rng, n):
    """Coloured noise (white to brown-ish, a one-pole low-pass) plus, sometimes, mains hum."""
    alpha = rng.uniform(0, 0.97)
    noise = np.convolve(rng.standard_normal(n), alpha ** np.arange(64))[:n]
    noise /= noise.std() + 1e-9
    if rng.random() < 0.3:
        t = np.arange(n) / SR
        f = rng.choice([50.0, 60.0])
        noise += sum(rng.uniform(0.2, 0.8) * np.sin(2 * np.pi * f * k * t) for k in (1, 2, 3))
    return noise


def envelope(n, start, length, ramp=200):
    env = np.zeros(n)
    end = min(n, start + length)
    env[start:end] = 1.0
    r = np.minimum(np.arange(end - start), np.arange(end - start)[::-1])
    env[start:end] = np.minimum(1.0, r / ramp)
    return env


KWS_CLASSES = ["background", "up_chirp", "down_chirp", "tone", "double_beep", "warble"]


def kws_clip(cls, rng, n, onset_min):
    """One clip of `n` samples: background noise plus the keyword `cls` (0 = none)
    starting after `onset_min` samples, at 0-20 dB SNR."""
    t = np.arange(n) / SR
    bg = background(rng, n)
    if cls == 0:
        return bg * rng.uniform(0.3, 1.0)
    length = int(rng.uniform(0.3, 0.55) * SR)
    start = int(rng.uniform(onset_min, n - length))
    env = envelope(n, start, length)
    tt = np.clip(t - start / SR, 0, None)
    dur = length / SR
    if cls in (1, 2):
        f0, f1 = rng.uniform(300, 900), rng.uniform(1800, 3200)
        if cls == 2:
            f0, f1 = f1, f0
        phase = 2 * np.pi * (f0 * tt + (f1 - f0) * tt ** 2 / (2 * dur))
    elif cls == 3:
        phase = 2 * np.pi * rng.uniform(400, 3000) * tt
    elif cls == 4:
        phase = 2 * np.pi * rng.uniform(600, 2500) * tt
        gap = (tt > dur * 0.4) & (tt < dur * 0.6)
        env = env * ~gap
    else:
        fc, dev, rate = rng.uniform(800, 2500), rng.uniform(150, 400), rng.uniform(5, 10)
        phase = 2 * np.pi * fc * tt - dev / rate * np.cos(2 * np.pi * rate * tt)
    sig = env * np.sin(phase)
    snr_db = rng.uniform(0, 20)
    sig *= np.sqrt(10 ** (snr_db / 10)) / (np.sqrt((sig ** 2).sum() / max(length, 1)) + 1e-9) * 1.0
    return (sig + bg) * rng.uniform(0.3, 1.0)


def speech_like(rng, n):
    """A voiced, syllabic, formant-shaped harmonic signal (a crude stand-in for speech)."""
    t = np.arange(n) / SR
    f0 = rng.uniform(90, 240) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.5, 2) * t + rng.uniform(0, 6)))
    phase = 2 * np.pi * np.cumsum(f0) / SR
    formants = rng.uniform([300, 900, 2200], [800, 1800, 3000])
    sig = np.zeros(n)
    for k in range(1, int(3800 / f0.max())):
        fk = k * f0.mean()
        gain = sum(np.exp(-((fk - f) / 150) ** 2) for f in formants) + 0.05
        sig += gain * np.sin(k * phase)
    syll = 0.5 * (1 + np.sin(2 * np.pi * rng.uniform(3, 6) * t + rng.uniform(0, 6))) ** 2
    return sig * syll


def vad_chunk(speech, rng, n):
    bg = background(rng, n)
    if rng.random() < 0.3:  # non-speech tones/beeps as distractors
        bg += rng.uniform(0.5, 3) * np.sin(2 * np.pi * rng.uniform(300, 3000) * np.arange(n) / SR)
    if not speech:
        return bg * rng.uniform(0.2, 1.0)
    sig = speech_like(rng, n)
    snr_db = rng.uniform(-5, 15)
    sig *= np.sqrt(10 ** (snr_db / 10)) / (sig.std() + 1e-9)
    return (sig + bg) * rng.uniform(0.2, 1.0)


def quantize_features(f):
    """Features rounded to 1/64 (exact in float32, and the npz compresses)."""
    return (np.round(f * 64) / 64).astype(np.float32)


def feature_norm(g, x, mean, std):
    """Per-band normalisation in the graph: (x - mean) * (1/std)."""
    g.weight("feature_mean", mean.astype(np.float32))
    g.weight("feature_inv_std", (1 / std).astype(np.float32))
    h = g.node("Sub", [x, "feature_mean"], "centred", name="/features/Sub")
    return g.node("Mul", [h, "feature_inv_std"], "normalised", name="/features/Mul")


# --------------------------------------------------------------------------- kws

KWS_HIDDEN, KWS_PREROLL, KWS_SECONDS = 32, 25, 1.5


def kws_data(rng, per_class):
    n = int(KWS_SECONDS * SR)
    labels = np.repeat(np.arange(len(KWS_CLASSES)), per_class)
    rng.shuffle(labels)
    onset_min = KWS_PREROLL * HOP + int(0.05 * SR)   # keywords start inside the scored window
    audio = np.stack([kws_clip(int(c), rng, n, onset_min) for c in labels])
    return quantize_features(log_mel(audio)), labels.astype(np.int64)


class KWS:
    def __init__(self, rng, mean, std):
        self.mean, self.std = mean, std
        self.rnn = nn.GRU(rng, MELS, KWS_HIDDEN)
        self.fc = nn.Dense(rng, KWS_HIDDEN, len(KWS_CLASSES))
        self.all = nn.Sequential([self.rnn, self.fc])

    def parameters(self):
        return self.all.parameters()

    def forward(self, feats, train=False):
        seq = ((feats - self.mean) / self.std).astype(np.float32).transpose(1, 0, 2)
        self.rnn.forward(seq, train)
        return self.fc.forward(self.rnn.h_last, train)

    def backward(self, d):
        dh = self.fc.backward(d)
        self.rnn.backward(np.zeros((self.rnn.cache[0].shape[0], len(d), KWS_HIDDEN), np.float32), dh)


def train_kws(feats, labels):
    rng = np.random.default_rng(21)
    mean, std = feats.mean((0, 1)), feats.std((0, 1))
    model = KWS(rng, mean, std)
    epochs = 12

    def step(idx):
        logits = model.forward(feats[idx], train=True)
        loss, d = nn.softmax_cross_entropy(logits, labels[idx])
        model.backward(d)
        return loss, int((logits.argmax(1) == labels[idx]).sum()), len(idx)

    train_loop(model, epochs, lambda e: minibatches(len(feats), 32, rng), step, 5e-3, lr_decay=cosine(epochs))
    return model


def kws_model(m):
    g = GraphBuilder()
    h = feature_norm(g, "x", m.mean, m.std)
    # batch-first model, time-major GRU (onnxruntime implements only layout=0), as torch exports batch_first=True
    h = g.node("Transpose", [h], "time_major", name="/gru/Transpose_x", perm=[1, 0, 2])
    h0 = g.node("Transpose", ["h0"], "initial_h", name="/gru/Transpose_h0", perm=[1, 0, 2])
    recurrent_node(g, "GRU", m.rnn, h, ["", "Y_h"], "gru", linear_before_reset=1, extra_inputs=["", h0])
    g.node("Transpose", ["Y_h"], "h_n", name="/gru/Transpose_h_n", perm=[1, 0, 2])
    h = g.node("Flatten", ["h_n"], "h_last", name="/head/Flatten", axis=1)
    g.weight("head.weight", m.fc.params["W"])
    g.weight("head.bias", m.fc.params["b"])
    h = g.node("Gemm", [h, "head.weight", "head.bias"], "logits", name="/head/Gemm", transB=1)
    g.node("Softmax", [h], "probabilities", name="/softmax/Softmax", axis=1)
    return g.model([tensor_info("x", FLOAT, ["N", "T", MELS]), tensor_info("h0", FLOAT, ["N", 1, KWS_HIDDEN])],
                   [tensor_info("probabilities", FLOAT, ["N", len(KWS_CLASSES)]),
                    tensor_info("h_n", FLOAT, ["N", 1, KWS_HIDDEN])], opset=OPSET, name="kws")


KWS_README = """
# Keyword spotter (GRU over log-mel features, streaming state input)

A keyword-spotter-style model over synthetic audio (8 kHz) made with numpy: six classes —
{classes} — each clip coloured background noise (sometimes with mains hum) plus, except for `background`, a 0.30-0.55 s "keyword" at
0-20 dB SNR: a rising or falling chirp, a steady tone, a double beep, or a warble (sinusoidal FM). Features:
log-mel energies, 20 bands (60-3800 Hz), Hann window 256, hop 160 (20 ms), computed with numpy and rounded to
1/64.

Streaming, as deployed keyword spotters run: each 1.5 s clip is split into a 0.5 s pre-roll (25 frames,
background only) and the scored window (49 frames, which holds the keyword). The pre-roll was already seen: its
GRU state — computed by onnxruntime with this model from a zero state (output `h_n`) — is the second input `h0`.
Running the model on all 74 frames from a zero state gives the same probabilities.

Graph: per-band normalisation (Sub mean, Mul 1/std); the batch-first inputs `x` [N,T,20] and `h0` [N,1,32]
(per-sample state, batch first) are Transposed to the time-major layout of a forward ONNX `GRU` (`layout=0`:
onnxruntime 1.x rejects `layout=1` for GRU/LSTM/RNN — "Batchwise recurrent operations (layout == 1) are not
supported" — so exporters of batch_first models emit these Transposes), `X` [T,N,20], `initial_h` [1,N,32], hidden
32, `linear_before_reset=1`, output `Y` omitted, `Y_h` [1,N,32] Transposed back to `h_n` [N,1,32]; Flatten, Gemm
32→6, Softmax. The time axis is symbolic (`T`).

{io}

Trained by samples/make_sequence_samples.py with numpy only (BPTT through the GRU from samples/numpy_nn.py,
gradient-checked), Adam, cosine learning rate, 12 epochs on {ntrain} clips over the whole 74 frames from a zero
state. `data.npz` holds {n} other clips (80 per class): `x` float32 [N,49,20], `h0` float32 [N,1,32], labels `y`
int64. onnxruntime top-1 on them: {top1:.2%}. With `h0` replaced by zeros, top-1 is {top1_zero_state:.2%} and the
probabilities move by up to {zero_state_maxdiff:.3f}: a runner that drops or mis-batches `h0` fails the comparison with
`reference.npy`.
"""


def make_kws(ctx):
    log("training kws ...")
    started = time.time()
    rng = np.random.default_rng(20)
    ftr, ytr = kws_data(rng, 400)
    fte, yte = kws_data(rng, 80)
    model = train_kws(ftr, ytr)
    onnx_model = kws_model(model)
    onnx.checker.check_model(onnx_model, full_check=True)
    path = Path("/tmp") / f"kws_{os.getpid()}.onnx"
    save_model(onnx_model, path)
    n = len(fte)
    pre, main_x = fte[:, :KWS_PREROLL], fte[:, KWS_PREROLL:]
    zeros = np.zeros((n, 1, KWS_HIDDEN), np.float32)
    h0 = ort_outputs_batched(path, {"x": pre, "h0": zeros}, ("x", "h0"))["h_n"]
    full = ort_outputs_batched(path, {"x": fte, "h0": zeros}, ("x", "h0"))["probabilities"]
    zero_state = ort_outputs_batched(path, {"x": main_x, "h0": zeros}, ("x", "h0"))["probabilities"]
    path.unlink()
    ours = nn.softmax(model.forward(fte))

    def metrics(outs):
        p = outs["probabilities"]
        assert np.abs(p - full).max() < 1e-4, f"split run differs from the whole run: {np.abs(p - full).max()}"
        assert np.abs(p - ours).max() < 1e-4, f"numpy and onnxruntime disagree: {np.abs(p - ours).max()}"
        return {"top1": float((p.argmax(1) == yte).mean()),
                "top1_zero_state": float((zero_state.argmax(1) == yte).mean()),
                "zero_state_maxdiff": float(np.abs(zero_state - p).max())}

    def readme(fig, info):
        return KWS_README.format(io=io_lines(info), n=n, ntrain=len(ftr),
                                 classes=", ".join(f"{i} `{c}`" for i, c in enumerate(KWS_CLASSES)),
                                 **fig) + footer(info)

    info = write_sequence_sample("kws", onnx_model, {"x": main_x, "h0": h0}, yte, readme, metrics,
                                 batched=("x", "h0"))
    info["train_seconds"] = round(time.time() - started, 1)
    return info


# --------------------------------------------------------------------------- stateful (voice activity)

VAD_HIDDEN, VAD_FRAMES = 24, 32


def vad_data(rng, count):
    n = N_FFT + HOP * (VAD_FRAMES - 1)
    labels = rng.permutation(np.arange(count) % 2)
    audio = np.stack([vad_chunk(bool(s), rng, n) for s in labels])
    return quantize_features(log_mel(audio)), labels.astype(np.int64)


class StateHolder(nn.Layer):
    def __init__(self, hidden):
        super().__init__()
        self.params["state"] = np.zeros((1, hidden), np.float32)


class VAD:
    def __init__(self, rng, mean, std):
        self.mean, self.std = mean, std
        self.state = StateHolder(VAD_HIDDEN)
        self.rnn = nn.RNN(rng, MELS, VAD_HIDDEN)
        self.fc = nn.Dense(rng, VAD_HIDDEN, 1)
        self.all = nn.Sequential([self.state, self.rnn, self.fc])

    def parameters(self):
        return self.all.parameters()

    def forward(self, feats, train=False, state=None):
        seq = ((feats - self.mean) / self.std).astype(np.float32).transpose(1, 0, 2)
        self.rnn.forward(seq, train, h0=self.state.params["state"] if state is None else state)
        return self.fc.forward(self.rnn.h_last, train)[:, 0]

    def backward(self, dlogit):
        dh = self.fc.backward(dlogit[:, None])
        self.rnn.backward(np.zeros((VAD_FRAMES, len(dlogit), VAD_HIDDEN), np.float32), dh)
        self.state.grads["state"] = self.rnn.dh0.astype(np.float32)


def train_vad(feats, labels):
    rng = np.random.default_rng(31)
    model = VAD(rng, feats.mean((0, 1)), feats.std((0, 1)))
    epochs = 15

    def step(idx):
        logit = model.forward(feats[idx], train=True)
        p = nn.sigmoid(logit)
        y = labels[idx]
        loss = -np.mean(y * np.log(p + 1e-9) + (1 - y) * np.log(1 - p + 1e-9))
        model.backward(((p - y) / len(idx)).astype(np.float32))
        return float(loss), int(((p > 0.5) == y).sum()), len(idx)

    train_loop(model, epochs, lambda e: minibatches(len(feats), 32, rng), step, 5e-3, lr_decay=cosine(epochs))
    return model


def vad_model(m):
    g = GraphBuilder()
    h = feature_norm(g, "x", m.mean, m.std)
    h = g.node("Transpose", [h], "time_major", name="/rnn/Transpose", perm=[1, 0, 2])
    # state [1, H] → [1, N, H]: Expand to the batch of x, then add the direction axis
    shape = g.node("Shape", ["x"], "x_shape", name="/state/Shape")
    g.weight("zero", np.array([0], np.int64))
    g.weight("one", np.array([1], np.int64))
    batch = g.node("Slice", [shape, "zero", "one"], "batch", name="/state/Slice")
    target = g.node("Concat", [batch, "one"], "state_shape", name="/state/Concat", axis=0)
    s = g.node("Expand", ["state", target], "state_batch", name="/state/Expand")
    s = g.node("Unsqueeze", [s, "zero"], "initial_h", name="/state/Unsqueeze")
    recurrent_node(g, "RNN", m.rnn, h, ["", "h_n"], "rnn", activations=["Tanh"], extra_inputs=["", s])
    g.node("Squeeze", ["h_n", "zero"], "new_state", name="/rnn/Squeeze")
    g.weight("head.weight", m.fc.params["W"])
    g.weight("head.bias", m.fc.params["b"])
    h = g.node("Gemm", ["new_state", "head.weight", "head.bias"], "logit", name="/head/Gemm", transB=1)
    g.node("Sigmoid", [h], "speech_prob", name="/head/Sigmoid")
    return g.model([tensor_info("x", FLOAT, ["N", VAD_FRAMES, MELS]), tensor_info("state", FLOAT, [1, VAD_HIDDEN])],
                   [tensor_info("speech_prob", FLOAT, ["N", 1]), tensor_info("new_state", FLOAT, ["N", VAD_HIDDEN])],
                   opset=OPSET, name="vad")


VAD_README = """
# Stateful voice-activity detector (RNN, two inputs: features and a shared state)

A voice-activity-detector-style model with a state input, as streaming VADs ship: inputs `x` (log-mel features
of a 0.66 s chunk, 32 frames × 20 bands, same features as the `kws` sample) and `state` [1,24]. A leading
dimension of 1 means the same state for every sample of the batch: the graph `Expand`s it to [N,24] (shape from
`Shape(x)`), `Unsqueeze`s it to the RNN's `initial_h` [1,N,24], and returns the final state as `new_state` [N,24]
(per sample), next to `speech_prob` [N,1] (one-unit Sigmoid head).

Graph: per-band normalisation (Sub, Mul), Transpose to time-major, a forward ONNX `RNN` (Tanh, hidden 24,
`layout=0`, output `Y` omitted, `Y_h` [1,N,24]), Squeeze, Gemm 24→1, Sigmoid.

{io}

Data: chunks of synthetic audio (8 kHz) — half of them "speech" (a voiced harmonic signal with a wandering pitch,
three formant peaks and syllable-rate amplitude modulation, at -5..15 dB SNR), half background only (coloured
noise, mains hum, and in 30% of all chunks a distracting steady tone). Trained by samples/make_sequence_samples.py
with numpy only (BPTT through the RNN from samples/numpy_nn.py, gradient-checked; binary cross-entropy; Adam,
cosine learning rate, 15 epochs on {ntrain} chunks). The `state` in data.npz is the trained initial state (learned
as a parameter, then exposed as an input: a streaming caller would pass the previous chunk's `new_state`).
`data.npz` holds {n} other chunks: `x` float32 [N,32,20], `state` float32 [1,24] (shared), labels `y` int64 (1 =
speech). onnxruntime accuracy at 0.5: {accuracy:.2%}. With `state` replaced by zeros, accuracy is
{accuracy_zero_state:.2%} and `speech_prob` moves by up to {zero_state_maxdiff:.3f}: a runner that ignores or
mis-broadcasts the state fails the comparison with `reference.npy`.
"""


def make_stateful(ctx):
    log("training stateful (voice activity) ...")
    started = time.time()
    rng = np.random.default_rng(30)
    ftr, ytr = vad_data(rng, 2400)
    fte, yte = vad_data(rng, 500)
    model = train_vad(ftr, ytr)
    onnx_model = vad_model(model)
    state = model.state.params["state"].copy()
    ours = nn.sigmoid(model.forward(fte))
    zero_p = nn.sigmoid(model.forward(fte, state=np.zeros_like(state)))

    def metrics(outs):
        p = outs["speech_prob"][:, 0]
        assert np.abs(p - ours).max() < 1e-4, f"numpy and onnxruntime disagree: {np.abs(p - ours).max()}"
        return {"accuracy": float(((p > 0.5) == yte).mean()),
                "accuracy_zero_state": float(((zero_p > 0.5) == yte).mean()),
                "zero_state_maxdiff": float(np.abs(zero_p - p).max())}

    def readme(fig, info):
        return VAD_README.format(io=io_lines(info), n=len(fte), ntrain=len(ftr), **fig) + footer(info)

    info = write_sequence_sample("stateful", onnx_model, {"x": fte, "state": state}, yte, readme, metrics,
                                 batched=("x",))
    info["train_seconds"] = round(time.time() - started, 1)
    return info


# --------------------------------------------------------------------------- if_branch (If inside Scan, Loop)

IFB_HIDDEN, IFB_REPEATS = 64, 2


class RoutedMLP(nn.Layer):
    """Trunk Dense+Relu, a weight-tied residual block applied twice (the graph's Loop), then
    one of two heads chosen per sample by the image's mean ink (the graph's If inside a Scan)."""

    def __init__(self, rng, threshold):
        super().__init__()
        self.threshold = np.float32(threshold)
        he = lambda shape: (rng.standard_normal(shape) * np.sqrt(2.0 / shape[0])).astype(np.float32)  # noqa: E731
        p = self.params
        p["trunk.weight"], p["trunk.bias"] = he((64, IFB_HIDDEN)), np.zeros(IFB_HIDDEN, np.float32)
        p["block.weight"] = (he((IFB_HIDDEN, IFB_HIDDEN)) * 0.5).astype(np.float32)
        p["block.bias"] = np.zeros(IFB_HIDDEN, np.float32)
        for head in ("light", "heavy"):
            p[f"{head}.weight"], p[f"{head}.bias"] = he((IFB_HIDDEN, 10)), np.zeros(10, np.float32)

    def parameters(self):
        return [(self, k) for k in self.params]

    def route(self, x):
        return x.mean(1) > self.threshold

    def forward(self, x, train=False, force=None):
        p = self.params
        a0 = x @ p["trunk.weight"] + p["trunk.bias"]
        h = np.maximum(a0, 0)
        hs, acts = [h], [a0]
        for _ in range(IFB_REPEATS):
            a = h @ p["block.weight"] + p["block.bias"]
            h = h + np.maximum(a, 0)
            hs.append(h)
            acts.append(a)
        heavy = self.route(x) if force is None else np.full(len(x), force)
        logits = np.where(heavy[:, None], h @ p["heavy.weight"] + p["heavy.bias"], h @ p["light.weight"] + p["light.bias"])
        self.cache = (x, hs, acts, heavy)
        return logits.astype(np.float32)

    def backward(self, d):
        x, hs, acts, heavy = self.cache
        p, g = self.params, self.grads
        h = hs[-1]
        dh = np.zeros_like(h)
        for head, mask in (("heavy", heavy), ("light", ~heavy)):
            dm = d * mask[:, None]
            g[f"{head}.weight"] = h.T @ dm
            g[f"{head}.bias"] = dm.sum(0)
            dh += dm @ p[f"{head}.weight"].T
        g["block.weight"] = np.zeros_like(p["block.weight"])
        g["block.bias"] = np.zeros_like(p["block.bias"])
        for k in reversed(range(IFB_REPEATS)):
            da = dh * (acts[k + 1] > 0)
            g["block.weight"] += hs[k].T @ da
            g["block.bias"] += da.sum(0)
            dh = dh + da @ p["block.weight"].T
        da = dh * (acts[0] > 0)
        g["trunk.weight"] = x.T @ da
        g["trunk.bias"] = da.sum(0)


def train_routed(x, y):
    rng = np.random.default_rng(41)
    model = RoutedMLP(rng, np.median(x.mean(1)))
    epochs = 60

    def step(idx):
        logits = model.forward(x[idx], train=True)
        loss, d = nn.softmax_cross_entropy(logits, y[idx])
        model.backward(d)
        return loss, int((logits.argmax(1) == y[idx]).sum()), len(idx)

    train_loop(model, epochs, lambda e: minibatches(len(x), 32, rng), step, 2e-3, log_every=10,
               lr_decay=cosine(epochs))
    return model


def routed_model(m):
    g = GraphBuilder()
    for k, v in m.params.items():
        g.weight(k, v)
    g.weight("ink_threshold", np.array(m.threshold, np.float32))
    h = g.node("MatMul", ["x", "trunk.weight"], "trunk_mm", name="/trunk/MatMul")
    h = g.node("Add", [h, "trunk.bias"], "trunk_pre", name="/trunk/Add")
    h = g.node("Relu", [h], "trunk_out", name="/trunk/Relu")

    # Loop: the weight-tied residual block, a fixed trip count of 2 (block weights from the outer scope)
    T = TensorProto
    body = helper.make_graph(
        [helper.make_node("MatMul", ["h_in", "block.weight"], ["b_mm"], name="/block/MatMul"),
         helper.make_node("Add", ["b_mm", "block.bias"], ["b_pre"], name="/block/Add"),
         helper.make_node("Relu", ["b_pre"], ["b_act"], name="/block/Relu"),
         helper.make_node("Add", ["h_in", "b_act"], ["h_out"], name="/block/Residual"),
         helper.make_node("Identity", ["cond_in"], ["cond_out"], name="/block/cond")],
        "residual_block",
        [helper.make_tensor_value_info("iter", T.INT64, []), helper.make_tensor_value_info("cond_in", T.BOOL, []),
         helper.make_tensor_value_info("h_in", T.FLOAT, ["N", IFB_HIDDEN])],
        [helper.make_tensor_value_info("cond_out", T.BOOL, []),
         helper.make_tensor_value_info("h_out", T.FLOAT, ["N", IFB_HIDDEN])])
    g.weight("repeats", np.array(IFB_REPEATS, np.int64))
    g.weight("loop_true", np.array(True))
    h = g.node("Loop", ["repeats", "loop_true", h], "features", name="/block/Loop", body=body)

    # Scan over samples: per row, If(mean ink > threshold) picks the heavy or the light head
    def head_branch(head, route):
        return helper.make_graph(
            [helper.make_node("MatMul", ["h_row", f"{head}.weight"], [f"{head}_mm"], name=f"/{head}/MatMul"),
             helper.make_node("Add", [f"{head}_mm", f"{head}.bias"], [f"{head}_logits"], name=f"/{head}/Add"),
             helper.make_node("Constant", [], [f"{head}_route"], name=f"/{head}/route",
                              value=numpy_helper.from_array(np.array(route, np.int64)))],
            f"{head}_head", [],
            [helper.make_tensor_value_info(f"{head}_logits", T.FLOAT, [10]),
             helper.make_tensor_value_info(f"{head}_route", T.INT64, [])])
    scan_body = helper.make_graph(
        [helper.make_node("ReduceMean", ["x_row"], ["ink"], name="/route/ReduceMean", keepdims=0),
         helper.make_node("Greater", ["ink", "ink_threshold"], ["is_heavy"], name="/route/Greater"),
         helper.make_node("If", ["is_heavy"], ["row_logits", "row_route"], name="/route/If",
                          then_branch=head_branch("heavy", 1), else_branch=head_branch("light", 0))],
        "per_sample",
        [helper.make_tensor_value_info("x_row", T.FLOAT, [64]),
         helper.make_tensor_value_info("h_row", T.FLOAT, [IFB_HIDDEN])],
        [helper.make_tensor_value_info("row_logits", T.FLOAT, [10]),
         helper.make_tensor_value_info("row_route", T.INT64, [])])
    g.node("Scan", ["x", h], ["logits", "route"], name="/route/Scan", body=scan_body, num_scan_inputs=2)
    g.node("Softmax", ["logits"], "probabilities", name="/softmax/Softmax", axis=1)
    return g.model([tensor_info("x", FLOAT, ["N", 64])],
                   [tensor_info("probabilities", FLOAT, ["N", 10]), tensor_info("route", INT64, ["N"])],
                   opset=OPSET, name="if_branch")


IFB_README = """
# Data-dependent If (inside a Scan) and a Loop, on scikit-learn digits

A classifier whose path depends on the data at run time. Input: scikit-learn 8×8 digits as float `x` [N,64]
(pixel/16, 0..1). Graph:

1. trunk: MatMul [64,64] + Add + Relu;
2. `Loop` with a fixed trip count of 2 (initializer `repeats`, condition `loop_true`): a weight-tied residual
   block `h = h + Relu(h @ block.weight + block.bias)`; the body reads `block.weight`/`block.bias` from the outer
   scope (iteration number unused, as exporters emit for unrolled-by-count loops);
3. `Scan` over the samples (2 scan inputs: the row of `x` and the row of the features; no state), whose body
   computes `ReduceMean(x_row)` (mean ink) and an `If` on `ink > ink_threshold` ({threshold:.4f}, the median over
   the training images): the `then` branch applies the heavy-ink head, the `else` branch the light-ink head
   (MatMul [64,10] + Add). The branches have no inputs of their own: they read `h_row` from the Scan body's scope
   and the head weights from the main graph — two levels of outer scope. Each branch also returns a constant route
   id (1 = heavy, 0 = light);
4. Softmax over the stacked logits → `probabilities` [N,10]; `route` [N] int64 is the second output.

Because the condition is evaluated per sample, the outputs do not depend on how samples are batched.

{io}

Trained by samples/make_sequence_samples.py with numpy only (the same routing in the forward pass, each head
learning from its own samples; Adam, cosine learning rate, 60 epochs) on 1,257 digits; `data.npz` holds the other
{n} (the digits_mlp hold-out: float32 `x`, int64 `y`). On them: onnxruntime top-1 {top1:.2%}; branches taken:
`then` (heavy) {then_count} times (top-1 {then_top1:.2%}), `else` (light) {else_count} times (top-1
{else_top1:.2%}). Forcing every sample through one head: heavy only {heavy_only:.2%}, light only {light_only:.2%}.
Taking the other branch for every sample changes the top-1 class of {swap_changed:.1%} of them and the
probabilities by up to {swap_maxdiff:.2f} (mean {swap_meandiff:.3f}), so a runner that evaluates the condition wrongly
fails the comparison with `reference.npy`, and `route` says where.
"""


def make_if_branch(ctx):
    log("training if_branch ...")
    started = time.time()
    dtr, dte, dytr, dyte = ctx["digits"]
    model = train_routed(dtr, dytr)
    ours = nn.softmax(model.forward(dte))
    heavy_only = float((model.forward(dte, force=True).argmax(1) == dyte).mean())
    light_only = float((model.forward(dte, force=False).argmax(1) == dyte).mean())
    swapped = np.where(model.route(dte)[:, None], nn.softmax(model.forward(dte, force=False)),
                       nn.softmax(model.forward(dte, force=True)))

    def metrics(outs):
        p, route = outs["probabilities"], outs["route"]
        assert np.abs(p - ours).max() < 1e-4, f"numpy and onnxruntime disagree: {np.abs(p - ours).max()}"
        assert np.array_equal(route == 1, model.route(dte))
        hit = p.argmax(1) == dyte
        return {"top1": float(hit.mean()), "then_count": int((route == 1).sum()), "else_count": int((route == 0).sum()),
                "then_top1": float(hit[route == 1].mean()), "else_top1": float(hit[route == 0].mean()),
                "heavy_only": heavy_only, "light_only": light_only,
                "swap_changed": float((swapped.argmax(1) != p.argmax(1)).mean()),
                "swap_maxdiff": float(np.abs(swapped - p).max()), "swap_meandiff": float(np.abs(swapped - p).sum(1).mean() / 2)}

    def readme(fig, info):
        return IFB_README.format(io=io_lines(info), n=len(dte), threshold=float(model.threshold), **fig) + footer(info)

    info = write_sequence_sample("if_branch", routed_model(model), {"x": dte}, dyte, readme, metrics)
    info["train_seconds"] = round(time.time() - started, 1)
    return info


# --------------------------------------------------------------------------- detector_b1

DET_SIZE, DET_STRIDE, DET_SHAPES = 96, 8, ["circle", "rectangle", "triangle"]
DET_GRID = DET_SIZE // DET_STRIDE


def draw_scene(rng):
    """One 96×96 RGB uint8 image: a shaded background and 1-3 filled shapes; boxes [k, 5]
    as (class, x0, y0, x1, y1) in pixels (x1, y1 exclusive)."""
    yy, xx = np.mgrid[0:DET_SIZE, 0:DET_SIZE].astype(np.float32)
    base = rng.uniform(40, 215, 3)
    grad = rng.uniform(-0.4, 0.4, (2, 3))
    img = base[:, None, None] + grad[0][:, None, None] * (xx - 48) + grad[1][:, None, None] * (yy - 48)
    boxes = []
    for _ in range(rng.integers(1, 4)):
        for _attempt in range(20):
            cls = int(rng.integers(0, 3))
            w = int(rng.integers(14, 33))
            h = w if cls == 0 else int(rng.integers(14, 33))
            x0, y0 = int(rng.integers(0, DET_SIZE - w)), int(rng.integers(0, DET_SIZE - h))
            if all(x0 >= b[3] + 2 or b[1] >= x0 + w + 2 or y0 >= b[4] + 2 or b[2] >= y0 + h + 2 for b in boxes):
                break
        else:
            continue
        cx, cy = x0 + w / 2, y0 + h / 2
        if cls == 0:
            mask = ((xx + 0.5 - cx) / (w / 2)) ** 2 + ((yy + 0.5 - cy) / (h / 2)) ** 2 <= 1
        elif cls == 1:
            mask = (xx >= x0) & (xx < x0 + w) & (yy >= y0) & (yy < y0 + h)
        else:  # apex at the top centre, base at the bottom
            rel = (yy + 0.5 - y0) / h
            mask = (rel >= 0) & (rel <= 1) & (np.abs(xx + 0.5 - cx) <= rel * w / 2)
        colour = rng.uniform(0, 255, 3)
        while np.abs(colour - base).sum() < 150:
            colour = rng.uniform(0, 255, 3)
        img = np.where(mask[None], colour[:, None, None], img)
        boxes.append((cls, x0, y0, x0 + w, y0 + h))
    return np.clip(np.rint(img), 0, 255).astype(np.uint8), np.array(boxes, np.float32).reshape(-1, 5)


def det_targets(boxes_list):
    """CenterNet-style targets: Gaussian heatmaps [N,3,12,12], box targets [N,4,12,12]
    (centre offset in the cell, log of width and height in cells) and their mask [N,1,12,12]."""
    n = len(boxes_list)
    heat = np.zeros((n, 3, DET_GRID, DET_GRID), np.float32)
    reg = np.zeros((n, 4, DET_GRID, DET_GRID), np.float32)
    mask = np.zeros((n, 1, DET_GRID, DET_GRID), np.float32)
    gy, gx = np.mgrid[0:DET_GRID, 0:DET_GRID]
    for i, boxes in enumerate(boxes_list):
        for cls, x0, y0, x1, y1 in boxes:
            cx, cy = (x0 + x1) / 2 / DET_STRIDE, (y0 + y1) / 2 / DET_STRIDE
            j, k = int(cx), int(cy)
            sigma = max((x1 - x0), (y1 - y0)) / DET_STRIDE / 4
            g = np.exp(-((gx - j) ** 2 + (gy - k) ** 2) / (2 * sigma ** 2))
            heat[i, int(cls)] = np.maximum(heat[i, int(cls)], g)
            reg[i, :, k, j] = (cx - j, cy - k, np.log((x1 - x0) / DET_STRIDE), np.log((y1 - y0) / DET_STRIDE))
            mask[i, 0, k, j] = 1
    return heat, reg, mask


def det_decode(heat, boxes, threshold=0.3):
    """Peaks of one image's heatmap [3,12,12] (3×3 local maxima above `threshold`) → [k, 6]
    rows (class, score, x0, y0, x1, y1) in pixels."""
    padded = np.pad(heat, ((0, 0), (1, 1), (1, 1)), constant_values=-1)
    local = np.max([padded[:, a:a + DET_GRID, b:b + DET_GRID] for a in range(3) for b in range(3)], axis=0)
    out = []
    for c, k, j in zip(*np.nonzero((heat >= local) & (heat > threshold))):
        ox, oy, lw, lh = boxes[:, k, j]
        cx, cy = (j + ox) * DET_STRIDE, (k + oy) * DET_STRIDE
        w, h = np.exp(lw) * DET_STRIDE, np.exp(lh) * DET_STRIDE
        out.append((c, heat[c, k, j], cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2))
    return np.array(out, np.float32).reshape(-1, 6)


def iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def det_metrics(heatmaps, boxes, gt_list, threshold=0.3):
    tp = fp = fn = 0
    ious = []
    for heat, reg, gt in zip(heatmaps, boxes, gt_list):
        pred = det_decode(heat, reg, threshold)
        pred = pred[np.argsort(-pred[:, 1])]
        used = set()
        for p in pred:
            best, best_iou = None, 0.5
            for g_i, g in enumerate(gt):
                if g_i not in used and int(g[0]) == int(p[0]):
                    v = iou(p[2:], g[1:])
                    if v >= best_iou:
                        best, best_iou = g_i, v
            if best is None:
                fp += 1
            else:
                used.add(best)
                tp += 1
                ious.append(best_iou)
        fn += len(gt) - len(used)
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return {"precision": precision, "recall": recall, "f1": 2 * precision * recall / max(precision + recall, 1e-9),
            "mean_iou": float(np.mean(ious)) if ious else 0.0, "objects": tp + fn}


class Detector:
    def __init__(self, rng):
        self.trunk = nn.Sequential([nn.Conv2D(rng, 3, 16, 3, 2, 1), nn.ReLU(), nn.Conv2D(rng, 16, 32, 3, 2, 1), nn.ReLU(),
                                    nn.Conv2D(rng, 32, 32, 3, 2, 1), nn.ReLU(), nn.Conv2D(rng, 32, 32, 3, 1, 1), nn.ReLU()])
        self.heat = nn.Conv2D(rng, 32, 3, 1)
        self.heat.params["b"][:] = -2.2  # prior 0.1
        self.box = nn.Conv2D(rng, 32, 4, 1)
        self.all = nn.Sequential(self.trunk.layers + [self.heat, self.box])

    def parameters(self):
        return self.all.parameters()

    def forward(self, x, train=False):
        f = self.trunk.forward(x, train)
        return self.heat.forward(f, train), self.box.forward(f, train)

    def backward(self, dheat, dbox):
        self.trunk.backward(self.heat.backward(dheat) + self.box.backward(dbox))


def det_normalise(x_uint8):
    """Exactly the graph's first two nodes: Div 255, Sub 0.5."""
    return x_uint8.astype(np.float32) / np.float32(255.0) - np.float32(0.5)


def train_detector(images, gt):
    rng = np.random.default_rng(51)
    model = Detector(rng)
    heat_t, reg_t, mask_t = det_targets(gt)
    xn = det_normalise(images)
    epochs = 14

    def step(idx):
        zh, zb = model.forward(xn[idx], train=True)
        p = nn.sigmoid(zh)
        t, m = heat_t[idx], mask_t[idx]
        w = 1 + 10 * t   # weight the few cells near centres
        n = len(idx)
        bce = -(w * (t * np.log(p + 1e-7) + (1 - t) * np.log(1 - p + 1e-7))).sum() / n
        diff = (zb - reg_t[idx]) * m
        l2 = 0.5 * (diff ** 2).sum() / n
        model.backward((w * (p - t) / n).astype(np.float32), (diff / n).astype(np.float32))
        return float(bce + l2), int(((p > 0.5) == (t > 0.5)).all((1, 2, 3)).sum()), n

    train_loop(model, epochs, lambda e: minibatches(len(xn), 16, rng), step, 2e-3, lr_decay=cosine(epochs))
    return model


def detector_model(m):
    g = GraphBuilder()
    g.weight("input_scale", np.array(255.0, np.float32))
    g.weight("input_mean", np.array(0.5, np.float32))
    h = g.node("Div", ["image", "input_scale"], "scaled", name="/input/Div")
    h = g.node("Sub", [h, "input_mean"], "normalised", name="/input/Sub")
    convs = [layer for layer in m.trunk.layers if isinstance(layer, nn.Conv2D)]
    for i, conv in enumerate(convs):
        g.weight(f"backbone.{i}.weight", conv.params["W"])
        g.weight(f"backbone.{i}.bias", conv.params["b"])
        h = g.node("Conv", [h, f"backbone.{i}.weight", f"backbone.{i}.bias"], f"backbone_{i}", name=f"/backbone.{i}/Conv",
                   kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[conv.stride] * 2)
        h = g.node("Relu", [h], f"backbone_{i}_relu", name=f"/backbone.{i}/Relu")
    for name, conv in (("heatmap_head", m.heat), ("box_head", m.box)):
        g.weight(f"{name}.weight", conv.params["W"])
        g.weight(f"{name}.bias", conv.params["b"])
    z = g.node("Conv", [h, "heatmap_head.weight", "heatmap_head.bias"], "heatmap_logits", name="/heatmap_head/Conv",
               kernel_shape=[1, 1])
    g.node("Sigmoid", [z], "heatmap", name="/heatmap_head/Sigmoid")
    g.node("Conv", [h, "box_head.weight", "box_head.bias"], "boxes", name="/box_head/Conv", kernel_shape=[1, 1])
    return g.model([tensor_info("image", FLOAT, [1, 3, DET_SIZE, DET_SIZE])],
                   [tensor_info("heatmap", FLOAT, [1, 3, DET_GRID, DET_GRID]),
                    tensor_info("boxes", FLOAT, [1, 4, DET_GRID, DET_GRID])], opset=OPSET, name="detector_b1")


DET_README = """
# Fixed-batch-1 shape detector (CenterNet-style heatmap + box head)

A detector in the shape layout and document detectors are exported in: the input is declared with a **fixed batch
of 1**, `image` [1,3,96,96] (raw pixels 0..255 as float; normalised in the graph: Div 255, Sub 0.5). Backbone: four
Conv 3×3 + Relu (3→16 stride 2, 16→32 stride 2, 32→32 stride 2, 32→32) → [1,32,12,12] (stride 8). Heads (1×1
Conv): `heatmap` = Sigmoid of 3 class maps (circle, rectangle, triangle) [1,3,12,12], and `boxes` [1,4,12,12]: at
an object's centre cell (j, k), centre = ((j + boxes[0]) · 8, (k + boxes[1]) · 8) pixels, width = exp(boxes[2]) · 8,
height = exp(boxes[3]) · 8.

{io}

`data.npz` holds {n} images as uint8 `image` [N,3,96,96] (run them one at a time); the reference outputs of the
{n} single-image runs are concatenated on axis 0 (`reference.npy` = heatmap [N,3,12,12], `reference_boxes.npy`
[N,4,12,12]). There are no class labels: the ground-truth boxes are in `targets.npz` (`boxes` [N,3,5] float32 rows
(class, x0, y0, x1, y1) in pixels, padded with -1; `count` [N]) — not model inputs.

Images: numpy-drawn scenes — a shaded background (random colour and linear gradient) with 1-3
non-overlapping filled circles, rectangles or triangles (14-32 px, contrasting colours). Trained by
samples/make_sequence_samples.py with numpy only: weighted binary cross-entropy against Gaussian centre heatmaps
plus an L2 loss on the box channels at centre cells; Adam, cosine learning rate, 14 epochs on {ntrain} images.
On the {n} held-out images ({objects} objects), decoding 3×3 local maxima of the heatmap above 0.5 (onnxruntime
outputs) and matching at IoU ≥ 0.5 with the right class: precision {precision:.2%}, recall {recall:.2%}, F1
{f1:.2%}, mean IoU of the matches {mean_iou:.3f}. Above 0.3: precision {precision_at_30:.2%}, recall
{recall_at_30:.2%}, F1 {f1_at_30:.2%}; above 0.7: precision {precision_at_70:.2%}, recall {recall_at_70:.2%},
F1 {f1_at_70:.2%}. (A small model trained for a few minutes: it finds the shapes, and its boxes are rough.)
"""


def make_detector(ctx):
    log("training detector_b1 ...")
    started = time.time()
    rng = np.random.default_rng(50)
    scenes = [draw_scene(rng) for _ in range(1600 + 150)]
    images = np.stack([s[0] for s in scenes])
    gt = [s[1] for s in scenes]
    xtr, gtr, xte, gte = images[:1600], gt[:1600], images[1600:], gt[1600:]
    model = train_detector(xtr, gtr)
    zh, zb = model.forward(det_normalise(xte))
    ours_heat = nn.sigmoid(zh)

    def metrics(outs):
        assert np.abs(outs["heatmap"] - ours_heat).max() < 1e-4 and np.abs(outs["boxes"] - zb).max() < 1e-3, \
            "numpy and onnxruntime disagree"
        fig = det_metrics(outs["heatmap"], outs["boxes"], gte, 0.5)
        for t in (0.3, 0.7):
            other = det_metrics(outs["heatmap"], outs["boxes"], gte, t)
            fig.update({f"{k}_at_{round(t * 100)}": v for k, v in other.items() if k in ("precision", "recall", "f1")})
        return fig

    def readme(fig, info):
        return DET_README.format(io=io_lines(info), n=len(xte), ntrain=len(xtr), **fig) + footer(info)

    folder = HERE / "detector_b1"
    folder.mkdir(exist_ok=True)
    padded = np.full((len(gte), 3, 5), -1, np.float32)
    for i, b in enumerate(gte):
        padded[i, :len(b)] = b
    write_npz(folder / "targets.npz", boxes=padded, count=np.array([len(b) for b in gte], np.int64))
    info = write_sequence_sample("detector_b1", detector_model(model), {"image": xte}, None, readme, metrics,
                                 batched=("image",), fixed_batch=1)
    info["train_seconds"] = round(time.time() - started, 1)
    return info


# The already-quantized models (onnxruntime's quantize_static QDQ and quantize_dynamic) are test
# fixtures with their own generator: Tests/LatheCoreTests/Fixtures/quantized_models/make_models.py.

# --------------------------------------------------------------------------- main

def make_crnn(ctx):
    xtr, ytr, xte, yte = ctx["mnist"]
    log("training crnn ...")
    started = time.time()
    model = train_crnn(xtr, ytr)
    rng = np.random.default_rng(12)
    picks = rng.permutation(len(xte)).reshape(-1, CRNN_DIGITS)   # every held-out image once
    x, strings = compose(xte, yte, picks, rng)
    onnx_model = crnn_model(model)
    ours = np.concatenate([model.forward(lenet_normalise(x[s:s + 100])) for s in range(0, len(x), 100)], axis=1)

    def metrics(outs):
        lp = outs["log_probs"]
        ref = ours - np.log(np.exp(ours - ours.max(2, keepdims=True)).sum(2, keepdims=True)) - ours.max(2, keepdims=True)
        assert np.abs(lp - ref).max() < 1e-3, f"numpy and onnxruntime disagree: {np.abs(lp - ref).max()}"
        return crnn_metrics(lp, strings)

    def readme(fig, info):
        return CRNN_README.format(io=io_lines(info), n=len(x), gradcheck=ctx["gradcheck"], **fig) + footer(info)

    info = write_sequence_sample("crnn", onnx_model, {"x": x}, strings, readme, metrics, out_axes={"log_probs": 1})
    info["train_seconds"] = round(time.time() - started, 1)
    return info


BUILDERS = {"crnn": make_crnn, "kws": make_kws, "stateful": make_stateful,
            "if_branch": make_if_branch, "detector_b1": make_detector}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help="comma list of samples to regenerate (default: all): " + ", ".join(BUILDERS))
    args = parser.parse_args()
    names = args.only.split(",") if args.only else list(BUILDERS)
    unknown = [n for n in names if n not in BUILDERS]
    if unknown:
        parser.error(f"unknown sample(s) {', '.join(unknown)}; choose from {', '.join(BUILDERS)}")

    started = time.time()
    worst = nn.check_recurrent_gradients(np.random.default_rng(0))
    log(f"BPTT gradient check (RNN, LSTM, GRU, both directions, shared h0, bidirectional): "
        f"largest relative error {worst:.2e}")
    if worst > 1e-6:
        raise SystemExit("recurrent gradients do not match central differences")
    ctx = {"mnist": mnist_split(), "digits": digits_split(), "gradcheck": worst}

    path = HERE / "summary.json"
    summary = json.loads(path.read_text()) if path.exists() else {"samples": {}}
    for name in names:
        summary["samples"][name] = BUILDERS[name](ctx)
        path.write_text(json.dumps(summary, indent=2) + "\n")
    log(f"done in {time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
