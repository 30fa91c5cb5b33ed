#!/usr/bin/env python3
"""Checks files the Swift tests wrote with Lathe's writers, using the independent readers.

  check_written.py onnx WRITTEN.onnx REFERENCE.npz
      onnx's checker accepts the model and onnxruntime's outputs equal the reference exactly
      (REFERENCE holds 'input:NAME' feeds and 'output:NAME' results of the original model).
  check_written.py npy WRITTEN.npy EXPECTED.npy    numpy reads the same dtype, shape and values
  check_written.py npz WRITTEN.npz EXPECTED.npz    same, for every array, with the same names
Exit status 0 when everything matches; otherwise the mismatch is printed.
"""
import sys

import numpy as np


def same(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")


def check_onnx(path, reference_path):
    import onnx
    import onnxruntime as ort

    onnx.checker.check_model(onnx.load(path))
    reference = np.load(reference_path)
    feeds = {k[len("input:"):]: reference[k] for k in reference.files if k.startswith("input:")}
    expected = {k[len("output:"):]: reference[k] for k in reference.files if k.startswith("output:")}
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = list(expected)
    for name, got in zip(names, session.run(names, feeds)):
        if not same(got, expected[name]):
            sys.exit(f"output {name} differs: max |diff| {np.max(np.abs(got - expected[name]))}")


def check_npy(path, expected_path):
    got, expected = np.load(path), np.load(expected_path)
    if not same(got, expected):
        sys.exit(f"{path}: got {got.dtype} {got.shape} {got!r}, expected {expected.dtype} {expected.shape}")


def check_npz(path, expected_path):
    got, expected = np.load(path), np.load(expected_path)
    if got.files != expected.files:
        sys.exit(f"{path}: arrays {got.files}, expected {expected.files}")
    for name in expected.files:
        if not same(got[name], expected[name]):
            sys.exit(f"{path}: array {name} differs: {got[name]!r} vs {expected[name]!r}")


if __name__ == "__main__":
    kind, written, expected = sys.argv[1:4]
    {"onnx": check_onnx, "npy": check_npy, "npz": check_npz}[kind](written, expected)
    print("ok")
