// The generated files compile for real: a hand-checked tiny model runs on the
// runtime; the three exported headers compile together in one translation
// unit as C99 and as C++ (-Wall -Wextra -Werror -pedantic, GCC and Clang) and
// for a Cortex-M4F with arm-none-eabi-gcc; the --arduino example sketch
// compiles with g++ against a small Arduino shim (tests/export/arduino_shim)
// and prints values that match LibTorch, a variational model's log-variance
// too.
#include <algorithm>
#include <cmath>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "export_support.h"
#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/data.h"
#include "tinyae/export.h"

namespace tinyae::test {
namespace {

const fs::path kFixtures = fs::path(TINYAE_SOURCE_DIR) / "tests" / "export";

// Exports an untrained (seeded) tutorial-size model with 2 golden vectors
// into a fresh folder and returns it.
fs::path export_untrained(const std::string& name, const std::string& extra_arguments = "") {
  const fs::path dir = fresh_dir(name);
  write_checkpoint(dir / "model.safetensors");
  const CommandResult r =
      run_export("--model " + quoted(dir / "model.safetensors") + " --out " + quoted(dir / "out") + " --data " +
                 quoted(mnist_dir()) + " --golden 2 --package none " + extra_arguments);
  if (r.exit_code != 0) throw std::runtime_error("tinyae export failed:\n" + r.output);
  return dir / "out";
}

TEST(ExportCompile, TinyHandCheckedModelRunsOnTheRuntime) {
  // 3 -> 2 (relu) -> 2 (linear). Input (1, 1, 1):
  //   layer 0: (1+2+3+0.5, -1-1-1+0.25) = (6.5, -2.75) -> relu -> (6.5, 0)
  //   layer 1: (1*6.5 + 0.5*0 + 0, 2*6.5 - 1*0 + 1) = (6.5, 14)
  ModelToExport model;
  model.name = "encoder";
  model.prefix = "encoder";
  model.layers = {{3, 2, Activation::kRelu, {1, 2, 3, -1, -1, -1}, {0.5f, 0.25f}},
                  {2, 2, Activation::kLinear, {1, 0.5f, 2, -1}, {0, 1}}};
  model.golden_count = 1;
  model.golden_inputs = {1, 1, 1};
  model.golden_outputs = {6.5f, 14};
  Provenance provenance;
  provenance.checkpoint_path = "weird*/path?\?/\n/*name";  // must not break the banner comment
  const fs::path dir = fresh_dir("tiny");
  const auto writer = make_header_writer(NumberFormat::kFloat32);
  write_text(dir / "model_encoder.h", writer->render(model, provenance));
  for (const EmbeddedFile& file : embedded_runtime_files())
    write_text(dir / std::string(file.name), std::string(file.contents));
  write_text(dir / "main.c",
             "#include <stdio.h>\n#include \"model_encoder.h\"\n"
             "int main(void) {\n"
             "  float out[ENCODER_OUTPUT_SIZE], scratch[ENCODER_SCRATCH_FLOATS];\n"
             "  tinyae_status s = tinyae_run_f32(&encoder_model, encoder_golden_inputs[0], out, scratch, "
             "ENCODER_SCRATCH_FLOATS);\n"
             "  printf(\"%d %.9g %.9g %d\\n\", (int)s, out[0], out[1], ENCODER_SCRATCH_FLOATS);\n"
             "  return 0;\n}\n");
  compile(TINYAE_TEST_CC, std::string(kStrictC) + " -I" + quoted(dir),
          quoted(dir / "main.c") + " " + runtime_c_files(dir) + " -lm", dir / "tiny");
  const CommandResult r = run_command(quoted(dir / "tiny"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output, "0 6.5 14 2\n");
}

class ExportedHeaders : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string missing = mnist_missing_message();
    ASSERT_TRUE(missing.empty()) << missing;
  }
};

TEST_F(ExportedHeaders, CompileTogetherAsPedanticC99AndRunTheirGoldenVectors) {
  const fs::path out = export_untrained("c99");
  for (const std::string& compiler : {std::string(TINYAE_TEST_CC), std::string(TINYAE_CLANG)}) {
    SCOPED_TRACE(compiler);
    const fs::path exe = out / "together";
    compile(compiler, std::string(kStrictC) + " -O1 -I" + quoted(out),
            quoted(kFixtures / "headers_together.c") + " " + runtime_c_files(out) + " -lm", exe);
    const CommandResult r = run_command(quoted(exe));
    EXPECT_EQ(r.exit_code, 0) << "a golden vector differs from LibTorch by more than 1e-5\n" << r.output;
  }
}

TEST_F(ExportedHeaders, CompileTogetherAsCxx) {
  const fs::path out = export_untrained("cxx");
  for (const std::string& compiler : {std::string(TINYAE_TEST_CXX), std::string(TINYAE_CLANGXX)}) {
    SCOPED_TRACE(compiler);
    compile(compiler, std::string(kStrictCxx) + " -c -x c++ -I" + quoted(out), quoted(kFixtures / "headers_together.c"),
            out / "together_cxx.o");
  }
}

TEST_F(ExportedHeaders, CompileForCortexM4F) {
  ASSERT_STRNE(TINYAE_ARM_GCC, "") << "arm-none-eabi-gcc not found (install gcc-arm-none-eabi; see tools/setup.sh)";
  const fs::path out = export_untrained("cortex_m4f");
  // -O0 too: a debug build of the user's firmware compiles the runtime
  // unoptimized, where the assembly kernels step aside.
  for (const std::string level : {"-O2", "-O0"}) {
    SCOPED_TRACE(level);
    const std::string flags =
        std::string(kStrictC) + " " + kCortexM4F + " -ffreestanding " + level + " -c -I" + quoted(out);
    compile(TINYAE_ARM_GCC, flags, quoted(kFixtures / "headers_together.c"), out / "together_m4f.o");
    for (const char* runtime : {"tinyae_status", "tinyae_f32"}) {
      compile(TINYAE_ARM_GCC, flags, quoted(out / (std::string(runtime) + ".c")),
              out / (std::string(runtime) + "_m4f.o"));
    }
  }
}

TEST_F(ExportedHeaders, CompileWithANamePrefix) {
  const fs::path out = export_untrained("prefix", "--name-prefix digits");
  const std::string header = read_text(out / "model_encoder.h");
  EXPECT_NE(header.find("static const tinyae_model_f32 digits_encoder_model"), std::string::npos);
  EXPECT_NE(header.find("#define DIGITS_ENCODER_SCRATCH_FLOATS 192"), std::string::npos);
  write_text(out / "main.c",
             "#include \"model_encoder.h\"\n#include \"model_decoder.h\"\n#include \"model_autoencoder.h\"\n"
             "int main(void) { return digits_encoder_model.input_size + digits_decoder_model.input_size +\n"
             "    digits_autoencoder_model.input_size == 784 + 32 + 784 ? 0 : 1; }\n");
  compile(TINYAE_TEST_CC, std::string(kStrictC) + " -I" + quoted(out),
          quoted(out / "main.c") + " " + runtime_c_files(out) + " -lm", out / "prefixed");
  EXPECT_EQ(run_command(quoted(out / "prefixed")).exit_code, 0);
}

TEST_F(ExportedHeaders, ArduinoSketchPrintsLibTorchsValues) {
  const fs::path dir = fresh_dir("arduino");
  write_checkpoint(dir / "model.safetensors");
  const fs::path lib = dir / "tinyae_models";
  const CommandResult exported = run_export("--model " + quoted(dir / "model.safetensors") + " --out " + quoted(lib) +
                                            " --data " + quoted(mnist_dir()) + " --golden 2 --arduino");
  ASSERT_EQ(exported.exit_code, 0) << exported.output;
  for (const char* file :
       {"library.properties", "src/tinyae.h", "src/tinyae_status.c", "src/tinyae_f32.c", "src/model_encoder.h",
        "src/model_decoder.h", "src/model_autoencoder.h", "examples/tinyae_autoencoder/tinyae_autoencoder.ino",
        "manifest.json", "extras/footprint.json"}) {
    EXPECT_TRUE(fs::is_regular_file(lib / file)) << file;
  }
  EXPECT_EQ(nlohmann::json::parse(read_text(lib / "manifest.json"))["models"][0]["header"], "src/model_encoder.h");

  const fs::path sketch =
      build_arduino_sketch(TINYAE_TEST_CC, TINYAE_TEST_CXX, lib, dir / "build", NumberFormat::kFloat32);
  const CommandResult run = run_command(quoted(sketch));
  ASSERT_EQ(run.exit_code, 0) << run.output;

  // LibTorch's outputs for the same two images, to check what "Expected" printed.
  Checkpoint checkpoint = load_checkpoint(dir / "model.safetensors");
  checkpoint.model->eval();
  torch::NoGradGuard no_grad;
  const Mnist mnist = load_mnist(mnist_dir(), 1, 2);
  const torch::Tensor reference = checkpoint.model->forward(mnist.test.images).contiguous();  // (2, 784)
  const float* ref = reference.data_ptr<float>();

  const std::regex line(R"(Expected = (-?[0-9.]+), predicted = (-?[0-9.]+)\r?)");
  std::istringstream lines(run.output);
  std::string text;
  std::int64_t count = 0, nonzero = 0;
  double max_diff = 0, max_expected_error = 0;
  std::int64_t worst = -1;
  while (std::getline(lines, text)) {
    std::smatch m;
    if (!std::regex_match(text, m, line)) continue;
    const double expected = std::stod(m[1]), predicted = std::stod(m[2]);
    ASSERT_LT(count, 2 * 784) << "more output lines than 2 golden vectors x 784";
    if (std::fabs(expected - predicted) > max_diff) {
      max_diff = std::fabs(expected - predicted);
      worst = count;
    }
    max_expected_error = std::max(max_expected_error, std::fabs(expected - static_cast<double>(ref[count])));
    if (expected != 0) ++nonzero;
    ++count;
  }
  std::cout << "sketch: " << count << " values, max |expected - predicted| " << max_diff << " at (vector "
            << worst / 784 << ", index " << worst % 784 << "), max |expected - LibTorch| " << max_expected_error
            << " (6 decimals printed)\n";
  EXPECT_EQ(count, 2 * 784) << run.output.substr(0, 2000);
  EXPECT_GT(nonzero, 0) << "every expected value printed as 0: the check would be vacuous";
  EXPECT_LE(max_diff, 1e-5 + 1e-6);              // tolerance + printing's rounding
  EXPECT_LE(max_expected_error, 0.5e-6 + 1e-7);  // printed with 6 decimals
  EXPECT_NE(run.output.find("Self-test passed"), std::string::npos) << run.output.substr(run.output.size() - 500);
  EXPECT_TRUE(std::regex_search(run.output, std::regex(R"(Golden vector 0: [0-9]+ us)")));
  EXPECT_TRUE(std::regex_search(run.output, std::regex(R"(Inference time = [0-9]+ us)")));
  // Per vector: the raw pixels scaled on the board equal the golden input,
  // and the score is printed next to the host's, with threshold and flags.
  const std::regex scaled("Scaled raw input = golden input");
  EXPECT_EQ(std::distance(std::sregex_iterator(run.output.begin(), run.output.end(), scaled), std::sregex_iterator()),
            2);
  const std::regex score(
      R"(Score = ([0-9.]+), host = ([0-9.]+), threshold = ([0-9.]+), (anomaly|normal) \(host: (anomaly|normal)\))");
  int scores = 0;
  for (auto it = std::sregex_iterator(run.output.begin(), run.output.end(), score); it != std::sregex_iterator();
       ++it) {
    const double device = std::stod((*it)[1]), host = std::stod((*it)[2]);
    std::cout << "sketch: " << it->str() << "\n";
    EXPECT_NEAR(device, host, 1e-5 * host + 1e-9);
    ++scores;
  }
  EXPECT_EQ(scores, 2);
}

// A variational export's sketch also includes model_encoder.h and prints
// every golden vector's latent mean and log-variance (encoder_logvar()) next
// to the header's golden values: LibTorch's heads in float32 (6 decimals
// printed), the host reference's in int8 (equal).
TEST_F(ExportedHeaders, ArduinoSketchOfAVariationalModelPrintsTheLogVariance) {
  const fs::path dir = fresh_dir("arduino-variational");
  const fs::path checkpoint_path = train_small_variational(dir / "run");
  Checkpoint checkpoint = load_checkpoint(checkpoint_path);
  checkpoint.model->eval();
  torch::NoGradGuard no_grad;
  const Mnist mnist = load_mnist(mnist_dir(), 1, 2);
  const AutoencoderImpl::Heads heads = checkpoint.model->encode_heads(mnist.test.images);  // (2, 32) x 2
  const torch::Tensor mean = heads.mean.contiguous(), logvar = heads.logvar.contiguous();
  const std::int64_t latent = mean.size(1);
  const std::regex line(
      R"(Latent ([0-9]+): mean = (-?[0-9.]+), log-variance = (-?[0-9.]+) \(expected (-?[0-9.]+), (-?[0-9.]+)\)\r?)");

  for (const NumberFormat format : {NumberFormat::kFloat32, NumberFormat::kInt8}) {
    const std::string name(number_format_info(format).name);
    SCOPED_TRACE(name);
    const fs::path lib = dir / ("lib-" + name);
    const CommandResult exported =
        run_export("--model " + quoted(checkpoint_path) + " --out " + quoted(lib) + " --data " + quoted(mnist_dir()) +
                   " --golden 2 --arduino --format " + name);
    ASSERT_EQ(exported.exit_code, 0) << exported.output;
    const std::string sketch_text = read_text(lib / "examples/tinyae_autoencoder/tinyae_autoencoder.ino");
    EXPECT_NE(sketch_text.find("#include <model_encoder.h>"), std::string::npos);
    EXPECT_NE(sketch_text.find("encoder_logvar("), std::string::npos);
    const fs::path sketch = build_arduino_sketch(TINYAE_TEST_CC, TINYAE_TEST_CXX, lib, dir / ("build-" + name), format);
    const CommandResult run = run_command(quoted(sketch));
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("Self-test passed"), std::string::npos) << run.output.substr(run.output.size() - 500);

    std::istringstream lines(run.output);
    std::string text;
    std::int64_t count = 0;
    double max_device_gap = 0, max_torch_gap = 0;
    while (std::getline(lines, text)) {
      std::smatch m;
      if (!std::regex_match(text, m, line)) continue;
      ASSERT_LT(count, 2 * latent) << "more latent lines than 2 golden vectors x " << latent;
      EXPECT_EQ(std::stoll(m[1]), count % latent);
      const double device_mean = std::stod(m[2]), device_logvar = std::stod(m[3]);
      const double host_mean = std::stod(m[4]), host_logvar = std::stod(m[5]);
      max_device_gap =
          std::max({max_device_gap, std::fabs(device_mean - host_mean), std::fabs(device_logvar - host_logvar)});
      if (format == NumberFormat::kFloat32) {  // the header's golden values are LibTorch's heads
        max_torch_gap = std::max({max_torch_gap, std::fabs(host_mean - mean.data_ptr<float>()[count]),
                                  std::fabs(host_logvar - logvar.data_ptr<float>()[count])});
      }
      ++count;
    }
    std::cout << "sketch (" << name << "): " << count << " latent lines, max |device - expected| " << max_device_gap
              << ", max |expected - LibTorch| " << max_torch_gap << "\n";
    EXPECT_EQ(count, 2 * latent) << run.output.substr(0, 2000);
    if (format == NumberFormat::kFloat32) {
      EXPECT_LE(max_device_gap, 1e-5 + 1e-6);   // tolerance + printing's rounding
      EXPECT_LE(max_torch_gap, 0.5e-6 + 1e-7);  // printed with 6 decimals
    } else {
      EXPECT_EQ(max_device_gap, 0.0) << "int8 must equal the host reference";
    }
  }
}

}  // namespace
}  // namespace tinyae::test
