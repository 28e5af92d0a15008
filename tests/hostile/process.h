// Runs the real tinyae binary (or any program) in a child process for the
// hostile and crash-safety tests: captured stdout and stderr, a timeout that
// kills the whole process group, and an honest account of how it ended
// (exit status, or the signal that killed it). No shell is involved, so
// arguments reach the program byte for byte.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace tinyae::test {

struct ProcessResult {
  bool exited = false;     // ended by exit(); exit_code is meaningful
  int exit_code = -1;
  int signal = 0;          // the signal that ended it, if !exited
  bool timed_out = false;  // killed by run_process after the timeout
  double seconds = 0;
  std::string out, err;    // captured stdout and stderr
  std::string describe() const;  // "exit 2", "signal 11 (SIGSEGV)", "timed out after 30 s"
};

// A running child: its pid (also its process group) and where its output goes.
struct Child {
  pid_t pid = -1;
  std::filesystem::path out_file, err_file;
};

// Starts `program args...` in `cwd` with stdin from /dev/null and stdout and
// stderr written to files under `capture_dir`; `env` entries ("NAME=value")
// are added to this process's environment.
Child spawn(const std::string& program, const std::vector<std::string>& args, const std::filesystem::path& cwd,
            const std::filesystem::path& capture_dir, const std::vector<std::string>& env = {});

// Waits for `child` for at most timeout_seconds, then SIGKILLs its process
// group; returns how it ended and what it printed.
ProcessResult wait_for(const Child& child, double timeout_seconds);

// spawn + wait_for.
ProcessResult run_process(const std::string& program, const std::vector<std::string>& args,
                          const std::filesystem::path& cwd, const std::filesystem::path& capture_dir,
                          double timeout_seconds, const std::vector<std::string>& env = {});

// Every path under `dir` (relative, sorted), with the size of regular files:
// two snapshots that compare equal mean nothing was created, removed or
// resized. Directories are listed with a trailing '/'.
std::vector<std::string> snapshot(const std::filesystem::path& dir);

// The lines in `after` that are not in `before`, and those gone, for a message.
std::string snapshot_diff(const std::vector<std::string>& before, const std::vector<std::string>& after);

std::string read_text(const std::filesystem::path& path);

}  // namespace tinyae::test
