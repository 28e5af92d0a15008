// What a training run is asked to do (TrainOptions, set from the CLI) and
// what it records per epoch (EpochResult): both are stored in the checkpoint,
// so both have a JSON form, read once, strictly, by the one JSON reader.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace tinyae {

struct TrainOptions {
  std::int64_t epochs = 50;
  std::int64_t batch_size = 256;
  double lr = 1e-3;
  std::uint64_t seed = 42;
  int threads = 0;               // 0 = all cores
  std::int64_t train_limit = 0;  // 0 = all 60,000 training images
  // {"epochs", "batch_size", "lr", "seed", "threads", "train_limit"}
  nlohmann::json to_json() const;
  // Every key required, unknown keys refused, ranges checked (epochs >= 0,
  // batch_size >= 1, lr >= 0, 0 <= threads <= 4096, train_limit >= 0);
  // tinyae::Error whose message starts with `where`.
  static TrainOptions from_json(const nlohmann::json& j, const std::string& where = "train options");
  bool operator==(const TrainOptions& other) const;
  bool operator!=(const TrainOptions& other) const { return !(*this == other); }
};

struct EpochResult {
  std::int64_t epoch = 0;       // 1-based
  double loss = 0;              // mean training MSE over the epoch's batches, weighted by batch size
  double val_loss = 0;          // MSE on the test images after the epoch
  double seconds = 0;           // wall time of the epoch, validation included
  std::int64_t val_images = 0;  // number of test images val_loss was measured on
  // Kinds with a second loss term (tinyae/model_kind.h: the sparse L1
  // penalty): its part of loss and of val_loss, weight included; 0 for the
  // others. The reconstruction term is loss - penalty.
  double penalty = 0;
  double val_penalty = 0;
  bool operator==(const EpochResult& other) const;
};

// [{"epoch", "loss", "val_loss", "seconds", "val_images"}, ...], with
// "penalty" and "val_penalty" too if `with_penalty`; a NaN is written as
// null (JSON has no NaN) and read back as NaN.
nlohmann::json history_to_json(const std::vector<EpochResult>& history, bool with_penalty = false);
// Rows must be numbered 1, 2, 3, ... in order, every key present, no other
// key; tinyae::Error whose message starts with `where`.
std::vector<EpochResult> history_from_json(const nlohmann::json& j, const std::string& where = "history",
                                           bool with_penalty = false);

}  // namespace tinyae
