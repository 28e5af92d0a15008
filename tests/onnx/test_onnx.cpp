// tinyae::onnx against independent references:
//  - export -> import gives the network back bit for bit;
//  - the exported encoder, decoder and autoencoder of a network pass
//    onnx.checker (full_check) and, run by onnx_reference.py's numpy
//    evaluator, match the forward pass of a tinyae Autoencoder holding that
//    network (LibTorch) within 1e-5;
//  - autoencoders exported by PyTorch (make_torch_models.py: Gemm at opsets
//    11 to 13, MatMul + Add + Identity) import into networks whose LibTorch
//    forward pass matches PyTorch's outputs within 1e-5;
//  - an imported network that a tinyae autoencoder can hold becomes one
//    (config and weights) with the same outputs; any other is refused;
//  - every hostile file (make_hostile_models.py, and truncations of a valid
//    file here) is refused with a tinyae::Error naming the culprit.
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "tinyae/common.h"
#include "tinyae/model.h"
#include "tinyae/onnx.h"
#include "tinyae/onnx_model.h"
#include "tinyae/process.h"

namespace fs = std::filesystem;
using namespace tinyae;

namespace {

constexpr float kTolerance = 1e-5f;

static_assert(kOnnxMaxParameters == kMaxParameters, "import refuses what a tinyae model refuses");
static_assert(kOnnxMaxLayerSize == kMaxLayerSize, "import refuses what a tinyae model refuses");

// A fresh folder for one test.
fs::path work_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("tinyae_onnx_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void run_python(const std::string& script, const std::vector<std::string>& args, const fs::path& dir) {
  std::vector<std::string> argv = {TINYAE_PYTHON3, std::string(TINYAE_SOURCE_DIR) + "/tests/onnx/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  ProcessOptions options;
  options.cwd = dir;
  options.timeout_seconds = 300;
  const ProcessResult result = run_process(argv, options);
  ASSERT_TRUE(result.exited && result.exit_code == 0) << script << ": " << result.describe() << "\n"
                                                      << result.out << result.err;
  std::cout << result.out;
}

std::vector<float> read_floats(const fs::path& path) {
  const std::string bytes = read_file(path, 1 << 20);
  std::vector<float> values(bytes.size() / sizeof(float));
  std::memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

void write_floats(const fs::path& path, const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  write_file_atomically(
      path, std::string_view(reinterpret_cast<const char*>(c.data_ptr<float>()), c.numel() * sizeof(float)));
}

torch::Tensor activate(const torch::Tensor& x, Activation a) {
  switch (a) {
    case Activation::kRelu:
      return torch::relu(x);
    case Activation::kSigmoid:
      return torch::sigmoid(x);
    case Activation::kTanh:
      return torch::tanh(x);
    case Activation::kLinear:
      return x;
  }
  return x;
}

// LibTorch's forward pass over plain layers.
torch::Tensor forward(const std::vector<DenseLayer>& layers, torch::Tensor x) {
  for (const DenseLayer& l : layers) {
    const torch::Tensor w = torch::from_blob(const_cast<float*>(l.weights.data()), {l.out_size, l.in_size});
    const torch::Tensor b = torch::from_blob(const_cast<float*>(l.bias.data()), {l.out_size});
    x = activate(torch::linear(x, w, b), l.activation);
  }
  return x;
}

DenseLayer random_layer(std::int64_t in, std::int64_t out, Activation a, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  DenseLayer l{in, out, a, std::vector<float>(static_cast<std::size_t>(in * out)),
               std::vector<float>(static_cast<std::size_t>(out))};
  for (float& v : l.weights) v = normal(rng);
  for (float& v : l.bias) v = normal(rng);
  return l;
}

std::vector<DenseLayer> random_network(const std::vector<std::int64_t>& sizes, std::mt19937& rng) {
  const Activation cycle[] = {Activation::kRelu, Activation::kTanh, Activation::kLinear, Activation::kSigmoid};
  std::vector<DenseLayer> layers;
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i)
    layers.push_back(random_layer(sizes[i], sizes[i + 1], cycle[i % 4], rng));
  return layers;
}

// 20-12-6-12-20, tanh after every layer but the last, sigmoid after it:
// a network a tinyae Autoencoder holds exactly.
std::vector<DenseLayer> mirrored_network(std::mt19937& rng) {
  const std::vector<std::int64_t> sizes = {20, 12, 6, 12, 20};
  std::vector<DenseLayer> layers;
  for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
    layers.push_back(
        random_layer(sizes[i], sizes[i + 1], i + 2 == sizes.size() ? Activation::kSigmoid : Activation::kTanh, rng));
  }
  return layers;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no tinyae::Error)";
}

}  // namespace

