// Per-feature input scaling, fitted on the training split and applied the
// same way everywhere (training, evaluation, golden vectors, the device):
//
//   y = (x - offset[f]) * scale[f]     in float32, f = the value's feature
//
// min-max: offset = min, scale = 1 / (max - min)     -> training values in [0, 1]
// z-score: offset = mean, scale = 1 / std             (population std, as sklearn's StandardScaler)
//
// A constant feature (max == min, or std == 0) and one whose 1 / range
// would overflow float32 get scale 1: its values become x - offset (0 on
// the training data) instead of a division by zero.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyae/dataset.h"

namespace tinyae {

enum class ScalingKind { kMinMax, kZScore };

// The name used in JSON and on the command line ("minmax", "zscore"), and back.
const char* scaling_kind_name(ScalingKind kind);
// Throws tinyae::Error naming `name` and the known kinds.
ScalingKind scaling_kind_from_name(std::string_view name);

struct Scaling {
  ScalingKind kind = ScalingKind::kMinMax;
  std::vector<std::string> feature_names;  // (F)
  std::vector<float> offset;               // (F)
  std::vector<float> scale;                // (F), finite and non-zero

  // Scales vectors laid out as Samples::x (time-major, F values per row) in place.
  void apply(std::vector<float>& x) const;
  void apply(float* x, std::size_t count) const;  // count: a multiple of F
};

// Fits on the readings of the training windows, each reading counted once
// even when overlapping windows share it.
Scaling fit_scaling(ScalingKind kind, const Samples& train, const std::vector<std::string>& feature_names);

// {"kind": "minmax", "features": [...], "offset": [...], "scale": [...]}
nlohmann::json scaling_to_json(const Scaling& scaling);
// Reads scaling_to_json's output strictly (tinyae/json_reader.h): unknown
// keys, lengths that disagree, non-finite numbers or a zero scale are
// refused; `where` starts the messages.
Scaling scaling_from_json(const nlohmann::json& json, const std::string& where);

}  // namespace tinyae
