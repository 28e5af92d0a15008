// export_models(): checkpoint -> model_{encoder,decoder,autoencoder}.h, the
// runtime sources, footprint.json and manifest.json, and the manifests of the
// build-system packages asked for.
//
// Order of work, so that a failure leaves nothing half-written:
//   1. check the options and that the output location can be written;
//   2. load the checkpoint and the golden images, compute LibTorch's outputs;
//   3. render every file in memory;
//   4. write them all into a staging folder, then rename into place.
#include "tinyae/export.h"

#include <algorithm>
#include <sstream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include "export_internal.h"
#include "tinyae/checkpoint.h"
#include "tinyae/common.h"
#include "tinyae/data.h"
#include "tinyae/text.h"

namespace tinyae {
namespace fs = std::filesystem;

namespace {

// A golden vector is a whole input and output in the header (784 + 784
// floats for the autoencoder, about 25 KB of text each): more than this is a
// mistake rather than a self-test.
constexpr std::int64_t kMaxGoldenCount = 1000;

// The embedded copy of src/runtime/<name>.
std::string embedded_runtime_file(const std::string& name) {
  for (const EmbeddedFile& file : embedded_runtime_files()) {
    if (file.name == name) return std::string(file.contents);
  }
  throw Error("this tinyae binary was built without the runtime file " + name + " (src/runtime); rebuild tinyae");
}

std::vector<float> to_vector(const torch::Tensor& tensor) {
  const torch::Tensor t = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  const float* data = t.data_ptr<float>();
  return std::vector<float>(data, data + t.numel());
}

}  // namespace

std::vector<ExportLayer> to_export_layers(const std::vector<LayerView>& views) {
  std::vector<ExportLayer> layers;
  for (const LayerView& view : views) {
    ExportLayer layer;
    layer.out_size = view.linear->weight.size(0);
    layer.in_size = view.linear->weight.size(1);
    layer.activation = view.activation;
    layer.weights = to_vector(view.linear->weight);  // (out, in) row-major
    layer.bias = to_vector(view.linear->bias);       // (out)
    layers.push_back(std::move(layer));
  }
  return layers;
}

Checkpoint load_checkpoint_to_export(const fs::path& model_path) {
  std::error_code ec;
  if (!fs::exists(model_path, ec)) {
    throw Error("checkpoint '" + model_path.string() +
                "' does not exist (train one with 'tinyae train --out RUN', then pass --model RUN/model.safetensors)");
  }
  return load_checkpoint(model_path);
}

namespace {

// "a, b, c".
std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

// The data the checkpoint records (or --data in its place), loaded with the
// checkpoint's scaling, and a name for it in messages and banners.
ModelData load_export_data(const ExportOptions& options, const CheckpointMeta& meta, std::string& name) {
  DataSpec spec = meta.data;
  if (!options.data_dir.empty()) {
    spec.path = fs::absolute(options.data_dir).lexically_normal();
  } else if (spec.path.empty()) {
    throw Error("'" + options.model_path.string() +
                "' does not record the data it was trained on (an older checkpoint, or one imported without --data): "
                "give --data");
  } else if (!fs::exists(spec.path)) {
    throw Error("'" + options.model_path.string() + "' was trained on " + spec.describe() +
                ", which is not there any more: give --data (the same " +
                (spec.kind == DataKind::kMnist ? "MNIST folder" : "CSV file") + ", checksum " + meta.data_checksum +
                ")");
  }
  name = spec.describe();
  ModelData data = load_model_data(spec, meta.input_scaling);
  if (data.input_size() != meta.model.input_size) {
    throw Error("'" + options.model_path.string() + "' takes " + std::to_string(meta.model.input_size) +
                " inputs, but " + name + " gives vectors of " + std::to_string(data.input_size()) + " values");
  }
  if (!meta.data_checksum.empty() && data.checksum != meta.data_checksum) {
    spdlog::warn("{} holds other data (sha256 {}) than the checkpoint was trained on (sha256 {})", name, data.checksum,
                 meta.data_checksum);
  }
  return data;
}

nlohmann::ordered_json footprint_json(const Footprint& f) {
  return {{"weights_bytes", f.weights_bytes}, {"scratch_bytes", f.scratch_bytes}, {"macs", f.macs}};
}

}  // namespace

ExportResult export_models(const ExportOptions& options) {
  // 1. Options and output location, before anything is read.
  if (options.golden_count < 0 || options.golden_count > kMaxGoldenCount) {
    throw Error("--golden " + std::to_string(options.golden_count) + " is outside [0, " +
                std::to_string(kMaxGoldenCount) + "]");
  }
  if (options.calibration_images < 1 || options.calibration_images > kMaxCalibrationImages) {
    throw Error("--calibration " + std::to_string(options.calibration_images) + " is outside [1, " +
                std::to_string(kMaxCalibrationImages) + "]");
  }
  const std::unique_ptr<HeaderWriter> writer = make_header_writer(options.format);
  const std::string encoder_prefix = symbol_prefix(options.name_prefix, "encoder");  // validates the prefix
  const fs::path out_dir = without_trailing_separator(options.out_dir);
  check_output_location(out_dir);

  // 2. Checkpoint and golden vectors.
  Checkpoint checkpoint = load_checkpoint_to_export(options.model_path);
  // The golden images, and whenever data is read the MNIST test set (10,000
  // images: int8 accuracy, anomaly threshold), go through the model in one pass.
  const bool reads_data = options.golden_count > 0 || options.format == NumberFormat::kInt8;
  const std::int64_t rows = std::max<std::int64_t>(options.golden_count, reads_data ? 10000 : 0);
  check_memory_fits(checkpoint.meta.model.inference_memory_bytes(rows),
                    "exporting this model (" + std::to_string(checkpoint.meta.model.parameter_count()) +
                        " parameters) with " + std::to_string(rows) + " images through it",
                    "export it on a machine with more memory");
  Autoencoder& model = checkpoint.model;
  model->eval();

  Provenance provenance;
  provenance.checkpoint_path = options.model_path.string();
  provenance.checkpoint_sha256 = checkpoint.sha256;
  provenance.epoch = checkpoint.meta.epoch;
  provenance.seed = checkpoint.meta.options.seed;
  provenance.trained_tool_version = checkpoint.meta.tool_version;
  provenance.trained_torch_version = checkpoint.meta.torch_version;
  provenance.data_checksum = checkpoint.meta.data_checksum;
  provenance.export_torch_version = TORCH_VERSION;
  provenance.golden_source = "none";

  std::vector<ModelToExport> models(3);
  models[0].name = "encoder";
  models[0].layers = to_export_layers(model->encoder_layers());
  if (const auto head = model->logvar_layer()) models[0].logvar_head = to_export_layers({*head}).front();
  models[1].name = "decoder";
  models[1].layers = to_export_layers(model->decoder_layers());
  models[2].name = "autoencoder";
  models[2].layers = models[0].layers;
  models[2].layers.insert(models[2].layers.end(), models[1].layers.begin(), models[1].layers.end());
  for (ModelToExport& m : models) {
    m.prefix = symbol_prefix(options.name_prefix, m.name);
    m.golden_count = options.golden_count;
  }

  // float32 with --golden 0 reads no data (and has no anomaly threshold).
  ModelData data;
  std::string data_name;
  torch::Tensor golden_images;  // (golden_count, input); undefined with --golden 0
  if (reads_data) data = load_export_data(options, checkpoint.meta, data_name);
  if (options.golden_count > 0) {
    if (data.test.size() < options.golden_count) {
      throw Error("--golden " + std::to_string(options.golden_count) + " asks for more vectors than the " +
                  std::to_string(data.test.size()) + " of the test split of " + data_name);
    }
    const torch::Tensor images = data.test.x.slice(0, 0, options.golden_count).contiguous();
    provenance.golden_source = "the first " + std::to_string(options.golden_count) + " test vectors of " + data_name +
                               (data.checksum == provenance.data_checksum ? " (the data it was trained on)"
                                                                          : " (sha256 " + data.checksum + ")");
    torch::NoGradGuard no_grad;
    const torch::Tensor latents = model->encode(images);         // (n, latent)
    const torch::Tensor decoded = model->decode(latents);        // (n, input)
    const torch::Tensor reconstructed = model->forward(images);  // (n, input)
    models[0].golden_inputs = to_vector(images);
    models[0].golden_outputs = to_vector(latents);
    if (models[0].logvar_head) models[0].golden_logvar = to_vector(model->encode_heads(images).logvar);
    models[1].golden_inputs = to_vector(latents);
    models[1].golden_outputs = to_vector(decoded);
    models[2].golden_inputs = to_vector(images);
    models[2].golden_outputs = to_vector(reconstructed);
    golden_images = images;
  }
  nlohmann::ordered_json quantization;  // quantization.json, int8 only
  if (options.format == NumberFormat::kInt8) {
    quantization = quantize_for_export(models, model, options, golden_images, data, data_name);
  }
  if (reads_data) {
    const std::string raw_note =
        checkpoint.meta.data.kind == DataKind::kCsv
            ? "readings of the CSV columns " + joined(data.scaling.feature_names) + ", oldest row first"
            : "MNIST pixel values 0..255; the model's input is pixel * (1.0f / 255)";
    add_anomaly_fields(models, model, options, data, raw_note);
  }

  // 3. Every file, in memory.
  // A package keeps the sources in src/ and the reports in extras/ (the
  // Arduino library layout, which every other package reads too).
  const bool packaged = !options.packages.empty();
  const fs::path header_dir = packaged ? kPackageSourceFolder : "";
  const fs::path reports_dir = packaged ? "extras" : "";
  std::vector<OutputFile> files;
  // The runtime this format needs and nothing else, so the folder builds on
  // its own and holds no code its headers do not use.
  for (const std::string& name : runtime_files(writer->format())) {
    files.push_back({header_dir / name, embedded_runtime_file(name)});
  }

  ExportResult result;
  result.anomaly = models[2].anomaly;
  nlohmann::ordered_json footprint_doc;
  Manifest manifest;
  manifest.tinyae_version = kVersion;
  manifest.number_format = options.format;
  manifest.checkpoint_sha256 = checkpoint.sha256;
  for (const ModelToExport& m : models) {
    const fs::path header = header_dir / ("model_" + m.name + ".h");
    files.push_back({header, writer->render(m, provenance)});
    ExportedHeader info;
    info.name = m.name;
    info.header = header.generic_string();
    info.prefix = m.prefix;
    info.input_size = m.input_size();
    info.output_size = m.output_size();
    info.golden_count = m.golden_count;
    info.footprint = writer->footprint(m);
    result.models.push_back(info);
    manifest.models.push_back({info.name, info.header, info.prefix, info.input_size, info.output_size,
                               info.golden_count, static_cast<std::int64_t>(info.footprint.weights_bytes),
                               static_cast<std::int64_t>(info.footprint.scratch_bytes),
                               static_cast<std::int64_t>(info.footprint.macs)});
  }
  for (const char* name : {"autoencoder", "encoder", "decoder"}) {
    for (const ExportedHeader& info : result.models) {
      if (info.name == name) footprint_doc[name] = footprint_json(info.footprint);
    }
  }
  if (models[2].anomaly) footprint_doc["autoencoder"]["anomaly"] = anomaly_json(models[2]);

  const std::vector<OutputFile> packages = export_package_files(options, files, models, writer->format());
  files.insert(files.end(), packages.begin(), packages.end());
  files.push_back({reports_dir / "footprint.json", footprint_doc.dump(2) + "\n"});
  if (!quantization.is_null()) files.push_back({reports_dir / "quantization.json", quantization.dump(2) + "\n"});
  files.push_back({kManifestFile, manifest.to_json().dump(2) + "\n"});  // last: it describes a complete export

  // 4. Write.
  write_output(out_dir, files, options.model_path);
  for (const OutputFile& file : files) result.files.push_back(file.path);
  return result;
}

}  // namespace tinyae
