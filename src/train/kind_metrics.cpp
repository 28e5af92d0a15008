// eval's figures per kind (see kind_figures in include/tinyae/model_kind.h):
// how active the latent code is, how well a denoising model restores
// corrupted images, and a variational model's negative ELBO.
#include <algorithm>

#include <spdlog/fmt/fmt.h>

#include "batch_input.h"
#include "tinyae/common.h"
#include "tinyae/model_kind.h"
#include "tinyae/variational.h"

namespace tinyae {

nlohmann::json kind_figures(Autoencoder& model, const KindOptions& kind, bool clip_to_unit, const torch::Tensor& images,
                            at::Generator& generator, std::int64_t batch_size) {
  check_batched_input("kind_figures", images, batch_size);
  torch::NoGradGuard no_grad;
  nlohmann::json figures_variational;  // variational only
  const bool was_training = model->is_training();
  model->eval();
  const bool noisy = kind_row(kind.kind).noisy_input;
  torch::Tensor corrupted;  // (n, input), denoising only
  if (noisy) {
    corrupted = torch::empty_like(images);
    corrupt(kind, clip_to_unit, images, corrupted, generator);
  }
  const std::int64_t n = images.size(0);
  double latent_sum = 0, near_zero = 0, denoised_error = 0;  // sums in double: millions of terms
  std::int64_t latent_values = 0;
  for (std::int64_t begin = 0; begin < n; begin += batch_size) {
    const std::int64_t end = std::min(n, begin + batch_size);
    const torch::Tensor clean = images.slice(0, begin, end);  // (rows, input)
    const torch::Tensor z_abs = model->encode(clean).abs();   // (rows, latent)
    latent_sum += z_abs.sum(torch::kDouble).item<double>();
    near_zero += z_abs.lt(kNearZeroActivation).sum().item<double>();
    latent_values += z_abs.numel();
    if (noisy) {
      const torch::Tensor restored = model->forward(corrupted.slice(0, begin, end));  // (rows, input)
      denoised_error += (restored - clean).square().sum(torch::kDouble).item<double>();
    }
  }
  model->train(was_training);
  if (kind.variational()) {
    figures_variational =
        variational_report(variational_sums(model, images, generator, batch_size), kind.kl_weight, images);
  }
  const auto count = static_cast<double>(latent_values);
  nlohmann::json figures = {{"latent",
                             {{"mean_activation", latent_sum / count},
                              {"near_zero_fraction", near_zero / count},
                              {"near_zero_below", kNearZeroActivation}}}};
  if (noisy) {
    const auto pixels = static_cast<double>(images.numel());
    figures["denoising"] = {
        {"noise", noise_name(kind.noise)},
        {"noise_level", kind.noise_level},
        {"noisy_input_mse", (corrupted - images).square().sum(torch::kDouble).item<double>() / pixels},
        {"denoised_mse", denoised_error / pixels}};
  }
  if (!figures_variational.is_null()) figures["variational"] = figures_variational;
  return figures;
}

}  // namespace tinyae
