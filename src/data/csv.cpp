// CSV reader: lines from a stream, fields from libcsv, numbers from
// std::from_chars. See tinyae/csv.h for the format and the refusals.
//
// The file is cut into lines here, not by libcsv, so that every message can
// name the line: each line goes to libcsv on its own and csv_fini ends the
// record, which is also how a quoted field left open at the end of a line
// (a field spanning lines, unsupported) is caught.
#include "tinyae/csv.h"

#include <csv.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <string_view>
#include <unordered_map>

#include "tinyae/common.h"
#include "tinyae/json_reader.h"

namespace tinyae {
namespace {

constexpr std::size_t kReadChunkBytes = std::size_t{1} << 16;
// Spreadsheets often start a UTF-8 CSV file with a byte order mark; it is not part of the first name.
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

// The lines of a stream, without their line ends, hashed as they are read.
class LineSource {
 public:
  LineSource(std::istream& in, const std::string& name) : in_(in), name_(name) {}

  // The next line, or false at the end; line_number() is its 1-based number.
  bool next(std::string_view& line) {
    for (;;) {
      const std::size_t end = buffer_.find('\n', scan_from_);
      if (end != std::string::npos) return take(line, end, end + 1);
      scan_from_ = buffer_.size();
      if (buffer_.size() - start_ > kMaxCsvLineBytes) refuse_long_line();
      if (!fill()) {
        if (start_ == buffer_.size()) return false;
        return take(line, buffer_.size(), buffer_.size());  // last line without a line end
      }
    }
  }
  std::uint64_t line_number() const { return line_number_; }
  std::string sha256() { return hash_.hex_digest(); }

 private:
  bool take(std::string_view& line, std::size_t end, std::size_t next_start) {
    std::size_t length = end - start_;
    if (length > kMaxCsvLineBytes) refuse_long_line();
    if (length > 0 && buffer_[start_ + length - 1] == '\r') --length;  // CRLF
    line = std::string_view(buffer_).substr(start_, length);
    start_ = next_start;
    scan_from_ = next_start;
    ++line_number_;
    return true;
  }

  // Appends the next chunk (dropping the lines already handed out); false at the end.
  bool fill() {
    buffer_.erase(0, start_);
    scan_from_ -= start_;
    start_ = 0;
    char chunk[kReadChunkBytes];
    in_.read(chunk, sizeof chunk);
    const auto got = static_cast<std::size_t>(in_.gcount());
    if (got == 0) {
      if (in_.bad()) throw Error("cannot read '" + name_ + "' after line " + std::to_string(line_number_));
      return false;
    }
    total_bytes_ += got;
    if (total_bytes_ > kMaxCsvFileBytes) {
      throw Error("'" + name_ + "' is larger than " + std::to_string(kMaxCsvFileBytes) +
                  " bytes, the largest CSV file tinyae reads");
    }
    hash_.update(chunk, got);
    buffer_.append(chunk, got);
    return true;
  }

  [[noreturn]] void refuse_long_line() const {
    throw Error("'" + name_ + "', line " + std::to_string(line_number_ + 1) + " is longer than " +
                std::to_string(kMaxCsvLineBytes) + " bytes (not a CSV file of readings?)");
  }

  std::istream& in_;
  const std::string& name_;
  std::string buffer_;         // bytes read but not yet handed out as lines, from start_
  std::size_t start_ = 0;      // first byte of the next line in buffer_
  std::size_t scan_from_ = 0;  // where to look for the next '\n'
  std::uint64_t line_number_ = 0;
  std::uint64_t total_bytes_ = 0;
  Sha256 hash_;
};

// A line of a file as messages name it: "'a.csv', line 3". Built only on error.
struct Where {
  const std::string& name;
  std::uint64_t line;
  std::string str() const { return "'" + name + "', line " + std::to_string(line); }
};

// Splits one line into fields with libcsv (strict mode: a stray quote is an error).
class FieldSplitter {
 public:
  FieldSplitter() {
    if (csv_init(&parser_, CSV_STRICT | CSV_STRICT_FINI) != 0) throw Error("libcsv failed to initialise");
    // Lines arrive one at a time without their line end: no byte ends a record
    // but csv_fini, so a stray '\r' stays inside its field and is refused there.
    csv_set_term_func(&parser_, [](unsigned char) { return 0; });
  }
  ~FieldSplitter() { csv_free(&parser_); }
  FieldSplitter(const FieldSplitter&) = delete;
  FieldSplitter& operator=(const FieldSplitter&) = delete;

