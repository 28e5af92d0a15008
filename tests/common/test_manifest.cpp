// manifest.json (include/tinyae/manifest.h): what export writes reads back
// the same, and every check deploy relies on refuses its bad input by name.
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <string>

#include <gtest/gtest.h>

#include "tinyae/common.h"
#include "tinyae/manifest.h"

namespace tinyae {
namespace {

namespace fs = std::filesystem;

Manifest sample() {
  Manifest m;
  m.tinyae_version = kVersion;
  m.number_format = NumberFormat::kInt8;
  m.checkpoint_sha256 = std::string(64, 'a');
  m.models = {{"encoder", "model_encoder.h", "encoder", 784, 32, 2, 1000, 512, 110592},
              {"autoencoder", "model_autoencoder.h", "my_ae", 784, 784, 1, 2000, 1024, 221184}};
  return m;
}

// sample() as JSON with `edit` applied, through from_json.
Manifest edited(const std::function<void(nlohmann::ordered_json&)>& edit) {
  nlohmann::ordered_json j = sample().to_json();
  edit(j);
  return Manifest::from_json(j.dump(), "'test manifest.json'");
}

void expect_refused(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected a tinyae::Error naming " << parts.front();
  } catch (const Error& e) {
    for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST(Manifest, RoundTrip) {
  const Manifest m = sample();
  const std::string text = m.to_json().dump(2);
  const Manifest back = Manifest::from_json(text, "'x'");
  EXPECT_EQ(back.to_json().dump(2), text);
  EXPECT_EQ(back.number_format, NumberFormat::kInt8);
  ASSERT_EQ(back.models.size(), 2u);
  EXPECT_EQ(back.models[1].prefix, "my_ae");
  EXPECT_EQ(back.models[1].macs, 221184);
  // Export's key order, which people read.
  EXPECT_EQ(text.find("\"tinyae_version\""), text.find('"'));
}

TEST(Manifest, DocumentChecks) {
  const std::string where = "'test manifest.json'";
  expect_refused([] { edited([](auto& j) { j["header_format_version"] = 1; }); },
                 {where, "header_format_version 1", "re-export"});
  expect_refused([] { edited([](auto& j) { j["number_format"] = "bfloat16"; }); },
                 {where, "number_format", "bfloat16", "float32"});
  expect_refused([] { edited([](auto& j) { j["models"][0]["name"] = "encoder; int evil"; }); },
                 {where, "models[0]", "C identifiers"});
  expect_refused([] { edited([](auto& j) { j["models"][1]["prefix"] = "9lives"; }); }, {"models[1]", "9lives"});
  expect_refused([] { edited([](auto& j) { j["models"][0]["macs"] = 1.10518e+25; }); }, {"models[0]", "macs"});
  expect_refused([] { edited([](auto& j) { j["models"][0]["macs"] = 18446744073709551615u; }); }, {"macs"});
  expect_refused([] { edited([](auto& j) { j["models"][0]["input_size"] = 0; }); }, {"input_size"});
  expect_refused([] { edited([](auto& j) { j["models"][0]["header"] = "a\"b.h"; }); }, {"header"});
  expect_refused([] { edited([](auto& j) { j["models"] = nlohmann::ordered_json::array(); }); }, {"models"});
  expect_refused([] { edited([](auto& j) { j["models"][0]["extra"] = 1; }); }, {"models[0]", "extra"});
  expect_refused([] { edited([](auto& j) { j["checkpoint_sha256"] = "xyz"; }); }, {"checkpoint_sha256"});
  expect_refused([] { edited([](auto& j) { j.erase("tinyae_version"); }); }, {"tinyae_version"});
  expect_refused([] { Manifest::from_json("{\"header_format_version\": 1, \"models\": [", "'m'"); }, {"'m'", "JSON"});
  expect_refused([] { Manifest::from_json(std::string(100000, '[') + std::string(100000, ']'), "'m'"); }, {"'m'"});
  // What every export writes: no golden vectors (--golden 0), headers in src/ (--arduino).
  EXPECT_NO_THROW(edited([](auto& j) { j["models"][0]["golden_count"] = 0; }));
  EXPECT_NO_THROW(edited([](auto& j) { j["models"][0]["header"] = "src/model_encoder.h"; }));
}

class ManifestFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("tinyae manifest test " + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    for (const char* file : {"tinyae.h", "tinyae_int8.c", "model_encoder.h", "model_autoencoder.h"}) {
      write_file_atomically(dir / file, std::string_view("/* */\n"));
    }
  }
  void TearDown() override { fs::remove_all(dir); }
  void write(const Manifest& m) { write_file_atomically(dir / kManifestFile, std::string_view(m.to_json().dump(2))); }
  fs::path dir;
};

TEST_F(ManifestFolder, ReadsAGoodFolder) {
  write(sample());
  EXPECT_EQ(read_manifest(dir).to_json(), sample().to_json());
}

TEST_F(ManifestFolder, FolderChecks) {
  expect_refused([&] { read_manifest(dir / "missing"); }, {"does not exist", "tinyae export"});
  expect_refused([&] { read_manifest(dir); }, {"manifest.json", "not found"});
  Manifest m = sample();
  m.models[0].golden_count = 0;
  write(m);
  expect_refused([&] { read_manifest(dir); }, {"manifest.json", "encoder", "no golden vectors"});
  m = sample();
  m.models[0].header = "../../etc/passwd";
  write(m);
  expect_refused([&] { read_manifest(dir); }, {"manifest.json", "plain file name"});
  m = sample();
  m.models[1].header = "model_missing.h";
  write(m);
  expect_refused([&] { read_manifest(dir); }, {"model_missing.h", "not found"});
  write(sample());
  fs::remove(dir / "tinyae_int8.c");
  expect_refused([&] { read_manifest(dir); }, {"tinyae_int8.c", "tinyae export"});
}

}  // namespace
}  // namespace tinyae
