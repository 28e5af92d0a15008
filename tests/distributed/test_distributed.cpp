// Data-parallel training as users run it: real `tinyae train` processes
// talking c10d/Gloo over the loopback interface (and, as root, across two
// network namespaces), compared with the single-process run of the same
// seed through the checkpoints they write.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "../common/temp_dir_test.h"
#include "../model/tensor_diff.h"
#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/distributed.h"
#include "tinyae/process.h"
#include "tinyae/train.h"

namespace fs = std::filesystem;

namespace {

using tinyae::test::kMnistDir;

// Reassociating the sums of the gradients over 2, 3 or 4 ranks moves
// the weights by 3e-8 (one float32 step) after this run; this bound leaves
// room for other BLAS kernels.
constexpr double kReassociationTolerance = 1e-6;

class DistributedTest : public tinyae::test::TempDirTest {
 protected:
  DistributedTest() : TempDirTest("tinyae-test-dist", true) {}

  // A small run: a 784-32-8 model, 1,000 images in batches of 100 (a batch
  // that 4 ranks split into 25 rows each, 3 into 34, 33, 33), one thread.
  std::vector<std::string> small_train(const fs::path& out, int epochs = 2, int train_limit = 1000) const {
    return {TINYAE_EXE,     "train",      "--data",        kMnistDir.string(),
            "--out",        out.string(), "--hidden",      "32",
            "--latent",     "8",          "--epochs",      std::to_string(epochs),
            "--batch-size", "100",        "--train-limit", std::to_string(train_limit),
            "--test-limit", "200",        "--threads",     "1",
            "--no-figures"};
  }
  static std::vector<std::string> with(std::vector<std::string> argv, const std::vector<std::string>& extra) {
    argv.insert(argv.end(), extra.begin(), extra.end());
    return argv;
  }
  static tinyae::ProcessResult run(const std::vector<std::string>& argv) {
    tinyae::ProcessOptions options;
    options.timeout_seconds = 600;
    return tinyae::run_process(argv, options);
  }
  static std::string master() { return "127.0.0.1:" + std::to_string(tinyae::free_loopback_port("test")); }
};

// Every tensor of two checkpoints (weights and Adamax state): whether all
// are bit for bit the same, and the largest absolute difference and where.
struct Gap {
  bool bitwise = true;
  double max_abs = 0;
  std::string where = "nowhere";
};
Gap checkpoint_gap(const fs::path& a, const fs::path& b) {
  const tinyae::Checkpoint x = tinyae::load_checkpoint(a);
  const tinyae::Checkpoint y = tinyae::load_checkpoint(b);
  Gap gap;
  EXPECT_EQ(x.meta.epoch, y.meta.epoch);
  EXPECT_EQ(x.optimizer_steps, y.optimizer_steps);
  auto take = [&](const std::string& name, const torch::Tensor& p, const torch::Tensor& q) {
    const tinyae::test::TensorDiff diff = tinyae::test::tensor_diff(p, q);
    gap.bitwise = gap.bitwise && tinyae::test::bitwise_equal(p, q);
    if (diff.max_abs >= gap.max_abs) {
      gap.max_abs = diff.max_abs;
      gap.where = name + ": " + diff.describe();
    }
  };
  const auto ys = y.model->named_parameters();
  for (const auto& item : x.model->named_parameters()) take(item.key(), item.value(), ys[item.key()]);
  EXPECT_EQ(x.optimizer_state.size(), y.optimizer_state.size());
  for (const auto& [name, tensor] : x.optimizer_state) take(name, tensor, y.optimizer_state.at(name));
  return gap;
}

}  // namespace

