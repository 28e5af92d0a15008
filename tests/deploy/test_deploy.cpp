// Deploy end to end: build the firmware for a small export, boot it on every
// QEMU board, check the verdict, the figures and the error paths.
//
// Most tests use fake_export (random weights, double-precision goldens:
// small, fast, shapes chosen to hit every kernel path); one runs the real
// train -> export -> deploy pipeline against LibTorch's goldens. To move
// more tests to real exports, replace write_small_export with `tinyae export`
// -- deploy only reads the folder.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_export.h"
#include "tinyae/common.h"
#include "tinyae/deploy.h"
#include "tinyae/process.h"

namespace {
namespace fs = std::filesystem;
using tinyae::DeployOptions;
using tinyae::DeployResult;

const fs::path kRuntimeDir = fs::path(TINYAE_SOURCE_DIR) / "src" / "runtime";

// Two small models whose sizes hit every path of the kernel on the device:
// inputs that are not a multiple of 8, outputs not a multiple of 4, and all
// four activations.
std::vector<tinyae::test::FakeModel> small_models() {
  return {{"small_a", {13, 9, 6}, {1, 2}},          // relu, sigmoid
          {"small_b", {24, 16, 8, 5}, {3, 0, 1}}};  // tanh, linear, relu
}

class Deploy : public ::testing::Test {
 protected:
  fs::path root;  // has a space in its name, as user paths may
  void SetUp() override {
    std::string test = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::replace(test.begin(), test.end(), '/', '_');  // parameterised names contain '/'
    root = fs::temp_directory_path() / ("tinyae deploy test " + std::to_string(::getpid()) + " " + test);
    fs::create_directories(root);
  }
  void TearDown() override { fs::remove_all(root); }

  fs::path write_small_export(const std::string& name, double golden_error = 0.0) {
    tinyae::test::FakeExportOptions o;
    o.golden_count = 2;
    o.golden_error = golden_error;
    const fs::path dir = root / name;
    tinyae::test::write_fake_export(dir, small_models(), o, kRuntimeDir);
    return dir;
  }

