// The kinds of autoencoder tinyae trains (the tutorial's section 1.7) and
// the options each one adds to the vanilla recipe. The network is the same
// dense chain for all of them; a kind changes only what training minimises:
//
//   vanilla    MSE(model(x), x)
//   sparse     MSE(model(x), x) + sparsity * mean over images of sum_j |z_j|
//              (an L1 penalty on the latent code z = encode(x))
//   denoising  MSE(model(corrupt(x)), x): the input is corrupted, the target
//              stays clean
//   variational  BCE(decode(z), x) summed over the inputs + kl_weight *
//              KL(N(mu, sigma^2) || N(0, I)), per image, with z = mu + sigma *
//              eps, eps ~ N(0, I): the encoder's two heads give mu and
//              log sigma^2 (tinyae/variational.h)
//
// so sparse and denoising models export and run exactly as vanilla ones; a
// variational model's encoder chain ends in its mean head, so it runs as
// they do too, with the log-variance head beside it.
// One row of kKindRows per kind says what every stage needs to know about it.
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Generator.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tinyae/model.h"

namespace tinyae {

enum class ModelKind { kVanilla, kSparse, kDenoising, kVariational };
enum class NoiseType { kGaussian, kMask };

// Defaults and accepted ranges of the kinds' options (CLI and checkpoint).
inline constexpr double kDefaultSparsity = 1e-4;
inline constexpr double kMaxSparsity = 1000;
inline constexpr double kDefaultNoiseLevel = 0.5;
inline constexpr double kMaxGaussianNoise = 10;  // a standard deviation, in units of the model's input
// 1 makes the loss the negative evidence lower bound (ELBO) itself; other
// values weigh the KL term as a beta-VAE does.
inline constexpr double kDefaultKlWeight = 1;
inline constexpr double kMaxKlWeight = 1000;

struct KindRow {
  ModelKind kind;
  const char* name;       // --kind's value, the checkpoint's "kind"."name"
  const char* penalty;    // the second loss term's column in history.csv, or nullptr if there is none
  const char* loss_axis;  // loss.png's y axis label
  bool noisy_input;       // training corrupts the input (reconstructions.png shows the noisy row)
  bool variational;       // the encoder has a log-variance head; the code is sampled (ModelConfig::variational)
  const char* summary;    // what it minimises, for --help and messages
};
const KindRow& kind_row(ModelKind kind);
// Throws tinyae::Error listing the valid names.
ModelKind parse_kind(const std::string& name);
// "vanilla, sparse, denoising, variational"
std::string kind_names();
const char* noise_name(NoiseType noise);
NoiseType parse_noise(const std::string& name);  // "gaussian" or "mask"

struct KindOptions {
  ModelKind kind = ModelKind::kVanilla;
  double sparsity = 0;                     // sparse: L1 weight on the latent code, in (0, kMaxSparsity]
  NoiseType noise = NoiseType::kGaussian;  // denoising
  // denoising: gaussian: standard deviation in (0, kMaxGaussianNoise];
  // mask: probability that an input value is set to 0, in (0, 1).
  double noise_level = 0;
  double kl_weight = 0;  // variational: weight of the KL term, in (0, kMaxKlWeight]

  // The options a kind does not use must stay 0 / gaussian; throws
  // tinyae::Error naming the option, the accepted range and the value found.
  void validate() const;
  // {"name": "vanilla"}, {"name": "sparse", "sparsity": 1e-4},
  // {"name": "denoising", "noise": "gaussian", "noise_level": 0.5},
  // {"name": "variational", "kl_weight": 1}
  nlohmann::json to_json() const;
  // The kind's keys required, any other refused, ranges checked; messages
  // start with `where`.
  static KindOptions from_json(const nlohmann::json& j, const std::string& where = "kind");
  // "sparse (sparsity 0.0001)"
  std::string describe() const;
  bool has_penalty() const { return kind_row(kind).penalty != nullptr; }
  bool variational() const { return kind_row(kind).variational; }
  bool operator==(const KindOptions& other) const;
  bool operator!=(const KindOptions& other) const { return !(*this == other); }
};

// `x` corrupted as `options` say, written into `out` (the shape of `x`),
// drawing from `generator`: gaussian adds noise_level * N(0, 1) to every
// value, then clips to [0, 1] if `clip_to_unit` (images); mask zeroes every
// value with probability noise_level. A kind without noise copies `x`.
void corrupt(const KindOptions& options, bool clip_to_unit, const torch::Tensor& x, torch::Tensor& out,
             at::Generator& generator);

// A latent value counts as near zero below this magnitude.
inline constexpr double kNearZeroActivation = 1e-3;

// What eval reports per kind, over `images` (n, input) in batches of
// `batch_size`, without gradients, in eval mode:
//   "latent": {"mean_activation": mean of |z| over images and units,
//              "near_zero_fraction": fraction of the |z| below kNearZeroActivation,
//              "near_zero_below": kNearZeroActivation}            every kind
//   "denoising": {"noise", "noise_level",
//                 "noisy_input_mse": MSE(corrupt(x), x),
//                 "denoised_mse": MSE(model(corrupt(x)), x)}     denoising only
//   "variational": variational_report() (tinyae/variational.h)   variational only
// The images are corrupted (variational: their codes sampled) with
// `generator` (eval passes epoch 0's, the one training corrupts and samples
// its validation vectors with).
nlohmann::json kind_figures(Autoencoder& model, const KindOptions& kind, bool clip_to_unit, const torch::Tensor& images,
                            at::Generator& generator, std::int64_t batch_size);

}  // namespace tinyae