TEST(Onnx, ExportThenImportGivesTheNetworkBackExactly) {
  std::mt19937 rng(14);
  for (const std::vector<std::int64_t>& sizes :
       {std::vector<std::int64_t>{20, 12, 6, 12, 20}, {5, 3}, {784, 128, 64, 32, 64, 128, 784}}) {
    const std::vector<DenseLayer> layers = random_network(sizes, rng);
    const DenseNetwork back = parse_onnx(onnx_model_bytes(layers, "autoencoder"), "round trip");
    ASSERT_EQ(back.layers.size(), layers.size());
    for (std::size_t i = 0; i < layers.size(); ++i) EXPECT_TRUE(back.layers[i] == layers[i]) << "layer " << i;
    EXPECT_EQ(back.encoder_layer_count, latent_split(layers));
  }
}

TEST(Onnx, LatentIsTheNarrowestOutputNearestTheMiddle) {
  std::mt19937 rng(1);
  const auto split = [&](const std::vector<std::int64_t>& sizes) { return latent_split(random_network(sizes, rng)); };
  EXPECT_EQ(split({20, 12, 6, 12, 20}), 2u);
  EXPECT_EQ(split({784, 32, 32, 32, 784}), 2u);  // hidden as narrow as the latent: the middle
  EXPECT_EQ(split({10, 4, 8, 6, 10}), 1u);       // asymmetric: the bottleneck
  EXPECT_EQ(split({10, 4, 10, 4, 10}), 1u);      // two bottlenecks as near the middle: the earlier
  EXPECT_EQ(split({10, 3}), 1u);                 // one layer: no decoder
  DenseNetwork n{random_network({20, 12, 6, 12, 20}, rng), 2};
  EXPECT_EQ(n.encoder().size(), 2u);
  EXPECT_EQ(n.decoder().front().in_size, 6);
}

TEST(Onnx, ExportRefusesABrokenNetworkNamingTheLayer) {
  std::mt19937 rng(2);
  std::vector<DenseLayer> layers = random_network({20, 12, 6}, rng);
  layers[1].in_size = 13;
  EXPECT_NE(error_of([&] { onnx_model_bytes(layers, "encoder"); }).find("'encoder': layer 1 (13 -> 6)"),
            std::string::npos);
  layers = random_network({20, 12, 6}, rng);
  layers[0].bias.push_back(0.0f);
  EXPECT_NE(error_of([&] {
              onnx_model_bytes(layers, "encoder");
            }).find("layer 0 (20 -> 12): expected 240 weights and 12 biases"),
            std::string::npos);
  EXPECT_NE(error_of([&] { onnx_model_bytes({}, "decoder"); }).find("no layers"), std::string::npos);
}

TEST(Onnx, ExportedModelsPassTheCheckerAndMatchLibTorch) {
  const fs::path dir = work_dir("export");
  std::mt19937 rng(14);
  torch::manual_seed(14);
  DenseNetwork network{mirrored_network(rng), 2};
  Autoencoder model = autoencoder_from_onnx({network, model_config_for(network, "test network")});
  const std::vector<DenseLayer> encoder = network.encoder(), decoder = network.decoder();
  const std::vector<DenseLayer>& autoencoder = network.layers;
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::rand({9, 20});
  const torch::Tensor z = model->encode(x);
  struct Case {
    const char* name;
    const std::vector<DenseLayer>& layers;
    torch::Tensor in, out;
  };
  for (const Case& c : {Case{"encoder", encoder, x, z}, Case{"decoder", decoder, z, model->decode(z)},
                        Case{"autoencoder", autoencoder, x, model->forward(x)}}) {
    write_onnx(dir / (std::string(c.name) + ".onnx"), c.layers, c.name);
    write_floats(dir / (std::string(c.name) + ".inputs.f32"), c.in);
    write_floats(dir / (std::string(c.name) + ".outputs.f32"), c.out);
    run_python(
        "onnx_reference.py",
        {std::string(c.name) + ".onnx", std::string(c.name) + ".inputs.f32", std::string(c.name) + ".outputs.f32"},
        dir);
  }
  fs::remove_all(dir);
}

