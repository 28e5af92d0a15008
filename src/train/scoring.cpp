// Anomaly scores and thresholds (tinyae/scoring.h).
#include "tinyae/scoring.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <spdlog/fmt/fmt.h>

#include "tinyae/common.h"

namespace tinyae {
namespace {

// "99th", "99.5th", "1st", "2nd", "3rd".
std::string ordinal(double value) {
  const std::string number = fmt::format("{:g}", value);
  if (number.find('.') != std::string::npos) return number + "th";
  const long n = std::lround(value);
  const long tens = n % 100, ones = n % 10;
  const char* suffix = (tens >= 11 && tens <= 13) ? "th"
                       : ones == 1                ? "st"
                       : ones == 2                ? "nd"
                       : ones == 3                ? "rd"
                                                  : "th";
  return number + suffix;
}

bool parse_number(std::string_view text, double& value) {
  if (text.empty() || text.size() > 32) return false;
  const std::string copy(text);
  char* end = nullptr;
  value = std::strtod(copy.c_str(), &end);
  return end == copy.c_str() + copy.size() && std::isfinite(value);
}

}  // namespace

ThresholdRule parse_threshold_rule(std::string_view text) {
  ThresholdRule rule;
  double value = 0;
  if (text.substr(0, 1) == "p" && parse_number(text.substr(1), value) && value >= 0 && value <= 100) {
    rule.kind = ThresholdRule::Kind::kPercentile;
    rule.value = value;
    return rule;
  }
  if (text.substr(0, 3) == "fpr" && parse_number(text.substr(3), value) && value >= 0 && value <= 1) {
    rule.kind = ThresholdRule::Kind::kMaxFpr;
    rule.value = value;
    return rule;
  }
  throw Error(fmt::format(
      "threshold rule '{}' is not one of: pP (the P-th percentile of normal validation scores, P in 0..100, e.g. "
      "p99) or fprF (at most a share F in 0..1 of normal validation vectors flagged, e.g. fpr0.01)",
      std::string(text)));
}

ChosenThreshold choose_threshold(const ThresholdRule& rule, const std::vector<double>& scores,
                                 const std::vector<std::uint8_t>& labels) {
  const std::vector<std::uint8_t> normal_labels(scores.size(), 0);
  const std::vector<std::uint8_t>& l = labels.empty() ? normal_labels : labels;
  std::vector<double> normal;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (l.at(i) == 0) normal.push_back(scores[i]);
  }
  if (normal.empty()) throw Error("the validation split holds no normal vector to choose a threshold on");
  ChosenThreshold chosen;
  if (rule.kind == ThresholdRule::Kind::kPercentile) {
    chosen.value = threshold_at_percentile(normal, rule.value);
    chosen.rule = fmt::format("{} percentile of {} normal validation scores", ordinal(rule.value), normal.size());
  } else {
    chosen.value = threshold_at_max_fpr(scores, l, rule.value);
    chosen.rule = fmt::format("at most {:g}% of {} normal validation vectors flagged", 100 * rule.value, normal.size());
  }
  return chosen;
}

MeanShiftBaseline::MeanShiftBaseline(const torch::Tensor& train_x, std::int64_t features) : features_(features) {
  if (features < 1 || train_x.dim() != 2 || train_x.size(1) % features != 0 || train_x.size(0) == 0) {
    throw Error("mean-shift baseline: the training vectors do not hold whole rows of the features");
  }
  const torch::Tensor readings = train_x.to(torch::kDouble).reshape({-1, features});  // (n * window, F)
  mean_ = readings.mean(0);
  std_ = readings.std(0, /*unbiased=*/false).clamp_min(1e-12);
}

std::vector<double> MeanShiftBaseline::scores(const torch::Tensor& x) const {
  const torch::Tensor means = x.to(torch::kDouble).reshape({x.size(0), -1, features_}).mean(1);  // (n, F)
  const torch::Tensor distance = ((means - mean_) / std_).abs().amax(1).contiguous();            // (n)
  const double* p = distance.data_ptr<double>();
  return std::vector<double>(p, p + distance.numel());
}

nlohmann::json auc_json(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels) {
  const auto anomalies = static_cast<std::size_t>(std::count(labels.begin(), labels.end(), 1));
  if (labels.empty() || anomalies == 0 || anomalies == labels.size()) {
    return {{"auc", nullptr}, {"pauc", nullptr}};
  }
  return {{"auc", roc_auc(scores, labels)}, {"pauc", partial_roc_auc(scores, labels, kPartialAucMaxFpr)}};
}

}  // namespace tinyae
