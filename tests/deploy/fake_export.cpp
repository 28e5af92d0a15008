// fake_export.cpp - see fake_export.h. Random weights and double-precision
// golden outputs go into ModelToExport; the exporter's float32 HeaderWriter
// renders the headers, so the firmware build sees exactly what a real export
// defines.
#include "fake_export.h"

#include <cmath>
#include <random>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "tinyae/common.h"
#include "tinyae/export.h"

namespace tinyae::test {
namespace fs = std::filesystem;

namespace {

double activate(double v, Activation activation) {
  switch (activation) {
    case Activation::kRelu:
      return v < 0.0 ? 0.0 : v;
    case Activation::kSigmoid:
      return 1.0 / (1.0 + std::exp(-v));
    case Activation::kTanh:
      return std::tanh(v);
    case Activation::kLinear:
      break;
  }
  return v;
}

// Double-precision forward pass, rounded to float at the end.
std::vector<float> reference_forward(const std::vector<ExportLayer>& layers, const std::vector<float>& input) {
  std::vector<double> x(input.begin(), input.end());
  for (const ExportLayer& l : layers) {
    const auto in = static_cast<std::size_t>(l.in_size);
    std::vector<double> y(static_cast<std::size_t>(l.out_size));
    for (std::size_t o = 0; o < y.size(); o++) {
      double s = l.bias[o];
      for (std::size_t i = 0; i < in; i++) s += static_cast<double>(l.weights[o * in + i]) * x[i];
      y[o] = activate(s, l.activation);
    }
    x = std::move(y);
  }
  return std::vector<float>(x.begin(), x.end());
}

// `fake`'s layers with Glorot-uniform weights (activations stay O(1)), and
// its golden vectors: random pixels and the reference outputs.
ModelToExport random_model(const FakeModel& fake, const FakeExportOptions& options, std::mt19937& rng) {
  if (fake.sizes.size() != fake.activations.size() + 1) throw std::invalid_argument("sizes/activations mismatch");
  ModelToExport model;
  model.name = fake.name;
  model.prefix = fake.name;
  for (std::size_t i = 0; i + 1 < fake.sizes.size(); i++) {
    ExportLayer l;
    l.in_size = fake.sizes[i];
    l.out_size = fake.sizes[i + 1];
    l.activation = static_cast<Activation>(fake.activations[i]);
    const double limit = std::sqrt(6.0 / static_cast<double>(l.in_size + l.out_size));
    std::uniform_real_distribution<float> w(static_cast<float>(-limit), static_cast<float>(limit));
    std::uniform_real_distribution<float> b(-0.1f, 0.1f);
    for (std::int64_t k = 0; k < l.in_size * l.out_size; k++) l.weights.push_back(w(rng));
    for (std::int64_t k = 0; k < l.out_size; k++) l.bias.push_back(b(rng));
    model.layers.push_back(std::move(l));
  }
  model.golden_count = options.golden_count;
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  for (int g = 0; g < options.golden_count; g++) {
    std::vector<float> x(static_cast<std::size_t>(model.input_size()));
    for (float& v : x) v = pixel(rng);
    const std::vector<float> y = reference_forward(model.layers, x);
    model.golden_inputs.insert(model.golden_inputs.end(), x.begin(), x.end());
    model.golden_outputs.insert(model.golden_outputs.end(), y.begin(), y.end());
  }
  if (!model.golden_outputs.empty()) {
    model.golden_outputs[0] = static_cast<float>(model.golden_outputs[0] + options.golden_error);
  }
  return model;
}

}  // namespace

std::vector<FakeModel> tutorial_models() {
  return {{"encoder", {784, 128, 64, 32}, {1, 1, 1}},
          {"decoder", {32, 64, 128, 784}, {1, 1, 1}},
          {"autoencoder", {784, 128, 64, 32, 64, 128, 784}, {1, 1, 1, 1, 1, 1}}};
}

void write_fake_export(const fs::path& dir, const std::vector<FakeModel>& models, const FakeExportOptions& options,
                       const fs::path& runtime_dir) {
  const std::unique_ptr<HeaderWriter> writer = make_header_writer(NumberFormat::kFloat32);
  fs::create_directories(dir);
  for (const std::string& file : runtime_files(writer->format())) {
    fs::copy_file(runtime_dir / file, dir / file, fs::copy_options::overwrite_existing);
  }
  Provenance provenance;
  provenance.checkpoint_path = "none (random weights from the test helper fake_export)";
  provenance.checkpoint_sha256 = std::string(64, '0');
  provenance.seed = options.seed;
  provenance.golden_source = "random inputs; outputs from a double-precision forward pass";

  std::mt19937 rng(options.seed);
  nlohmann::json manifest = {{"tinyae_version", kVersion},
                             {"header_format_version", kHeaderFormatVersion},
                             {"number_format", std::string(writer->format().name)},
                             {"checkpoint_sha256", provenance.checkpoint_sha256},
                             {"models", nlohmann::json::array()}};
  nlohmann::json footprint = nlohmann::json::object();
  for (const FakeModel& fake : models) {
    const ModelToExport model = random_model(fake, options, rng);
    const std::string header = "model_" + model.name + ".h";
    write_file_atomically(dir / header, std::string_view(writer->render(model, provenance)));
    const Footprint f = writer->footprint(model);
    manifest["models"].push_back({{"name", model.name},
                                  {"header", header},
                                  {"prefix", model.prefix},
                                  {"input_size", model.input_size()},
                                  {"output_size", model.output_size()},
                                  {"golden_count", model.golden_count},
                                  {"weights_bytes", f.weights_bytes},
                                  {"scratch_bytes", f.scratch_bytes},
                                  {"macs", f.macs}});
    footprint[model.name] = {{"weights_bytes", f.weights_bytes}, {"scratch_bytes", f.scratch_bytes}, {"macs", f.macs}};
  }
  write_file_atomically(dir / "manifest.json", std::string_view(manifest.dump(2) + "\n"));
  write_file_atomically(dir / "footprint.json", std::string_view(footprint.dump(2) + "\n"));
}

}  // namespace tinyae::test
