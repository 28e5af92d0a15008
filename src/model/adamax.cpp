// Adamax for LibTorch 1.13's C++ frontend, op for op as torch.optim.Adamax
// (single-tensor path) so that a C++ run and a PyTorch run of the same problem
// agree to the last bit where the ops are the same kernels.
#include "tinyae/adamax.h"

#include <cmath>
#include <iomanip>
#include <memory>
#include <sstream>
#include <string>

#include <torch/optim/serialize.h>

#include "tinyae/common.h"

namespace tinyae {
namespace {

// LibTorch's optimizers key per-parameter state by the TensorImpl address.
std::string state_key(const torch::Tensor& param) { return c10::guts::to_string(param.unsafeGetTensorImpl()); }

// The shortest text that reads back as `value` ("0.1", not "0.100000").
std::string number(double value) {
  std::ostringstream text;
  for (int digits = 6; digits <= 17; ++digits) {
    text.str("");
    text << std::setprecision(digits) << value;
    if (std::isnan(value) || std::stod(text.str()) == value) break;
  }
  return text.str();
}

std::unique_ptr<torch::optim::OptimizerOptions> validated_defaults(const AdamaxOptions& defaults) {
  validate(defaults);
  return std::make_unique<AdamaxOptions>(defaults);
}

}  // namespace

void validate(const AdamaxOptions& options) {
  // Written as !(x >= 0) so that NaN is refused too.
  if (!(options.lr() >= 0)) {
    throw Error("Adamax: learning rate must be >= 0, found " + number(options.lr()));
  }
  if (!(options.beta1() >= 0 && options.beta1() < 1)) {
    throw Error("Adamax: beta1 must be in [0, 1), found " + number(options.beta1()));
  }
  if (!(options.beta2() >= 0 && options.beta2() < 1)) {
    throw Error("Adamax: beta2 must be in [0, 1), found " + number(options.beta2()));
  }
  if (!(options.eps() >= 0)) {
    throw Error("Adamax: eps must be >= 0, found " + number(options.eps()));
  }
  if (!(options.weight_decay() >= 0)) {
    throw Error("Adamax: weight_decay must be >= 0, found " + number(options.weight_decay()));
  }
}

AdamaxOptions::AdamaxOptions(double lr) : lr_(lr) {}

void AdamaxOptions::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(lr);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(beta1);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(beta2);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(eps);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(weight_decay);
}

void AdamaxOptions::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, lr);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, beta1);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, beta2);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, eps);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(double, weight_decay);
}

void AdamaxParamState::serialize(torch::serialize::OutputArchive& archive) const {
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(step);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_avg);
  _TORCH_OPTIM_SERIALIZE_TORCH_ARG(exp_inf);
}

void AdamaxParamState::serialize(torch::serialize::InputArchive& archive) {
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(int64_t, step);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, exp_avg);
  _TORCH_OPTIM_DESERIALIZE_TORCH_ARG(torch::Tensor, exp_inf);
}

Adamax::Adamax(std::vector<torch::optim::OptimizerParamGroup> param_groups, AdamaxOptions defaults)
    : Optimizer(std::move(param_groups), validated_defaults(defaults)) {
  // Groups may carry their own options; add_param_group gave the others a
  // copy of the (already checked) defaults.
  for (const auto& group : param_groups_) validate(static_cast<const AdamaxOptions&>(group.options()));
}

Adamax::Adamax(std::vector<torch::Tensor> params, AdamaxOptions defaults)
    : Adamax(std::vector<torch::optim::OptimizerParamGroup>{torch::optim::OptimizerParamGroup(std::move(params))},
             std::move(defaults)) {}

torch::Tensor Adamax::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure != nullptr) {
    torch::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    const auto& options = static_cast<const AdamaxOptions&>(group.options());
    const double beta1 = options.beta1();
    const double beta2 = options.beta2();
    for (auto& param : group.params()) {
      if (!param.grad().defined()) continue;
      torch::Tensor grad = param.grad();  // same shape as param
      if (grad.is_sparse()) throw Error("Adamax does not support sparse gradients");

      auto& slot = state_[state_key(param)];
      if (slot == nullptr) {
        auto fresh = std::make_unique<AdamaxParamState>();
        fresh->exp_avg(torch::zeros_like(param, torch::MemoryFormat::Preserve));
        fresh->exp_inf(torch::zeros_like(param, torch::MemoryFormat::Preserve));
        slot = std::move(fresh);
      }
      auto& state = static_cast<AdamaxParamState&>(*slot);
      state.step(state.step() + 1);

      if (options.weight_decay() != 0) grad = grad.add(param, options.weight_decay());

      torch::Tensor& exp_avg = state.exp_avg();  // m
      torch::Tensor& exp_inf = state.exp_inf();  // u
      // m = beta1 * m + (1 - beta1) * g
      exp_avg.mul_(beta1).add_(grad, 1 - beta1);
      // u = max(beta2 * u, |g| + eps); PyTorch takes amax over a stacked pair,
      // an elementwise maximum gives the same values.
      exp_inf.mul_(beta2);
      torch::maximum_out(exp_inf, exp_inf, grad.abs().add_(options.eps()));
      // p = p - lr / (1 - beta1^t) * m / u, the scalar computed in double as
      // Python does before it reaches the float kernel.
      const double bias_correction = 1 - std::pow(beta1, static_cast<double>(state.step()));
      const double clr = options.lr() / bias_correction;
      param.addcdiv_(exp_avg, exp_inf, -clr);
    }
  }
  return loss;
}

void Adamax::save(torch::serialize::OutputArchive& archive) const {
  torch::optim::serialize<AdamaxParamState, AdamaxOptions>(archive, *this);
}

void Adamax::load(torch::serialize::InputArchive& archive) {
  torch::optim::serialize<AdamaxParamState, AdamaxOptions>(archive, *this);
}

std::vector<torch::Tensor> Adamax::all_parameters() const {
  std::vector<torch::Tensor> params;
  for (const auto& group : param_groups_) {
    params.insert(params.end(), group.params().begin(), group.params().end());
  }
  return params;
}

AdamaxParamState* Adamax::state_of(const torch::Tensor& param) {
  const auto it = state_.find(state_key(param));
  return it == state_.end() ? nullptr : static_cast<AdamaxParamState*>(it->second.get());
}

const AdamaxParamState* Adamax::state_of(const torch::Tensor& param) const {
  const auto it = state_.find(state_key(param));
  return it == state_.end() ? nullptr : static_cast<const AdamaxParamState*>(it->second.get());
}

void Adamax::set_state_of(const torch::Tensor& param, std::unique_ptr<AdamaxParamState> state) {
  if (state == nullptr) {
    state_.erase(state_key(param));
  } else {
    state_[state_key(param)] = std::move(state);
  }
}

}  // namespace tinyae
