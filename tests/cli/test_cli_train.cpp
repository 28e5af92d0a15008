// `tinyae train` and `tinyae eval` as a user runs them: the real binary in a
// subprocess. A wrong command line or bad data must give a non-zero exit, one
// message on stderr naming the problem, and no model.safetensors; a good run must give
// the run files, and `eval --json` exactly one JSON object on stdout.
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../common/temp_dir_test.h"
#include "tinyae/common.h"
#include "tinyae/process.h"

namespace fs = std::filesystem;

namespace {

using tinyae::test::kMnistDir;

struct Outcome {
  int status = -1;  // exit status, or -1 if the process did not exit normally
  std::string out, err;
};

class CliTest : public tinyae::test::TempDirTest {
 protected:
  CliTest() : TempDirTest("tinyae-test-cli", true) {}

  // Runs `tinyae args...` with stdout and stderr captured separately.
  // keep_blas_kernel: set OPENBLAS_CORETYPE (empty: OpenBLAS' own choice) so
  // that tinyae does not restart itself to pick a faster kernel; for
  // commands that are refused before any arithmetic, it halves the start-up.
  Outcome tinyae(const std::vector<std::string>& args, bool keep_blas_kernel = false) const {
    std::vector<std::string> argv = {TINYAE_EXE};
    argv.insert(argv.end(), args.begin(), args.end());
    tinyae::ProcessOptions options;
    if (keep_blas_kernel) options.env = {"OPENBLAS_CORETYPE="};
    options.timeout_seconds = 1200;
    const tinyae::ProcessResult r = tinyae::run_process(argv, options);
    return {r.exited ? r.exit_code : -1, r.out, r.err};
  }

  // A small, fast run: 500 training images, 200 test images, 1 epoch.
  std::vector<std::string> small_train(const fs::path& out, const fs::path& data = kMnistDir) const {
    return {"train",         "--data", data.string(),  "--out", out.string(),   "--epochs", "1", "--batch-size", "64",
            "--train-limit", "500",    "--test-limit", "200",   "--no-figures", "--quiet"};
  }

  // `train` as small_train(run) with `extra`, then `eval --json` on the same
  // 500 / 200 images: its document, or null after reporting a failure.
  nlohmann::json train_and_eval(const fs::path& run, const std::vector<std::string>& extra) const {
    std::vector<std::string> args = small_train(run);
    args.insert(args.end(), extra.begin(), extra.end());
    const Outcome trained = tinyae(args);
    if (trained.status != 0) {
      ADD_FAILURE() << "train failed: " << trained.err;
      return nullptr;
    }
    const Outcome eval = tinyae({"eval", "--model", (run / "model.safetensors").string(), "--json", "--train-limit",
                                 "500", "--test-limit", "200"});
    if (eval.status != 0) {
      ADD_FAILURE() << "eval failed: " << eval.err;
      return nullptr;
    }
    return nlohmann::json::parse(eval.out);
  }
};

// Non-zero exit, stderr mentions every needle, stdout stays empty.
void expect_failure(const Outcome& run, int status, const std::vector<std::string>& needles) {
  EXPECT_EQ(run.status, status) << "stderr: " << run.err;
  for (const std::string& needle : needles) {
    EXPECT_NE(run.err.find(needle), std::string::npos) << "stderr does not mention '" << needle << "':\n" << run.err;
  }
  EXPECT_EQ(run.out, "") << "a failing command wrote to stdout";
}

// The val_loss of history.csv's first epoch (NaN if the file does not hold one).
double first_val_loss(const fs::path& history) {
  std::ifstream csv(history);
  std::string header, row;
  std::getline(csv, header);
  std::getline(csv, row);
  double val_loss = std::nan("");
  EXPECT_EQ(std::sscanf(row.c_str(), "%*d,%*f,%lf", &val_loss), 1) << history << ": " << row;
  return val_loss;
}

}  // namespace

