// Test helper: a QuantizedNetwork (host C++ side) viewed as the C runtime's
// tinyae_model_i8, and run through tinyae_run_i8 -- the same constants the
// exporter writes into a header (weights tiled), without going through text.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "tinyae.h"
#include "tinyae/quantize.h"

namespace tinyae::test {

class RuntimeModel {
 public:
  explicit RuntimeModel(const QuantizedNetwork& network) : network_(network) {
    const std::size_t n = network_.layers.size();
    multipliers_.resize(n);
    shifts_.resize(n);
    tiles_.reserve(n);  // c.weights points into them
    for (std::size_t i = 0; i < n; i++) {
      const QuantizedLayer& l = network_.layers[i];
      for (const FixedPointMultiplier& m : l.multipliers) {
        multipliers_[i].push_back(m.multiplier);
        shifts_[i].push_back(static_cast<std::uint8_t>(m.shift));
      }
      tinyae_layer_i8 c{};
      c.in_size = static_cast<std::uint16_t>(l.in_size);
      c.out_size = static_cast<std::uint16_t>(l.out_size);
      c.activation = static_cast<std::uint8_t>(l.activation);
      c.input_zero_point = static_cast<std::int8_t>(l.input.zero_point);
      c.requant_zero_point = static_cast<std::int8_t>(l.requant.zero_point);
      c.output_zero_point = static_cast<std::int8_t>(l.output.zero_point);
      tiles_.push_back(tile_weights_i8(l.weights, l.out_size, l.in_size));
      c.weights = tiles_.back().data();
      c.bias = l.bias.data();
      c.multiplier = multipliers_[i].data();
      c.shift = shifts_[i].data();
      c.lut = l.table.empty() ? nullptr : l.table.data();
      layers_.push_back(c);
    }
    model_.format_version = TINYAE_FORMAT_VERSION;
    model_.layer_count = static_cast<std::uint16_t>(n);
    model_.layers = layers_.data();
    model_.input_size = static_cast<std::uint16_t>(network_.input_size());
    model_.output_size = static_cast<std::uint16_t>(network_.output_size());
    model_.scratch_words = static_cast<std::uint32_t>(network_.scratch_words());
    model_.input_scale = network_.input().scale;
    model_.input_zero_point = static_cast<std::int8_t>(network_.input().zero_point);
    model_.output_scale = network_.output().scale;
    model_.output_zero_point = static_cast<std::int8_t>(network_.output().zero_point);
  }
  RuntimeModel(const RuntimeModel&) = delete;  // model_ points into this object
  RuntimeModel& operator=(const RuntimeModel&) = delete;

  const tinyae_model_i8& model() const { return model_; }

  // count inputs (count, input_size) -> (count, output_size) with tinyae_run_i8.
  std::vector<std::int8_t> run(const std::int8_t* inputs, std::int64_t count) const {
    const auto in = static_cast<std::size_t>(model_.input_size);
    const auto out = static_cast<std::size_t>(model_.output_size);
    std::vector<std::int32_t> scratch(model_.scratch_words);
    std::vector<std::int8_t> outputs(static_cast<std::size_t>(count) * out);
    for (std::int64_t k = 0; k < count; k++) {
      const tinyae_status status =
          tinyae_run_i8(&model_, inputs + static_cast<std::size_t>(k) * in,
                        outputs.data() + static_cast<std::size_t>(k) * out, scratch.data(), scratch.size());
      if (status != TINYAE_OK) {
        throw std::runtime_error(std::string("tinyae_run_i8: ") + tinyae_status_string(status));
      }
    }
    return outputs;
  }

 private:
  QuantizedNetwork network_;  // owns the arrays the C structs point into
  std::vector<std::vector<std::int32_t>> multipliers_;
  std::vector<std::vector<std::uint8_t>> shifts_;
  std::vector<std::vector<std::int8_t>> tiles_;  // the layers' weights as a header holds them
  std::vector<tinyae_layer_i8> layers_;
  tinyae_model_i8 model_{};
};

// First index where a and b differ, or -1; for messages that say where.
inline std::int64_t first_difference(const std::vector<std::int8_t>& a, const std::vector<std::int8_t>& b) {
  if (a.size() != b.size()) return 0;
  for (std::size_t i = 0; i < a.size(); i++) {
    if (a[i] != b[i]) return static_cast<std::int64_t>(i);
  }
  return -1;
}

}  // namespace tinyae::test