TEST(Shard, SplitsTheBatchContiguouslyTheFirstRanksTakingTheRemainder) {
  EXPECT_EQ(tinyae::shard_of(100, 3, 0).rows, 34);
  EXPECT_EQ(tinyae::shard_of(100, 3, 1).begin, 34);
  EXPECT_EQ(tinyae::shard_of(100, 3, 2).begin, 67);
  EXPECT_EQ(tinyae::shard_of(2, 4, 3).rows, 0);  // fewer rows than ranks: the last ones get none
  for (int world : {1, 2, 3, 4, 7}) {
    for (std::int64_t rows : {1, 5, 100, 256}) {
      std::int64_t next = 0;
      for (int r = 0; r < world; ++r) {
        const tinyae::Shard s = tinyae::shard_of(rows, world, r);
        EXPECT_EQ(s.begin, next) << rows << " rows, rank " << r << "/" << world;
        next += s.rows;
      }
      EXPECT_EQ(next, rows);
    }
  }
}

TEST(Master, ParsesHostAndPortAndNamesWhatIsWrong) {
  EXPECT_EQ(tinyae::parse_master("10.0.0.1:29500").host, "10.0.0.1");
  EXPECT_EQ(tinyae::parse_master("[::1]:80").host, "::1");
  EXPECT_EQ(tinyae::parse_master("localhost:65535").port, 65535);
  for (const char* bad : {"localhost", ":80", "host:", "host:http", "host:0", "host:65536", "host:-1", "host:80x"}) {
    EXPECT_THROW(tinyae::parse_master(bad), tinyae::Error) << bad;
  }
  tinyae::DistributedOptions options;
  options.world_size = 2;
  options.rank = 2;
  EXPECT_THROW(options.validate(), tinyae::Error);
  options.rank = 1;
  options.world_size = 0;
  EXPECT_THROW(options.validate(), tinyae::Error);
}

TEST_F(DistributedTest, OneRankThroughTheGroupIsBitIdenticalToThePlainRun) {
  const tinyae::ProcessResult plain = run(small_train(dir_ / "plain"));
  ASSERT_TRUE(plain.ok()) << plain.err;
  const tinyae::ProcessResult one =
      run(with(small_train(dir_ / "one"), {"--world-size", "1", "--rank", "0", "--master", master()}));
  ASSERT_TRUE(one.ok()) << one.err;
  const Gap gap = checkpoint_gap(dir_ / "plain" / tinyae::kCheckpointFile, dir_ / "one" / tinyae::kCheckpointFile);
  EXPECT_TRUE(gap.bitwise) << gap.where;
}

TEST_F(DistributedTest, TwoThreeAndFourRanksAgreeWithOneProcessToReassociation) {
  const tinyae::ProcessResult plain = run(small_train(dir_ / "plain"));
  ASSERT_TRUE(plain.ok()) << plain.err;
  for (const int n : {2, 3, 4}) {
    const fs::path out = dir_ / ("n" + std::to_string(n));
    const tinyae::ProcessResult group = run(with(small_train(out), {"--nproc", std::to_string(n)}));
    ASSERT_TRUE(group.ok()) << group.err;
    EXPECT_NE(group.err.find("[rank 0] "), std::string::npos) << group.err;
    for (int r = 1; r < n; ++r) {  // only rank 0 writes
      EXPECT_EQ(group.err.find("[rank " + std::to_string(r) + "] info"), std::string::npos) << group.err;
    }
    const Gap gap = checkpoint_gap(dir_ / "plain" / tinyae::kCheckpointFile, out / tinyae::kCheckpointFile);
    std::cout << n << " ranks: max |difference| " << gap.max_abs << " at " << gap.where << "\n";
    EXPECT_LE(gap.max_abs, kReassociationTolerance) << n << " ranks, at " << gap.where;
  }
}

