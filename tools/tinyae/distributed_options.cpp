// --world-size, --rank, --master, --nproc, --collective-timeout (see
// distributed_options.h).
#include "distributed_options.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "options.h"
#include "tinyae/common.h"
#include "tinyae/process.h"

namespace tinyae::cli {
namespace {

// This command line without --nproc and its value.
std::vector<std::string> arguments_without_nproc(int argc, char** argv) {
  std::vector<std::string> kept;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--nproc") {
      ++i;
    } else if (arg.rfind("--nproc=", 0) != 0) {
      kept.push_back(arg);
    }
  }
  return kept;
}

}  // namespace

void add_distributed_options(cxxopts::Options& options) {
  options.add_options("distributed")("world-size", "data-parallel training: number of ranks (processes) in the group",
                                     cxxopts::value<std::string>())(
      "rank", "this process's rank, 0..world-size - 1 (rank 0 serves the rendezvous and writes the run folder)",
      cxxopts::value<std::string>())("master", "HOST:PORT of rank 0's rendezvous store", cxxopts::value<std::string>())(
      "nproc", "start N ranks of this command on this machine (127.0.0.1) and wait for them",
      cxxopts::value<std::string>())(
      "collective-timeout", "seconds any rendezvous or all-reduce may wait for the other ranks",
      cxxopts::value<std::string>()->default_value(std::to_string(kDefaultCollectiveTimeoutSeconds)));
}

DistributedOptions parse_distributed_options(const cxxopts::ParseResult& args) {
  auto given = [&](const char* flag) { return args.count(flag) > 0; };
  auto text = [&](const char* flag) { return args[flag].as<std::string>(); };
  DistributedOptions options;
  options.timeout = std::chrono::seconds(
      parse_integer<std::int64_t>("collective-timeout", text("collective-timeout"), 1, kMaxCollectiveTimeoutSeconds));
  if (given("nproc")) {
    for (const char* flag : {"world-size", "rank"}) {
      if (given(flag)) throw UsageError(fmt::format("--nproc starts the ranks itself: drop --{}", flag));
    }
    parse_integer<int>("nproc", text("nproc"), 1, kMaxWorldSize);
  } else if (!given("world-size")) {
    for (const char* flag : {"rank", "master"}) {
      if (given(flag)) throw UsageError(fmt::format("--{} needs --world-size (or use --nproc)", flag));
    }
    return options;
  } else {
    options.enabled = true;
    options.world_size = parse_integer<int>("world-size", text("world-size"), 1, kMaxWorldSize);
    if (!given("rank")) throw UsageError("--world-size needs --rank (0..world-size - 1)");
    if (!given("master")) throw UsageError("--world-size needs --master HOST:PORT (rank 0's address)");
    options.rank = parse_integer<int>("rank", text("rank"), 0, options.world_size - 1);
  }
  if (given("master")) {
    try {
      options.master = parse_master(text("master"));
    } catch (const Error& e) {
      throw UsageError(e.what());
    }
  }
  return options;
}

int launch_ranks_if_asked(int argc, char** argv, const cxxopts::ParseResult& args) {
  if (args.count("nproc") == 0) return -1;
  const int n = parse_integer<int>("nproc", args["nproc"].as<std::string>(), 1, kMaxWorldSize);
  const std::int64_t timeout = parse_distributed_options(args).timeout.count();
  std::vector<std::string> common = {"/proc/self/exe", "train"};
  const std::vector<std::string> rest = arguments_without_nproc(argc, argv);
  common.insert(common.end(), rest.begin(), rest.end());
  if (args.count("master") == 0) {
    common.insert(common.end(), {"--master", fmt::format("127.0.0.1:{}", free_loopback_port("--nproc"))});
  }
  // N ranks share this machine's cores: BLAS pools larger than that fight.
  if (args.count("threads") == 0) {
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    common.insert(common.end(), {"--threads", std::to_string(std::max(1u, cores / static_cast<unsigned>(n)))});
  }
  std::vector<std::unique_ptr<Process>> ranks;
  for (int r = 0; r < n; ++r) {
    std::vector<std::string> argv_r = common;
    argv_r.insert(argv_r.end(), {"--world-size", std::to_string(n), "--rank", std::to_string(r)});
    ProcessOptions options;
    options.merge_stderr = true;
    options.on_stdout_line = [r](std::string_view line) {
      std::fprintf(stderr, "[rank %d] %.*s\n", r, static_cast<int>(line.size()), line.data());
    };
    ranks.push_back(std::make_unique<Process>(argv_r, options));
  }
  // After a failure the others stop within the collective timeout (plus the
  // grace in which they name the lost rank); past that they are killed.
  std::vector<bool> done(ranks.size(), false);
  int failed = -1;
  std::string how;
  auto deadline = std::chrono::steady_clock::time_point::max();
  while (std::count(done.begin(), done.end(), false) > 0) {
    for (std::size_t r = 0; r < ranks.size(); ++r) {
      if (done[r] || !ranks[r]->poll()) continue;
      done[r] = true;
      const ProcessResult result = ranks[r]->wait();
      if (result.ok() || failed >= 0) continue;
      failed = static_cast<int>(r);
      how = result.describe();
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout + 10);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      for (std::size_t r = 0; r < ranks.size(); ++r) {
        if (!done[r]) ranks[r]->kill_group();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (failed >= 0) throw Error(fmt::format("--nproc {}: rank {} failed ({})", n, failed, how));
  return 0;
}

}  // namespace tinyae::cli
