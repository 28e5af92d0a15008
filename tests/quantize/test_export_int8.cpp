// `tinyae export --format int8` end to end: a tutorial-size model trained for
// a few hundred steps is exported as float32 and as int8 with the real CLI.
// The int8 headers compile together (C99 and C++, strict flags, and for a
// Cortex-M4F) with the exported runtime, and on the host reproduce their
// golden outputs -- the C++ reference's -- bit for bit; quantization.json and
// footprint.json hold the promised figures; the Arduino sketch compiles
// against the test shim and passes; bad --calibration values are refused.
#include <iostream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "../export/export_support.h"

namespace tinyae::test {
namespace {

constexpr std::int64_t kTrainSteps = 300;
// The small model's int8 MSE may exceed its float MSE by this factor at most
// (the 50-epoch default model's target is 1.03).
constexpr double kMaxMseRatio = 1.05;
// int8 constants against float32 weights, for 784-128-64-32 (the target is 0.27).
constexpr double kMaxFlashRatio = 0.27;

// Runs every golden vector of the three headers, counts outputs that differ,
// and checks that the decoder's golden inputs are the encoder's outputs.
constexpr const char* kGoldenMain = R"(#include <string.h>
#include "model_encoder.h"
#include "model_decoder.h"
#include "model_autoencoder.h"
#include <stdio.h>

static int32_t scratch[AUTOENCODER_SCRATCH_WORDS];
static int8_t out[AUTOENCODER_OUTPUT_SIZE];

static int check(const tinyae_model_i8 *model, const int8_t *inputs, const int8_t *outputs, int count,
                 const char *name) {
    int v, i, differ = 0;
    for (v = 0; v < count; v++) {
        tinyae_status s = tinyae_run_i8(model, inputs + v * model->input_size, out, scratch,
                                        AUTOENCODER_SCRATCH_WORDS);
        if (s != TINYAE_OK) {
            printf("%s: %s\n", name, tinyae_status_string(s));
            return 1000000;
        }
        for (i = 0; i < model->output_size; i++) differ += out[i] != outputs[v * model->output_size + i];
    }
    printf("%s: %d of %d outputs differ\n", name, differ, count * model->output_size);
    return differ;
}

int main(void) {
    int differ = check(&encoder_model, &encoder_golden_inputs[0][0], &encoder_golden_outputs[0][0],
                       ENCODER_GOLDEN_COUNT, "encoder");
    differ += check(&decoder_model, &decoder_golden_inputs[0][0], &decoder_golden_outputs[0][0],
                    DECODER_GOLDEN_COUNT, "decoder");
    differ += check(&autoencoder_model, &autoencoder_golden_inputs[0][0], &autoencoder_golden_outputs[0][0],
                    AUTOENCODER_GOLDEN_COUNT, "autoencoder");
    if (memcmp(decoder_golden_inputs, encoder_golden_outputs, sizeof encoder_golden_outputs) != 0 ||
        memcmp(autoencoder_golden_outputs, decoder_golden_outputs, sizeof decoder_golden_outputs) != 0) {
        printf("golden vectors do not chain\n");
        return 2;
    }
    return differ == 0 ? 0 : 1;
}
)";

class ExportInt8 : public ::testing::Test {
 protected:
  // One trained checkpoint and its float32 and int8 exports, shared by the tests.
  static void SetUpTestSuite() {
    if (!mnist_missing_message().empty()) return;
    dir_ = fresh_dir("quantize-export");
    write_checkpoint(dir_ / "model.safetensors", kTrainSteps);
    const std::string common = "--model " + quoted(dir_ / "model.safetensors") + " --data " + quoted(mnist_dir()) +
                               " --golden 3 --package none";
    float_export_ = run_export(common + " --out " + quoted(dir_ / "f32"));
    int8_export_ = run_export(common + " --out " + quoted(dir_ / "i8") + " --format int8 --calibration 500");
  }
  void SetUp() override {
    const std::string missing = mnist_missing_message();
    if (!missing.empty()) GTEST_FAIL() << missing;
    ASSERT_EQ(float_export_.exit_code, 0) << float_export_.output;
    ASSERT_EQ(int8_export_.exit_code, 0) << int8_export_.output;
  }
  static fs::path dir_;
  static CommandResult float_export_, int8_export_;
};
fs::path ExportInt8::dir_;
CommandResult ExportInt8::float_export_, ExportInt8::int8_export_;

TEST_F(ExportInt8, ReportsAccuracyAndFootprint) {
  const fs::path out = dir_ / "i8";
  for (const char* file : {"tinyae.h", "tinyae_status.c", "tinyae_int8.c", "model_encoder.h", "model_decoder.h",
                           "model_autoencoder.h", "footprint.json", "manifest.json", "quantization.json"}) {
    EXPECT_TRUE(fs::is_regular_file(out / file)) << file;
  }
  EXPECT_FALSE(fs::exists(out / "tinyae_f32.c")) << "an int8 export ships without the float32 runtime";
  const nlohmann::json q = nlohmann::json::parse(read_text(out / "quantization.json"));
  std::cout << "quantization.json: " << q.dump() << "\n";
  for (const char* key : {"float_mse", "int8_mse", "ratio", "latent_max_abs_err"}) {
    ASSERT_TRUE(q.contains(key) && q[key].is_number()) << key;
  }
  EXPECT_EQ(q["images"], 10000) << "measured on every MNIST test image";
  EXPECT_EQ(q["calibration_images"], 500);
  EXPECT_GT(q["float_mse"].get<double>(), 0.0);
  EXPECT_NEAR(q["ratio"].get<double>(), q["int8_mse"].get<double>() / q["float_mse"].get<double>(), 1e-12);
  EXPECT_LE(q["ratio"].get<double>(), kMaxMseRatio);
  EXPECT_NE(int8_export_.output.find("int8 MSE"), std::string::npos) << "the report is printed at export";

  const nlohmann::json manifest = nlohmann::json::parse(read_text(out / "manifest.json"));
  EXPECT_EQ(manifest["number_format"], "int8");
  const nlohmann::json f8 = nlohmann::json::parse(read_text(out / "footprint.json"));
  const nlohmann::json f32 = nlohmann::json::parse(read_text(dir_ / "f32" / "footprint.json"));
  const double flash_ratio =
      f8["autoencoder"]["weights_bytes"].get<double>() / f32["autoencoder"]["weights_bytes"].get<double>();
  std::cout << "autoencoder constants: int8 " << f8["autoencoder"]["weights_bytes"] << " bytes, float32 "
            << f32["autoencoder"]["weights_bytes"] << " bytes, ratio " << flash_ratio << "\n";
  EXPECT_LE(flash_ratio, kMaxFlashRatio);
  EXPECT_EQ(f8["autoencoder"]["weights_bytes"], 221184 + 1200 * 9) << "int8 weights + int32 bias, multiplier + shift";
  EXPECT_EQ(f8["autoencoder"]["scratch_bytes"], 768) << "4 * ((128 + 64) / 4 + 64 + 2 * 160 / 4)";
  for (const char* model : {"encoder", "decoder", "autoencoder"}) {
    EXPECT_LE(f8[model]["scratch_bytes"].get<std::int64_t>(), f32[model]["scratch_bytes"].get<std::int64_t>())
        << model << ": int8 needs no more scratch than float32";
  }
  EXPECT_EQ(f8["autoencoder"]["macs"], 221184);
  EXPECT_NE(read_text(out / "model_encoder.h").find("#define ENCODER_SCRATCH_WORDS 192"), std::string::npos);
}

TEST_F(ExportInt8, HeadersCompileAndMatchTheirGoldenVectorsBitForBit) {
  const fs::path out = dir_ / "i8";
  write_text(out / "main.c", kGoldenMain);
  const std::string runtime = runtime_c_files(out, NumberFormat::kInt8);
  compile(TINYAE_TEST_CC, std::string(kStrictC) + " -O2 -I" + quoted(out),
          quoted(out / "main.c") + " " + runtime + " -lm", out / "golden_c");
  const CommandResult c = run_command(quoted(out / "golden_c"));
  EXPECT_EQ(c.exit_code, 0) << c.output;
  std::cout << c.output;
  // As C++ too (Arduino sketches are C++): the headers and the int8 runtime
  // (tinyae_status.c, whose string table uses C99 designated initialisers, stays C).
  compile(TINYAE_TEST_CC, std::string(kStrictC) + " -O2 -c -I" + quoted(out), quoted(out / "tinyae_status.c"),
          out / "tinyae_status.o");
  compile(TINYAE_TEST_CXX, std::string(kStrictCxx) + " -O2 -I" + quoted(out),
          "-x c++ " + quoted(out / "main.c") + " " + quoted(out / "tinyae_int8.c") + " -x none " +
              quoted(out / "tinyae_status.o") + " -lm",
          out / "golden_cxx");
  const CommandResult cxx = run_command(quoted(out / "golden_cxx"));
  EXPECT_EQ(cxx.exit_code, 0) << cxx.output;
  // And for the Cortex-M4F (compile only; tests/deploy runs it on QEMU).
  ASSERT_FALSE(std::string(TINYAE_ARM_GCC).empty())
      << "arm-none-eabi-gcc not found: sudo apt-get install gcc-arm-none-eabi";
  compile(TINYAE_ARM_GCC, std::string(kStrictC) + " -ffreestanding -O2 " + kCortexM4F + " -c -I" + quoted(out),
          quoted(out / "tinyae_int8.c"), out / "tinyae_int8_m4.o");
  compile(TINYAE_ARM_GCC, std::string(kStrictC) + " -O2 " + kCortexM4F + " -c -I" + quoted(out), quoted(out / "main.c"),
          out / "main_m4.o");
}

TEST_F(ExportInt8, ArduinoSketchPassesExactly) {
  const fs::path lib = dir_ / "arduino";
  const CommandResult exported =
      run_export("--model " + quoted(dir_ / "model.safetensors") + " --out " + quoted(lib) + " --data " +
                 quoted(mnist_dir()) + " --golden 2 --arduino --format int8 --calibration 200");
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  const fs::path sketch =
      build_arduino_sketch(TINYAE_TEST_CC, TINYAE_TEST_CXX, lib, dir_ / "arduino-build", NumberFormat::kInt8);
  const CommandResult run = run_command(quoted(sketch));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::regex line(R"(Expected = (-?[0-9]+), predicted = (-?[0-9]+)\r?)");
  std::istringstream lines(run.output);
  std::string text;
  int count = 0, equal = 0;
  while (std::getline(lines, text)) {
    std::smatch m;
    if (!std::regex_match(text, m, line)) continue;
    ++count;
    equal += m[1] == m[2];
  }
  EXPECT_EQ(count, 2 * 784) << run.output.substr(0, 1000);
  EXPECT_EQ(equal, count) << "int8 outputs printed as integers must all be equal";
  EXPECT_NE(run.output.find("Self-test passed"), std::string::npos);
}

TEST_F(ExportInt8, RefusesBadOptions) {
  const std::string base = "--model " + quoted(dir_ / "model.safetensors") + " --data " + quoted(mnist_dir()) +
                           " --out " + quoted(dir_ / "refused") + " --format int8";
  for (const char* bad : {"0", "-5", "60001"}) {
    const CommandResult r = run_export(base + " --calibration " + bad);
    EXPECT_NE(r.exit_code, 0) << bad;
    EXPECT_NE(r.output.find("--calibration"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("1..60000"), std::string::npos) << r.output;
  }
  const CommandResult format = run_export("--model " + quoted(dir_ / "model.safetensors") + " --out " +
                                          quoted(dir_ / "refused") + " --format int16");
  EXPECT_NE(format.exit_code, 0);
  EXPECT_NE(format.output.find("float32 or int8"), std::string::npos) << format.output;
  EXPECT_FALSE(fs::exists(dir_ / "refused")) << "nothing is written when the options are refused";
}

}  // namespace
}  // namespace tinyae::test
