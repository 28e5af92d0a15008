// Metrics on a small example worked out by hand, and their refusals.
#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "tinyae/common.h"
#include "tinyae/metrics.h"

using tinyae::Error;

namespace {

// Six samples, two anomalous, with a tie (0.35) between an anomaly and a normal.
// Sorted by score: 0.8 (1), 0.4 (0), 0.35 (1), 0.35 (0), 0.2 (0), 0.1 (0); P = 2, N = 4.
const std::vector<double> kScores{0.1, 0.4, 0.35, 0.8, 0.35, 0.2};
const std::vector<std::uint8_t> kLabels{0, 0, 1, 1, 0, 0};

}  // namespace

TEST(Metrics, RocCurveHasOnePointPerDistinctScore) {
  // Flag score >= t for t = inf, 0.8, 0.4, 0.35, 0.2, 0.1:
  // (fp, tp) = (0, 0), (0, 1), (1, 1), (2, 2) (the tie moves both), (3, 2), (4, 2).
  const tinyae::RocCurve curve = tinyae::roc_curve(kScores, kLabels);
  EXPECT_EQ(curve.fpr, (std::vector<double>{0, 0, 0.25, 0.5, 0.75, 1}));
  EXPECT_EQ(curve.tpr, (std::vector<double>{0, 0.5, 0.5, 1, 1, 1}));
  EXPECT_EQ(curve.thresholds[0], std::numeric_limits<double>::infinity());
  EXPECT_EQ(curve.thresholds[3], 0.35);
}

TEST(Metrics, AucIsTheTrapezoidArea) {
  // Trapezoids: 0.25 * (0.5 + 0.5) / 2 + 0.25 * (0.5 + 1) / 2 + 0.25 + 0.25 = 0.8125.
  // Cross-check (Mann-Whitney): anomaly 0.8 beats 4 normals, anomaly 0.35 beats
  // 0.2 and 0.1 and ties 0.35 (one half): (4 + 2.5) / (2 * 4) = 0.8125.
  EXPECT_DOUBLE_EQ(tinyae::roc_auc(kScores, kLabels), 0.8125);
}

TEST(Metrics, PartialAucIsMcClishStandardised) {
  // Up to FPR 0.1: points (0, 0), (0, 0.5), then tpr interpolated at 0.1 between
  // (0, 0.5) and (0.25, 0.5): 0.5. Area = 0.1 * 0.5 = 0.05. Chance area 0.1^2 / 2
  // = 0.005, perfect 0.1: 0.5 * (1 + (0.05 - 0.005) / (0.1 - 0.005)) = 14 / 19.
  EXPECT_DOUBLE_EQ(tinyae::partial_roc_auc(kScores, kLabels, 0.1), 14.0 / 19.0);
  EXPECT_DOUBLE_EQ(tinyae::partial_roc_auc(kScores, kLabels, 1.0), 0.8125);
  // A perfect detector scores 1, a reversed one 0 (area 0 - 0.005 -> 0.5 * (1 - 0.005 / 0.095)).
  EXPECT_DOUBLE_EQ(tinyae::partial_roc_auc({1, 2, 3, 4}, {0, 0, 1, 1}), 1.0);
  EXPECT_NEAR(tinyae::partial_roc_auc({4, 3, 2, 1}, {0, 0, 1, 1}), 0.5 * (1 - 0.005 / 0.095), 1e-15);
}

TEST(Metrics, ThresholdAtPercentileInterpolates) {
  // Normal scores sorted: 0.1, 0.2, 0.35, 0.4. 50%: position 1.5 -> 0.2 + 0.5 * 0.15;
  // 90%: position 2.7 -> 0.35 + 0.7 * 0.05.
  const std::vector<double> normal{0.4, 0.35, 0.2, 0.1};
  EXPECT_DOUBLE_EQ(tinyae::threshold_at_percentile(normal, 50), 0.275);
  EXPECT_NEAR(tinyae::threshold_at_percentile(normal, 90), 0.385, 1e-15);
  EXPECT_EQ(tinyae::threshold_at_percentile(normal, 100), 0.4);
  EXPECT_EQ(tinyae::threshold_at_percentile(normal, 0), 0.1);
}

TEST(Metrics, ThresholdAtMaxFprAndConfusionCounts) {
  // max FPR 0.25 of 4 normals: 1 may be flagged -> the second-highest normal score, 0.35.
  // Flagged (> 0.35): 0.8 (anomaly), 0.4 (normal); the tied 0.35 anomaly is missed.
  const double threshold = tinyae::threshold_at_max_fpr(kScores, kLabels, 0.25);
  EXPECT_EQ(threshold, 0.35);
  const tinyae::Confusion counts = tinyae::confusion_at(kScores, kLabels, threshold);
  EXPECT_EQ(counts.true_positives, 1u);
  EXPECT_EQ(counts.false_positives, 1u);
  EXPECT_EQ(counts.true_negatives, 3u);
  EXPECT_EQ(counts.false_negatives, 1u);
  // No false positive allowed: the highest normal score, 0.4; every normal may be flagged: below 0.1.
  EXPECT_EQ(tinyae::threshold_at_max_fpr(kScores, kLabels, 0.0), 0.4);
  const double all = tinyae::threshold_at_max_fpr(kScores, kLabels, 1.0);
  EXPECT_LT(all, 0.1);
  EXPECT_EQ(tinyae::confusion_at(kScores, kLabels, all).true_negatives, 0u);
}

TEST(MetricsRefuse, BadInputs) {
  const auto refused = [](auto&& call, const std::string& piece) {
    try {
      call();
      ADD_FAILURE() << "accepted; expected: " << piece;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(piece), std::string::npos) << e.what();
    }
  };
  refused([] { tinyae::roc_auc({1, 2}, {0, 0}); }, "both normal (0) and anomalous (1)");
  refused([] { tinyae::roc_auc({1, 2}, {0}); }, "2 scores but 1 labels");
  refused([] { tinyae::roc_auc({1, std::nan("")}, {0, 1}); }, "score 1 is not finite");
  refused([] { tinyae::roc_auc({1, 2}, {0, 2}); }, "label 1 is 2");
  refused([] { tinyae::partial_roc_auc({1, 2}, {0, 1}, 0); }, "max_fpr");
  refused([] { tinyae::threshold_at_percentile({}, 50); }, "at least one normal score");
  refused([] { tinyae::threshold_at_percentile({1}, 101); }, "percentile");
  refused([] { tinyae::threshold_at_max_fpr({1}, {1}, 0.1); }, "needs normal");
}
