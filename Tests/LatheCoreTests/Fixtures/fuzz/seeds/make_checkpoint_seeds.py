#!/usr/bin/env python3
"""Writes the fuzz seeds of the checkpoint readers with the formats' reference writers.

  safetensors/        safetensors.numpy.save_file and safetensors.serialize_file (BF16, metadata)
  gguf/               gguf.GGUFWriter: metadata of every value type (arrays, nested arrays), tensors
                      of the types Lathe decodes (F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1) and
                      two it only lists (I32, Q4_K), and a file with a non-default alignment
  safetensors-index/  model.safetensors.index.json and its two shards (the index target's companions)

Run from anywhere with the venv's Python (scripts/requirements.txt has both packages):
  .venv/bin/python Tests/LatheCoreTests/Fixtures/fuzz/seeds/make_checkpoint_seeds.py
Every file is small (a few KB: mutations should hit headers, not weight bytes) and deterministic.
"""
import json
import os

import gguf
import numpy as np
from gguf import GGMLQuantizationType as QT
from safetensors import TensorSpec, serialize_file
from safetensors.numpy import save_file

HERE = os.path.dirname(os.path.abspath(__file__))


def folder(name):
    path = os.path.join(HERE, name)
    os.makedirs(path, exist_ok=True)
    return path


def weights(rng, shape, dtype=np.float32):
    return (0.05 * rng.standard_normal(shape)).astype(dtype)


def bf16(values):
    return gguf.quants.quantize(np.ascontiguousarray(values, np.float32), QT.BF16).view(np.uint16)


def safetensors_seeds(rng):
    out = folder("safetensors")
    save_file({"linear.weight": weights(rng, (8, 16)), "linear.bias": weights(rng, (8,))},
              os.path.join(out, "f32.safetensors"))
    arrays = {
        "embed.weight": weights(rng, (16, 8), np.float16),
        "norm.weight": np.ones(8, np.float32),
        "position_ids": np.arange(8, dtype=np.int64).reshape(1, 8),
        "mask": (rng.random((4, 4)) > 0.5).astype(np.uint8),
        "scalar": np.float32(0.5).reshape(()),
        "empty": np.zeros((0, 4), np.float32),
    }
    keep = []
    specs = {}
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        keep.append(a)
        specs[name] = TensorSpec(dtype=a.dtype.name, shape=a.shape, data_ptr=a.ctypes.data, data_len=a.nbytes)
    b = bf16(weights(rng, (8, 8)))
    keep.append(b)
    specs["proj.weight"] = TensorSpec(dtype="bfloat16", shape=b.shape, data_ptr=b.ctypes.data, data_len=b.nbytes)
    serialize_file(specs, os.path.join(out, "mixed.safetensors"), metadata={"format": "pt", "note": "lathe fuzz seed"})


def gguf_seeds(rng):
    out = folder("gguf")
    writer = gguf.GGUFWriter(os.path.join(out, "blocks.gguf"), "llama")
    writer.add_name("lathe-fuzz-seed")
    writer.add_context_length(128)
    writer.add_uint8("lathe.u8", 7)
    writer.add_int8("lathe.i8", -7)
    writer.add_uint16("lathe.u16", 700)
    writer.add_int16("lathe.i16", -700)
    writer.add_int32("lathe.i32", -70000)
    writer.add_float32("lathe.f32", 1.5)
    writer.add_uint64("lathe.u64", 1 << 40)
    writer.add_int64("lathe.i64", -(1 << 40))
    writer.add_float64("lathe.f64", 2.5)
    writer.add_bool("lathe.bool", True)
    writer.add_token_list(["<s>", "</s>", "hello", "world"])
    writer.add_array("lathe.numbers", [1.5, 2.5, 3.5])
    writer.add_array("lathe.nested", [[1, 2], [3]])
    for i, qtype in enumerate([QT.F32, QT.F16, QT.BF16, QT.Q8_0, QT.Q4_0, QT.Q4_1, QT.Q5_0, QT.Q5_1]):
        w = weights(rng, (2, 32))
        name = f"blk.{i}.weight"
        if qtype == QT.F32:
            writer.add_tensor(name, w)
        elif qtype == QT.F16:
            writer.add_tensor(name, w.astype(np.float16))
        else:
            q = gguf.quants.quantize(w, qtype)
            writer.add_tensor(name, q, raw_shape=q.shape, raw_dtype=qtype)
    writer.add_tensor("token_types", np.arange(4, dtype=np.int32))
    k_bytes = gguf.GGML_QUANT_SIZES[QT.Q4_K][1]
    writer.add_tensor("blk.9.weight", rng.integers(0, 256, (1, k_bytes), dtype=np.uint8),
                      raw_shape=(1, k_bytes), raw_dtype=QT.Q4_K)
    writer.add_tensor("output_norm.weight", np.ones(32, np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()

    writer = gguf.GGUFWriter(os.path.join(out, "aligned.gguf"), "llama")
    writer.add_custom_alignment(64)
    writer.add_tensor("a.weight", weights(rng, (3, 32), np.float16))
    writer.add_tensor("b.weight", gguf.quants.quantize(weights(rng, (1, 64)), QT.Q8_0),
                      raw_dtype=QT.Q8_0)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    for name in ("blocks.gguf", "aligned.gguf"):
        reader = gguf.GGUFReader(os.path.join(out, name))
        assert len(reader.tensors) > 0, name


def index_seeds(rng):
    out = folder("safetensors-index")
    shards = {
        "model-00001-of-00002.safetensors": {"a.weight": weights(rng, (4, 8)), "a.bias": weights(rng, (4,))},
        "model-00002-of-00002.safetensors": {"b.weight": weights(rng, (2, 4), np.float16)},
    }
    weight_map = {}
    for shard, arrays in shards.items():
        save_file(arrays, os.path.join(out, shard))
        weight_map.update({name: shard for name in arrays})
    with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": 176}, "weight_map": weight_map}, f, indent=2)


def main():
    rng = np.random.default_rng(20261202)
    safetensors_seeds(rng)
    gguf_seeds(rng)
    index_seeds(rng)


if __name__ == "__main__":
    main()
