// libFuzzer target: read_csv on bytes in memory, then the windows and splits
// of make_dataset and a scaling fitted on the result.
//
// The first byte picks which columns are asked for (with or without label and
// group), the rest is the file. A successful read must satisfy csv.h's
// contract: one value per row and feature, labels 0 or 1, groups covering the
// rows contiguously in order, line numbers increasing.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "fuzz_common.h"
#include "tinyae/csv.h"
#include "tinyae/dataset.h"
#include "tinyae/normalize.h"

namespace {

void check(const tinyae::CsvTable& table, bool labelled) {
  if (table.rows() == 0 || table.values.size() != table.rows() * table.features()) std::abort();
  if (labelled ? table.labels.size() != table.rows() : !table.labels.empty()) std::abort();
  for (const std::uint8_t label : table.labels) {
    if (label > 1) std::abort();
  }
  std::size_t next = 0;
  for (const auto& group : table.groups) {
    if (group.first_row != next || group.row_count == 0) std::abort();
    next += group.row_count;
  }
  if (next != table.rows()) std::abort();
  for (std::size_t r = 1; r < table.rows(); ++r) {
    if (table.lines[r] <= table.lines[r - 1]) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const unsigned pick = data[0];
  const bool labelled = pick & 1, grouped = pick & 2;
  const tinyae::CsvColumns columns{{"a", "b"}, labelled ? "label" : "", grouped ? "g" : ""};
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  tinyae::fuzz::run_parser("read_csv", [&] {
    std::istringstream in(text);
    const tinyae::CsvTable table = tinyae::read_csv(in, "fuzz.csv", columns);
    check(table, labelled);
    tinyae::WindowSpec spec;
    spec.window = 1 + ((pick >> 2) & 3);
    spec.stride = 1 + ((pick >> 4) & 1);
    spec.normal_only_train = labelled && (pick & 0x20);
    spec.train_fraction = 0.5;  // small inputs must reach the windows and the scaling too
    spec.validation_fraction = (pick & 0x40) ? 0.25 : 0.0;
    const tinyae::Dataset dataset = tinyae::make_dataset(table, spec, "fuzz.csv");
    if (dataset.train.x.size() != dataset.train.size() * dataset.train.dim()) std::abort();
    const auto scaling = tinyae::fit_scaling(tinyae::ScalingKind::kZScore, dataset.train, dataset.feature_names);
    for (const float s : scaling.scale) {
      if (!(s != 0.0f) || s != s) std::abort();
    }
  });
  return 0;
}