TEST_F(DistributedTest, BadGroupsAreRefusedBeforeAnythingIsWritten) {
  const fs::path out = dir_ / "run";
  struct Case {
    std::vector<std::string> extra;
    int status;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{"--nproc", "2", "--rank", "0"}, 2, "--rank"},
      {{"--world-size", "2", "--rank", "2", "--master", "127.0.0.1:1"}, 2, "--rank"},
      {{"--world-size", "0", "--rank", "0", "--master", "127.0.0.1:1"}, 2, "--world-size"},
      {{"--world-size", "2", "--rank", "1"}, 2, "--master"},
      {{"--rank", "1"}, 2, "--world-size"},
      {{"--world-size", "2", "--rank", "1", "--master", "127.0.0.1"}, 2, "--master"},
      {{"--world-size", "2", "--rank", "1", "--master", "127.0.0.1:port"}, 2, "port"},
      {{"--world-size", "2", "--rank", "1", "--master", "127.0.0.1:70000"}, 2, "70000"},
      {{"--world-size", "2", "--rank", "1", "--master", "no-such-host.invalid:29500"}, 1, "no-such-host.invalid"},
      {{"--nproc", "2", "--collective-timeout", "0"}, 2, "--collective-timeout"},
  };
  for (const Case& c : cases) {
    const tinyae::ProcessResult r = run(with(small_train(out), c.extra));
    EXPECT_EQ(r.exit_code, c.status) << tinyae::describe_command(c.extra) << "\n" << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << tinyae::describe_command(c.extra) << "\n" << r.err;
    EXPECT_FALSE(fs::exists(out)) << tinyae::describe_command(c.extra);
  }
}