TEST(Onnx, PyTorchExportedAutoencodersImportAndMatchPyTorch) {
  const fs::path dir = work_dir("torch");
  run_python("make_torch_models.py", {dir.string()}, dir);
  for (const char* name : {"torch_opset11", "torch_opset12", "torch_opset13", "torch_dynamic_batch",
                           "torch_initializers_as_inputs", "matmul_add_identity"}) {
    SCOPED_TRACE(name);
    const DenseNetwork network = read_onnx(dir / (std::string(name) + ".onnx"));
    ASSERT_EQ(network.layers.size(), 4u);
    EXPECT_EQ(network.encoder_layer_count, 2u);
    const Activation expected[] = {Activation::kRelu, Activation::kTanh, Activation::kRelu, Activation::kSigmoid};
    for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(network.layers[i].activation, expected[i]) << "layer " << i;

    std::vector<float> inputs = read_floats(dir / (std::string(name) + ".inputs.f32"));
    const std::vector<float> reference = read_floats(dir / (std::string(name) + ".outputs.f32"));
    const auto rows = static_cast<std::int64_t>(inputs.size() / 20);
    const torch::Tensor got = forward(network.layers, torch::from_blob(inputs.data(), {rows, 20})).contiguous();
    ASSERT_EQ(static_cast<std::size_t>(got.numel()), reference.size());
    float worst = 0;
    std::size_t where = 0;
    for (std::size_t i = 0; i < reference.size(); ++i) {
      const float gap = std::abs(got.data_ptr<float>()[i] - reference[i]);
      if (gap > worst) worst = gap, where = i;
    }
    std::cout << name << ": max abs diff " << worst << " at (" << where / 20 << ", " << where % 20 << "), tolerance "
              << kTolerance << "\n";
    EXPECT_LE(worst, kTolerance);
  }
  fs::remove_all(dir);
}

TEST(Onnx, HostileFilesAreRefusedNamingTheCulprit) {
  const fs::path dir = work_dir("hostile");
  run_python("make_hostile_models.py", {dir.string()}, dir);
  // File (make_hostile_models.py) -> words its message must contain.
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"truncated", {"not an ONNX model"}},
      {"garbage", {"not an ONNX model"}},
      {"empty", {"not an ONNX model"}},
      {"unsupported_op", {"node 1 'flatten_1' (Flatten)", "not supported"}},
      {"custom_domain", {"node 1 'relu_custom' (Relu)", "domain 'com.example'"}},
      {"gemm_alpha", {"node 0 'gemm0' (Gemm)", "'alpha'"}},
      {"gemm_transA", {"node 0 'gemm0' (Gemm)", "'transA'"}},
      {"declared_10gb", {"initializer 0 'w'", "[50000, 50000]", "16777216"}},
      {"dims_overflow", {"initializer 0 'w'", "[1099511627776, 1099511627776]"}},
      {"negative_dims", {"initializer 0 'w'", "negative dimension [-6, 20]"}},
      {"raw_data_short", {"initializer 0 'w'", "needs 480 bytes of raw_data, found 100"}},
      {"double_weights", {"initializer 0 'w'", "DOUBLE"}},
      {"int8_weights", {"initializer 0 'w'", "INT8"}},
      {"int_input", {"input 'x'", "INT32"}},
      {"external_data", {"initializer 0 'w'", "external data"}},
      {"cycle_off_chain", {"node 2 'loop_a' (Relu)", "not on the chain"}},
      {"cycle_on_chain", {"node 1 'add_loop' (Add)", "bias must be an initializer"}},
      {"branch", {"node 2 'tanh_branch' (Tanh)", "node 1 'relu0' (Relu)", "single chain"}},
      {"dangling_input", {"node 0 'gemm0' (Gemm)", "'ghost'", "no node"}},
      {"two_inputs", {"2 inputs"}},
      {"rank3_input", {"input 'x'", "rank 3"}},
      {"symbolic_features", {"input 'x'", "'F'"}},
      {"huge_features", {"input 'x'", "70000 features"}},
      {"weight_shape", {"node 0 'gemm0' (Gemm)", "[6, 21]"}},
      {"bias_shape", {"node 0 'gemm0' (Gemm)", "bias 'b'", "[7]"}},
      {"activation_first", {"node 0 'relu_first' (Relu)", "must follow a Gemm"}},
      {"add_after_gemm", {"node 1 'add_extra' (Add)", "after a MatMul"}},
      {"unused_initializer", {"initializer 'spare'", "read by no node"}},
      {"duplicate_initializer", {"initializer 2 'b'", "second initializer"}},
      {"written_twice", {"node 2 'tanh_twice' (Tanh)", "writes 'h'"}},
      {"old_opset", {"opset 5"}},
      {"no_default_opset", {"no version of the standard ONNX opset"}},
      {"output_features", {"output 'y'", "declares 7 features", "gives 6"}},
      {"two_outputs", {"2 outputs"}},
  };
  for (const auto& [name, words] : cases) {
    const fs::path path = dir / (name + ".onnx");
    const std::string message = error_of([&] { read_onnx(path); });
    std::cout << name << ": " << message << "\n";
    EXPECT_NE(message.find(path.string()), std::string::npos) << name << ": " << message;
    for (const std::string& word : words) EXPECT_NE(message.find(word), std::string::npos) << name << ": " << message;
  }
  std::size_t files = 0;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) files += entry.path().extension() == ".onnx";
  EXPECT_EQ(files, cases.size()) << "every file make_hostile_models.py writes has a row here";
  fs::remove_all(dir);
}

