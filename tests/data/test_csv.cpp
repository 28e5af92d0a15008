// CSV reader: good files, and every refusal naming the file, line and column.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tinyae/common.h"
#include "tinyae/csv.h"

namespace fs = std::filesystem;
using tinyae::CsvColumns;
using tinyae::CsvTable;
using tinyae::Error;

namespace {

const CsvColumns kAll{{"humidity", "temperature"}, "label", "mote"};

CsvTable read_text(const std::string& text, const CsvColumns& columns = kAll) {
  std::istringstream in(text);
  return tinyae::read_csv(in, "t.csv", columns);
}

// Reading `text` must throw an Error whose message holds every piece.
void expect_refused(const std::string& text, std::initializer_list<std::string> pieces,
                    const CsvColumns& columns = kAll) {
  try {
    read_text(text, columns);
    ADD_FAILURE() << "accepted:\n" << text;
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const auto& piece : pieces)
      EXPECT_NE(message.find(piece), std::string::npos) << message << "\nlacks: " << piece;
  }
}

const std::string kHeader = "time,mote,humidity,temperature,label\n";

}  // namespace

TEST(Csv, ReadsChosenColumnsGroupsLabelsAndLines) {
  const CsvTable table = read_text(kHeader +
                                   "1,a,45.5,27,0\r\n"
                                   "\n"  // blank lines are skipped but counted
                                   "2, a ,\"46\",+27.5,1\n"
                                   "3,b,-1e2,0.25,0.0\n"
                                   "4,b,1,2,1");  // no final line end
  EXPECT_EQ(table.rows(), 4u);
  EXPECT_EQ(table.features(), 2u);
  EXPECT_EQ(table.values, (std::vector<float>{45.5f, 27, 46, 27.5f, -100, 0.25f, 1, 2}));
  EXPECT_EQ(table.labels, (std::vector<std::uint8_t>{0, 1, 0, 1}));
  EXPECT_EQ(table.lines, (std::vector<std::uint64_t>{2, 4, 5, 6}));
  ASSERT_EQ(table.groups.size(), 2u);
  EXPECT_EQ(table.groups[0].name, "a");  // spaces around unquoted fields dropped
  EXPECT_EQ(table.groups[0].first_row, 0u);
  EXPECT_EQ(table.groups[0].row_count, 2u);
  EXPECT_EQ(table.groups[1].name, "b");
  EXPECT_EQ(table.groups[1].first_row, 2u);
  EXPECT_EQ(table.groups[1].row_count, 2u);
  EXPECT_EQ(table.sha256.size(), 64u);
}

TEST(Csv, WithoutLabelOrGroupTheFileIsOneGroup) {
  const CsvTable table = read_text(kHeader + "1,a,1,2,0\n2,b,3,4,1\n", CsvColumns{{"temperature"}, "", ""});
  EXPECT_EQ(table.values, (std::vector<float>{2, 4}));
  EXPECT_TRUE(table.labels.empty());
  ASSERT_EQ(table.groups.size(), 1u);
  EXPECT_EQ(table.groups[0].row_count, 2u);
}

TEST(Csv, DropsAByteOrderMarkBeforeTheHeader) {
  const CsvTable table = read_text("\xEF\xBB\xBFhumidity,x\n1,2\n", CsvColumns{{"humidity"}, "", ""});
  EXPECT_EQ(table.values, (std::vector<float>{1}));
}

TEST(Csv, ReadsAFileAndHashesIt) {
  const fs::path path = fs::temp_directory_path() / ("tinyae_test_csv_" + std::to_string(::getpid()) + ".csv");
  const std::string text = kHeader + "1,a,1,2,0\n";
  std::ofstream(path, std::ios::binary) << text;
  const CsvTable table = tinyae::read_csv(path, kAll);
  EXPECT_EQ(table.sha256, tinyae::sha256_hex(text));
  fs::remove(path);
}

TEST(Csv, ReadsAcrossChunkBoundaries) {
  std::string text = kHeader;
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + ",m," + std::to_string(i) + ".5,1,0\n";
  const CsvTable table = read_text(text);
  ASSERT_EQ(table.rows(), 20000u);
  EXPECT_EQ(table.values[2 * 12345], 12345.5f);
  EXPECT_EQ(table.lines.back(), 20001u);
}

TEST(CsvRefuses, MissingFile) {
  try {
    tinyae::read_csv(fs::path("/nonexistent/readings.csv"), kAll);
    ADD_FAILURE() << "accepted a missing file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/readings.csv"), std::string::npos) << e.what();
  }
}

TEST(CsvRefuses, EmptyFileAndHeaderOnly) {
  expect_refused("", {"'t.csv' is empty", "header"});
  expect_refused("\n\n", {"'t.csv' is empty"});
  expect_refused(kHeader, {"'t.csv'", "no data rows"});
}

