#!/usr/bin/env python3
"""Hostile ONNX files for the import test and the fuzz seeds: each one is
refused by tinyae::parse_onnx, and tests/onnx/test_onnx.cpp holds, for each
file, the words its message must contain (the node, its operator, the
culprit). Built with the onnx package from a small valid network (20 -> 6,
Gemm + Relu), changed in one way each.

Usage: make_hostile_models.py OUTDIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def weights(name, shape, dtype=np.float32):
    return numpy_helper.from_array(np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(dtype), name)


def gemm(name="gemm0", inputs=("x", "w", "b"), output="h", **attributes):
    return helper.make_node("Gemm", list(inputs), [output], name=name, transB=1, **attributes)


def model(nodes, initializers=None, inputs=None, outputs=None, opset=13):
    initializers = [weights("w", (6, 20)), weights("b", (6,))] if initializers is None else initializers
    inputs = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 20])]
    outputs = outputs or [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 6])]
    graph = helper.make_graph(nodes, "hostile", inputs, outputs, initializers)
    opsets = [helper.make_opsetid("", opset)] if opset else [helper.make_opsetid("com.example", 1)]
    return helper.make_model(graph, opset_imports=opsets)


def valid():
    return model([gemm(), helper.make_node("Relu", ["h"], ["y"], name="relu0")])


def raw(name, dims, data_type, payload):
    """A tensor whose raw_data need not match its dims (helper.make_tensor would check)."""
    tensor = TensorProto(name=name, data_type=data_type, dims=dims)
    tensor.raw_data = payload
    return tensor


def external_weight():
    tensor = weights("w", (6, 20))
    tensor.ClearField("raw_data")
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "weights.bin"
    return tensor


def cases():
    relu = helper.make_node("Relu", ["h"], ["y"], name="relu0")
    good = valid().SerializeToString()
    yield "truncated", good[: len(good) // 2]
    yield "garbage", np.random.default_rng(14).integers(0, 256, 512, dtype=np.uint8).tobytes()
    yield "empty", b""
    yield "unsupported_op", model([gemm(), helper.make_node("Flatten", ["h"], ["y"], name="flatten_1", axis=1)])
    yield "custom_domain", model([gemm(), helper.make_node("Relu", ["h"], ["y"], name="relu_custom", domain="com.example")])
    yield "gemm_alpha", model([gemm(alpha=2.0), relu])
    yield "gemm_transA", model([gemm(transA=1), relu])
    # 50,000 x 50,000 float32: a 10 GB weight declared by a file of a few hundred bytes.
    yield "declared_10gb", model([gemm(), relu], [raw("w", (50000, 50000), TensorProto.FLOAT, b""), weights("b", (6,))])
    yield "dims_overflow", model([gemm(), relu], [raw("w", (2**40, 2**40), TensorProto.FLOAT, b""), weights("b", (6,))])
    yield "negative_dims", model([gemm(), relu], [raw("w", (-6, 20), TensorProto.FLOAT, b""), weights("b", (6,))])
    yield "raw_data_short", model([gemm(), relu], [raw("w", (6, 20), TensorProto.FLOAT, b"\0" * 100), weights("b", (6,))])
    yield "double_weights", model([gemm(), relu], [weights("w", (6, 20), np.float64), weights("b", (6,))])
    yield "int8_weights", model([gemm(), relu], [weights("w", (6, 20), np.int8), weights("b", (6,))])
    yield "int_input", model([gemm(), relu], inputs=[helper.make_tensor_value_info("x", TensorProto.INT32, ["N", 20])])
    yield "external_data", model([gemm(), relu], [external_weight(), weights("b", (6,))])
    yield "cycle_off_chain", model([gemm(), relu, helper.make_node("Relu", ["c2"], ["c1"], name="loop_a"),
                                    helper.make_node("Tanh", ["c1"], ["c2"], name="loop_b")])
    yield "cycle_on_chain", model([helper.make_node("MatMul", ["x", "wt"], ["a"], name="matmul0"),
                                   helper.make_node("Add", ["a", "y"], ["s"], name="add_loop"),
                                   helper.make_node("Relu", ["s"], ["y"], name="relu_loop")],
                                  [weights("wt", (20, 6))])
    yield "branch", model([gemm(), relu, helper.make_node("Tanh", ["h"], ["t"], name="tanh_branch")])
    yield "dangling_input", model([gemm(inputs=("x", "w", "ghost")), relu])
    yield "two_inputs", model([gemm(), relu], inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 20]),
                                                      helper.make_tensor_value_info("x2", TensorProto.FLOAT, ["N", 20])])
    yield "rank3_input", model([gemm(), relu], inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 20])])
    yield "symbolic_features", model([gemm(), relu], inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", "F"])])
    yield "huge_features", model([gemm(), relu], inputs=[helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 70000])])
    yield "weight_shape", model([gemm(), relu], [weights("w", (6, 21)), weights("b", (6,))])
    yield "bias_shape", model([gemm(), relu], [weights("w", (6, 20)), weights("b", (7,))])
    yield "activation_first", model([helper.make_node("Relu", ["x"], ["r"], name="relu_first"), gemm(inputs=("r", "w", "b"), output="y")])
    yield "add_after_gemm", model([gemm(), helper.make_node("Add", ["h", "b"], ["y"], name="add_extra")])
    yield "unused_initializer", model([gemm(), relu], [weights("w", (6, 20)), weights("b", (6,)), weights("spare", (3,))])
    yield "duplicate_initializer", model([gemm(), relu], [weights("w", (6, 20)), weights("b", (6,)), weights("b", (6,))])
    yield "written_twice", model([gemm(), relu, helper.make_node("Tanh", ["x"], ["h"], name="tanh_twice")])
    yield "old_opset", model([gemm(), relu], opset=5)
    yield "no_default_opset", model([gemm(), relu], opset=None)
    yield "output_features", model([gemm(), relu], outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 7])])
    yield "two_outputs", model([gemm(), relu], outputs=[helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 6]),
                                                        helper.make_tensor_value_info("h", TensorProto.FLOAT, ["N", 6])])


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    for name, content in cases():
        data = content if isinstance(content, bytes) else content.SerializeToString()
        with open(os.path.join(out_dir, name + ".onnx"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
