#!/usr/bin/env python3
"""Writes the checkpoint files of tests/hostile/inputs/ (run it from anywhere;
the files are committed, so this only documents and reproduces them):

  model_with_4_inputs.checkpoint     a valid checkpoint of a 4-3-2 model: eval and export
                                     must refuse it for MNIST's 784 pixels, by name
  checkpoint_deep_*.safetensors.gz   arrays nested 300,000 deep where the model, the
                                     training options, the history or the whole
                                     __metadata__ belong (a parser that recurses per level
                                     overflows the stack)
  checkpoint_history_epoch_1e300.safetensors  a history "epoch" of 1e300 (converting it to
                                     int64 is undefined behaviour)
  checkpoint_offsets_1e25.safetensors  data_offsets of 1e25 (the same, in the layout)
  checkpoint_shape_overflow.safetensors  a shape whose element count overflows 64 bits

Written with a safetensors writer of its own (8-byte little-endian header
length, JSON header, tensor bytes), independent of tinyae's C++.
"""
import copy
import gzip
import hashlib
import json
import os
import struct

import numpy as np

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "inputs")
DEEP = "[" * 300000 + "]" * 300000


def safetensors(tensors, metadata, header_text=None):
    """tensors: [(name, float32 array)]; returns the file's bytes."""
    header, data, offset = {}, b"", 0
    for name, array in tensors:
        raw = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        data += raw
        offset += len(raw)
    header["__metadata__"] = dict(metadata, tensors_sha256=hashlib.sha256(data).hexdigest())
    text = (header_text or json.dumps(header, separators=(",", ":"))).encode()
    return struct.pack("<Q", len(text)) + text + data


def tiny_checkpoint():
    rng = np.random.default_rng(4)
    tensors = []
    for stack, pairs in (("encoder", [(4, 3), (3, 2)]), ("decoder", [(2, 3), (3, 4)])):  # (in, out)
        for i, (n_in, n_out) in enumerate(pairs):
            tensors.append((f"{stack}.{2 * i}.weight", rng.uniform(-0.5, 0.5, (n_out, n_in))))
            tensors.append((f"{stack}.{2 * i}.bias", np.zeros(n_out)))
    meta = {"format_version": 2,
            "model": {"input_size": 4, "hidden": [3], "latent_size": 2, "activation": "relu",
                      "output_activation": "relu"},
            "train_options": {"epochs": 1, "batch_size": 2, "lr": 0.001, "seed": 42, "threads": 0,
                              "train_limit": 0},
            "epoch": 1, "data_checksum": "a" * 64, "tool_version": "0.1.0", "torch_version": "1.13.1",
            "history": [{"epoch": 1, "loss": 0.5, "val_loss": 0.25, "seconds": 1.5, "val_images": 2}],
            "optimizer": None}
    return tensors, meta


def splice(meta, key):
    """The metadata text with meta[key] replaced by DEEP (spliced by hand: no recursion)."""
    edited = copy.deepcopy(meta)
    edited[key] = "@@DEEP@@"
    return json.dumps(edited).replace('"@@DEEP@@"', DEEP)


def write(name, data, compress=False):
    path = os.path.join(HERE, name)
    if compress:
        with gzip.GzipFile(path, "wb", mtime=0) as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)


def main():
    tensors, meta = tiny_checkpoint()
    write("model_with_4_inputs.checkpoint", safetensors(tensors, {"tinyae": json.dumps(meta)}))
    for key, name in (("model", "model"), ("train_options", "train_options"), ("history", "history")):
        write(f"checkpoint_deep_{name}.safetensors.gz", safetensors(tensors, {"tinyae": splice(meta, key)}), True)
    write("checkpoint_deep_header.safetensors.gz", safetensors([], {}, '{"__metadata__":' + DEEP + "}"), True)
    edited = copy.deepcopy(meta)
    edited["history"][0]["epoch"] = 1e300
    write("checkpoint_history_epoch_1e300.safetensors", safetensors(tensors, {"tinyae": json.dumps(edited)}))
    header = '{"encoder.0.weight":{"dtype":"F32","shape":[3,4],"data_offsets":[0,1e25]}}'
    write("checkpoint_offsets_1e25.safetensors", safetensors([], {}, header))
    header = ('{"encoder.0.weight":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],'
              '"data_offsets":[0,0]}}')
    write("checkpoint_shape_overflow.safetensors", safetensors([], {}, header))


if __name__ == "__main__":
    main()
