// TrainStep: the autoencoder's forward, backward and Adamax update over
// preallocated buffers (see tinyae/train_step.h for what it promises).
//
// Why by hand: the architecture is a fixed chain of Linear + activation, so
// autograd's graph, the fresh tensor for every op's output, zero_grad and
// the gradient accumulation are pure overhead (docs/training-profile.md);
// the GEMMs go through tinyae/gemm.h. With oneDNN's sgemm (the default) the
// elementwise work is fused.h's single passes; with the BLAS engine it is
// LibTorch's kernels, called as autograd calls them (the reference path,
// equal to autograd to the last bit).
#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "fused.h"
#include "tinyae/common.h"
#include "tinyae/train_step.h"

namespace tinyae {
namespace {

// Moves `tensor`'s values into flat[offset, offset + numel) and makes
// `tensor` a view of that range, so every holder of `tensor` sees the flat
// buffer from now on.
void move_into(torch::Tensor& tensor, const torch::Tensor& flat, std::int64_t offset) {
  torch::NoGradGuard no_grad;
  const torch::Tensor range = flat.narrow(0, offset, tensor.numel());  // (numel)
  range.copy_(tensor.reshape({-1}));
  tensor.set_(flat.storage(), flat.storage_offset() + offset, tensor.sizes(), c10::contiguous_strides(tensor.sizes()));
}

// In place: gradient of the layer's output -> gradient of its
// pre-activation, from the output (as autograd's derivative formulas do).
void activation_backward(Activation activation, torch::Tensor& grad, const torch::Tensor& output) {
  switch (activation) {
    case Activation::kLinear:
      return;
    case Activation::kRelu:
      at::threshold_backward_out(grad, grad, output, 0);
      return;
    case Activation::kSigmoid:
      at::sigmoid_backward_out(grad, grad, output);
      return;
    case Activation::kTanh:
      at::tanh_backward_out(grad, grad, output);
      return;
  }
}

}  // namespace

void gather_batch(torch::Tensor& out, const torch::Tensor& images, const torch::Tensor& index) {
  const bool shapes_ok = images.dim() == 2 && out.dim() == 2 && index.dim() == 1 && out.size(0) == index.size(0) &&
                         out.size(1) == images.size(1) && images.is_contiguous() && out.is_contiguous() &&
                         index.is_contiguous() && images.scalar_type() == torch::kFloat32 &&
                         out.scalar_type() == torch::kFloat32 && index.scalar_type() == torch::kLong;
  if (!shapes_ok)
    throw Error("gather_batch: expected contiguous float32 (n, f) images, (rows, f) out, int64 (rows) index");
  const std::int64_t* rows = index.data_ptr<std::int64_t>();
  const std::int64_t n = images.size(0);
  for (std::int64_t r = 0; r < index.size(0); ++r) {
    if (rows[r] < 0 || rows[r] >= n) {
      throw Error("gather_batch: index " + std::to_string(rows[r]) + " is out of range for " + std::to_string(n) +
                  " images");
    }
  }
  gather_rows(out.data_ptr<float>(), images.data_ptr<float>(), rows, index.size(0), images.size(1));
}

TrainStep::TrainStep(Autoencoder model, Adamax& optimizer, std::int64_t max_rows, std::int64_t eval_rows,
                     double latent_l1, GemmEngine gemm)
    : latent_l1_(latent_l1), gemm_(gemm) {
  std::vector<torch::Tensor> params = model->parameters();
  const std::vector<torch::Tensor> optimized = optimizer.all_parameters();
  bool same = params.size() == optimized.size() && optimizer.param_groups().size() == 1;
  for (std::size_t i = 0; same && i < params.size(); ++i) same = params[i].is_same(optimized[i]);
  if (!same) throw Error("TrainStep: the optimizer must hold exactly the model's parameters, in order, in one group");
  if (max_rows < 1 || eval_rows < 1) throw Error("TrainStep: batch rows must be >= 1");
  if (!(latent_l1 >= 0) || !std::isfinite(latent_l1)) throw Error("TrainStep: the latent L1 weight must be >= 0");
  options_ = static_cast<const AdamaxOptions&>(optimizer.param_groups()[0].options());

  // 1. Parameters, gradients and Adamax state as views into flat (P) buffers.
  std::int64_t count = 0;
  for (const auto& p : params) count += p.numel();
  const auto f32 = torch::TensorOptions().dtype(torch::kFloat32);
  params_ = torch::empty({count}, f32);   // (P)
  grads_ = torch::zeros({count}, f32);    // (P)
  exp_avg_ = torch::zeros({count}, f32);  // (P): m
  exp_inf_ = torch::zeros({count}, f32);  // (P): u
  scratch_ = torch::empty({count}, f32);  // (P): |g| + eps
  std::int64_t offset = 0;
  for (auto& p : params) {
    AdamaxParamState* state = optimizer.state_of(p);
    if (state == nullptr) {
      auto fresh = std::make_unique<AdamaxParamState>();
      fresh->exp_avg(torch::zeros_like(p));
      fresh->exp_inf(torch::zeros_like(p));
      state = fresh.get();
      optimizer.set_state_of(p, std::move(fresh));
    }
    if (!states_.empty() && state->step() != states_.front()->step()) {
      throw Error("TrainStep: the parameters' Adamax states have different step counts");
    }
    move_into(state->exp_avg(), exp_avg_, offset);
    move_into(state->exp_inf(), exp_inf_, offset);
    states_.push_back(state);
    const std::int64_t numel = p.numel();
    move_into(p, params_, offset);
    offset += numel;
  }

  // 2. The layers, in model->parameters() order: encoder, then decoder.
  std::vector<LayerView> views = model->encoder_layers();
  latent_layer_ = views.size() - 1;
  if (model->decoder_layers().empty()) throw Error("TrainStep: the model has no decoder layer after its latent layer");
  for (auto& view : model->decoder_layers()) views.push_back(view);
  offset = 0;
  widths_.push_back(model->config().input_size);
  for (const auto& view : views) {
    Layer layer;
    layer.weight = view.linear->weight;  // (out, in)
    layer.bias = view.linear->bias;      // (out)
    layer.weight_t = layer.weight.t();   // (in, out)
    layer.offset = offset;
    layer.numel = layer.weight.numel() + layer.bias.numel();
    layer.d_weight = grads_.narrow(0, offset, layer.weight.numel()).view(layer.weight.sizes());  // (out, in)
    offset += layer.weight.numel();
    layer.d_bias = grads_.narrow(0, offset, layer.bias.numel());  // (out)
    offset += layer.bias.numel();
    layer.activation = view.activation;
    widths_.push_back(layer.weight.size(0));
    layers_.push_back(layer);
  }

  // 3. Activations and their gradients.
  train_ = make_buffers(widths_, max_rows, true);
  eval_ = make_buffers(widths_, eval_rows, false);
}

TrainStep::Buffers TrainStep::make_buffers(const std::vector<std::int64_t>& widths, std::int64_t rows,
                                           bool with_gradients) {
  Buffers b;
  b.activations.emplace_back();  // the input, not owned
  b.gradients.emplace_back();    // the input needs no gradient
  for (std::size_t i = 1; i < widths.size(); ++i) {
    b.activations.push_back(torch::empty({rows, widths[i]}));  // (rows, width_i)
    const bool needed = with_gradients || i + 1 == widths.size();
    b.gradients.push_back(needed ? torch::empty({rows, widths[i]}) : torch::Tensor());  // (rows, width_i)
  }
  return b;
}

void TrainStep::narrow_to(Buffers& b, std::int64_t rows) {
  if (b.rows == rows) return;
  const auto first_rows = [rows](const torch::Tensor& t) { return t.defined() ? t.narrow(0, 0, rows) : t; };
  b.activation_rows.clear();
  b.gradient_rows.clear();
  b.gradient_rows_t.clear();
  for (std::size_t i = 0; i < b.activations.size(); ++i) {
    b.activation_rows.push_back(first_rows(b.activations[i]));  // (rows, width_i)
    b.gradient_rows.push_back(first_rows(b.gradients[i]));      // (rows, width_i)
    const torch::Tensor& g = b.gradient_rows.back();
    b.gradient_rows_t.push_back(g.defined() ? g.t() : g);  // (width_i, rows)
  }
  b.rows = rows;
}

torch::Tensor TrainStep::forward(Buffers& b, const torch::Tensor& x, bool output_layer_product_only) {
  narrow_to(b, x.size(0));
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const Layer& layer = layers_[i];
    const torch::Tensor& in = i == 0 ? x : b.activation_rows[i];  // (rows, width_i)
    if (output_layer_product_only && i + 1 == layers_.size()) {
      matmul_into(gemm_, b.activation_rows[i + 1], in, layer.weight_t);
    } else {
      linear_into(gemm_, b.activation_rows[i + 1], in, layer.weight_t, layer.bias, layer.activation);
    }
  }
  return b.activation_rows.back();
}

