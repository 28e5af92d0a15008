// Folder snapshots for the hostile and crash-safety tests: what a failed
// command left behind. (Starting the programs is tinyae::run_process,
// include/tinyae/process.h.)
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace tinyae::test {

// Every path under `dir` (relative, sorted), with the size of regular files:
// two snapshots that compare equal mean nothing was created, removed or
// resized. Directories are listed with a trailing '/'.
std::vector<std::string> snapshot(const std::filesystem::path& dir);

// The lines in `after` that are not in `before`, and those gone, for a message.
std::string snapshot_diff(const std::vector<std::string>& before, const std::vector<std::string>& after);

std::string read_text(const std::filesystem::path& path);

}  // namespace tinyae::test
