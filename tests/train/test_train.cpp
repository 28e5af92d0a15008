// Training stage: short real runs on an MNIST subset (does it learn, is it
// deterministic, is a resumed run the uninterrupted one bit for bit), the run
// directory's files, and the refusals that must happen before anything is
// written.
//
// Budget: every run trains on the first 2,000 training images and validates
// on the first 1,000 test images, so an epoch costs a few hundred
// milliseconds; loading MNIST (and hashing it) costs about as much again.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../common/temp_dir_test.h"
#include "../model/tensor_diff.h"
#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/data.h"
#include "tinyae/figures.h"
#include "tinyae/model_kind.h"
#include "tinyae/train.h"

namespace fs = std::filesystem;
using tinyae::EpochResult;
using tinyae::TrainRequest;

namespace {

using tinyae::test::kMnistDir;
constexpr std::int64_t kTrainImages = 2000;
constexpr std::int64_t kTestImages = 1000;

// A fresh directory per test, removed afterwards unless the test failed.
class TrainTest : public tinyae::test::TempDirTest {
 protected:
  TrainTest() : TempDirTest("tinyae-test-train", true) {}

  // The recipe scaled down: batch 32 gives 63 Adamax steps per epoch.
  TrainRequest small_request(const std::string& run, std::int64_t epochs) const {
    TrainRequest request;
    request.options.epochs = epochs;
    request.options.batch_size = 32;
    request.options.train_limit = kTrainImages;
    request.test_limit = kTestImages;
    request.data.path = kMnistDir;
    request.out_dir = dir_ / run;
    request.progress = false;
    request.figures = false;
    return request;
  }
};

// Parameters of two checkpoints, compared bit for bit; reports the gap.
void expect_same_parameters(const fs::path& a_path, const fs::path& b_path) {
  tinyae::Checkpoint a = tinyae::load_checkpoint(a_path);
  tinyae::Checkpoint b = tinyae::load_checkpoint(b_path);
  const auto pa = a.model->named_parameters();
  const auto pb = b.model->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (std::size_t i = 0; i < pa.size(); ++i) {
    ASSERT_EQ(pa[i].key(), pb[i].key());
    EXPECT_TRUE(tinyae::test::bitwise_equal(pa[i].value(), pb[i].value()))
        << pa[i].key() << ": " << tinyae::test::tensor_diff(pa[i].value(), pb[i].value()).describe();
  }
  EXPECT_EQ(a.optimizer_steps, b.optimizer_steps);
  for (const auto& [name, tensor] : a.optimizer_state) {
    ASSERT_TRUE(b.optimizer_state.count(name)) << "optimizer state " << name << " missing in " << b_path;
    EXPECT_TRUE(tinyae::test::bitwise_equal(tensor, b.optimizer_state.at(name)))
        << "optimizer " << name << ": " << tinyae::test::tensor_diff(tensor, b.optimizer_state.at(name)).describe();
  }
}

// Width and height from a PNG's IHDR chunk, after checking the signature.
std::pair<std::uint32_t, std::uint32_t> png_size(const fs::path& path) {
  const std::string bytes = tinyae::read_file(path, 1u << 26);
  const std::string signature = "\x89PNG\r\n\x1a\n";
  if (bytes.size() < 24 || bytes.compare(0, 8, signature) != 0 || bytes.compare(12, 4, "IHDR") != 0) {
    ADD_FAILURE() << path << " is not a PNG";
    return {0, 0};
  }
  auto be32 = [&](std::size_t at) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at])) << 24 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 1])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 2])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[at + 3]));
  };
  return {be32(16), be32(20)};
}

// Trains `request` with its figures and expects its loss and val_loss to
// fall from the first epoch to the last.
std::vector<EpochResult> train_with_figures(TrainRequest request) {
  request.figures = true;
  const std::vector<EpochResult> history = tinyae::train(request);
  EXPECT_EQ(history.size(), static_cast<std::size_t>(request.options.epochs));
  if (history.size() >= 2) {
    EXPECT_LT(history.back().loss, history.front().loss);
    EXPECT_LT(history.back().val_loss, history.front().val_loss);
  }
  return history;
}

