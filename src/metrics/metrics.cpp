// ROC, AUC, partial AUC, thresholds and confusion counts (tinyae/metrics.h).
#include "tinyae/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "tinyae/common.h"

namespace tinyae {
namespace {

struct ClassCounts {
  std::size_t positives = 0, negatives = 0;
};

ClassCounts check_inputs(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels) {
  if (scores.size() != labels.size()) {
    throw Error("metrics: " + std::to_string(scores.size()) + " scores but " + std::to_string(labels.size()) +
                " labels");
  }
  ClassCounts counts;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i])) throw Error("metrics: score " + std::to_string(i) + " is not finite");
    if (labels[i] > 1) {
      throw Error("metrics: label " + std::to_string(i) + " is " + std::to_string(labels[i]) + ", not 0 or 1");
    }
    ++(labels[i] ? counts.positives : counts.negatives);
  }
  return counts;
}

// Trapezoids between consecutive points (numpy.trapz, as sklearn's auc).
double trapezoid_area(const std::vector<double>& x, const std::vector<double>& y) {
  double area = 0;
  for (std::size_t i = 1; i < x.size(); ++i) area += (x[i] - x[i - 1]) * (y[i] + y[i - 1]) / 2;
  return area;
}

}  // namespace

RocCurve roc_curve(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels) {
  const ClassCounts counts = check_inputs(scores, labels);
  if (counts.positives == 0 || counts.negatives == 0) {
    throw Error("metrics: the ROC curve needs both normal (0) and anomalous (1) samples, found " +
                std::to_string(counts.negatives) + " normal and " + std::to_string(counts.positives) + " anomalous");
  }
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });

  RocCurve curve{{0.0}, {0.0}, {std::numeric_limits<double>::infinity()}};
  std::size_t true_positives = 0, false_positives = 0;
  for (std::size_t k = 0; k < order.size(); ++k) {
    ++(labels[order[k]] ? true_positives : false_positives);
    const bool last_of_tie = k + 1 == order.size() || scores[order[k + 1]] != scores[order[k]];
    if (!last_of_tie) continue;
    curve.fpr.push_back(static_cast<double>(false_positives) / static_cast<double>(counts.negatives));
    curve.tpr.push_back(static_cast<double>(true_positives) / static_cast<double>(counts.positives));
    curve.thresholds.push_back(scores[order[k]]);
  }
  return curve;
}

double roc_auc(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels) {
  const RocCurve curve = roc_curve(scores, labels);
  return trapezoid_area(curve.fpr, curve.tpr);
}

double partial_roc_auc(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels, double max_fpr) {
  if (!(max_fpr > 0 && max_fpr <= 1))
    throw Error("metrics: max_fpr must lie in (0, 1], got " + std::to_string(max_fpr));
  RocCurve curve = roc_curve(scores, labels);
  if (max_fpr == 1) return trapezoid_area(curve.fpr, curve.tpr);
  // The points with fpr <= max_fpr, then one interpolated at max_fpr.
  const std::size_t stop =
      static_cast<std::size_t>(std::upper_bound(curve.fpr.begin(), curve.fpr.end(), max_fpr) - curve.fpr.begin());
  const double x0 = curve.fpr[stop - 1], x1 = curve.fpr[stop], y0 = curve.tpr[stop - 1], y1 = curve.tpr[stop];
  const double y = y0 + (y1 - y0) * (max_fpr - x0) / (x1 - x0);
  curve.fpr.resize(stop);
  curve.tpr.resize(stop);
  curve.fpr.push_back(max_fpr);
  curve.tpr.push_back(y);
  const double area = trapezoid_area(curve.fpr, curve.tpr);
  const double min_area = 0.5 * max_fpr * max_fpr, max_area = max_fpr;  // chance diagonal, perfect detector
  return 0.5 * (1 + (area - min_area) / (max_area - min_area));
}

double threshold_at_percentile(const std::vector<double>& normal_scores, double percent) {
  if (normal_scores.empty()) throw Error("metrics: a percentile threshold needs at least one normal score");
  if (!(percent >= 0 && percent <= 100)) {
    throw Error("metrics: the percentile must lie in [0, 100], got " + std::to_string(percent));
  }
  check_inputs(normal_scores, std::vector<std::uint8_t>(normal_scores.size(), 0));
  std::vector<double> sorted = normal_scores;
  std::sort(sorted.begin(), sorted.end());
  const double position = percent / 100 * static_cast<double>(sorted.size() - 1);
  const auto low = static_cast<std::size_t>(std::floor(position));
  const std::size_t high = std::min(low + 1, sorted.size() - 1);
  return sorted[low] + (sorted[high] - sorted[low]) * (position - static_cast<double>(low));
}

double threshold_at_max_fpr(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels,
                            double max_fpr) {
  const ClassCounts counts = check_inputs(scores, labels);
  if (counts.negatives == 0) throw Error("metrics: a false-positive-rate threshold needs normal (label 0) samples");
  if (!(max_fpr >= 0 && max_fpr <= 1))
    throw Error("metrics: max_fpr must lie in [0, 1], got " + std::to_string(max_fpr));
  std::vector<double> normal;  // descending
  for (std::size_t i = 0; i < scores.size(); ++i) {
    if (labels[i] == 0) normal.push_back(scores[i]);
  }
  std::sort(normal.begin(), normal.end(), std::greater<>());
  const auto allowed = static_cast<std::size_t>(std::floor(max_fpr * static_cast<double>(normal.size())));
  if (allowed < normal.size()) return normal[allowed];  // only the `allowed` higher normals exceed it (ties: fewer)
  const double lowest = *std::min_element(scores.begin(), scores.end());
  return std::nextafter(lowest, -std::numeric_limits<double>::infinity());
}

Confusion confusion_at(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels, double threshold) {
  check_inputs(scores, labels);
  Confusion counts;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const bool flagged = scores[i] > threshold;
    if (labels[i]) {
      ++(flagged ? counts.true_positives : counts.false_negatives);
    } else {
      ++(flagged ? counts.false_positives : counts.true_negatives);
    }
  }
  return counts;
}

}  // namespace tinyae
