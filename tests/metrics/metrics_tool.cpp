// Prints tinyae's metrics for a CSV of scores and labels (columns "score" and
// "label") as JSON, for compare_sklearn.py to check against scikit-learn.
//
// Usage: metrics_tool SCORES.csv
#include <algorithm>
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "tinyae/common.h"
#include "tinyae/csv.h"
#include "tinyae/metrics.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: metrics_tool SCORES.csv\n");
    return 2;
  }
  try {
    const tinyae::CsvTable table = tinyae::read_csv(argv[1], tinyae::CsvColumns{{"score"}, "label", ""});
    const std::vector<double> scores(table.values.begin(), table.values.end());
    const std::vector<std::uint8_t>& labels = table.labels;
    std::vector<double> normal;
    for (std::size_t i = 0; i < scores.size(); ++i) {
      if (labels[i] == 0) normal.push_back(scores[i]);
    }
    const tinyae::RocCurve curve = tinyae::roc_curve(scores, labels);
    const double threshold = tinyae::threshold_at_max_fpr(scores, labels, 0.1);
    const tinyae::Confusion counts = tinyae::confusion_at(scores, labels, threshold);
    const nlohmann::json out = {
        {"auc", tinyae::roc_auc(scores, labels)},
        {"pauc", tinyae::partial_roc_auc(scores, labels, 0.1)},
        {"pauc_0.3", tinyae::partial_roc_auc(scores, labels, 0.3)},
        {"fpr", curve.fpr},
        {"tpr", curve.tpr},
        {"thresholds", std::vector<double>(curve.thresholds.begin() + 1, curve.thresholds.end())},
        {"percentile_95", tinyae::threshold_at_percentile(normal, 95)},
        {"threshold_max_fpr_0.1", threshold},
        {"confusion", {counts.true_negatives, counts.false_positives, counts.false_negatives, counts.true_positives}},
    };
    std::cout << out.dump() << "\n";
    return 0;
  } catch (const tinyae::Error& e) {
    std::fprintf(stderr, "metrics_tool: %s\n", e.what());
    return 1;
  }
}
