// roc.png and scores.png of `tinyae eval` (tinyae/scoring.h), drawn with the
// kit of plot.h.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <spdlog/fmt/fmt.h>

#include "plot.h"
#include "tinyae/common.h"
#include "tinyae/scoring.h"

namespace tinyae {
namespace {

using namespace plot;

constexpr int kRocSize = 560;
constexpr int kHistogramWidth = 800, kHistogramHeight = 500;
constexpr int kHistogramBins = 60;

}  // namespace

void draw_roc_png(const std::filesystem::path& path, const RocCurve& curve, double auc, const Confusion& c,
                  const std::string& title) {
  if (curve.fpr.size() < 2 || curve.fpr.size() != curve.tpr.size()) {
    throw Error(fmt::format("{}: a ROC curve needs at least two points", path.string()));
  }
  Canvas canvas = make_canvas(kRocSize, kRocSize, path);
  cairo_t* cr = canvas.cr.get();
  Frame f = standard_frame(kRocSize, kRocSize);
  f.x_lo = f.y_lo = -0.02;
  f.x_hi = f.y_hi = 1.02;
  draw_axes(cr, f, kRocSize, 0.1, "False positive rate", "True positive rate", title);
  cairo_save(cr);
  cairo_rectangle(cr, f.left, f.top, f.width, f.height);
  cairo_clip(cr);
  const double dashes[] = {6, 4};
  cairo_set_dash(cr, dashes, 2, 0);
  cairo_set_line_width(cr, 1);
  stroke_line(cr, kGrid, f.px(0), f.py(0), f.px(1), f.py(1));  // chance
  cairo_set_dash(cr, nullptr, 0, 0);
  set_colour(cr, kBlue);
  cairo_set_line_width(cr, 2);
  cairo_move_to(cr, f.px(curve.fpr[0]), f.py(curve.tpr[0]));
  for (std::size_t i = 1; i < curve.fpr.size(); ++i) cairo_line_to(cr, f.px(curve.fpr[i]), f.py(curve.tpr[i]));
  cairo_stroke(cr);
  const double negatives = static_cast<double>(c.false_positives + c.true_negatives);
  const double positives = static_cast<double>(c.true_positives + c.false_negatives);
  if (negatives > 0 && positives > 0) {
    set_colour(cr, kRed);
    cairo_arc(cr, f.px(static_cast<double>(c.false_positives) / negatives),
              f.py(static_cast<double>(c.true_positives) / positives), 5, 0, 2 * M_PI);
    cairo_fill(cr);
  }
  cairo_restore(cr);
  const std::pair<std::string, Rgb> entries[] = {{fmt::format("ROC, AUC {:.4f}", auc), kBlue}, {"the threshold", kRed}};
  draw_legend(cr, f.px(0.45), f.py(0.25), 190, entries, 2);
  write_png(canvas, path);
}

void draw_score_histogram_png(const std::filesystem::path& path, const std::vector<double>& scores,
                              const std::vector<std::uint8_t>& labels, double threshold, const std::string& title) {
  if (scores.empty()) throw Error(fmt::format("{}: no scores to plot", path.string()));
  // Scores span decades (a clean vector 1e-4, a broken sensor 10): bins and
  // the x axis are log10(score).
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  auto log_of = [](double s) { return std::log10(std::max(s, 1e-12)); };
  for (const double s : scores) {
    lo = std::min(lo, log_of(s));
    hi = std::max(hi, log_of(s));
  }
  if (std::isfinite(threshold) && threshold > 0) {
    lo = std::min(lo, log_of(threshold));
    hi = std::max(hi, log_of(threshold));
  }
  if (hi - lo < 1e-9) {
    lo -= 0.5;
    hi += 0.5;
  }
  const double width = (hi - lo) / kHistogramBins;
  std::vector<double> normal(kHistogramBins, 0), anomalous(kHistogramBins, 0);
  double normal_total = 0, anomalous_total = 0;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const int bin = std::clamp(static_cast<int>((log_of(scores[i]) - lo) / width), 0, kHistogramBins - 1);
    const bool anomaly = !labels.empty() && labels[i] == 1;
    (anomaly ? anomalous : normal)[static_cast<std::size_t>(bin)] += 1;
    (anomaly ? anomalous_total : normal_total) += 1;
  }
  // Each class as a share of its own count, so that 149 anomalies show next to 18,000 normal readings.
  double top = 0;
  for (int b = 0; b < kHistogramBins; ++b) {
    if (normal_total > 0) normal[b] /= normal_total;
    if (anomalous_total > 0) anomalous[b] /= anomalous_total;
    top = std::max({top, normal[b], anomalous[b]});
  }
  Canvas canvas = make_canvas(kHistogramWidth, kHistogramHeight, path);
  cairo_t* cr = canvas.cr.get();
  Frame f = standard_frame(kHistogramWidth, kHistogramHeight);
  f.x_lo = lo;
  f.x_hi = hi;
  f.y_lo = 0;
  f.y_hi = top * 1.1;
  draw_axes(cr, f, kHistogramHeight, 0.0, "log10(score)", "Share of the class", title);
  auto bars = [&](const std::vector<double>& share, Rgb colour) {
    cairo_set_source_rgba(cr, colour.r, colour.g, colour.b, 0.55);
    for (int b = 0; b < kHistogramBins; ++b) {
      if (share[b] <= 0) continue;
      const double x0 = f.px(lo + b * width), x1 = f.px(lo + (b + 1) * width);
      cairo_rectangle(cr, x0, f.py(share[b]), x1 - x0, f.py(0) - f.py(share[b]));
      cairo_fill(cr);
    }
  };
  bars(normal, kBlue);
  bars(anomalous, kOrange);
  if (std::isfinite(threshold) && threshold > 0) {
    cairo_set_line_width(cr, 2);
    stroke_line(cr, kRed, f.px(log_of(threshold)), f.top, f.px(log_of(threshold)), f.top + f.height);
  }
  std::vector<std::pair<std::string, Rgb>> entries = {{fmt::format("normal ({:.0f})", normal_total), kBlue}};
  if (anomalous_total > 0) entries.push_back({fmt::format("anomaly ({:.0f})", anomalous_total), kOrange});
  entries.push_back({"threshold", kRed});
  draw_legend(cr, f.left + f.width - 190, f.top + 10, 180, entries.data(), static_cast<int>(entries.size()));
  write_png(canvas, path);
}

}  // namespace tinyae
