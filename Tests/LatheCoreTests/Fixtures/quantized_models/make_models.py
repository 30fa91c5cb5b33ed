"""An already-quantized copy of a bundled sample, written by onnxruntime's own
quantizer, with references (QuantizedModelTests; the QDQ copy of samples/mobilenet
is the sample samples/mobilenet_qdq, made by samples/make_quantized_samples.py):

    digits_mlp_dynamic/   samples/digits_mlp by quantize_dynamic: int8 weights, MatMulInteger
                          with DynamicQuantizeLinear activations; reference_int4.npy: every
                          MatMulInteger weight re-compressed to 4 bits by Lathe's integer-grid
                          rule (integer_grid below), run by the ONNX reference implementation

Each folder: model.onnx, reference.npy, README.md; the evaluation data is the
source sample's data.npz. References are computed with graph optimisations
off (ORT_DISABLE_ALL): with them on, onnxruntime fuses DequantizeLinear →
Conv → QuantizeLinear into integer kernels whose rounding differs from the
literal QDQ semantics Lathe (and the ONNX specification) computes. The
dynamic model also gets reference_onnx.npy from the ONNX reference
implementation: onnxruntime's uint8 × int8 MatMulInteger saturates 16-bit
pair sums on x86 CPUs without VNNI, so its outputs are not the exact ones.

Run from the repository root after `make venv`:
    .venv/bin/python Tests/LatheCoreTests/Fixtures/quantized_models/make_models.py
Deterministic: the calibration images are fixed and the quantizer is deterministic.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import shutil  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import onnxruntime as ort  # noqa: E402
from onnxruntime.quantization import QuantType, quantize_dynamic  # noqa: E402

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parents[3] / "samples"
# lathe eval's default batch: DynamicQuantizeLinear's range is per batch, so batching changes outputs.
BATCH = 64


def run(model_path, x, optimised=False):
    options = ort.SessionOptions()
    options.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimised
                                        else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    options.intra_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model_path), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return np.concatenate([session.run(None, {name: x[i:i + BATCH]})[0] for i in range(0, len(x), BATCH)])


def finish(name, source, model_path, x, y, description):
    folder = HERE / name
    folder.mkdir(exist_ok=True)
    shutil.copy(model_path, folder / "model.onnx")
    reference = run(folder / "model.onnx", x)
    np.save(folder / "reference.npy", reference.astype(np.float32))
    spec_note = ""
    if name == "digits_mlp_dynamic":  # (the ONNX reference has no DequantizeLinear before opset 19)
        from onnx.reference import ReferenceEvaluator
        evaluator = ReferenceEvaluator(str(folder / "model.onnx"))
        exact = np.concatenate([evaluator.run(None, {"x": x[i:i + BATCH]})[0] for i in range(0, len(x), BATCH)])
        np.save(folder / "reference_onnx.npy", exact.astype(np.float32))
        spec_diff = float(np.abs(exact - reference).max())
        spec_note = f" The ONNX reference implementation differs from `reference.npy` by up to {spec_diff:.3g}."
    optimised = run(folder / "model.onnx", x, optimised=True)
    float_ref = np.load(SAMPLES / source / "reference.npy")
    top1 = float((reference.argmax(1) == y).mean())
    top1_opt = float((optimised.argmax(1) == y).mean())
    top1_float = float((float_ref.argmax(1) == y).mean())
    diff = float(np.abs(optimised - reference).max())
    agree = float((optimised.argmax(1) == reference.argmax(1)).mean())
    model = onnx.load(str(folder / "model.onnx"))
    ops = sorted({n.op_type for n in model.graph.node})
    (folder / "README.md").write_text(
        f"# {name}\n\n{description}\n\n"
        f"Ops: {', '.join(ops)} (opset {model.opset_import[0].version}). `data.npz` is `samples/{source}`'s. "
        f"`reference.npy` holds onnxruntime {ort.__version__}'s outputs with graph optimisations off "
        f"(ORT_DISABLE_ALL), the literal QDQ semantics: top-1 {top1:.2%} "
        f"(the float `{source}`: {top1_float:.2%}). With optimisations on, onnxruntime fuses the quantized "
        f"pattern into integer kernels that round differently: top-1 {top1_opt:.2%}, "
        f"largest output difference {diff:.3g}, top-1 agreement with the reference {agree:.2%}.{spec_note}\n\n"
        f"Made by `make_models.py` in this folder; data: `samples/{source}/data.npz`.\n")
    print(f"{name}: top-1 {top1:.4f} (optimised ORT {top1_opt:.4f}, float {top1_float:.4f}), "
          f"max |optimised - reference| {diff:.3g}, agreement {agree:.4f}{spec_note}")


def digits_dynamic(work):
    data = np.load(SAMPLES / "digits_mlp" / "data.npz")
    out = work / "digits_dynamic.onnx"
    quantize_dynamic(str(SAMPLES / "digits_mlp" / "model.onnx"), str(out), weight_type=QuantType.QInt8)
    finish("digits_mlp_dynamic", "digits_mlp", out, data["x"].astype(np.float32), data["y"],
           "`samples/digits_mlp` quantized by onnxruntime's `quantize_dynamic`: int8 weights (per tensor), "
           "each MatMul replaced by DynamicQuantizeLinear (uint8 activations, scale and zero point computed "
           "per batch) → MatMulInteger → Cast → Mul by the two scales. Since the activation range is "
           "computed over the whole batch, outputs depend on how samples are batched: the references were "
           "computed in batches of 64 in order, as `lathe eval` batches by default. onnxruntime's uint8 × int8 "
           "MatMulInteger adds product pairs in saturating 16-bit arithmetic on x86 CPUs without VNNI, so "
           "`reference.npy` is not the exact result; `reference_onnx.npy` (the ONNX reference implementation) is.")


def integer_grid(values, bits, axis):
    """Lathe's re-compression of an integer weight layer (MatMulInteger B, ConvInteger w), symmetric per
    channel along `axis`, minmax: v = w − zero_point; per channel m = max|v|, the step
    s = max(1, ceil(m / qmax)) with qmax = 2^(b−1) − 1 is a whole number, and v' = clip(round(v / s), −qmax,
    qmax)·s (half to even, float32 as Lathe computes it), so every value is an integer on a b-bit grid."""
    qmax = np.float32(2 ** (bits - 1) - 1)
    v = np.moveaxis(values.astype(np.float32), axis, 0)
    flat = v.reshape(v.shape[0], -1)
    m = np.abs(flat).max(axis=1)
    step = np.maximum(np.float32(1), np.ceil(np.where(m > 0, m / qmax, np.float32(1)))).astype(np.float32)
    q = np.clip(np.round(flat / step[:, None]), -qmax, qmax)
    return np.moveaxis((q * step[:, None]).reshape(v.shape), 0, axis).astype(np.float32)


def recompressed(source, bits):
    """`model` with every MatMulInteger weight (input B, an integer initializer) replaced by its b-bit
    integer-grid values as int32 and its zero point dropped (the ONNX reference implementation
    multiplies any integer type; onnxruntime accepts only int8/uint8)."""
    model = onnx.ModelProto()
    model.CopyFrom(source)
    inits = {t.name: t for t in model.graph.initializer}
    for node in model.graph.node:
        if node.op_type != "MatMulInteger" or node.input[1] not in inits:
            continue
        weight = onnx.numpy_helper.to_array(inits[node.input[1]]).astype(np.int32)
        zero = onnx.numpy_helper.to_array(inits[node.input[3]]).astype(np.int32) if len(node.input) > 3 else 0
        values = integer_grid(weight - zero, bits, axis=weight.ndim - 1)   # B [K, N]: a channel per column
        inits[node.input[1]].CopyFrom(onnx.numpy_helper.from_array(values.astype(np.int32), node.input[1]))
        del node.input[3:]
    return model


def digits_dynamic_int4():
    from onnx.reference import ReferenceEvaluator
    folder = HERE / "digits_mlp_dynamic"
    x = np.load(SAMPLES / "digits_mlp" / "data.npz")["x"].astype(np.float32)
    evaluator = ReferenceEvaluator(recompressed(onnx.load(str(folder / "model.onnx")), bits=4))
    out = np.concatenate([evaluator.run(None, {"x": x[i:i + BATCH]})[0] for i in range(0, len(x), BATCH)])
    np.save(folder / "reference_int4.npy", out.astype(np.float32))
    exact = np.load(folder / "reference_onnx.npy")
    diff, agree = float(np.abs(out - exact).max()), float((out.argmax(1) == exact.argmax(1)).mean())
    readme = folder / "README.md"
    text = readme.read_text().split("\n\n`reference_int4.npy`")[0].rstrip("\n")
    readme.write_text(text + "\n\n`reference_int4.npy`: every MatMulInteger weight re-compressed to 4 bits by "
                      "Lathe's rule for integer weight layers (`integer_grid` in make_models.py: per column of B, "
                      "symmetric, the step a whole number max(1, ceil(max|w − zero_point| / 7))), run in batches of "
                      f"64 by the ONNX reference implementation; it differs from `reference_onnx.npy` by up to "
                      f"{diff:.3g}, top-1 agreement {agree:.2%}.\n")
    print(f"digits_mlp_dynamic int4: max |int4 - int8| {diff:.3g}, argmax agreement {agree:.4f}")


def main():
    with tempfile.TemporaryDirectory() as tmp:
        digits_dynamic(Path(tmp))
    digits_dynamic_int4()


if __name__ == "__main__":
    main()
