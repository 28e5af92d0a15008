// DataParallel: the rendezvous, the gradient all-reduce and the fault
// reports of data-parallel training (see tinyae/distributed.h).
//
// The store is c10d's TCPStore served by rank 0; the collectives are
// ProcessGroupGloo's over TCP, bound to the address this host uses to reach
// the master (so ranks in other network namespaces or on other machines
// advertise an address their peers can reach). Gloo's own keys live under
// a prefix of the store, apart from the digests and survivor marks here.
#include "tinyae/distributed.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <thread>
#include <vector>

#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "tinyae/common.h"
#include "tinyae/json_reader.h"
#include "tinyae/train.h"
#include "tinyae/train_step.h"

namespace tinyae {
namespace {

// How long a rank that lost the group waits for the survivors' marks: long
// enough for the others to notice the same loss, short against the timeout.
constexpr std::chrono::milliseconds kSurvivorGrace{2000};

std::string rank_key(const char* what, int rank) { return fmt::format("tinyae/{}/{}", what, rank); }

// c10::Error's what() carries a C++ backtrace; users need the first line.
std::string reason(const std::exception& e) {
  if (const auto* c10_error = dynamic_cast<const c10::Error*>(&e)) return c10_error->what_without_backtrace();
  return e.what();
}

// The local address the kernel would use to reach `master`: connecting a UDP
// socket sends nothing, it only picks the route.
std::string local_address_towards(const MasterAddress& master) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(master.port);
  if (const int status = getaddrinfo(master.host.c_str(), port.c_str(), &hints, &found); status != 0) {
    throw Error(fmt::format("--master {}:{}: cannot resolve '{}': {}", master.host, master.port, master.host,
                            gai_strerror(status)));
  }
  std::string address;
  const int fd = socket(found->ai_family, SOCK_DGRAM, 0);
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  if (fd >= 0 && connect(fd, found->ai_addr, found->ai_addrlen) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&local), &length) == 0) {
    char text[INET6_ADDRSTRLEN] = {};
    const void* raw = local.ss_family == AF_INET6
                          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&local)->sin6_addr)
                          : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&local)->sin_addr);
    if (inet_ntop(local.ss_family, raw, text, sizeof(text)) != nullptr) address = text;
  }
  if (fd >= 0) close(fd);
  freeaddrinfo(found);
  if (address.empty()) {
    throw Error(fmt::format("--master {}:{}: this host has no route to it", master.host, master.port));
  }
  return address;
}

std::string as_text(const std::vector<std::uint8_t>& bytes) { return std::string(bytes.begin(), bytes.end()); }
std::vector<std::uint8_t> as_bytes(const std::string& text) {
  return std::vector<std::uint8_t>(text.begin(), text.end());
}

// The top-level keys in which two digests differ, "a, b".
std::string differing_keys(const std::string& mine, const std::string& theirs) {
  const nlohmann::json a = parse_json(mine, "this rank's digest");
  const nlohmann::json b = parse_json(theirs, "another rank's digest");
  std::vector<std::string> keys;
  for (const auto& [key, value] : a.items()) {
    if (!b.contains(key) || b[key] != value) keys.push_back(key);
  }
  for (const auto& [key, value] : b.items()) {
    if (!a.contains(key)) keys.push_back(key);
  }
  return fmt::format("{}", fmt::join(keys, ", "));
}

}  // namespace

std::uint16_t free_loopback_port(const std::string& who) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  const bool ok = fd >= 0 && bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
  if (fd >= 0) close(fd);
  if (!ok) throw Error(who + ": cannot find a free port on 127.0.0.1; give one with --master 127.0.0.1:PORT");
  return ntohs(address.sin_port);
}

MasterAddress parse_master(const std::string& text) {
  const auto colon = text.rfind(':');
  const auto bad = [&](const std::string& why) {
    return Error(fmt::format("--master must be HOST:PORT with a port in 1..65535, got '{}' ({})", text, why));
  };
  if (colon == std::string::npos) throw bad("no ':PORT'");
  MasterAddress master;
  master.host = text.substr(0, colon);
  if (master.host.size() >= 2 && master.host.front() == '[' && master.host.back() == ']') {
    master.host = master.host.substr(1, master.host.size() - 2);
  }
  if (master.host.empty()) throw bad("no host");
  const std::string port = text.substr(colon + 1);
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || error != std::errc() || end != port.data() + port.size()) throw bad("the port is not a number");
  if (value < 1 || value > 65535) throw bad("the port is out of range");
  master.port = static_cast<std::uint16_t>(value);
  return master;
}

