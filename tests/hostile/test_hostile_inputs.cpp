// Regression inputs for the parsers: every file under tests/hostile/inputs/
// (crashes and blow-ups found by fuzzing or by reading the code) goes through
// the parser its name names, each in a forked child, which must refuse it
// with a tinyae::Error: no other exception, no signal, no sanitizer report,
// no hang, and no more memory than the input justifies.
//
//   *.idx       parse_idx (images and labels) and read_idx_file
//   *.idx.gz    read_idx_file (the gzip path)
//   *.safetensors, *.pt  load_checkpoint (which reads the whole checkpoint,
//               history included, as `tinyae train --resume` needs it)
//   *.safetensors.gz  the same on the gunzipped bytes (kept compressed in
//               git: deeply nested JSON is 600 KB of brackets)
//   *.manifest.json  read_manifest() on a folder holding only it, as manifest.json
// Some inputs are undefined behaviour rather than a visible crash (e.g. a
// history "epoch" of 1e300, or a manifest's "macs" of 1e25, converted to
// int64): only the sanitized build
// (TINYAE_SANITIZE, which adds float-cast-overflow) sees those fail.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/data.h"
#include "tinyae/manifest.h"
#include "tinyae/train.h"

namespace fs = std::filesystem;

namespace {

const fs::path kInputs = fs::path(TINYAE_SOURCE_DIR) / "tests" / "hostile" / "inputs";

// Peak memory a refused input may add (KiB of maximum resident set size over
// a child that parses nothing): the IDX reader grows its buffer 1 MiB at a
// time, so a header that lies costs a few MiB at most.
constexpr long kMaxExtraKiB = 64 * 1024;
constexpr unsigned kChildTimeoutSeconds = 30;

enum ChildExit { kAccepted = 0, kRefused = 10, kOtherException = 11 };

struct ChildOutcome {
  std::string how;      // "refused", "accepted", "other exception", "signal 11", "exit 1 (sanitizer?)"
  std::string message;  // what() of the exception, if any
  long max_rss_kib = 0;
};

// Runs `parse` in a forked child and reports how it ended. The child writes
// the exception message to a pipe and exits with a ChildExit code.
ChildOutcome in_child(const std::function<void()>& parse) {
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error("pipe failed");
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::close(pipe_fds[0]);
    ::alarm(kChildTimeoutSeconds);  // a hang ends as SIGALRM
    int code = kAccepted;
    std::string message;
    try {
      parse();
    } catch (const tinyae::Error& e) {
      code = kRefused;
      message = e.what();
    } catch (const std::exception& e) {
      code = kOtherException;
      message = e.what();
    }
    const std::string excerpt = message.substr(0, 4096);
    (void)!::write(pipe_fds[1], excerpt.data(), excerpt.size());
    ::_exit(code);
  }
  ::close(pipe_fds[1]);
  ChildOutcome outcome;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0)
    outcome.message.append(buffer, static_cast<std::size_t>(n));
  ::close(pipe_fds[0]);
  int status = 0;
  struct rusage usage {};
  ::wait4(pid, &status, 0, &usage);
  outcome.max_rss_kib = usage.ru_maxrss;
  if (WIFSIGNALED(status)) {
    outcome.how = "killed by signal " + std::to_string(WTERMSIG(status)) + " (SIG" +
                  (::sigabbrev_np(WTERMSIG(status)) ? ::sigabbrev_np(WTERMSIG(status)) : "?") + ")";
  } else if (WEXITSTATUS(status) == kRefused) {
    outcome.how = "refused";
  } else if (WEXITSTATUS(status) == kAccepted) {
    outcome.how = "accepted";
  } else if (WEXITSTATUS(status) == kOtherException) {
    outcome.how = "threw a non-tinyae exception";
  } else {
    outcome.how = "exit " + std::to_string(WEXITSTATUS(status)) + " (a sanitizer report? see stderr)";
  }
  return outcome;
}

