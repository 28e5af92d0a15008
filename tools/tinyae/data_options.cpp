// Data flags to a DataSpec (see data_options.h).
#include "data_options.h"

#include <cctype>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <spdlog/fmt/fmt.h>

#include "commands.h"
#include "options.h"
#include "tinyae/common.h"
#include "tinyae/model.h"

namespace tinyae::cli {
namespace {

namespace fs = std::filesystem;

// Flags that only a CSV source reads, and the one only MNIST reads.
const std::vector<const char*> kCsvFlags = {
    "features", "group", "window", "stride", "train-fraction", "validation-fraction", "scaling", "keep-anomalies"};

std::vector<std::string> parse_names(const std::string& flag, const std::string& text) {
  std::vector<std::string> names;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = text.find(',', begin);
    names.push_back(text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin));
    if (names.back().empty()) throw UsageError(fmt::format("--{}: empty column name in '{}'", flag, text));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return names;
}

// A file, or a path that does not exist but is named like one, is read as
// CSV; anything else as an MNIST folder (whose loader names what is missing).
bool looks_like_csv(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return false;
  if (fs::exists(path, ec)) return true;
  std::string extension = path.extension().string();
  for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return extension == ".csv" || extension == ".txt" || extension == ".tsv";
}

}  // namespace

void add_training_data_options(cxxopts::Options& options) {
  options.add_options("Data (CSV files)")("features", "feature columns, comma-separated (required for a CSV file)",
                                          cxxopts::value<std::string>())(
      "label", "label column: 0 normal, 1 anomaly (optional)", cxxopts::value<std::string>())(
      "group", "group column, e.g. a sensor id: windows never cross groups (optional)", cxxopts::value<std::string>())(
      "window", "rows per input vector, 0 = one row each", cxxopts::value<std::string>()->default_value("0"))(
      "stride", "rows between window starts", cxxopts::value<std::string>()->default_value("1"))(
      "train-fraction", "first share of each group's rows for training",
      cxxopts::value<std::string>()->default_value("0.3"))(
      "validation-fraction", "next share for validation (val_loss, thresholds); the rest is the test split",
      cxxopts::value<std::string>()->default_value("0.1"))(
      "scaling", "per-feature scaling fitted on the training split: minmax or zscore",
      cxxopts::value<std::string>()->default_value("minmax"))(
      "keep-anomalies", "with --label: train on windows holding anomalies too (default: normal ones only)");
  options.add_options("Data (MNIST)")("digit", "one-class MNIST: train on this digit only; the others are anomalies",
                                      cxxopts::value<std::string>());
}

DataSpec parse_data_options(const cxxopts::ParseResult& args, const DataSpec* base) {
  auto given = [&](const char* flag) { return args.count(flag) > 0; };
  auto text = [&](const char* flag) { return args[flag].as<std::string>(); };
  DataSpec spec = base ? *base : DataSpec{};
  if (given("data")) {
    const fs::path path = text("data");
    const DataKind kind = looks_like_csv(path) ? DataKind::kCsv : DataKind::kMnist;
    // A checkpoint that records no data path is of format 2: MNIST.
    if (base && kind != base->kind) {
      throw UsageError(fmt::format("--data '{}' is {}, but the model was trained on {}", path.string(),
                                   kind == DataKind::kMnist ? "a folder (MNIST)" : "a file (CSV)", base->describe()));
    }
    spec.kind = kind;
    spec.path = fs::absolute(path).lexically_normal();
  }
  const bool csv = spec.kind == DataKind::kCsv;
  for (const char* flag : kCsvFlags) {
    if (!csv && given(flag))
      throw UsageError(fmt::format("--{} applies to CSV data; '{}' is an MNIST folder", flag, spec.path.string()));
  }
  if (csv && given("digit")) throw UsageError("--digit applies to MNIST; --data is a CSV file");
  if (!csv && given("label")) throw UsageError("--label applies to CSV data; one-class MNIST labels come from --digit");
  if (given("digit")) spec.digit = parse_integer<std::int64_t>("digit", text("digit"), 0, 9);
  if (!csv) return spec;

  CsvSpec& c = spec.csv;
  WindowSpec& w = c.windows;
  const bool fresh = base == nullptr || base->kind != DataKind::kCsv;
  if (given("features")) c.columns.features = parse_names("features", text("features"));
  if (c.columns.features.empty()) {
    throw UsageError(
        fmt::format("--data '{}' is read as a CSV file (it is not an MNIST folder): --features is required, "
                    "the columns to read, e.g. --features humidity,temperature",
                    spec.path.string()));
  }
  if (given("label")) c.columns.label = text("label");
  if (given("group")) c.columns.group = text("group");
  if (fresh || given("window")) {
    w.window = parse_integer<std::size_t>("window", text("window"), 0, static_cast<std::size_t>(kMaxLayerSize));
  }
  if (fresh || given("stride")) {
    w.stride = parse_integer<std::size_t>("stride", text("stride"), 1, static_cast<std::size_t>(kMaxLayerSize));
  }
  if (fresh || given("train-fraction")) {
    w.train_fraction = parse_real("train-fraction", text("train-fraction"), 0, 1, false);
  }
  if (fresh || given("validation-fraction")) {
    w.validation_fraction = parse_real("validation-fraction", text("validation-fraction"), 0, 1, false);
  }
  if (w.train_fraction + w.validation_fraction >= 1) {
    throw UsageError(fmt::format("--train-fraction {} and --validation-fraction {} leave nothing for the test split",
                                 w.train_fraction, w.validation_fraction));
  }
  if (fresh || given("keep-anomalies") || given("label")) {
    w.normal_only_train = !c.columns.label.empty() && !given("keep-anomalies");
  }
  if (given("keep-anomalies") && c.columns.label.empty()) throw UsageError("--keep-anomalies needs --label");
  if (fresh || given("scaling")) {
    try {
      spec.scaling = scaling_kind_from_name(text("scaling"));
    } catch (const Error& e) {
      throw UsageError(std::string("--scaling: ") + e.what());
    }
  }
  const std::int64_t size = input_size_of(spec);
  if (size > kMaxLayerSize) {
    throw UsageError(fmt::format("--window {} x {} features is {} inputs, more than the runtime's {}", w.window,
                                 c.columns.features.size(), size, kMaxLayerSize));
  }
  return spec;
}

std::int64_t input_size_of(const DataSpec& spec) {
  if (spec.kind == DataKind::kMnist) return 784;
  const std::size_t window = std::max<std::size_t>(1, spec.csv.windows.window);
  return static_cast<std::int64_t>(window * spec.csv.columns.features.size());
}

}  // namespace tinyae::cli
