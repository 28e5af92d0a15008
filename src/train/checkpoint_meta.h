// Private to src/train: the checkpoint's "tinyae" metadata (a JSON document
// stored as one string of the safetensors __metadata__) to and from
// CheckpointMeta plus the optimizer's options and step counts.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tinyae/adamax.h"
#include "tinyae/checkpoint.h"

namespace tinyae {

// The optimizer part: Adamax's options and each parameter's step count
// (0 = no state yet), in model->parameters() order.
struct OptimizerMeta {
  AdamaxOptions options;
  std::vector<std::int64_t> steps;
};

struct StoredMeta {
  CheckpointMeta meta;
  std::optional<OptimizerMeta> optimizer;  // nullopt: saved without an optimizer
};

nlohmann::json checkpoint_meta_to_json(const StoredMeta& stored);

// Parses and checks the document: format_version first (so that a newer
// layout is named as such), then every key (required, typed, in range,
// unknown keys refused), the history (rows numbered from 1) and one step
// count per parameter of the model. Messages start with `where`.
StoredMeta checkpoint_meta_from_json(std::string_view text, const std::string& where);

}  // namespace tinyae
