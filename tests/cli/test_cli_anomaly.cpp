// Anomaly detection on a CSV file as a user runs it: `tinyae train` on
// windows of two sensors, `tinyae eval --out` on the test split. The file is
// made here: two smooth periodic signals per sensor with a little noise, and
// one planted fault (a stuck-high reading on sensor "b") labelled 1. The
// planted windows must score above the threshold chosen on the validation
// split, the AUC in the report must equal scikit-learn's on the written
// scores.csv, and bad CSV files must be refused with the line named and no
// run folder left behind.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../common/temp_dir_test.h"
#include "tinyae/common.h"
#include "tinyae/process.h"

namespace fs = std::filesystem;

namespace {

struct Outcome {
  int status = -1;
  std::string out, err;
};

constexpr int kRowsPerSensor = 600;
constexpr int kFaultBegin = 450, kFaultEnd = 470;  // rows of sensor "b" (all in the test split)

class CliAnomalyTest : public tinyae::test::TempDirTest {
 protected:
  CliAnomalyTest() : TempDirTest("tinyae-test-anomaly") {}

  Outcome tinyae(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {TINYAE_EXE};
    argv.insert(argv.end(), args.begin(), args.end());
    tinyae::ProcessOptions options;
    options.timeout_seconds = 600;
    const tinyae::ProcessResult r = tinyae::run_process(argv, options);
    return {r.exited ? r.exit_code : -1, r.out, r.err};
  }

  // sensor,temp,humidity,label: two sensors, one after the other.
  fs::path write_sensor_csv() const {
    std::mt19937 random(7);
    std::normal_distribution<double> noise(0.0, 0.02);
    std::ostringstream csv;
    csv << "sensor,temp,humidity,label\n";
    for (const char* sensor : {"a", "b"}) {
      for (int t = 0; t < kRowsPerSensor; ++t) {
        double temp = 20 + 2 * std::sin(t * 2 * M_PI / 24) + noise(random);
        double humidity = 50 + 5 * std::cos(t * 2 * M_PI / 24) + noise(random);
        const bool fault = std::string(sensor) == "b" && t >= kFaultBegin && t < kFaultEnd;
        if (fault) temp = 35;
        csv << sensor << "," << temp << "," << humidity << "," << (fault ? 1 : 0) << "\n";
      }
    }
    const fs::path path = dir_ / "sensors.csv";
    tinyae::write_file_atomically(path, csv.str());
    return path;
  }

