"""Write the already-quantized sample (issue 11): samples/mobilenet quantized by
onnxruntime's own `quantize_static` in QDQ format.

Run from the repository root after samples/make_samples.py (`make samples` runs
it last): it reads samples/mobilenet's model and data. Deterministic: the
calibration images are fixed and the quantizer is deterministic.

    samples/mobilenet_qdq/{model.onnx, data.npz → mobilenet's, reference.npy, README.md}
    samples/summary.json  (entry added / replaced under "samples")

The reference is onnxruntime with graph optimisations off (ORT_DISABLE_ALL), which
computes the literal QDQ semantics of the ONNX specification, as Lathe does: with
them on, onnxruntime fuses DequantizeLinear → Conv → QuantizeLinear into integer
kernels that round differently (and, for uint8 × int8 without VNNI, saturate 16-bit
pair sums). The README records both sessions' figures, measured when it is written.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import json  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static  # noqa: E402
from onnxruntime.quantization.shape_inference import quant_pre_process  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from make_samples import file_size, log  # noqa: E402

CALIBRATION_IMAGES = 300
BATCH = 64


class Images(CalibrationDataReader):
    def __init__(self, x):
        self.batches = iter([{"x": x[i:i + 50]} for i in range(0, len(x), 50)])

    def get_next(self):
        return next(self.batches, None)


def run(model_path, x, optimised):
    options = ort.SessionOptions()
    options.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimised
                                        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    return np.concatenate([session.run(None, {"x": x[i:i + BATCH]})[0] for i in range(0, len(x), BATCH)])


def quantized(prepared, out, x, **options):
    quantize_static(str(prepared), str(out), Images(x[:CALIBRATION_IMAGES]), quant_format=QuantFormat.QDQ,
                    per_channel=True, weight_type=QuantType.QInt8, **options)
    return out


def session_figures(model_path, x, y):
    """top-1 of both onnxruntime sessions and how far the optimised one is from the literal one."""
    literal, fused = run(model_path, x, optimised=False), run(model_path, x, optimised=True)
    delta = np.abs(literal - fused)
    return literal, {"top1": float((literal.argmax(1) == y).mean()), "top1_optimised": float((fused.argmax(1) == y).mean()),
                     "max_difference": float(delta.max()), "elements_differing": int((delta > 1e-5).sum())}


README = """# MobileNet, already quantized (QDQ)

`samples/mobilenet` quantized by onnxruntime {version}'s own `quantize_static` in QDQ format, as a
deployed int8 model arrives: `quant_pre_process` first (BatchNormalization folded into the
convolutions), then per-channel symmetric int8 weights (`QuantType.QInt8`) and uint8 activations
(`QuantType.QUInt8`), MinMax-calibrated on the first {calibration} images of `data.npz` (the sample
keeps no training images). Every weight is an int8 initializer read through DequantizeLinear (Lathe
makes each a layer with its stored bits: `lathe inspect` and the explorer show `int8 symmetric
per-channel`, and the baseline size counts the int8 weights, scales and zero points); biases are
int32 behind DequantizeLinear; activations pass through QuantizeLinear → DequantizeLinear pairs.
Ops: {ops} (opset {opset}). `data.npz` is a link to `samples/mobilenet`'s (2000 held-out images).

## Why the reference has graph optimisations off

`reference.npy` holds onnxruntime's outputs with graph optimisations off (`ORT_DISABLE_ALL`):
each DequantizeLinear, float Conv and QuantizeLinear runs as written, the literal semantics of the
ONNX specification, which Lathe computes. Top-1 {top1:.2%} (the float `mobilenet`: {float_top1:.2%}).

