// ONNX in and out through the command line, as a user runs it: a dense
// autoencoder made by PyTorch alone (make_cli_onnx_model.py: 784-96-24, tanh,
// sigmoid output; not tinyae's shape) is imported with its data, and then
//  - export float32: LibTorch's golden outputs in the header match PyTorch's
//    within 1e-5 (the golden inputs are PyTorch's inputs bit for bit), and the
//    folder deploys on mps2-an386 within the float tolerance;
//  - export int8: deploys on mps2-an386 bit-exact;
//  - export --format onnx: onnx.checker and an independent numpy evaluator
//    (tests/onnx/onnx_reference.py) match PyTorch's outputs within 1e-5;
//  - export --json lists exactly the files in the folder.
// Hostile imports (bad files, a network tinyae cannot hold, data of another
// size, an --out that is taken) fail naming the culprit and write nothing.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tinyae/common.h"
#include "tinyae/process.h"

namespace fs = std::filesystem;

namespace {

const fs::path kMnistDir = fs::path(TINYAE_SOURCE_DIR) / "data" / "mnist";
constexpr int kRows = 4;  // golden vectors
constexpr float kTolerance = 1e-5f;

struct Outcome {
  int status = -1;
  std::string out, err;
};

Outcome run(const std::vector<std::string>& argv, const fs::path& cwd = {}) {
  tinyae::ProcessOptions options;
  options.cwd = cwd;
  options.timeout_seconds = 1200;
  const tinyae::ProcessResult r = tinyae::run_process(argv, options);
  return {r.exited ? r.exit_code : -1, r.out, r.err};
}

Outcome tinyae_run(std::vector<std::string> args) {
  args.insert(args.begin(), TINYAE_EXE);
  return run(args);
}

std::vector<float> read_floats(const fs::path& path) {
  const std::string bytes = tinyae::read_file(path, 1 << 24);
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

// The values of `static const float <name>[...] = { ... };` in a generated header.
std::vector<float> header_array(const std::string& header, const std::string& name) {
  const std::size_t at = header.find("static const float " + name + "[");
  if (at == std::string::npos) return {};
  const std::size_t begin = header.find("= {", at) + 3, end = header.find("\n};", begin);
  std::string body = header.substr(begin, end - begin);
  for (std::size_t c = body.find("/*"); c != std::string::npos; c = body.find("/*")) {
    body.erase(c, body.find("*/", c) + 2 - c);
  }
  std::vector<float> values;
  for (const char* p = body.c_str(); *p;) {
    char* next = nullptr;
    const float v = std::strtof(p, &next);
    if (next == p) {
      ++p;  // braces, commas, spaces, the 'f' suffix
    } else {
      values.push_back(v);
      p = next;
    }
  }
  return values;
}

// Largest |a - b|, printed with where it occurred.
float max_gap(const std::vector<float>& a, const std::vector<float>& b, const std::string& what) {
  EXPECT_EQ(a.size(), b.size()) << what;
  float worst = 0;
  std::size_t where = 0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    const float gap = std::abs(a[i] - b[i]);
    if (gap > worst || std::isnan(gap)) worst = gap, where = i;
  }
  std::cout << what << ": max abs diff " << worst << " at (" << where / 784 << ", " << where % 784 << "), tolerance "
            << kTolerance << "\n";
  return worst;
}

class CliOnnx : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kMnistDir / "t10k-images-idx3-ubyte") || fs::exists(kMnistDir / "t10k-images-idx3-ubyte.gz"))
        << "MNIST is missing from " << kMnistDir << ": run data/fetch_mnist.sh first";
    dir_ = fs::temp_directory_path() /
           ("tinyae-cli-onnx-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
            std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const Outcome made = run({TINYAE_PYTHON3, std::string(TINYAE_SOURCE_DIR) + "/tests/cli/make_cli_onnx_model.py",
                              kMnistDir.string(), (dir_ / "torch").string(), std::to_string(kRows)});
    ASSERT_EQ(made.status, 0) << made.out << made.err;
    std::cout << made.out;
  }
  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "left " << dir_ << " for inspection\n";
    } else {
      fs::remove_all(dir_);
    }
  }

  // export --json into `out` with `extra` flags; checks the report names exactly the files written.
  nlohmann::json export_json(const fs::path& out, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"export", "--model",    (dir_ / "run" / "model.safetensors").string(),
                                     "--out",  out.string(), "--json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const Outcome exported = tinyae_run(args);
    EXPECT_EQ(exported.status, 0) << exported.err;
    const nlohmann::json report = nlohmann::json::parse(exported.out);
    std::vector<std::string> listed, found;
    for (const auto& file : report.at("files")) listed.push_back(file.get<std::string>());
    for (const auto& entry : fs::recursive_directory_iterator(out)) {
      if (entry.is_regular_file()) found.push_back(fs::relative(entry.path(), out).generic_string());
    }
    std::sort(listed.begin(), listed.end());
    std::sort(found.begin(), found.end());
    EXPECT_EQ(listed, found) << "export --json lists other files than the folder holds";
    return report;
  }

  nlohmann::json deploy_json(const fs::path& headers) {
    const Outcome deployed = tinyae_run({"deploy", "--headers", headers.string(), "--board", "mps2-an386", "--json"});
    EXPECT_EQ(deployed.status, 0) << deployed.err;
    return nlohmann::json::parse(deployed.out);
  }

  fs::path dir_;
};

}  // namespace