  std::vector<std::string> train_args(const fs::path& csv, const fs::path& out, const std::string& window = "8") const {
    return {"train",         "--data",   csv.string(), "--out",        out.string(), "--features",
            "temp,humidity", "--group",  "sensor",     "--label",      "label",      "--window",
            window,          "--epochs", "40",         "--batch-size", "32",         "--quiet"};
  }
};

TEST_F(CliAnomalyTest, PlantedFaultScoresAboveTheThresholdAndAucMatchesScikitLearn) {
  const fs::path csv = write_sensor_csv();
  const fs::path run = dir_ / "run";
  const Outcome train = tinyae(train_args(csv, run));
  ASSERT_EQ(train.status, 0) << train.err;
  ASSERT_TRUE(fs::exists(run / "model.safetensors"));
  EXPECT_TRUE(fs::exists(run / "loss.png"));
  EXPECT_FALSE(fs::exists(run / "reconstructions.png")) << "sensor windows are not images";

  const fs::path report_dir = dir_ / "eval";
  const Outcome eval =
      tinyae({"eval", "--model", (run / "model.safetensors").string(), "--json", "--out", report_dir.string()});
  ASSERT_EQ(eval.status, 0) << eval.err;
  const nlohmann::json report = nlohmann::json::parse(eval.out);
  ASSERT_TRUE(report["auc"].is_number()) << report.dump(2);
  EXPECT_GT(report["auc"].get<double>(), 0.9) << report.dump(2);
  EXPECT_EQ(report["groups"].size(), 2u);
  const double threshold = report["threshold"]["value"].get<double>();

  // Every window whose last row lies inside the fault scores above the threshold.
  std::ifstream scores(report_dir / "scores.csv");
  std::string line;
  std::getline(scores, line);
  EXPECT_EQ(line, "index,group,line,label,score,anomaly");
  int planted = 0, planted_flagged = 0;
  while (std::getline(scores, line)) {
    std::vector<std::string> cells;
    std::stringstream row(line);
    for (std::string cell; std::getline(row, cell, ',');) cells.push_back(cell);
    ASSERT_EQ(cells.size(), 6u) << line;
    const long file_line = std::stol(cells[2]);  // line 1 is the header; sensor b starts at line 602
    const long b_row = file_line - 2 - kRowsPerSensor;
    if (cells[1] == "b" && b_row >= kFaultBegin && b_row < kFaultEnd) {
      ++planted;
      EXPECT_EQ(cells[3], "1") << line;
      planted_flagged += std::stod(cells[4]) > threshold;
      EXPECT_EQ(cells[5], std::stod(cells[4]) > threshold ? "1" : "0") << line;
    }
  }
  EXPECT_EQ(planted, kFaultEnd - kFaultBegin);
  EXPECT_EQ(planted_flagged, planted) << "threshold " << threshold;
  for (const char* file : {"scores.png", "roc.png", "report.json"}) {
    EXPECT_TRUE(fs::exists(report_dir / file)) << file;
  }

  // An independent implementation agrees on the AUC and pAUC from the file alone.
  const std::string script =
      "import csv,sys\n"
      "from sklearn.metrics import roc_auc_score\n"
      "rows=list(csv.DictReader(open(sys.argv[1])))\n"
      "y=[int(r['label']) for r in rows]; s=[float(r['score']) for r in rows]\n"
      "print(repr(roc_auc_score(y,s)), repr(roc_auc_score(y,s,max_fpr=0.1)))\n";
  const tinyae::ProcessResult sk =
      tinyae::run_process({"/usr/bin/python3", "-c", script, (report_dir / "scores.csv").string()});
  ASSERT_TRUE(sk.exited && sk.exit_code == 0) << sk.err;
  std::istringstream figures(sk.out);
  double auc = 0, pauc = 0;
  figures >> auc >> pauc;
  // scores.csv holds 9 significant digits: ties may differ from the doubles only there.
  EXPECT_NEAR(auc, report["auc"].get<double>(), 1e-6);
  EXPECT_NEAR(pauc, report["pauc"].get<double>(), 1e-6);
}

TEST_F(CliAnomalyTest, BadCsvFilesAreRefusedNamingTheLineAndLeaveNothing) {
  struct Case {
    std::string name, text;
    std::vector<std::string> needles;
  };
  std::string good = "sensor,temp,humidity,label\n";
  for (int t = 0; t < 100; ++t) good += "a," + std::to_string(20 + t % 5) + ",50,0\n";
  const std::vector<Case> cases = {
      {"empty", "", {"empty"}},
      {"header_only", "sensor,temp,humidity,label\n", {"no data"}},
      {"text_cell", good + "a,warm,50,0\n", {"line 102", "temp"}},
      {"ragged", good + "a,20,50\n", {"line 102"}},
      {"missing_cell", good + "a,,50,0\n", {"line 102", "temp"}},
      {"bad_label", good + "a,20,50,2\n", {"line 102", "label"}},
      {"no_such_column", "sensor,temperature,humidity,label\na,1,2,0\n", {"temp"}},
  };
  for (const Case& c : cases) {
    const fs::path csv = dir_ / (c.name + ".csv");
    tinyae::write_file_atomically(csv, c.text);
    const fs::path run = dir_ / ("run_" + c.name);
    const Outcome outcome = tinyae(train_args(csv, run));
    EXPECT_EQ(outcome.status, 1) << c.name << ": " << outcome.err;
    EXPECT_NE(outcome.err.find(csv.filename().string()), std::string::npos) << c.name << ": " << outcome.err;
    for (const std::string& needle : c.needles) {
      EXPECT_NE(outcome.err.find(needle), std::string::npos) << c.name << " lacks '" << needle << "': " << outcome.err;
    }
    EXPECT_FALSE(fs::exists(run)) << c.name << " left " << run;
  }
  // A window longer than a group, and a CSV file without --features, are refused too.
  const fs::path csv = dir_ / "short.csv";
  tinyae::write_file_atomically(csv, good);
  const Outcome outcome = tinyae(train_args(csv, dir_ / "run_short", "200"));  // 200 rows > the group's 100
  EXPECT_EQ(outcome.status, 1) << outcome.err;
  EXPECT_NE(outcome.err.find("window"), std::string::npos) << outcome.err;
  EXPECT_FALSE(fs::exists(dir_ / "run_short"));
  const Outcome no_features = tinyae({"train", "--data", csv.string(), "--out", (dir_ / "r").string()});
  EXPECT_EQ(no_features.status, 2) << no_features.err;
  EXPECT_NE(no_features.err.find("--features"), std::string::npos) << no_features.err;
}

}  // namespace