// Expects `f` to throw tinyae::Error whose message contains `needle`.
template <typename F>
void expect_error_containing(F f, const std::string& needle) {
  try {
    f();
    ADD_FAILURE() << "expected a tinyae::Error containing '" << needle << "', nothing was thrown";
  } catch (const tinyae::Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "message '" << e.what() << "' does not mention '" << needle << "'";
  }
}

}  // namespace

// Three epochs on 2,000 images must take the validation MSE well below two
// references: the untrained model's (about 0.11, roughly the mean squared
// pixel, since Glorot-initialised ReLU outputs start near 0) and 0.06, just
// under the MSE of predicting every image as the mean digit (about 0.067 on
// MNIST). Beating that means the codes carry information about the image.
TEST_F(TrainTest, ShortRunLearnsBeyondTheMeanImage) {
  TrainRequest request = small_request("learn", 3);
  request.figures = true;
  const std::vector<EpochResult> history = tinyae::train(request);
  ASSERT_EQ(history.size(), 3u);

  const tinyae::Mnist data = tinyae::load_mnist(kMnistDir, kTrainImages, kTestImages);
  torch::manual_seed(request.options.seed);
  tinyae::Autoencoder untrained(request.model);
  untrained->reset_parameters();
  const double initial = tinyae::evaluate_mse(untrained, data.test.images);
  const double mean_image = (data.test.images - data.train.images.mean(0)).square().mean().item<double>();
  const double final_val = history.back().val_loss;
  std::cout << "val MSE: untrained " << initial << ", mean-image predictor " << mean_image << ", after 3 epochs "
            << final_val << "\n";
  constexpr double kBound = 0.06;
  EXPECT_LT(final_val, kBound) << "gap " << final_val - kBound;
  EXPECT_LT(final_val, mean_image) << "gap " << final_val - mean_image;
  EXPECT_LT(final_val, 0.7 * initial) << "untrained " << initial;
  EXPECT_LT(history[2].loss, history[0].loss) << "training loss did not fall";
  for (const EpochResult& r : history) {
    EXPECT_EQ(r.val_images, kTestImages);
    EXPECT_GT(r.seconds, 0);
  }

  // The checkpoint says what was trained, how, on what, for how long.
  const tinyae::Checkpoint checkpoint = tinyae::load_checkpoint(request.out_dir / tinyae::kCheckpointFile);
  EXPECT_EQ(checkpoint.meta.epoch, 3);
  EXPECT_EQ(checkpoint.meta.data_checksum, data.checksum);
  EXPECT_EQ(checkpoint.meta.options, request.options);
  EXPECT_EQ(checkpoint.meta.model, request.model);
  EXPECT_TRUE(checkpoint.has_optimizer());
  const std::vector<EpochResult>& stored = checkpoint.meta.history;
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[2].val_loss, final_val);

  // The checkpoint's model reproduces the last val_loss: exactly with the
  // GEMMs the module's forward uses (LibTorch's), to rounding with oneDNN's.
  tinyae::Autoencoder reloaded = checkpoint.model;
  const double reevaluated = tinyae::evaluate_mse(reloaded, data.test.images);
  if (request.gemm == tinyae::GemmEngine::kBlas) {
    EXPECT_EQ(reevaluated, final_val);
  } else {
    EXPECT_NEAR(reevaluated, final_val, 1e-6 * final_val);
  }

  // history.csv: a header and one row per epoch, the row matching the history.
  std::ifstream csv(request.out_dir / tinyae::kHistoryFile);
  std::string line;
  ASSERT_TRUE(std::getline(csv, line));
  EXPECT_EQ(line, "epoch,loss,val_loss,seconds");
  for (int epoch = 1; epoch <= 3; ++epoch) {
    ASSERT_TRUE(std::getline(csv, line)) << "row for epoch " << epoch << " missing";
    int e = 0;
    double loss = 0, val_loss = 0, seconds = 0;
    ASSERT_EQ(std::sscanf(line.c_str(), "%d,%lf,%lf,%lf", &e, &loss, &val_loss, &seconds), 4) << line;
    EXPECT_EQ(e, epoch);
    EXPECT_NEAR(loss, history[epoch - 1].loss, 1e-8 * history[epoch - 1].loss) << line;
    EXPECT_NEAR(val_loss, history[epoch - 1].val_loss, 1e-8 * history[epoch - 1].val_loss) << line;
  }
  EXPECT_FALSE(std::getline(csv, line)) << "unexpected extra row: " << line;

  // The figures, at their documented sizes.
  const auto loss_png = png_size(request.out_dir / tinyae::kLossFigureFile);
  EXPECT_EQ(loss_png.first, static_cast<std::uint32_t>(tinyae::kLossFigureWidth));
  EXPECT_EQ(loss_png.second, static_cast<std::uint32_t>(tinyae::kLossFigureHeight));
  const tinyae::FigureSize expected = tinyae::reconstructions_figure_size(10);
  const auto recon_png = png_size(request.out_dir / tinyae::kReconstructionsFigureFile);
  EXPECT_EQ(recon_png.first, static_cast<std::uint32_t>(expected.width));
  EXPECT_EQ(recon_png.second, static_cast<std::uint32_t>(expected.height));
}

