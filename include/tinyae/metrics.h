// Anomaly detection metrics over scores (higher = more anomalous) and labels
// (1 anomaly = positive, 0 normal = negative). Torch-free.
//
// Decision rule: a sample is flagged as an anomaly when score > threshold
// (strictly; a score equal to the threshold is normal), both on the host and
// on the device.
//
// ROC and AUC match scikit-learn's roc_curve / roc_auc_score: one point per
// distinct score, so tied scores form one step, and the area is the sum of
// trapezoids between points. Partial AUC is roc_auc_score(max_fpr=0.1), the
// pAUC of MLPerf Tiny's anomaly detection benchmark: the area up to
// FPR = max_fpr (the last segment cut by linear interpolation), McClish-
// standardised, 0.5 + 0.5 * (area - max_fpr^2 / 2) / (max_fpr - max_fpr^2 / 2),
// so that a chance detector scores 0.5 and a perfect one 1.
//
// Every function throws tinyae::Error on scores and labels of different
// lengths, a non-finite score, a label other than 0/1, and (for the ROC)
// samples of only one class.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace tinyae {

// Point i: the rates when scores >= thresholds[i] are flagged (scikit-learn's
// convention for curve points). Point 0 is (0, 0) with threshold +infinity;
// thresholds then fall through every distinct score, the last point is (1, 1).
struct RocCurve {
  std::vector<double> fpr, tpr, thresholds;
};

RocCurve roc_curve(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels);
double roc_auc(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels);
// max_fpr in (0, 1]; max_fpr = 1 gives roc_auc.
double partial_roc_auc(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels,
                       double max_fpr = 0.1);

// The `percent` percentile (0..100) of the given normal scores, interpolated
// linearly between order statistics (numpy.percentile's default): with
// percent = 99, about 1% of such scores lie above it.
double threshold_at_percentile(const std::vector<double>& normal_scores, double percent);

// The lowest threshold that flags at most floor(max_fpr * normals) normal
// samples: a normal sample's score (the (k+1)-th highest), which maximises
// the true positive rate under that bound. When every normal may be flagged,
// just below the lowest score.
double threshold_at_max_fpr(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels, double max_fpr);

// Counts at a threshold (score > threshold = anomaly).
struct Confusion {
  std::size_t true_positives = 0, false_positives = 0, true_negatives = 0, false_negatives = 0;
};
Confusion confusion_at(const std::vector<double>& scores, const std::vector<std::uint8_t>& labels, double threshold);

}  // namespace tinyae
