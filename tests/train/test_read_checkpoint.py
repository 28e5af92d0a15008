#!/usr/bin/env python3
"""The checkpoint as other tools see it: tools/read_checkpoint.py, a numpy
reader of the safetensors layout written independently of tinyae's C++,
must (1) find exactly the tensors LibTorch loads from RUN/model.safetensors,
bit for bit (max abs diff 0), and (2) recompute from them alone the test MSE
that `tinyae eval --json` reports.

Usage: test_read_checkpoint.py RUN DATA TINYAE   (RUN written by write_reference_checkpoint)
"""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools"))
import read_checkpoint  # noqa: E402

TEST_LIMIT = 100
# numpy's matrix products sum in another order than LibTorch's: float32
# rounding differs, the mean over 78,400 squared errors barely.
MSE_RELATIVE_TOLERANCE = 1e-5


def main():
    run, data, tinyae = sys.argv[1:4]
    checkpoint = os.path.join(run, "model.safetensors")
    tensors, metadata = read_checkpoint.read_safetensors(checkpoint)
    with open(os.path.join(run, "libtorch_tensors.json")) as f:
        libtorch = json.load(f)
    failures = []
    if sorted(tensors) != sorted(libtorch):
        failures.append(f"tensor names differ: numpy {sorted(tensors)}, LibTorch {sorted(libtorch)}")
    worst = (0.0, "")
    for name in sorted(set(tensors) & set(libtorch)):
        want = np.array(libtorch[name]["values"], dtype=np.float64).reshape(libtorch[name]["shape"])
        got = tensors[name].astype(np.float64)
        if got.shape != want.shape:
            failures.append(f"{name}: numpy shape {got.shape}, LibTorch {want.shape}")
            continue
        gap = float(np.max(np.abs(got - want))) if got.size else 0.0
        if gap >= worst[0]:
            worst = (gap, name)
    print(f"{len(tensors)} tensors: numpy vs LibTorch max abs diff {worst[0]:g} (at {worst[1]}), tolerance 0")
    if worst[0] != 0:
        failures.append(f"tensor values differ: max abs diff {worst[0]:g} at {worst[1]}")
    meta = json.loads(metadata["tinyae"])
    print(f"metadata: format_version {meta['format_version']}, epoch {meta['epoch']}, model {meta['model']}")

    numpy_mse = read_checkpoint.test_mse(checkpoint, data, TEST_LIMIT)
    out = subprocess.run([tinyae, "eval", "--model", checkpoint, "--data", data, "--json", "--quiet",
                          "--train-limit", "10", "--test-limit", str(TEST_LIMIT)],
                         check=True, capture_output=True, text=True, timeout=300).stdout
    eval_mse = json.loads(out)["test_mse"]
    relative = abs(numpy_mse - eval_mse) / eval_mse
    print(f"test MSE on {TEST_LIMIT} images: numpy {numpy_mse:.9g}, tinyae eval {eval_mse:.9g}, "
          f"relative gap {relative:.3g}, tolerance {MSE_RELATIVE_TOLERANCE:g}")
    if not relative <= MSE_RELATIVE_TOLERANCE:
        failures.append(f"test MSE: numpy {numpy_mse}, tinyae eval {eval_mse}")

    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
