// Windows, time splits and scaling on small tables built here.
#include <cmath>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "tinyae/common.h"
#include "tinyae/dataset.h"
#include "tinyae/json_reader.h"
#include "tinyae/normalize.h"

using tinyae::CsvColumns;
using tinyae::CsvTable;
using tinyae::Dataset;
using tinyae::Error;
using tinyae::WindowSpec;

namespace {

// Groups of the given sizes; row r (over the whole file) has features
// (r, 100 + r) and label 1 when r is in `anomalies`.
CsvTable make_table(std::initializer_list<int> group_sizes, std::initializer_list<int> anomalies = {}) {
  std::string text = "g,a,b,label\n";
  int row = 0;
  int group = 0;
  for (const int size : group_sizes) {
    for (int i = 0; i < size; ++i, ++row) {
      const bool anomaly = std::find(anomalies.begin(), anomalies.end(), row) != anomalies.end();
      text += "g" + std::to_string(group) + "," + std::to_string(row) + "," + std::to_string(100 + row) + "," +
              (anomaly ? "1" : "0") + "\n";
    }
    ++group;
  }
  std::istringstream in(text);
  return tinyae::read_csv(in, "t.csv", CsvColumns{{"a", "b"}, "label", "g"});
}

WindowSpec windows(std::size_t window, std::size_t stride, double train, double validation) {
  WindowSpec spec;
  spec.window = window;
  spec.stride = stride;
  spec.train_fraction = train;
  spec.validation_fraction = validation;
  return spec;
}

}  // namespace

TEST(Dataset, RowsAsVectorsSplitByTimeWithinEachGroup) {
  // Two groups of 10 rows, 30% / 10% / 60%: rows 0-2 train, 3 validation, 4-9 test in each.
  const Dataset data = tinyae::make_dataset(make_table({10, 10}), windows(0, 1, 0.3, 0.1), "t.csv");
  EXPECT_EQ(data.train.dim(), 2u);
  EXPECT_EQ(data.train.last_row, (std::vector<std::size_t>{0, 1, 2, 10, 11, 12}));
  EXPECT_EQ(data.validation.last_row, (std::vector<std::size_t>{3, 13}));
  EXPECT_EQ(data.test.size(), 12u);
  EXPECT_EQ(data.test.group.front(), 0u);
  EXPECT_EQ(data.test.group.back(), 1u);
  EXPECT_EQ(data.groups, (std::vector<std::string>{"g0", "g1"}));
  EXPECT_EQ(data.rows_read, 20u);
  EXPECT_EQ(data.test.last_line.front(), 6u);  // row 4 is on line 6 (header on line 1)
}

TEST(Dataset, WindowsAreTimeMajorLabelledByTheirLastRowAndNeverStraddle) {
  // One group of 20 rows, window 4, stride 2, 50% train / 0% validation:
  // train rows 0-9, test rows 10-19. Windows start at 0, 2, 4, ...; the window
  // of rows 8-11 straddles the boundary and is dropped.
  const Dataset data = tinyae::make_dataset(make_table({20}, {13}), windows(4, 2, 0.5, 0.0), "t.csv");
  EXPECT_EQ(data.train.dim(), 8u);
  EXPECT_EQ(data.train.last_row, (std::vector<std::size_t>{3, 5, 7, 9}));
  EXPECT_EQ(data.test.last_row, (std::vector<std::size_t>{13, 15, 17, 19}));
  EXPECT_EQ(data.test.labels, (std::vector<std::uint8_t>{1, 0, 0, 0}));  // row 13 in windows 10-13 (last) and 12-15
  // Window rows 2..5: x[t * 2 + f] = feature f of row 2 + t.
  const std::vector<float> second(data.train.x.begin() + 8, data.train.x.begin() + 16);
  EXPECT_EQ(second, (std::vector<float>{2, 102, 3, 103, 4, 104, 5, 105}));
  EXPECT_TRUE(data.validation.x.empty());
}

TEST(Dataset, WindowsNeverCrossGroups) {
  const Dataset data = tinyae::make_dataset(make_table({5, 5}), windows(3, 1, 1.0, 0.0), "t.csv");
  EXPECT_EQ(data.train.last_row, (std::vector<std::size_t>{2, 3, 4, 7, 8, 9}));
}

TEST(Dataset, NormalOnlyTrainingDropsWindowsHoldingAnAnomaly) {
  const Dataset all = tinyae::make_dataset(make_table({10}, {2}), windows(2, 1, 1.0, 0.0), "t.csv");
  EXPECT_EQ(all.train.size(), 9u);
  WindowSpec spec = windows(2, 1, 1.0, 0.0);
  spec.normal_only_train = true;
  const Dataset normal = tinyae::make_dataset(make_table({10}, {2}), spec, "t.csv");
  EXPECT_EQ(normal.train.last_row, (std::vector<std::size_t>{1, 4, 5, 6, 7, 8, 9}));  // not 2 (rows 1-2), 3 (2-3)
}

