// The training loop (the run folder's checks and lock: run_folder.cpp).
//
// Data lives whole in memory as float tensors (60,000 x 784 x 4 bytes =
// 188 MB for the training set); each mini-batch is gathered (gather_batch,
// whole rows) from a per-epoch permutation into one preallocated batch, and
// TrainStep (train_step.h) runs the step without autograd.
//
// Determinism: the model is initialised from torch::manual_seed(seed) right
// before reset_parameters(), and epoch e shuffles (and, denoising, corrupts
// its batches) with a generator of its own seeded with
// seed * kShuffleSeedStride + e. Nothing else draws random
// numbers, so epoch e depends only on (seed, e, the weights and the Adamax
// state), which the checkpoint stores exactly: resuming after any epoch gives
// bitwise the run that was never interrupted (for the same thread count).
//
// Data-parallel (tinyae/distributed.h): every rank runs this loop on its
// shard of each batch; rank 0 alone validates and writes the run folder.
//
// Crash safety: the checkpoint and history.csv are rewritten atomically after
// every epoch, checkpoint first; the checkpoint is the source of truth and
// history.csv is regenerated from it on resume.
#include "tinyae/train.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>
#include <thread>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <torch/version.h>

#include "batch_input.h"
#include "fused.h"
#include "progress_bar.h"
#include "run_folder.h"
#include "tinyae/blas.h"
#include "tinyae/common.h"
#include "tinyae/distributed.h"
#include "tinyae/figures.h"
#include "tinyae/train_step.h"
#include "tinyae/variational.h"

