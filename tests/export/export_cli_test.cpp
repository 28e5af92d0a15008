// `tinyae export` end to end through the real CLI: the files of the contract,
// the footprint report for the tutorial-size model, what happens to an
// existing folder, and hostile exports (missing or corrupt checkpoint, output
// path that is a file or lies under one, bad prefix): non-zero exit, one
// error line, and no model_*.h left anywhere.
#include <iostream>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "export_support.h"
#include "tinyae/common.h"

namespace tinyae::test {
namespace {

// The export's stderr/stdout must hold exactly one "error: ..." line and nothing else.
void expect_one_error_line(const CommandResult& r, const std::string& needle) {
  EXPECT_NE(r.exit_code, 0) << r.output;
  std::istringstream lines(r.output);
  std::string line;
  int errors = 0, others = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("error: ", 0) == 0) {
      ++errors;
      EXPECT_NE(line.find(needle), std::string::npos) << "expected '" << needle << "' in: " << line;
    } else if (!line.empty()) {
      ++others;
    }
  }
  EXPECT_EQ(errors, 1) << r.output;
  EXPECT_EQ(others, 0) << r.output;
}

// Nothing but `allowed` entries in `dir` (so no model header and no staging
// folder was left beside them).
void expect_only(const fs::path& dir, const std::set<std::string>& allowed) {
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_TRUE(allowed.count(entry.path().filename().string())) << "left behind: " << entry.path();
  }
}

class Export : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string missing = mnist_missing_message();
    ASSERT_TRUE(missing.empty()) << missing;
    dir_ = fresh_dir(::testing::UnitTest::GetInstance()->current_test_info()->name());
    checkpoint_ = dir_ / "model.safetensors";
    write_checkpoint(checkpoint_);
  }
  // A flat folder (--package none): these tests check the files by their place in it.
  CommandResult export_to(const fs::path& out, const std::string& extra = "") {
    return run_export("--model " + quoted(checkpoint_) + " --out " + quoted(out) + " --data " + quoted(mnist_dir()) +
                      " --package none " + extra);
  }
  fs::path dir_;
  fs::path checkpoint_;
};

