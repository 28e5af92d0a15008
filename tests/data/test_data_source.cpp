// The model's data sources (tinyae/data_source.h): CSV splits scaled with a
// scaling fitted on the training split only (or the checkpoint's), MNIST's
// tutorial and one-class splits, and DataSpec's JSON form.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "tinyae/common.h"
#include "tinyae/data_source.h"

namespace fs = std::filesystem;
using tinyae::DataKind;
using tinyae::DataSpec;

namespace {

const fs::path kMnistDir = fs::path(TINYAE_SOURCE_DIR) / "data" / "mnist";

fs::path write_csv(const std::string& name, const std::string& text) {
  const fs::path path = fs::temp_directory_path() / ("tinyae-test-source-" + std::to_string(::getpid()) + name);
  tinyae::write_file_atomically(path, text);
  return path;
}

// 10 rows of x = 0..9 and y = 10 * x; label 1 on row 8.
DataSpec ten_rows() {
  std::string text = "x,y,label\n";
  for (int i = 0; i < 10; ++i)
    text += std::to_string(i) + "," + std::to_string(10 * i) + "," + (i == 8 ? "1" : "0") + "\n";
  DataSpec spec;
  spec.kind = DataKind::kCsv;
  spec.path = write_csv("ten.csv", text);
  spec.csv.columns.features = {"x", "y"};
  spec.csv.columns.label = "label";
  spec.csv.windows.window = 2;
  spec.csv.windows.train_fraction = 0.5;
  spec.csv.windows.validation_fraction = 0.2;
  return spec;
}

}  // namespace

TEST(DataSource, CsvScalingIsFittedOnTheTrainingRowsOnly) {
  const DataSpec spec = ten_rows();
  const tinyae::ModelData data = tinyae::load_model_data(spec);
  // Rows 0-4 train, 5-6 validate, 7-9 test; windows of 2 that straddle a split are dropped.
  EXPECT_EQ(data.train.size(), 4);
  EXPECT_EQ(data.validation.size(), 1);
  EXPECT_EQ(data.test.size(), 2);
  ASSERT_EQ(data.scaling.offset.size(), 2u);
  EXPECT_EQ(data.scaling.offset[0], 0.0f);  // min of x over rows 0-4
  EXPECT_EQ(data.scaling.scale[0], 0.25f);  // 1 / (4 - 0)
  EXPECT_EQ(data.scaling.scale[1], 0.025f);
  // The last test window holds rows 8 and 9: x = 8, 9 and y = 80, 90, time-major.
  const auto last = data.test.x[1];
  EXPECT_FLOAT_EQ(last[0].item<float>(), 2.0f);
  EXPECT_FLOAT_EQ(last[1].item<float>(), 2.0f);
  EXPECT_FLOAT_EQ(last[2].item<float>(), 2.25f);
  EXPECT_FLOAT_EQ(last[3].item<float>(), 2.25f);
  EXPECT_EQ(data.test_raw[1][2].item<float>(), 9.0f);
  // Labels of a window: its last row's. Row 8 ends window (7, 8), row 9 ends (8, 9).
  EXPECT_EQ(data.test.labels, (std::vector<std::uint8_t>{1, 0}));
  EXPECT_EQ(data.test.where, (std::vector<std::uint64_t>{10, 11}));  // file lines of rows 8 and 9

  // A given scaling (a checkpoint's) is used as it is, not refitted.
  tinyae::Scaling fixed{tinyae::ScalingKind::kZScore, {"x", "y"}, {1.0f, 1.0f}, {2.0f, 2.0f}};
  const tinyae::ModelData again = tinyae::load_model_data(spec, fixed);
  EXPECT_FLOAT_EQ(again.test.x[1][0].item<float>(), (8.0f - 1.0f) * 2.0f);
  fixed.feature_names = {"x", "z"};
  EXPECT_THROW(tinyae::load_model_data(spec, fixed), tinyae::Error);
  fs::remove(spec.path);
}

TEST(DataSource, SpecRoundTripsAndRefusesNonsense) {
  DataSpec spec = ten_rows();
  fs::remove(spec.path);
  spec.scaling = tinyae::ScalingKind::kZScore;
  spec.csv.windows.normal_only_train = true;
  EXPECT_EQ(DataSpec::from_json(spec.to_json(), "spec"), spec);
  DataSpec mnist;
  mnist.path = "/data/mnist";
  mnist.digit = 3;
  EXPECT_EQ(DataSpec::from_json(mnist.to_json(), "spec"), mnist);
  EXPECT_NE(mnist.describe().find("digit 3"), std::string::npos);

  auto refused = [](nlohmann::json j, const std::string& needle) {
    try {
      DataSpec::from_json(j, "ckpt.data");
      ADD_FAILURE() << "accepted " << j.dump();
    } catch (const tinyae::Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  nlohmann::json j = mnist.to_json();
  j["digit"] = 10;
  refused(j, "digit");
  j = spec.to_json();
  j["features"] = nlohmann::json::array();
  refused(j, "feature");
  j = spec.to_json();
  j["extra"] = 1;
  refused(j, "extra");
  j = spec.to_json();
  j["label"] = "";
  refused(j, "label column");  // normal_only_train without labels
}

TEST(DataSource, OneClassMnistTrainsOnTheDigitAndLabelsTheOthers) {
  if (!fs::exists(kMnistDir / "train-labels-idx1-ubyte") && !fs::exists(kMnistDir / "train-labels-idx1-ubyte.gz")) {
    GTEST_SKIP() << "MNIST absent: run data/fetch_mnist.sh";
  }
  DataSpec spec;
  spec.path = kMnistDir;
  spec.digit = 7;
  const tinyae::ModelData data = tinyae::load_model_data(spec);
  // 6,265 sevens in the training set: the last tenth validate.
  EXPECT_EQ(data.train.size() + data.validation.size(), 6265);
  EXPECT_EQ(data.validation.size(), 626);
  EXPECT_EQ(data.test.size(), 10000);
  const auto normal = std::count(data.test.labels.begin(), data.test.labels.end(), 0);
  EXPECT_EQ(normal, 1028);  // sevens among the test images
  // Raw test pixels are bytes; scaled ones are pixel / 255.
  EXPECT_EQ(data.test_raw.max().item<float>(), 255.0f);
  EXPECT_TRUE(torch::equal(data.test.x, data.test_raw.mul(1.0f / 255.0f)) ||
              torch::allclose(data.test.x, data.test_raw.div(255.0f), 0, 1e-7));
}
