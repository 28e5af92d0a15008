// Figures drawn with cairo: the tutorial's loss curve (its figure 6), its
// originals / latent codes / reconstructions grid (its figure 9), and a
// variational model's images generated from random codes. Both are
// written as PNG through write_file_atomically, so a crash never leaves a
// half-written image.
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include <torch/torch.h>

namespace tinyae {

struct EpochResult;

// loss.png is always this size (pixels).
inline constexpr int kLossFigureWidth = 800;
inline constexpr int kLossFigureHeight = 500;

struct FigureSize {
  int width = 0;
  int height = 0;
};

// Size of reconstructions.png for `columns` images (pixels), with the
// corrupted inputs' row if `noisy_row`.
FigureSize reconstructions_figure_size(std::int64_t columns, bool noisy_row = false);

// How a latent code of `size` values is laid out as a tile: rows x columns,
// near-square; 32 values give 8 rows x 4 columns, as in the tutorial. Sizes
// without a divisor pair of aspect ratio <= 2 get a padded grid.
struct TileShape {
  std::int64_t rows = 0;
  std::int64_t columns = 0;
};
TileShape latent_tile_shape(std::int64_t size);

// Training and validation loss per epoch; with a `penalty` name (a kind
// with two loss terms), the training loss's reconstruction and penalty
// terms too. Non-finite values are not drawn. `axis_label` names the loss
// (nullptr: "Loss (MSE)", or "Loss (MSE + penalty)" with a penalty).
void draw_loss_png(const std::filesystem::path& path, const std::vector<EpochResult>& history,
                   const char* penalty = nullptr, const char* axis_label = nullptr);

// Row 1: originals (n, 784); then, if `noisy` is defined, the corrupted
// inputs (n, 784) the model was given; then the latent codes (n, latent)
// drawn as tiles of grey levels on one shared scale (row minimum black, row
// maximum white); last the reconstructions (n, 784). Pixels are clamped to
// [0, 1].
void draw_reconstructions_png(const std::filesystem::path& path, const torch::Tensor& originals,
                              const torch::Tensor& latents, const torch::Tensor& reconstructions,
                              const torch::Tensor& noisy = torch::Tensor());

// Square images (n, pixels), `columns` to a row, under a title saying they
// were decoded from codes drawn from N(0, I) (the variational kind's
// generated.png). Pixels are clamped to [0, 1].
void draw_generated_png(const std::filesystem::path& path, const torch::Tensor& images, std::int64_t columns);

}  // namespace tinyae
