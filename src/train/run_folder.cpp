// The checks and the lock of a run folder (see run_folder.h).
#include "run_folder.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/fmt/fmt.h>

#include "tinyae/common.h"

namespace tinyae {
namespace {

namespace fs = std::filesystem;

std::string join_sizes(const std::vector<std::int64_t>& sizes) {
  std::string text;
  for (std::size_t i = 0; i < sizes.size(); ++i) text += (i ? "," : "") + std::to_string(sizes[i]);
  return text;
}

}  // namespace

void check_resume_matches(const CheckpointMeta& meta, const TrainRequest& request, const fs::path& checkpoint) {
  std::vector<std::string> conflicts;
  auto differs = [&](const std::string& name, const std::string& requested, const std::string& stored) {
    if (requested != stored) conflicts.push_back(fmt::format("{} {} (checkpoint: {})", name, requested, stored));
  };
  const ModelConfig& m = request.model;
  differs("input size", std::to_string(m.input_size), std::to_string(meta.model.input_size));
  differs("--hidden", join_sizes(m.hidden), join_sizes(meta.model.hidden));
  differs("--latent", std::to_string(m.latent_size), std::to_string(meta.model.latent_size));
  differs("--activation", activation_name(m.activation), activation_name(meta.model.activation));
  differs("--output-activation", activation_name(m.output_activation), activation_name(meta.model.output_activation));
  const KindOptions& k = request.kind;
  if (k != meta.kind)
    conflicts.push_back(fmt::format("--kind {} (checkpoint: {})", k.describe(), meta.kind.describe()));
  const TrainOptions& o = request.options;
  differs("--batch-size", std::to_string(o.batch_size), std::to_string(meta.options.batch_size));
  if (o.lr != meta.options.lr) conflicts.push_back(fmt::format("--lr {} (checkpoint: {})", o.lr, meta.options.lr));
  differs("--seed", std::to_string(o.seed), std::to_string(meta.options.seed));
  differs("--train-limit", std::to_string(o.train_limit), std::to_string(meta.options.train_limit));
  // The data's settings (columns, windows, split, digit; format 2
  // checkpoints record none); the file may have moved.
  DataSpec requested = request.data, stored = meta.data;
  requested.path = stored.path = "";
  if (!meta.data.path.empty() && requested != stored) {
    conflicts.push_back(fmt::format("data {} (checkpoint: {})", requested.to_json().dump(), stored.to_json().dump()));
  }
  if (!conflicts.empty()) {
    std::string list;
    for (const auto& c : conflicts) list += (list.empty() ? "" : ", ") + c;
    throw Error(
        fmt::format("cannot resume '{}': {}. A resumed run takes its architecture and training options from the "
                    "checkpoint; drop these flags, or train a new run into another --out",
                    checkpoint.string(), list));
  }
  // A checkpoint saved outside train() (tests, tools) need not record its
  // epochs; resuming one needs every row for history.csv and the figures.
  if (static_cast<std::int64_t>(meta.history.size()) != meta.epoch) {
    throw Error(fmt::format("'{}' is inconsistent: {} epochs trained but {} history rows", checkpoint.string(),
                            meta.epoch, meta.history.size()));
  }
  if (o.epochs < meta.epoch) {
    throw Error(fmt::format("cannot resume '{}': --epochs {} is fewer than the {} epochs it has already trained",
                            checkpoint.string(), o.epochs, meta.epoch));
  }
}

void check_paths(const TrainRequest& request) {
  std::error_code ec;
  const fs::path& data = request.data.path;
  if (request.data.kind == DataKind::kMnist && !fs::is_directory(data, ec)) {
    throw Error(
        fmt::format("data directory '{}' {}; fetch MNIST with data/fetch_mnist.sh or point --data at the directory "
                    "holding train-images-idx3-ubyte (or at a CSV file)",
                    data.string(), fs::exists(data, ec) ? "is not a directory" : "does not exist"));
  }
  if (request.data.kind == DataKind::kCsv && !fs::is_regular_file(data, ec)) {
    throw Error(
        fmt::format("CSV file '{}' {}", data.string(), fs::exists(data, ec) ? "is not a file" : "does not exist"));
  }
  const fs::path& out = request.out_dir;
  if (fs::exists(out, ec) && !fs::is_directory(out, ec)) {
    throw Error(fmt::format("--out '{}' exists and is not a directory", out.string()));
  }
  if (fs::exists(out, ec) && fs::equivalent(out, data, ec)) {
    throw Error(fmt::format("--out '{}' is the data directory; choose a run directory of its own", out.string()));
  }
  const fs::path checkpoint = out / kCheckpointFile;
  const bool have_checkpoint = fs::exists(checkpoint, ec);
  if (request.resume && !have_checkpoint) {
    throw Error(fmt::format("--resume: there is no checkpoint '{}' to resume from", checkpoint.string()));
  }
  if (!request.resume && have_checkpoint) {
    throw Error(fmt::format("'{}' already exists; pass --resume to continue that run, or choose another --out",
                            checkpoint.string()));
  }
  // The nearest existing ancestor must let us create the run directory (or
  // write into it, if it exists).
  fs::path probe = fs::absolute(out, ec);
  while (!probe.empty() && !fs::exists(probe, ec) && probe.has_parent_path() && probe.parent_path() != probe) {
    probe = probe.parent_path();
  }
  if (!fs::is_directory(probe, ec)) {
    throw Error(fmt::format("cannot create --out '{}': '{}' is not a directory", out.string(), probe.string()));
  }
  if (access(probe.c_str(), W_OK | X_OK) != 0) {
    throw Error(fmt::format("cannot write --out '{}': no write permission on '{}'", out.string(), probe.string()));
  }
}

RunDirectory::RunDirectory(const fs::path& dir) : dir_(dir) {
  std::error_code ec;
  created_ = !fs::exists(dir_, ec);
  ensure_writable_directory(dir_);
  lock_ = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lock_ < 0 || ::flock(lock_, LOCK_EX | LOCK_NB) != 0) {
    const std::string reason =
        errno == EWOULDBLOCK ? std::string("another tinyae train is running in it") : std::string(std::strerror(errno));
    if (lock_ >= 0) ::close(lock_);
    if (created_) fs::remove(dir_, ec);
    throw Error(fmt::format("cannot lock run folder '{}': {}", dir_.string(), reason));
  }
}

RunDirectory::~RunDirectory() {
  std::error_code ec;
  if (created_ && fs::is_empty(dir_, ec)) fs::remove(dir_, ec);
  ::close(lock_);
}

}  // namespace tinyae
