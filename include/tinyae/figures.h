// Figures drawn with cairo: the tutorial's loss curve (its figure 6) and its
// originals / latent codes / reconstructions grid (its figure 9).
#pragma once

#include <filesystem>
#include <vector>

#include <torch/torch.h>

namespace tinyae {

struct EpochResult;

// Training and validation loss per epoch.
void draw_loss_png(const std::filesystem::path& path, const std::vector<EpochResult>& history);

// Row 1: originals (n, 784); row 2: latent codes (n, latent) drawn as tiles
// (8x4 for 32 values); row 3: reconstructions (n, 784).
void draw_reconstructions_png(const std::filesystem::path& path, const torch::Tensor& originals,
                              const torch::Tensor& latents, const torch::Tensor& reconstructions);

}  // namespace tinyae