TEST_F(CliOnnx, APyTorchAutoencoderImportsExportsAndDeploys) {
  const fs::path torch = dir_ / "torch";
  const Outcome imported = tinyae_run({"import", "--onnx", (torch / "autoencoder.onnx").string(), "--out",
                                       (dir_ / "run").string(), "--data", kMnistDir.string()});
  ASSERT_EQ(imported.status, 0) << imported.err;
  std::cout << imported.err;

  // float32: LibTorch (the header's golden vectors) against PyTorch.
  const fs::path f32 = dir_ / "f32";
  const nlohmann::json report = export_json(f32, {"--golden", std::to_string(kRows)});
  EXPECT_EQ(report.at("format"), "float32");
  ASSERT_EQ(report.at("models").size(), 3u);
  EXPECT_EQ(report.at("models")[2].at("name"), "autoencoder");
  EXPECT_EQ(report.at("models")[2].at("macs"), 2 * (784 * 96 + 96 * 24));
  const std::string header = tinyae::read_file(f32 / report.at("models")[2].at("header").get<std::string>(), 1 << 26);
  EXPECT_EQ(header_array(header, "autoencoder_golden_inputs"), read_floats(torch / "inputs.f32"))
      << "the golden inputs are not the images PyTorch read";
  EXPECT_LE(max_gap(header_array(header, "autoencoder_golden_outputs"), read_floats(torch / "outputs.f32"),
                    "LibTorch (imported) vs PyTorch"),
            kTolerance);
  const nlohmann::json f32_run = deploy_json(f32);
  std::cout << "float32 on mps2-an386: max abs err " << f32_run.at("max_abs_err") << "\n";
  EXPECT_TRUE(f32_run.at("ok").get<bool>());

  // int8: the board and the host reference agree bit for bit.
  const fs::path i8 = dir_ / "i8";
  export_json(i8, {"--golden", std::to_string(kRows), "--format", "int8"});
  const nlohmann::json i8_run = deploy_json(i8);
  EXPECT_TRUE(i8_run.at("ok").get<bool>());
  EXPECT_TRUE(i8_run.at("bit_exact").get<bool>()) << i8_run.dump();

  // ONNX back out: checked and evaluated independently against PyTorch.
  const fs::path onnx = dir_ / "onnx";
  const nlohmann::json onnx_report = export_json(onnx, {"--format", "onnx"});
  EXPECT_EQ(onnx_report.at("format"), "onnx");
  const Outcome checked = run({TINYAE_PYTHON3, std::string(TINYAE_SOURCE_DIR) + "/tests/onnx/onnx_reference.py",
                               (onnx / "model_autoencoder.onnx").string(), (torch / "inputs.f32").string(),
                               (torch / "outputs.f32").string()});
  std::cout << checked.out;
  EXPECT_EQ(checked.status, 0) << checked.out << checked.err;
}

