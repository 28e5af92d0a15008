// One training step of the autoencoder without autograd: the forward and
// backward passes of its dense chain written out over buffers allocated
// once, and Adamax over all parameters at once.
//
// The model stays the model: TrainStep moves its parameters (and the
// Adamax state tensors) into one flat buffer each and leaves every tensor
// in place as a view into it, so the module, the optimizer's state and the
// checkpoint see the same named tensors as before. The ops are autograd's
// (addmm forward, mm for both gradients, sum over rows for the bias,
// threshold/sigmoid/tanh backward on the layer's output, the MSE gradient
// 2 (y - x) / numel), the products through tinyae/gemm.h. With
// GemmEngine::kBlas the rest is LibTorch's kernels and a step agrees with
// loss.backward() + Adamax::step() to the last bit. With kOneDnn (the
// default) the rest is src/train/fused.h's single passes, run() updates
// each layer as soon as its gradients are done (in cache), and a step
// agrees to rounding (tests/train/test_step.cpp, test_fused.cpp).
//
// The kinds of tinyae/model_kind.h: a latent L1 weight > 0 adds the sparse
// penalty weight * mean over rows of sum_j |z_j| and its gradient
// weight * sign(z) / rows (abs' derivative as autograd takes it) to the
// latent layer's output gradient; a denoising step takes the corrupted
// input and the clean target apart.
#pragma once

#include <cstdint>
#include <vector>

#include <torch/torch.h>

#include "tinyae/adamax.h"
#include "tinyae/gemm.h"
#include "tinyae/model.h"

namespace tinyae {

struct AdamaxScalars;  // src/train/fused.h

// out = images.index_select(0, index) as one copy of whole rows split over
// gemm_threads(): train()'s batch gather. images (n, f) and out (rows, f)
// contiguous float32, index (rows) int64 with values in 0..n-1; throws
// tinyae::Error otherwise.
void gather_batch(torch::Tensor& out, const torch::Tensor& images, const torch::Tensor& index);

class TrainStep {
 public:
  // `max_rows` bounds the rows of a training batch and `eval_rows` those of
  // an evaluation batch (buffers are allocated for them; smaller batches
  // use their leading rows). Every parameter of `optimizer` must be one of
  // `model`'s, in model->parameters() order, with one Adamax options group;
  // restored state (a resume) is kept. `latent_l1` >= 0 is the sparse
  // penalty's weight (0 = none); `gemm` runs the matrix multiplies. Throws
  // tinyae::Error otherwise.
  TrainStep(Autoencoder model, Adamax& optimizer, std::int64_t max_rows, std::int64_t eval_rows, double latent_l1 = 0,
            GemmEngine gemm = kDefaultGemmEngine);

  // One step on `x` (rows <= max_rows, input width, float32, contiguous):
  // forward, loss, backward, Adamax update. Returns the batch's loss
  // before the update: its mean squared error, plus last_penalty().
  double run(const torch::Tensor& x) { return run(x, x); }
  // The same with the target apart from the input (denoising: `input` is
  // the corrupted `target`; both of the same shape).
  double run(const torch::Tensor& input, const torch::Tensor& target);
  // run() as its three phases, for profiling (tools/bench/train_profile):
  // forward_loss() checks the batch and returns the loss, leaving its
  // gradient for backward(input) (the same `input`), which fills the
  // gradients; update() is Adamax's step.
  double forward_loss(const torch::Tensor& x) { return forward_loss(x, x); }
  double forward_loss(const torch::Tensor& input, const torch::Tensor& target);
  void backward(const torch::Tensor& input) { backward(input, nullptr); }
  void update();
  // Every parameter's gradient, as backward() left it, in one flat (P)
  // buffer (model->parameters() order): what data-parallel training
  // all-reduces between backward() and update().
  torch::Tensor gradients() const { return grads_; }
  // The sparse penalty term of the last forward_loss() (0 without one).
  double last_penalty() const { return last_penalty_; }

  // Sums over a data set, in double, through the evaluation buffers (in
  // batches of eval_rows): (model(input) - target)^2 over all elements, and
  // |z| over all latent values.
  struct Sums {
    double squared_error = 0;
    double latent_l1 = 0;
  };
  Sums evaluate(const torch::Tensor& inputs, const torch::Tensor& targets);
  // evaluate(images, images).squared_error
  double squared_error(const torch::Tensor& images) { return evaluate(images, images).squared_error; }
  double latent_l1_weight() const { return latent_l1_; }

 private:
  struct Layer {
    torch::Tensor weight, bias;      // (out, in), (out): views into params_
    torch::Tensor weight_t;          // (in, out): weight.t()
    torch::Tensor d_weight, d_bias;  // (out, in), (out): views into grads_
    Activation activation;
    std::int64_t offset = 0, numel = 0;  // weight then bias in the flat buffers
  };
  // Per layer i, activations[i + 1] = act(activations[i] W_i^T + b_i);
  // activations[0] stands for the input (not owned, left undefined).
  struct Buffers {
    std::vector<torch::Tensor> activations;  // (rows, width_i), width_0 = input
    // (rows, width_i): dLoss/d activations[i], 1 <= i < last (training
    // buffers only); the last is y - x, then the loss gradient.
    std::vector<torch::Tensor> gradients;
    // Views of their first `rows` rows (and of the gradients transposed),
    // made when the row count changes: a step makes no views of its own.
    std::int64_t rows = 0;
    std::vector<torch::Tensor> activation_rows, gradient_rows, gradient_rows_t;
  };
  // The oneDNN engine runs the elementwise work as fused.h's passes; the
  // BLAS engine keeps LibTorch's ops (bit-equal to autograd).
  bool fused() const { return gemm_ == GemmEngine::kOneDnn; }
  // With `update`, each layer's Adamax update (the oneDNN engine's) right
  // after its gradients: run()'s order.
  void backward(const torch::Tensor& input, const AdamaxScalars* update);
  // Adamax's step count + 1 and this step's scalars.
  AdamaxScalars begin_update();
  // Fused Adamax over flat[offset, offset + count).
  void update_range(std::int64_t offset, std::int64_t count, const AdamaxScalars& scalars);
  static Buffers make_buffers(const std::vector<std::int64_t>& widths, std::int64_t rows, bool with_gradients);
  // Points b's row views at the first `rows` rows.
  static void narrow_to(Buffers& b, std::int64_t rows);
  // Fills rows 0..x.size(0) of b.activations[1..] for input `x`; returns
  // the output rows (a view into the last activation). With
  // `output_layer_product_only` the output rows hold x W^T of the last layer,
  // without its bias and activation (fused_output_gradient adds them).
  torch::Tensor forward(Buffers& b, const torch::Tensor& x, bool output_layer_product_only = false);

  std::vector<Layer> layers_;
  std::vector<std::int64_t> widths_;  // {input, hidden..., latent, ..., input}
  std::size_t latent_layer_ = 0;      // the encoder's last layer: activations[latent_layer_ + 1] is z
  double latent_l1_ = 0;
  GemmEngine gemm_;
  double last_penalty_ = 0;
  Buffers train_, eval_;
  torch::Tensor params_, grads_, exp_avg_, exp_inf_, scratch_;  // (P) each, P = parameter count
  std::vector<AdamaxParamState*> states_;  // one per parameter, their tensors views into exp_avg_/exp_inf_
  AdamaxOptions options_;
};

}  // namespace tinyae