TEST_F(Export, WritesTheContractFilesAndPrintsTheFootprint) {
  const fs::path out = dir_ / "out";
  const CommandResult r = export_to(out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::cout << r.output;
  for (const char* file : {"tinyae.h", "tinyae_status.c", "tinyae_f32.c", "model_encoder.h", "model_decoder.h",
                           "model_autoencoder.h", "footprint.json", "manifest.json"}) {
    EXPECT_TRUE(fs::is_regular_file(out / file)) << file;
  }
  // The runtime float32 needs, byte for byte, and not the other formats' files.
  const fs::path runtime = fs::path(TINYAE_SOURCE_DIR) / "src/runtime";
  for (const std::string& name : runtime_files(number_format_info(NumberFormat::kFloat32))) {
    ASSERT_TRUE(fs::is_regular_file(out / name)) << name << " was not exported";
    EXPECT_TRUE(read_text(out / name) == read_text(runtime / name)) << name << " is not a copy of src/runtime/" << name;
  }
  EXPECT_FALSE(fs::exists(out / "tinyae_int8.c")) << "a float32 export needs no int8 runtime";
  // The footprint report: tutorial-size model 784-128-64-32.
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(encoder\s+443,264\s+768\s+110,592)"))) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(decoder\s+446,272\s+768\s+110,592)"))) << r.output;
  EXPECT_TRUE(std::regex_search(r.output, std::regex(R"(autoencoder\s+889,536\s+768\s+221,184)"))) << r.output;

  const auto footprint = nlohmann::json::parse(read_text(out / "footprint.json"));
  EXPECT_EQ(footprint["autoencoder"]["weights_bytes"], 889536);
  EXPECT_EQ(footprint["autoencoder"]["scratch_bytes"], 768);
  EXPECT_EQ(footprint["autoencoder"]["macs"], 221184);
  EXPECT_EQ(footprint["encoder"]["scratch_bytes"], 768);  // 128 + 64 floats

  const auto manifest = nlohmann::json::parse(read_text(out / "manifest.json"));
  EXPECT_EQ(manifest["tinyae_version"], kVersion);
  EXPECT_EQ(manifest["header_format_version"], 2);
  EXPECT_EQ(manifest["number_format"], "float32");
  EXPECT_EQ(manifest["checkpoint_sha256"], sha256_file_hex(checkpoint_));
  ASSERT_EQ(manifest["models"].size(), 3u);
  const char* names[] = {"encoder", "decoder", "autoencoder"};
  const int inputs[] = {784, 32, 784}, outputs[] = {32, 784, 784};
  for (int i = 0; i < 3; ++i) {
    const auto& m = manifest["models"][i];
    EXPECT_EQ(m["name"], names[i]);
    EXPECT_EQ(m["header"], std::string("model_") + names[i] + ".h");
    EXPECT_EQ(m["prefix"], names[i]);
    EXPECT_EQ(m["input_size"], inputs[i]);
    EXPECT_EQ(m["output_size"], outputs[i]);
    EXPECT_EQ(m["golden_count"], 4);
    EXPECT_EQ(m["weights_bytes"], footprint[names[i]]["weights_bytes"]);
    EXPECT_EQ(m["scratch_bytes"], footprint[names[i]]["scratch_bytes"]);
    EXPECT_EQ(m["macs"], footprint[names[i]]["macs"]);
  }
  const std::string header = read_text(out / "model_autoencoder.h");
  EXPECT_EQ(header.rfind("/* Generated by tinyae 0.1.0 -- do not edit.", 0), 0u);
  EXPECT_NE(header.find("#define AUTOENCODER_SCRATCH_FLOATS 192"), std::string::npos);
  EXPECT_NE(header.find("#define AUTOENCODER_WEIGHTS_BYTES 889536"), std::string::npos);
  EXPECT_NE(header.find("#define AUTOENCODER_MACS 221184"), std::string::npos);
  EXPECT_NE(header.find("#define AUTOENCODER_CHECKPOINT_SHA256 \"" + sha256_file_hex(checkpoint_) + "\""),
            std::string::npos);
  EXPECT_NE(header.find(checkpoint_.string()), std::string::npos) << "checkpoint path missing from the banner";
  // Nothing else next to the new folder (the staging folder was renamed away).
  expect_only(dir_, {"model.safetensors", "out"});
}

TEST_F(Export, WithoutGoldenVectorsNeedsNoData) {
  const fs::path out = dir_ / "out";
  // (A trailing '/' on --out names the same folder.)
  const CommandResult r =
      run_export("--model " + quoted(checkpoint_) + " --out " + quoted(fs::path(out.string() + "/")) +
                 " --data /nonexistent/mnist --golden 0 --package none");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(read_text(out / "model_decoder.h").find("#define DECODER_GOLDEN_COUNT 0\n"), std::string::npos);
  expect_only(dir_, {"model.safetensors", "out"});
}

TEST_F(Export, IntoAnExistingFolderReplacesItsOwnFilesAndKeepsForeignOnes) {
  const fs::path out = dir_ / "out";
  fs::create_directories(out);
  write_text(out / "notes.txt", "mine");
  write_text(out / "model_encoder.h", "stale");
  const CommandResult r = export_to(out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(read_text(out / "notes.txt"), "mine");
  EXPECT_EQ(read_text(out / "model_encoder.h").rfind("/* Generated by tinyae", 0), 0u);
  for (const auto& entry : fs::directory_iterator(out)) {
    EXPECT_NE(entry.path().filename().string().rfind(".tinyae", 0), 0u) << "staging left behind: " << entry.path();
  }
  // A second export over the first is fine too.
  const CommandResult again = export_to(out, "--golden 1");
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(read_text(out / "model_encoder.h").find("#define ENCODER_GOLDEN_COUNT 1\n"), std::string::npos);
}

TEST_F(Export, MissingCheckpoint) {
  const fs::path out = dir_ / "out";
  const CommandResult r = run_export("--model " + quoted(dir_ / "nope.pt") + " --out " + quoted(out));
  expect_one_error_line(r, "nope.pt");
  EXPECT_FALSE(fs::exists(out));
  expect_only(dir_, {"model.safetensors"});
}

TEST_F(Export, CorruptCheckpoints) {
  const std::string good = read_text(checkpoint_);
  std::string flipped = good;
  flipped[flipped.size() / 2] = static_cast<char>(flipped[flipped.size() / 2] ^ 0x40);
  const std::vector<std::pair<std::string, std::string>> cases = {{"truncated.pt", good.substr(0, good.size() / 3)},
                                                                  {"flipped.pt", flipped},
                                                                  {"text.pt", "this is not a checkpoint\n"},
                                                                  {"empty.pt", ""}};
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    write_text(dir_ / name, bytes);
    const fs::path out = dir_ / ("out_" + name);
    const CommandResult r =
        run_export("--model " + quoted(dir_ / name) + " --out " + quoted(out) + " --data " + quoted(mnist_dir()));
    expect_one_error_line(r, name);
    EXPECT_FALSE(fs::exists(out));
  }
  expect_only(dir_, {"model.safetensors", "truncated.pt", "flipped.pt", "text.pt", "empty.pt"});
}

