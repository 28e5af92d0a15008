// Numeric tables from CSV files: the columns a user picks, parsed strictly.
//
// The format: a header row naming every column, then one reading per line,
// comma-separated; fields may be quoted ("a,b" and "say ""hi""" as RFC 4180),
// spaces and tabs around unquoted fields are dropped, lines end in LF or
// CRLF, lines holding nothing are skipped, and a UTF-8 byte order mark
// before the header is dropped. A quoted field may not span
// lines. Tokenising is libcsv's (strict mode); everything else is checked
// here. The file is read in pieces: only the parsed numbers of the chosen
// columns are kept, never the text.
//
// Refused, with a tinyae::Error naming the file, the line and, for a cell,
// the column number and name: an empty file, a header without data rows, a
// duplicate header name, a chosen column the header lacks (or chosen twice),
// a row with more or fewer fields than the header, an empty or non-numeric
// cell in a feature or label column, NaN, infinity or a value beyond
// float32, a label other than 0 or 1, a group that reappears after other
// groups, malformed quoting, a line longer than kMaxCsvLineBytes and a file
// longer than kMaxCsvFileBytes. Torch-free, so that it can be fuzzed alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <string>
#include <vector>

namespace tinyae {

// Longest line accepted (bytes, without its line end): generous for a few
// thousand columns, and it bounds libcsv's field buffer.
inline constexpr std::size_t kMaxCsvLineBytes = std::size_t{1} << 20;
// Largest file accepted (bytes), checked as the bytes arrive.
inline constexpr std::uint64_t kMaxCsvFileBytes = std::uint64_t{1} << 32;

// Which columns to read, by header name.
struct CsvColumns {
  std::vector<std::string> features;  // at least one, each at most once
  std::string label;                  // "" = none; cells must read 0 (normal) or 1 (anomaly)
  std::string group;                  // "" = none (the whole file is one group); cells are any text
};

// A run of consecutive rows sharing one group value (e.g. one sensor).
struct CsvGroup {
  std::string name;           // the group cell; "" without a group column
  std::size_t first_row = 0;  // index of its first row in CsvTable
  std::size_t row_count = 0;
};

// The chosen columns of every data row, in file order.
struct CsvTable {
  std::vector<std::string> feature_names;  // as CsvColumns::features
  std::vector<float> values;               // (rows, features) row-major
  std::vector<std::uint8_t> labels;        // (rows) 0 or 1; empty without a label column
  std::vector<std::uint64_t> lines;        // (rows) 1-based line number of each row in the file
  std::vector<CsvGroup> groups;            // in file order; each group's rows are contiguous
  std::string sha256;                      // of the whole file's bytes
  std::size_t rows() const { return lines.size(); }
  std::size_t features() const { return feature_names.size(); }
};

// Reads `path` (see the top of this file for the format and what is refused).
CsvTable read_csv(const std::filesystem::path& path, const CsvColumns& columns);

// The same on a stream; `name` stands for the file in messages.
CsvTable read_csv(std::istream& in, const std::string& name, const CsvColumns& columns);

// `value` as one field of a CSV row: as it is, or quoted by libcsv when it
// holds a comma, a quote or a line break.
std::string csv_field(const std::string& value);

}  // namespace tinyae