TEST_F(CliTest, BadCommandLinesAreRefusedBeforeAnyWork) {
  const fs::path run = dir_ / "run";
  struct Case {
    std::vector<std::string> extra;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{"--bogus"}, "bogus"},
      {{"--epochs", "0"}, "--epochs"},
      {{"--epochs", "3.5"}, "--epochs"},
      {{"--lr", "-1"}, "--lr"},
      {{"--lr", "nan"}, "--lr"},
      {{"--hidden", "12x"}, "--hidden"},
      {{"--hidden", "70000"}, "--hidden"},
      {{"--batch-size", "60001"}, "--batch-size"},
      {{"--threads", "257"}, "--threads"},
      {{"--train-limit", "-5"}, "train-limit"},
      {{"--activation", "swish"}, "swish"},
      {{"--kind", "contractive"}, "contractive"},
      {{"--gemm", "mkl"}, "--gemm must be onednn or blas, got 'mkl'"},
      {{"--sparsity", "0.1"}, "--sparsity applies to --kind sparse only"},
      {{"--kind", "denoising", "--noise", "mask", "--noise-level", "1"}, "--noise-level"},
      {{"--kl-weight", "1"}, "--kl-weight applies to --kind variational only"},
      {{"--kind", "variational", "--kl-weight", "0"}, "--kl-weight"},
      {{"stray"}, "stray"},
  };
  // Each case starts LibTorch, so the list covers each kind of mistake once
  // rather than every flag.
  for (const Case& c : cases) {
    std::vector<std::string> args = {"train", "--data", kMnistDir.string(), "--out", run.string()};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    SCOPED_TRACE(c.extra.front());
    expect_failure(tinyae(args, /*keep_blas_kernel=*/true), 2, {c.needle});
    EXPECT_FALSE(fs::exists(run)) << "a refused command created " << run;
  }
  expect_failure(tinyae({"train", "--out", run.string()}), 2, {"--data"});
  expect_failure(tinyae({"eval", "--data", kMnistDir.string()}), 2, {"--model"});
}