double TrainStep::run(const torch::Tensor& input, const torch::Tensor& target) {
  const double loss = forward_loss(input, target);
  if (fused()) {
    // Each layer's update as soon as its gradients are done and its weights
    // used, while they are still in cache; Adamax is elementwise, so this is
    // update() after backward() to the bit.
    const AdamaxScalars scalars = begin_update();
    backward(input, &scalars);
  } else {
    backward(input);
    update();
  }
  return loss;
}

double TrainStep::forward_loss(const torch::Tensor& input, const torch::Tensor& target) {
  const std::int64_t max_rows = train_.activations[1].size(0);
  for (const torch::Tensor* x : {&input, &target}) {
    if (x->dim() != 2 || x->size(1) != widths_.front() || x->size(0) < 1 || x->size(0) > max_rows ||
        x->scalar_type() != torch::kFloat32 || !x->is_contiguous() || x->sizes() != input.sizes()) {
      throw Error("TrainStep: expected a contiguous (rows, " + std::to_string(widths_.front()) +
                  ") float32 batch with 1.." + std::to_string(max_rows) + " rows, the target as the input");
    }
  }
  torch::NoGradGuard no_grad;
  const std::int64_t rows = input.size(0);
  // Fused: the output layer's bias and activation are left to the loss pass.
  const torch::Tensor y = forward(train_, input, fused());  // (rows, input)
  torch::Tensor& diff = train_.gradient_rows.back();        // (rows, input)
  const double numel = static_cast<double>(diff.numel());
  // mse_loss_backward with mean reduction: 2 (y - x) / numel.
  double loss = 0;
  if (fused()) {
    // One pass over the output rows: the layer's bias and activation, the
    // loss and its gradient, and the layer's backward (its activation and
    // bias sum). backward() starts at its weight gradient.
    Layer& last = layers_.back();
    loss = fused_output_gradient(diff.data_ptr<float>(), y.data_ptr<float>(), last.bias.data_ptr<float>(),
                                 target.data_ptr<float>(), rows, diff.size(1), static_cast<float>(2.0 / numel),
                                 last.activation, last.d_bias.data_ptr<float>()) /
           numel;
  } else {
    at::sub_out(diff, y, target);
    const torch::Tensor flat = diff.view({-1});  // (rows * input)
    loss = at::dot(flat, flat).item<double>() / numel;
    diff.mul_(2.0 / numel);
  }
  last_penalty_ = 0;
  if (latent_l1_ > 0) {
    const torch::Tensor& z = train_.activation_rows[latent_layer_ + 1];  // (rows, latent)
    last_penalty_ = latent_l1_ * z.abs().sum(torch::kDouble).item<double>() / static_cast<double>(rows);
  }
  return loss + last_penalty_;
}

