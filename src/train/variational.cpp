// The variational kind's loss terms, training step and figures (see
// include/tinyae/variational.h for the model and the loss).
#include "tinyae/variational.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <spdlog/fmt/fmt.h>

#include "batch_input.h"
#include "tinyae/common.h"

namespace tinyae {
namespace {

// Restores the module's training mode when it goes out of scope.
class EvalMode {
 public:
  explicit EvalMode(Autoencoder& model) : model_(model), was_training_(model->is_training()) { model_->eval(); }
  ~EvalMode() { model_->train(was_training_); }
  EvalMode(const EvalMode&) = delete;
  EvalMode& operator=(const EvalMode&) = delete;

 private:
  Autoencoder& model_;
  bool was_training_;
};

}  // namespace

torch::Tensor kl_divergence(const torch::Tensor& mean, const torch::Tensor& logvar) {
  // 0.5 * sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2), the closed form for two Gaussians.
  return 0.5 * (mean.square() + logvar.exp() - 1 - logvar).sum(1);
}

torch::Tensor reparameterize(const torch::Tensor& mean, const torch::Tensor& logvar, at::Generator& generator) {
  torch::Tensor eps = torch::empty_like(mean);  // (rows, latent)
  {
    torch::NoGradGuard no_grad;
    eps.normal_(0, 1, generator);
  }
  return mean + (0.5 * logvar).exp() * eps;
}

torch::Tensor reconstruction_bce(const torch::Tensor& output, const torch::Tensor& target) {
  return torch::binary_cross_entropy(output, target, {}, at::Reduction::Sum);
}

std::string variational_refusal(const ModelConfig& config, bool unit_inputs) {
  if (config.output_activation != Activation::kSigmoid) {
    return "kind variational reconstructs with binary cross-entropy, which needs outputs in (0, 1): use "
           "--output-activation sigmoid (found " +
           activation_name(config.output_activation) + ")";
  }
  if (!unit_inputs)
    return "kind variational reconstructs with binary cross-entropy, which needs inputs in [0, 1] (MNIST)";
  return "";
}

VariationalStep::VariationalStep(Autoencoder model, Adamax& optimizer, double kl_weight)
    : model_(std::move(model)), optimizer_(optimizer), kl_weight_(kl_weight) {
  if (!model_->config().variational) throw Error("VariationalStep: the model is not variational");
  if (!(kl_weight > 0) || !std::isfinite(kl_weight)) throw Error("VariationalStep: the KL weight must be > 0");
  const auto params = model_->parameters();
  const auto optimized = optimizer.all_parameters();
  bool same = params.size() == optimized.size();
  for (std::size_t i = 0; same && i < params.size(); ++i) same = params[i].is_same(optimized[i]);
  if (!same) throw Error("VariationalStep: the optimizer must hold exactly the model's parameters, in order");
}

double VariationalStep::run(const torch::Tensor& x, at::Generator& generator) {
  const auto rows = static_cast<double>(x.size(0));
  optimizer_.zero_grad();
  const AutoencoderImpl::Heads heads = model_->encode_heads(x);  // (rows, latent) x 2
  const torch::Tensor z = reparameterize(heads.mean, heads.logvar, generator);
  const torch::Tensor reconstruction = reconstruction_bce(model_->decode(z), x) / rows;
  const torch::Tensor penalty = kl_weight_ * kl_divergence(heads.mean, heads.logvar).sum() / rows;
  const torch::Tensor loss = reconstruction + penalty;
  loss.backward();
  optimizer_.step();
  last_penalty_ = penalty.item<double>();
  return loss.item<double>();
}

VariationalSums variational_sums(Autoencoder& model, const torch::Tensor& images, at::Generator& generator,
                                 std::int64_t batch_size) {
  check_batched_input("variational_sums", images, batch_size);
  torch::NoGradGuard no_grad;
  const EvalMode eval_mode(model);
  VariationalSums sums;  // in double: millions of terms
  const std::int64_t n = images.size(0);
  for (std::int64_t begin = 0; begin < n; begin += batch_size) {
    const torch::Tensor x = images.slice(0, begin, std::min(n, begin + batch_size));  // (rows, input)
    const AutoencoderImpl::Heads heads = model->encode_heads(x);                      // (rows, latent) x 2
    const torch::Tensor z = reparameterize(heads.mean, heads.logvar, generator);      // (rows, latent)
    sums.bce += reconstruction_bce(model->decode(z), x).item<double>();
    sums.kl += kl_divergence(heads.mean, heads.logvar).sum(torch::kDouble).item<double>();
    const torch::Tensor at_mean = model->decode(heads.mean);  // (rows, input)
    sums.bce_at_mean += reconstruction_bce(at_mean, x).item<double>();
    sums.squared_error += (at_mean - x).square().sum(torch::kDouble).item<double>();
  }
  return sums;
}

nlohmann::json variational_report(const VariationalSums& sums, double kl_weight, const torch::Tensor& images) {
  const auto n = static_cast<double>(images.size(0));
  return {{"kl_weight", kl_weight},
          {"estimator", "one code sampled per image (epoch 0's generator), as pytorch/examples' VAE test loss"},
          {"units", "nats per image"},
          {"negative_elbo", (sums.bce + sums.kl) / n},
          {"reconstruction_bce", sums.bce / n},
          {"kl", sums.kl / n},
          {"negative_elbo_at_mean",
           {{"value", (sums.bce_at_mean + sums.kl) / n},
            {"reconstruction_bce", sums.bce_at_mean / n},
            {"kl", sums.kl / n},
            {"estimator", "deterministic: z = mean, BCE(x, decode(mean)) + the analytic KL; no sampling"}}},
          {"mean_reconstruction_mse", sums.squared_error / static_cast<double>(images.numel())}};
}

torch::Tensor generate_images(Autoencoder& model, std::int64_t count, at::Generator& generator) {
  torch::NoGradGuard no_grad;
  const EvalMode eval_mode(model);
  torch::Tensor codes = torch::empty({count, model->config().latent_size});  // (count, latent)
  codes.normal_(0, 1, generator);
  return model->decode(codes);
}

}  // namespace tinyae
