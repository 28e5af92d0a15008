// Private to src/train: the checks and the lock of a run folder, apart from
// the training loop that fills it.
#pragma once

#include <filesystem>

#include "tinyae/checkpoint.h"
#include "tinyae/train.h"

namespace tinyae {

// Refuses a resume whose settings differ from the checkpoint's, naming each
// difference: continuing with another architecture or recipe would silently
// produce a model that no single set of flags describes. Also refuses a
// checkpoint whose history does not have one row per epoch, and --epochs
// below the epochs already trained.
void check_resume_matches(const CheckpointMeta& meta, const TrainRequest& request,
                          const std::filesystem::path& checkpoint);

// Path checks that touch nothing: the data directory exists, the run
// directory is (or can become) a writable directory, and a checkpoint is
// there exactly when resuming.
void check_paths(const TrainRequest& request);

// The run folder, created if needed and locked (flock on the folder itself,
// so no lock file is left behind) for as long as training runs: a second
// `tinyae train` on the same --out is refused instead of interleaving its
// checkpoints with the first one's. Removed again if this run created it
// and it is still empty.
class RunDirectory {
 public:
  explicit RunDirectory(const std::filesystem::path& dir);
  RunDirectory(const RunDirectory&) = delete;
  RunDirectory& operator=(const RunDirectory&) = delete;
  // Keeps the folder even if it is empty when this goes out of scope.
  void keep() { created_ = false; }
  ~RunDirectory();

 private:
  std::filesystem::path dir_;
  bool created_ = false;
  int lock_ = -1;
};

}  // namespace tinyae
