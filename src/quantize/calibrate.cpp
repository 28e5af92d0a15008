// Calibration (float activation ranges on training images), quantization of
// LibTorch layers with those ranges, and the accuracy report: the parts of
// the int8 path that need LibTorch.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "tinyae/common.h"
#include "tinyae/quantize.h"

namespace tinyae {

namespace {

constexpr std::int64_t kCalibrationBatch = 1000;  // images per forward pass (bounds memory)

torch::Tensor apply_activation(const torch::Tensor& x, Activation a) {
  switch (a) {
    case Activation::kRelu:
      return torch::relu(x);
    case Activation::kSigmoid:
      return torch::sigmoid(x);
    case Activation::kTanh:
      return torch::tanh(x);
    case Activation::kLinear:
      return x;
  }
  throw Error("unknown activation " + std::to_string(static_cast<int>(a)));
}

void widen(TensorRange& range, const torch::Tensor& t, bool first, const std::string& what) {
  if (!torch::isfinite(t).all().item<bool>()) {
    throw Error("calibration: " + what + " has a non-finite value (NaN or infinity); the model cannot be quantized");
  }
  const float lo = t.min().item<float>();
  const float hi = t.max().item<float>();
  range.min = first ? lo : std::min(range.min, lo);
  range.max = first ? hi : std::max(range.max, hi);
}

// Ranges a sigmoid/tanh table covers: the calibrated pre-activation range
// cut to [-limit, limit] (choose_activation_params widens it to include 0).
TensorRange table_input_range(const TensorRange& pre, Activation a) {
  const float limit = static_cast<float>(a == Activation::kSigmoid ? kSigmoidTableLimit : kTanhTableLimit);
  return {std::clamp(pre.min, -limit, limit), std::clamp(pre.max, -limit, limit)};
}

double activate(double x, Activation a) {
  return a == Activation::kSigmoid ? 1.0 / (1.0 + std::exp(-x)) : std::tanh(x);
}

double mse(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).pow(2).mean().item<double>();
}

}  // namespace

std::vector<LayerView> autoencoder_layers(const Autoencoder& model) {
  std::vector<LayerView> layers = model->encoder_layers();
  const std::vector<LayerView> decoder = model->decoder_layers();
  layers.insert(layers.end(), decoder.begin(), decoder.end());
  return layers;
}

Calibration calibrate(const std::vector<LayerView>& layers, const torch::Tensor& images) {
  if (layers.empty()) throw Error("calibration: no layers");
  const std::int64_t in_size = layers.front().linear->weight.size(1);
  if (images.dim() != 2 || images.size(1) != in_size || images.size(0) < 1) {
    throw Error("calibration: expected images of shape (n >= 1, " + std::to_string(in_size) + "), found " +
                c10::str(images.sizes()));
  }
  torch::NoGradGuard no_grad;
  Calibration c;
  c.images = images.size(0);
  c.pre_activation.resize(layers.size());
  c.output.resize(layers.size());
  for (std::int64_t begin = 0; begin < c.images; begin += kCalibrationBatch) {
    const bool first = begin == 0;
    torch::Tensor x = images.slice(0, begin, std::min(c.images, begin + kCalibrationBatch)).to(torch::kFloat);
    widen(c.input, x, first, "the input");
    for (std::size_t i = 0; i < layers.size(); i++) {
      torch::nn::Linear linear = layers[i].linear;  // a handle: forward() is not const
      const torch::Tensor pre = linear->forward(x);
      widen(c.pre_activation[i], pre, first, "layer " + std::to_string(i) + "'s pre-activation");
      x = apply_activation(pre, layers[i].activation);
      widen(c.output[i], x, first, "layer " + std::to_string(i) + "'s output");
    }
  }
  return c;
}

