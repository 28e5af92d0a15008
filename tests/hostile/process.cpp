// See process.h.
#include "process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fs = std::filesystem;

namespace tinyae::test {

std::string ProcessResult::describe() const {
  if (timed_out) return "timed out after " + std::to_string(seconds) + " s and was killed";
  if (exited) return "exit " + std::to_string(exit_code);
  const char* name = ::sigabbrev_np(signal);
  return "killed by signal " + std::to_string(signal) + " (SIG" + (name ? name : "?") + ")";
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Child spawn(const std::string& program, const std::vector<std::string>& args, const fs::path& cwd,
            const fs::path& capture_dir, const std::vector<std::string>& env) {
  fs::create_directories(capture_dir);
  Child child;
  child.out_file = capture_dir / "stdout.txt";
  child.err_file = capture_dir / "stderr.txt";
  // Everything the child needs is prepared before fork(): after it, only
  // async-signal-safe calls.
  std::vector<std::string> argv_text = {program};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text = env;
  const std::string out_path = child.out_file.string(), err_path = child.err_file.string(), dir = cwd.string();

  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::setpgid(0, 0);  // its own group, so a timeout kills what it started too
    for (std::string& e : env_text) ::putenv(e.data());
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0 || ::chdir(dir.c_str()) != 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);  // also from the parent: no race with an early kill
  child.pid = pid;
  return child;
}

ProcessResult wait_for(const Child& child, double timeout_seconds) {
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  ProcessResult result;
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(child.pid, &status, WNOHANG);
    if (done == child.pid) break;
    if (done < 0 && errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    if (std::chrono::duration<double>(clock::now() - start).count() > timeout_seconds) {
      ::kill(-child.pid, SIGKILL);
      ::waitpid(child.pid, &status, 0);
      result.timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(-child.pid, SIGKILL);  // anything it left running in its group
  result.seconds = std::chrono::duration<double>(clock::now() - start).count();
  result.exited = WIFEXITED(status);
  result.exit_code = result.exited ? WEXITSTATUS(status) : -1;
  result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  result.out = read_text(child.out_file);
  result.err = read_text(child.err_file);
  return result;
}

ProcessResult run_process(const std::string& program, const std::vector<std::string>& args, const fs::path& cwd,
                          const fs::path& capture_dir, double timeout_seconds, const std::vector<std::string>& env) {
  return wait_for(spawn(program, args, cwd, capture_dir, env), timeout_seconds);
}

std::vector<std::string> snapshot(const fs::path& dir) {
  std::vector<std::string> entries;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return entries;
  for (auto it = fs::recursive_directory_iterator(dir, fs::directory_options::none, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const fs::path relative = fs::relative(it->path(), dir, ec);
    if (it->is_symlink(ec)) {
      entries.push_back(relative.string() + " -> link");
    } else if (it->is_directory(ec)) {
      entries.push_back(relative.string() + "/");
    } else {
      entries.push_back(relative.string() + " " + std::to_string(it->is_regular_file(ec) ? it->file_size(ec) : 0));
    }
  }
  std::sort(entries.begin(), entries.end());
  return entries;
}

std::string snapshot_diff(const std::vector<std::string>& before, const std::vector<std::string>& after) {
  std::string text;
  for (const auto& e : after) {
    if (!std::binary_search(before.begin(), before.end(), e)) text += "  + " + e + "\n";
  }
  for (const auto& e : before) {
    if (!std::binary_search(after.begin(), after.end(), e)) text += "  - " + e + "\n";
  }
  return text;
}

}  // namespace tinyae::test
