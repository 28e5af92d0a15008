#!/usr/bin/env python3
"""A dense MNIST autoencoder made by PyTorch alone (no tinyae code), for the
`tinyae import` command-line test: 784 -> 96 -> 24 -> 96 -> 784, tanh inside,
a sigmoid output (tinyae's default is 784-128-64-32 with ReLU), trained
briefly on MNIST and exported with torch.onnx.export (opset 13, Gemm nodes).

Usage: make_cli_onnx_model.py MNIST_DIR OUTDIR ROWS
Writes OUTDIR/autoencoder.onnx, and the first ROWS MNIST test images as the
model reads them (pixel * float32(1 / 255), as tinyae scales them) and
PyTorch's outputs for them, as raw little-endian float32 (ROWS, 784):
OUTDIR/inputs.f32 and OUTDIR/outputs.f32.
"""
import gzip
import io
import os
import sys

import numpy as np
import onnx
import torch


def read_images(mnist_dir, stem, count):
    """The first `count` images of an IDX file (raw or .gz) as float32 pixel * (1 / 255)."""
    path = os.path.join(mnist_dir, stem)
    data = open(path, "rb").read() if os.path.exists(path) else gzip.open(path + ".gz").read()
    assert int.from_bytes(data[0:4], "big") == 0x803, f"{path}: not an IDX image file"
    pixels = np.frombuffer(data, dtype=np.uint8, offset=16)[:count * 784].reshape(count, 784)
    return pixels.astype(np.float32) * np.float32(1.0 / 255.0)


def main(mnist_dir, out_dir, rows):
    torch.manual_seed(7)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 96), torch.nn.Tanh(),
        torch.nn.Linear(96, 24), torch.nn.Tanh(),
        torch.nn.Linear(24, 96), torch.nn.Tanh(),
        torch.nn.Linear(96, 784), torch.nn.Sigmoid())
    train = torch.from_numpy(read_images(mnist_dir, "train-images-idx3-ubyte", 2048))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    for step in range(60):
        batch = train[(step % 8) * 256:(step % 8 + 1) * 256]
        loss = torch.nn.functional.mse_loss(model(batch), batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()
    print(f"PyTorch autoencoder 784-96-24 (tanh, sigmoid output): training MSE {loss.item():.4f} after 60 steps")

    os.makedirs(out_dir, exist_ok=True)
    x = torch.from_numpy(read_images(mnist_dir, "t10k-images-idx3-ubyte", rows))
    buffer = io.BytesIO()
    torch.onnx.export(model, x, buffer, input_names=["image"], output_names=["reconstruction"], opset_version=13,
                      dynamic_axes={"image": {0: "batch"}, "reconstruction": {0: "batch"}})
    proto = onnx.load_from_string(buffer.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    onnx.save(proto, os.path.join(out_dir, "autoencoder.onnx"))
    with torch.no_grad():
        y = model(x)
    x.numpy().astype("<f4").tofile(os.path.join(out_dir, "inputs.f32"))
    y.numpy().astype("<f4").tofile(os.path.join(out_dir, "outputs.f32"))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