QuantizedNetwork quantize_autoencoder(const Autoencoder& model, const torch::Tensor& train, std::int64_t vectors,
                                      bool bounded_input, const std::string& data_name) {
  const std::int64_t n = train.size(0);
  if (vectors < 1 || n < vectors) {
    throw Error("--calibration " + std::to_string(vectors) + " asks for more vectors than the " + std::to_string(n) +
                " training vectors of " + data_name);
  }
  const torch::Tensor rows =
      bounded_input ? train.slice(0, 0, vectors)
                    : train.index_select(0, torch::arange(vectors, torch::kLong).mul(n).floor_divide(vectors));
  const std::vector<LayerView> layers = autoencoder_layers(model);
  Calibration calibration = calibrate(layers, rows);
  if (!bounded_input) {
    const float margin = static_cast<float>(kUnboundedInputHeadroom) * (calibration.input.max - calibration.input.min);
    calibration.input.min -= margin;
    calibration.input.max += margin;
  }
  return quantize_network(layers, calibration);
}

QuantizedNetwork quantize_network(const std::vector<LayerView>& layers, const Calibration& calibration) {
  if (layers.empty() || calibration.pre_activation.size() != layers.size() ||
      calibration.output.size() != layers.size()) {
    throw Error("quantize: the calibration covers " + std::to_string(calibration.output.size()) +
                " layers, the network has " + std::to_string(layers.size()));
  }
  torch::NoGradGuard no_grad;
  QuantizedNetwork network;
  QuantParams input = choose_activation_params(calibration.input.min, calibration.input.max);
  for (std::size_t i = 0; i < layers.size(); i++) {
    const std::string where = "layer " + std::to_string(i);
    const torch::Tensor w = layers[i].linear->weight.detach().to(torch::kDouble).contiguous();  // (out, in)
    const torch::Tensor b = layers[i].linear->bias.detach().to(torch::kDouble).contiguous();    // (out)
    QuantizedLayer l;
    l.out_size = w.size(0);
    l.in_size = w.size(1);
    l.activation = layers[i].activation;
    if (i > 0 && l.in_size != network.layers.back().out_size) {
      throw Error("quantize: " + where + " takes " + std::to_string(l.in_size) + " inputs, the previous layer gives " +
                  std::to_string(network.layers.back().out_size));
    }
    l.input = input;
    l.output = choose_activation_params(calibration.output[i].min, calibration.output[i].max);
    if (l.activation == Activation::kSigmoid || l.activation == Activation::kTanh) {
      const TensorRange r = table_input_range(calibration.pre_activation[i], l.activation);
      l.requant = choose_activation_params(r.min, r.max);
    } else {
      l.requant = l.output;
    }

    const auto rows = static_cast<std::size_t>(l.out_size);
    const auto cols = static_cast<std::size_t>(l.in_size);
    const double* wd = w.data_ptr<double>();
    const double* bd = b.data_ptr<double>();
    const double s_in = l.input.scale;
    const double s_req = l.requant.scale;
    const auto limit = static_cast<double>(bias_limit(l.in_size));
    l.weights.resize(rows * cols);
    l.weight_scales.resize(rows);
    l.bias.resize(rows);
    l.multipliers.resize(rows);
    for (std::size_t o = 0; o < rows; o++) {
      const double* row = wd + o * cols;
      double max_abs = 0.0;
      for (std::size_t k = 0; k < cols; k++) max_abs = std::max(max_abs, std::abs(row[k]));
      double scale = std::max(max_abs / 127.0, std::abs(bd[o]) / (s_in * limit));
      if (scale == 0.0) scale = 1.0;  // zero weights and zero bias: any scale; 1 is defined
      l.weight_scales[o] = scale;
      for (std::size_t k = 0; k < cols; k++) {
        l.weights[o * cols + k] = static_cast<std::int8_t>(std::clamp(std::round(row[k] / scale), -127.0, 127.0));
      }
      l.bias[o] = static_cast<std::int32_t>(std::clamp(std::round(bd[o] / (s_in * scale)), -limit, limit));
      try {
        l.multipliers[o] = quantize_multiplier(s_in * scale / s_req);
      } catch (const Error& e) {
        throw Error("quantize: " + where + ", row " + std::to_string(o) + ": " + e.what());
      }
    }
    if (l.activation == Activation::kSigmoid || l.activation == Activation::kTanh) {
      l.table.resize(256);
      for (int q = -128; q <= 127; q++) {
        const double real = static_cast<double>(l.requant.scale) * (q - l.requant.zero_point);
        l.table[static_cast<std::size_t>(q + 128)] =
            quantize_value(static_cast<float>(activate(real, l.activation)), l.output);
      }
    }
    network.layers.push_back(std::move(l));
    input = network.layers.back().output;
  }
  network.validate();
  return network;
}

