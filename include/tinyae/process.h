// The one way tinyae and its tests start another program: argv (no shell, so
// arguments reach it byte for byte), a working folder, extra environment
// entries, stdin from /dev/null, stdout and stderr captured up to a byte limit
// (what is cut is said), stdout handed line by line to a callback as it
// arrives, and a timeout that SIGKILLs the child's whole process group. The
// result says honestly how it ended: an exit code, a signal, or the timeout.
//
// The child runs in a process group of its own (a timeout also ends what it
// started) and is SIGKILLed if the thread that started it dies, so that
// Ctrl-C on tinyae does not leave QEMU behind. Nothing here depends on
// LibTorch.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyae {

struct ProcessOptions {
  std::filesystem::path cwd;               // empty: this process's working folder
  std::vector<std::string> env;            // "NAME=value", added to (or replacing in) this process's environment
  double timeout_seconds = 0;              // <= 0: wait for ever
  std::size_t max_output_bytes = 1 << 20;  // kept per stream; the rest is read, counted and dropped
  bool merge_stderr = false;               // stderr into the stdout stream (like 2>&1), interleaved
  std::function<void(std::string_view)> on_stdout_line;  // each stdout line, without "\n" or "\r"
};

struct ProcessResult {
  bool exited = false;  // ended by exit(): exit_code is meaningful
  int exit_code = -1;
  int signal = 0;          // the signal that ended it, if !exited
  bool timed_out = false;  // killed by the runner at the timeout
  double seconds = 0;
  std::string out, err;  // captured; a cut stream ends with a line saying how much was dropped
  std::uint64_t out_dropped = 0, err_dropped = 0;  // bytes beyond max_output_bytes
  double timeout_seconds = 0;                      // the limit it was given

  bool ok() const { return exited && exit_code == 0; }
  // "exit 2", "signal 9 (SIGKILL)", "timed out after 30 s"
  std::string describe() const;
};

// A started child. Destroying a Process that still runs kills its group and
// reaps it, so an exception never leaves a child behind.
class Process {
 public:
  // Starts argv[0] (looked up in PATH unless it holds a '/'). Throws
  // tinyae::Error naming the program if it is not found or cannot start.
  Process(const std::vector<std::string>& argv, ProcessOptions options = {});
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }  // also its process group
  // True once the child has ended (and was reaped); reads what output is ready.
  bool poll();
  // SIGKILLs the child's process group.
  void kill_group();
  // Waits until the child ends or the timeout (counted from the start)
  // passes, reads its remaining output, kills what it left in its group.
  // Call once. Throws tinyae::Error if the child's status is lost (SIGCHLD
  // set to SIG_IGN lets the kernel reap it first).
  ProcessResult wait();

 private:
  int pump(int timeout_ms);  // reads ready output: streams that had some, -1 once both are closed
  void reap(bool block);
  void take(int stream, const char* data, std::size_t size);
  void finish_line_buffer();

  ProcessOptions options_;
  pid_t pid_ = -1;
  int fds_[2] = {-1, -1};  // read ends of stdout and stderr (stderr -1 when merged)
  bool reaped_ = false;
  int status_ = 0;      // from waitpid
  int lost_errno_ = 0;  // waitpid failed: how it ended is unknown
  double start_ = 0;    // steady clock, seconds
  bool timed_out_ = false;
  std::string captured_[2];
  std::uint64_t dropped_[2] = {0, 0};
  std::string line_;  // the stdout line still being received, for on_stdout_line
};

// Starts argv, waits, returns how it ended (Process + wait()).
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// The executable `program` in $PATH; empty if there is none.
std::filesystem::path find_in_path(const std::string& program);

// argv as one line for messages, arguments with spaces or quotes in quotes.
std::string describe_command(const std::vector<std::string>& argv);

}  // namespace tinyae
