// Windows and time splits over a CSV table; the rules are in tinyae/dataset.h.
#include "tinyae/dataset.h"

#include <cmath>

#include "tinyae/common.h"
#include "tinyae/json_reader.h"

namespace tinyae {
namespace {

enum SplitIndex { kTrain = 0, kValidation = 1, kTest = 2 };
constexpr const char* kSplitNames[] = {"training", "validation", "test"};

}  // namespace

void validate_window_spec(const WindowSpec& spec, bool has_labels) {
  if (spec.stride == 0) throw Error("the window stride must be at least 1 row");
  const double train = spec.train_fraction, validation = spec.validation_fraction;
  if (!(train > 0 && train <= 1)) {
    throw Error("the training fraction must lie in (0, 1], got " + std::to_string(train));
  }
  if (!(validation >= 0 && train + validation <= 1)) {
    throw Error("the validation fraction must lie in [0, 1 - training fraction], got " + std::to_string(validation) +
                " with a training fraction of " + std::to_string(train));
  }
  if (spec.normal_only_train && !has_labels) {
    throw Error("training on normal rows only needs a label column (0 normal, 1 anomaly)");
  }
}

namespace {

// First row of the validation and of the test part of a group of n rows.
struct SplitBounds {
  std::size_t validation_start, test_start;
};

SplitBounds split_bounds(std::size_t n, const WindowSpec& spec) {
  const auto cut = [n](double fraction) {
    return std::min(n, static_cast<std::size_t>(std::floor(static_cast<double>(n) * fraction)));
  };
  return {cut(spec.train_fraction), cut(spec.train_fraction + spec.validation_fraction)};
}

SplitIndex split_of(std::size_t row, const SplitBounds& bounds) {
  return row < bounds.validation_start ? kTrain : row < bounds.test_start ? kValidation : kTest;
}

// Appends the window of `window` rows ending at table row `last` to `samples`.
void append_window(const CsvTable& table, std::size_t last, std::uint32_t group, Samples& samples) {
  const std::size_t features = table.features();
  const std::size_t first = last + 1 - samples.window;
  samples.x.insert(samples.x.end(), table.values.begin() + static_cast<std::ptrdiff_t>(first * features),
                   table.values.begin() + static_cast<std::ptrdiff_t>((last + 1) * features));
  if (!table.labels.empty()) samples.labels.push_back(table.labels[last]);
  samples.group.push_back(group);
  samples.last_row.push_back(last);
  samples.last_line.push_back(table.lines[last]);
}

bool holds_anomaly(const CsvTable& table, std::size_t first, std::size_t last) {
  for (std::size_t row = first; row <= last; ++row) {
    if (table.labels[row] != 0) return true;
  }
  return false;
}

void check_not_empty(const Dataset& data, const WindowSpec& spec, const std::string& name) {
  const Samples* splits[] = {&data.train, &data.validation, &data.test};
  const double fractions[] = {spec.train_fraction, spec.validation_fraction,
                              1 - spec.train_fraction - spec.validation_fraction};
  for (int s = kTrain; s <= kTest; ++s) {
    if (splits[s]->size() == 0 && fractions[s] > 1e-12) {
      throw Error("'" + name + "': the " + kSplitNames[s] + " split holds no window of " +
                  std::to_string(splits[s]->window) + " rows (" + std::to_string(data.rows_read) + " rows read" +
                  (spec.normal_only_train && s == kTrain ? ", normal windows only" : "") +
                  "); use a shorter window or a larger fraction");
    }
  }
}

}  // namespace

Dataset make_dataset(const CsvTable& table, const WindowSpec& spec, const std::string& name) {
  validate_window_spec(spec, !table.labels.empty());
  Dataset data;
  data.feature_names = table.feature_names;
  data.has_labels = !table.labels.empty();
  data.rows_read = table.rows();
  data.sha256 = table.sha256;
  const std::size_t window = std::max<std::size_t>(spec.window, 1);
  Samples* splits[] = {&data.train, &data.validation, &data.test};
  for (Samples* samples : splits) {
    samples->window = window;
    samples->features = table.features();
  }

  for (std::uint32_t g = 0; g < table.groups.size(); ++g) {
    const CsvGroup& group = table.groups[g];
    data.groups.push_back(group.name);
    if (group.row_count < window) {
      throw Error("'" + name + "': group '" + printable(group.name) + "' (lines " +
                  std::to_string(table.lines[group.first_row]) + "-" +
                  std::to_string(table.lines[group.first_row + group.row_count - 1]) + ") has " +
                  std::to_string(group.row_count) + " rows, fewer than the window of " + std::to_string(window));
    }
    const SplitBounds bounds = split_bounds(group.row_count, spec);
    for (std::size_t start = 0; start + window <= group.row_count; start += spec.stride) {
      const std::size_t end = start + window - 1;  // within the group
      const SplitIndex split = split_of(end, bounds);
      if (split_of(start, bounds) != split) continue;  // straddles a split boundary
      const std::size_t last = group.first_row + end;
      if (split == kTrain && spec.normal_only_train && holds_anomaly(table, last + 1 - window, last)) continue;
      append_window(table, last, g, *splits[split]);
    }
  }
  check_not_empty(data, spec, name);
  return data;
}

Dataset load_csv_dataset(const std::filesystem::path& path, const CsvSpec& spec) {
  const CsvTable table = read_csv(path, spec.columns);
  return make_dataset(table, spec.windows, path.string());
}

}  // namespace tinyae