TEST_F(CliTest, MissingOrCorruptDataLeavesNothingBehind) {
  const fs::path run = dir_ / "run";
  expect_failure(tinyae(small_train(run, dir_ / "no-such-dir")), 1, {"no-such-dir", "fetch_mnist.sh"});
  EXPECT_FALSE(fs::exists(run));

  // A copy of MNIST whose test images are cut off mid-file.
  const fs::path bad = dir_ / "bad-data";
  fs::create_directories(bad);
  for (const char* name : {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-labels-idx1-ubyte"}) {
    fs::create_symlink(kMnistDir / name, bad / name);
  }
  const std::string images = tinyae::read_file(kMnistDir / "t10k-images-idx3-ubyte", 1u << 24);
  tinyae::write_file_atomically(bad / "t10k-images-idx3-ubyte", std::string_view(images).substr(0, 5000));
  expect_failure(tinyae(small_train(run, bad)), 1, {"t10k-images-idx3-ubyte"});
  EXPECT_FALSE(fs::exists(run / "model.safetensors"));
  EXPECT_FALSE(fs::exists(run)) << "a failed run left " << run;
}

TEST_F(CliTest, TrainEvalAndResume) {
  const fs::path run = dir_ / "run";
  const Outcome trained = tinyae(small_train(run));
  ASSERT_EQ(trained.status, 0) << trained.err;
  EXPECT_EQ(trained.out, "") << "train logs to stderr, stdout stays free";
  ASSERT_TRUE(fs::exists(run / "model.safetensors"));
  ASSERT_TRUE(fs::exists(run / "history.csv"));
  const std::string checkpoint_hash = tinyae::sha256_file_hex(run / "model.safetensors");

  // Training again into the same run without --resume is refused, untouched.
  expect_failure(tinyae(small_train(run)), 1, {"model.safetensors", "--resume"});
  // So is a resume that changes the architecture.
  expect_failure(tinyae({"train", "--data", kMnistDir.string(), "--out", run.string(), "--resume", "--hidden", "64",
                         "--epochs", "2"}),
                 1, {"--hidden"});
  EXPECT_EQ(tinyae::sha256_file_hex(run / "model.safetensors"), checkpoint_hash);

  // eval --json: one JSON object on stdout and nothing else; its test MSE on
  // the same 200 test images is the run's last val_loss.
  const Outcome eval = tinyae({"eval", "--model", (run / "model.safetensors").string(), "--data", kMnistDir.string(),
                               "--json", "--train-limit", "500", "--test-limit", "200"});
  ASSERT_EQ(eval.status, 0) << eval.err;
  EXPECT_EQ(eval.out.find('\n'), eval.out.size() - 1) << "one line of JSON: " << eval.out;
  const nlohmann::json result = nlohmann::json::parse(eval.out);
  ASSERT_TRUE(result.is_object());
  // The tutorial's MNIST has no anomaly labels: a threshold and its count, no AUC.
  EXPECT_TRUE(result["threshold"]["value"].is_number()) << eval.out;
  EXPECT_EQ(result["test_vectors"], 200) << eval.out;
  EXPECT_FALSE(result.contains("auc")) << eval.out;
  ASSERT_TRUE(result["train_mse"].is_number()) << eval.out;
  ASSERT_TRUE(result["test_mse"].is_number()) << eval.out;
  const double test_mse = result["test_mse"].get<double>();
  EXPECT_GT(test_mse, 0);
  EXPECT_LT(test_mse, 0.2);
  const double val_loss = first_val_loss(run / "history.csv");
  EXPECT_NEAR(test_mse, val_loss, 1e-7 * val_loss) << "gap " << test_mse - val_loss;

  // --resume with a higher --epochs continues the run.
  const Outcome resumed = tinyae({"train", "--data", kMnistDir.string(), "--out", run.string(), "--resume", "--epochs",
                                  "2", "--quiet", "--no-figures"});
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  std::ifstream csv2(run / "history.csv");
  int rows = 0;
  for (std::string line; std::getline(csv2, line);) ++rows;
  EXPECT_EQ(rows, 3) << "header + 2 epochs";

  // eval on a missing checkpoint names it.
  expect_failure(tinyae({"eval", "--model", (dir_ / "none.pt").string(), "--data", kMnistDir.string(), "--json"}), 1,
                 {"none.pt"});
}

// A variational run from the command line (its output activation sigmoid
// by default): eval --json reports the negative ELBO in nats per image and
// its two terms; drawn with the seed's epoch-0 generator on the same 200
// images, it is the run's last val_loss. A ReLU output is refused by name.
TEST_F(CliTest, VariationalTrainAndEval) {
  const fs::path run = dir_ / "run";
  const nlohmann::json result = train_and_eval(run, {"--kind", "variational", "--kl-weight", "1"});
  ASSERT_FALSE(result.is_null());
  EXPECT_EQ(result["kind"], (nlohmann::json{{"name", "variational"}, {"kl_weight", 1.0}}));
  ASSERT_TRUE(result.contains("variational")) << result.dump();
  const nlohmann::json& v = result["variational"];
  const double elbo = v["negative_elbo"].get<double>();
  EXPECT_NEAR(elbo, v["reconstruction_bce"].get<double>() + v["kl"].get<double>(), 1e-9 * elbo);
  EXPECT_GT(v["kl"].get<double>(), 0) << result.dump();
  EXPECT_EQ(v["units"], "nats per image");
  const double val_loss = first_val_loss(run / "history.csv");
  EXPECT_NEAR(elbo, val_loss, 1e-6 * val_loss) << "gap " << elbo - val_loss;

  std::vector<std::string> relu = small_train(dir_ / "relu");
  for (const char* extra : {"--kind", "variational", "--output-activation", "relu"}) relu.push_back(extra);
  expect_failure(tinyae(relu), 1, {"--output-activation sigmoid"});
}

// A denoising run from the command line: eval --json reports the MSE of the
// corrupted test images and of their reconstructions; the latter, on the
// same 200 images corrupted by the same seed, is the run's last val_loss.
TEST_F(CliTest, DenoisingTrainAndEval) {
  const fs::path run = dir_ / "run";
  const nlohmann::json result =
      train_and_eval(run, {"--kind", "denoising", "--noise", "gaussian", "--noise-level", "0.5"});
  ASSERT_FALSE(result.is_null());
  EXPECT_EQ(result["kind"], (nlohmann::json{{"name", "denoising"}, {"noise", "gaussian"}, {"noise_level", 0.5}}));
  ASSERT_TRUE(result.contains("denoising")) << result.dump();
  const double noisy = result["denoising"]["noisy_input_mse"].get<double>();
  const double denoised = result["denoising"]["denoised_mse"].get<double>();
  EXPECT_LT(denoised, noisy) << result.dump();
  EXPECT_TRUE(result["latent"]["mean_activation"].is_number()) << result.dump();
  const double val_loss = first_val_loss(run / "history.csv");
  EXPECT_NEAR(denoised, val_loss, 1e-6 * val_loss) << "gap " << denoised - val_loss;

  // --resume keeps the kind; another noise is a conflict, named.
  expect_failure(tinyae({"train", "--data", kMnistDir.string(), "--out", run.string(), "--resume", "--noise-level",
                         "0.25", "--epochs", "2"}),
                 1, {"--kind"});
  expect_failure(tinyae({"train", "--data", kMnistDir.string(), "--out", run.string(), "--resume", "--sparsity", "0.1",
                         "--epochs", "2"}),
                 2, {"--sparsity"});
}