TEST(CsvRefuses, HeaderProblems) {
  expect_refused("a,humidity,a\n1,2,3\n", {"line 1", "columns 1 and 3", "'a'"});
  expect_refused(kHeader + "1,a,1,2,0\n", {"line 1", "no column 'pressure'", "'humidity'"},
                 CsvColumns{{"pressure"}, "", ""});
  expect_refused(kHeader + "1,a,1,2,0\n", {"'humidity'", "twice"}, CsvColumns{{"humidity", "humidity"}, "", ""});
  expect_refused(kHeader + "1,a,1,2,0\n", {"'label'", "twice"}, CsvColumns{{"label"}, "label", ""});
  expect_refused(kHeader + "1,a,1,2,0\n", {"no feature columns"}, CsvColumns{{}, "", ""});
}

TEST(CsvRefuses, RaggedRows) {
  expect_refused(kHeader + "1,a,1,2,0\n2,a,1,2\n", {"'t.csv', line 3", "4 fields", "header has 5"});
  expect_refused(kHeader + "1,a,1,2,0,9\n", {"line 2", "6 fields"});
}

TEST(CsvRefuses, BadCells) {
  expect_refused(kHeader + "1,a,1,2,0\n2,a,,2,0\n", {"'t.csv', line 3, column 3 (humidity)", "empty cell"});
  expect_refused(kHeader + "1,a,1,x2,0\n", {"line 2, column 4 (temperature)", "'x2' is not a number"});
  expect_refused(kHeader + "1,a,1,2.5.1,0\n", {"column 4", "not a number"});
  expect_refused(kHeader + "1,a,0x10,2,0\n", {"column 3", "not a number"});
  expect_refused(kHeader + "1,a,1,2 3,0\n", {"column 4", "not a number"});
  expect_refused(kHeader + "1,a,nan,2,0\n", {"line 2, column 3 (humidity)", "not finite"});
  expect_refused(kHeader + "1,a,1,-inf,0\n", {"column 4", "not finite"});
  expect_refused(kHeader + "1,a,1e39,2,0\n", {"column 3", "does not fit float32"});
  expect_refused(kHeader + "1,a,1e999,2,0\n", {"column 3", "out of range"});
  expect_refused(kHeader + "1,a,1,2\r3,0\n", {"column 4", "\\x0d"});  // a bare CR inside a line
  expect_refused(kHeader + "1,a,1,2,0\x01\n", {"column 5 (label)", "\\x01"});
}

TEST(CsvRefuses, LabelsOtherThanZeroOrOne) {
  expect_refused(kHeader + "1,a,1,2,2\n", {"line 2, column 5 (label)", "'2' is neither 0 (normal) nor 1"});
  expect_refused(kHeader + "1,a,1,2,0.5\n", {"column 5 (label)", "neither"});
  expect_refused(kHeader + "1,a,1,2,yes\n", {"column 5 (label)", "not a number"});
  expect_refused(kHeader + "1,a,1,2,\n", {"column 5 (label)", "empty cell"});
}

TEST(CsvRefuses, GroupsThatAreNotContiguous) {
  expect_refused(kHeader + "1,a,1,2,0\n2,b,1,2,0\n3,a,1,2,0\n",
                 {"line 4, column 2 (mote)", "group 'a' appears again", "lines 2-2", "contiguous"});
}

TEST(CsvRefuses, MalformedQuoting) {
  expect_refused(kHeader + "1,a,\"1\"2,2,0\n", {"line 2, column 3", "malformed quoting"});
  expect_refused(kHeader + "1,a,1,\"2\n3\",0\n", {"line 2, column 4", "does not end on its line"});
}

TEST(CsvRefuses, OverlongLine) {
  const std::string long_cell(tinyae::kMaxCsvLineBytes + 10, '1');
  expect_refused(kHeader + "1,a,1,2,0\n2,a," + long_cell + ",2,0\n", {"line 3", "longer than"});
  expect_refused(long_cell, {"line 1", "longer than"});  // no line end at all
}

TEST(CsvField, QuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(tinyae::csv_field("mote 1"), "mote 1");
  EXPECT_EQ(tinyae::csv_field(""), "");
  EXPECT_EQ(tinyae::csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(tinyae::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(tinyae::csv_field("two\nlines"), "\"two\nlines\"");
}

TEST(CsvField, ReadsBackAsTheSameValue) {
  const std::string name = "x,\"y\" z";
  std::istringstream in("group,value\n" + tinyae::csv_field(name) + ",1\n");
  tinyae::CsvColumns columns;
  columns.features = {"value"};
  columns.group = "group";
  const tinyae::CsvTable table = tinyae::read_csv(in, "in-memory", columns);
  ASSERT_EQ(table.groups.size(), 1u);
  EXPECT_EQ(table.groups[0].name, name);
}