void DistributedOptions::validate() const {
  if (world_size < 1 || world_size > kMaxWorldSize) {
    throw Error(fmt::format("world size must be in 1..{}, got {}", kMaxWorldSize, world_size));
  }
  if (rank < 0 || rank >= world_size) {
    throw Error(
        fmt::format("rank must be in 0..{} (below the world size {}), got {}", world_size - 1, world_size, rank));
  }
  if (enabled && (master.host.empty() || master.port == 0)) throw Error("a distributed run needs --master HOST:PORT");
  if (timeout.count() < 1 || timeout.count() > kMaxCollectiveTimeoutSeconds) {
    throw Error(fmt::format("the collective timeout must be in 1..{} seconds, got {}", kMaxCollectiveTimeoutSeconds,
                            timeout.count()));
  }
}

std::string rendezvous_digest(const TrainRequest& request, const std::string& data_checksum, std::int64_t resumed_epoch,
                              const std::string& checkpoint_sha256) {
  TrainOptions options = request.options;
  options.threads = 0;
  nlohmann::json data = request.data.to_json();
  data.erase("path");
  const nlohmann::json digest = {{"model", request.model.to_json()}, {"kind", request.kind.to_json()},
                                 {"options", options.to_json()},     {"data", data},
                                 {"data_checksum", data_checksum},   {"world_size", request.distributed.world_size},
                                 {"resumed_epoch", resumed_epoch},   {"checkpoint_sha256", checkpoint_sha256}};
  return digest.dump();
}

Shard shard_of(std::int64_t batch_rows, int world_size, int rank) {
  const std::int64_t base = batch_rows / world_size;
  const std::int64_t extra = batch_rows % world_size;  // the first `extra` ranks take one row more
  Shard shard;
  shard.begin = rank * base + std::min<std::int64_t>(rank, extra);
  shard.rows = base + (rank < extra ? 1 : 0);
  return shard;
}

struct DataParallel::Group {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
  std::chrono::milliseconds timeout{0};

  // Each survivor marks itself; after the grace period the unmarked ranks
  // are the lost ones. If the store is gone, rank 0 (its server) is. A rank
  // whose own peers are alive notices only at the timeout, when the first
  // survivors may have left: it may then blame rank 0.
  std::string lost_ranks(int rank, int world_size) const {
    try {
      store->set(rank_key("alive", rank), as_bytes("1"));
      std::this_thread::sleep_for(kSurvivorGrace);
      std::vector<int> lost;
      for (int r = 0; r < world_size; ++r) {
        if (!store->check({rank_key("alive", r)})) lost.push_back(r);
      }
      // Rank 0 serves the store: it stays a little longer, so that the
      // others can still read the marks.
      if (rank == 0) std::this_thread::sleep_for(kSurvivorGrace / 2);
      if (lost.empty()) return "no rank is missing; a connection broke";
      return fmt::format("rank{} {} stopped answering", lost.size() > 1 ? "s" : "", fmt::join(lost, ", "));
    } catch (const std::exception&) {
      return "rank 0 (the master, which serves the rendezvous store) is gone";
    }
  }
};

DataParallel::DataParallel() = default;
DataParallel::~DataParallel() = default;
DataParallel::DataParallel(DataParallel&&) noexcept = default;
DataParallel& DataParallel::operator=(DataParallel&&) noexcept = default;

