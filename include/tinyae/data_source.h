// Where a model's data comes from, and its three splits as model inputs.
//
// Two sources:
//  - an MNIST folder (tinyae/data.h): the tutorial. Inputs are pixel / 255.
//    Without a digit, the model trains on all 60,000 training images and
//    validates on the 10,000 test images, as the tutorial does; nothing is
//    labelled an anomaly. With a digit (one-class MNIST, ../shared/DATA.md),
//    it trains on that digit's training images but the last tenth of them,
//    which validate; the test split is all 10,000 test images, labelled
//    1 (anomaly) unless they show the digit.
//  - a CSV file (tinyae/dataset.h): the chosen feature columns, windowed and
//    split by time within each group; a per-feature scaling
//    (tinyae/normalize.h) is fitted on the training split.
//
// The DataSpec is stored in the checkpoint, with the fitted scaling, so that
// eval and export rebuild exactly the inputs the model was trained on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "tinyae/dataset.h"
#include "tinyae/normalize.h"

namespace tinyae {

enum class DataKind { kMnist, kCsv };

// Share of each digit's training images that validates in one-class MNIST.
inline constexpr double kOneClassValidationFraction = 0.1;

struct DataSpec {
  DataKind kind = DataKind::kMnist;
  std::filesystem::path path;                  // the MNIST folder or the CSV file, absolute
  std::int64_t digit = -1;                     // MNIST: the normal digit (one-class), -1 = the tutorial
  CsvSpec csv;                                 // CSV: columns, windows, split
  ScalingKind scaling = ScalingKind::kMinMax;  // CSV: fitted on the training split

  // Throws tinyae::Error for a digit outside -1..9, a CSV spec without
  // features, a stride of 0 or fractions out of range (before any reading).
  void validate() const;
  // {"kind": "mnist", "path": ..., "digit": null | 0..9} or
  // {"kind": "csv", "path": ..., "features": [...], "label": "", "group": "",
  //  "window": 16, "stride": 1, "train_fraction": 0.3, "validation_fraction": 0.1,
  //  "normal_only_train": true, "scaling": "minmax"}
  nlohmann::json to_json() const;
  // Strict: unknown keys and wrong types are refused; `where` starts the messages.
  static DataSpec from_json(const nlohmann::json& json, const std::string& where);
  // "MNIST 'data/mnist'", "MNIST 'data/mnist', digit 3 normal",
  // "CSV 'sensors.csv' (humidity, temperature; windows of 16, stride 1)".
  std::string describe() const;
  bool operator==(const DataSpec& other) const;
  bool operator!=(const DataSpec& other) const { return !(*this == other); }
};

// A split as model inputs: rows already scaled.
struct DataSplit {
  torch::Tensor x;                   // (n, input_size) float32, scaled
  std::vector<std::uint8_t> labels;  // (n) 1 = anomaly; empty when the source has no labels
  std::vector<std::uint32_t> group;  // (n) index into ModelData::groups
  std::vector<std::uint64_t> where;  // (n) CSV: file line of the vector's last row; MNIST: image index
  std::int64_t size() const { return x.defined() ? x.size(0) : 0; }
};

struct ModelData {
  DataSplit train, validation, test;
  torch::Tensor test_raw;           // (test n, input_size) float32: the test split before scaling
  Scaling scaling;                  // test_raw -> test.x (and the same for the other splits)
  std::vector<std::string> groups;  // CSV group names ({""} without a group column); MNIST: {""}
  std::string checksum;             // SHA-256 of the source (the four MNIST files, or the CSV file)
  std::size_t rows_read = 0;        // CSV data rows, MNIST images
  bool bounded = true;  // inputs stay in the training range by construction (MNIST pixels), not CSV readings
  std::int64_t input_size() const { return train.x.size(1); }
};

// The scaling of MNIST pixels: one feature "pixel", offset 0, scale 1/255.
Scaling mnist_scaling();

// Reads the source and builds the splits. `scaling` given (eval and export:
// the checkpoint's) is applied as it is; otherwise it is fitted on the
// training split (MNIST: mnist_scaling()). train_limit > 0 keeps the first
// that many training vectors. Throws tinyae::Error naming the file (and
// line, column) on bad data.
ModelData load_model_data(const DataSpec& spec, const std::optional<Scaling>& scaling = std::nullopt,
                          std::int64_t train_limit = 0);

}  // namespace tinyae