TEST_F(TrainTest, SameSeedGivesBitwiseSameModel) {
  const std::vector<EpochResult> a = tinyae::train(small_request("a", 2));
  const std::vector<EpochResult> b = tinyae::train(small_request("b", 2));
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].loss, b[i].loss) << "epoch " << i + 1 << " gap " << a[i].loss - b[i].loss;
    EXPECT_EQ(a[i].val_loss, b[i].val_loss) << "epoch " << i + 1 << " gap " << a[i].val_loss - b[i].val_loss;
  }
  expect_same_parameters(dir_ / "a" / tinyae::kCheckpointFile, dir_ / "b" / tinyae::kCheckpointFile);

  // And another seed gives another model (the seed is really used).
  TrainRequest other = small_request("c", 1);
  other.options.seed = 7;
  const std::vector<EpochResult> c = tinyae::train(other);
  EXPECT_NE(c[0].loss, a[0].loss);
}

// Train 2 epochs, resume to 3; must equal 3 epochs straight, bit for bit:
// weights, Adamax state and every logged loss.
TEST_F(TrainTest, ResumedRunEqualsUninterruptedRun) {
  tinyae::train(small_request("resumed", 2));
  TrainRequest resume = small_request("resumed", 3);
  resume.resume = true;
  resume.test_limit.reset();  // taken from the run
  const std::vector<EpochResult> resumed = tinyae::train(resume);
  const std::vector<EpochResult> straight = tinyae::train(small_request("straight", 3));
  ASSERT_EQ(resumed.size(), 3u);
  ASSERT_EQ(straight.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(resumed[i].loss, straight[i].loss) << "epoch " << i + 1 << " gap " << resumed[i].loss - straight[i].loss;
    EXPECT_EQ(resumed[i].val_loss, straight[i].val_loss)
        << "epoch " << i + 1 << " gap " << resumed[i].val_loss - straight[i].val_loss;
    EXPECT_EQ(resumed[i].val_images, kTestImages);
  }
  expect_same_parameters(dir_ / "resumed" / tinyae::kCheckpointFile, dir_ / "straight" / tinyae::kCheckpointFile);
  EXPECT_EQ(tinyae::load_checkpoint(dir_ / "resumed" / tinyae::kCheckpointFile).meta.epoch, 3);
}

