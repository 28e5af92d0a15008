// The check every batched evaluation of src/train makes on its input.
#pragma once

#include <cstdint>

#include <spdlog/fmt/fmt.h>
#include <torch/torch.h>

#include "tinyae/common.h"

namespace tinyae {

// `images` must be a non-empty (n, features) tensor and `batch_size` >= 1;
// otherwise throws tinyae::Error naming `who`, the function that was asked.
inline void check_batched_input(const char* who, const torch::Tensor& images, std::int64_t batch_size) {
  if (images.dim() != 2 || images.size(0) == 0) {
    throw Error(fmt::format("{}: expected a non-empty (n, features) tensor, got shape {}", who,
                            fmt::to_string(fmt::join(images.sizes(), "x"))));
  }
  if (batch_size < 1) throw Error(fmt::format("{}: batch size must be >= 1, got {}", who, batch_size));
}

}  // namespace tinyae