TEST(DatasetRefuses, BadSpecsAndShortData) {
  const auto refused = [](const CsvTable& table, const WindowSpec& spec, const std::string& piece) {
    try {
      tinyae::make_dataset(table, spec, "t.csv");
      ADD_FAILURE() << "accepted; expected: " << piece;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(piece), std::string::npos) << e.what();
    }
  };
  refused(make_table({10, 3}), windows(4, 1, 0.5, 0.1),
          "group 'g1' (lines 12-14) has 3 rows, fewer than the window of 4");
  refused(make_table({10}), windows(2, 0, 0.5, 0.1), "stride");
  refused(make_table({10}), windows(2, 1, 0.0, 0.1), "training fraction");
  refused(make_table({10}), windows(2, 1, 0.8, 0.3), "validation fraction");
  refused(make_table({10}), windows(5, 1, 0.3, 0.1), "the training split holds no window of 5 rows");
  std::istringstream in("a\n1\n2\n");
  WindowSpec spec = windows(1, 1, 0.5, 0.0);
  spec.normal_only_train = true;
  refused(tinyae::read_csv(in, "t.csv", CsvColumns{{"a"}, "", ""}), spec, "needs a label column");
}

TEST(Scaling, MinMaxAndZScoreCountEachReadingOnce) {
  // Train rows 0-5 of one group (features r and 100 + r), windows of 4, stride 1:
  // windows end at rows 3, 4, 5; the readings are rows 0..5 once each.
  const Dataset data = tinyae::make_dataset(make_table({10}), windows(4, 1, 0.6, 0.0), "t.csv");
  const auto minmax = tinyae::fit_scaling(tinyae::ScalingKind::kMinMax, data.train, data.feature_names);
  EXPECT_EQ(minmax.offset, (std::vector<float>{0, 100}));
  EXPECT_EQ(minmax.scale, (std::vector<float>{0.2f, 0.2f}));
  // Mean of 0..5 = 2.5; population variance = (2.5^2 + 1.5^2 + 0.5^2) * 2 / 6 = 35/12.
  const auto z = tinyae::fit_scaling(tinyae::ScalingKind::kZScore, data.train, data.feature_names);
  EXPECT_FLOAT_EQ(z.offset[0], 2.5f);
  EXPECT_FLOAT_EQ(z.offset[1], 102.5f);
  EXPECT_FLOAT_EQ(z.scale[0], static_cast<float>(1 / std::sqrt(35.0 / 12)));
  std::vector<float> x{5, 105, 0, 100};
  minmax.apply(x);
  EXPECT_EQ(x, (std::vector<float>{1, 1, 0, 0}));
}

TEST(Scaling, ConstantFeatureGetsScaleOne) {
  std::istringstream in("a,b\n3,1\n3,2\n3,4\n");
  const CsvTable table = tinyae::read_csv(in, "t.csv", CsvColumns{{"a", "b"}, "", ""});
  const Dataset data = tinyae::make_dataset(table, windows(0, 1, 1.0, 0.0), "t.csv");
  for (const auto kind : {tinyae::ScalingKind::kMinMax, tinyae::ScalingKind::kZScore}) {
    const auto scaling = tinyae::fit_scaling(kind, data.train, data.feature_names);
    EXPECT_EQ(scaling.offset[0], 3.0f);
    EXPECT_EQ(scaling.scale[0], 1.0f);
    std::vector<float> x{3, 1};
    scaling.apply(x);
    EXPECT_EQ(x[0], 0.0f);
  }
}

TEST(Scaling, JsonRoundTripIsExactAndStrict) {
  tinyae::Scaling scaling{tinyae::ScalingKind::kZScore, {"h", "t"}, {45.123456f, -3.0e-7f}, {0.1f, 12345.678f}};
  const auto json = tinyae::scaling_to_json(scaling);
  const auto back = tinyae::scaling_from_json(tinyae::parse_json(json.dump(), "s"), "s");
  EXPECT_EQ(back.kind, scaling.kind);
  EXPECT_EQ(back.feature_names, scaling.feature_names);
  EXPECT_EQ(back.offset, scaling.offset);
  EXPECT_EQ(back.scale, scaling.scale);

  const auto refused = [](const std::string& text, const std::string& piece) {
    try {
      tinyae::scaling_from_json(tinyae::parse_json(text, "s"), "scaling");
      ADD_FAILURE() << "accepted " << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(piece), std::string::npos) << e.what();
    }
  };
  refused(R"({"kind":"minmax","features":["a"],"offset":[0],"scale":[1],"x":1})", "unknown key");
  refused(R"({"kind":"robust","features":["a"],"offset":[0],"scale":[1]})", "unknown scaling 'robust'");
  refused(R"({"kind":"minmax","features":["a"],"offset":[0,1],"scale":[1]})", "scaling.offset has 2 values for 1");
  refused(R"({"kind":"minmax","features":["a"],"offset":[0],"scale":[0]})", "scaling.scale[0] is 0");
  refused(R"({"kind":"minmax","features":["a"],"offset":[1e39],"scale":[1]})", "scaling.offset[0]");
  refused(R"({"kind":"minmax","features":[],"offset":[],"scale":[]})", "empty");
  refused(R"({"kind":"minmax","features":[3],"offset":[0],"scale":[1]})", "scaling.features[0]");
}