// Each kind lowers its own loss; the sparse one also quiets the latent code
// against a vanilla run of the same seed, and writes its two loss terms to
// history.csv; the denoising run draws its corrupted row and repeats
// bitwise across a resume, its noise drawn from the seed alone.
TEST_F(TrainTest, SparseRunLowersItsLossAndItsLatentActivity) {
  const std::vector<EpochResult> vanilla = tinyae::train(small_request("vanilla", 2));
  TrainRequest request = small_request("sparse", 2);
  request.kind.kind = tinyae::ModelKind::kSparse;
  request.kind.sparsity = 1e-3;
  const std::vector<EpochResult> history = tinyae::train(request);
  ASSERT_EQ(history.size(), 2u);
  EXPECT_LT(history[1].loss, history[0].loss);
  EXPECT_LT(history[1].val_loss, history[0].val_loss);
  for (const EpochResult& r : history) {
    EXPECT_GT(r.penalty, 0);
    EXPECT_LT(r.penalty, r.loss);
    EXPECT_GT(r.val_penalty, 0);
  }
  tinyae::Checkpoint sparse = tinyae::load_checkpoint(request.out_dir / tinyae::kCheckpointFile);
  EXPECT_EQ(sparse.meta.kind, request.kind);
  EXPECT_EQ(sparse.meta.history, history);
  tinyae::Checkpoint plain = tinyae::load_checkpoint(dir_ / "vanilla" / tinyae::kCheckpointFile);
  EXPECT_EQ(plain.meta.kind, tinyae::KindOptions{});

  const tinyae::Mnist data = tinyae::load_mnist(kMnistDir, kTrainImages, kTestImages);
  auto latent_mean = [&](tinyae::Checkpoint& c) {
    at::Generator generator = tinyae::epoch_generator(c.meta.options.seed, 0);
    return tinyae::kind_figures(c.model, c.meta.kind, true, data.test.images, generator,
                                1000)["latent"]["mean_activation"]
        .get<double>();
  };
  const double sparse_mean = latent_mean(sparse), vanilla_mean = latent_mean(plain);
  std::cout << "mean |z|: vanilla " << vanilla_mean << ", sparse " << sparse_mean << "; val MSE: vanilla "
            << vanilla.back().val_loss << ", sparse " << history.back().val_loss - history.back().val_penalty << "\n";
  EXPECT_LT(sparse_mean, 0.7 * vanilla_mean);
  // The penalty's share of val_loss is the weight times the mean L1 norm of a code.
  EXPECT_NEAR(history.back().val_penalty, 1e-3 * sparse_mean * request.model.latent_size,
              1e-4 * history.back().val_penalty);

  std::ifstream csv(request.out_dir / tinyae::kHistoryFile);
  std::string header;
  ASSERT_TRUE(std::getline(csv, header));
  EXPECT_EQ(header, "epoch,loss,val_loss,seconds,reconstruction,l1_penalty,val_reconstruction,val_l1_penalty");
}