namespace tinyae {
namespace {

namespace fs = std::filesystem;

// A prime larger than any epoch count, so (seed, epoch) pairs map to distinct
// generator seeds for a given seed.
constexpr std::uint64_t kShuffleSeedStride = 1000003;
static_assert(kShuffleSeedStride > static_cast<std::uint64_t>(kMaxEpochs));

constexpr std::int64_t kEvalBatchSize = 1000;
constexpr std::int64_t kFigureImages = 10;
constexpr std::int64_t kGeneratedImages = 40;  // generated.png: 4 rows of 10
constexpr std::int64_t kGeneratedColumns = 10;

// Reconstructions are drawn as 28 x 28 images, which only MNIST-sized inputs are.
bool is_image_model(const ModelConfig& config) { return config.input_size == 784; }

// The reconstructions are those of the corrupted images for a denoising
// run (corrupted as eval corrupts the test images).
void draw_figures(const fs::path& out, Autoencoder& model, const TrainRequest& request,
                  const torch::Tensor& test_images, const std::vector<EpochResult>& history) {
  const KindRow& row = kind_row(request.kind.kind);
  draw_loss_png(out / kLossFigureFile, history, row.penalty, row.loss_axis);
  if (!is_image_model(model->config())) return;
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  const torch::Tensor originals = test_images.slice(0, 0, std::min(kFigureImages, test_images.size(0)));  // (10, 784)
  torch::Tensor inputs = originals;                                                                       // (10, 784)
  const bool noisy = row.noisy_input;
  if (noisy) {
    inputs = torch::empty_like(originals);
    at::Generator generator = epoch_generator(request.options.seed, 0);
    corrupt(request.kind, inputs_in_unit_range(request.data), originals, inputs, generator);
  }
  const torch::Tensor latents = model->encode(inputs);           // (10, latent)
  const torch::Tensor reconstructions = model->decode(latents);  // (10, 784)
  model->train(was_training);
  draw_reconstructions_png(out / kReconstructionsFigureFile, originals, latents, reconstructions,
                           noisy ? inputs : torch::Tensor());
  if (row.variational) {
    // Codes drawn with a generator of their own, so the figure does not depend on the epochs run.
    at::Generator generator = epoch_generator(request.options.seed, 0);
    draw_generated_png(out / kGeneratedFigureFile, generate_images(model, kGeneratedImages, generator),
                       kGeneratedColumns);
  }
}
}  // namespace

at::Generator epoch_generator(std::uint64_t seed, std::int64_t epoch) {
  return at::detail::createCPUGenerator(seed * kShuffleSeedStride + static_cast<std::uint64_t>(epoch));
}

bool inputs_in_unit_range(const DataSpec& data) { return data.kind == DataKind::kMnist; }

BlasInfo configure_compute_threads(int threads, GemmEngine gemm, bool bind) {
  // LibTorch's own pool and OpenBLAS' pool fight over the cores when both
  // are > 1 (an epoch of the default recipe takes several times longer); the
  // matrix multiplies are nearly all the work, so they get the threads.
  torch::set_num_threads(1);
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int used = threads > 0 ? threads : cores;
  set_blas_threads(used);
  // oneDNN's OpenMP team (its sgemm, fused.h's passes, the batch gather)
  // only with the oneDNN engine: with the BLAS engine a second team would
  // spin on the cores OpenBLAS' threads need (an epoch 6x slower).
  set_gemm_threads(gemm == GemmEngine::kOneDnn ? used : 1);
  const std::vector<int> cpus = bind && gemm == GemmEngine::kOneDnn ? bind_gemm_threads() : std::vector<int>{};
  BlasInfo blas = query_blas();
  spdlog::info("BLAS: {}{}, {} thread(s); matrix multiplies: {}{}{}; LibTorch intra-op threads: 1", blas.library,
               blas.kernel.empty() ? "" : ", kernel " + blas.kernel,
               blas.threads > 0 ? std::to_string(blas.threads) : std::string("unknown"), describe_gemm(gemm),
               cpus.empty() ? "" : fmt::format(", bound to CPUs {}", fmt::join(cpus, ", ")),
               gemm == GemmEngine::kOneDnn ? fmt::format("; elementwise passes: {} kernels", fused_isa()) : "");
  if (!blas.fast) {
    spdlog::warn(
        "SLOW BLAS: '{}'{} is a reference or generic kernel; training will run several times slower. "
        "Install OpenBLAS (libopenblas0-pthread) and make sure OPENBLAS_CORETYPE suits this CPU (see "
        "tools/setup.sh)",
        blas.library, blas.kernel.empty() ? "" : " with kernel " + blas.kernel);
  }
  return blas;
}

void validate_train_request(const TrainRequest& request) {
  request.model.validate();
  request.kind.validate();
  const TrainOptions& o = request.options;
  if (o.epochs < 1 || o.epochs > kMaxEpochs) {
    throw Error(fmt::format("epochs must be in 1..{}, got {}", kMaxEpochs, o.epochs));
  }
  if (o.batch_size < 1 || o.batch_size > kMaxBatchSize) {
    throw Error(fmt::format("batch size must be in 1..{}, got {}", kMaxBatchSize, o.batch_size));
  }
  if (!(o.lr > 0) || !std::isfinite(o.lr)) {
    throw Error(fmt::format("learning rate must be a finite number > 0, got {}", o.lr));
  }
  if (o.threads < 0 || o.threads > kMaxThreads) {
    throw Error(fmt::format("threads must be in 0..{} (0 = all cores), got {}", kMaxThreads, o.threads));
  }
  if (o.train_limit < 0) throw Error(fmt::format("train limit must be >= 0 (0 = all), got {}", o.train_limit));
  if (request.test_limit && *request.test_limit < 0) {
    throw Error(fmt::format("test limit must be >= 0 (0 = all), got {}", *request.test_limit));
  }
  if (request.data.path.empty()) throw Error("no data given (--data: an MNIST folder or a CSV file)");
  request.data.validate();
  if (request.model.variational != request.kind.variational()) {
    throw Error(fmt::format("a {} autoencoder needs a model config with variational {}",
                            kind_row(request.kind.kind).name, request.kind.variational()));
  }
  if (request.kind.variational()) {
    const std::string refusal = variational_refusal(request.model, inputs_in_unit_range(request.data));
    if (!refusal.empty()) throw Error(refusal);
    // Its step runs through autograd, outside the flat gradient buffer the group all-reduces.
    if (request.distributed.world_size > 1) {
      throw Error("a variational autoencoder trains in one process; drop --world-size/--nproc");
    }
  }
  if (request.out_dir.empty()) throw Error("no run directory given (--out)");
  request.distributed.validate();
}

double evaluate_mse(Autoencoder& model, const torch::Tensor& images, std::int64_t batch_size) {
  check_batched_input("evaluate_mse", images, batch_size);
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  const std::int64_t n = images.size(0);
  double squared_error = 0;  // summed in double: 7.8 million terms for the test set
  for (std::int64_t begin = 0; begin < n; begin += batch_size) {
    const torch::Tensor x = images.slice(0, begin, std::min(n, begin + batch_size));  // (rows, 784)
    squared_error += (model->forward(x) - x).square().sum(torch::kDouble).item<double>();
  }
  model->train(was_training);
  return squared_error / static_cast<double>(images.numel());
}

std::string history_csv(const std::vector<EpochResult>& history, const char* penalty) {
  std::string text = "epoch,loss,val_loss,seconds";
  if (penalty != nullptr) text += fmt::format(",reconstruction,{0},val_reconstruction,val_{0}", penalty);
  text += "\n";
  for (const EpochResult& r : history) {
    text += fmt::format("{},{:.9g},{:.9g},{:.3f}", r.epoch, r.loss, r.val_loss, r.seconds);
    if (penalty != nullptr) {
      text += fmt::format(",{:.9g},{:.9g},{:.9g},{:.9g}", r.loss - r.penalty, r.penalty, r.val_loss - r.val_penalty,
                          r.val_penalty);
    }
    text += "\n";
  }
  return text;
}

std::uint64_t training_memory_bytes(const ModelConfig& config, std::int64_t batch_rows) {
  std::uint64_t widths = 0;  // every layer's input and output, encoder and decoder
  for (const auto size : config.encoder_sizes()) widths += static_cast<std::uint64_t>(size);
  for (const auto size : config.decoder_sizes()) widths += static_cast<std::uint64_t>(size);
  const auto parameters = static_cast<std::uint64_t>(config.parameter_count());
  // The widths count the input twice (encoder and decoder ends): room for a
  // denoising run's corrupted batch too.
  return sizeof(float) * (4 * parameters + 4 * static_cast<std::uint64_t>(batch_rows) * widths);
}

std::vector<EpochResult> train(const TrainRequest& request) {
  validate_train_request(request);
  check_paths(request);
  const fs::path out = request.out_dir;
  const fs::path checkpoint_path = out / kCheckpointFile;
  const TrainOptions& options = request.options;

  // 1. Everything that can fail on bad input, before anything is written.
  Checkpoint resumed;
  std::vector<EpochResult> history;
  if (request.resume) {
    resumed = load_checkpoint(checkpoint_path);
    check_resume_matches(resumed.meta, request, checkpoint_path);
    history = resumed.meta.history;
  }
  const ModelData data =
      load_model_data(request.data, request.resume ? std::optional<Scaling>(resumed.meta.input_scaling) : std::nullopt,
                      options.train_limit);
  const std::string data_name = request.data.path.string();
  if (request.resume && resumed.meta.data_checksum != data.checksum) {
    throw Error(fmt::format(
        "cannot resume '{}': it was trained on data with checksum {}, but '{}' holds data with checksum {}; "
        "resume with the same --data",
        checkpoint_path.string(), resumed.meta.data_checksum, data_name, data.checksum));
  }
  const torch::Tensor& train_images = data.train.x;  // (n_train, input)
  if (train_images.size(1) != request.model.input_size) {
    throw Error(fmt::format("the model takes {} inputs, but '{}' gives vectors of {} values", request.model.input_size,
                            data_name, train_images.size(1)));
  }
  const std::int64_t validation_count = data.validation.size();
  if (validation_count == 0) {
    throw Error(fmt::format("'{}' leaves no vector for validation; raise the validation fraction", data_name));
  }
  std::int64_t val_images = validation_count;
  if (request.test_limit && *request.test_limit > 0) val_images = std::min(*request.test_limit, validation_count);
  if (!history.empty() && history.back().val_images > 0) {
    if (!request.test_limit) {
      val_images = std::min(history.back().val_images, validation_count);
    } else if (val_images != history.back().val_images) {
      throw Error(
          fmt::format("cannot resume '{}': its val_loss was measured on {} vectors, --test-limit asks for {}; "
                      "drop --test-limit to keep the run's",
                      checkpoint_path.string(), history.back().val_images, val_images));
    }
  }
  const torch::Tensor val_set = data.validation.x.slice(0, 0, val_images);  // (val_images, input)
  const std::int64_t n = train_images.size(0);
  if (n == 0) throw Error(fmt::format("'{}' holds no training vectors", data_name));
  const ModelConfig& config = request.resume ? resumed.meta.model : request.model;
  const std::int64_t batch_rows = std::min(options.batch_size, n);
  check_memory_fits(
      std::max(training_memory_bytes(config, batch_rows), config.inference_memory_bytes(kEvalBatchSize)),
      fmt::format("training this model ({} parameters) on batches of {} images", config.parameter_count(), batch_rows),
      "use a smaller --batch-size or smaller layers");

  // 2. The group (if distributed), the run directory (rank 0), then the model and optimizer.
  DataParallel parallel;
  if (request.distributed.enabled) {
    parallel = DataParallel(request.distributed, rendezvous_digest(request, data.checksum, resumed.meta.epoch,
                                                                   request.resume ? resumed.sha256 : ""));
  }
  std::optional<RunDirectory> run_directory;
  if (parallel.writes()) run_directory.emplace(out);
  // The variational kind's autograd step multiplies through LibTorch.
  const GemmEngine gemm = request.kind.variational() ? GemmEngine::kBlas : request.gemm;
  // Bound threads would pass their CPU on to Gloo's threads.
  configure_compute_threads(options.threads, gemm, !request.distributed.enabled);

  Autoencoder model{nullptr};
  if (request.resume) {
    model = resumed.model;
  } else {
    model = Autoencoder(request.model);
    torch::manual_seed(options.seed);
    model->reset_parameters();
  }
  Adamax optimizer(model->parameters(), AdamaxOptions(options.lr));
  if (request.resume) restore_optimizer(resumed, optimizer);

  CheckpointMeta meta;
  meta.model = model->config();
  meta.kind = request.kind;
  meta.options = options;
  meta.epoch = request.resume ? resumed.meta.epoch : 0;
  meta.data = request.data;
  meta.input_scaling = data.scaling;
  meta.data_checksum = data.checksum;
  meta.tool_version = kVersion;
  meta.torch_version = TORCH_VERSION;

  const KindOptions& kind = request.kind;
  const bool noisy = kind_row(kind.kind).noisy_input;
  const bool clip = inputs_in_unit_range(request.data);
  // The variational kind samples its code and trains through autograd; the
  // others run TrainStep's hand-written pass.
  std::optional<TrainStep> step;
  std::optional<VariationalStep> variational;
  if (kind.variational()) {
    variational.emplace(model, optimizer, kind.kl_weight);
  } else {
    step.emplace(model, optimizer, batch_rows, std::min(kEvalBatchSize, std::max<std::int64_t>(val_images, 1)),
                 kind.sparsity, gemm);
  }
  torch::Tensor batch_buffer = torch::empty({batch_rows, train_images.size(1)});  // (batch_rows, 784)
  // Denoising: the corrupted batch, and the validation vectors corrupted once.
  torch::Tensor noisy_buffer = noisy ? torch::empty_like(batch_buffer) : torch::Tensor();  // (batch_rows, 784)
  torch::Tensor val_inputs = val_set;                                                      // (val_images, input)
  if (noisy) {
    val_inputs = torch::empty_like(val_set);
    at::Generator generator = epoch_generator(options.seed, 0);
    corrupt(kind, clip, val_set, val_inputs, generator);
  }
  const std::int64_t batch_size = options.batch_size;
  const std::int64_t batches = (n + batch_size - 1) / batch_size;  // the last batch may be smaller, as in Keras
  if (parallel.writes() && meta.epoch < options.epochs) {          // rank 0 speaks for the group
    spdlog::info("Training a {} autoencoder on {} vectors of {} ({} batches of {}), validating on {}, epochs {} to {}",
                 kind.describe(), n, request.data.describe(), batches, batch_size, val_images, meta.epoch + 1,
                 options.epochs);
  } else if (parallel.writes()) {
    spdlog::info("'{}' has already trained {} epochs; raise --epochs to train longer", checkpoint_path.string(),
                 meta.epoch);
  }

  // 3. The epochs.
  for (std::int64_t epoch = meta.epoch + 1; epoch <= options.epochs; ++epoch) {
    const auto start = std::chrono::steady_clock::now();
    model->train();
    at::Generator generator = epoch_generator(options.seed, epoch);
    const torch::Tensor order = torch::randperm(n, generator, torch::kLong);  // (n) int64
    ProgressBar progress(request.progress && parallel.writes(), epoch, options.epochs, batches);
    double weighted_loss = 0;     // sum over batches of (batch mean loss) * (batch rows)
    double weighted_penalty = 0;  // the same for the penalty term
    for (std::int64_t b = 0; b < batches; ++b) {
      const std::int64_t begin = b * batch_size;
      const std::int64_t end = std::min(n, begin + batch_size);
      torch::Tensor x = batch_buffer.narrow(0, 0, end - begin);  // (rows, 784)
      gather_batch(x, train_images, order.slice(0, begin, end));
      torch::Tensor input = x;  // (rows, 784)
      if (noisy) {
        input = noisy_buffer.narrow(0, 0, end - begin);
        corrupt(kind, clip, x, input, generator);
      }
      if (variational) {
        weighted_loss += variational->run(x, generator) * static_cast<double>(end - begin);
        weighted_penalty += variational->last_penalty() * static_cast<double>(end - begin);
      } else {
        parallel.step(*step, input, x, weighted_loss, weighted_penalty);
      }
      progress.update(b + 1);
    }
    progress.clear();
    parallel.sum(weighted_loss, weighted_penalty);
    if (!parallel.writes()) continue;
    EpochResult result;
    result.epoch = epoch;
    result.loss = weighted_loss / static_cast<double>(n);
    result.penalty = weighted_penalty / static_cast<double>(n);
    check_batched_input("evaluate_mse", val_set, kEvalBatchSize);
    if (variational) {
      // The one-sample ELBO estimate, its codes drawn with epoch 0's generator every epoch.
      at::Generator val_generator = epoch_generator(options.seed, 0);
      const VariationalSums val = variational_sums(model, val_set, val_generator, kEvalBatchSize);
      result.val_penalty = kind.kl_weight * val.kl / static_cast<double>(val_images);
      result.val_loss = val.bce / static_cast<double>(val_images) + result.val_penalty;
    } else {
      const TrainStep::Sums val = step->evaluate(val_inputs, val_set);
      result.val_penalty = kind.sparsity * val.latent_l1 / static_cast<double>(val_images);
      result.val_loss = val.squared_error / static_cast<double>(val_set.numel()) + result.val_penalty;
    }
    result.val_images = val_images;
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!std::isfinite(result.loss) || !std::isfinite(result.val_loss)) {
      const std::string kept = history.empty()
                                   ? std::string("no checkpoint was written")
                                   : fmt::format("'{}' keeps epoch {}", checkpoint_path.string(), history.back().epoch);
      throw Error(fmt::format("training diverged in epoch {} (loss {}, val_loss {}); {}. Try a smaller --lr", epoch,
                              result.loss, result.val_loss, kept));
    }
    history.push_back(result);

    meta.epoch = epoch;
    meta.history = history;
    save_checkpoint(checkpoint_path, meta, model, &optimizer);
    run_directory->keep();
    write_file_atomically(out / kHistoryFile, history_csv(history, kind_row(kind.kind).penalty));
    spdlog::info("Epoch {}/{} - loss: {:.4f} - val_loss: {:.4f} - {:.1f}s", epoch, options.epochs, result.loss,
                 result.val_loss, result.seconds);
  }

  // 4. history.csv also when nothing was trained (a resume of a finished run
  // after a crash before it was written), then the figures.
  if (!parallel.writes()) return history;
  write_file_atomically(out / kHistoryFile, history_csv(history, kind_row(kind.kind).penalty));
  run_directory->keep();
  if (request.figures) {
    draw_figures(out, model, request, data.test.x, history);
    std::string images;
    if (is_image_model(model->config())) {
      images = std::string(", ") + kReconstructionsFigureFile;
      if (kind.variational()) images += std::string(", ") + kGeneratedFigureFile;
    }
    spdlog::info("Run directory '{}': {}, {}, {}{}", out.string(), kCheckpointFile, kHistoryFile, kLossFigureFile,
                 images);
  }
  return history;
}

}  // namespace tinyae
