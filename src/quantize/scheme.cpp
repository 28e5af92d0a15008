// Quantized networks and the host reference inference (no LibTorch here
// beyond the tensor conversions at the bottom). Deliberately written apart
// from src/runtime/tinyae_int8.c: the rounding uses a truncating division
// corrected to a floor, the sums are plain loops over natural order, and
// nothing is shared, so that comparing the two tests both.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "tinyae/common.h"
#include "tinyae/quantize.h"

namespace tinyae {

namespace {

constexpr std::size_t kTableSize = 256;

bool uses_table(Activation a) { return a == Activation::kSigmoid || a == Activation::kTanh; }

std::string layer_name(std::size_t index) { return "layer " + std::to_string(index); }

}  // namespace

// ---- network ----------------------------------------------------------------

std::int32_t QuantizedLayer::lowest() const {
  return activation == Activation::kRelu ? output.zero_point : static_cast<std::int32_t>(kInt8Min);
}

std::int64_t QuantizedNetwork::input_size() const { return layers.empty() ? 0 : layers.front().in_size; }
std::int64_t QuantizedNetwork::output_size() const { return layers.empty() ? 0 : layers.back().out_size; }

const QuantParams& QuantizedNetwork::input() const {
  if (layers.empty()) throw Error("quantized network has no layers");
  return layers.front().input;
}

const QuantParams& QuantizedNetwork::output() const {
  if (layers.empty()) throw Error("quantized network has no layers");
  return layers.back().output;
}

QuantizedNetwork QuantizedNetwork::slice(std::size_t first, std::size_t count) const {
  if (count == 0 || first > layers.size() || count > layers.size() - first) {
    throw Error("cannot take layers [" + std::to_string(first) + ", " + std::to_string(first + count) +
                ") of a network with " + std::to_string(layers.size()) + " layers");
  }
  QuantizedNetwork part;
  part.layers.assign(layers.begin() + static_cast<std::ptrdiff_t>(first),
                     layers.begin() + static_cast<std::ptrdiff_t>(first + count));
  return part;
}

std::uint64_t QuantizedNetwork::macs() const {
  std::uint64_t total = 0;
  for (const QuantizedLayer& l : layers) total += static_cast<std::uint64_t>(l.in_size * l.out_size);
  return total;
}

std::uint64_t QuantizedNetwork::weights_bytes() const {
  std::uint64_t total = 0;
  for (const QuantizedLayer& l : layers) {
    const auto out = static_cast<std::uint64_t>(l.out_size);
    total += static_cast<std::uint64_t>(l.in_size) * out;              // int8 weights
    total += out * (sizeof(std::int32_t) * 2 + sizeof(std::uint8_t));  // bias, multiplier, shift
    total += l.table.size();                                           // int8 table
  }
  return total;
}

std::uint64_t QuantizedNetwork::scratch_words() const {
  std::uint64_t mid = 0, rows = 0, chunk = 0;
  for (std::size_t i = 0; i < layers.size(); i++) {
    const auto in = static_cast<std::uint64_t>(layers[i].in_size);
    const auto out = static_cast<std::uint64_t>(layers[i].out_size);
    rows = std::max(rows, std::min(out, kBlockRowsI8));
    // a one-layer model widens its whole input: input and output may be the same memory
    chunk = std::max(chunk, layers.size() == 1 ? in : std::min(in, kChunkInputsI8));
    if (i + 1 < layers.size()) {  // intermediate, live together with the next one
      const std::uint64_t next = i + 2 < layers.size() ? static_cast<std::uint64_t>(layers[i + 1].out_size) : 0;
      mid = std::max(mid, out + next);
    }
  }
  return (mid + 3) / 4 + rows + 2 * ((chunk + 3) / 4);
}

void QuantizedNetwork::validate() const {
  if (layers.empty()) throw Error("quantized network has no layers");
  for (std::size_t i = 0; i < layers.size(); i++) {
    const QuantizedLayer& l = layers[i];
    const std::string where = layer_name(i);
    if (l.in_size < 1 || l.in_size > kMaxLayerSize || l.out_size < 1 || l.out_size > kMaxLayerSize) {
      throw Error(where + ": sizes " + std::to_string(l.in_size) + " -> " + std::to_string(l.out_size) +
                  " are outside [1, " + std::to_string(kMaxLayerSize) + "]");
    }
    const auto rows = static_cast<std::size_t>(l.out_size);
    if (l.weights.size() != rows * static_cast<std::size_t>(l.in_size) || l.weight_scales.size() != rows ||
        l.bias.size() != rows || l.multipliers.size() != rows) {
      throw Error(where + ": array lengths do not match " + std::to_string(l.in_size) + " -> " +
                  std::to_string(l.out_size));
    }
    for (const QuantParams* p : {&l.input, &l.output, &l.requant}) {
      if (p->zero_point < kInt8Min || p->zero_point > kInt8Max || !(p->scale > 0.0f) || !std::isfinite(p->scale)) {
        throw Error(where + ": a scale is not positive and finite or a zero point is outside [-128, 127]");
      }
    }
    if (uses_table(l.activation) != (l.table.size() == kTableSize) || (!uses_table(l.activation) && !l.table.empty())) {
      throw Error(where + ": " + activation_name(l.activation) + " expects " +
                  (uses_table(l.activation) ? "a 256-entry table" : "no table") + ", found " +
                  std::to_string(l.table.size()) + " entries");
    }
    if (!uses_table(l.activation) &&
        (l.requant.zero_point != l.output.zero_point || l.requant.scale != l.output.scale)) {
      throw Error(where + ": a relu/linear layer must requantize to its output parameters");
    }
    if (i > 0 && (layers[i - 1].out_size != l.in_size || layers[i - 1].output.zero_point != l.input.zero_point ||
                  layers[i - 1].output.scale != l.input.scale)) {
      throw Error(where + ": input does not match the output of " + layer_name(i - 1) + " (size " +
                  std::to_string(layers[i - 1].out_size) + " vs " + std::to_string(l.in_size) + ")");
    }
    if (std::find(l.weights.begin(), l.weights.end(), static_cast<std::int8_t>(kInt8Min)) != l.weights.end()) {
      throw Error(where + ": a weight is -128 (symmetric weights stay in [-127, 127])");
    }
    const std::int64_t limit = bias_limit(l.in_size);
    for (std::size_t o = 0; o < rows; o++) {
      if (std::abs(static_cast<std::int64_t>(l.bias[o])) > limit) {
        throw Error(where + ", row " + std::to_string(o) + ": bias " + std::to_string(l.bias[o]) +
                    " exceeds the overflow-safe limit " + std::to_string(limit));
      }
      if (l.multipliers[o].shift < 1 || l.multipliers[o].shift > 62 || l.multipliers[o].multiplier < 0) {
        throw Error(where + ", row " + std::to_string(o) + ": multiplier " +
                    std::to_string(l.multipliers[o].multiplier) + " / shift " + std::to_string(l.multipliers[o].shift) +
                    " out of range");
      }
    }
  }
}

// ---- reference inference ------------------------------------------------------

std::vector<std::int8_t> run_reference(const QuantizedNetwork& network, const std::int8_t* inputs, std::int64_t count) {
  network.validate();
  if (count < 0 || (count > 0 && inputs == nullptr)) {
    throw Error("run_reference: " + std::to_string(count) + " inputs from a null pointer");
  }
  std::vector<std::int8_t> current(inputs, inputs + count * network.input_size());  // (count, in)
  std::vector<std::int8_t> next;                                                    // (count, out)
  std::vector<std::int16_t> centered;                                               // (in) q_x - zero_point
  for (const QuantizedLayer& l : network.layers) {
    const auto in = static_cast<std::size_t>(l.in_size);
    const auto out = static_cast<std::size_t>(l.out_size);
    next.assign(static_cast<std::size_t>(count) * out, 0);
    centered.resize(in);
    for (std::int64_t n = 0; n < count; n++) {
      const std::int8_t* x = current.data() + static_cast<std::size_t>(n) * in;
      for (std::size_t i = 0; i < in; i++) {
        centered[i] = static_cast<std::int16_t>(x[i] - l.input.zero_point);
      }
      std::int8_t* y = next.data() + static_cast<std::size_t>(n) * out;
      for (std::size_t o = 0; o < out; o++) {
        const std::int8_t* row = l.weights.data() + o * in;
        std::int32_t dot = 0;  // |dot| <= in * 127 * 255 < 2^31
        for (std::size_t i = 0; i < in; i++) {
          dot += static_cast<std::int32_t>(row[i]) * centered[i];
        }
        const auto acc = static_cast<std::int32_t>(std::int64_t{l.bias[o]} + dot);  // bias_limit keeps this in range
        std::int8_t q = requantize(acc, l.multipliers[o], l.requant.zero_point, l.lowest(), kInt8Max);
        if (!l.table.empty()) {
          q = l.table[static_cast<std::size_t>(q - kInt8Min)];
        }
        y[o] = q;
      }
    }
    current.swap(next);
  }
  return current;
}

// ---- tensors ------------------------------------------------------------------

std::vector<std::int8_t> quantize_tensor(const torch::Tensor& values, const QuantParams& params) {
  const torch::Tensor v = values.to(torch::kCPU, torch::kFloat).contiguous();
  const float* data = v.data_ptr<float>();
  std::vector<std::int8_t> q(static_cast<std::size_t>(v.numel()));
  for (std::size_t i = 0; i < q.size(); i++) q[i] = quantize_value(data[i], params);
  return q;
}

torch::Tensor dequantize_tensor(const std::vector<std::int8_t>& values, std::int64_t rows, std::int64_t cols,
                                const QuantParams& params) {
  if (rows < 0 || cols < 0 || static_cast<std::uint64_t>(rows * cols) != values.size()) {
    throw Error("dequantize_tensor: " + std::to_string(values.size()) + " values do not form (" + std::to_string(rows) +
                ", " + std::to_string(cols) + ")");
  }
  torch::Tensor t = torch::empty({rows, cols}, torch::kFloat);
  float* data = t.data_ptr<float>();
  for (std::size_t i = 0; i < values.size(); i++) data[i] = dequantize_value(values[i], params);
  return t;
}

}  // namespace tinyae