DataParallel::DataParallel(const DistributedOptions& options, const std::string& digest)
    : group_(std::make_unique<Group>()), rank_(options.rank), world_size_(options.world_size) {
  options.validate();
  const MasterAddress& master = options.master;
  const std::string where = fmt::format("rank {}/{}, --master {}:{}", rank_, world_size_, master.host, master.port);
  Group& g = *group_;
  g.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout);
  const std::string address = local_address_towards(master);

  // 1. The store: rank 0 serves it and waits for every rank to connect.
  c10d::TCPStoreOptions store_options;
  store_options.port = master.port;
  store_options.isServer = rank_ == 0;
  store_options.numWorkers = static_cast<std::size_t>(world_size_);
  store_options.waitWorkers = true;
  store_options.timeout = g.timeout;
  try {
    g.store = c10::make_intrusive<c10d::TCPStore>(master.host, store_options);
  } catch (const std::exception& e) {
    throw Error(fmt::format("{}: {} the rendezvous store within {} s: {}", where,
                            rank_ == 0 ? "cannot serve (or gather every rank at)" : "cannot reach",
                            options.timeout.count(), reason(e)));
  }

  // 2. The digests: every rank compares all of them, so every rank refuses.
  try {
    g.store->set(rank_key("digest", rank_), as_bytes(digest));
    std::vector<std::string> mismatches;
    for (int r = 0; r < world_size_; ++r) {
      g.store->wait({rank_key("digest", r)}, g.timeout);
      const std::string theirs = as_text(g.store->get(rank_key("digest", r)));
      if (theirs != digest) mismatches.push_back(fmt::format("rank {} ({})", r, differing_keys(digest, theirs)));
    }
    // Rank 0 serves the store: it leaves only once every rank has read.
    g.store->set(rank_key("compared", rank_), as_bytes("1"));
    if (rank_ == 0) {
      for (int r = 0; r < world_size_; ++r) g.store->wait({rank_key("compared", r)}, g.timeout);
    }
    if (!mismatches.empty()) {
      throw Error(
          fmt::format("{}: refused at rendezvous: this rank's configuration, data or checkpoint differs from "
                      "that of {}; start every rank with the same flags, data and run folder",
                      where, fmt::join(mismatches, ", ")));
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(fmt::format("{}: the rendezvous failed within {} s: {}", where, options.timeout.count(), reason(e)));
  }

  // 3. Gloo's full mesh.
  try {
    auto gloo_options = c10d::ProcessGroupGloo::Options::create(g.timeout);
    gloo_options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(address));
    gloo_options->threads = 1;
    auto prefixed = c10::make_intrusive<c10d::PrefixStore>("gloo", g.store);
    g.gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank_, world_size_, gloo_options);
  } catch (const std::exception& e) {
    throw Error(fmt::format("{}: cannot connect the ranks (Gloo over {}): {}", where, address, reason(e)));
  }
  spdlog::info("Rank {}/{} joined the group at {}:{} (Gloo over {})", rank_, world_size_, master.host, master.port,
               address);
}

void DataParallel::allreduce(torch::Tensor& flat, const char* what) {
  ++steps_;
  std::vector<at::Tensor> tensors{flat};
  try {
    auto work = group_->gloo->allreduce(tensors);
    if (!work->wait(group_->timeout)) throw Error("no answer");
  } catch (const std::exception& e) {
    throw Error(fmt::format("rank {}/{} lost the group in collective {} ({}): {} (Gloo: {})", rank_, world_size_,
                            steps_, what, group_->lost_ranks(rank_, world_size_), reason(e)));
  }
}

void DataParallel::step(TrainStep& step, const torch::Tensor& input, const torch::Tensor& target, double& weighted_loss,
                        double& weighted_penalty) {
  const std::int64_t rows = input.size(0);
  if (!group_) {
    weighted_loss += step.run(input, target) * static_cast<double>(rows);
    weighted_penalty += step.last_penalty() * static_cast<double>(rows);
    return;
  }
  const Shard shard = shard_of(rows, world_size_, rank_);
  torch::Tensor gradients = step.gradients();  // (P)
  if (bytes_per_step_ == 0) {
    bytes_per_step_ = gradients.numel() * static_cast<std::int64_t>(gradients.element_size());
    spdlog::info("Each step all-reduces {} bytes of gradients ({} float32) over {} rank(s)", bytes_per_step_,
                 gradients.numel(), world_size_);
  }
  if (shard.rows == 0) {
    gradients.zero_();  // a batch smaller than the group: this rank adds nothing
  } else {
    const torch::Tensor x = input.narrow(0, shard.begin, shard.rows);   // (shard rows, features)
    const torch::Tensor y = target.narrow(0, shard.begin, shard.rows);  // (shard rows, features)
    weighted_loss += step.forward_loss(x, y) * static_cast<double>(shard.rows);
    weighted_penalty += step.last_penalty() * static_cast<double>(shard.rows);
    step.backward(x);
    // The shard's mean gradient, weighted to its part of the batch's mean.
    if (shard.rows != rows) gradients.mul_(static_cast<double>(shard.rows) / static_cast<double>(rows));
  }
  allreduce(gradients, "gradients");
  step.update();
}

void DataParallel::sum(double& a, double& b) {
  if (!group_) return;
  torch::Tensor pair = torch::tensor({a, b}, torch::kFloat64);  // (2)
  allreduce(pair, "epoch losses");
  a = pair[0].item<double>();
  b = pair[1].item<double>();
}

}  // namespace tinyae