With optimisations on (onnxruntime's default session) the DequantizeLinear → Conv → QuantizeLinear
patterns are fused into integer QLinearConv kernels. On this machine's CPU (x86 without VNNI) the
uint8 × int8 kernels add pairs of products in saturating 16-bit arithmetic, so the default session
is not the model's exact output: top-1 {top1_optimised:.2%}, {elements_differing} output elements
differ from the literal outputs, by up to {max_difference:.3g}. Quantizing the weights to 7 bits
(`reduce_range=True`), which keeps the pair sums inside 16 bits, does not make the default session
exact either: its integer requantization still rounds differently from QuantizeLinear over float
convolutions (top-1 {rr_top1:.2%} literal vs {rr_top1_optimised:.2%} fused, {rr_elements} elements
differing by up to {rr_max:.3g}), so the sample keeps the common 8-bit setting and the literal
reference.

Lathe agrees with `reference.npy` to 1e-4 except in a handful of elements, which differ by one or
two output quanta (1/255 each; measured: 4 of the 20,000 outputs, by up to 0.00784): a float32
convolution summed in another order can tip an activation across a QuantizeLinear rounding
boundary. `samples/tolerances.json` states that allowance (at most 10 elements, up to 0.00785) for
the tests and cross-checks; top-1 is identical for every image.

Made by `samples/make_quantized_samples.py` (`make samples`).
"""


def make_mobilenet_qdq(summary):
    source = HERE / "mobilenet"
    folder = HERE / "mobilenet_qdq"
    folder.mkdir(exist_ok=True)
    link = folder / "data.npz"
    if link.is_symlink() or link.exists():
        link.unlink()
    # Same images and labels as samples/mobilenet, without a second copy in the repository.
    link.symlink_to(Path("..") / ".." / "Sources" / "lathe" / "Resources" / "sample" / "data.npz")
    data = np.load(link)
    x, y = data["x"].astype(np.float32), data["y"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        prepared = work / "prepared.onnx"
        quant_pre_process(str(source / "model.onnx"), str(prepared), skip_symbolic_shape=True)
        model_path = quantized(prepared, folder / "model.onnx", x, activation_type=QuantType.QUInt8)
        reduced = quantized(prepared, work / "reduced.onnx", x, activation_type=QuantType.QUInt8, reduce_range=True)
        _, rr = session_figures(reduced, x, y)
    literal, figures = session_figures(model_path, x, y)
    np.save(folder / "reference.npy", literal.astype(np.float32))
    model = onnx.load(str(model_path))
    onnx.checker.check_model(model, full_check=True)
    ops = sorted({n.op_type for n in model.graph.node})
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    float_top1 = float((np.load(source / "reference.npy").argmax(1) == y).mean())
    (folder / "README.md").write_text(README.format(
        version=ort.__version__, calibration=CALIBRATION_IMAGES, ops=", ".join(ops), opset=opset,
        float_top1=float_top1, rr_top1=rr["top1"], rr_top1_optimised=rr["top1_optimised"],
        rr_elements=rr["elements_differing"], rr_max=rr["max_difference"], **figures))
    log(f"mobilenet_qdq: top-1 {figures['top1']:.4f} (default onnxruntime session {figures['top1_optimised']:.4f}; "
        f"reduce_range {rr['top1']:.4f} / {rr['top1_optimised']:.4f})")
    summary["samples"]["mobilenet_qdq"] = {
        **figures, "samples": int(len(x)), "input": "x", "input_shape": list(x.shape[1:]), "input_dtype": "uint8",
        "output": model.graph.output[0].name, "opset": opset,
        "parameters": int(sum(np.prod(t.dims) for t in model.graph.initializer if len(t.dims) >= 1)),
        "ops": ops, "reference": "onnxruntime, graph optimisations off (ORT_DISABLE_ALL)",
        "bytes": {f.name: file_size(f) for f in sorted(folder.iterdir()) if f.suffix in (".onnx", ".npz", ".npy")}}


def main():
    path = HERE / "summary.json"
    summary = json.loads(path.read_text()) if path.exists() else {"samples": {}}
    make_mobilenet_qdq(summary)
    path.write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