  // Splits `line`; returns the number of fields (0 for a line holding nothing).
  std::size_t split(std::string_view line, const Where& where) {
    count_ = 0;
    const std::size_t used = csv_parse(&parser_, line.data(), line.size(), on_field, nullptr, this);
    if (used != line.size()) {
      const int status = csv_error(&parser_);
      csv_fini(&parser_, nullptr, nullptr, nullptr);  // reset for the next caller
      throw Error(where.str() + ", column " + std::to_string(count_ + 1) + ": malformed quoting near byte " +
                  std::to_string(used + 1) + " (" + csv_strerror(status) +
                  "; a quote inside a field must be doubled and the field quoted)");
    }
    if (csv_fini(&parser_, on_field, nullptr, this) != 0) {
      throw Error(where.str() + ", column " + std::to_string(count_ + 1) +
                  ": a quoted field does not end on its line (fields spanning lines are not supported)");
    }
    return count_;
  }
  std::string_view field(std::size_t i) const { return fields_[i]; }

 private:
  static void on_field(void* data, std::size_t size, void* self_pointer) {
    auto& self = *static_cast<FieldSplitter*>(self_pointer);
    if (self.count_ == self.fields_.size()) self.fields_.emplace_back();
    self.fields_[self.count_++].assign(static_cast<const char*>(data), size);
  }

  csv_parser parser_{};
  std::vector<std::string> fields_;  // reused from line to line; the first count_ are this line's
  std::size_t count_ = 0;
};

// Where each chosen column sits in the header.
struct ColumnIndex {
  std::vector<std::size_t> features;
  std::size_t label = 0, group = 0;
  bool has_label = false, has_group = false;
  std::size_t width = 0;            // fields in the header
  std::vector<std::string> header;  // every column name
};

ColumnIndex index_header(const FieldSplitter& fields, std::size_t count, const CsvColumns& columns,
                         const std::string& where) {
  ColumnIndex index;
  index.width = count;
  std::unordered_map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < count; ++i) {
    index.header.emplace_back(fields.field(i));
    const auto [it, fresh] = position.emplace(index.header.back(), i);
    if (!fresh) {
      throw Error(where + " (header): columns " + std::to_string(it->second + 1) + " and " + std::to_string(i + 1) +
                  " are both named '" + printable(index.header.back()) + "'");
    }
  }
  std::vector<bool> chosen(count, false);
  const auto find = [&](const std::string& name, const char* role) {
    const auto it = position.find(name);
    if (it == position.end()) {
      std::string known;
      for (const auto& h : index.header) known += (known.empty() ? "'" : ", '") + printable(h) + "'";
      throw Error(where + " (header) has no column '" + printable(name) + "' (asked for as " + role +
                  "); its columns: " + known);
    }
    if (chosen[it->second]) {
      throw Error("column '" + printable(name) + "' is chosen twice (as " + role +
                  " and before); each column can play one part");
    }
    chosen[it->second] = true;
    return it->second;
  };
  if (columns.features.empty()) throw Error("no feature columns chosen: name at least one column to read");
  for (const auto& name : columns.features) index.features.push_back(find(name, "a feature"));
  if ((index.has_label = !columns.label.empty())) index.label = find(columns.label, "the label");
  if ((index.has_group = !columns.group.empty())) index.group = find(columns.group, "the group");
  return index;
}

// A finite float32 number filling the whole field, or an Error naming the cell.
float parse_cell(std::string_view text, const std::string& cell) {
  if (text.empty()) throw Error(cell + ": empty cell (missing value)");
  std::string_view digits = text;
  if (digits.size() > 1 && digits[0] == '+' && digits[1] != '-' && digits[1] != '+') digits.remove_prefix(1);
  double value = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec == std::errc::result_out_of_range) throw Error(cell + ": '" + printable(text) + "' is out of range");
  if (ec != std::errc() || end != digits.data() + digits.size()) {
    throw Error(cell + ": '" + printable(text) + "' is not a number");
  }
  if (!std::isfinite(value))
    throw Error(cell + ": '" + printable(text) + "' is not finite (NaN and infinity are refused)");
  if (std::fabs(value) > std::numeric_limits<float>::max()) {
    throw Error(cell + ": '" + printable(text) + "' does not fit float32");
  }
  return static_cast<float>(value);
}