TEST_F(Export, OutputPathIsAFile) {
  const fs::path file = dir_ / "taken";
  write_text(file, "a file");
  expect_one_error_line(export_to(file), "is a file");
  EXPECT_EQ(read_text(file), "a file");
  expect_only(dir_, {"model.safetensors", "taken"});
}

// Tests run as root, so chmod cannot make a folder unwritable: a path below
// a regular file cannot be created by anyone.
TEST_F(Export, OutputPathBelowAFileIsUnwritable) {
  const fs::path file = dir_ / "taken";
  write_text(file, "a file");
  expect_one_error_line(export_to(file / "sub" / "out"), "is a file");
  EXPECT_EQ(read_text(file), "a file");
  expect_only(dir_, {"model.safetensors", "taken"});
}

TEST_F(Export, ModelFileNameInTheWayOfAFolderLeavesTheOldExportIntact) {
  const fs::path out = dir_ / "out";
  fs::create_directories(out / "model_decoder.h");  // a folder where a header must go
  write_text(out / "model_encoder.h", "old");
  const CommandResult r = export_to(out);
  expect_one_error_line(r, "model_decoder.h");
  EXPECT_EQ(read_text(out / "model_encoder.h"), "old") << "a file was replaced before the export was known to fit";
  for (const auto& entry : fs::directory_iterator(out)) {
    EXPECT_NE(entry.path().filename().string().rfind(".tinyae", 0), 0u) << "staging left behind: " << entry.path();
  }
}

TEST_F(Export, BadNamePrefixes) {
  // More cases in export_text_test; these go through the command line.
  for (const char* prefix : {"9abc", "a b", "x;int", "tinyae_x"}) {
    SCOPED_TRACE(prefix);
    const fs::path out = dir_ / "out";
    expect_one_error_line(export_to(out, "--name-prefix " + quoted(prefix)), "prefix");
    EXPECT_FALSE(fs::exists(out));
  }
  expect_only(dir_, {"model.safetensors"});
  EXPECT_EQ(count_model_headers(dir_), 0);
}

TEST_F(Export, TooManyGoldenVectorsOrNoData) {
  expect_one_error_line(export_to(dir_ / "out", "--golden 100000"), "--golden");
  expect_one_error_line(export_to(dir_ / "out", "--golden=-1"), "--golden");
  const CommandResult r = run_export("--model " + quoted(checkpoint_) + " --out " + quoted(dir_ / "out") + " --data " +
                                     quoted(dir_ / "no-mnist-here"));
  expect_one_error_line(r, "no-mnist-here");
  expect_only(dir_, {"model.safetensors"});
}

TEST_F(Export, UsageErrors) {
  const CommandResult no_model = run_export("--out " + quoted(dir_ / "out"));
  EXPECT_EQ(no_model.exit_code, 2) << no_model.output;
  EXPECT_NE(no_model.output.find("--model"), std::string::npos) << no_model.output;
  const CommandResult bad_format = export_to(dir_ / "out", "--format float16");
  expect_one_error_line(bad_format, "float16");
  const CommandResult help = run_export("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.output.find("--name-prefix"), std::string::npos);
  expect_only(dir_, {"model.safetensors"});
}

}  // namespace
}  // namespace tinyae::test
