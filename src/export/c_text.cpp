// Pure helpers of the exporter: sizes (scratch, MACs), symbol prefixes, float
// literals that round-trip, model validation and the footprint table. No
// LibTorch here.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <limits>
#include <sstream>

#include "export_internal.h"
#include "tinyae/common.h"
#include "tinyae/export.h"
#include "tinyae/text.h"

namespace tinyae {

namespace {

std::string with_thousands(std::uint64_t value) {
  std::string digits = std::to_string(value);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3) digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

}  // namespace

std::uint64_t scratch_elements(const std::vector<std::int64_t>& sizes) {
  // sizes = {input, out_1, ..., out_L}; the intermediates are out_1 .. out_{L-1}.
  std::uint64_t best = 0;
  for (std::size_t i = 1; i + 1 < sizes.size(); ++i) {
    const auto here = static_cast<std::uint64_t>(sizes[i]);
    best = std::max(best, here);  // layer i writes it while reading the (external) input
    if (i + 2 < sizes.size()) {
      best = std::max(best, here + static_cast<std::uint64_t>(sizes[i + 1]));  // layer i+1 reads it, writes the next
    }
  }
  return best;
}

std::vector<std::int64_t> activation_sizes(const ModelToExport& model) {
  std::vector<std::int64_t> sizes;
  if (model.layers.empty()) return sizes;
  sizes.push_back(model.layers.front().in_size);
  for (const ExportLayer& layer : model.layers) sizes.push_back(layer.out_size);
  return sizes;
}

std::uint64_t macs(const ModelToExport& model) {
  std::uint64_t total = 0;
  for (const ExportLayer& layer : model.layers) {
    total += static_cast<std::uint64_t>(layer.in_size) * static_cast<std::uint64_t>(layer.out_size);
  }
  return total;
}

std::string symbol_prefix(std::string_view name_prefix, std::string_view model_name) {
  if (name_prefix.empty()) return std::string(model_name);
  const std::string shown = comment_safe(name_prefix);
  if (name_prefix.size() > kMaxNamePrefixLength) {
    throw Error("name prefix '" + shown + "' is " + std::to_string(name_prefix.size()) + " characters long; at most " +
                std::to_string(kMaxNamePrefixLength) + " are allowed");
  }
  if (!is_c_identifier(name_prefix)) {
    throw Error("name prefix '" + shown +
                "' is not a C identifier: expected a letter or '_' followed by letters, digits "
                "or '_' (and not '__' or '_' + upper-case, which C reserves)");
  }
  if (lower_case(name_prefix).rfind("tinyae", 0) == 0) {
    throw Error("name prefix '" + shown +
                "' starts with 'tinyae', which is the runtime's namespace; "
                "choose another prefix");
  }
  std::string prefix(name_prefix);
  if (prefix.back() != '_') prefix += '_';
  return prefix + std::string(model_name);
}

std::string float_literal(float value) {
  if (!std::isfinite(value)) {
    throw Error("cannot write " + std::string(std::isnan(value) ? "NaN" : "infinity") + " as a C float literal");
  }
  // 9 significant digits identify every float (FLT_DECIMAL_DIG); the compiler
  // rounds the literal straight to float because of the f suffix.
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9g", static_cast<double>(value));
  std::string text(buffer);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";  // "1f" is not a C literal
  return text + "f";
}

std::string comment_safe(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto u = static_cast<unsigned char>(text[i]);
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (u < 0x20 || u == 0x7f) {
      out += '_';
    } else if ((text[i] == '*' && next == '/') || (text[i] == '/' && next == '*') || (text[i] == '?' && next == '?')) {
      // "*/" would end the comment, "/*" draws -Wcomment, "??" may start a trigraph.
      out += text[i];
      out += ' ';
    } else {
      out += text[i];
    }
  }
  return out;
}

void validate_export_model(const ModelToExport& model) {
  const std::string where = "model '" + model.name + "'";
  if (!is_c_identifier(model.prefix)) {
    throw Error(where + ": prefix '" + comment_safe(model.prefix) + "' is not a C identifier");
  }
  if (model.layers.empty()) throw Error(where + ": expected at least one layer, found none");
  if (model.layers.size() > kMaxLayerCount) {
    throw Error(where + ": " + std::to_string(model.layers.size()) + " layers; the runtime allows at most " +
                std::to_string(kMaxLayerCount));
  }
  for (std::size_t i = 0; i < model.layers.size(); ++i) {
    const ExportLayer& layer = model.layers[i];
    const std::string at = where + " layer " + std::to_string(i);
    for (std::int64_t size : {layer.in_size, layer.out_size}) {
      if (size < 1 || size > kMaxLayerSize) {
        throw Error(at + ": size " + std::to_string(size) + " is outside [1, " + std::to_string(kMaxLayerSize) +
                    "] (the runtime stores sizes in uint16_t)");
      }
    }
    if (i > 0 && layer.in_size != model.layers[i - 1].out_size) {
      throw Error(at + ": input size " + std::to_string(layer.in_size) +
                  " does not match the previous layer's output size " + std::to_string(model.layers[i - 1].out_size));
    }
    const auto expected_weights = static_cast<std::size_t>(layer.in_size * layer.out_size);
    if (layer.weights.size() != expected_weights || layer.bias.size() != static_cast<std::size_t>(layer.out_size)) {
      throw Error(at + ": expected " + std::to_string(expected_weights) + " weights and " +
                  std::to_string(layer.out_size) + " biases, found " + std::to_string(layer.weights.size()) + " and " +
                  std::to_string(layer.bias.size()));
    }
    for (std::size_t k = 0; k < layer.weights.size(); ++k) {
      if (!std::isfinite(layer.weights[k])) {
        throw Error(at + ": weight (" + std::to_string(k / layer.in_size) + ", " + std::to_string(k % layer.in_size) +
                    ") is not finite; the checkpoint is unusable");
      }
    }
    for (std::size_t k = 0; k < layer.bias.size(); ++k) {
      if (!std::isfinite(layer.bias[k]))
        throw Error(at + ": bias " + std::to_string(k) + " is not finite; the checkpoint is unusable");
    }
  }
  if (model.golden_count < 0) throw Error(where + ": negative golden count");
  const auto n = static_cast<std::size_t>(model.golden_count);
  if (model.golden_inputs.size() != n * static_cast<std::size_t>(model.input_size()) ||
      model.golden_outputs.size() != n * static_cast<std::size_t>(model.output_size())) {
    throw Error(where + ": golden vectors do not match golden count " + std::to_string(n) + " and the model's sizes");
  }
  validate_anomaly_fields(model);
  for (const std::vector<float>* values : {&model.golden_inputs, &model.golden_outputs}) {
    for (float v : *values) {
      if (!std::isfinite(v)) throw Error(where + ": a golden vector holds a non-finite value");
    }
  }
}

std::string format_footprint_table(const std::vector<ExportedHeader>& models) {
  std::ostringstream out;
  out << std::left << std::setw(13) << "model" << std::right << std::setw(23) << "weights bytes (flash)"
      << std::setw(22) << "scratch bytes (RAM)" << std::setw(21) << "MACs per inference"
      << "\n";
  for (const ExportedHeader& m : models) {
    out << std::left << std::setw(13) << m.name << std::right << std::setw(23)
        << with_thousands(m.footprint.weights_bytes) << std::setw(22) << with_thousands(m.footprint.scratch_bytes)
        << std::setw(21) << with_thousands(m.footprint.macs) << "\n";
  }
  return out.str();
}

}  // namespace tinyae
