#!/usr/bin/env python3
"""Dense autoencoders that are not tinyae's, exported to ONNX by PyTorch, with
inputs and PyTorch's outputs next to each file, for the import test.

Usage: make_torch_models.py OUTDIR
Writes, for each NAME below, NAME.onnx, NAME.inputs.f32 and NAME.outputs.f32
(raw little-endian float32, (rows, 20)):
  torch_opset11, torch_opset12, torch_opset13   torch.onnx.export (Gemm nodes)
  torch_dynamic_batch                           the same with a symbolic batch dimension
  torch_initializers_as_inputs                  initializers also listed as graph inputs (old exporters)
  matmul_add_identity                           the same weights as MatMul + Add (weights transposed,
                                                bias first in one Add) and Identity nodes, built with onnx.helper
"""
import io
import os
import sys

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

ROWS = 7


def autoencoder():
    torch.manual_seed(14)
    return torch.nn.Sequential(
        torch.nn.Linear(20, 12), torch.nn.ReLU(),
        torch.nn.Linear(12, 6), torch.nn.Tanh(),
        torch.nn.Linear(6, 12), torch.nn.ReLU(),
        torch.nn.Linear(12, 20), torch.nn.Sigmoid()).eval()


def torch_export(model, x, **options):
    buffer = io.BytesIO()
    torch.onnx.export(model, x, buffer, input_names=["x"], output_names=["y"], **options)
    return onnx.load_from_string(buffer.getvalue())


def matmul_add_identity(model):
    """The same network as MatMul (weight (in, out)) + Add, an Identity at each end."""
    nodes = [helper.make_node("Identity", ["x"], ["x_copy"], name="entry")]
    initializers = []
    tensor = "x_copy"
    activations = {torch.nn.ReLU: "Relu", torch.nn.Tanh: "Tanh", torch.nn.Sigmoid: "Sigmoid"}
    for i, module in enumerate(model):
        if isinstance(module, torch.nn.Linear):
            w = module.weight.detach().numpy().T.copy()
            b = module.bias.detach().numpy()
            initializers += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
            nodes.append(helper.make_node("MatMul", [tensor, f"w{i}"], [f"mm{i}"], name=f"matmul{i}"))
            # The bias first in one Add, second in the others: both orders are legal.
            adds = [f"b{i}", f"mm{i}"] if i == 0 else [f"mm{i}", f"b{i}"]
            nodes.append(helper.make_node("Add", adds, [f"add{i}"], name=f"add{i}"))
            tensor = f"add{i}"
        else:
            nodes.append(helper.make_node(activations[type(module)], [tensor], [f"act{i}"], name=f"act{i}"))
            tensor = f"act{i}"
    nodes.append(helper.make_node("Identity", [tensor], ["y"], name="exit"))
    graph = helper.make_graph(nodes, "matmul_add_identity", [
        helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["batch", 20])], [
        helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["batch", 20])], initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_torch_models")


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    model = autoencoder()
    x = torch.rand(ROWS, 20)
    with torch.no_grad():
        y = model(x)
    dynamic = {"x": {0: "batch"}, "y": {0: "batch"}}
    models = {
        "torch_opset11": torch_export(model, x, opset_version=11),
        "torch_opset12": torch_export(model, x, opset_version=12),
        "torch_opset13": torch_export(model, x, opset_version=13),
        "torch_dynamic_batch": torch_export(model, x, opset_version=13, dynamic_axes=dynamic),
        "torch_initializers_as_inputs": torch_export(model, x, opset_version=11, keep_initializers_as_inputs=True),
        "matmul_add_identity": matmul_add_identity(model),
    }
    for name, proto in models.items():
        onnx.checker.check_model(proto, full_check=True)
        onnx.save(proto, os.path.join(out_dir, name + ".onnx"))
        x.numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".inputs.f32"))
        y.numpy().astype("<f4").tofile(os.path.join(out_dir, name + ".outputs.f32"))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
