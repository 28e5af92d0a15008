#!/usr/bin/env python3
"""Records the golden numbers of tests/model/test_adamax.cpp (AdamaxGolden).

The problem: a torch.nn.Linear(3, 2) with fixed weights, four fixed inputs
and targets, MSE loss, five steps of torch.optim.Adamax (lr 0.01, betas
0.9/0.999, eps 1e-7, single-tensor path), all float32. It prints the loss
before each step, the parameters after each step and the final optimizer
state as C++ initialisers, to be pasted into the test.

Run with the system Python (python3-torch):  /usr/bin/python3 tests/model/record_adamax_golden.py
"""
import torch

# Must match the constants in test_adamax.cpp.
WEIGHT = [[0.5, -0.25, 0.125], [-0.75, 0.3, 0.9]]  # (out=2, in=3)
BIAS = [0.1, -0.2]  # (out=2)
INPUTS = [[1.0, 2.0, -1.0], [0.5, -1.5, 2.0], [-2.0, 0.25, 0.75], [3.0, -0.5, 1.0]]  # (n=4, in=3)
TARGETS = [[1.0, -1.0], [0.0, 2.0], [-1.5, 0.5], [2.5, 1.0]]  # (n=4, out=2)
STEPS = 5


def floats(tensor):
    """A flat C++ initialiser, 9 significant digits (float32 round-trips)."""
    return "{" + ", ".join("%.9gf" % v for v in tensor.detach().flatten().tolist()) + "}"


def main():
    torch.set_num_threads(1)
    layer = torch.nn.Linear(3, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(WEIGHT))
        layer.bias.copy_(torch.tensor(BIAS))
    x = torch.tensor(INPUTS)
    y = torch.tensor(TARGETS)
    optimizer = torch.optim.Adamax(layer.parameters(), lr=0.01, betas=(0.9, 0.999), eps=1e-7,
                                   weight_decay=0, foreach=False)
    print("// Recorded by tests/model/record_adamax_golden.py with torch %s" % torch.__version__)
    print("const float kGoldenLoss[%d] = {" % STEPS, end="")
    losses, weights, biases = [], [], []
    for _ in range(STEPS):
        optimizer.zero_grad()
        loss = torch.nn.functional.mse_loss(layer(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        weights.append(floats(layer.weight))
        biases.append(floats(layer.bias))
    print(", ".join("%.9gf" % v for v in losses) + "};")
    print("const float kGoldenWeight[%d][6] = {" % STEPS)
    print(",\n".join("    " + w for w in weights) + "};")
    print("const float kGoldenBias[%d][2] = {" % STEPS)
    print(",\n".join("    " + b for b in biases) + "};")
    state_w = optimizer.state[layer.weight]
    state_b = optimizer.state[layer.bias]
    print("const float kGoldenWeightExpAvg[6] = %s;" % floats(state_w["exp_avg"]))
    print("const float kGoldenWeightExpInf[6] = %s;" % floats(state_w["exp_inf"]))
    print("const float kGoldenBiasExpAvg[2] = %s;" % floats(state_b["exp_avg"]))
    print("const float kGoldenBiasExpInf[2] = %s;" % floats(state_b["exp_inf"]))


if __name__ == "__main__":
    main()
