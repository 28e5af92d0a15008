// Crash-safe training, with the real binary: `tinyae train` is SIGKILLed at
// several points of a short run (mid-epoch 1, right after a checkpoint
// appears, right after it is replaced, while a checkpoint is being written,
// mid-epoch later on, right after the last checkpoint) and resumed with --resume each time (started afresh
// while there is no checkpoint yet) until it finishes. Checked:
//   - after every kill, RUN/model.safetensors is absent or loads completely (never
//     truncated, never unreadable) and holds at least every epoch whose
//     checkpoint had been seen before the kill (no finished epoch lost);
//   - the finished run's parameters and Adamax state equal those of an
//     uninterrupted run with the same seed, bit for bit (tolerance 0), and so
//     do its per-epoch losses;
//   - the finished run folder holds no temporary or half-written file.
// Run: 2000 training images, 4 epochs, batches of 64, 500 validation images,
// 1 BLAS thread (results are deterministic for a given thread count).
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/process.h"
#include "tinyae/train.h"  // run-folder file names

namespace fs = std::filesystem;
using tinyae::ProcessResult;

namespace {

const fs::path kMnist = fs::path(TINYAE_SOURCE_DIR) / "data" / "mnist";
constexpr int kEpochs = 4;

// `tinyae train` into `out`, resuming if asked.
std::vector<std::string> train_command(const fs::path& out, bool resume) {
  std::vector<std::string> args = {TINYAE_EXE,      "train",
                                   "--data",        kMnist.string(),
                                   "--out",         out.string(),
                                   "--train-limit", "2000",
                                   "--epochs",      std::to_string(kEpochs),
                                   "--batch-size",  "64",
                                   "--test-limit",  "500",
                                   "--threads",     "1",
                                   "--seed",        "7"};
  if (resume) args.push_back("--resume");
  return args;
}

// The identity of the file at `path` (inode and modification time), or
// nullopt if there is none: a rename of a new checkpoint over it changes it.
std::optional<std::pair<ino_t, std::int64_t>> identity(const fs::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  return std::make_pair(st.st_ino, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
}

// Names in `dir` that look like write_file_atomically's temporaries
// ("<name>.tmp.<pid>.<random>").
std::vector<std::string> temporaries(const fs::path& dir) {
  std::vector<std::string> found;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find(".tmp.") != std::string::npos) found.push_back(name);
  }
  return found;
}

// When to kill a running `tinyae train`.
enum class KillPoint {
  kMidFirstEpoch,           // shortly after the run folder appears (data loaded, epoch 1 running)
  kCheckpointAppears,       // as soon as model.safetensors exists
  kCheckpointReplaced,      // as soon as model.safetensors is replaced by a newer one
  kWhileWritingCheckpoint,  // while a model.safetensors temporary exists (falls back to kCheckpointReplaced)
  kMidLaterEpoch,           // half an epoch after model.safetensors is replaced
};

const char* describe(KillPoint p) {
  switch (p) {
    case KillPoint::kMidFirstEpoch:
      return "mid-epoch 1";
    case KillPoint::kCheckpointAppears:
      return "right after model.safetensors appears";
    case KillPoint::kCheckpointReplaced:
      return "right after model.safetensors is replaced";
    case KillPoint::kWhileWritingCheckpoint:
      return "while model.safetensors is being written";
    case KillPoint::kMidLaterEpoch:
      return "mid-epoch, after a checkpoint";
  }
  return "?";
}

struct Attempt {
  bool killed = false;  // false: the run ended on its own before the kill point
  std::string where;    // what was seen when it was killed
  ProcessResult result;
};

ProcessResult run_train(const fs::path& out, bool resume, const fs::path& cwd) {
  tinyae::ProcessOptions options;
  options.cwd = cwd;
  options.timeout_seconds = 300;
  return tinyae::run_process(train_command(out, resume), options);
}

