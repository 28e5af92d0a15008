// The process runner (see include/tinyae/process.h).
//
// fork + execve rather than posix_spawn: the child needs its own process
// group, a working folder and PR_SET_PDEATHSIG, and an exec failure is
// reported back through a close-on-exec pipe. Everything the child touches is
// prepared before fork(); after it, the child makes only async-signal-safe
// calls, as a multi-threaded parent (LibTorch) requires.
#include "tinyae/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "tinyae/common.h"

extern char** environ;

namespace tinyae {
namespace fs = std::filesystem;

namespace {

constexpr int kOut = 0;
constexpr int kErr = 1;
// After the child ends, how long its output may take to close (a grandchild
// outside its process group may hold it open).
constexpr double kDrainSeconds = 2.0;

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

// This process's environment with `extra` ("NAME=value") added, replacing
// entries of the same name.
std::vector<std::string> merged_environment(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  auto name_of = [](const std::string& entry) { return entry.substr(0, entry.find('=')); };
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const bool replaced =
        std::any_of(extra.begin(), extra.end(), [&](const std::string& x) { return name_of(x) == name_of(entry); });
    if (!replaced) env.push_back(entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

fs::path resolve_program(const std::string& program) {
  if (program.empty()) throw Error("cannot start a program with an empty name");
  if (program.find('/') == std::string::npos) {
    const fs::path found = find_in_path(program);
    if (found.empty()) throw Error("program '" + program + "' not found in PATH");
    return found;
  }
  if (::access(program.c_str(), X_OK) != 0) {
    throw Error("cannot start '" + program + "': " + std::strerror(errno));
  }
  return program;
}

}  // namespace

std::string ProcessResult::describe() const {
  char text[64];
  if (timed_out) {
    std::snprintf(text, sizeof text, "timed out after %g s", timeout_seconds);
  } else if (exited) {
    std::snprintf(text, sizeof text, "exit %d", exit_code);
  } else {
    const char* name = ::sigabbrev_np(signal);
    std::snprintf(text, sizeof text, "signal %d (SIG%s)", signal, name != nullptr ? name : "?");
  }
  return text;
}

Process::Process(const std::vector<std::string>& argv, ProcessOptions options) : options_(std::move(options)) {
  if (argv.empty()) throw Error("cannot start a program: empty command");
  const std::string path = resolve_program(argv[0]).string();
  std::vector<std::string> argv_text = argv;
  std::vector<std::string> env_text = merged_environment(options_.env);
  const std::vector<char*> child_argv = c_strings(argv_text);
  const std::vector<char*> child_env = c_strings(env_text);
  const std::string cwd = options_.cwd.string();

  int out[2] = {-1, -1}, err[2] = {-1, -1}, exec_error[2] = {-1, -1};
  auto close_all = [&] {
    for (int* p : {out, err, exec_error}) close_fd(p[0]), close_fd(p[1]);
  };
  if (::pipe2(out, O_CLOEXEC) != 0 || (!options_.merge_stderr && ::pipe2(err, O_CLOEXEC) != 0) ||
      ::pipe2(exec_error, O_CLOEXEC) != 0) {
    const int e = errno;
    close_all();
    throw Error("cannot start '" + argv[0] + "': pipe: " + std::strerror(e));
  }
  const pid_t parent = ::getpid();
  start_ = now_seconds();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int e = errno;
    close_all();
    throw Error("cannot start '" + argv[0] + "': fork: " + std::strerror(e));
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl
    const int in = ::open("/dev/null", O_RDONLY);
    int failed = in < 0 || ::dup2(in, 0) < 0 || ::dup2(out[1], 1) < 0 ||
                 ::dup2(options_.merge_stderr ? out[1] : err[1], 2) < 0 || (!cwd.empty() && ::chdir(cwd.c_str()) != 0);
    if (!failed) ::execve(path.c_str(), child_argv.data(), child_env.data());
    failed = errno;
    (void)!::write(exec_error[1], &failed, sizeof failed);
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also here: no race with an early kill_group()
  pid_ = pid;
  close_fd(out[1]);
  close_fd(err[1]);
  close_fd(exec_error[1]);
  fds_[kOut] = out[0];
  fds_[kErr] = err[0];
  int child_errno = 0;
  ssize_t n;
  while ((n = ::read(exec_error[0], &child_errno, sizeof child_errno)) < 0 && errno == EINTR) {
  }
  close_fd(exec_error[0]);
  if (n == static_cast<ssize_t>(sizeof child_errno)) {
    reap(true);
    close_fd(fds_[kOut]);
    close_fd(fds_[kErr]);
    throw Error("cannot start '" + argv[0] + "'" + (cwd.empty() ? "" : " in '" + cwd + "'") + ": " +
                std::strerror(child_errno));
  }
}

Process::~Process() {
  if (pid_ > 0 && !reaped_) {
    kill_group();
    reap(true);
  }
  close_fd(fds_[kOut]);
  close_fd(fds_[kErr]);
}

void Process::kill_group() {
  if (pid_ > 0) ::kill(-pid_, SIGKILL);
}

void Process::reap(bool block) {
  if (reaped_ || pid_ <= 0) return;
  pid_t done;
  while ((done = ::waitpid(pid_, &status_, block ? 0 : WNOHANG)) < 0 && errno == EINTR) {
  }
  if (done == pid_) reaped_ = true;
  if (done < 0) reaped_ = true, lost_errno_ = errno;  // e.g. SIGCHLD ignored: the kernel reaped it
}

void Process::take(int stream, const char* data, std::size_t size) {
  if (stream == kOut && options_.on_stdout_line) {
    line_.append(data, size);
    std::size_t begin = 0, newline;
    while ((newline = line_.find('\n', begin)) != std::string::npos) {
      std::string_view line(line_.data() + begin, newline - begin);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      options_.on_stdout_line(line);
      begin = newline + 1;
    }
    line_.erase(0, begin);
  }
  std::string& kept = captured_[stream];
  const std::size_t room = options_.max_output_bytes > kept.size() ? options_.max_output_bytes - kept.size() : 0;
  kept.append(data, std::min(room, size));
  dropped_[stream] += size - std::min(room, size);
}

void Process::finish_line_buffer() {
  if (!line_.empty() && options_.on_stdout_line) {
    if (line_.back() == '\r') line_.pop_back();
    options_.on_stdout_line(line_);
  }
  line_.clear();
}

int Process::pump(int timeout_ms) {
  pollfd polled[2];
  int streams[2];
  nfds_t count = 0;
  for (int s : {kOut, kErr}) {
    if (fds_[s] >= 0) polled[count] = {fds_[s], POLLIN, 0}, streams[count++] = s;
  }
  if (count == 0) return -1;
  const int ready = ::poll(polled, count, timeout_ms);
  if (ready < 0 && errno != EINTR) throw Error(std::string("poll failed: ") + std::strerror(errno));
  for (nfds_t i = 0; ready > 0 && i < count; ++i) {
    if (polled[i].revents == 0) continue;
    char buffer[65536];
    const ssize_t n = ::read(polled[i].fd, buffer, sizeof buffer);
    if (n > 0) {
      take(streams[i], buffer, static_cast<std::size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      close_fd(fds_[streams[i]]);
    }
  }
  return std::max(ready, 0);
}

bool Process::poll() {
  // Bounded, so that a child printing without pause cannot hold the caller.
  for (int round = 0; round < 64 && pump(0) > 0; ++round) {
  }
  reap(false);
  return reaped_;
}

ProcessResult Process::wait() {
  const double deadline = options_.timeout_seconds > 0 ? start_ + options_.timeout_seconds : 0;
  while (!reaped_) {
    const double left = deadline > 0 ? deadline - now_seconds() : 1.0;
    if (left <= 0) {
      kill_group();
      timed_out_ = true;
      reap(true);
      break;
    }
    const int ms = static_cast<int>(std::min(100.0, left * 1000) + 1);
    if (pump(ms) < 0) std::this_thread::sleep_for(std::chrono::milliseconds(std::min(ms, 10)));
    reap(false);
  }
  const double ended = now_seconds();
  kill_group();  // anything it left running in its group
  while (now_seconds() - ended < kDrainSeconds && pump(100) >= 0) {
  }
  finish_line_buffer();
  close_fd(fds_[kOut]);
  close_fd(fds_[kErr]);

  if (lost_errno_ != 0) {
    throw Error("lost track of child process " + std::to_string(pid_) + ": waitpid: " + std::strerror(lost_errno_));
  }
  ProcessResult result;
  result.timed_out = timed_out_;
  result.timeout_seconds = options_.timeout_seconds;
  result.seconds = ended - start_;
  result.exited = !timed_out_ && WIFEXITED(status_);
  result.exit_code = result.exited ? WEXITSTATUS(status_) : -1;
  result.signal = WIFSIGNALED(status_) ? WTERMSIG(status_) : 0;
  result.out = std::move(captured_[kOut]);
  result.err = std::move(captured_[kErr]);
  result.out_dropped = dropped_[kOut];
  result.err_dropped = dropped_[kErr];
  for (auto [text, dropped] :
       {std::pair{&result.out, result.out_dropped}, std::pair{&result.err, result.err_dropped}}) {
    if (dropped > 0) {
      *text += "\n[" + std::to_string(dropped) + " more bytes not kept: the limit is " +
               std::to_string(options_.max_output_bytes) + " bytes]\n";
    }
  }
  return result;
}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options) {
  Process process(argv, options);
  return process.wait();
}

fs::path find_in_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) dir = ".";
    const fs::path candidate = fs::path(dir) / program;
    std::error_code ec;
    if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate, ec)) return candidate;
  }
  return {};
}

std::string describe_command(const std::vector<std::string>& argv) {
  std::string text;
  for (const std::string& a : argv) {
    const bool quote = a.empty() || a.find_first_of(" \t'\"") != std::string::npos;
    text += (text.empty() ? "" : " ") + (quote ? "'" + a + "'" : a);
  }
  return text;
}

}  // namespace tinyae