void TrainStep::backward(const torch::Tensor& input, const AdamaxScalars* update) {
  torch::NoGradGuard no_grad;
  const std::int64_t rows = input.size(0);
  if (rows != train_.rows) throw Error("TrainStep::backward: run forward_loss() on the same batch first");
  for (std::size_t k = layers_.size(); k-- > 0;) {
    Layer& layer = layers_[k];
    torch::Tensor& grad = train_.gradient_rows[k + 1];                     // (rows, out): dLoss/d output
    const torch::Tensor& out = train_.activation_rows[k + 1];              // (rows, out)
    const torch::Tensor& in = k == 0 ? input : train_.activation_rows[k];  // (rows, in)
    // d/dz of weight * mean_rows sum_j |z_j|
    const double l1_scale = k == latent_layer_ ? latent_l1_ / static_cast<double>(rows) : 0.0;
    if (fused() && k + 1 == layers_.size()) {
      // forward_loss() did this layer's activation backward and bias sum.
    } else if (fused()) {
      // grad becomes dLoss/d pre-activation, d_bias its sum over rows.
      fused_activation_backward(grad.data_ptr<float>(), grad.stride(0), out.data_ptr<float>(), out.stride(0), rows,
                                out.size(1), layer.activation, static_cast<float>(l1_scale),
                                layer.d_bias.data_ptr<float>());
    } else {
      if (l1_scale > 0) grad.add_(out.sign(), l1_scale);
      activation_backward(layer.activation, grad, out);     // now dLoss/d pre-activation
      at::sum_out(layer.d_bias, grad, at::IntArrayRef{0});  // (out)
    }
    // (out, in) = (out, rows) x (rows, in)
    matmul_into(gemm_, layer.d_weight, train_.gradient_rows_t[k + 1], in);
    // (rows, in) = (rows, out) x (out, in)
    if (k > 0) matmul_into(gemm_, train_.gradient_rows[k], grad, layer.weight);
    if (update != nullptr) update_range(layer.offset, layer.numel, *update);
  }
}

