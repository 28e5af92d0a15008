// export_models(): checkpoint -> model_{encoder,decoder,autoencoder}.h, the
// runtime sources, footprint.json and manifest.json (or an Arduino library).
//
// Order of work, so that a failure leaves nothing half-written:
//   1. check the options and that the output location can be written;
//   2. load the checkpoint and the golden images, compute LibTorch's outputs;
//   3. render every file in memory;
//   4. write them all into a staging folder, then rename into place.
#include "tinyae/export.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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

// One file of the export, relative to the output folder.
struct OutputFile {
  fs::path path;
  std::string contents;
};

// The embedded copy of src/runtime/<name>.
std::string embedded_runtime_file(const std::string& name) {
  for (const EmbeddedFile& file : embedded_runtime_files()) {
    if (file.name == name) return std::string(file.contents);
  }
  throw Error("this tinyae binary was built without the runtime file " + name + " (src/runtime); rebuild tinyae");
}

// Creates and removes a file in `dir`, so that an unwritable folder is
// reported before any work is done.
void probe_writable(const fs::path& dir, const fs::path& out_dir) {
  std::string name = (dir / ".tinyae-probe-XXXXXX").string();
  const int fd = ::mkstemp(name.data());
  if (fd < 0) {
    throw Error("cannot write output folder '" + out_dir.string() + "': cannot create a file in '" + dir.string() +
                "': " + errno_text());
  }
  ::close(fd);
  ::unlink(name.c_str());
}

// Refuses an output path that is a file, lies under a file, or cannot be
// written; creates nothing.
void check_output_location(const fs::path& out_dir) {
  if (out_dir.empty()) throw Error("no output folder given: expected --out DIR");
  std::error_code ec;
  const fs::file_status status = fs::status(out_dir, ec);
  if (fs::exists(status)) {
    if (!fs::is_directory(status)) {
      throw Error("output folder '" + out_dir.string() + "' exists and is a file, not a folder; choose another --out");
    }
    probe_writable(out_dir, out_dir);
    return;
  }
  // The folder will be created: its nearest existing ancestor must be a
  // writable folder (ENOTDIR below a file reads as "not found" here).
  fs::path ancestor = fs::absolute(out_dir).lexically_normal();
  if (ancestor.filename().empty()) ancestor = ancestor.parent_path();
  do {
    ancestor = ancestor.parent_path();
  } while (!fs::exists(fs::status(ancestor, ec)) && ancestor != ancestor.root_path());
  if (!fs::is_directory(fs::status(ancestor, ec))) {
    throw Error("cannot create output folder '" + out_dir.string() + "': '" + ancestor.string() +
                "' is a file, not a folder");
  }
  probe_writable(ancestor, out_dir);
}

std::vector<float> to_vector(const torch::Tensor& tensor) {
  const torch::Tensor t = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  const float* data = t.data_ptr<float>();
  return std::vector<float>(data, data + t.numel());
}

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
                "' does not record the data it was trained on (an older checkpoint): give --data");
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

// Writes `files` into a fresh folder `root` (which must not exist yet).
void write_tree(const fs::path& root, const std::vector<OutputFile>& files) {
  for (const OutputFile& file : files) {
    const fs::path target = root / file.path;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    if (ec) throw Error("cannot create folder '" + target.parent_path().string() + "': " + ec.message());
    write_file_atomically(target, file.contents);
  }
}

// A new, empty, uniquely named folder `<dir>/<stem>XXXXXX`, with the
// permissions a plain mkdir would give (mkdtemp makes it private).
fs::path make_staging_folder(const fs::path& dir, const std::string& stem) {
  std::string name = (dir / (stem + "XXXXXX")).string();
  if (::mkdtemp(name.data()) == nullptr) {
    throw Error("cannot create a staging folder in '" + dir.string() + "': " + errno_text());
  }
  const mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(name.c_str(), 0777 & ~mask);
  return name;
}

