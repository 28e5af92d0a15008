// The labelled sensor readings (data/fetch_sensors.sh) through load_csv_dataset:
// the data set's documented counts and event positions, the events in the test
// split, and the no-training baseline's documented AUC. Skipped when the file
// has not been fetched.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <numeric>

#include <gtest/gtest.h>

#include "tinyae/csv.h"
#include "tinyae/dataset.h"
#include "tinyae/metrics.h"
#include "tinyae/normalize.h"

namespace fs = std::filesystem;

namespace {

const fs::path kSensorsCsv = fs::path(TINYAE_SOURCE_DIR) / "data" / "sensors" / "data.csv";
const tinyae::CsvColumns kColumns{{"humidity", "temperature"}, "label", "mote_id"};

#define SKIP_WITHOUT_SENSORS() \
  if (!fs::exists(kSensorsCsv)) GTEST_SKIP() << kSensorsCsv << " absent: run data/fetch_sensors.sh"

std::size_t count_ones(const std::vector<std::uint8_t>& labels) {
  return static_cast<std::size_t>(std::count(labels.begin(), labels.end(), 1));
}

}  // namespace

TEST(Sensors, TableHasTheDocumentedCounts) {
  SKIP_WITHOUT_SENSORS();
  const tinyae::CsvTable table = tinyae::read_csv(kSensorsCsv, kColumns);
  EXPECT_EQ(table.rows(), 18914u);
  EXPECT_EQ(count_ones(table.labels), 149u);
  EXPECT_EQ(table.sha256, "d9e373a2b95eb5ed9eacd242ab4f0f4ef86c98bb1d766750eb0d6e60290ecf17");
  ASSERT_EQ(table.groups.size(), 4u);
  const std::size_t sizes[] = {4417, 4417, 5039, 5041};
  for (std::size_t g = 0; g < 4; ++g) {
    EXPECT_EQ(table.groups[g].name, std::to_string(g + 1));
    EXPECT_EQ(table.groups[g].row_count, sizes[g]);
  }
  // The events, as row positions within their mote: mote 1 rows 2343-2459, mote 4 rows 2361-2392.
  const auto event_rows = [&](std::size_t g) {
    std::vector<std::size_t> rows;
    for (std::size_t r = 0; r < table.groups[g].row_count; ++r) {
      if (table.labels[table.groups[g].first_row + r]) rows.push_back(r);
    }
    return rows;
  };
  const auto mote1 = event_rows(0), mote4 = event_rows(3);
  ASSERT_EQ(mote1.size(), 117u);
  EXPECT_EQ(mote1.front(), 2343u);
  EXPECT_EQ(mote1.back(), 2459u);
  ASSERT_EQ(mote4.size(), 32u);
  EXPECT_EQ(mote4.front(), 2361u);
  EXPECT_EQ(mote4.back(), 2392u);
}

TEST(Sensors, DefaultSplitPutsEveryEventInTest) {
  SKIP_WITHOUT_SENSORS();
  tinyae::CsvSpec spec{kColumns, {}};
  spec.windows.window = 16;
  const tinyae::Dataset data = tinyae::load_csv_dataset(kSensorsCsv, spec);
  EXPECT_EQ(data.rows_read, 18914u);
  EXPECT_EQ(data.train.dim(), 32u);
  EXPECT_EQ(count_ones(data.train.labels), 0u);
  EXPECT_EQ(count_ones(data.validation.labels), 0u);
  EXPECT_EQ(count_ones(data.test.labels), 149u);  // one window ends at each labelled reading
  // Per mote of n rows: train floor(0.3 n) - 15 windows, validation floor(0.4 n) - floor(0.3 n) - 15,
  // test n - floor(0.4 n) - 15 (stride 1, straddling windows dropped).
  std::size_t train = 0, validation = 0, test = 0;
  for (const std::size_t n : {4417, 4417, 5039, 5041}) {
    const std::size_t a = n * 3 / 10, b = n * 4 / 10;
    train += a - 15;
    validation += b - a - 15;
    test += n - b - 15;
  }
  EXPECT_EQ(data.train.size(), train);
  EXPECT_EQ(data.validation.size(), validation);
  EXPECT_EQ(data.test.size(), test);
}

// The documented baseline, on the first 40% of each mote for training: the largest
// |window mean - training mean| / training std over the two features scores
// ROC AUC 0.978 on mote 1 and 0.877 on mote 4.
TEST(Sensors, BaselineMatchesTheDocumentedAuc) {
  SKIP_WITHOUT_SENSORS();
  tinyae::CsvSpec spec{kColumns, {}};
  spec.windows.window = 16;
  spec.windows.train_fraction = 0.4;
  spec.windows.validation_fraction = 0.0;
  const tinyae::Dataset data = tinyae::load_csv_dataset(kSensorsCsv, spec);
  const std::pair<std::uint32_t, double> expected[] = {{0, 0.978}, {3, 0.877}};
  for (const auto& [mote, auc] : expected) {
    tinyae::Samples train = data.train;  // this mote's training windows only
    tinyae::Samples keep;
    keep.window = train.window;
    keep.features = train.features;
    for (std::size_t i = 0; i < train.size(); ++i) {
      if (train.group[i] != mote) continue;
      keep.x.insert(keep.x.end(), train.x.begin() + static_cast<std::ptrdiff_t>(i * train.dim()),
                    train.x.begin() + static_cast<std::ptrdiff_t>((i + 1) * train.dim()));
      keep.group.push_back(mote);
      keep.last_row.push_back(train.last_row[i]);
    }
    const auto z = tinyae::fit_scaling(tinyae::ScalingKind::kZScore, keep, data.feature_names);
    std::vector<double> scores;
    std::vector<std::uint8_t> labels;
    for (std::size_t i = 0; i < data.test.size(); ++i) {
      if (data.test.group[i] != mote) continue;
      double worst = 0;
      for (std::size_t f = 0; f < 2; ++f) {
        double mean = 0;
        for (std::size_t t = 0; t < 16; ++t) mean += data.test.x[i * 32 + t * 2 + f] / 16.0;
        worst = std::max(worst, std::fabs(mean - z.offset[f]) * z.scale[f]);
      }
      scores.push_back(worst);
      labels.push_back(data.test.labels[i]);
    }
    EXPECT_NEAR(tinyae::roc_auc(scores, labels), auc, 0.0005) << "mote " << mote + 1;
  }
}
