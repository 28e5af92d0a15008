// Adamax (Kingma & Ba 2015, section 7.1) as a torch::optim::Optimizer, with
// Keras' defaults. LibTorch 1.13's C++ frontend has no Adamax.
//
// Update, per parameter p with gradient g, at step t (1-based):
//   m = beta1 * m + (1 - beta1) * g
//   u = max(beta2 * u, |g| + eps)        (PyTorch's form of eps)
//   p = p - lr / (1 - beta1^t) * m / u
// Matches torch.optim.Adamax op for op (with weight_decay w > 0 the gradient
// is g + w * p first, as there). Keras puts eps in the denominator instead
// (m / (u + eps)); with eps 1e-7 the two differ only where |g| is near eps.
//
// State is per parameter (AdamaxParamState), keyed like LibTorch's own
// optimizers by the parameter's TensorImpl address, and created on the first
// step that sees a gradient for it; parameters without a gradient are skipped.
#pragma once

#include <torch/torch.h>

namespace tinyae {

struct AdamaxOptions : public torch::optim::OptimizerCloneableOptions<AdamaxOptions> {
  AdamaxOptions(double lr = 1e-3);
  TORCH_ARG(double, lr) = 1e-3;
  TORCH_ARG(double, beta1) = 0.9;
  TORCH_ARG(double, beta2) = 0.999;
  TORCH_ARG(double, eps) = 1e-7;
  TORCH_ARG(double, weight_decay) = 0.0;

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
  double get_lr() const override { return lr(); }
  void set_lr(const double lr) override { this->lr(lr); }
};

struct AdamaxParamState : public torch::optim::OptimizerCloneableParamState<AdamaxParamState> {
  TORCH_ARG(int64_t, step) = 0;
  TORCH_ARG(torch::Tensor, exp_avg);  // m, same shape as the parameter
  TORCH_ARG(torch::Tensor, exp_inf);  // u, same shape as the parameter

 public:
  void serialize(torch::serialize::InputArchive& archive) override;
  void serialize(torch::serialize::OutputArchive& archive) const override;
};

class Adamax : public torch::optim::Optimizer {
 public:
  // Throws tinyae::Error for lr < 0, a beta outside [0, 1), eps < 0 or
  // weight_decay < 0 (checked for the defaults and for every group's options).
  explicit Adamax(std::vector<torch::optim::OptimizerParamGroup> param_groups, AdamaxOptions defaults = {});
  explicit Adamax(std::vector<torch::Tensor> params, AdamaxOptions defaults = {});
  torch::Tensor step(LossClosure closure = nullptr) override;
  void save(torch::serialize::OutputArchive& archive) const override;
  void load(torch::serialize::InputArchive& archive) override;

  // Every parameter of every group, in order (the index i of "exp_avg.<i>"
  // in checkpoints).
  std::vector<torch::Tensor> all_parameters() const;
  // The state of `param`, or nullptr before its first step.
  AdamaxParamState* state_of(const torch::Tensor& param);
  const AdamaxParamState* state_of(const torch::Tensor& param) const;
  // Replaces the state of `param` (nullptr removes it, as before a first step).
  void set_state_of(const torch::Tensor& param, std::unique_ptr<AdamaxParamState> state);
};

// Throws tinyae::Error if an option is out of range (see Adamax()).
void validate(const AdamaxOptions& options);

}  // namespace tinyae