// Writes every file so that none is ever seen half-written (see export.h).
void write_output(const fs::path& out_dir, const std::vector<OutputFile>& files) {
  std::error_code ec;
  if (!fs::exists(out_dir, ec)) {
    // Fresh folder: build it beside its final place, then one rename.
    const fs::path parent = fs::absolute(out_dir).lexically_normal().parent_path();
    fs::create_directories(parent, ec);
    if (ec) throw Error("cannot create folder '" + parent.string() + "': " + ec.message());
    const fs::path staging =
        make_staging_folder(parent, "." + fs::absolute(out_dir).lexically_normal().filename().string() + ".tinyae-");
    try {
      write_tree(staging, files);
      fs::rename(staging, out_dir, ec);
      if (ec) throw Error("cannot move the export into '" + out_dir.string() + "': " + ec.message());
    } catch (...) {
      fs::remove_all(staging, ec);
      throw;
    }
    return;
  }
  if (!fs::is_directory(out_dir, ec)) {
    throw Error("output folder '" + out_dir.string() + "' exists and is a file, not a folder; choose another --out");
  }
  // Existing folder: stage inside it (same file system, so renames are
  // atomic), check every target, then replace the files one by one.
  const fs::path staging = make_staging_folder(out_dir, ".tinyae-staging-");
  try {
    write_tree(staging, files);
    for (const OutputFile& file : files) {
      const fs::path target = out_dir / file.path;
      for (fs::path folder = file.path.parent_path(); !folder.empty(); folder = folder.parent_path()) {
        const fs::file_status s = fs::status(out_dir / folder, ec);
        if (fs::exists(s) && !fs::is_directory(s)) {
          throw Error("cannot write '" + target.string() + "': '" + (out_dir / folder).string() + "' is a file");
        }
      }
      if (fs::is_directory(target, ec)) {
        throw Error("cannot write '" + target.string() + "': a folder of that name is in the way");
      }
    }
    for (const OutputFile& file : files) {
      const fs::path target = out_dir / file.path;
      fs::create_directories(target.parent_path(), ec);
      if (ec) throw Error("cannot create folder '" + target.parent_path().string() + "': " + ec.message());
      fs::rename(staging / file.path, target, ec);
      if (ec) throw Error("cannot write '" + target.string() + "': " + ec.message());
    }
  } catch (...) {
    fs::remove_all(staging, ec);
    throw;
  }
  fs::remove_all(staging, ec);
}

// "out/" names the same folder as "out", but its file name is empty.
fs::path without_trailing_separator(const fs::path& path) {
  fs::path p = path;
  while (p.has_relative_path() && p.filename().empty()) p = p.parent_path();
  return p;
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
  std::error_code ec;
  if (!fs::exists(options.model_path, ec)) {
    throw Error("checkpoint '" + options.model_path.string() +
                "' does not exist (train one with 'tinyae train --out RUN', then pass --model RUN/model.safetensors)");
  }
  Checkpoint checkpoint = load_checkpoint(options.model_path);
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
  const fs::path header_dir = options.arduino ? "src" : "";
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

  if (options.arduino) {
    const ModelToExport& autoencoder = models[2];
    files.push_back(
        {"library.properties", render_library_properties(options.name_prefix.empty()
                                                             ? std::string("tinyae_models")
                                                             : "tinyae_" + symbol_prefix(options.name_prefix, "models"),
                                                         "model_" + autoencoder.name + ".h")});
    files.push_back({fs::path("examples") / "tinyae_autoencoder" / "tinyae_autoencoder.ino",
                     render_arduino_sketch(autoencoder, writer->format())});
  }

  files.push_back({"footprint.json", footprint_doc.dump(2) + "\n"});
  if (!quantization.is_null()) files.push_back({"quantization.json", quantization.dump(2) + "\n"});
  files.push_back({kManifestFile, manifest.to_json().dump(2) + "\n"});  // last: it describes a complete export

  // 4. Write, unless a file would replace the checkpoint being exported
  // (`--model OUT/manifest.json --out OUT` would lose the user's model).
  for (const OutputFile& file : files) {
    if (fs::equivalent(out_dir / file.path, options.model_path, ec)) {
      throw Error("export to '" + out_dir.string() + "' would overwrite its input checkpoint '" +
                  options.model_path.string() + "' (as " + file.path.string() + "); choose another --out");
    }
  }
  write_output(out_dir, files);
  for (const OutputFile& file : files) result.files.push_back(file.path);
  return result;
}

}  // namespace tinyae
