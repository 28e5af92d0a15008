// Training and evaluation of the autoencoder on MNIST or a CSV time series
// (tinyae/data_source.h).
//
// train() runs the tutorial's recipe (Adamax, MSE, shuffled mini-batches) on
// tensors held whole in memory. A run lives in one directory:
//   model.safetensors    checkpoint after the last completed epoch (atomic)
//   history.csv          epoch,loss,val_loss,seconds (rewritten atomically); a kind
//                        with a penalty adds reconstruction,<penalty>,val_reconstruction,val_<penalty>
//                        (variational: <penalty> is kl, the KL term with its weight)
//   loss.png             training and validation loss per epoch (and each term of the loss)
//   reconstructions.png  first 10 test images, their codes, their reconstructions
//                        (denoising: the corrupted input as a second row)
//   generated.png        variational: 40 images decoded from codes drawn from N(0, I)
// The loss is the kind's (tinyae/model_kind.h); val_loss is the same loss on
// the validation vectors, which a denoising run corrupts once, with the
// generator of epoch 0 (and whose codes a variational run samples with it,
// the same draws every epoch).
// A run is deterministic for a given seed and thread count, and a resumed run
// is bitwise identical to one that was never interrupted: the model is
// initialised from the seed alone and each epoch's shuffle is drawn from a
// generator seeded with (seed, epoch) alone.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "tinyae/blas.h"
#include "tinyae/checkpoint.h"
#include "tinyae/data.h"
#include "tinyae/data_source.h"
#include "tinyae/distributed.h"
#include "tinyae/gemm.h"
#include "tinyae/model.h"
#include "tinyae/model_kind.h"
#include "tinyae/train_options.h"

namespace tinyae {

// Accepted ranges, shared by the CLI checks and train()'s own.
inline constexpr std::int64_t kMaxEpochs = 100000;
inline constexpr std::int64_t kMaxBatchSize = 60000;
inline constexpr int kMaxThreads = 256;

// File names inside a run directory.
inline constexpr const char* kCheckpointFile = "model.safetensors";
inline constexpr const char* kHistoryFile = "history.csv";
inline constexpr const char* kLossFigureFile = "loss.png";
inline constexpr const char* kReconstructionsFigureFile = "reconstructions.png";
inline constexpr const char* kGeneratedFigureFile = "generated.png";  // variational only

struct TrainRequest {
  ModelConfig model;
  KindOptions kind;  // vanilla, sparse, denoising or variational, and its options (model.variational must agree)
  TrainOptions options;
  // Validation vectors used for val_loss (MNIST: the test images): nullopt =
  // all of them (on resume: as many as the run has used so far); n > 0 = the
  // first n. It does not change the trained weights, only what val_loss
  // measures.
  std::optional<std::int64_t> test_limit;
  // The data; its kind and size must agree with model.input_size.
  DataSpec data;
  std::filesystem::path out_dir;
  // Continue from out_dir/model.safetensors. `model` and `options` must then equal the
  // checkpoint's, except options.epochs (the new total, >= epochs done) and
  // options.threads (a machine setting): anything else is refused.
  bool resume = false;
  bool progress = true;  // progress bar on stderr while an epoch runs (only if stderr is a TTY)
  bool figures = true;   // draw loss.png and reconstructions.png at the end
  // The engine of TrainStep's matrix multiplies (tinyae/gemm.h); like
  // options.threads a machine setting, not stored: a bitwise --resume needs
  // the same engine and threads.
  GemmEngine gemm = kDefaultGemmEngine;
  // Data-parallel training (tinyae/distributed.h): disabled = this process
  // alone. Rank 0 writes the run folder; the other ranks write nothing.
  DistributedOptions distributed;
};

// Checks ranges and paths without touching the disk; throws tinyae::Error
// naming the option, the accepted range and the value found.
void validate_train_request(const TrainRequest& request);

// An upper bound of the memory one training step of `config` on batches of
// `batch_rows` images holds, in bytes: the parameters, their gradients and
// Adamax's two state tensors, and for every image each layer's input,
// pre-activation, activation and gradient (all float32).
std::uint64_t training_memory_bytes(const ModelConfig& config, std::int64_t batch_rows);

// Runs the recipe. Loads (and checks) the data before writing anything and
// refuses, before allocating the model, a model and batch size whose
// training_memory_bytes exceed 3/4 of this machine's RAM. The run directory
// is created only once data and options are valid, locked against a second
// train for as long as this one runs, and removed again if it is still
// empty when training fails. After every epoch it rewrites history.csv and
// out_dir/model.safetensors atomically; at the end it draws the figures. Returns the
// whole history (earlier epochs too on resume).
std::vector<EpochResult> train(const TrainRequest& request);

// Sets LibTorch's intra-op threads to 1 and the BLAS pool and oneDNN's
// sgemm to `threads` (0 = all cores): the matrix multiplies are nearly all
// the work, and two thread pools competing for the same cores make an epoch
// several times slower. Logs in one line which BLAS and kernel run and what
// runs the matrix multiplies (`gemm`), and warns loudly if the BLAS is slow.
// `bind` (oneDNN only): bind_gemm_threads() (tinyae/gemm.h), and the log
// line names the CPUs.
BlasInfo configure_compute_threads(int threads, GemmEngine gemm = kDefaultGemmEngine, bool bind = false);

// Mean squared error of model(x) against x over all rows and pixels, in
// batches, without gradients, in eval mode (restores the previous mode).
double evaluate_mse(Autoencoder& model, const torch::Tensor& images, std::int64_t batch_size = 1000);

// history.csv's text ("epoch,loss,val_loss,seconds" and one row per epoch;
// with a `penalty` column name, the four term columns after those).
std::string history_csv(const std::vector<EpochResult>& history, const char* penalty = nullptr);

// The random generator of epoch `epoch` (1-based) of a run seeded `seed`: it
// draws the epoch's shuffle, then the corruption of each batch in order.
// Epoch 0's corrupts the validation vectors (and eval's test vectors), the
// same ones every epoch.
at::Generator epoch_generator(std::uint64_t seed, std::int64_t epoch);
// Whether `data`'s model inputs lie in [0, 1] (MNIST pixels), so that noise
// is clipped to that range.
bool inputs_in_unit_range(const DataSpec& data);

}  // namespace tinyae