TEST_F(TrainTest, DenoisingRunLowersItsLossAndResumesBitwise) {
  auto denoising = [&](const std::string& run, std::int64_t epochs) {
    TrainRequest request = small_request(run, epochs);
    request.kind.kind = tinyae::ModelKind::kDenoising;
    request.kind.noise_level = 0.5;
    return request;
  };
  const TrainRequest straight = denoising("straight", 3);
  const std::vector<EpochResult> history = train_with_figures(straight);
  ASSERT_EQ(history.size(), 3u);
  const tinyae::FigureSize expected = tinyae::reconstructions_figure_size(10, true);
  const auto recon_png = png_size(straight.out_dir / tinyae::kReconstructionsFigureFile);
  EXPECT_EQ(recon_png.second, static_cast<std::uint32_t>(expected.height)) << "the corrupted inputs' row";

  tinyae::train(denoising("resumed", 2));
  TrainRequest resume = denoising("resumed", 3);
  resume.resume = true;
  const std::vector<EpochResult> resumed = tinyae::train(resume);
  ASSERT_EQ(resumed.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(resumed[i].loss, history[i].loss) << "epoch " << i + 1;
  expect_same_parameters(dir_ / "resumed" / tinyae::kCheckpointFile, dir_ / "straight" / tinyae::kCheckpointFile);

  // Resuming as another kind is refused by name.
  TrainRequest other = denoising("resumed", 4);
  other.resume = true;
  other.kind.noise_level = 0.25;
  expect_error_containing([&] { tinyae::train(other); }, "--kind");
}

// The variational kind: lowers its own loss (BCE + KL per image), writes
// the KL column and generated.png, repeats bitwise for a seed and across a
// resume (its samples drawn from the epoch's generator), keeps its kind and
// log-variance head in the checkpoint, and reports its negative ELBO in
// eval's figures; a ReLU output (no probabilities for BCE) is refused.
TEST_F(TrainTest, VariationalRunLowersItsLossRepeatsAndResumesBitwise) {
  auto variational = [&](const std::string& run, std::int64_t epochs) {
    TrainRequest request = small_request(run, epochs);
    request.kind.kind = tinyae::ModelKind::kVariational;
    request.kind.kl_weight = 1;
    request.model.variational = true;
    request.model.output_activation = tinyae::Activation::kSigmoid;
    return request;
  };
  const TrainRequest straight = variational("straight", 3);
  const std::vector<EpochResult> history = train_with_figures(straight);
  ASSERT_EQ(history.size(), 3u);
  for (const EpochResult& r : history) {
    EXPECT_GT(r.penalty, 0);
    EXPECT_GT(r.val_penalty, 0);
    EXPECT_LT(r.penalty, r.loss);
  }
  std::cout << "variational, 3 epochs on 2,000 images: val negative ELBO " << history.back().val_loss
            << " nats per image (KL " << history.back().val_penalty << ")\n";
  std::ifstream csv(straight.out_dir / tinyae::kHistoryFile);
  std::string header;
  ASSERT_TRUE(std::getline(csv, header));
  EXPECT_EQ(header, "epoch,loss,val_loss,seconds,reconstruction,kl,val_reconstruction,val_kl");
  EXPECT_EQ(png_size(straight.out_dir / tinyae::kGeneratedFigureFile).first, 2u * 12 + 10u * (84 + 8));

  const std::vector<EpochResult> again = tinyae::train(variational("again", 3));
  for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(again[i].loss, history[i].loss) << "epoch " << i + 1;
  expect_same_parameters(dir_ / "again" / tinyae::kCheckpointFile, dir_ / "straight" / tinyae::kCheckpointFile);

  tinyae::train(variational("resumed", 1));
  TrainRequest resume = variational("resumed", 3);
  resume.resume = true;
  const std::vector<EpochResult> resumed = tinyae::train(resume);
  ASSERT_EQ(resumed.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(resumed[i].loss, history[i].loss) << "epoch " << i + 1;
    EXPECT_EQ(resumed[i].val_loss, history[i].val_loss) << "epoch " << i + 1;
  }
  expect_same_parameters(dir_ / "resumed" / tinyae::kCheckpointFile, dir_ / "straight" / tinyae::kCheckpointFile);

  tinyae::Checkpoint checkpoint = tinyae::load_checkpoint(straight.out_dir / tinyae::kCheckpointFile);
  EXPECT_EQ(checkpoint.meta.kind, straight.kind);
  EXPECT_TRUE(checkpoint.meta.model.variational);
  ASSERT_TRUE(checkpoint.model->logvar_layer().has_value());
  // eval's estimate on the validation vectors, drawn as training drew them, is the last val_loss.
  const tinyae::Mnist data = tinyae::load_mnist(kMnistDir, kTrainImages, kTestImages);
  at::Generator generator = tinyae::epoch_generator(checkpoint.meta.options.seed, 0);
  const nlohmann::json figures =
      tinyae::kind_figures(checkpoint.model, checkpoint.meta.kind, true, data.test.images, generator, 1000);
  const nlohmann::json& v = figures.at("variational");
  EXPECT_NEAR(v.at("negative_elbo").get<double>(), history.back().val_loss, 1e-3);
  EXPECT_NEAR(v.at("kl").get<double>(), history.back().val_penalty, 1e-4);
  EXPECT_GT(v.at("mean_reconstruction_mse").get<double>(), 0);
  // The deterministic estimate (z = mean) shares the analytic KL; the export test recomputes it from the headers.
  const nlohmann::json& at_mean = v.at("negative_elbo_at_mean");
  EXPECT_EQ(at_mean.at("kl"), v.at("kl"));
  EXPECT_NEAR(at_mean.at("value").get<double>(),
              at_mean.at("reconstruction_bce").get<double>() + at_mean.at("kl").get<double>(), 1e-9);

  TrainRequest relu = variational("relu", 1);
  relu.model.output_activation = tinyae::Activation::kRelu;
  expect_error_containing([&] { tinyae::train(relu); }, "--output-activation sigmoid");
  TrainRequest plain_model = variational("plain", 1);
  plain_model.model.variational = false;
  expect_error_containing([&] { tinyae::train(plain_model); }, "variational");
}

// Refusals on a finished run: no overwrite without --resume, no resume with
// other options or other data; the checkpoint stays as it was.
TEST_F(TrainTest, RefusesToOverwriteOrResumeInconsistently) {
  tinyae::train(small_request("run", 2));
  const fs::path checkpoint = dir_ / "run" / tinyae::kCheckpointFile;
  const std::string before = tinyae::sha256_file_hex(checkpoint);

  expect_error_containing([&] { tinyae::train(small_request("run", 2)); }, "--resume");

  auto resume_request = [&](std::int64_t epochs) {
    TrainRequest r = small_request("run", epochs);
    r.resume = true;
    return r;
  };
  TrainRequest other_lr = resume_request(3);
  other_lr.options.lr = 0.01;
  expect_error_containing([&] { tinyae::train(other_lr); }, "--lr");

  TrainRequest other_hidden = resume_request(3);
  other_hidden.model.hidden = {256, 64};
  expect_error_containing([&] { tinyae::train(other_hidden); }, "--hidden");

  expect_error_containing([&] { tinyae::train(resume_request(1)); }, "fewer");

  TrainRequest other_test_limit = resume_request(3);
  other_test_limit.test_limit = 500;
  expect_error_containing([&] { tinyae::train(other_test_limit); }, "--test-limit");

  // Other data: the same files but one training label changed, so the data
  // checksum differs while every file is still valid.
  const fs::path other_data = dir_ / "other-data";
  fs::create_directories(other_data);
  for (const char* name : {"train-images-idx3-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"}) {
    fs::create_symlink(kMnistDir / name, other_data / name);
  }
  std::string labels = tinyae::read_file(kMnistDir / "train-labels-idx1-ubyte", 1u << 20);
  labels.back() = static_cast<char>((labels.back() + 1) % 10);
  tinyae::write_file_atomically(other_data / "train-labels-idx1-ubyte", labels);
  TrainRequest other_data_request = resume_request(3);
  other_data_request.data.path = other_data;
  expect_error_containing([&] { tinyae::train(other_data_request); }, "checksum");

  EXPECT_EQ(tinyae::sha256_file_hex(checkpoint), before) << "a refused command changed " << checkpoint;
}

// Bad data is found before the run directory is created.
TEST_F(TrainTest, CorruptDataLeavesNothingBehind) {
  const fs::path bad_data = dir_ / "bad-data";
  fs::create_directories(bad_data);
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"}) {
    fs::create_symlink(kMnistDir / name, bad_data / name);
  }
  const std::string images = tinyae::read_file(kMnistDir / "t10k-images-idx3-ubyte", 1u << 24);
  tinyae::write_file_atomically(bad_data / "t10k-images-idx3-ubyte", std::string_view(images).substr(0, 100000));
  TrainRequest request = small_request("run", 1);
  request.data.path = bad_data;
  expect_error_containing([&] { tinyae::train(request); }, "t10k-images-idx3-ubyte");
  EXPECT_FALSE(fs::exists(request.out_dir)) << "a failed run left " << request.out_dir;

  request.data.path = dir_ / "no-such-dir";
  expect_error_containing([&] { tinyae::train(request); }, "no-such-dir");
  EXPECT_FALSE(fs::exists(request.out_dir));
}

