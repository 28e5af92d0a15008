#!/usr/bin/env python3
"""An independent check of an ONNX file tinyae exported: onnx.checker with
full_check, then a small numpy evaluator (Gemm, MatMul, Add, Relu, Sigmoid,
Tanh, Identity; written here, no tinyae code) run on the given inputs and
compared with the expected outputs (LibTorch's, computed by the C++ test).

Usage: onnx_reference.py MODEL.onnx INPUTS.f32 EXPECTED.f32
  INPUTS.f32 and EXPECTED.f32 are raw little-endian float32, row-major
  (rows, features); the feature counts come from the model.
Exit status 0 if every output is within 1e-5 of the expected one, 1 otherwise.
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

TOLERANCE = 1e-5


def attribute(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def run_node(node, values):
    args = [values[name] for name in node.input if name]
    op = node.op_type
    if op == "Gemm":
        a, b = args[0], args[1]
        if attribute(node, "transA", 0):
            a = a.T
        if attribute(node, "transB", 0):
            b = b.T
        y = attribute(node, "alpha", 1.0) * (a @ b)
        return y + attribute(node, "beta", 1.0) * args[2] if len(args) > 2 else y
    if op == "MatMul":
        return args[0] @ args[1]
    if op == "Add":
        return args[0] + args[1]
    if op == "Relu":
        return np.maximum(args[0], 0.0)
    if op == "Sigmoid":
        return 1.0 / (1.0 + np.exp(-args[0]))
    if op == "Tanh":
        return np.tanh(args[0])
    if op == "Identity":
        return args[0]
    raise ValueError(f"node '{node.name}': operator {op} is not in the reference evaluator")


def evaluate(model, inputs):
    """The graph's single output for `inputs`, in float64 (nodes in file order: ONNX requires topological order)."""
    graph = model.graph
    values = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in graph.initializer}
    values[graph.input[0].name] = inputs.astype(np.float64)
    for node in graph.node:
        values[node.output[0]] = run_node(node, values)
    return values[graph.output[0].name]


def features(value_info):
    return value_info.type.tensor_type.shape.dim[1].dim_value


def main(model_path, inputs_path, expected_path):
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    inputs = np.fromfile(inputs_path, dtype="<f4").reshape(-1, features(model.graph.input[0]))
    expected = np.fromfile(expected_path, dtype="<f4").reshape(-1, features(model.graph.output[0]))
    got = evaluate(model, inputs)
    gap = np.abs(got - expected)
    worst = np.unravel_index(np.argmax(gap), gap.shape)
    print(f"{model_path}: opset {model.opset_import[0].version}, {inputs.shape[0]} rows, "
          f"max abs diff {gap.max():.3g} at {tuple(int(i) for i in worst)} (tolerance {TOLERANCE:g})")
    return 0 if gap.max() <= TOLERANCE else 1


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
