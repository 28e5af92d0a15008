#!/usr/bin/env python3
"""Reads a tinyae checkpoint (RUN/model.safetensors) with numpy alone and
recomputes the test MSE that `tinyae eval` reports.

    python3 tools/read_checkpoint.py RUN/model.safetensors data/mnist [--test-limit N] [--json]

The safetensors layout is read here from its specification, independently of
tinyae's C++ reader (and without the safetensors package): 8 bytes of
little-endian header length N, N bytes of JSON header, then the tensors'
bytes. The forward pass is the autoencoder's: each layer is x @ W.T + b (as
torch.nn.Linear), followed by the activation the metadata names.
"""
import argparse
import gzip
import hashlib
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8"), "I32": np.dtype("<i4"),
          "U8": np.dtype("u1"), "I8": np.dtype("i1")}

ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, np.float32(0)),
    "sigmoid": lambda x: (np.float32(1) / (np.float32(1) + np.exp(-x))).astype(np.float32),
    "tanh": np.tanh,
}


def read_safetensors(path):
    """Returns ({name: numpy array}, {metadata key: string})."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: {len(data)} bytes, too short for the header length")
    (header_length,) = struct.unpack("<Q", data[:8])
    if header_length > len(data) - 8:
        raise ValueError(f"{path}: header of {header_length} bytes, file has {len(data) - 8} after the length")
    header = json.loads(data[8:8 + header_length].decode("utf-8"))
    buffer = data[8 + header_length:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    end_of_previous = 0
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"]):
        begin, end = entry["data_offsets"]
        if begin != end_of_previous:
            raise ValueError(f"{path}: tensor {name} begins at {begin}, expected {end_of_previous}")
        dtype = DTYPES[entry["dtype"]]
        shape = tuple(entry["shape"])
        if (end - begin) != dtype.itemsize * int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{path}: tensor {name}: {end - begin} bytes for shape {shape} {entry['dtype']}")
        tensors[name] = np.frombuffer(buffer, dtype=dtype, count=(end - begin) // dtype.itemsize,
                                      offset=begin).reshape(shape)
        end_of_previous = end
    if end_of_previous != len(buffer):
        raise ValueError(f"{path}: {len(buffer) - end_of_previous} bytes after the last tensor")
    expected_hash = metadata.get("tensors_sha256")
    if expected_hash is not None and hashlib.sha256(buffer).hexdigest() != expected_hash:
        raise ValueError(f"{path}: tensor bytes do not match tensors_sha256")
    return tensors, metadata


def read_idx_images(path):
    """An IDX3 image file (raw or .gz) as float32 rows in [0, 1]: (n, rows * cols)."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, count, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != 0x803:
        raise ValueError(f"{path}: IDX magic {magic:#x}, expected 0x803")
    pixels = np.frombuffer(data, dtype=np.uint8, count=count * rows * cols, offset=16)
    return pixels.reshape(count, rows * cols).astype(np.float32) / np.float32(255)


def mnist_test_images(data_dir):
    for name in ("t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            return read_idx_images(path)
    raise FileNotFoundError(f"{data_dir}: no t10k-images-idx3-ubyte[.gz]")


def forward(tensors, model, x):
    """The autoencoder on x (n, input): encoder then decoder, as AutoencoderImpl."""
    layers = len(model["hidden"]) + 1  # per stack
    for stack in ("encoder", "decoder"):
        for i in range(layers):
            last = stack == "decoder" and i == layers - 1
            w = tensors[f"{stack}.{2 * i}.weight"]  # (out, in)
            b = tensors[f"{stack}.{2 * i}.bias"]  # (out)
            x = x @ w.T + b
            x = ACTIVATIONS[model["output_activation" if last else "activation"]](x)
    return x


def test_mse(checkpoint_path, data_dir, test_limit=0, batch_size=1000):
    tensors, metadata = read_safetensors(checkpoint_path)
    model = json.loads(metadata["tinyae"])["model"]
    images = mnist_test_images(data_dir)
    if test_limit > 0:
        images = images[:test_limit]
    squared_error = 0.0  # summed in float64, as tinyae does
    for begin in range(0, len(images), batch_size):
        x = images[begin:begin + batch_size]
        squared_error += float(np.square((forward(tensors, model, x) - x).astype(np.float64)).sum())
    return squared_error / images.size


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="RUN/model.safetensors")
    parser.add_argument("data", help="folder holding t10k-images-idx3-ubyte (raw or .gz)")
    parser.add_argument("--test-limit", type=int, default=0, help="the first N test images only, 0 = all")
    parser.add_argument("--json", action="store_true", help='print {"test_mse": ...} only')
    args = parser.parse_args()
    mse = test_mse(args.checkpoint, args.data, args.test_limit)
    if args.json:
        print(json.dumps({"test_mse": mse}))
    else:
        tensors, metadata = read_safetensors(args.checkpoint)
        meta = json.loads(metadata["tinyae"])
        print(f"{args.checkpoint}: {len(tensors)} tensors, epoch {meta['epoch']}, model {meta['model']}")
        print(f"test_mse: {mse:.9g}")


if __name__ == "__main__":
    sys.exit(main())