std::string gunzip_file(const fs::path& path) {
  gzFile gz = gzopen(path.c_str(), "rb");
  if (gz == nullptr) throw std::runtime_error("cannot open " + path.string());
  std::string bytes;
  char chunk[1 << 16];
  int n = 0;
  while ((n = gzread(gz, chunk, sizeof chunk)) > 0) bytes.append(chunk, static_cast<std::size_t>(n));
  gzclose(gz);
  if (n < 0) throw std::runtime_error("corrupt gzip " + path.string());
  return bytes;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::vector<fs::path> inputs_ending(const std::string& suffix) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(kInputs)) {
    if (ends_with(entry.path().filename().string(), suffix)) found.push_back(entry.path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

// Peak RSS of a child that does nothing: what forking this test costs.
long baseline_rss_kib() {
  static const long baseline = in_child([] {}).max_rss_kib;
  return baseline;
}

void expect_refused(const std::string& what, const std::function<void()>& parse) {
  const ChildOutcome outcome = in_child(parse);
  EXPECT_EQ(outcome.how, "refused") << what << ": expected a tinyae::Error; message: " << outcome.message;
  EXPECT_FALSE(outcome.message.empty()) << what << ": the error says nothing";
  const long extra = outcome.max_rss_kib - baseline_rss_kib();
  EXPECT_LT(extra, kMaxExtraKiB) << what << ": peak memory grew by " << extra / 1024 << " MiB (limit "
                                 << kMaxExtraKiB / 1024 << " MiB)";
  std::printf("  %-45s %s: %.150s\n", what.c_str(), outcome.how.c_str(), outcome.message.c_str());
}

TEST(HostileInputs, IdxFilesAreRefusedCheaply) {
  const auto files = inputs_ending(".idx");
  ASSERT_FALSE(files.empty());
  for (const fs::path& file : files) {
    const std::string bytes = tinyae::read_file(file, 1 << 20);
    const std::string name = file.filename().string();
    expect_refused(name + " (parse_idx images)", [&] { tinyae::parse_idx(bytes, tinyae::kIdxImagesMagic, name); });
    expect_refused(name + " (parse_idx labels)", [&] { tinyae::parse_idx(bytes, tinyae::kIdxLabelsMagic, name); });
    expect_refused(name + " (read_idx_file)", [&] { tinyae::read_idx_file(file, tinyae::kIdxImagesMagic); });
  }
}

TEST(HostileInputs, GzipIdxFilesAreRefusedCheaply) {
  for (const fs::path& file : inputs_ending(".idx.gz")) {
    expect_refused(file.filename().string(), [&] { tinyae::read_idx_file(file, tinyae::kIdxImagesMagic); });
  }
}

TEST(HostileInputs, CheckpointsAreRefused) {
  auto plain = inputs_ending(".safetensors");
  const auto foreign = inputs_ending(".pt");  // torch::save's files and tinyae's earlier format
  plain.insert(plain.end(), foreign.begin(), foreign.end());
  const auto compressed = inputs_ending(".safetensors.gz");
  ASSERT_FALSE(plain.empty() || compressed.empty());
  for (const fs::path& file : plain) {
    expect_refused(file.filename().string(), [&] { tinyae::load_checkpoint(file); });
  }
  for (const fs::path& file : compressed) {
    const std::string bytes = gunzip_file(file);
    const std::string name = file.filename().string();
    expect_refused(name, [&] { tinyae::parse_checkpoint(bytes, name); });
  }
}

TEST(HostileInputs, ManifestsAreRefused) {
  const auto files = inputs_ending(".manifest.json");
  ASSERT_FALSE(files.empty());
  const fs::path dir = fs::temp_directory_path() / ("tinyae_hostile_manifest_" + std::to_string(::getpid()));
  for (const fs::path& file : files) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    fs::copy_file(file, dir / "manifest.json");
    expect_refused(file.filename().string(), [&] { tinyae::read_manifest(dir); });
  }
  fs::remove_all(dir);
}

}  // namespace