TEST_F(CliOnnx, HostileImportsWriteNothing) {
  const fs::path good = dir_ / "torch" / "autoencoder.onnx";
  const std::string bytes = tinyae::read_file(good, 1 << 24);
  tinyae::write_file_atomically(dir_ / "truncated.onnx", std::string_view(bytes).substr(0, bytes.size() / 2));
  tinyae::write_file_atomically(dir_ / "text.onnx", std::string_view("not a model\n"));
  std::string csv = "a,b\n";
  for (int i = 0; i < 100; ++i) csv += std::to_string(i % 7) + "," + std::to_string(i % 5) + "\n";
  tinyae::write_file_atomically(dir_ / "two.csv", std::string_view(csv));
  // Two layers of different activations around the latent: ONNX a tinyae autoencoder cannot hold.
  const Outcome made = run(
      {TINYAE_PYTHON3, std::string(TINYAE_SOURCE_DIR) + "/tests/onnx/make_torch_models.py", (dir_ / "other").string()});
  ASSERT_EQ(made.status, 0) << made.err;
  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::vector<std::string> needles;
  };
  const fs::path run_dir = dir_ / "run";
  const std::vector<Case> cases = {
      {"missing", {"--onnx", (dir_ / "nowhere.onnx").string()}, {"nowhere.onnx"}},
      {"truncated", {"--onnx", (dir_ / "truncated.onnx").string()}, {"truncated.onnx", "not an ONNX model"}},
      {"text", {"--onnx", (dir_ / "text.onnx").string()}, {"text.onnx", "not an ONNX model"}},
      {"mixed activations",
       {"--onnx", (dir_ / "other" / "torch_opset13.onnx").string()},
       {"torch_opset13.onnx", "not a tinyae autoencoder", "layer 1"}},
      {"data of another size",
       {"--onnx", good.string(), "--data", (dir_ / "two.csv").string(), "--features", "a,b"},
       {"autoencoder.onnx", "784 inputs", "2 values"}},
      {"data flag without --data", {"--onnx", good.string(), "--digit", "3"}, {"--digit", "--data"}},
      {"no --onnx", {}, {"--onnx"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<std::string> args = {"import", "--out", run_dir.string()};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const Outcome outcome = tinyae_run(args);
    EXPECT_NE(outcome.status, 0);
    for (const std::string& needle : c.needles) {
      EXPECT_NE(outcome.err.find(needle), std::string::npos) << "stderr does not name '" << needle << "':\n"
                                                             << outcome.err;
    }
    EXPECT_EQ(outcome.out, "");
    EXPECT_FALSE(fs::exists(run_dir)) << "a refused import created " << run_dir;
  }

  // A run folder with a checkpoint keeps it; a file in --out's place stays a file.
  fs::create_directories(run_dir);
  tinyae::write_file_atomically(run_dir / "model.safetensors", std::string_view("trained"));
  const Outcome taken = tinyae_run({"import", "--onnx", good.string(), "--out", run_dir.string()});
  EXPECT_NE(taken.status, 0);
  EXPECT_NE(taken.err.find("already exists"), std::string::npos) << taken.err;
  EXPECT_EQ(tinyae::read_file(run_dir / "model.safetensors", 100), "trained");
  const Outcome file =
      tinyae_run({"import", "--onnx", good.string(), "--out", (run_dir / "model.safetensors").string()});
  EXPECT_NE(file.status, 0);
  EXPECT_NE(file.err.find("not a folder"), std::string::npos) << file.err;
  EXPECT_EQ(tinyae::read_file(run_dir / "model.safetensors", 100), "trained");
}

TEST_F(CliOnnx, WithoutDataTheCheckpointAsksForItWhereItIsNeeded) {
  const fs::path run_dir = dir_ / "run";
  const Outcome imported =
      tinyae_run({"import", "--onnx", (dir_ / "torch" / "autoencoder.onnx").string(), "--out", run_dir.string()});
  ASSERT_EQ(imported.status, 0) << imported.err;
  EXPECT_NE(imported.err.find("no data recorded"), std::string::npos) << imported.err;
  const std::string model = (run_dir / "model.safetensors").string();
  const Outcome eval = tinyae_run({"eval", "--model", model});
  EXPECT_NE(eval.status, 0);
  EXPECT_NE(eval.err.find("give --data"), std::string::npos) << eval.err;
  const Outcome golden = tinyae_run({"export", "--model", model, "--out", (dir_ / "h").string()});
  EXPECT_NE(golden.status, 0);
  EXPECT_NE(golden.err.find("give --data"), std::string::npos) << golden.err;
  EXPECT_FALSE(fs::exists(dir_ / "h"));
  // What needs no data works without it; --data at export gives the golden vectors.
  EXPECT_EQ(tinyae_run({"export", "--model", model, "--out", (dir_ / "onnx").string(), "--format", "onnx"}).status, 0);
  EXPECT_EQ(tinyae_run({"export", "--model", model, "--out", (dir_ / "g0").string(), "--golden", "0"}).status, 0);
  const Outcome with_data =
      tinyae_run({"export", "--model", model, "--out", (dir_ / "h").string(), "--data", kMnistDir.string()});
  EXPECT_EQ(with_data.status, 0) << with_data.err;
}
