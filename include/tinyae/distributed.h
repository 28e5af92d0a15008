// Data-parallel training on LibTorch's c10d engine (TCPStore for the
// rendezvous, ProcessGroupGloo for the collectives), the engine under
// PyTorch's DistributedDataParallel.
//
// Every rank holds the whole model and data and draws the same shuffle (the
// same seed gives the same permutation everywhere); each global batch of
// --batch-size rows is split into contiguous shards, one per rank, the
// first (rows mod N) ranks taking one row more. A rank's gradient is the
// mean over its shard, so it is weighted by shard rows / batch rows before
// one all-reduce (sum) of the flat gradient buffer: the result is the
// single-process batch gradient up to the order of the additions, and every
// rank applies the same Adamax update. With N = 1 the weight is 1 and the
// sum is the identity: bit for bit the plain path.
//
// Faults: every collective and store access has a timeout; a rank that
// loses the group names the ranks that stopped answering (each survivor
// leaves a mark in the store, the missing marks are the lost ranks) before
// it throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <torch/torch.h>

namespace tinyae {

class TrainStep;
struct TrainRequest;

// Bounds on the command line's values.
inline constexpr int kMaxWorldSize = 1024;
inline constexpr std::int64_t kDefaultCollectiveTimeoutSeconds = 60;
inline constexpr std::int64_t kMaxCollectiveTimeoutSeconds = 86400;

struct MasterAddress {
  std::string host;  // a name or address, IPv6 without its brackets
  std::uint16_t port = 0;
};

// "HOST:PORT" or "[IPV6]:PORT", port 1..65535; tinyae::Error naming the text otherwise.
MasterAddress parse_master(const std::string& text);

// A TCP port on 127.0.0.1 that was free a moment ago (the kernel's pick for
// port 0), for a local group; tinyae::Error starting with `who` if none is.
std::uint16_t free_loopback_port(const std::string& who);

struct DistributedOptions {
  bool enabled = false;  // false: the plain single-process path, no store, no group
  int world_size = 1;
  int rank = 0;
  MasterAddress master;                                            // rank 0 serves the rendezvous store on master.port
  std::chrono::seconds timeout{kDefaultCollectiveTimeoutSeconds};  // every collective and store wait
  // tinyae::Error naming the bad value (world size 1..kMaxWorldSize, rank
  // below it, a port, a timeout 1..kMaxCollectiveTimeoutSeconds).
  void validate() const;
};

// The rows of a global batch one rank trains on: [begin, begin + rows).
struct Shard {
  std::int64_t begin = 0;
  std::int64_t rows = 0;
};
// Rank `rank`'s shard of a batch of `batch_rows` rows split over `world_size`.
Shard shard_of(std::int64_t batch_rows, int world_size, int rank);

// What must agree across ranks, as JSON text with one key per part: the
// model, the kind, the training options (threads excepted: a machine
// setting), the data (its checksum and how it is read, not its path), the
// world size, and the checkpoint resumed from (epoch and SHA-256; none when
// starting afresh).
std::string rendezvous_digest(const TrainRequest& request, const std::string& data_checksum, std::int64_t resumed_epoch,
                              const std::string& checkpoint_sha256);

class DataParallel {
 public:
  // The plain path: one process, nothing to reduce.
  DataParallel();
  // Joins the group of `options` (enabled): rank 0 serves the store, every
  // rank publishes `digest` (what must agree across ranks: configuration,
  // data checksum, checkpoint) and all refuse, naming the ranks and the
  // differing keys, unless all are equal. Throws tinyae::Error on a bad
  // master, a port in use, a missing rank (after the timeout) or a mismatch.
  DataParallel(const DistributedOptions& options, const std::string& digest);
  ~DataParallel();
  DataParallel(DataParallel&&) noexcept;
  DataParallel& operator=(DataParallel&&) noexcept;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  // Rank 0 validates, logs and writes the run folder; the others write nothing.
  bool writes() const { return rank_ == 0; }

  // One training step on a global batch (`input` and `target` of the same
  // (rows, features) shape): this rank's shard forward and backward, the
  // gradient all-reduced, the Adamax update. Adds the shard's loss and
  // penalty, each times its rows, to `weighted_loss` and `weighted_penalty`.
  void step(TrainStep& step, const torch::Tensor& input, const torch::Tensor& target, double& weighted_loss,
            double& weighted_penalty);
  // Sums `a` and `b` over the ranks (every rank gets the sums).
  void sum(double& a, double& b);
  // Bytes one step all-reduces (the flat gradient buffer), 0 on the plain path.
  std::int64_t bytes_per_step() const { return bytes_per_step_; }

 private:
  struct Group;
  void allreduce(torch::Tensor& flat, const char* what);
  std::unique_ptr<Group> group_;
  int rank_ = 0;
  int world_size_ = 1;
  std::int64_t steps_ = 0;  // collectives so far, for messages
  std::int64_t bytes_per_step_ = 0;
};

}  // namespace tinyae
