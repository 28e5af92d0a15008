#!/usr/bin/python3
"""The tutorial recipe in plain PyTorch, as a careful PyTorch user writes it.

784-128-64-32-64-128-784, ReLU after every layer, Glorot-uniform weights and
zero biases (Keras' Dense defaults), Adamax(lr 1e-3, betas (0.9, 0.999),
eps 1e-7), MSE, batch 256, reshuffled every epoch, validation on the 10,000
test images after every epoch. The data is read once from the IDX files
(numpy) into float tensors; a batch is one index_select, no per-sample
Python work. Used only to benchmark tinyae against (tools/bench/).

usage: pytorch_reference.py [--data DIR] [--epochs N] [--torch-threads N]
                            [--blas-threads N] [--seed S] [--json]
Thread counts left out keep PyTorch's and OpenBLAS' defaults.
"""
import argparse
import gzip
import json
import os
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "..", "data", "mnist"))
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--torch-threads", type=int, default=0, help="torch.set_num_threads (0: PyTorch's default)")
    p.add_argument("--blas-threads", type=int, default=0, help="OpenBLAS threads (0: OpenBLAS' default)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--json", action="store_true", help="one JSON object on stdout instead of text")
    return p.parse_args()


# OpenBLAS sizes its pool when the library loads, so the variable has to be
# set before torch (which loads libblas.so.3) is imported.
ARGS = parse_args()
if ARGS.blas_threads > 0:
    os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.blas_threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402


def read_idx_images(path):
    """(n, 784) float32 in [0, 1] from an IDX image file, raw or gzip."""
    opener = gzip.open if not os.path.exists(path) else open
    name = path if os.path.exists(path) else path + ".gz"
    with opener(name, "rb") as f:
        raw = f.read()
    magic, n, rows, cols = np.frombuffer(raw[:16], dtype=">u4")
    if magic != 0x803 or len(raw) != 16 + n * rows * cols:
        sys.exit(f"{name}: not an IDX image file")
    pixels = np.frombuffer(raw[16:], dtype=np.uint8).reshape(n, rows * cols)
    return torch.from_numpy(pixels.astype(np.float32) / np.float32(255))


def autoencoder():
    sizes = [784, 128, 64, 32, 64, 128, 784]
    layers = []
    for fan_in, fan_out in zip(sizes, sizes[1:]):
        linear = nn.Linear(fan_in, fan_out)
        nn.init.xavier_uniform_(linear.weight)
        nn.init.zeros_(linear.bias)
        layers += [linear, nn.ReLU()]
    return nn.Sequential(*layers)


def blas_info():
    """OpenBLAS' kernel and thread count as loaded in this process, if it is OpenBLAS."""
    import ctypes
    try:
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        return lib.openblas_get_corename().decode(), lib.openblas_get_num_threads()
    except (OSError, AttributeError):
        return "not OpenBLAS", 0


def main():
    if ARGS.torch_threads > 0:
        torch.set_num_threads(ARGS.torch_threads)
    torch.manual_seed(ARGS.seed)
    train = read_idx_images(os.path.join(ARGS.data, "train-images-idx3-ubyte"))
    test = read_idx_images(os.path.join(ARGS.data, "t10k-images-idx3-ubyte"))
    model = autoencoder()
    optimizer = torch.optim.Adamax(model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-7)
    loss_fn = nn.MSELoss()
    batch = 256
    n = train.shape[0]

    epoch_seconds, losses, val_losses = [], [], []
    for _ in range(ARGS.epochs):
        start = time.perf_counter()
        model.train()
        order = torch.randperm(n)
        total = torch.zeros((), dtype=torch.float64)
        for begin in range(0, n, batch):
            x = train.index_select(0, order[begin:begin + batch])
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), x)
            loss.backward()
            optimizer.step()
            total += loss.detach() * x.shape[0]  # no .item(): no sync point per step
        model.eval()
        with torch.no_grad():
            val_sum = sum(loss_fn(model(chunk), chunk).item() * chunk.shape[0] for chunk in test.split(1000))
        epoch_seconds.append(time.perf_counter() - start)
        losses.append(total.item() / n)
        val_losses.append(val_sum / test.shape[0])
        if not ARGS.json:
            print(f"epoch {len(losses)}: loss {losses[-1]:.5f} val_loss {val_losses[-1]:.5f} "
                  f"{epoch_seconds[-1]:.3f} s", flush=True)

    kernel, blas_threads = blas_info()
    result = {
        "torch_version": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "blas_threads": blas_threads,
        "blas_kernel": kernel,
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
        "epoch_seconds": epoch_seconds,
        "median_epoch_seconds": float(np.median(epoch_seconds)),
        "loss": losses,
        "val_loss": val_losses,
        "final_test_mse": val_losses[-1],
    }
    if ARGS.json:
        print(json.dumps(result))
    else:
        print(f"median seconds per epoch: {result['median_epoch_seconds']:.3f} (torch threads "
              f"{result['torch_threads']}, OpenBLAS {kernel} x {blas_threads}); final test MSE "
              f"{result['final_test_mse']:.5f}")


if __name__ == "__main__":
    main()
