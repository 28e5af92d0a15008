// The flags that say what data a model reads (tinyae/data_source.h), shared
// by train (all of them) and eval (--data, --label).
#pragma once

#include <cstdint>

#include <cxxopts.hpp>

#include "tinyae/data_source.h"

namespace tinyae::cli {

// Adds --features, --label, --group, --window, --stride, --train-fraction,
// --validation-fraction, --scaling, --keep-anomalies and --digit.
void add_training_data_options(cxxopts::Options& options);

// The DataSpec the command line asks for. --data (made absolute) decides the
// kind: a folder is MNIST, anything else a CSV file. `base` (a checkpoint's,
// on resume and in eval) supplies whatever is not given; without it, the
// defaults. A flag that does not apply to the kind (--window for MNIST,
// --digit for a CSV file) or a CSV file without --features is a UsageError.
DataSpec parse_data_options(const cxxopts::ParseResult& args, const DataSpec* base);

// Values per input vector: 784 for MNIST, window x features for CSV data.
std::int64_t input_size_of(const DataSpec& spec);

}  // namespace tinyae::cli