// Another process training into the same folder holds flock() on it (here
// a child process, as a second `tinyae train` would): this run is refused
// before it writes anything, and the folder is left as it was.
TEST_F(TrainTest, RunFolderInUseIsRefused) {
  const TrainRequest request = small_request("busy", 1);
  fs::create_directories(request.out_dir);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t holder = ::fork();
  ASSERT_GE(holder, 0);
  if (holder == 0) {
    const int fd = ::open(request.out_dir.c_str(), O_RDONLY | O_DIRECTORY);
    const bool locked = fd >= 0 && ::flock(fd, LOCK_EX) == 0;
    const char byte = locked ? 'y' : 'n';
    (void)!::write(ready[1], &byte, 1);
    ::pause();  // until killed
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_EQ(byte, 'y') << "the child could not lock the folder";
  expect_error_containing([&] { tinyae::train(request); }, "another tinyae train is running in it");
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  EXPECT_TRUE(fs::is_empty(request.out_dir)) << "the refused run wrote into the busy folder";
  // Once the other run is gone, the folder is free.
  EXPECT_NO_THROW(tinyae::train(request));
  EXPECT_TRUE(fs::exists(request.out_dir / "model.safetensors"));
}

TEST(TrainRequestTest, RangesAreChecked) {
  TrainRequest ok;
  ok.data.path = "d";
  ok.out_dir = "o";
  EXPECT_NO_THROW(tinyae::validate_train_request(ok));
  auto expect_refused = [&](auto change, const std::string& needle) {
    TrainRequest r = ok;
    change(r);
    expect_error_containing([&] { tinyae::validate_train_request(r); }, needle);
  };
  expect_refused([](TrainRequest& r) { r.options.epochs = 0; }, "epochs");
  expect_refused([](TrainRequest& r) { r.options.epochs = tinyae::kMaxEpochs + 1; }, "epochs");
  expect_refused([](TrainRequest& r) { r.options.batch_size = 0; }, "batch size");
  expect_refused([](TrainRequest& r) { r.options.lr = -1; }, "learning rate");
  expect_refused([](TrainRequest& r) { r.options.lr = std::nan(""); }, "learning rate");
  expect_refused([](TrainRequest& r) { r.options.lr = INFINITY; }, "learning rate");
  expect_refused([](TrainRequest& r) { r.options.threads = 257; }, "threads");
  expect_refused([](TrainRequest& r) { r.options.train_limit = -1; }, "train limit");
  expect_refused([](TrainRequest& r) { r.test_limit = -1; }, "test limit");
  expect_refused([](TrainRequest& r) { r.model.latent_size = 0; }, "");
  expect_refused([](TrainRequest& r) { r.out_dir.clear(); }, "--out");
}

TEST(HistoryTest, CsvAndJsonRoundTrip) {
  const std::vector<EpochResult> history = {{1, 0.0625, 0.05, 1.25, 10000}, {2, 0.03125, 0.0302734375, 1.5, 10000}};
  EXPECT_EQ(tinyae::history_csv(history),
            "epoch,loss,val_loss,seconds\n"
            "1,0.0625,0.05,1.250\n"
            "2,0.03125,0.0302734375,1.500\n");
  const std::vector<EpochResult> back = tinyae::history_from_json(tinyae::history_to_json(history));
  ASSERT_EQ(back.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(back[i].epoch, history[i].epoch);
    EXPECT_EQ(back[i].loss, history[i].loss);
    EXPECT_EQ(back[i].val_loss, history[i].val_loss);
    EXPECT_EQ(back[i].seconds, history[i].seconds);
    EXPECT_EQ(back[i].val_images, history[i].val_images);
  }
  expect_error_containing([] { tinyae::history_from_json(nlohmann::json::object()); }, "array");
  expect_error_containing(
      [] {
        tinyae::history_from_json(nlohmann::json::parse(R"([{"epoch": 2, "loss": 1,
      "val_loss": 1, "seconds": 1}])"));
      },
      "expected epoch 1");
}

// evaluate_mse against the definition, on a model and data small enough to
// check by hand: every row and pixel counts once, whatever the batch size.
TEST(EvaluateTest, MatchesDirectMeanSquaredError) {
  tinyae::ModelConfig config;
  config.input_size = 16;
  config.hidden = {8};
  config.latent_size = 4;
  torch::manual_seed(3);
  tinyae::Autoencoder model(config);
  const torch::Tensor images = torch::rand({37, 16});  // (37, 16): 37 is prime, so batches are uneven
  torch::Tensor expected;
  {
    torch::NoGradGuard no_grad;
    expected = (model->forward(images).to(torch::kDouble) - images.to(torch::kDouble)).square().mean();
  }
  for (std::int64_t batch : {1, 5, 37, 1000}) {
    const double got = tinyae::evaluate_mse(model, images, batch);
    // The difference is taken in float32 (as in training), hence a relative tolerance.
    EXPECT_NEAR(got, expected.item<double>(), 1e-6 * expected.item<double>())
        << "batch " << batch << " gap " << got - expected.item<double>();
  }
  EXPECT_TRUE(model->is_training()) << "evaluate_mse must restore training mode";
  expect_error_containing([&] { tinyae::evaluate_mse(model, images, 0); }, "batch size");
}
