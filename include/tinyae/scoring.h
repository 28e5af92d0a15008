// Anomaly scores, thresholds and the report of `tinyae eval`.
//
// The score of a vector is the mean squared error between the model's input
// (scaled, as the model sees it) and its reconstruction: higher is more
// anomalous, and a vector is flagged when score > threshold (tinyae/metrics.h).
// The threshold is chosen on the validation split, never on the test split
// it is judged on:
//   percentile P  the P-th percentile of the validation split's normal scores
//                 (all of them when the data has no labels): about (100 - P)%
//                 of normal vectors are flagged;
//   max-fpr F     the lowest threshold flagging at most a share F of the
//                 validation split's normal vectors.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tinyae/metrics.h"
#include "tinyae/model.h"

namespace tinyae {

// MLPerf Tiny's partial AUC bound.
inline constexpr double kPartialAucMaxFpr = 0.1;

struct ThresholdRule {
  enum class Kind { kPercentile, kMaxFpr } kind = Kind::kPercentile;
  double value = 99;  // percentile in [0, 100], or a false-positive rate in [0, 1]
};

// "p99", "p99.5" (percentile) or "fpr0.01" (maximum false-positive rate);
// throws tinyae::Error naming the text and the accepted forms.
ThresholdRule parse_threshold_rule(std::string_view text);

struct ChosenThreshold {
  double value = 0;
  std::string rule;  // "99th percentile of 1,234 normal validation scores"
};

// Applies `rule` to validation scores (labels may be empty: all normal).
ChosenThreshold choose_threshold(const ThresholdRule& rule, const std::vector<double>& scores,
                                 const std::vector<std::uint8_t>& labels);

// A score that needs no training, to compare against: the largest distance,
// in training standard deviations, of a vector's per-feature mean from the
// training mean of that feature. `features` = F of the scaled inputs.
class MeanShiftBaseline {
 public:
  MeanShiftBaseline(const torch::Tensor& train_x, std::int64_t features);
  std::vector<double> scores(const torch::Tensor& x) const;

 private:
  std::int64_t features_;
  torch::Tensor mean_, std_;  // (F) float64
};

// ROC AUC and pAUC (FPR <= kPartialAucMaxFpr), or null values when the
// labels hold only one class.
nlohmann::json auc_json(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels);

// roc.png: the ROC curve with its AUC, the chance diagonal and the point of
// the threshold; scores.png: histograms of normal and anomalous scores
// (log-spaced bins) with the threshold as a vertical line.
void draw_roc_png(const std::filesystem::path& path, const RocCurve& curve, double auc, const Confusion& at_threshold,
                  const std::string& title);
void draw_score_histogram_png(const std::filesystem::path& path, const std::vector<double>& scores,
                              const std::vector<std::uint8_t>& labels, double threshold, const std::string& title);

}  // namespace tinyae