TEST(Onnx, EveryTruncationOfAValidFileIsRefused) {
  std::mt19937 rng(3);
  const std::string bytes = onnx_model_bytes(random_network({8, 4, 8}, rng), "autoencoder");
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THROW(parse_onnx(std::string_view(bytes).substr(0, n), "cut"), Error) << "first " << n << " bytes";
  }
}

TEST(OnnxModel, AMirroredNetworkBecomesATinyaeAutoencoderWithTheSameOutputs) {
  const fs::path dir = work_dir("model");
  std::mt19937 rng(5);
  const std::vector<DenseLayer> layers = mirrored_network(rng);
  write_onnx(dir / "mirrored.onnx", layers, "autoencoder");
  const OnnxImport imported = import_onnx_checkpoint(dir / "mirrored.onnx");
  EXPECT_EQ(imported.config.describe(), "20-12-6");
  EXPECT_EQ(imported.config.activation, Activation::kTanh);
  EXPECT_EQ(imported.config.output_activation, Activation::kSigmoid);
  Autoencoder model = autoencoder_from_onnx(imported);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::rand({5, 20});
  EXPECT_TRUE(torch::equal(model->forward(x), forward(layers, x))) << "weights copied bit for bit";
  fs::remove_all(dir);
}

TEST(OnnxModel, ANetworkATinyaeModelCannotHoldIsRefusedNamingTheLayer) {
  std::mt19937 rng(6);
  // PyTorch's test autoencoder: ReLU, Tanh, ReLU, Sigmoid (one activation too many for ModelConfig).
  DenseNetwork mixed{random_network({20, 12, 6, 12, 20}, rng), 2};
  const Activation per_layer[] = {Activation::kRelu, Activation::kTanh, Activation::kRelu, Activation::kSigmoid};
  for (std::size_t i = 0; i < 4; ++i) mixed.layers[i].activation = per_layer[i];
  EXPECT_NE(error_of([&] { model_config_for(mixed, "m.onnx"); }).find("layer 1 (12 -> 6, tanh)"), std::string::npos);
  DenseNetwork asymmetric{random_network({20, 12, 6, 10, 20}, rng), 2};
  EXPECT_NE(error_of([&] { model_config_for(asymmetric, "a.onnx"); }).find("layer 2 (6 -> 10"), std::string::npos);
  DenseNetwork odd{random_network({20, 6, 20, 20}, rng), 1};
  EXPECT_NE(error_of([&] { model_config_for(odd, "o.onnx"); }).find("3 layers"), std::string::npos);
}
