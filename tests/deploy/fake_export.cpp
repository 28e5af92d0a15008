// fake_export.cpp - see fake_export.h. Follows the header contract literally
// so the firmware build exercises the same symbols a real export defines.
#include "fake_export.h"

#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "tinyae/common.h"

namespace tinyae::test {
namespace fs = std::filesystem;

namespace {

constexpr int kFormatVersion = 1;
const char* const kActivationMacro[] = {"TINYAE_ACT_LINEAR", "TINYAE_ACT_RELU", "TINYAE_ACT_SIGMOID",
                                        "TINYAE_ACT_TANH"};
const char* const kActivationName[] = {"linear", "relu", "sigmoid", "tanh"};

struct Layer {
  int in = 0, out = 0, activation = 0;
  std::vector<float> weights;  // (out, in) row-major
  std::vector<float> bias;     // (out)
};

double activate(double v, int activation) {
  switch (activation) {
    case 1: return v < 0.0 ? 0.0 : v;
    case 2: return 1.0 / (1.0 + std::exp(-v));
    case 3: return std::tanh(v);
    default: return v;
  }
}

// Double-precision forward pass, rounded to float at the end.
std::vector<float> reference_forward(const std::vector<Layer>& layers, const std::vector<float>& input) {
  std::vector<double> x(input.begin(), input.end());
  for (const Layer& l : layers) {
    std::vector<double> y(static_cast<std::size_t>(l.out));
    for (int o = 0; o < l.out; o++) {
      double s = l.bias[static_cast<std::size_t>(o)];
      for (int i = 0; i < l.in; i++) s += static_cast<double>(l.weights[static_cast<std::size_t>(o * l.in + i)]) * x[static_cast<std::size_t>(i)];
      y[static_cast<std::size_t>(o)] = activate(s, l.activation);
    }
    x = std::move(y);
  }
  return std::vector<float>(x.begin(), x.end());
}

std::string literal(float v) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.9gf", static_cast<double>(v));
  std::string s = buf;
  // "1f" is not a C float literal; "1.f" is not as readable as "1.0f".
  if (s.find_first_of(".eEn") == std::string::npos) s.insert(s.size() - 1, ".0");
  return s;
}

void write_array(std::ostream& c, const std::vector<float>& values, std::size_t per_line = 8) {
  for (std::size_t i = 0; i < values.size(); i++) {
    c << (i % per_line == 0 ? "\n    " : " ") << literal(values[i]) << ",";
  }
  c << "\n";
}

// (rows, width) as one brace-enclosed row per golden vector.
void write_rows(std::ostream& c, const std::vector<float>& values, std::size_t width) {
  for (std::size_t r = 0; r * width < values.size(); r++) {
    c << "\n    {";
    write_array(c, std::vector<float>(values.begin() + static_cast<std::ptrdiff_t>(r * width),
                                      values.begin() + static_cast<std::ptrdiff_t>((r + 1) * width)));
    c << "    },";
  }
  c << "\n";
}

std::string upper(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

}  // namespace

std::vector<FakeModel> tutorial_models() {
  return {{"encoder", {784, 128, 64, 32}, {1, 1, 1}},
          {"decoder", {32, 64, 128, 784}, {1, 1, 1}},
          {"autoencoder", {784, 128, 64, 32, 64, 128, 784}, {1, 1, 1, 1, 1, 1}}};
}

void write_fake_export(const fs::path& dir, const std::vector<FakeModel>& models, const FakeExportOptions& options,
                       const fs::path& runtime_dir) {
  fs::create_directories(dir);
  for (const char* f : {"tinyae.h", "tinyae_f32.c"}) {
    fs::copy_file(runtime_dir / f, dir / f, fs::copy_options::overwrite_existing);
  }
  std::mt19937 rng(options.seed);
  nlohmann::json manifest = {{"tinyae_version", kVersion},
                             {"header_format_version", kFormatVersion},
                             {"number_format", "float32"},
                             {"checkpoint_sha256", std::string(64, '0')},
                             {"models", nlohmann::json::array()}};
  nlohmann::json footprint = nlohmann::json::object();

  for (const FakeModel& fm : models) {
    if (fm.sizes.size() != fm.activations.size() + 1) throw std::invalid_argument("sizes/activations mismatch");
    std::vector<Layer> layers;
    std::int64_t macs = 0, weights_bytes = 0, scratch = 0;
    for (std::size_t i = 0; i + 1 < fm.sizes.size(); i++) {
      Layer l;
      l.in = fm.sizes[i];
      l.out = fm.sizes[i + 1];
      l.activation = fm.activations[i];
      const double limit = std::sqrt(6.0 / (l.in + l.out));  // Glorot-uniform keeps activations O(1)
      std::uniform_real_distribution<float> w(static_cast<float>(-limit), static_cast<float>(limit));
      std::uniform_real_distribution<float> b(-0.1f, 0.1f);
      for (int k = 0; k < l.in * l.out; k++) l.weights.push_back(w(rng));
      for (int k = 0; k < l.out; k++) l.bias.push_back(b(rng));
      macs += static_cast<std::int64_t>(l.in) * l.out;
      weights_bytes += 4 * static_cast<std::int64_t>(l.in * l.out + l.out);
      layers.push_back(std::move(l));
    }
    // Scratch: largest pair of consecutive intermediates (or the only one).
    for (std::size_t i = 1; i + 1 < fm.sizes.size(); i++) {
      const std::int64_t here = fm.sizes[i] + (i + 2 < fm.sizes.size() ? fm.sizes[i + 1] : 0);
      scratch = std::max(scratch, here);
    }
    const int in_size = fm.sizes.front(), out_size = fm.sizes.back();
    std::vector<float> golden_in, golden_out;
    std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
    for (int g = 0; g < options.golden_count; g++) {
      std::vector<float> x(static_cast<std::size_t>(in_size));
      for (float& v : x) v = pixel(rng);
      const std::vector<float> y = reference_forward(layers, x);
      golden_in.insert(golden_in.end(), x.begin(), x.end());
      golden_out.insert(golden_out.end(), y.begin(), y.end());
    }
    golden_out[0] = static_cast<float>(golden_out[0] + options.golden_error);

    const std::string P = upper(fm.name), p = fm.name;
    std::string shape, acts;
    for (std::size_t i = 0; i < fm.sizes.size(); i++) shape += (i ? "-" : "") + std::to_string(fm.sizes[i]);
    for (std::size_t i = 0; i < fm.activations.size(); i++) acts += (i ? ", " : "") + std::string(kActivationName[fm.activations[i]]);
    std::ostringstream c;
    c << "/* Generated by tinyae " << kVersion << " -- do not edit.\n"
      << " * Model: " << p << " " << shape << " (" << acts << ")  Number format: float32\n"
      << " * Checkpoint: none (random weights from the test helper fake_export, seed " << options.seed << ") */\n"
      << "#ifndef TINYAE_MODEL_" << P << "_H\n#define TINYAE_MODEL_" << P << "_H\n#include \"tinyae.h\"\n"
      << "#if TINYAE_FORMAT_VERSION != " << kFormatVersion << "\n#error \"model_" << p
      << ".h was generated for tinyae header format " << kFormatVersion << "\"\n#endif\n"
      << "#define " << P << "_FORMAT_VERSION " << kFormatVersion << "\n"
      << "#define " << P << "_INPUT_SIZE " << in_size << "\n"
      << "#define " << P << "_OUTPUT_SIZE " << out_size << "\n"
      << "#define " << P << "_LAYER_COUNT " << layers.size() << "\n"
      << "#define " << P << "_SCRATCH_FLOATS " << scratch << "\n"
      << "#define " << P << "_SCRATCH_BYTES (" << P << "_SCRATCH_FLOATS * 4)\n"
      << "#define " << P << "_WEIGHTS_BYTES " << weights_bytes << "\n"
      << "#define " << P << "_MACS " << macs << "\n"
      << "#define " << P << "_GOLDEN_COUNT " << options.golden_count << "\n"
      << "#define " << P << "_CHECKPOINT_SHA256 \"" << std::string(64, '0') << "\"\n"
      << "#define " << P << "_SEED " << options.seed << "\n";
    for (std::size_t i = 0; i < layers.size(); i++) {
      const Layer& l = layers[i];
      c << "static const float " << p << "_layer" << i << "_weights[" << l.out << " * " << l.in
        << "] TINYAE_ALIGNED = {  /* (out=" << l.out << ", in=" << l.in << ") row-major, as torch::nn::Linear */";
      write_array(c, l.weights);
      c << "};\nstatic const float " << p << "_layer" << i << "_bias[" << l.out << "] = {  /* (out=" << l.out << ") */";
      write_array(c, l.bias);
      c << "};\n";
    }
    c << "static const tinyae_layer_f32 " << p << "_layers[" << P << "_LAYER_COUNT] = {\n";
    for (std::size_t i = 0; i < layers.size(); i++) {
      c << "    {" << layers[i].in << ", " << layers[i].out << ", " << kActivationMacro[layers[i].activation] << ", "
        << p << "_layer" << i << "_weights, " << p << "_layer" << i << "_bias},\n";
    }
    c << "};\nstatic const tinyae_model_f32 " << p << "_model = {TINYAE_FORMAT_VERSION, " << P << "_LAYER_COUNT, " << p
      << "_layers,\n    " << P << "_INPUT_SIZE, " << P << "_OUTPUT_SIZE, " << P << "_SCRATCH_FLOATS};\n"
      << "/* Golden vectors: random inputs and the double-precision reference outputs. */\n"
      << "static const float " << p << "_golden_inputs[" << P << "_GOLDEN_COUNT][" << P << "_INPUT_SIZE] = {";
    write_rows(c, golden_in, static_cast<std::size_t>(in_size));
    c << "};\nstatic const float " << p << "_golden_outputs[" << P << "_GOLDEN_COUNT][" << P << "_OUTPUT_SIZE] = {";
    write_rows(c, golden_out, static_cast<std::size_t>(out_size));
    c << "};\n#endif\n";
    const std::string header = "model_" + p + ".h";
    write_file_atomically(dir / header, std::string_view(c.str()));

    manifest["models"].push_back({{"name", p},
                                  {"header", header},
                                  {"prefix", p},
                                  {"input_size", in_size},
                                  {"output_size", out_size},
                                  {"golden_count", options.golden_count},
                                  {"weights_bytes", weights_bytes},
                                  {"scratch_bytes", 4 * scratch},
                                  {"macs", macs}});
    footprint[p] = {{"weights_bytes", weights_bytes}, {"scratch_bytes", 4 * scratch}, {"macs", macs}};
  }
  write_file_atomically(dir / "manifest.json", std::string_view(manifest.dump(2) + "\n"));
  write_file_atomically(dir / "footprint.json", std::string_view(footprint.dump(2) + "\n"));
}

}  // namespace tinyae::test