TEST_F(DistributedTest, AnUnreachableMasterOrABusyPortIsAClearError) {
  const fs::path out = dir_ / "run";
  // Nobody listens on this port: rank 1 gives up after the timeout.
  const std::string nobody = master();
  const auto start = std::chrono::steady_clock::now();
  const tinyae::ProcessResult unreachable = run(
      with(small_train(out), {"--world-size", "2", "--rank", "1", "--master", nobody, "--collective-timeout", "3"}));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(unreachable.exit_code, 1) << unreachable.err;
  EXPECT_NE(unreachable.err.find("cannot reach the rendezvous store"), std::string::npos) << unreachable.err;
  EXPECT_LT(seconds, 60);
  EXPECT_FALSE(fs::exists(out));

  // A port some other program holds: rank 0 cannot serve the store there.
  const int holder = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t length = sizeof(address);
  ASSERT_EQ(bind(holder, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(listen(holder, 1), 0);
  ASSERT_EQ(getsockname(holder, reinterpret_cast<sockaddr*>(&address), &length), 0);
  const std::string busy = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
  const tinyae::ProcessResult in_use =
      run(with(small_train(out), {"--world-size", "2", "--rank", "0", "--master", busy, "--collective-timeout", "3"}));
  close(holder);
  EXPECT_EQ(in_use.exit_code, 1) << in_use.err;
  EXPECT_NE(in_use.err.find("cannot serve"), std::string::npos) << in_use.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(DistributedTest, RanksWithDifferentSettingsAreRefusedAtRendezvous) {
  const fs::path out = dir_ / "run";
  const std::string address = master();
  const std::vector<std::string> group = {"--world-size", "2", "--master", address, "--collective-timeout", "20"};
  tinyae::ProcessOptions options;
  options.timeout_seconds = 300;
  tinyae::Process rank0(with(with(small_train(out), group), {"--rank", "0"}), options);
  tinyae::Process rank1(with(with(small_train(out), group), {"--rank", "1", "--lr", "0.002"}), options);
  for (tinyae::Process* p : {&rank0, &rank1}) {
    const tinyae::ProcessResult r = p->wait();
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("refused at rendezvous"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("options"), std::string::npos) << r.err;
  }
  EXPECT_FALSE(fs::exists(out));
}

namespace {

// history.csv's rows so far (0 before the first epoch is written).
int epochs_written(const fs::path& run) {
  std::ifstream csv(run / tinyae::kHistoryFile);
  int lines = 0;
  for (std::string line; std::getline(csv, line);) ++lines;
  return std::max(0, lines - 1);
}

}  // namespace

TEST_F(DistributedTest, AKilledRankStopsTheGroupAndTheGroupResumesBitIdentically) {
  const int epochs = 12;
  auto big = [&](const fs::path& out) { return with(small_train(out, epochs, 4000), {"--collective-timeout", "10"}); };
  const tinyae::ProcessResult reference = run(with(big(dir_ / "reference"), {"--nproc", "2"}));
  ASSERT_TRUE(reference.ok()) << reference.err;

  const fs::path out = dir_ / "killed";
  const std::string address = master();
  const std::vector<std::string> group = {"--world-size", "2", "--master", address};
  tinyae::ProcessOptions options;
  options.timeout_seconds = 300;
  tinyae::Process rank0(with(with(big(out), group), {"--rank", "0"}), options);
  tinyae::Process rank1(with(with(big(out), group), {"--rank", "1"}), options);
  while (epochs_written(out) < 2 && !rank0.poll()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_LT(epochs_written(out), epochs) << "the run ended before the kill";
  rank1.kill_group();  // SIGKILL, mid-epoch
  const auto killed = std::chrono::steady_clock::now();
  const tinyae::ProcessResult survivor = rank0.wait();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  std::cout << "rank 0 stopped " << seconds << " s after rank 1 was killed\n";
  EXPECT_EQ(survivor.exit_code, 1) << survivor.err;
  EXPECT_NE(survivor.err.find("rank 1 stopped answering"), std::string::npos) << survivor.err;
  EXPECT_LT(seconds, 10 + 5);  // the collective timeout, the grace, start-up slack
  const tinyae::Checkpoint kept = tinyae::load_checkpoint(out / tinyae::kCheckpointFile);
  EXPECT_GE(kept.meta.epoch, 2);
  EXPECT_LT(kept.meta.epoch, epochs);

  const tinyae::ProcessResult resumed = run(with(big(out), {"--nproc", "2", "--resume"}));
  ASSERT_TRUE(resumed.ok()) << resumed.err;
  const Gap gap = checkpoint_gap(dir_ / "reference" / tinyae::kCheckpointFile, out / tinyae::kCheckpointFile);
  EXPECT_TRUE(gap.bitwise) << gap.where;
}

TEST_F(DistributedTest, AStoppedRankTimesOutTheOthers) {
  const fs::path out = dir_ / "stopped";
  const std::string address = master();
  auto rank = [&](int r) {
    return with(small_train(out, 1000),
                {"--world-size", "2", "--master", address, "--collective-timeout", "3", "--rank", std::to_string(r)});
  };
  tinyae::ProcessOptions options;
  options.timeout_seconds = 300;
  tinyae::Process rank0(rank(0), options);
  tinyae::Process rank1(rank(1), options);
  while (epochs_written(out) < 1 && !rank0.poll()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(kill(rank1.pid(), SIGSTOP), 0);  // alive but silent: only the timeout can tell
  const auto stopped = std::chrono::steady_clock::now();
  const tinyae::ProcessResult survivor = rank0.wait();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
  rank1.kill_group();
  std::cout << "rank 0 stopped " << seconds << " s after rank 1 was stopped\n";
  EXPECT_EQ(survivor.exit_code, 1) << survivor.err;
  EXPECT_NE(survivor.err.find("rank 1 stopped answering"), std::string::npos) << survivor.err;
  EXPECT_LT(seconds, 3 + 2 + 5);  // the timeout, the grace, slack
}

namespace {

// Two network namespaces joined by a veth pair, 10.213.S.1 and 10.213.S.2;
// deleted again (with the pair) however the test ends.
class NamespacePair {
 public:
  explicit NamespacePair(const std::string& ip) : ip_(ip) {
    const std::string id = std::to_string(getpid());
    names_ = {"tinyae-a-" + id, "tinyae-b-" + id};
    const std::string subnet = "10.213." + std::to_string(getpid() % 250) + ".";
    addresses_ = {subnet + "1", subnet + "2"};
    const std::string veth_a = "tva" + id, veth_b = "tvb" + id;
    const std::vector<std::vector<std::string>> steps = {
        {"netns", "add", names_[0]},
        {"netns", "add", names_[1]},
        {"link", "add", veth_a, "netns", names_[0], "type", "veth", "peer", "name", veth_b, "netns", names_[1]},
        {"-n", names_[0], "addr", "add", addresses_[0] + "/24", "dev", veth_a},
        {"-n", names_[1], "addr", "add", addresses_[1] + "/24", "dev", veth_b},
        {"-n", names_[0], "link", "set", veth_a, "up"},
        {"-n", names_[1], "link", "set", veth_b, "up"},
        {"-n", names_[0], "link", "set", "lo", "up"},
        {"-n", names_[1], "link", "set", "lo", "up"},
    };
    for (const auto& step : steps) {
      std::vector<std::string> argv = {ip_};
      argv.insert(argv.end(), step.begin(), step.end());
      const tinyae::ProcessResult r = tinyae::run_process(argv);
      if (!r.ok()) {
        error_ = tinyae::describe_command(argv) + ": " + r.describe() + ": " + r.err;
        return;
      }
    }
  }
  ~NamespacePair() {
    for (const std::string& name : names_) tinyae::run_process({ip_, "netns", "delete", name});
  }
  const std::string& error() const { return error_; }
  // argv run inside namespace i.
  std::vector<std::string> in(int i, const std::vector<std::string>& argv) const {
    std::vector<std::string> wrapped = {ip_, "netns", "exec", names_[static_cast<std::size_t>(i)]};
    wrapped.insert(wrapped.end(), argv.begin(), argv.end());
    return wrapped;
  }
  const std::string& address(int i) const { return addresses_[static_cast<std::size_t>(i)]; }

 private:
  std::string ip_;
  std::vector<std::string> names_, addresses_;
  std::string error_;
};

}  // namespace

TEST_F(DistributedTest, RanksInTwoNetworkNamespacesTrainLikeTwoLocalRanks) {
  if (geteuid() != 0) GTEST_SKIP() << "creating network namespaces needs root";
  const fs::path ip = tinyae::find_in_path("ip");
  if (ip.empty()) GTEST_SKIP() << "no 'ip' command (iproute2) to create network namespaces";
  const NamespacePair pair(ip.string());
  if (!pair.error().empty()) GTEST_SKIP() << "cannot create network namespaces here: " << pair.error();

  const tinyae::ProcessResult local = run(with(small_train(dir_ / "local"), {"--nproc", "2"}));
  ASSERT_TRUE(local.ok()) << local.err;
  const fs::path out = dir_ / "namespaces";
  const std::vector<std::string> group = {"--world-size",         "2", "--master", pair.address(0) + ":29500",
                                          "--collective-timeout", "30"};
  tinyae::ProcessOptions options;
  options.timeout_seconds = 300;
  tinyae::Process rank0(pair.in(0, with(with(small_train(out), group), {"--rank", "0"})), options);
  tinyae::Process rank1(pair.in(1, with(with(small_train(out), group), {"--rank", "1"})), options);
  const tinyae::ProcessResult r0 = rank0.wait();
  const tinyae::ProcessResult r1 = rank1.wait();
  ASSERT_TRUE(r0.ok()) << r0.err;
  ASSERT_TRUE(r1.ok()) << r1.err;
  EXPECT_NE(r0.err.find("Gloo over " + pair.address(0)), std::string::npos) << r0.err;
  // Two ranks add the same two gradients wherever they run: the same bits.
  const Gap gap = checkpoint_gap(dir_ / "local" / tinyae::kCheckpointFile, out / tinyae::kCheckpointFile);
  EXPECT_TRUE(gap.bitwise) << gap.where;
}
