// One training step of the autoencoder without autograd: the forward and
// backward passes of its dense chain written out over buffers allocated
// once, and Adamax over all parameters at once.
//
// The model stays the model: TrainStep moves its parameters (and the
// Adamax state tensors) into one flat buffer each and leaves every tensor
// in place as a view into it, so the module, the optimizer's state and the
// checkpoint see the same named tensors as before. The ops are LibTorch's,
// called as autograd would call them (addmm forward, mm for both
// gradients, sum over rows for the bias, threshold/sigmoid/tanh backward on
// the layer's output, the MSE gradient 2 (y - x) / numel), so a step agrees
// with loss.backward() + Adamax::step() to rounding (tests/train/test_step.cpp).
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "tinyae/adamax.h"
#include "tinyae/model.h"

namespace tinyae {

class TrainStep {
 public:
  // `max_rows` bounds the rows of a training batch and `eval_rows` those of
  // an evaluation batch (buffers are allocated for them; smaller batches
  // use their leading rows). Every parameter of `optimizer` must be one of
  // `model`'s, in model->parameters() order, with one Adamax options group;
  // restored state (a resume) is kept. Throws tinyae::Error otherwise.
  TrainStep(Autoencoder model, Adamax& optimizer, std::int64_t max_rows, std::int64_t eval_rows);

  // One step on `x` (rows <= max_rows, input width, float32, contiguous):
  // forward, MSE loss, backward, Adamax update. Returns the batch's mean
  // squared error before the update.
  double run(const torch::Tensor& x);
  // run() as its three phases, for profiling (tools/bench/train_profile):
  // forward_loss() checks `x` and returns the loss, leaving its gradient for
  // backward(x) (the same `x`), which fills the gradients; update() is
  // Adamax's step.
  double forward_loss(const torch::Tensor& x);
  void backward(const torch::Tensor& x);
  void update();

  // Sum over all elements of (model(x) - x)^2, in double, through the
  // evaluation buffers (`images` in batches of eval_rows).
  double squared_error(const torch::Tensor& images);

 private:
  struct Layer {
    torch::Tensor weight, bias;      // (out, in), (out): views into params_
    torch::Tensor d_weight, d_bias;  // (out, in), (out): views into grads_
    Activation activation;
  };
  // Per layer i, activations[i + 1] = act(activations[i] W_i^T + b_i);
  // activations[0] stands for the input (not owned, left undefined).
  struct Buffers {
    std::vector<torch::Tensor> activations;  // (rows, width_i), width_0 = input
    std::vector<torch::Tensor> gradients;    // (rows, width_i): dLoss/d activations[i], 1 <= i < last
  };
  static Buffers make_buffers(const std::vector<std::int64_t>& widths, std::int64_t rows, bool with_gradients);
  // Fills rows 0..x.size(0) of b.activations[1..] for input `x`; returns
  // the output rows (a view into the last activation).
  torch::Tensor forward(Buffers& b, const torch::Tensor& x);

  std::vector<Layer> layers_;
  std::vector<std::int64_t> widths_;  // {input, hidden..., latent, ..., input}
  Buffers train_, eval_;
  torch::Tensor diff_;                                          // (max_rows, input): y - x, then the loss gradient
  torch::Tensor eval_diff_;                                     // (eval_rows, input)
  torch::Tensor params_, grads_, exp_avg_, exp_inf_, scratch_;  // (P) each, P = parameter count
  std::vector<AdamaxParamState*> states_;  // one per parameter, their tensors views into exp_avg_/exp_inf_
  AdamaxOptions options_;
};

}  // namespace tinyae
