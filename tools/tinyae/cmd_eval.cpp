// tinyae eval --model RUN/model.safetensors [--data DIR|FILE.csv] [options]
//
// Scores a checkpoint on the data it was trained on (recorded in the
// checkpoint; --data points elsewhere, --label names a label column of a CSV
// file): the reconstruction MSE of the training and test splits, and per
// test vector an anomaly score (tinyae/scoring.h). A threshold is chosen on
// the validation split; with labels, ROC AUC, pAUC (FPR <= 0.1), the counts
// at the threshold, the same per group, and a mean-shift baseline that needs
// no training. With --json, stdout carries exactly one JSON object; logs go
// to stderr. --out DIR writes scores.csv (one row per test vector), roc.png,
// scores.png and report.json.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <limits>
#include <string>

#include <cxxopts.hpp>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include "commands.h"
#include "data_options.h"
#include "options.h"
#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/csv.h"
#include "tinyae/data_source.h"
#include "tinyae/export.h"
#include "tinyae/model_kind.h"
#include "tinyae/number_format.h"
#include "tinyae/quantize.h"
#include "tinyae/scoring.h"
#include "tinyae/train.h"

namespace tinyae::cli {
namespace {

namespace fs = std::filesystem;

// JSON has no NaN or infinity: a diverged model's figures are null.
nlohmann::json finite_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

double mean(const std::vector<double>& v) {
  double sum = 0;
  for (const double x : v) sum += x;
  return v.empty() ? std::nan("") : sum / static_cast<double>(v.size());
}

nlohmann::json confusion_json(const Confusion& c) {
  return {{"true_positives", c.true_positives},
          {"false_positives", c.false_positives},
          {"true_negatives", c.true_negatives},
          {"false_negatives", c.false_negatives}};
}

// The split's labels and scores restricted to group g.
template <typename T>
std::vector<T> in_group(const std::vector<T>& values, const std::vector<std::uint32_t>& group, std::uint32_t g) {
  std::vector<T> out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (group[i] == g) out.push_back(values[i]);
  }
  return out;
}

// scores.csv: index,group,line|image,label,score,anomaly (label empty without labels).
std::string scores_csv(const DataSpec& spec, const ModelData& data, const std::vector<double>& scores,
                       double threshold) {
  const DataSplit& test = data.test;
  std::string text =
      fmt::format("index,group,{},label,score,anomaly\n", spec.kind == DataKind::kCsv ? "line" : "image");
  for (std::size_t i = 0; i < scores.size(); ++i) {
    text += fmt::format("{},{},{},{},{:.9g},{}\n", i, csv_field(data.groups[test.group[i]]), test.where[i],
                        test.labels.empty() ? std::string() : std::to_string(test.labels[i]), scores[i],
                        scores[i] > threshold ? 1 : 0);
  }
  return text;
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  cxxopts::Options options(
      "tinyae eval", "Score a checkpoint on its data: reconstruction MSE, anomaly threshold, ROC AUC with labels.");
  options.custom_help("--model RUN/model.safetensors [--data DIR|FILE.csv] [options]");
  options.add_options()("model", "checkpoint written by tinyae train", cxxopts::value<std::string>())(
      "data", "MNIST folder or CSV file (default: what the checkpoint was trained on)", cxxopts::value<std::string>())(
      "label", "CSV: label column (0 normal, 1 anomaly), if the checkpoint records none",
      cxxopts::value<std::string>())(
      "threshold", "threshold rule on the validation split: pP (P-th percentile of normal scores) or fprF",
      cxxopts::value<std::string>()->default_value("p99"))(
      "format", "score as the device would: float32, or int8 (quantized as export --format int8 does)",
      cxxopts::value<std::string>()->default_value("float32"))(
      "calibration", "int8: calibrate on N training vectors, as export does",
      cxxopts::value<std::string>()->default_value(std::to_string(kDefaultCalibrationImages)))(
      "out", "write scores.csv, roc.png, scores.png and report.json into this folder", cxxopts::value<std::string>())(
      "json", "print the report as one JSON object on stdout and nothing else")(
      "batch-size", "vectors per forward pass", cxxopts::value<std::string>()->default_value("1000"))(
      "threads", "BLAS threads, 0 = all cores", cxxopts::value<std::string>()->default_value("0"))(
      "train-limit", "evaluate on the first N training vectors only, 0 = all",
      cxxopts::value<std::string>()->default_value("0"))("test-limit",
                                                         "evaluate on the first N test vectors only, 0 = all",
                                                         cxxopts::value<std::string>()->default_value("0"))(
      "quiet", "log warnings and errors only")("h,help", "print this help");
  const std::optional<cxxopts::ParseResult> parsed =
      parse_command(options, argc, argv, {{"model", "--model RUN/model.safetensors is required"}});
  if (!parsed) return 0;
  const cxxopts::ParseResult& args = *parsed;
  constexpr auto kMaxLimit = std::numeric_limits<std::int64_t>::max();
  const std::int64_t batch_size =
      parse_integer<std::int64_t>("batch-size", args["batch-size"].as<std::string>(), 1, kMaxBatchSize);
  const auto threads = parse_integer<int>("threads", args["threads"].as<std::string>(), 0, kMaxThreads);
  const std::int64_t train_limit =
      parse_integer<std::int64_t>("train-limit", args["train-limit"].as<std::string>(), 0, kMaxLimit);
  const std::int64_t test_limit =
      parse_integer<std::int64_t>("test-limit", args["test-limit"].as<std::string>(), 0, kMaxLimit);
  ThresholdRule rule;
  try {
    rule = parse_threshold_rule(args["threshold"].as<std::string>());
  } catch (const Error& e) {
    throw UsageError(std::string("--threshold: ") + e.what());
  }
  const NumberFormat format = parse_number_format(args["format"].as<std::string>()).format;
  const std::int64_t calibration =
      parse_integer<std::int64_t>("calibration", args["calibration"].as<std::string>(), 1, kMaxCalibrationImages);
  const fs::path out_dir = args.count("out") ? fs::path(args["out"].as<std::string>()) : fs::path();
  if (args.count("out") && out_dir.empty()) throw UsageError("--out needs a folder");

  // 1. The checkpoint, then its data (the recorded source, or --data).
  const fs::path model_path = args["model"].as<std::string>();
  Checkpoint checkpoint = load_checkpoint(model_path);
  const CheckpointMeta& meta = checkpoint.meta;
  if (meta.data.path.empty() && !args.count("data")) {
    throw UsageError(
        fmt::format("'{}' does not record its data (an older checkpoint, or one imported without --data): give --data",
                    model_path.string()));
  }
  const DataSpec spec = parse_data_options(args, &meta.data);
  if (input_size_of(spec) != meta.model.input_size) {
    throw Error(fmt::format("'{}' takes {} inputs, but {} gives vectors of {} values", model_path.string(),
                            meta.model.input_size, spec.describe(), input_size_of(spec)));
  }
  check_memory_fits(meta.model.inference_memory_bytes(batch_size),
                    fmt::format("evaluating this model ({} parameters) on batches of {} vectors",
                                meta.model.parameter_count(), batch_size),
                    "use a smaller --batch-size");
  ModelData data = load_model_data(spec, meta.input_scaling, train_limit);
  if (test_limit > 0 && test_limit < data.test.size()) {
    data.test.x = data.test.x.slice(0, 0, test_limit);
    if (!data.test.labels.empty()) data.test.labels.resize(static_cast<std::size_t>(test_limit));
    data.test.group.resize(static_cast<std::size_t>(test_limit));
    data.test.where.resize(static_cast<std::size_t>(test_limit));
  }
  if (data.checksum != meta.data_checksum) {
    spdlog::warn("{} holds other data (checksum {}) than '{}' was trained on ({})", spec.describe(), data.checksum,
                 model_path.string(), meta.data_checksum);
  }
  configure_compute_threads(threads, GemmEngine::kBlas);  // the module's forward: LibTorch on the BLAS

  // 2. Scores as the device computes them (float32, or the int8 network
  // export would write), the threshold from the validation split exactly as
  // export chooses it, the figures of merit.
  Autoencoder& model = checkpoint.model;
  model->eval();
  QuantizedNetwork network;
  const QuantizedNetwork* int8 = nullptr;
  if (format == NumberFormat::kInt8) {
    network = quantize_autoencoder(model, data.train.x, calibration, data.bounded, spec.describe());
    int8 = &network;
  }
  const std::vector<double> train_scores = anomaly_scores(model, int8, data.train.x, batch_size);
  const std::vector<double> test_scores = anomaly_scores(model, int8, data.test.x, batch_size);
  const AnomalyThreshold chosen =
      choose_anomaly_threshold(model, int8, data.validation.x, data.validation.labels, rule);
  const ChosenThreshold threshold{chosen.threshold, chosen.rule};
  const std::vector<std::uint8_t>& labels = data.test.labels;
  nlohmann::json report = {{"model", model_path.string()},
                           {"data", spec.describe()},
                           {"format", number_format_name(format)},
                           {"train_mse", finite_or_null(mean(train_scores))},
                           {"test_mse", finite_or_null(mean(test_scores))},
                           {"test_vectors", test_scores.size()},
                           {"threshold", {{"value", threshold.value}, {"rule", threshold.rule}}},
                           {"flagged", std::count_if(test_scores.begin(), test_scores.end(),
                                                     [&](double s) { return s > threshold.value; })}};
  // The kind's own figures (float32 model; denoising corrupts the test
  // vectors as training corrupted its validation vectors).
  report["kind"] = meta.kind.to_json();
  at::Generator generator = epoch_generator(meta.options.seed, 0);
  const nlohmann::json kind_report =
      kind_figures(model, meta.kind, inputs_in_unit_range(spec), data.test.x, generator, batch_size);
  for (const auto& [key, value] : kind_report.items()) report[key] = value;
  if (!labels.empty()) {
    report["anomalies"] = std::count(labels.begin(), labels.end(), 1);
    const nlohmann::json auc = auc_json(test_scores, labels);
    report["auc"] = auc["auc"];
    report["pauc"] = auc["pauc"];
    report["pauc_max_fpr"] = kPartialAucMaxFpr;
    report["confusion"] = confusion_json(confusion_at(test_scores, labels, threshold.value));
    const MeanShiftBaseline baseline(data.train.x, static_cast<std::int64_t>(data.scaling.offset.size()));
    const std::vector<double> baseline_scores = baseline.scores(data.test.x);
    const nlohmann::json base = auc_json(baseline_scores, labels);
    report["baseline"] = {{"method", "largest per-feature mean shift, in training standard deviations"},
                          {"auc", base["auc"]},
                          {"pauc", base["pauc"]}};
    nlohmann::json groups = nlohmann::json::array();
    for (std::uint32_t g = 0; g < data.groups.size() && data.groups.size() > 1; ++g) {
      const auto s = in_group(test_scores, data.test.group, g);
      const auto l = in_group(labels, data.test.group, g);
      nlohmann::json row = auc_json(s, l);
      row["group"] = data.groups[g];
      row["vectors"] = s.size();
      row["anomalies"] = std::count(l.begin(), l.end(), 1);
      const nlohmann::json group_base = auc_json(in_group(baseline_scores, data.test.group, g), l);
      row["baseline_auc"] = group_base["auc"];
      row["baseline_pauc"] = group_base["pauc"];
      groups.push_back(row);
    }
    if (!groups.empty()) report["groups"] = groups;
  }

  // 3. Files, then the report.
  const bool have_auc = report.contains("auc") && !report["auc"].is_null();
  if (!out_dir.empty()) {
    ensure_writable_directory(out_dir);
    write_file_atomically(out_dir / "scores.csv", scores_csv(spec, data, test_scores, threshold.value));
    draw_score_histogram_png(out_dir / "scores.png", test_scores, labels, threshold.value,
                             "Anomaly scores of the test split");
    std::vector<std::string> files = {"scores.csv", "scores.png"};
    if (have_auc) {
      draw_roc_png(out_dir / "roc.png", roc_curve(test_scores, labels), report["auc"].get<double>(),
                   confusion_at(test_scores, labels, threshold.value), "ROC of the test split");
      files.push_back("roc.png");
    }
    files.push_back("report.json");
    report["files"] = files;
    write_file_atomically(out_dir / "report.json", report.dump(2) + "\n");
  }
  if (args.count("json")) {
    std::cout << report.dump() << "\n";
    return 0;
  }
  std::cout << fmt::format("model: {} ({}, epoch {})\n", model_path.string(), model->config().describe(), meta.epoch)
            << fmt::format("data: {}\n", spec.describe())
            << fmt::format("train_mse: {:.6f} ({} vectors)\n", mean(train_scores), train_scores.size())
            << fmt::format("test_mse:  {:.6f} ({} vectors)\n", mean(test_scores), test_scores.size())
            << fmt::format("threshold: {:.6g} ({})\n", threshold.value, threshold.rule)
            << fmt::format("kind: {}; latent: mean |z| {:.6g}, {:.4f} of the values below {}\n", meta.kind.describe(),
                           report["latent"]["mean_activation"].get<double>(),
                           report["latent"]["near_zero_fraction"].get<double>(), kNearZeroActivation);
  if (report.contains("denoising")) {
    std::cout << fmt::format("denoising: MSE of the corrupted test vectors {:.6f}, of their reconstructions {:.6f}\n",
                             report["denoising"]["noisy_input_mse"].get<double>(),
                             report["denoising"]["denoised_mse"].get<double>());
  }
  if (report.contains("variational")) {
    const nlohmann::json& v = report["variational"];
    std::cout << fmt::format("variational: negative ELBO {:.2f} nats per image (BCE {:.2f} + KL {:.2f}; {})\n",
                             v["negative_elbo"].get<double>(), v["reconstruction_bce"].get<double>(),
                             v["kl"].get<double>(), v["estimator"].get<std::string>());
    const nlohmann::json& at_mean = v["negative_elbo_at_mean"];
    std::cout << fmt::format(
        "variational: negative ELBO at the mean {:.2f} nats per image (BCE {:.2f} + KL {:.2f}; {})\n",
        at_mean["value"].get<double>(), at_mean["reconstruction_bce"].get<double>(), at_mean["kl"].get<double>(),
        at_mean["estimator"].get<std::string>());
  }
  if (have_auc) {
    const nlohmann::json& c = report["confusion"];
    const nlohmann::json& baseline = report["baseline"]["auc"];
    std::cout << fmt::format("auc: {:.4f}  pauc: {:.4f}  (baseline auc {})\n", report["auc"].get<double>(),
                             report["pauc"].get<double>(),
                             baseline.is_number() ? fmt::format("{:.4f}", baseline.get<double>()) : "none")
              << fmt::format("at the threshold: {} of {} anomalies flagged, {} false alarms among {} normal\n",
                             c["true_positives"].get<std::size_t>(), report["anomalies"].get<std::size_t>(),
                             c["false_positives"].get<std::size_t>(),
                             c["false_positives"].get<std::size_t>() + c["true_negatives"].get<std::size_t>());
  } else {
    std::cout << fmt::format("flagged above the threshold: {} of {}\n", report["flagged"].get<std::size_t>(),
                             test_scores.size());
  }
  if (!out_dir.empty()) std::cout << fmt::format("wrote {}\n", (out_dir / "report.json").string());
  return 0;
}

}  // namespace tinyae::cli
