// TrainOptions and the run history as JSON (see include/tinyae/train_options.h).
#include "tinyae/train_options.h"

#include <cmath>
#include <limits>

#include "tinyae/common.h"
#include "tinyae/json_reader.h"

namespace tinyae {
namespace {

// A generous bound on the thread count a checkpoint may record; train()
// itself accepts kMaxThreads.
constexpr std::int64_t kMaxRecordedThreads = 4096;

// Bitwise comparison treats two NaNs as equal: a row read back from a
// checkpoint equals the row written.
bool same(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

double real_or_nan(const JsonObject& row, const char* key) {
  return row.real_or_null(key).value_or(std::numeric_limits<double>::quiet_NaN());
}

}  // namespace

nlohmann::json TrainOptions::to_json() const {
  return {{"epochs", epochs}, {"batch_size", batch_size}, {"lr", lr},
          {"seed", seed},     {"threads", threads},       {"train_limit", train_limit}};
}

TrainOptions TrainOptions::from_json(const nlohmann::json& j, const std::string& where) {
  const JsonObject object(j, where);
  object.refuse_unknown_keys({"epochs", "batch_size", "lr", "seed", "threads", "train_limit"});
  TrainOptions options;
  options.epochs = object.integer("epochs", 0);
  options.batch_size = object.integer("batch_size", 1);
  options.lr = object.real("lr", 0);
  options.seed = object.unsigned_integer("seed");
  options.threads = static_cast<int>(object.integer("threads", 0, kMaxRecordedThreads));
  options.train_limit = object.integer("train_limit", 0);
  return options;
}

bool TrainOptions::operator==(const TrainOptions& other) const {
  return epochs == other.epochs && batch_size == other.batch_size && lr == other.lr && seed == other.seed &&
         threads == other.threads && train_limit == other.train_limit;
}

bool EpochResult::operator==(const EpochResult& other) const {
  return epoch == other.epoch && same(loss, other.loss) && same(val_loss, other.val_loss) &&
         same(seconds, other.seconds) && val_images == other.val_images && same(penalty, other.penalty) &&
         same(val_penalty, other.val_penalty);
}

nlohmann::json history_to_json(const std::vector<EpochResult>& history, bool with_penalty) {
  nlohmann::json rows = nlohmann::json::array();
  for (const EpochResult& r : history) {
    nlohmann::json row = {{"epoch", r.epoch},
                          {"loss", r.loss},
                          {"val_loss", r.val_loss},
                          {"seconds", r.seconds},
                          {"val_images", r.val_images}};
    if (with_penalty) {
      row["penalty"] = r.penalty;
      row["val_penalty"] = r.val_penalty;
    }
    rows.push_back(row);
  }
  return rows;
}

std::vector<EpochResult> history_from_json(const nlohmann::json& j, const std::string& where, bool with_penalty) {
  if (!j.is_array()) throw Error(where + ": expected a JSON array, found " + json_excerpt(j));
  std::vector<EpochResult> history;
  for (std::size_t i = 0; i < j.size(); ++i) {
    const JsonObject row(j[i], where + " row " + std::to_string(i + 1));
    if (with_penalty) {
      row.refuse_unknown_keys({"epoch", "loss", "val_loss", "seconds", "val_images", "penalty", "val_penalty"});
    } else {
      row.refuse_unknown_keys({"epoch", "loss", "val_loss", "seconds", "val_images"});
    }
    EpochResult r;
    const auto expected_epoch = static_cast<std::int64_t>(i) + 1;
    r.epoch = row.integer("epoch");
    if (r.epoch != expected_epoch) {
      throw Error(row.where() + ": expected epoch " + std::to_string(expected_epoch) + ", found " +
                  std::to_string(r.epoch));
    }
    r.loss = real_or_nan(row, "loss");
    r.val_loss = real_or_nan(row, "val_loss");
    r.seconds = row.real("seconds", 0);
    r.val_images = row.integer("val_images", 0);
    if (with_penalty) {
      r.penalty = real_or_nan(row, "penalty");
      r.val_penalty = real_or_nan(row, "val_penalty");
    }
    history.push_back(r);
  }
  return history;
}

}  // namespace tinyae