// Appends row `fields` to `table`, checking every chosen cell.
class RowCollector {
 public:
  RowCollector(CsvTable& table, const ColumnIndex& index) : table_(table), index_(index) {}

  void add(const FieldSplitter& fields, std::size_t count, const Where& where) {
    if (count != index_.width) {
      throw Error(where.str() + " has " + std::to_string(count) + " field" + (count == 1 ? "" : "s") +
                  ", the header has " + std::to_string(index_.width) + " (ragged row)");
    }
    const auto cell = [&](std::size_t column) {
      return where.str() + ", column " + std::to_string(column + 1) + " (" + printable(index_.header[column]) + ")";
    };
    for (const std::size_t column : index_.features) {
      table_.values.push_back(parse_cell(fields.field(column), cell(column)));
    }
    if (index_.has_label) {
      const std::string_view text = fields.field(index_.label);
      const float label = parse_cell(text, cell(index_.label));
      if (label != 0.0f && label != 1.0f) {
        throw Error(cell(index_.label) + ": label '" + printable(text) + "' is neither 0 (normal) nor 1 (anomaly)");
      }
      table_.labels.push_back(label == 1.0f ? 1 : 0);
    }
    add_to_group(index_.has_group ? fields.field(index_.group) : std::string_view(), cell);
    table_.lines.push_back(where.line);
  }

 private:
  template <typename Cell>
  void add_to_group(std::string_view name, const Cell& cell) {
    auto& groups = table_.groups;
    if (groups.empty() || groups.back().name != name) {
      const auto [it, fresh] = seen_.emplace(std::string(name), groups.size());
      if (!fresh) {
        const CsvGroup& earlier = groups[it->second];
        throw Error(cell(index_.group) + ": group '" + printable(name) +
                    "' appears again after other groups (its rows "
                    "were at lines " +
                    std::to_string(table_.lines[earlier.first_row]) + "-" +
                    std::to_string(table_.lines[earlier.first_row + earlier.row_count - 1]) +
                    "); the rows of a group must be contiguous: sort the file by group, keeping time order");
      }
      groups.push_back(CsvGroup{std::string(name), table_.lines.size(), 0});
    }
    ++groups.back().row_count;
  }

  CsvTable& table_;
  const ColumnIndex& index_;
  std::unordered_map<std::string, std::size_t> seen_;  // group name -> index in table_.groups
};

}  // namespace

CsvTable read_csv(std::istream& in, const std::string& name, const CsvColumns& columns) {
  LineSource lines(in, name);
  FieldSplitter fields;
  const auto where = [&] { return Where{name, lines.line_number()}; };
  std::string_view line;
  std::size_t count = 0;
  while (count == 0) {
    if (!lines.next(line)) throw Error("'" + name + "' is empty: a CSV file needs a header row naming its columns");
    if (lines.line_number() == 1 && line.substr(0, kUtf8Bom.size()) == kUtf8Bom) line.remove_prefix(kUtf8Bom.size());
    count = fields.split(line, where());
  }
  const ColumnIndex index = index_header(fields, count, columns, where().str());

  CsvTable table;
  table.feature_names = columns.features;
  RowCollector rows(table, index);
  while (lines.next(line)) {
    count = fields.split(line, where());
    if (count > 0) rows.add(fields, count, where());
  }
  if (table.rows() == 0) throw Error("'" + name + "' has a header row but no data rows");
  table.sha256 = lines.sha256();
  return table;
}

CsvTable read_csv(const std::filesystem::path& path, const CsvColumns& columns) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open CSV file '" + path.string() + "'");
  return read_csv(in, path.string(), columns);
}

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string quoted(csv_write(nullptr, 0, value.data(), value.size()), '\0');
  csv_write(quoted.data(), quoted.size(), value.data(), value.size());
  return quoted;
}

}  // namespace tinyae
