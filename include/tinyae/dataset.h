// Model inputs from a CSV time series: windows of readings, split by time.
//
// Windows. Within each group (one sensor), a window is `window` consecutive
// rows, starting at the group's first row and every `stride` rows after it;
// a window never crosses a group boundary. Its vector is the rows' feature
// values flattened time-major: x[t * F + f] = feature f of the window's row t
// (t = 0 the oldest), F = number of features, so the vector's length is
// window * F. Its label is the label of its LAST row (the reading the
// detector flags on arrival). Without a window (window = 0 or 1) every row is
// one vector of F values.
//
// Split. Each group is cut by time: its first floor(n * train_fraction) rows
// are training rows, the next floor(n * (train_fraction +
// validation_fraction)) - that many are validation rows, the rest test rows.
// A window belongs to the split of its last row; a window whose rows lie in
// two splits is dropped, so no reading is shared between splits. The
// defaults (30% train, 10% validation, 60% test) put both events of the
// sensor data set (data/fetch_sensors.sh) in the test split.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "tinyae/csv.h"

namespace tinyae {

struct WindowSpec {
  std::size_t window = 0;            // rows per vector; 0 or 1: one row per vector
  std::size_t stride = 1;            // rows between window starts, >= 1
  double train_fraction = 0.3;       // of each group, in (0, 1]
  double validation_fraction = 0.1;  // of each group, in [0, 1 - train_fraction]
  bool normal_only_train = false;    // drop training windows holding any row labelled 1 (needs labels)
};

// Everything load_csv_dataset needs: which columns, then how to cut them.
struct CsvSpec {
  CsvColumns columns;
  WindowSpec windows;
};

// The vectors of one split, in group order, then time order.
struct Samples {
  std::size_t window = 1;                // rows per vector
  std::size_t features = 0;              // F
  std::vector<float> x;                  // (n, window * features) time-major, raw (not normalised)
  std::vector<std::uint8_t> labels;      // (n) label of each vector's last row; empty without labels
  std::vector<std::uint32_t> group;      // (n) index into Dataset::groups
  std::vector<std::size_t> last_row;     // (n) 0-based data row (CsvTable order) of each vector's last row
  std::vector<std::uint64_t> last_line;  // (n) 1-based file line of each vector's last row
  std::size_t dim() const { return window * features; }
  std::size_t size() const { return last_row.size(); }
};

struct Dataset {
  Samples train, validation, test;
  std::vector<std::string> feature_names;
  std::vector<std::string> groups;  // group names in file order ({""} without a group column)
  bool has_labels = false;
  std::size_t rows_read = 0;  // data rows in the file
  std::string sha256;         // of the CSV file
};

// Throws tinyae::Error for a stride of 0, fractions out of range, or
// normal_only_train without labels.
void validate_window_spec(const WindowSpec& spec, bool has_labels);

// Reads the CSV file (tinyae/csv.h) and cuts it into windows and splits as
// described at the top of this file. Besides read_csv's refusals, throws
// tinyae::Error for: a stride of 0, fractions out of range, a window longer
// than a group (naming the group and its lines), normal_only_train without a
// label column, and a split left without windows although its fraction is
// positive (data too short for the window).
Dataset load_csv_dataset(const std::filesystem::path& path, const CsvSpec& spec);

// The same on a table already read; `name` stands for the file in messages.
Dataset make_dataset(const CsvTable& table, const WindowSpec& spec, const std::string& name);

}  // namespace tinyae