// Starts train (resuming if a checkpoint exists), waits for `point`, kills
// the process group with SIGKILL.
Attempt run_and_kill(const fs::path& out, KillPoint point, double epoch_seconds) {
  const fs::path checkpoint = out / tinyae::kCheckpointFile;
  const bool resume = fs::exists(checkpoint);
  const auto before = identity(checkpoint);
  tinyae::ProcessOptions options;
  options.cwd = out.parent_path();
  tinyae::Process child(train_command(out, resume), options);
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  const auto deadline = start + std::chrono::seconds(120);
  std::optional<clock::time_point> trigger;  // when the condition was met (kill after a delay)
  double delay = 0;
  Attempt attempt;
  while (clock::now() < deadline) {
    if (child.poll()) {  // finished before the kill point
      attempt.result = child.wait();
      attempt.where = "ended on its own before the kill point";
      return attempt;
    }
    if (!trigger) {
      const auto now_id = identity(checkpoint);
      switch (point) {
        case KillPoint::kMidFirstEpoch:
          if (fs::exists(out)) trigger = clock::now(), delay = epoch_seconds / 3;
          break;
        case KillPoint::kCheckpointAppears:
          if (now_id) trigger = clock::now();
          break;
        case KillPoint::kCheckpointReplaced:
          if (now_id && now_id != before) trigger = clock::now();
          break;
        case KillPoint::kWhileWritingCheckpoint:
          for (const std::string& t : temporaries(out)) {
            if (t.rfind(std::string(tinyae::kCheckpointFile) + ".tmp.", 0) == 0) trigger = clock::now();
          }
          if (!trigger && now_id && now_id != before && clock::now() - start > std::chrono::seconds(30)) {
            trigger = clock::now();  // never caught it in the act
          }
          break;
        case KillPoint::kMidLaterEpoch:
          if (now_id && now_id != before) trigger = clock::now(), delay = epoch_seconds / 2;
          break;
      }
    }
    if (trigger && std::chrono::duration<double>(clock::now() - *trigger).count() >= delay) {
      std::string seen = "model.safetensors ";
      seen += identity(checkpoint) ? "present" : "absent";
      for (const std::string& t : temporaries(out)) seen += ", " + t;
      child.kill_group();
      attempt.result = child.wait();
      attempt.killed = true;
      attempt.where = seen;
      return attempt;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  child.kill_group();
  attempt.result = child.wait();
  attempt.where = "timed out waiting for the kill point";
  return attempt;
}

// Loads RUN/model.safetensors if present; fails the test if it is there but unreadable.
std::optional<tinyae::Checkpoint> load_if_present(const fs::path& out, const std::string& when) {
  const fs::path checkpoint = out / tinyae::kCheckpointFile;
  if (!fs::exists(checkpoint)) return std::nullopt;
  try {
    return tinyae::load_checkpoint(checkpoint);
  } catch (const std::exception& e) {
    ADD_FAILURE() << when << ": model.safetensors is there but does not load: " << e.what();
    return std::nullopt;
  }
}

// "epoch,loss,val_loss,seconds" rows with the last column dropped.
std::string without_seconds(const std::string& csv) {
  std::string kept, line;
  std::istringstream in(csv);
  while (std::getline(in, line)) kept += line.substr(0, line.rfind(',')) + "\n";
  return kept;
}

struct Gap {
  double max_abs = 0;
  std::string where = "-";
};

void compare(const torch::Tensor& a, const torch::Tensor& b, const std::string& name, Gap& gap) {
  ASSERT_EQ(a.sizes(), b.sizes()) << name;
  const double diff = (a - b).abs().max().item<double>();
  if (diff > gap.max_abs || gap.where == "-") {
    if (diff > gap.max_abs) gap.max_abs = diff;
    if (diff > 0 || gap.where == "-") gap.where = name;
  }
  EXPECT_TRUE(torch::equal(a, b)) << name << " differs: max abs diff " << diff;
}

TEST(CrashResume, KilledRunsResumeToTheUninterruptedResult) {
  ASSERT_TRUE(fs::exists(kMnist / "train-images-idx3-ubyte") || fs::exists(kMnist / "train-images-idx3-ubyte.gz"))
      << "MNIST missing: run data/fetch_mnist.sh";
  const fs::path root =
      fs::path(TINYAE_BINARY_DIR) / "tests" / "hostile" / ("crash-resume-" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root);

  // 1. The uninterrupted reference.
  const fs::path reference_dir = root / "reference";
  const ProcessResult reference = run_train(reference_dir, false, root);
  ASSERT_TRUE(reference.exited && reference.exit_code == 0) << reference.describe() << "\n" << reference.err;
  const tinyae::Checkpoint want = tinyae::load_checkpoint(reference_dir / tinyae::kCheckpointFile);
  ASSERT_EQ(want.meta.epoch, kEpochs);
  double epoch_seconds = 0;
  for (const auto& row : want.meta.history) epoch_seconds += row.seconds / kEpochs;
  std::printf("reference run: %.2f s, %.3f s per epoch\n", reference.seconds, epoch_seconds);

  // 2. The same run, killed again and again.
  const fs::path out = root / "interrupted";
  const std::vector<KillPoint> plan = {KillPoint::kMidFirstEpoch, KillPoint::kCheckpointAppears,
                                       KillPoint::kCheckpointReplaced, KillPoint::kWhileWritingCheckpoint,
                                       KillPoint::kMidLaterEpoch,
                                       // usually the last checkpoint: killed while history.csv and the
                                       // figures are written, so the final run resumes a finished run
                                       KillPoint::kCheckpointReplaced};
  std::int64_t epochs_seen = 0;  // the newest checkpoint epoch observed so far
  int kills = 0;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const Attempt a = run_and_kill(out, plan[i], epoch_seconds);
    const std::string when = std::string("attempt ") + std::to_string(i + 1) + " (" + describe(plan[i]) + ")";
    ASSERT_NE(a.where, "timed out waiting for the kill point") << when << "\n" << a.result.err;
    if (!a.killed) {
      ASSERT_TRUE(a.result.exited && a.result.exit_code == 0) << when << ": " << a.result.err;
    } else {
      ++kills;
    }
    const auto checkpoint = load_if_present(out, when);
    const std::int64_t epoch = checkpoint ? checkpoint->meta.epoch : 0;
    EXPECT_GE(epoch, epochs_seen) << when << ": a finished epoch was lost";
    if (checkpoint) {
      EXPECT_TRUE(checkpoint->has_optimizer()) << when;
      EXPECT_EQ(static_cast<std::int64_t>(checkpoint->meta.history.size()), epoch) << when;
    }
    epochs_seen = std::max(epochs_seen, epoch);
    std::printf("%-48s %s; %s; model.safetensors epoch %lld\n", when.c_str(), a.killed ? "killed" : "not killed",
                a.where.c_str(), static_cast<long long>(epoch));
    if (HasFatalFailure()) return;
  }
  EXPECT_GE(kills, 3) << "the run was too fast to be killed at most points";

  // 3. Resume to the end.
  const bool resume = fs::exists(out / tinyae::kCheckpointFile);
  const ProcessResult last = run_train(out, resume, root);
  ASSERT_TRUE(last.exited && last.exit_code == 0) << last.describe() << "\n" << last.err;
  const tinyae::Checkpoint got = tinyae::load_checkpoint(out / tinyae::kCheckpointFile);
  ASSERT_EQ(got.meta.epoch, kEpochs);

  // 4. Bit for bit the uninterrupted result.
  Gap gap;
  const auto want_params = want.model->named_parameters(true);
  const auto got_params = got.model->named_parameters(true);
  ASSERT_EQ(want_params.size(), got_params.size());
  for (std::size_t p = 0; p < want_params.size(); ++p) {
    compare(got_params[p].value(), want_params[p].value(), got_params[p].key(), gap);
  }
  EXPECT_EQ(got.optimizer_steps, want.optimizer_steps);
  ASSERT_EQ(got.optimizer_state.size(), want.optimizer_state.size());
  for (const auto& [name, tensor] : want.optimizer_state) {
    compare(got.optimizer_state.at(name), tensor, "optimizer " + name, gap);
  }
  for (int e = 0; e < kEpochs; ++e) {
    EXPECT_EQ(got.meta.history[e].loss, want.meta.history[e].loss) << "epoch " << e + 1 << " loss";
    EXPECT_EQ(got.meta.history[e].val_loss, want.meta.history[e].val_loss) << "epoch " << e + 1 << " val_loss";
  }
  std::printf("final model.safetensors vs uninterrupted run: max abs diff %g (at %s), tolerance 0 (bitwise)\n",
              gap.max_abs, gap.where.c_str());

  // 5. Nothing half-written left behind.
  EXPECT_EQ(temporaries(out), std::vector<std::string>{}) << "temporary files left in the finished run folder";
  for (const char* file : {tinyae::kHistoryFile, tinyae::kLossFigureFile, tinyae::kReconstructionsFigureFile}) {
    EXPECT_TRUE(fs::exists(out / file)) << file;
  }
  // history.csv: the same rows as the reference's but for the seconds column.
  EXPECT_EQ(without_seconds(tinyae::read_file(out / tinyae::kHistoryFile, 1 << 20)),
            without_seconds(tinyae::read_file(reference_dir / tinyae::kHistoryFile, 1 << 20)));
  if (!HasFailure()) fs::remove_all(root);
}

}  // namespace
