// The variational kind (tinyae/model_kind.h): the encoder's two heads give
// the mean mu and the log-variance logvar = log sigma^2 of a Gaussian over
// the latent code, training samples z = mu + exp(0.5 logvar) * eps with
// eps ~ N(0, I) (the reparameterisation trick: z is differentiable in mu and
// logvar), and the loss per image is
//   reconstruction  binary cross-entropy of decode(z) against x, summed over
//                   the inputs (pixels are treated as Bernoulli
//                   probabilities; log clamped at -100, as torch's
//                   binary_cross_entropy does)
//   + kl_weight * KL(N(mu, sigma^2) || N(0, I))
//                 = kl_weight * 0.5 * sum_j (mu_j^2 + sigma_j^2 - 1 - logvar_j),
// averaged over the batch: with kl_weight 1 it is the negative evidence
// lower bound (ELBO) in nats per image, pytorch/examples' VAE loss divided
// by the batch size. BCE, not the tutorial's MSE: it makes the training loss
// the figure the issue compares (a Gaussian decoder's ELBO depends on a
// variance the tutorial never fixes), and it needs outputs in (0, 1), hence
// a sigmoid output and inputs in [0, 1] (MNIST).
//
// Training runs through LibTorch's autograd (TrainStep's hand-written pass
// covers the deterministic chain only); the same ops in the same order, so
// a run is repeatable. eps is drawn from the epoch's generator after its
// shuffle, one (rows, latent) block per batch in order, so a resumed run is
// bitwise the uninterrupted one.
#pragma once

#include <cstdint>
#include <string>

#include <ATen/core/Generator.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tinyae/adamax.h"
#include "tinyae/model.h"

namespace tinyae {

// (rows, latent) -> (rows): KL(N(mean, exp(logvar)) || N(0, I)) per row.
torch::Tensor kl_divergence(const torch::Tensor& mean, const torch::Tensor& logvar);
// mean + exp(0.5 logvar) * eps, eps drawn from N(0, 1) with `generator`
// (one value per element, row-major), all (rows, latent).
torch::Tensor reparameterize(const torch::Tensor& mean, const torch::Tensor& logvar, at::Generator& generator);
// (rows, input) x 2 -> scalar: BCE of `output` against `target`, summed.
torch::Tensor reconstruction_bce(const torch::Tensor& output, const torch::Tensor& target);

// Why a variational model cannot train on `config` with inputs in [0, 1] or
// not (`unit_inputs`): a message naming the fix, or "" when it can.
std::string variational_refusal(const ModelConfig& config, bool unit_inputs);

class VariationalStep {
 public:
  // `model` must be variational and every parameter of `optimizer` one of
  // its own; kl_weight > 0. Throws tinyae::Error otherwise.
  VariationalStep(Autoencoder model, Adamax& optimizer, double kl_weight);
  // One step on `x` (rows, input): sample, loss, backward, Adamax update.
  // Returns the batch's loss per image before the update.
  double run(const torch::Tensor& x, at::Generator& generator);
  // The kl_weight * KL part of the last run()'s loss.
  double last_penalty() const { return last_penalty_; }

 private:
  Autoencoder model_;
  Adamax& optimizer_;
  double kl_weight_;
  double last_penalty_ = 0;
};

// Sums over a data set, in double, without gradients, in eval mode (the
// previous mode restored), in batches of `batch_size`: one code sampled per
// image from `generator` (the estimator pytorch/examples' test loss uses:
// the ELBO's one-sample Monte Carlo estimate, repeatable with a fixed
// generator), and the reconstruction of the mean (what the device runs,
// deterministic: recomputable from the exported arrays alone).
struct VariationalSums {
  double bce = 0;            // reconstruction BCE of decode(z), z sampled
  double kl = 0;             // KL of every image's Gaussian to N(0, I)
  double bce_at_mean = 0;    // reconstruction BCE of decode(mean)
  double squared_error = 0;  // (decode(mean) - x)^2 over every element
};
VariationalSums variational_sums(Autoencoder& model, const torch::Tensor& images, at::Generator& generator,
                                 std::int64_t batch_size);

// eval's "variational" figures from the sums over `images` (n):
// {"kl_weight", "estimator", "negative_elbo": (bce + kl) / n,
//  "reconstruction_bce": bce / n, "kl": kl / n, "units": "nats per image",
//  "negative_elbo_at_mean": {"value": (bce_at_mean + kl) / n,
//    "reconstruction_bce": bce_at_mean / n, "kl": kl / n, "estimator"},
//  "mean_reconstruction_mse"}.
nlohmann::json variational_report(const VariationalSums& sums, double kl_weight, const torch::Tensor& images);

// `count` images decoded from codes drawn from N(0, I) with `generator`:
// (count, input), without gradients, in eval mode.
torch::Tensor generate_images(Autoencoder& model, std::int64_t count, at::Generator& generator);

}  // namespace tinyae