nlohmann::ordered_json QuantizationReport::to_json() const {
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr); };
  return {{"float_mse", number(float_mse)},
          {"int8_mse", number(int8_mse)},
          {"ratio", number(ratio)},
          {"latent_max_abs_err", number(latent_max_abs_err)},
          {"images", images},
          {"calibration_images", calibration_images}};
}

QuantizationReport evaluate_quantization(Autoencoder& model, const QuantizedNetwork& network,
                                         std::size_t encoder_layers, const torch::Tensor& images) {
  if (images.dim() != 2 || images.size(1) != network.input_size() || images.size(0) < 1) {
    throw Error("evaluate_quantization: expected images of shape (n >= 1, " + std::to_string(network.input_size()) +
                ")");
  }
  torch::NoGradGuard no_grad;
  model->eval();
  const torch::Tensor x = images.to(torch::kFloat).contiguous();
  const std::int64_t n = x.size(0);
  QuantizationReport r;
  r.images = n;

  const torch::Tensor latent = model->encode(x);
  r.float_mse = mse(model->decode(latent), x);

  // The int8 autoencoder in its two halves, so the latent is at hand; the
  // halves share the latent's parameters, so this equals running it whole.
  const QuantizedNetwork encoder = network.slice(0, encoder_layers);
  const QuantizedNetwork decoder = network.slice(encoder_layers, network.layers.size() - encoder_layers);
  const std::vector<std::int8_t> q_in = quantize_tensor(x, network.input());
  const std::vector<std::int8_t> q_latent = run_reference(encoder, q_in.data(), n);
  const std::vector<std::int8_t> q_out = run_reference(decoder, q_latent.data(), n);

  r.int8_mse = mse(dequantize_tensor(q_out, n, network.output_size(), network.output()), x);
  r.ratio = r.float_mse > 0.0 ? r.int8_mse / r.float_mse : std::numeric_limits<double>::quiet_NaN();
  r.latent_max_abs_err =
      (dequantize_tensor(q_latent, n, encoder.output_size(), encoder.output()) - latent).abs().max().item<double>();
  return r;
}

std::string describe_quantization(const QuantizedNetwork& network) {
  auto params = [](const QuantParams& p) {
    char text[48];
    std::snprintf(text, sizeof text, "%.4g/%d", p.scale, p.zero_point);
    return std::string(text);
  };
  std::ostringstream out;
  char line[256];
  std::snprintf(line, sizeof line, "%-5s %-9s %-10s %-16s %-16s %-16s %-19s %s\n", "layer", "shape", "activation",
                "in scale/zp", "table scale/zp", "out scale/zp", "weight scales", "shifts");
  out << line;
  for (std::size_t i = 0; i < network.layers.size(); i++) {
    const QuantizedLayer& l = network.layers[i];
    const auto [ws_min, ws_max] = std::minmax_element(l.weight_scales.begin(), l.weight_scales.end());
    int shift_min = 62, shift_max = 1;
    for (const FixedPointMultiplier& m : l.multipliers) {
      shift_min = std::min(shift_min, m.shift);
      shift_max = std::max(shift_max, m.shift);
    }
    const std::string shape = std::to_string(l.in_size) + "x" + std::to_string(l.out_size);
    char scales[48];
    std::snprintf(scales, sizeof scales, "%.3g..%.3g", *ws_min, *ws_max);
    std::snprintf(line, sizeof line, "%-5zu %-9s %-10s %-16s %-16s %-16s %-19s %d..%d\n", i, shape.c_str(),
                  activation_name(l.activation).c_str(), params(l.input).c_str(),
                  l.table.empty() ? "-" : params(l.requant).c_str(), params(l.output).c_str(), scales, shift_min,
                  shift_max);
    out << line;
  }
  return out.str();
}

}  // namespace tinyae