  static DeployResult run(const fs::path& headers, const std::string& board,
                          std::vector<std::string>* lines = nullptr) {
    DeployOptions o;
    o.headers_dir = headers;
    o.board = board;
    o.timeout_seconds = 60;
    o.on_firmware_line = [lines](std::string_view line) {
      if (lines != nullptr) lines->emplace_back(line);
    };
    return tinyae::deploy(o);
  }
};

// Runs argv; returns its exit status (-1 if it did not exit) and stdout.
std::pair<int, std::string> run_command(const std::vector<std::string>& argv) {
  tinyae::ProcessOptions options;
  options.timeout_seconds = 900;
  const tinyae::ProcessResult r = tinyae::run_process(argv, options);
  return {r.exited ? r.exit_code : -1, r.out};
}

void expect_error_containing(const std::function<void()>& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "expected a tinyae::Error";
  } catch (const tinyae::Error& e) {
    for (const std::string& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

// ------------------------------------------------------------------ boards --

// Instructions per counter tick under -icount shift=0: 1 GHz over the
// SysTick clock on Cortex-M (25 MHz MPS2, 20 MHz AN505, 32 MHz AN547,
// 16 MHz nRF51), 1 on RISC-V (minstret counts instructions).
double expected_instructions_per_tick(const std::string& board) {
  static const std::map<std::string, double> per_tick = {
      {"mps2-an385", 40.0},  {"mps2-an386", 40.0}, {"mps2-an500", 40.0},  {"mps2-an505", 50.0},
      {"mps3-an547", 31.25}, {"microbit", 62.5},   {"riscv32-virt", 1.0}, {"sifive_e", 1.0}};
  return per_tick.at(board);
}

class DeployBoard : public Deploy, public ::testing::WithParamInterface<std::string> {};

TEST_P(DeployBoard, SmallExportPassesWithinTolerance) {
  const fs::path headers = write_small_export("export dir");
  std::vector<std::string> lines;
  const DeployResult r = run(headers, GetParam(), &lines);
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.exit_status, 0);
  EXPECT_EQ(r.board, GetParam());
  EXPECT_LE(r.max_abs_err, 1e-5) << "largest |device - double reference| over all outputs";
  std::printf("  %s: max_abs_err %.3g, %lld instructions for %lld MACs (%s), text %lld B\n", GetParam().c_str(),
              r.max_abs_err, static_cast<long long>(r.instructions_per_inference), static_cast<long long>(r.macs),
              r.headline_model.c_str(), static_cast<long long>(r.text));
  ASSERT_EQ(r.models.size(), 2u);
  for (const auto& [name, m] : r.models) {
    EXPECT_TRUE(m.ok) << name;
    EXPECT_EQ(m.vectors, 2) << name;
    EXPECT_EQ(m.failed_vectors, 0) << name;
    EXPECT_GT(m.instructions_per_inference, m.macs) << name << ": every MAC costs at least one instruction";
  }
  EXPECT_EQ(r.headline_model, "small_b");  // no autoencoder: the one with the most MACs
  EXPECT_EQ(r.macs, 24 * 16 + 16 * 8 + 8 * 5);
  EXPECT_NEAR(r.instructions_per_tick, expected_instructions_per_tick(GetParam()), 0.01)
      << "-icount shift=0 and the board's counter clock";
  EXPECT_TRUE(r.instructions_counted());
  EXPECT_GT(r.text, 0);
  EXPECT_GT(r.bss, 0);
  // The firmware printed every output of these narrow models.
  int expected_lines = 0;
  for (const std::string& l : lines) expected_lines += l.find("expected ") != std::string::npos ? 1 : 0;
  EXPECT_EQ(expected_lines, 2 * 6 + 2 * 5);
  const nlohmann::json j = r.to_json();
  for (const char* key : {"board", "ok", "max_abs_err", "instructions_per_inference", "macs", "instructions_per_mac",
                          "text", "data", "bss", "models"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
}

TEST_P(DeployBoard, WrongGoldenValueFails) {
  const fs::path headers = write_small_export("wrong", 1e-3);
  const DeployResult r = run(headers, GetParam());
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.exit_status, 1);
  EXPECT_NEAR(r.max_abs_err, 1e-3, 1e-5);
  EXPECT_EQ(r.models.at("small_a").failed_vectors, 1);
  EXPECT_EQ(r.models.at("small_b").failed_vectors, 1);
}

// --cycles: on a board with a cycle model, every model gets estimated cycles
// beside the exact instructions of the traced run, which agree with the
// counter's figure up to its granularity and the firmware's call wrapper;
// every executed instruction is in the core's table. A board without a model
// is refused before anything is built.
TEST_P(DeployBoard, CyclesAreEstimatedOrRefusedClearly) {
  const tinyae::Board& board = tinyae::find_board(GetParam());
  DeployOptions o;
  o.headers_dir = write_small_export("cycles");
  o.board = GetParam();
  o.timeout_seconds = 120;
  o.estimate_cycles = true;
  if (board.cycle_core.empty()) {
    o.keep_build_dir = root / "kept";
    expect_error_containing([&] { tinyae::deploy(o); }, {GetParam() + " (" + board.cpu + ") has no cycle model",
                                                         "no estimate is made", "mps2-an386 (Cortex-M4F)"});
    EXPECT_FALSE(fs::exists(o.keep_build_dir)) << "refused before building";
    return;
  }
  const DeployResult r = tinyae::deploy(o);
  ASSERT_TRUE(r.ok);
  ASSERT_TRUE(r.cycles_estimated());
  EXPECT_EQ(r.cycle_core, board.cycle_core);
  EXPECT_TRUE(r.cycle_unknown.empty()) << r.to_json().at("cycles").dump();
  // The firmware's wrapper around the run function, outside the traced call.
  constexpr std::int64_t kWrapperInstructions = 64;
  for (const auto& [name, m] : r.models) {
    EXPECT_GE(m.cycles_per_inference, m.traced_instructions) << name << ": at least a cycle per instruction";
    EXPECT_GT(m.traced_instructions, m.macs) << name;
    EXPECT_NEAR(static_cast<double>(m.traced_instructions), static_cast<double>(m.instructions_per_inference),
                r.instructions_per_tick + kWrapperInstructions)
        << name << ": the trace and the counter count the same instructions";
    std::printf("  %s %s: %lld instructions traced (%lld counted), %lld estimated cycles, %.3f cycles per MAC\n",
                GetParam().c_str(), name.c_str(), static_cast<long long>(m.traced_instructions),
                static_cast<long long>(m.instructions_per_inference), static_cast<long long>(m.cycles_per_inference),
                m.cycles_per_mac());
  }
  EXPECT_EQ(r.cycles_per_inference, r.models.at(r.headline_model).cycles_per_inference);
}

INSTANTIATE_TEST_SUITE_P(Boards, DeployBoard,
                         ::testing::Values("mps2-an385", "mps2-an386", "mps2-an500", "mps2-an505", "mps3-an547",
                                           "microbit", "riscv32-virt", "sifive_e"));

TEST_F(Deploy, EveryBoardIsTested) {
  for (const tinyae::Board& b : tinyae::deploy_boards()) {
    EXPECT_NO_THROW(expected_instructions_per_tick(b.name)) << b.name << " is missing from the board tests";
  }
}

// A folder that cannot fit is refused before anything is built, with the
// numbers and the models that would fit; --models picks those.
TEST_F(Deploy, ModelTooBigForTheBoardIsRefusedBeforeBuilding) {
  tinyae::test::FakeExportOptions fo;
  fo.golden_count = 1;
  const fs::path headers = root / "tutorial";
  const std::vector<tinyae::test::FakeModel> models = {{"wide", {784, 128}, {1}}, {"small_a", {13, 9, 6}, {1, 2}}};
  tinyae::test::write_fake_export(headers, models, fo, kRuntimeDir);
  DeployOptions o;
  o.headers_dir = headers;
  o.board = "microbit";
  o.keep_build_dir = root / "kept";
  expect_error_containing([&] { tinyae::deploy(o); }, {"do not fit microbit (Cortex-M0)", "262144 bytes", "16384 bytes",
                                                       "wide: flash 405568 bytes (weights 401920 bytes",
                                                       "models that fit alone: small_a", "--models small_a"});
  EXPECT_FALSE(fs::exists(o.keep_build_dir)) << "nothing was built";

  o.models = {"small_a"};
  o.timeout_seconds = 60;
  const DeployResult r = tinyae::deploy(o);
  EXPECT_TRUE(r.ok);
  ASSERT_EQ(r.models.size(), 1u);
  EXPECT_EQ(r.models.count("small_a"), 1u);
  EXPECT_EQ(r.flash_bytes, 256 * 1024);
  EXPECT_EQ(r.ram_bytes, 16 * 1024);
  EXPECT_LE(r.text + r.data, r.flash_bytes);
  EXPECT_LE(r.data + r.bss, r.ram_bytes);

  o.models = {"small_a", "nonesuch"};
  expect_error_containing([&] { tinyae::deploy(o); }, {"no model 'nonesuch'", "wide, small_a"});
}

// The headline requirement: the tutorial autoencoder at most 2 instructions
// per multiply-accumulate on Cortex-M4F (the runtime measures about 1.3).
TEST_F(Deploy, TutorialAutoencoderOnCortexM4FIsAtMostTwoInstructionsPerMac) {
  tinyae::test::FakeExportOptions o;
  o.golden_count = 1;
  const fs::path headers = root / "tutorial";
  tinyae::test::write_fake_export(headers, {tinyae::test::tutorial_models()[2]}, o, kRuntimeDir);
  const DeployResult r = run(headers, "mps2-an386");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.headline_model, "autoencoder");
  EXPECT_EQ(r.macs, 221184);
  std::printf("  autoencoder on Cortex-M4F: %lld instructions, %.3f per MAC, max_abs_err %.3g\n",
              static_cast<long long>(r.instructions_per_inference), r.instructions_per_mac, r.max_abs_err);
  EXPECT_LE(r.instructions_per_mac, 2.0);
  EXPECT_LE(r.max_abs_err, 1e-5);
}

// The whole pipeline with LibTorch's goldens: a short training run, `tinyae
// export`, then deploy of all three models on the Cortex-M4F and M7, with
// the anomaly scores of the autoencoder next to the host's.
TEST_F(Deploy, RealExportOfAShortTrainingRunMatchesLibTorch) {
  const fs::path mnist = fs::path(TINYAE_SOURCE_DIR) / "data" / "mnist";
  if (!fs::exists(mnist / "t10k-images-idx3-ubyte") && !fs::exists(mnist / "t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "MNIST not in " << mnist << " (data/fetch script)";
  }
  const fs::path run_dir = root / "run";
  const fs::path headers = root / "export";
  const auto [train_status, train_out] =
      run_command({TINYAE_EXE, "train", "--data", mnist.string(), "--out", run_dir.string(), "--epochs", "1",
                   "--train-limit", "512", "--test-limit", "256", "--no-figures", "--quiet"});
  ASSERT_EQ(train_status, 0) << train_out;
  const auto [export_status, export_out] =
      run_command({TINYAE_EXE, "export", "--model", (run_dir / "model.safetensors").string(), "--out", headers.string(),
                   "--data", mnist.string(), "--golden", "2"});
  ASSERT_EQ(export_status, 0) << export_out;
  for (const char* board : {"mps2-an386", "mps2-an500"}) {
    const DeployResult r = run(headers, board);
    EXPECT_TRUE(r.ok) << board;
    EXPECT_EQ(r.models.size(), 3u);
    EXPECT_EQ(r.headline_model, "autoencoder");
    EXPECT_LE(r.max_abs_err, 1e-5) << "largest |device - LibTorch| over all outputs";
    EXPECT_LE(r.instructions_per_mac, 2.0);
    std::printf("  trained model on %s: max_abs_err vs LibTorch %.3g, %.3f instructions per MAC\n", board,
                r.max_abs_err, r.instructions_per_mac);
    // The device scales the raw pixels to the golden inputs bit for bit, and
    // its anomaly scores are within 1e-5 relative of the host's.
    for (const char* name : {"encoder", "autoencoder"}) {
      EXPECT_EQ(r.models.at(name).scaled_vectors, 2) << name;
      EXPECT_EQ(r.models.at(name).scaling_mismatched, 0) << name;
    }
    const std::vector<tinyae::DeployScore>& scores = r.models.at("autoencoder").scores;
    ASSERT_EQ(scores.size(), 2u);
    for (const tinyae::DeployScore& s : scores) {
      std::printf("    vector %lld: score device %.9g host %.9g (relative gap %.3g), threshold %.9g, flag %d/%d\n",
                  static_cast<long long>(s.vector), s.device, s.host, std::fabs(s.device - s.host) / s.host,
                  s.threshold, s.device_flag, s.host_flag);
      EXPECT_TRUE(s.ok);
      EXPECT_LE(std::fabs(s.device - s.host), 1e-5 * s.host);
      EXPECT_GT(s.threshold, 0.0);
    }
  }
}

// Moves golden log-variance 0 of vector 0 in a variational encoder's header
// (`header`, as `tinyae export` wrote it) by one step of its type: +0.01 for
// float32, one quantization step for int8. The device's head, right, then
// disagrees with it as a wrong head would with the right value.
void shift_first_golden_logvar(const fs::path& header) {
  std::ifstream in(header);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  const std::size_t array = text.find("_golden_logvar[");
  ASSERT_NE(array, std::string::npos) << header << " has no golden log-variances";
  const std::size_t begin = text.find_first_of("-0123456789", text.find("/* vector 0 */", array) + 14);
  const std::size_t end = text.find(',', begin);
  const std::string value = text.substr(begin, end - begin);  // "0.00806017127f" or "16"
  char changed[64];
  if (value.find_first_of(".ef") != std::string::npos) {
    std::snprintf(changed, sizeof changed, "%.9gf", std::strtod(value.c_str(), nullptr) + 0.01);
  } else {
    const long q = std::strtol(value.c_str(), nullptr, 10);
    std::snprintf(changed, sizeof changed, "%ld", q == 127 ? q - 1 : q + 1);
  }
  text.replace(begin, end - begin, changed);
  std::ofstream(header, std::ios::trunc) << text;
}

// A variational model (tinyae/variational.h) deploys like the others: its
// encoder chain ends in the mean head, so the float32 export matches
// LibTorch on the Cortex-M4F and the int8 export is bit-exact there; the
// encoder's log-variance head (encoder_logvar()) runs on every golden vector
// too, within the tolerance of LibTorch's (float32) and equal to the host
// reference's (int8), and a golden log-variance one step off fails the
// encoder (the other models still pass). The --cycles run attributes the
// encoder's mean runs, not its log-variance runs.
TEST_F(Deploy, VariationalExportRunsOnCortexM4FInBothFormats) {
  const fs::path mnist = fs::path(TINYAE_SOURCE_DIR) / "data" / "mnist";
  if (!fs::exists(mnist / "t10k-images-idx3-ubyte") && !fs::exists(mnist / "t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << "MNIST not in " << mnist << " (data/fetch script)";
  }
  const fs::path run_dir = root / "vae";
  const auto [train_status, train_out] =
      run_command({TINYAE_EXE, "train", "--data", mnist.string(), "--out", run_dir.string(), "--epochs", "1",
                   "--train-limit", "512", "--test-limit", "256", "--kind", "variational", "--no-figures", "--quiet"});
  ASSERT_EQ(train_status, 0) << train_out;
  for (const std::string format : {"float32", "int8"}) {
    const fs::path headers = root / ("vae-" + format);
    const auto [export_status, export_out] =
        run_command({TINYAE_EXE, "export", "--model", (run_dir / "model.safetensors").string(), "--out",
                     headers.string(), "--data", mnist.string(), "--golden", "2", "--format", format});
    ASSERT_EQ(export_status, 0) << export_out;
    const DeployResult r = run(headers, "mps2-an386");
    EXPECT_TRUE(r.ok) << format;
    EXPECT_EQ(r.models.size(), 3u) << format;
    if (format == "float32") {
      EXPECT_LE(r.max_abs_err, 1e-5) << "largest |device - LibTorch|";
    }
    const tinyae::DeployLogvar& logvar = r.models.at("encoder").logvar;
    EXPECT_EQ(logvar.vectors, 2) << format;
    EXPECT_EQ(logvar.failed_vectors, 0) << format;
    EXPECT_LE(logvar.max_abs_err, format == "float32" ? 1e-5 : 0.0) << format << ": log-variance head";
    EXPECT_EQ(r.models.at("decoder").logvar.vectors, 0) << "only the encoder has a log-variance head";
    EXPECT_EQ(r.to_json().at("models").at("encoder").at("logvar").at("vectors"), 2) << format;
    std::printf(
        "  variational model, %s on mps2-an386: ok %d, max_abs_err %.3g, log-variance max_abs_err %.3g, %.3f "
        "instructions per MAC\n",
        format.c_str(), r.ok, r.max_abs_err, logvar.max_abs_err, r.instructions_per_mac);

    shift_first_golden_logvar(headers / "src" / "model_encoder.h");
    const DeployResult wrong = run(headers, "mps2-an386");
    EXPECT_FALSE(wrong.ok) << format << ": a golden log-variance one step off passed";
    EXPECT_EQ(wrong.exit_status, 1) << format;
    EXPECT_FALSE(wrong.models.at("encoder").ok) << format;
    EXPECT_EQ(wrong.models.at("encoder").logvar.failed_vectors, 1) << format;
    EXPECT_EQ(wrong.models.at("encoder").failed_vectors, 1) << format;
    EXPECT_TRUE(wrong.models.at("decoder").ok && wrong.models.at("autoencoder").ok) << format;
    EXPECT_GT(wrong.models.at("encoder").logvar.max_abs_err, 0.0) << format;
  }
  DeployOptions o;
  o.headers_dir = root / "vae-float32";
  o.models = {"encoder"};
  o.estimate_cycles = true;
  o.timeout_seconds = 300;
  const DeployResult cycles = tinyae::deploy(o);
  EXPECT_EQ(cycles.models.at("encoder").logvar.vectors, 2);
  EXPECT_GE(cycles.cycles_per_inference, cycles.traced_instructions);
  EXPECT_NEAR(static_cast<double>(cycles.traced_instructions), static_cast<double>(cycles.instructions_per_inference),
              cycles.instructions_per_tick + 64)
      << "the traced figure is the mean run's (as counted, up to the counter's tick and the firmware's wrapper), "
         "not a log-variance run's";
}

// -------------------------------------------------------------------- CLI --

TEST_F(Deploy, CommandLineJsonAndExitStatus) {
  const fs::path good = write_small_export("good");
  const fs::path bad = write_small_export("bad", 1e-3);
  const fs::path keep = root / "kept build";
  const auto [status, out] = run_command({TINYAE_EXE, "deploy", "--headers", good.string(), "--board", "mps2-an386",
                                          "--json", "--keep-build", keep.string()});
  EXPECT_EQ(status, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);  // stdout is only the JSON
  EXPECT_EQ(j.at("ok"), true);
  EXPECT_EQ(j.at("board"), "mps2-an386");
  EXPECT_TRUE(j.at("models").contains("small_a"));
  EXPECT_TRUE(fs::exists(keep / "firmware.elf")) << "--keep-build keeps the build folder";

  const auto [bad_status, bad_out] =
      run_command({TINYAE_EXE, "deploy", "--headers", bad.string(), "--board", "mps2-an500"});
  EXPECT_EQ(bad_status, 1) << bad_out;
  EXPECT_NE(bad_out.find("OUT OF TOLERANCE"), std::string::npos) << bad_out;
  EXPECT_NE(bad_out.find("FAIL"), std::string::npos) << bad_out;
}

// deploy --cycles on the Cortex-M4F: the estimate in the JSON and the text,
// cycles per MAC the cycles over the MACs.
TEST_F(Deploy, CommandLineCyclesOnCortexM4F) {
  const fs::path headers = write_small_export("cycles");
  const auto [status, out] =
      run_command({TINYAE_EXE, "deploy", "--headers", headers.string(), "--board", "mps2-an386", "--json", "--cycles"});
  ASSERT_EQ(status, 0) << out;
  const nlohmann::json j = nlohmann::json::parse(out);
  const nlohmann::json& c = j.at("cycles");
  EXPECT_EQ(c.at("core"), "cortex-m4");
  EXPECT_EQ(c.at("memory"), "zero wait states");
  EXPECT_NE(c.at("reference").get<std::string>().find("Cortex-M4 TRM"), std::string::npos);
  const auto cycles = c.at("per_inference").get<std::int64_t>();
  const auto instructions = c.at("instructions_per_inference").get<std::int64_t>();
  const auto macs = j.at("macs").get<std::int64_t>();
  EXPECT_GE(cycles, instructions);
  EXPECT_DOUBLE_EQ(c.at("per_mac").get<double>(), static_cast<double>(cycles) / static_cast<double>(macs));
  EXPECT_DOUBLE_EQ(c.at("instructions_per_mac").get<double>(),
                   static_cast<double>(instructions) / static_cast<double>(macs));
  for (const auto& [name, m] : j.at("models").items()) {
    EXPECT_GE(m.at("cycles").at("per_inference").get<std::int64_t>(),
              m.at("cycles").at("instructions_per_inference").get<std::int64_t>())
        << name;
  }
  std::printf("  small_b on Cortex-M4F: %lld cycles, %lld instructions, %.3f cycles per MAC\n",
              static_cast<long long>(cycles), static_cast<long long>(instructions), c.at("per_mac").get<double>());

  const auto [text_status, text] =
      run_command({TINYAE_EXE, "deploy", "--headers", headers.string(), "--board", "mps2-an386", "--cycles"});
  EXPECT_EQ(text_status, 0) << text;
  const std::vector<std::string> parts = {"est. cycles", "cycles/MAC",
                                          "estimated " + std::to_string(cycles) + " cycles per inference",
                                          "cortex-m4 timing table, zero wait states"};
  for (const std::string& part : parts) {
    EXPECT_NE(text.find(part), std::string::npos) << part << "\n" << text;
  }
  const auto [plain_status, plain] =
      run_command({TINYAE_EXE, "deploy", "--headers", headers.string(), "--board", "mps2-an386", "--json"});
  EXPECT_EQ(plain_status, 0);
  EXPECT_TRUE(nlohmann::json::parse(plain).at("cycles").is_null()) << "off by default";

  const auto [refused_status, refused] =
      run_command({TINYAE_EXE, "deploy", "--headers", headers.string(), "--board", "mps2-an500", "--cycles"});
  EXPECT_NE(refused_status, 0) << refused;
}

// ----------------------------------------------------------------- errors --

TEST_F(Deploy, ClearErrors) {
  DeployOptions o;
  o.headers_dir = root / "missing";
  expect_error_containing([&] { tinyae::deploy(o); }, {"does not exist", "tinyae export"});

  fs::create_directories(root / "empty");
  o.headers_dir = root / "empty";
  expect_error_containing([&] { tinyae::deploy(o); }, {"manifest.json", "not found"});

  o.headers_dir = write_small_export("ok");
  o.board = "mps2-an999";
  expect_error_containing([&] { tinyae::deploy(o); }, {"unknown board 'mps2-an999'", "mps2-an386", "mps2-an500"});

  o.board = "mps2-an386";
  {
    std::ifstream in(o.headers_dir / "manifest.json");
    nlohmann::json m = nlohmann::json::parse(in);
    m["number_format"] = "bfloat16";
    std::ofstream(root / "ok" / "manifest.json") << m.dump();
  }
  expect_error_containing([&] { tinyae::deploy(o); }, {"number_format", "bfloat16", "float32"});
}

TEST_F(Deploy, MissingToolchainNamesThePackage) {
  const fs::path headers = write_small_export("ok");
  const std::string saved = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "";
  fs::create_directories(root / "empty bin");
  ::setenv("PATH", (root / "empty bin").c_str(), 1);
  DeployOptions o;
  o.headers_dir = headers;
  expect_error_containing([&] { tinyae::deploy(o); },
                          {"arm-none-eabi-gcc not found", "apt-get install gcc-arm-none-eabi"});
  ::setenv("PATH", saved.c_str(), 1);
}

// A firmware that never ends is killed at the timeout; one that stops
// without a summary is reported with its last output.
TEST_F(Deploy, HangingAndCrashingFirmware) {
  const fs::path headers = write_small_export("ok");
  const fs::path firmware = root / "firmware copy";
  fs::copy(tinyae::firmware_source_dir(), firmware);
  const char* saved = std::getenv("TINYAE_FIRMWARE_DIR");
  ::setenv("TINYAE_FIRMWARE_DIR", firmware.c_str(), 1);

  std::ofstream(firmware / "main.c", std::ios::trunc) << "int main(void) { for (;;) { } }\n";
  DeployOptions o;
  o.headers_dir = headers;
  o.timeout_seconds = 2;
  expect_error_containing([&] { tinyae::deploy(o); }, {"did not finish within", "killed"});

  std::ofstream(firmware / "main.c", std::ios::trunc)
      << "#include <stdio.h>\nint main(void) { puts(\"about to stop\"); return 3; }\n";
  o.timeout_seconds = 60;
  expect_error_containing([&] { tinyae::deploy(o); },
                          {"exit status 3", "before printing its summary", "about to stop"});

  if (saved != nullptr) {
    ::setenv("TINYAE_FIRMWARE_DIR", saved, 1);
  } else {
    ::unsetenv("TINYAE_FIRMWARE_DIR");
  }
}

}  // namespace