AdamaxScalars TrainStep::begin_update() {
  const std::int64_t step = states_.front()->step() + 1;
  for (AdamaxParamState* state : states_) state->step(step);
  const double clr = options_.lr() / (1 - std::pow(options_.beta1(), static_cast<double>(step)));
  return AdamaxScalars{static_cast<float>(options_.beta1()), static_cast<float>(options_.beta2()),
                       static_cast<float>(options_.eps()), static_cast<float>(options_.weight_decay()),
                       static_cast<float>(clr)};
}

void TrainStep::update_range(std::int64_t offset, std::int64_t count, const AdamaxScalars& scalars) {
  fused_adamax(params_.data_ptr<float>() + offset, grads_.data_ptr<float>() + offset,
               exp_avg_.data_ptr<float>() + offset, exp_inf_.data_ptr<float>() + offset, count, scalars);
}

void TrainStep::update() {
  torch::NoGradGuard no_grad;
  const AdamaxScalars scalars = begin_update();
  if (fused()) return update_range(0, params_.numel(), scalars);
  // Adamax::step's ops in its order, once over all parameters.
  const double beta1 = options_.beta1();
  const std::int64_t step = states_.front()->step();
  const double clr = options_.lr() / (1 - std::pow(beta1, static_cast<double>(step)));
  torch::Tensor grad = grads_;  // (P)
  if (options_.weight_decay() != 0) grad = grads_.add(params_, options_.weight_decay());
  exp_avg_.mul_(beta1).add_(grad, 1 - beta1);
  exp_inf_.mul_(options_.beta2());
  at::abs_out(scratch_, grad).add_(options_.eps());
  at::maximum_out(exp_inf_, exp_inf_, scratch_);
  params_.addcdiv_(exp_avg_, exp_inf_, -clr);
}

TrainStep::Sums TrainStep::evaluate(const torch::Tensor& inputs, const torch::Tensor& targets) {
  if (inputs.sizes() != targets.sizes()) throw Error("TrainStep::evaluate: inputs and targets differ in shape");
  torch::NoGradGuard no_grad;
  const std::int64_t n = inputs.size(0);
  const std::int64_t batch = eval_.activations[1].size(0);
  Sums sums;  // in double: 7.8 million terms for the test set
  for (std::int64_t begin = 0; begin < n; begin += batch) {
    const std::int64_t end = std::min(n, begin + batch);
    const torch::Tensor x = inputs.slice(0, begin, end);        // (rows, input)
    const torch::Tensor target = targets.slice(0, begin, end);  // (rows, input)
    const torch::Tensor y = forward(eval_, x);                  // (rows, input)
    if (fused()) {
      const torch::Tensor t = target.contiguous();  // (rows, input)
      sums.squared_error += fused_squared_error(y.data_ptr<float>(), t.data_ptr<float>(), y.size(0), y.size(1));
    } else {
      torch::Tensor& diff = eval_.gradient_rows.back();  // (rows, input)
      at::sub_out(diff, y, target);
      sums.squared_error += diff.square_().sum(torch::kDouble).item<double>();
    }
    const torch::Tensor& z = eval_.activation_rows[latent_layer_ + 1];  // (rows, latent)
    sums.latent_l1 += z.abs().sum(torch::kDouble).item<double>();
  }
  return sums;
}

}  // namespace tinyae
